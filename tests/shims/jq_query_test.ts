import { deepEqual, equal, throws } from "node:assert/strict";
import { resolveEnvironment } from "../../core/config.ts";
import { WatchtowerError } from "../../core/errors.ts";
import { moduleWord, planJq } from "../../shims/jq_query.ts";

const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-jq-plan-" }));
const work = `${root}/work`;
Deno.mkdirSync(`${root}/secrets`, { recursive: true });
Deno.mkdirSync(work);
Deno.writeTextFileSync(`${work}/a.json`, "{}");
Deno.symlinkSync(`${root}/secrets`, `${work}/linked`);
const env = resolveEnvironment((name) => ({ HOME: root })[name], work);
const plan = (argv: string[]) => planJq(argv, env);
const usageError = (error: unknown) => error instanceof WatchtowerError && error.code === "usage";

Deno.test("planJq queries each FILE on its resolved path, the filter first and files after --", () => {
  const p = plan(["-r", "-c", ".a", "a.json", "linked/b.json"]);
  equal(p.program, "jq");
  deepEqual(p.args, [
    "--raw-output",
    "--compact-output",
    ".a",
    "--",
    "a.json",
    `${root}/secrets/b.json`,
  ]);
  deepEqual(p.intents, [
    { domain: "search", operation: "query", target: { path: `${work}/a.json`, filter: ".a" } },
    {
      domain: "search",
      operation: "query",
      target: { path: `${root}/secrets/b.json`, filter: ".a" },
    },
  ]);
  equal(p.stdin, undefined);
});

Deno.test("planJq reads standard input with no FILE or for -, as one /dev/stdin intent", () => {
  for (
    const [argv, filter] of [[[".x"], ".x"], [[".x", "-"], ".x"], [
      ["-n", "input"],
      "input",
    ]] as const
  ) {
    const p = plan([...argv]);
    equal(p.stdin, true, argv.join(" "));
    deepEqual(p.intents.at(-1)!.target, { path: "/dev/stdin", filter, stdin: true });
  }
});

Deno.test("planJq keeps a filter that starts with - a filter (jq 1.6 takes -- only after it)", () => {
  const p = plan(["--", "-1", "a.json"]);
  deepEqual(p.args, [" -1", "--", "a.json"]);
  equal(p.intents[0]!.target.filter, "-1");
  throws(() => plan(["-1", "a.json"]), usageError); // as jq: -1 is not an option
});

Deno.test("planJq passes --arg and --argjson pairs, checked, and --indent in bounds", () => {
  const p = plan([".", "--arg", "who", "-rf", "--argjson", "n", "[1]", "--indent", "3", "a.json"]);
  deepEqual(p.args, [
    "--indent",
    "3",
    "--arg",
    "who",
    "-rf",
    "--argjson",
    "n",
    "[1]",
    ".",
    "--",
    "a.json",
  ]);
  for (
    const argv of [
      ["--arg", "bad name", "v", "."],
      ["--arg", "x"],
      ["--argjson", "x", "{nope", "."],
      ["--indent", "9", "."],
      ["--indent", "-1", "."],
    ]
  ) {
    throws(() => plan(argv), usageError, argv.join(" "));
  }
});

Deno.test("planJq refuses options that read other files or change what operands mean", () => {
  for (
    const argv of [
      ["--rawfile", "k", "/etc/passwd", "."],
      ["--slurpfile", "k", "/etc/passwd", "."],
      ["-f", "prog.jq", "a.json"],
      ["--from-file", "prog.jq"],
      ["-L", "/tmp", "."],
      ["-L/tmp", "."],
      ["--args", ".", "a"],
      ["--jsonargs", ".", "1"],
      ["--run-tests"],
      ["-C", ".", "a.json"],
      ["-rC", ".", "a.json"],
      ["--color-output", "."],
      ["-h", "."],
      [],
    ]
  ) {
    throws(() => plan(argv), usageError, argv.join(" "));
  }
});

Deno.test("planJq refuses filters that load modules, and only those", () => {
  for (
    const filter of [
      'import "a" as a; .',
      'include "a"; .',
      '"x" | modulemeta',
      '"\\(import)"',
      '"a\\("b" | modulemeta)c"',
      ". # comment\n| import",
    ]
  ) {
    throws(() => plan([filter, "a.json"]), usageError, filter);
  }
  for (
    const filter of [
      ".import",
      '"import include modulemeta"',
      "$import",
      "# import\n.",
      '"\\\\(import"',
      "env.HOME",
      "$ENV.PATH",
      "$__loc__",
      "input_filename",
      '"\\(1 + (2 * 3))import_x"',
    ]
  ) {
    equal(moduleWord(filter), undefined, filter);
  }
});

Deno.test("planJq reads ~/.jq as jq does, and refuses one that loads modules", () => {
  equal(plan([".", "a.json"]).intents.length, 1);
  Deno.writeTextFileSync(`${root}/.jq`, 'def greet: "hi";\n');
  try {
    const p = plan(["greet", "a.json"]);
    deepEqual(p.intents.at(-1), {
      domain: "filesystem",
      operation: "read",
      target: { path: `${root}/.jq` },
    });
    equal(p.refusal, undefined);
    Deno.writeTextFileSync(`${root}/.jq`, 'import "data" as $d;\ndef leak: $d::d;\n');
    const refused = plan(["leak", "a.json"]);
    equal(refused.refusal?.includes("uses import"), true, refused.refusal);
  } finally {
    Deno.removeSync(`${root}/.jq`);
  }
});
