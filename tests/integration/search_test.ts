/**
 * rg-search and jq-query through their launchers, next to the real rg and jq: the same output and
 * exit codes for typical runs, secrets denied (named directly or through a symlink) with nothing
 * printed, refused options, hostile patterns and filters, redaction under the default policy,
 * and a ledger entry for every run.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { cleanEnv, type RunResult } from "./_wt.ts";
import { type EntryJson, ledgerEntries, shim, shimBox } from "./_shims.ts";

const box = await shimBox();
const work = box.work;

Deno.mkdirSync(`${work}/src/lib`, { recursive: true });
Deno.writeTextFileSync(
  `${work}/src/main.ts`,
  'import { needle } from "./lib/util.ts";\n// Needle in caps\nconsole.log(needle);\n-x marks the spot\n',
);
Deno.writeTextFileSync(
  `${work}/src/lib/util.ts`,
  'export const needle = "haystack";\nexport const other = 1;\n',
);
Deno.writeTextFileSync(`${work}/README.md`, "# needle\nA needle-free readme.\n");
Deno.writeTextFileSync(`${work}/.env`, "API_TOKEN=tok_live_abcdef0123456789\n");
Deno.writeTextFileSync(
  `${work}/items.json`,
  JSON.stringify({ items: [{ name: "a", n: 1 }, { name: "b", n: 2 }], ok: true }),
);
Deno.writeTextFileSync(`${work}/more.json`, '{"items": [], "ok": false}\n[1, 2, 3]\n');
// The user's keys, and a link to them from the workspace.
Deno.mkdirSync(`${box.home}/.ssh`);
Deno.writeTextFileSync(`${box.home}/.ssh/id_ed25519`, "needle private key\n");
Deno.writeTextFileSync(`${box.home}/.ssh/config.json`, '{"needle": true}\n');
Deno.symlinkSync(`${box.home}/.ssh`, `${work}/keys`);

/** Runs the real program in the box's workspace, as an agent without Watchtower would. */
async function raw(program: string, args: string[], stdin?: string): Promise<RunResult> {
  const child = new Deno.Command(program, {
    args,
    cwd: work,
    clearEnv: true,
    env: cleanEnv({ HOME: box.home }),
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** rg prints files in the order its threads finish: compare lines, not their order. */
const lines = (text: string) => text.split("\n").sort();

/** The entries a run appended to the ledger. */
async function withEntries(
  run: () => Promise<RunResult>,
): Promise<{ result: RunResult; entries: EntryJson[] }> {
  const all = () => {
    try {
      return ledgerEntries(box);
    } catch {
      return []; // no state directory yet
    }
  };
  const before = all().length;
  const result = await run();
  return { result, entries: all().slice(before) };
}

Deno.test("rg-search prints what rg prints and exits as rg does, one decision per PATH and the effect", async () => {
  for (
    const args of [
      ["-n", "needle"],
      ["-i", "-n", "needle", "src"],
      ["-l", "needle"],
      ["-c", "needle", "src", "README.md"],
      ["-w", "-F", "needle", "src/main.ts"],
      ["-C", "1", "-n", "other", "src"],
      ["-g", "*.md", "needle"],
      ["-t", "ts", "-o", "need[a-z]+"],
      ["--files", "src"],
      ["-e", "-x", "-n", "src"],
      ["-n", "--", "-x"],
      ["nothing-matches-this"],
    ]
  ) {
    const expected = await raw("rg", args);
    if (expected.code === 0) ok(expected.stdout.length > 0, `rg ${args.join(" ")} printed nothing`);
    const { result, entries } = await withEntries(() => shim(box, "rg-search", args));
    equal(result.code, expected.code, `rg ${args.join(" ")}: ${result.stderr}`);
    deepEqual(lines(result.stdout), lines(expected.stdout), `rg ${args.join(" ")}`);
    const decisions = entries.filter((e) => e.data.intent);
    ok(decisions.length >= 1, args.join(" "));
    ok(decisions.every((e) => e.data.intent.domain === "search"));
    const effect = entries.at(-1)!.data.event;
    equal(effect.type, "effect");
    equal(effect.tool, "rg-search");
    equal(effect.exit_code, expected.code);
    deepEqual(effect.decision_seqs, decisions.map((e) => e.seq));
  }
  const named = await withEntries(() => shim(box, "rg-search", ["needle", "src", "README.md"]));
  deepEqual(
    named.entries.filter((e) => e.data.intent).map((e) => e.data.intent.target.path),
    [`${work}/src`, `${work}/README.md`],
  );
  equal(named.entries[0]!.data.intent.target.pattern, "needle");
  equal(named.entries[0]!.data.intent.target.recursive, true);
  equal(named.entries[0]!.data.decision.verdict, "redact");
});

Deno.test("rg-search searches standard input as rg does", async () => {
  const input = "one needle\ntwo\n-x three\n";
  for (const args of [["needle"], ["-n", "-e", "-x", "-"]]) {
    const expected = await raw("rg", args, input);
    const result = await shim(box, "rg-search", args, { stdin: input });
    equal(result.code, expected.code, result.stderr);
    equal(result.stdout, expected.stdout);
  }
});

Deno.test("jq-query prints what jq prints and exits as jq does, -e included", async () => {
  for (
    const [args, stdin] of [
      [[".items[0]", "items.json"]],
      [["-r", ".items[].name", "items.json"]],
      [["-c", ".items", "items.json", "more.json"]],
      [["-s", "-c", "map(type)", "items.json", "more.json"]],
      [["-S", "--tab", ".", "items.json"]],
      [["--arg", "who", "-b", "-c", "[$who, .ok]", "items.json"]],
      [["-e", ".missing", "items.json"]],
      [["-e", ".ok", "items.json"]],
      [[".x", "-"], '{"x": 42}'],
      [["-c", ".[1]"], "[1, [2, 3]]"],
      [["--", "-1", "items.json"]],
      [[".", "not.json"]],
    ] as Array<[string[], string?]>
  ) {
    // jq 1.6 takes -- only after the filter; the raw run gets the filter first.
    const rawArgs = args[0] === "--"
      ? [args[1]!.replace(/^-/, " -"), "--", ...args.slice(2)]
      : args;
    const expected = await raw("jq", rawArgs, stdin);
    const { result, entries } = await withEntries(() =>
      shim(box, "jq-query", args, stdin === undefined ? {} : { stdin })
    );
    equal(result.code, expected.code, `jq ${args.join(" ")}: ${result.stderr}`);
    equal(result.stdout, expected.stdout, `jq ${args.join(" ")}`);
    const decisions = entries.filter((e) => e.data.intent);
    ok(decisions.length >= 1);
    ok(decisions.every((e) => e.data.intent.operation === "query"));
    equal(entries.at(-1)!.data.event.exit_code, expected.code);
  }
  const stdinRun = await withEntries(() => shim(box, "jq-query", [".x"], { stdin: "{}" }));
  deepEqual(stdinRun.entries[0]!.data.intent.target, {
    path: "/dev/stdin",
    filter: ".x",
    stdin: true,
  });
});

Deno.test("secrets are denied with exit 77 and nothing on stdout, named or through a symlink", async () => {
  for (
    const [name, args] of [
      ["rg-search", ["needle", "keys"]],
      ["rg-search", ["needle", "keys/id_ed25519"]],
      ["rg-search", ["-n", "needle", "src", "keys"]],
      ["rg-search", ["TOKEN", ".env"]],
      ["rg-search", ["needle", `${box.home}/.ssh/../.ssh/id_ed25519`]],
      ["rg-search", ["-f", ".env", "src"]],
      ["jq-query", [".", "keys/config.json"]],
      ["jq-query", [".", "items.json", ".env"]],
    ] as Array<[string, string[]]>
  ) {
    const { result, entries } = await withEntries(() => shim(box, name, args));
    equal(result.code, 77, `${name} ${args.join(" ")}: ${result.stderr}`);
    equal(result.stdout, "", `${name} ${args.join(" ")}`);
    match(result.stderr, /denied: rule deny-secrets/);
    ok(entries.some((e) => e.data.decision?.verdict === "deny"));
    ok(!entries.some((e) => e.data.event?.type === "effect"), "nothing ran");
  }
  // Walking the workspace never enters the secrets, even with --hidden and -uuu, nor follows
  // the link to ~/.ssh.
  for (const args of [["-uuu", "TOKEN"], ["--hidden", "-g", ".env", "TOKEN"], ["private", "."]]) {
    const result = await shim(box, "rg-search", args);
    // 1: no match; 2: with -g .env nothing was left to search.
    ok(result.code === 1 || result.code === 2, `${args.join(" ")}: ${result.stdout}`);
    equal(result.stdout, "");
  }
});

Deno.test("refused options exit 64 before anything is decided or run", async () => {
  for (
    const [name, args] of [
      ["rg-search", ["--pre", "cat", "needle"]],
      ["rg-search", ["--pre-glob", "*", "needle"]],
      ["rg-search", ["-z", "needle"]],
      ["rg-search", ["-L", "needle"]],
      ["rg-search", ["--json", "needle"]],
      ["rg-search", ["--ignore-file", "/etc/passwd", "needle"]],
      ["rg-search", ["--not-an-option", "needle"]],
      ["jq-query", ["--rawfile", "k", ".env", "."]],
      ["jq-query", ["--slurpfile", "k", "items.json", "."]],
      ["jq-query", ["-f", "prog.jq", "items.json"]],
      ["jq-query", ["-L", ".", "."]],
      ["jq-query", ["--args", ".", "x"]],
      ["jq-query", ['import "items" as $i; $i', "items.json"]],
      ["jq-query", ['"x" | modulemeta', "items.json"]],
    ] as Array<[string, string[]]>
  ) {
    const { result, entries } = await withEntries(() => shim(box, name, args));
    equal(result.code, 64, `${name} ${args.join(" ")}: ${result.stderr}`);
    equal(result.stdout, "");
    match(result.stderr, new RegExp(`^${name}: `));
    deepEqual(entries, []);
  }
});

Deno.test("the default policy redacts secrets in what rg-search and jq-query print", async () => {
  Deno.writeTextFileSync(
    `${work}/src/config.ts`,
    'const aws = "AKIAIOSFODNN7EXAMPLE"; // needle\npassword=hunter2 needle\n',
  );
  Deno.writeTextFileSync(`${work}/creds.json`, '{"password": "hunter2", "user": "me"}\n');
  try {
    const { result, entries } = await withEntries(() =>
      shim(box, "rg-search", ["-n", "needle", "src/config.ts"])
    );
    equal(result.code, 0, result.stderr);
    ok(!result.stdout.includes("AKIAIOSFODNN7EXAMPLE"));
    ok(!result.stdout.includes("hunter2"));
    match(result.stdout, /1:const aws = "\[REDACTED:aws_access_key\]"; \/\/ needle/);
    const effect = entries.at(-1)!.data.event;
    deepEqual(effect.redactions, { aws_access_key: 1, password_assignment: 1 });
    ok(!JSON.stringify(entries).includes("hunter2"), "the ledger never holds the secret");

    const jq = await shim(box, "jq-query", ["-c", ".", "creds.json"]);
    equal(jq.code, 0, jq.stderr);
    ok(!jq.stdout.includes("hunter2"), jq.stdout);
    match(jq.stdout, /REDACTED/);
  } finally {
    Deno.removeSync(`${work}/src/config.ts`);
    Deno.removeSync(`${work}/creds.json`);
  }
});

Deno.test("rg and jq are the safe commands under their real names", async () => {
  for (
    const [program, args] of [["rg", ["-n", "haystack", "src"]], ["jq", [
      "-r",
      ".ok",
      "items.json",
    ]]]
  ) {
    const out = await new Deno.Command(`${box.realNames}/${program}`, {
      args: args as string[],
      cwd: work,
      clearEnv: true,
      env: box.env,
    }).output();
    equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const expected = await raw(program as string, args as string[]);
    equal(new TextDecoder().decode(out.stdout), expected.stdout);
  }
  equal(ledgerEntries(box).at(-1)!.data.event.tool, "jq-query");
});
