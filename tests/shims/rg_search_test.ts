import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { resolveEnvironment } from "../../core/config.ts";
import { WatchtowerError } from "../../core/errors.ts";
import { planRg, SECRET_EXCLUDES } from "../../shims/rg_search.ts";

const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-rg-plan-" }));
const work = `${root}/work`;
Deno.mkdirSync(`${work}/src`, { recursive: true });
Deno.mkdirSync(`${root}/.ssh`);
Deno.writeTextFileSync(`${work}/src/a.ts`, "x");
Deno.symlinkSync(`${root}/.ssh`, `${work}/keys`);
const env = resolveEnvironment(
  (name) => ({ HOME: root, WATCHTOWER_WORKSPACE: work })[name],
  work,
);
const tty = { stdinMayBeSearched: () => false };
const plan = (argv: string[], options = tty) => planRg(argv, env, options);
const excludes = SECRET_EXCLUDES.map((glob) => `--iglob=!${glob}`);

const usageError = (error: unknown) => error instanceof WatchtowerError && error.code === "usage";

Deno.test("planRg passes the pattern as --regexp= and the paths after --, as written", () => {
  const p = plan(["-n", "-i", "needle", "src", "src/a.ts"]);
  equal(p.program, "rg");
  deepEqual(p.args, [
    "--no-config",
    "--line-number",
    "--ignore-case",
    ...excludes,
    "--regexp=needle",
    "--",
    "src",
    "src/a.ts",
  ]);
  deepEqual(p.intents.map((i) => i.target), [
    { path: `${work}/src`, pattern: "needle", hidden: false, no_ignore: false, recursive: true },
    {
      path: `${work}/src/a.ts`,
      pattern: "needle",
      hidden: false,
      no_ignore: false,
      recursive: false,
    },
  ]);
  ok(p.intents.every((i) => i.domain === "search" && i.operation === "search"));
  equal(p.stdin, undefined);
});

Deno.test("planRg decides a symlinked path on its target and hands rg the target", () => {
  const p = plan(["secret", "keys", "src/../src/a.ts"]);
  equal(p.intents[0]!.target.path, `${root}/.ssh`);
  deepEqual(p.args.slice(-3), ["--", `${root}/.ssh`, "src/../src/a.ts"]);
});

Deno.test("planRg keeps a pattern that starts with - a pattern, with -e or after --", () => {
  for (const argv of [["-e", "-rf", "src"], ["--", "-rf", "src"], ["--regexp=-rf", "src"]]) {
    const p = plan(argv);
    deepEqual(p.args.slice(-3), ["--regexp=-rf", "--", "src"], argv.join(" "));
    equal(p.intents[0]!.target.pattern, "-rf");
  }
  const several = plan(["-e", "a", "-e", "b"]);
  deepEqual(several.intents[0]!.target.pattern, ["a", "b"]);
  deepEqual(several.args.slice(-2), ["--regexp=a", "--regexp=b"]);
});

Deno.test("planRg searches the working directory with no PATH, and stdin too when it may be", () => {
  const p = plan(["x"]);
  deepEqual(p.intents.map((i) => i.target.path), [work]);
  ok(!p.args.includes("--"));
  const piped = plan(["x"], { stdinMayBeSearched: () => true });
  deepEqual(piped.intents.map((i) => i.target.path), ["/dev/stdin", work]);
  equal(piped.intents[0]!.target.stdin, true);
  equal(piped.stdin, true);
  const dash = plan(["x", "-"]);
  deepEqual(dash.intents.map((i) => i.target.path), ["/dev/stdin"]);
  deepEqual(dash.args.slice(-2), ["--", "-"]);
});

Deno.test("planRg keeps the options' order (rg lets a later one override an earlier one)", () => {
  const p = plan(["-s", "-i", "-uu", "-A", "2", "-C3", "--glob", "*.ts", "-g!*.md", "x"]);
  deepEqual(p.args.slice(0, 9), [
    "--no-config",
    "--case-sensitive",
    "--ignore-case",
    "-u",
    "-u",
    "--after-context=2",
    "--context=3",
    "--glob=*.ts",
    "--glob=!*.md",
  ]);
  equal(p.intents[0]!.target.hidden, true);
  equal(p.intents[0]!.target.no_ignore, true);
  // The secret exclusions come after every glob of the caller's, so that they win.
  deepEqual(p.args.slice(9, 9 + excludes.length), excludes);
});

Deno.test("planRg lists files with --files as operation list, without a pattern", () => {
  const p = plan(["--files", "src"]);
  equal(p.intents[0]!.operation, "list");
  equal(p.intents[0]!.target.pattern, null);
  throws(() => plan(["--files", "-e", "x"]), usageError);
});

Deno.test("planRg makes a -f pattern file a filesystem read intent", () => {
  const p = plan(["-f", "src/a.ts", "src"]);
  deepEqual(p.intents[0], {
    domain: "filesystem",
    operation: "read",
    target: { path: `${work}/src/a.ts` },
  });
  ok(p.args.includes(`--file=${work}/src/a.ts`));
  equal(p.intents[1]!.target.pattern, null);
  throws(() => plan(["-f", "-", "src"]), usageError);
});

Deno.test("planRg decides a walk that reaches the state directory on that directory too", () => {
  const hidden = plan(["--hidden", "x", root]);
  deepEqual(hidden.intents.map((i) => i.target.path), [root, env.stateDir]);
  equal(hidden.intents[1]!.target.searched, root);
  // Without --hidden rg never enters .watchtower.
  deepEqual(plan(["x", root]).intents.map((i) => i.target.path), [root]);
});

Deno.test("planRg refuses options that run programs, leave the tree or defeat the redactor", () => {
  deepEqual(plan(["--color", "never", "x"]).args.slice(0, 2), ["--no-config", "--color=never"]);
  for (
    const argv of [
      ["--pre", "cat", "x"],
      ["--pre=cat", "x"],
      ["--pre-glob", "*", "x"],
      ["-z", "x"],
      ["--search-zip", "x"],
      ["-L", "x"],
      ["--follow", "x"],
      ["--ignore-file", "/etc/passwd", "x"],
      ["--json", "x"],
      ["-nL", "x"],
      ["--hostname-bin", "sh", "x"],
      ["--unknown", "x"],
      ["-uuuu", "x"],
      ["-A", "x", "y"],
      ["--color", "rainbow", "x"],
      ["--color", "always", "x"],
      ["--color=ansi", "x"],
      ["-p", "x"],
      ["--sort", "evil", "x"],
      [],
      ["-n"],
    ]
  ) {
    throws(() => plan(argv), usageError, argv.join(" "));
  }
});
