/**
 * Differential tests: our analysis against what the real bash executes.
 *
 * How the comparison works. Each line is run as `bash --norc --noprofile -c LINE` (see _bash.ts)
 * with PATH holding only fake programs (one script linked under every fake name that appends
 * its `$0` basename, `$WTV` and its arguments, NUL-separated, to a log), the real bash/sh, env,
 * nice, timeout and nohup; HOME is `~` so tilde expansion is the identity, the current
 * directory is empty so no glob matches. The lines are generated (seeded, so the same every run)
 * from fake program names and static words only: every quoting form, escapes, ANSI-C strings,
 * brace expansion, assignments, redirections to a scratch directory, and nesting through
 * pipelines, lists, subshells, groups, `$(…)` and backquotes in assignments, if/for/case,
 * functions, `bash -c`, `eval`, here-documents fed to bash and wrappers. Nothing but the fakes
 * can run, and every fake command is static and reached by construction: so the set of
 * (program, $WTV, arguments) bash logged must equal the set our analysis reports for the fake
 * programs (a set: a loop body runs more than once but is recorded once). Our side must also
 * parse every line and mark none of those commands dynamic (beyond brace expansion in command
 * position, which it resolves).
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { analyzeShell, quoteArgv, type ShellCommand } from "../../../core/shell/mod.ts";
// Skipped where BASH_SKIP says why (no bash 5 with GNU env, nice, timeout and nohup).
import { BASH, BASH_SKIP, runLines, sandbox } from "./_bash.ts";

const FAKES = ["prog", "tool", "rm", "git", "curl", "xx", "if", "A=1", "{", "!"];
const COMPARABLE_DYNAMIC = new Set(["brace expansion in command position"]);

/** mulberry32: a small seeded PRNG so the generated set is the same on every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly r: () => number, readonly out: string) {}
  n = 0;
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }

  program(): string {
    const name = this.pick(["prog", "tool", "rm", "git", "curl", "xx"]);
    const form = this.pick([
      () => name,
      () => name,
      () => `${name[0]}''${name.slice(1)}`,
      () => `"${name}"`,
      () => `\\${name}`,
      () => `$'${name}'`,
      () => `$'\\x${name.charCodeAt(0).toString(16)}${name.slice(1)}'`,
      () => `'${name[0]}'"${name.slice(1)}"`,
      () => `${name[0]}\\${name.slice(1)}`,
      () => `../bin/./${name}`,
      () => `.//../bin/../bin/${name}`,
      () => `${name[0]}\\\n${name.slice(1)}`,
      () => `{${name},x}`,
    ]);
    return form();
  }

  atom(): string {
    const sq = () =>
      this.pick([
        "a b",
        "$HOME",
        "`x`",
        '"',
        "\\",
        "|;&",
        "()<>",
        "*?[a]",
        "{a,b}",
        "~/x",
        "#c",
        "\n",
        "",
      ]);
    const dq = () =>
      this.pick([
        "a b",
        '\\"',
        "\\\\",
        "\\$",
        "\\`",
        "\\x",
        "'",
        "|;&()<>",
        "*?",
        "{a,b}",
        "~",
        "#",
        "",
      ]);
    const ansi = () =>
      this.pick([
        "\\x41",
        "\\101",
        "\\n",
        "\\t",
        "\\'",
        "\\\\",
        "\\u00e9",
        "\\e",
        "\\cA",
        "\\q",
        "plain",
        "\\x7A",
        "\\0end",
        "\\x",
        '\\"',
        "\\a\\b\\f\\v\\r",
        "\\U0001F600",
      ]);
    return this.pick([
      () =>
        this.pick([
          "a",
          "b",
          "x1",
          "-f",
          "--opt=v",
          "a.b",
          "a/b",
          "%",
          "@x",
          "+1",
          "k=v",
          "é",
          "a#b",
          "a!b",
          "-",
          "--",
        ]),
      () => `'${sq()}'`,
      () => `"${dq()}${this.chance(0.3) ? dq() : ""}"`,
      () => `$'${ansi()}${this.chance(0.5) ? ansi() : ""}'`,
      () => `$"${this.pick(["x y", "q"])}"`,
      () =>
        `\\${
          this.pick([
            " ",
            "$",
            "`",
            "'",
            '"',
            "|",
            ";",
            "&",
            "(",
            ")",
            "<",
            ">",
            "*",
            "?",
            "{",
            "}",
            "a",
            "\\",
            "#",
            "~",
          ])
        }`,
      () =>
        this.pick([
          "{a,b}",
          "x{a,b}y",
          "{1..3}",
          "{a..c}",
          "{01..03}",
          "{a,{b,c}}",
          "{a}",
          "{,x}",
          '{"a,b"}',
          "{a\\,b}",
          "{3..1}",
          "{1..7..3}",
          "{a,'b c'}",
          "{a..b}{1,2}",
        ]),
      () => this.pick(["~", "~/x", "a=~/x", "x:~/y", "~+x"]),
      () => `ab\\\ncd`,
      () => this.pick(['""', "''", '""""', "$''"]),
    ])();
  }

  word(): string {
    let w = this.atom();
    while (this.chance(0.35)) w += this.atom();
    return w;
  }

  simple(assign = true): string {
    let s = "";
    if (assign && this.chance(0.2)) s += `WTV=${this.word()} `;
    s += this.program();
    const n = Math.floor(this.r() * 4);
    for (let i = 0; i < n; i++) s += " " + this.word();
    if (this.chance(0.2)) {
      s += " " + this.pick([
        `> ${this.out}/f1`,
        `2>/dev/null`,
        `>> ${this.out}/f2`,
        `< /dev/null`,
        `<<< ${this.word()}`,
        `2>&1`,
        `&> ${this.out}/f3`,
        `>| ${this.out}/f4`,
      ]);
    }
    return s;
  }

  cmd(d: number): string {
    if (d === 0 || this.chance(0.35)) return this.simple();
    const c = () => this.cmd(d - 1);
    return this.pick([
      () => `${c()} | ${c()}`,
      () => `${c()}; ${c()}`,
      () => `${c()} && ${c()}`,
      () => `false || ${c()}`,
      () => `( ${c()} )`,
      () => `{ ${c()}; }`,
      () => `v=$(${c()})`,
      () => {
        const inner = c();
        return /[\\`$]/.test(inner) ? `v="$(${inner})"` : `v=\`${inner}\``;
      },
      () => `: "$(${c()})"`,
      () => `if ${c()}; then ${c()}; fi`,
      () => `for i in 1 2; do ${c()}; done`,
      () => `case k in k) ${c()};; esac`,
      () => {
        const name = `f${this.n++}`;
        // Grouped with its call: a definition in a pipeline element lives in that subshell.
        return `{ ${name}() { ${c()}; }; ${name}; }`;
      },
      () => `bash -c ${sq(c())}`,
      () => `eval ${sq(c())}`,
      () => `env WTV=e ${this.simple(false)}`,
      () => `nice -n 1 ${this.simple(false)}`,
      () => `timeout 5 ${this.simple(false)}`,
      () => `command ${this.simple(false)}`,
      // `time` is a keyword only at the start of a pipeline: braces keep it there.
      () => `{ time ${this.simple(false)}; }`,
      () => `x=1 WTV=${this.word()} bash -c ${sq(this.simple())}`,
    ])();
  }

  line(): string {
    if (this.chance(0.06)) return `bash <<'EOF'\n${this.cmd(1)}\nEOF`;
    if (this.chance(0.04)) {
      return `${this.simple()} <<EOF\nbody \\$x $(${this.simple()}) \`tool q\`\nEOF`;
    }
    if (this.chance(0.03)) return `bash <<< ${sq(this.cmd(1))}`;
    return this.cmd(2);
  }
}

function sq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Hand-written lines for constructs the generator does not reach. */
const FIXED = [
  `prog a\\\n  b`,
  `prog "a\nb" 'c\nd'`,
  `prog # comment\ntool x`,
  `prog a#b '#' \\#`,
  `prog $'a\\0b'c`,
  `prog {a,b}{c,d}`,
  `prog x{a,b,{1..2}}`,
  `prog {x..z..2} {10..1..4} {-1..1}`,
  `prog "{a,b}" '{a,b}' \\{a,b}`,
  `prog a{b,c`,
  `prog a}b{ {} {,}`,
  `WTV=1 prog; WTV='a b' tool`,
  `WTV={a,b} prog`,
  `WTV=~/x prog ~ ~/y`,
  `prog=x WTV=y tool`,
  `prog <<-EOF\n\tbody\n\tEOF`,
  `prog <<E"O"F\n$(tool no)\nEOF`,
  `prog <<EOF; tool b\nx\nEOF`,
  `prog <<A <<B\na\nA\nb\nB`,
  `v=$(prog a; tool b) && : "$(rm c)"`,
  `v=$( (prog a) )`,
  `x=$((1 + 2)) ; prog z`,
  `(( 1 )) && prog ok`,
  `[[ -n x ]] && prog ok2`,
  `[[ $(prog in) == x ]] || tool out`,
  `for ((i = 0; i < 1; i++)); do prog loop; done`,
  `select x in a; do prog s; break; done <<< 1`,
  `case x in (x|y) prog c1 ;; *) ;; esac`,
  `case x in x) prog c2 ;& y) tool c3 ;; esac`,
  `function g { prog fn; }; g`,
  `function h() ( tool fn2 ); h`,
  `{ prog g1; tool g2; } > /dev/null`,
  `if false; then :; elif prog e1; then tool e2; else :; fi`,
  `while prog w; [ "$x" = "" ]; do x=1; tool w2; done`,
  `! prog neg`,
  `prog a | tool b | curl c`,
  `prog a |& tool b`,
  `prog 'it'"'"'s'`,
  `prog $"loc"`,
  `prog \\\\ "\\\\" '\\\\'`,
  `prog "$"`,
  `prog a\\`,
  `bash -c 'prog "in bash"'`,
  `sh -c 'prog "in sh"' arg0 arg1`,
  `bash -xc 'prog traced'`,
  `bash -o errexit -c 'prog opt'`,
  `eval prog ev "'quoted arg'"`,
  `eval 'eval "prog deep"'`,
  `env -i ARGV_LOG="$ARGV_LOG" PATH="$PATH" WTV=i prog envi`,
  `env -u WTV prog unset`,
  `nice prog n1; nice -5 tool n2`,
  `timeout -s KILL 5 prog t1; timeout --preserve-status 5s tool t2`,
  `nohup prog nh`,
  `command prog cp`,
  `time -p prog tp`,
  `'if' x; 'A=1' y; '{' z; '!' w`,
  `'if'`,
  `coproc prog cop; wait`,
  `a=(1 2 "$(prog arr)") ; tool after`,
  `declare -a b=(x $(prog decl))`,
  `export WTV=exported; prog ex`,
  `trap 'prog trapped' EXIT`,
  `f() { prog fbody; }\nf`,
  `prog 2>&1 >/dev/null 3>&- {fd}>/dev/null`,
  `prog $'\\u00e9\\U0001F600'`,
  `prog "\\\`" '\\\`'`,
  "v=`prog a; : \\`tool inner\\``",
  'v="`prog \\"dq\\"`"',
  `bash -c "prog \\"nested 'q'\\""`,
  `bash -c 'bash -c '"'"'prog twice'"'"''`,
  `: $(( $(prog ar) + 1 ))`,
  `: \${u:-$(prog dflt)} "\${u:-$(tool dq dflt)}" \${u:-\`curl bq\`}`,
  `prog a # it's "not" closed`,
  `prog b;# x`,
  `case x in $(prog pat)) ;; esac`,
  `for x in $(prog fl); do :; done`,
  `[[ $(prog c) ]]`,
  `: "$(: "$(curl deep)")"`,
  `: "$(prog "a b" 'c d')"`,
  `: "\`prog \\"e f\\"\`"`,
  `prog <<'X' | tool y\n$(no)\nX`,
  `f() {\n  prog multi\n  tool line\n}\nf`,
  `if prog c\nthen\n  tool t\nfi`,
  `prog a &&\n  tool b &&\n  false ||\n  curl c`,
  `prog a |\n  tool b`,
  `for i in a b\ndo\n  prog "$i"x\ndone`.replace('"$i"x', "x"),
  `{ prog a; } 2>&1 | tool b`,
  `(prog a) && (tool b)`,
  `((0)) || prog no; prog yes`,
  `prog $'\\'' x`,
  `prog $'a\\'b' 'c'`,
  `prog "a"'b'$'c'$"d"\e`,
];

Deno.test({
  name: "the analysis reports exactly the argv bash executes, for generated and tricky lines",
  ignore: BASH_SKIP !== undefined,
}, async () => {
  const s = await sandbox(FAKES);
  try {
    const g = new Gen(rng(20240607), s.out);
    const lines = [...FIXED];
    while (lines.length < FIXED.length + 700) lines.push(g.line());
    const runs = await runLines(s, lines);
    let compared = 0;
    let commands = 0;
    const failures: string[] = [];
    lines.forEach((line, i) => {
      const a = analyzeShell(line);
      const ours = new Set<string>();
      for (const c of a.commands) {
        if (!FAKES.includes(c.program)) continue;
        if (c.dynamic.some((d) => !COMPARABLE_DYNAMIC.has(d))) {
          failures.push(`${JSON.stringify(line)}: ${c.program} marked dynamic ${c.dynamic}`);
          continue;
        }
        ours.add(key(c));
      }
      const theirs = new Set(runs[i]!.map((r) => JSON.stringify(r)));
      commands += theirs.size;
      if (!a.parsed) {
        failures.push(`${JSON.stringify(line)}: not parsed ${JSON.stringify(a.findings)}`);
      } else if (!setEqual(ours, theirs)) {
        failures.push(
          `${JSON.stringify(line)}\n  ours:  ${[...ours].sort().join(" ")}\n  bash:  ${
            [...theirs].sort().join(" ")
          }`,
        );
      } else compared++;
    });
    if (failures.length > 0) {
      throw new Error(`${failures.length} differences:\n${failures.join("\n")}`);
    }
    equal(compared, lines.length);
    ok(commands > 900, `only ${commands} commands compared`);
  } finally {
    await Deno.remove(s.root, { recursive: true });
  }
});

Deno.test({
  name: "quoteArgv output reads back the same in bash and in the analysis, reserved words included",
  ignore: BASH_SKIP !== undefined,
}, async () => {
  const s = await sandbox(FAKES);
  try {
    const argvs = [
      ["if", "then", "fi"],
      ["A=1", "B=2"],
      ["{", "}"],
      ["!", "x"],
      ["prog", "", "a b", "it's", "$HOME", "`id`", "\\", "\n", "~", "#", "*", "{a,b}", "é"],
      ["prog", "'", "''", `"'"`, "a'b'c", "-", "--x=$(y)"],
    ];
    const runs = await runLines(s, argvs.map(quoteArgv));
    argvs.forEach((argv, i) => {
      deepEqual(runs[i], [[argv[0]!, "<unset>", ...argv.slice(1)]], quoteArgv(argv));
      deepEqual(analyzeShell(quoteArgv(argv)).commands[0]!.argv, argv);
    });
  } finally {
    await Deno.remove(s.root, { recursive: true });
  }
});

/** Lines bash refuses (`bash -n`) must be refused by the analysis too. */
const MALFORMED = [
  `echo "unterminated`,
  `echo 'unterminated`,
  "echo `unterminated",
  `echo $(unterminated`,
  `echo \${unterminated`,
  `( echo`,
  `echo )`,
  `{ echo`,
  `{ echo }`,
  `if true; then echo`,
  `if true; echo; fi`,
  `for x in a; do echo`,
  `while true; do echo; od`,
  `case x in x) echo`,
  `case x in x) echo;;`,
  `echo | | echo`,
  `| echo`,
  `echo &&`,
  `&& echo`,
  `echo ;;`,
  `; echo`,
  `echo & ;`,
  `echo >`,
  `echo < <`,
  `echo (`,
  `echo a (b)`,
  `f() echo`,
  `then`,
  `fi`,
  `done`,
  `if`,
  `[[ x`,
  `echo $((1 + )`,
  `echo $'x`,
  `((`,
  `function`,
  `echo <(`,
  `a=(1 2`,
];

Deno.test({
  name: "lines bash refuses are unparsable, with a column",
  ignore: BASH_SKIP !== undefined,
}, async () => {
  const results = await Promise.all(MALFORMED.map(async (line) => {
    const { code } = await new Deno.Command(BASH, {
      args: ["--norc", "--noprofile", "-n", "-c", line],
      stderr: "null",
      stdout: "null",
    }).output();
    return code;
  }));
  MALFORMED.forEach((line, i) => {
    ok(results[i] !== 0, `bash accepts ${JSON.stringify(line)}`);
    const a = analyzeShell(line);
    equal(a.parsed, false, line);
    ok(a.findings.some((f) => f.kind === "unparsable" && f.column !== undefined), line);
  });
});

function key(c: ShellCommand): string {
  return JSON.stringify([c.program, c.env["WTV"] ?? "<unset>", ...c.argv.slice(1)]);
}

function setEqual(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
