/**
 * `jq-query`: jq, decided per FILE on the path it resolves to (standard input when none). Options
 * that read other files or change what the operands mean are refused, and so are filters that
 * load modules; the default policy passes the output through the secret redactor (rule
 * redact-read-output).
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import { normalizePath } from "../core/match/path.ts";
import { resolvePath } from "../core/shim/paths.ts";
import type { PlannedIntent, ShimPlan } from "../core/shim/runner.ts";
import { type ArgSpec, parseCommand, usage } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";

const USAGE = `jq-query — jq, checked by Watchtower

Usage: jq-query [OPTION]... FILTER [FILE]...

Each FILE is one intent {domain: search, operation: query, target: {path, filter}} on the path it
resolves to (every symlink and .. resolved); jq gets it after -- (as written when no symlink is
on the way, else absolute). With no FILE, or for -, jq reads standard input: one intent with
target {path: /dev/stdin, filter, stdin: true}. A FILTER that starts with - is passed as a
filter, never as an option. When ~/.jq is a file (jq loads it into every filter) it is a
filesystem read intent too, and a ~/.jq that loads modules is refused whatever the policy.

Options (as jq's):
  -r, --raw-output   -j, --join-output   -a, --ascii-output   -c, --compact-output
  -e, --exit-status  -s, --slurp         -n, --null-input     -R, --raw-input
  -S, --sort-keys    -M, --monochrome-output  --tab  --indent N (0-7)
  --stream  --seq  --unbuffered
  --arg NAME VALUE   --argjson NAME JSON
Refused: --rawfile, --slurpfile, -f/--from-file, -L (they read other files), --args and
--jsonargs (they turn the operands into values), -C/--color-output (colour codes would split
secrets past the redactor), and filters with import, include or
modulemeta (they load modules from the search path). env and $ENV are allowed: jq sees only the
allowlisted environment.
Exit: jq's code (with -e, 1 when the last output is false or null); 77 denied, 75 approval
required, 64 bad usage, 69 jq is not installed.`;

const FLAGS: Record<string, string> = {
  r: "raw-output",
  j: "join-output",
  a: "ascii-output",
  c: "compact-output",
  e: "exit-status",
  s: "slurp",
  n: "null-input",
  R: "raw-input",
  S: "sort-keys",
  M: "monochrome-output",
};
const LONG_FLAGS = [...Object.values(FLAGS), "tab", "stream", "seq", "unbuffered"];

const REFUSED: Record<string, string> = {
  rawfile: "it reads another file",
  slurpfile: "it reads another file",
  "from-file": "it reads the filter from a file",
  L: "it sets where modules are loaded from",
  "color-output": "colour codes would split secrets past the redactor",
  args: "it turns the operands into values",
  jsonargs: "it turns the operands into values",
};

const SPEC: ArgSpec = {
  short: {
    ...Object.fromEntries(Object.entries(FLAGS).map(([letter, name]) => [letter, { name }])),
    f: { name: "from-file", value: true },
    C: { name: "color-output" },
    L: { name: "L", value: true },
  },
  long: {
    ...Object.fromEntries(LONG_FLAGS.map((name) => [name, { name }])),
    indent: { name: "indent", value: true },
    "from-file": { name: "from-file", value: true },
    "color-output": { name: "color-output" },
    args: { name: "args" },
    jsonargs: { name: "jsonargs" },
  },
};

/** jq's two-value options: the pairs are taken out before the rest is parsed. */
const PAIRS = new Set(["--arg", "--argjson", "--rawfile", "--slurpfile"]);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Words of the jq language that load modules from the search path. */
const MODULE_WORDS = new Set(["import", "include", "modulemeta"]);

/**
 * The first word of `filter` that loads a module (`import`, `include`, `modulemeta`), outside
 * strings and comments; string interpolations `\(…)` are code and are checked too.
 *
 * @example
 * ```ts
 * import { moduleWord } from "./jq_query.ts";
 * import { equal } from "node:assert/strict";
 * equal(moduleWord('import "x" as $x; .'), "import");
 * equal(moduleWord('"\\(1 | modulemeta)"'), "modulemeta");
 * equal(moduleWord('.import, "include", $import # import'), undefined);
 * ```
 */
export function moduleWord(filter: string): string | undefined {
  // Code, or inside a string whose interpolations nest code: one entry per open interpolation
  // counts the parens opened inside it, so that its own closing `)` returns to the string.
  const stack: number[] = [];
  let inString = false;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i]!;
    if (inString) {
      if (c === "\\") {
        if (filter[i + 1] === "(") {
          stack.push(0);
          inString = false;
        }
        i++;
      } else if (c === '"') {
        inString = false;
      }
      continue;
    }
    if (c === '"') {
      inString = true;
    } else if (c === "#") {
      while (i < filter.length && filter[i] !== "\n") i++;
    } else if (c === "(") {
      if (stack.length > 0) stack[stack.length - 1]!++;
    } else if (c === ")") {
      if (stack.length > 0) {
        if (stack[stack.length - 1] === 0) {
          stack.pop();
          inString = true;
        } else {
          stack[stack.length - 1]!--;
        }
      }
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < filter.length && /[A-Za-z0-9_]/.test(filter[j]!)) j++;
      const word = filter.slice(i, j);
      const before = filter.slice(0, i).trimEnd().at(-1);
      if (MODULE_WORDS.has(word) && before !== "." && before !== "$") return word;
      i = j - 1;
    }
  }
  return undefined;
}

/** Where `operand` goes for the real program: as written when that reaches `resolved`. */
function spelled(operand: string, resolved: string, cwd: string): string {
  return normalizePath(operand, cwd) === resolved ? operand : resolved;
}

/** Works out what `jq-query ARGS` will do. */
export function planJq(argv: readonly string[], env: WatchtowerEnvironment): ShimPlan {
  const rest: string[] = [];
  const pairs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (!PAIRS.has(word)) {
      rest.push(word);
      continue;
    }
    const option = word.slice(2);
    if (REFUSED[option]) throw usage(`${word} is refused: ${REFUSED[option]}`);
    const name = argv[i + 1];
    const value = argv[i + 2];
    if (name === undefined || value === undefined) throw usage(`${word} needs NAME and VALUE`);
    if (!NAME.test(name)) throw usage(`invalid variable name for ${word}: '${name}'`);
    if (option === "argjson") {
      try {
        JSON.parse(value);
      } catch {
        throw usage(`--argjson ${name}: the value is not JSON`);
      }
    }
    pairs.push(word, name, value);
    i += 2;
  }
  const parsed = parseCommand(rest, SPEC);
  for (const name of parsed.options.keys()) {
    if (REFUSED[name]) {
      throw usage(`${name.length === 1 ? "-" : "--"}${name} is refused: ${REFUSED[name]}`);
    }
  }
  const flags: string[] = [];
  for (const [name, values] of parsed.options) {
    if (name !== "indent") {
      flags.push(`--${name}`);
      continue;
    }
    const value = values.at(-1)!;
    if (!/^[0-7]$/.test(value)) throw usage(`--indent takes a number from 0 to 7, not '${value}'`);
    flags.push("--indent", value);
  }
  const [filter, ...files] = parsed.operands;
  if (filter === undefined) throw usage("missing FILTER");
  if (filter.includes("\0")) throw usage("a filter cannot contain a NUL byte");
  const loads = moduleWord(filter);
  if (loads !== undefined) {
    throw usage(`filters that use ${loads} are refused: modules are read from outside the FILEs`);
  }
  const intents: PlannedIntent[] = [];
  const fileArgs: string[] = [];
  let stdin = files.length === 0;
  for (const file of files) {
    if (file === "-") {
      stdin = true;
      fileArgs.push("-");
      continue;
    }
    const path = resolvePath(file, env.cwd, "all");
    fileArgs.push(spelled(file, path, env.cwd));
    intents.push({ domain: "search", operation: "query", target: { path, filter } });
  }
  if (stdin) {
    intents.push({
      domain: "search",
      operation: "query",
      target: { path: "/dev/stdin", filter, stdin: true },
    });
  }
  // jq loads ~/.jq, when it is a file, into every program: it is read too, and may not load
  // modules either.
  let refusal: string | undefined;
  const rc = env.home === undefined ? undefined : `${env.home.replace(/\/+$/, "")}/.jq`;
  if (rc !== undefined && isFile(rc)) {
    intents.push({ domain: "filesystem", operation: "read", target: { path: rc } });
    let word: string | undefined;
    try {
      word = moduleWord(Deno.readTextFileSync(rc));
    } catch {
      word = "an unreadable file";
    }
    if (word !== undefined) {
      refusal = `${rc}, which jq loads into every filter, uses ${word}: modules are never loaded`;
    }
  }
  // jq 1.6 takes -- only after the filter; leading blanks are nothing in jq, so " -1" is the
  // filter -1 and never an option.
  const program = filter.startsWith("-") ? ` ${filter}` : filter;
  return {
    tool: "jq-query",
    program: "jq",
    args: [...flags, ...pairs, program, ...(fileArgs.length > 0 ? ["--", ...fileArgs] : [])],
    intents,
    ...(stdin ? { stdin: true } : {}),
    ...(refusal !== undefined ? { refusal } : {}),
  };
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The jq-query command. */
export const JQ_QUERY: ShimSpec = { name: "jq-query", program: "jq", usage: USAGE, plan: planJq };

if (import.meta.main) await main(JQ_QUERY);
