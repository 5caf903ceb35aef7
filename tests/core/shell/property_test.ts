/**
 * Property tests: arbitrary input never throws, never hangs and never passes silently; quoteArgv
 * round-trips through bash and through the analysis.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import fc from "fast-check";
import { analyzeShell, quoteArgv, type ShellAnalysis } from "../../../core/shell/mod.ts";
// The bash round trip is skipped where BASH_SKIP says why (no bash 5).
import { BASH, BASH_SKIP } from "./_bash.ts";

const SEED = 424242;
/** Per-input time bound; generous for slow CI machines, far below a hang. */
const MAX_MS = 250;

const TOKENS = [
  "echo",
  "rm",
  "-rf",
  "/",
  "a",
  "'q'",
  '"d"',
  "$x",
  "${y}",
  "${y:-$(id)}",
  "$(",
  ")",
  "(",
  "`",
  "|",
  "||",
  "&&",
  ";",
  "&",
  "\n",
  "<",
  ">",
  ">>",
  "2>&1",
  "<<<",
  "<<EOF\n",
  "\nEOF\n",
  "<<-'X'\n",
  "{",
  "}",
  "if",
  "then",
  "fi",
  "else",
  "elif",
  "for",
  "in",
  "do",
  "done",
  "while",
  "until",
  "case",
  "esac",
  ";;",
  "[[",
  "]]",
  "((",
  "))",
  "!",
  "#",
  "\\",
  "=",
  "x=",
  "$((",
  "{a,b}",
  "{1..3}",
  "*",
  "~",
  " ",
  " ",
  " ",
  "f()",
  "function",
  "time",
  "$'\\x72m'",
  "<(",
  ">(",
  "sudo",
  "env",
  "sh -c",
  "bash -c '",
  "eval",
  "xargs",
  "find . -exec",
  "\\;",
  "ssh h",
  "python3 -c",
  "@(",
  "$IFS",
];

const SHELLISH = fc.string({
  unit: fc.constantFrom(..."ab $'\"`\\(){}[];&|<>#=~*?!\n\t-0123@é\x01".split("")),
  maxLength: 200,
});

function invariants(line: string, a: ShellAnalysis, ms: number): void {
  ok(ms < MAX_MS, `${ms.toFixed(1)} ms for ${JSON.stringify(line.slice(0, 80))}`);
  for (const f of a.findings) {
    ok(!f.detail.includes("internal error"), `${JSON.stringify(line)}: ${f.detail}`);
    if (f.column !== undefined) ok(f.column >= 1 && f.column <= line.length + 1, JSON.stringify(f));
  }
  if (!a.parsed) {
    ok(
      a.findings.some((f) => ["unparsable", "too-long", "too-deep", "binary"].includes(f.kind)),
      JSON.stringify(line),
    );
  }
  for (const c of a.commands) {
    if (c.program === "" && c.argv.length > 0 && c.argv[0] !== "" && !c.argv[0]!.endsWith("/")) {
      ok(
        a.findings.some((f) => f.kind === "dynamic-command"),
        `${JSON.stringify(line)}: ${c.argv}`,
      );
    }
  }
}

function timed(line: string): void {
  const t0 = performance.now();
  const a = analyzeShell(line);
  invariants(line, a, performance.now() - t0);
}

Deno.test("analyzeShell never throws or hangs on arbitrary strings", () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), timed), { numRuns: 1500, seed: SEED });
  fc.assert(fc.property(SHELLISH, timed), { numRuns: 2500, seed: SEED });
});

Deno.test("analyzeShell never throws or hangs on token soups", () => {
  const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((t) => t.join(" "));
  fc.assert(fc.property(soup, timed), { numRuns: 2500, seed: SEED });
  const tight = fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((t) => t.join(""));
  fc.assert(fc.property(tight, timed), { numRuns: 1500, seed: SEED });
});

Deno.test("analyzeShell stays bounded on adversarial sizes", () => {
  const lines = [
    "echo " + "$(".repeat(10000),
    "echo " + '"$('.repeat(5000),
    "x" + "{a,b}".repeat(40),
    "x" + "{a,b}".repeat(50000),
    "x" + "{".repeat(100000) + "}".repeat(100000),
    "x" + "{a".repeat(50000) + ",b}".repeat(50000),
    "eval " + "{a,b}".repeat(12) + " " + "eval ".repeat(10),
    "(( " + "(".repeat(20000) + ")".repeat(20000) + " ))",
    "echo " + "$((".repeat(20000),
    "((" + "$((".repeat(20000),
    "echo " + "$(( 1 + ".repeat(20000) + "))".repeat(20000),
    "echo " + '"${x:-'.repeat(20000),
    "echo " + "`".repeat(9999),
    "a | ".repeat(20000) + "b",
    "a && ".repeat(20000) + "b",
    "cat <<EOF\n" + "$(x)\n".repeat(10000) + "EOF",
    "echo " + "'a'".repeat(50000),
    "sh -c " + '"'.repeat(30000),
    "${".repeat(10000),
    "[[ " + "( ".repeat(10000) + "x",
    "f() { ".repeat(5000),
    "case x in " + "a) ;; ".repeat(10000) + "esac",
  ];
  for (const line of lines) {
    const t0 = performance.now();
    const a = analyzeShell(line);
    const ms = performance.now() - t0;
    ok(ms < 2000, `${ms} ms for ${line.slice(0, 30)}`);
    invariants(line, a, 0);
  }
});

const ARG = fc.string({
  unit: fc.oneof(
    fc.constantFrom(..."'\"\\$` \n\t*?[]{}~#=!;|&()<>-%,:@+é\x01\x7f".split("")),
    fc.constantFrom(..."abcXYZ019./".split("")),
  ),
  maxLength: 12,
});

Deno.test("quoteArgv round-trips through the analysis (property)", () => {
  fc.assert(
    fc.property(fc.array(ARG, { minLength: 1, maxLength: 6 }), (argv) => {
      const a = analyzeShell(quoteArgv(argv));
      equal(a.parsed, true);
      deepEqual(a.commands[0]!.argv, argv);
      deepEqual(a.commands[0]!.dynamic, []);
    }),
    { numRuns: 3000, seed: SEED },
  );
});

Deno.test({
  name: "quoteArgv round-trips through bash (property)",
  ignore: BASH_SKIP !== undefined,
}, async () => {
  // One bash process reads every line: `set -- LINE` then prints the count and the words.
  const argvs = fc.sample(fc.array(ARG, { maxLength: 6 }), { numRuns: 400, seed: SEED });
  const script = argvs.map((argv) => `set -- ${quoteArgv(argv)}; printf '%s\\0' "$#" "$@"`)
    .join("\n");
  const { stdout, code } = await new Deno.Command(BASH, {
    args: ["--norc", "--noprofile", "-c", script],
    env: { LC_ALL: "C.UTF-8" },
  }).output();
  equal(code, 0);
  const fields = new TextDecoder().decode(stdout).split("\0");
  let k = 0;
  for (const argv of argvs) {
    const n = Number(fields[k]);
    deepEqual(fields.slice(k + 1, k + 1 + n), argv, quoteArgv(argv));
    k += 1 + n;
  }
});
