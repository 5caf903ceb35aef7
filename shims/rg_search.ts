/**
 * `rg-search`: ripgrep, decided per PATH on the path rg will search (every symlink resolved).
 * Options that make rg run other programs or follow links out of the checked tree are refused;
 * a walk of a directory never descends into well-known secret files; the default policy passes
 * the output through the secret redactor (rule redact-read-output).
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import { normalizePath } from "../core/match/path.ts";
import { resolvePath } from "../core/shim/paths.ts";
import type { PlannedIntent, ShimPlan } from "../core/shim/runner.ts";
import { type ArgSpec, type OptionSpec, parseCommand, type ParsedCommand, usage } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";

const USAGE = `rg-search — ripgrep (rg), checked by Watchtower

Usage: rg-search [OPTION]... PATTERN [PATH]...
       rg-search [OPTION]... -e PATTERN... [PATH]...
       rg-search [OPTION]... --files [PATH]...

Each PATH is one intent {domain: search, operation: search (list for --files), target: {path,
pattern, recursive, hidden, no_ignore}} on the path it resolves to (every symlink and ..
resolved); - is standard input (path /dev/stdin, stdin: true). With no PATH, rg searches the
working directory, or standard input when that is a pipe or a file: both are decided unless
standard input is a terminal. rg gets that path after -- (as written when no symlink is on the way, so its
output reads as rg's; else absolute) and every pattern as --regexp=PATTERN, so a pattern that
starts with - is a pattern. A -f FILE pattern file is also a filesystem read intent on FILE.
Walking a directory, rg never descends into secret files, whatever the options: .env, .env.*,
*.pem, id_rsa*, id_ed25519*, credentials*, .ssh, .aws, .gnupg, .azure, .kube, .netrc,
.git-credentials, .docker/config.json, .config/gcloud, shadow, gshadow, sudoers (name them as a
PATH to have the policy decide). A walk that would reach Watchtower's state directory is also
decided as a search of that directory. rg's config file is never read (--no-config).

Options (as rg's):
  -e, --regexp PATTERN   -f, --file FILE        -F, --fixed-strings    -w, --word-regexp
  -x, --line-regexp      -i, --ignore-case      -S, --smart-case       -s, --case-sensitive
  -v, --invert-match     -n, --line-number      -N, --no-line-number   -o, --only-matching
  -l, --files-with-matches  --files-without-match  -c, --count  --count-matches  --files
  -H, --with-filename    -I, --no-filename      --heading  --no-heading  --column  --vimgrep
  -A, -B, -C N (--after-context, --before-context, --context)   -m, --max-count N
  -d, --max-depth N      -g, --glob GLOB        --iglob GLOB           --glob-case-insensitive
  -t, --type TYPE        -T, --type-not TYPE    -., --hidden           --no-ignore
  -u, --unrestricted (up to -uuu)               -a, --text             -U, --multiline
  --multiline-dotall     -P, --pcre2            -q, --quiet            -b, --byte-offset
  -0, --null             --trim                 --no-messages          --stats
  --passthru             --sort, --sortr KEY    -M, --max-columns N    --max-columns-preview
  --max-filesize SIZE    -j, --threads N        -r, --replace TEXT     --color never|auto
  -E, --encoding ENC     --one-file-system
Refused: --pre, --pre-glob, -z/--search-zip (run other programs), -L/--follow (leaves the
checked tree), --ignore-file, --json (its base64 fields would carry secrets past the redactor),
--color always|ansi and -p/--pretty (colour codes would split secrets past it), -f - (patterns
from standard input).
Exit: rg's code (1: no match); 77 denied, 75 approval required, 64 bad usage, 69 rg is not
installed.`;

/** Basenames (gitignore-style globs) a directory walk never enters, whatever the options. */
export const SECRET_EXCLUDES: readonly string[] = [
  ".env",
  ".env.*",
  "*.pem",
  "id_rsa*",
  "id_ed25519*",
  "credentials*",
  ".ssh",
  ".aws",
  ".gnupg",
  ".azure",
  ".kube",
  ".netrc",
  ".git-credentials",
  "**/.docker/config.json",
  "**/.config/gcloud",
  "shadow",
  "shadow-",
  "gshadow",
  "gshadow-",
  "sudoers",
  "sudoers.d",
];

type Check = "count" | "glob" | "text" | "color" | "sort" | "size" | "encoding";

/** One rg option: how it is spelled, whether it takes a value, and how it is checked. */
interface RgOption {
  long: string;
  short?: string;
  value?: Check;
  /** Refused, with why. */
  refused?: string;
}

const RUNS = "it makes rg run another program";
const COLOUR = "colour codes inside a match would split secrets past the redactor";
const OPTIONS: readonly RgOption[] = [
  { long: "regexp", short: "e", value: "text" },
  { long: "file", short: "f", value: "text" },
  { long: "fixed-strings", short: "F" },
  { long: "word-regexp", short: "w" },
  { long: "line-regexp", short: "x" },
  { long: "ignore-case", short: "i" },
  { long: "smart-case", short: "S" },
  { long: "case-sensitive", short: "s" },
  { long: "invert-match", short: "v" },
  { long: "line-number", short: "n" },
  { long: "no-line-number", short: "N" },
  { long: "only-matching", short: "o" },
  { long: "files-with-matches", short: "l" },
  { long: "files-without-match" },
  { long: "count", short: "c" },
  { long: "count-matches" },
  { long: "files" },
  { long: "with-filename", short: "H" },
  { long: "no-filename", short: "I" },
  { long: "heading" },
  { long: "no-heading" },
  { long: "column" },
  { long: "vimgrep" },
  { long: "after-context", short: "A", value: "count" },
  { long: "before-context", short: "B", value: "count" },
  { long: "context", short: "C", value: "count" },
  { long: "max-count", short: "m", value: "count" },
  { long: "max-depth", short: "d", value: "count" },
  { long: "glob", short: "g", value: "glob" },
  { long: "iglob", value: "glob" },
  { long: "glob-case-insensitive" },
  { long: "type", short: "t", value: "text" },
  { long: "type-not", short: "T", value: "text" },
  { long: "hidden", short: "." },
  { long: "no-ignore" },
  { long: "unrestricted", short: "u" },
  { long: "text", short: "a" },
  { long: "multiline", short: "U" },
  { long: "multiline-dotall" },
  { long: "pcre2", short: "P" },
  { long: "quiet", short: "q" },
  { long: "byte-offset", short: "b" },
  { long: "null", short: "0" },
  { long: "trim" },
  { long: "no-messages" },
  { long: "stats" },
  { long: "passthru" },
  { long: "sort", value: "sort" },
  { long: "sortr", value: "sort" },
  { long: "max-columns", short: "M", value: "count" },
  { long: "max-columns-preview" },
  { long: "max-filesize", value: "size" },
  { long: "threads", short: "j", value: "count" },
  { long: "replace", short: "r", value: "text" },
  { long: "color", value: "color" },
  { long: "encoding", short: "E", value: "encoding" },
  { long: "one-file-system" },
  { long: "pre", value: "text", refused: RUNS },
  { long: "pre-glob", value: "text", refused: RUNS },
  { long: "search-zip", short: "z", refused: "it makes rg run decompression programs" },
  { long: "follow", short: "L", refused: "it follows symlinks out of the checked paths" },
  { long: "ignore-file", value: "text", refused: "it reads a file outside the checked paths" },
  { long: "json", refused: "its base64 fields would carry secrets past the redactor" },
  { long: "pretty", short: "p", refused: COLOUR },
];

const BY_LONG = new Map(OPTIONS.map((option) => [option.long, option]));

const SPEC: ArgSpec = (() => {
  const short: Record<string, OptionSpec> = {};
  const long: Record<string, OptionSpec> = {};
  for (const option of OPTIONS) {
    const spec = { name: option.long, value: option.value !== undefined };
    long[option.long] = spec;
    if (option.short) short[option.short] = spec;
  }
  long["passthrough"] = long["passthru"]!;
  return { short, long };
})();

const CHECKS: Record<Check, (value: string) => boolean> = {
  count: (v) => /^\d{1,9}$/.test(v),
  glob: (v) => v !== "" && !v.includes("\0"),
  text: (v) => !v.includes("\0"),
  color: (v) => v === "never" || v === "auto", // rg's output is never a terminal here
  sort: (v) => ["path", "modified", "accessed", "created", "none"].includes(v),
  size: (v) => /^\d{1,12}[KMG]?$/.test(v),
  encoding: (v) => /^[A-Za-z0-9_-]{1,40}$/.test(v),
};

/**
 * The options of `argv` one by one, in the order given (parseCommand groups them by name): each
 * option word, with its value word when it takes one, is parsed on its own.
 */
function inOrder(argv: readonly string[]): Array<[string, string]> {
  const sequence: Array<[string, string]> = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") break;
    if (!word.startsWith("-") || word === "-") continue;
    const group = takesNext(word) ? [word, argv[++i] ?? ""] : [word];
    const parsed: ParsedCommand = parseCommand(group, SPEC);
    for (const [name, values] of parsed.options) {
      for (const value of values) sequence.push([name, value]);
    }
  }
  return sequence;
}

/** Whether an option word takes the next word as its value (`-A 3`, `--glob X`, `-nA 3`). */
function takesNext(word: string): boolean {
  if (word.startsWith("--")) {
    return !word.includes("=") && SPEC.long?.[word.slice(2)]?.value === true;
  }
  for (let j = 1; j < word.length; j++) {
    if (SPEC.short?.[word[j]!]?.value) return j === word.length - 1;
  }
  return false;
}

/** Where `operand` goes for the real program: as written when that reaches `resolved`. */
function spelled(operand: string, resolved: string, cwd: string): string {
  return normalizePath(operand, cwd) === resolved ? operand : resolved;
}

/**
 * Whether standard input may be what rg searches when no PATH is given: rg searches it when it is
 * a pipe, a file or a socket. The permission set cannot stat it (/dev/stdin needs all access), so
 * only a terminal is known not to be; otherwise both standard input and the working directory are
 * decided and rg picks one, as the raw rg would.
 */
function stdinMayBeSearched(): boolean {
  try {
    return !Deno.stdin.isTerminal();
  } catch {
    return true;
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Options for planning, injectable for tests. */
export interface RgPlanOptions {
  /** Whether rg may search the caller's standard input (default: it is not a terminal). */
  stdinMayBeSearched?: () => boolean;
}

/** Works out what `rg-search ARGS` will do. */
export function planRg(
  argv: readonly string[],
  env: WatchtowerEnvironment,
  options: RgPlanOptions = {},
): ShimPlan {
  const parsed = parseCommand(argv, SPEC);
  for (const name of parsed.options.keys()) {
    const option = BY_LONG.get(name)!;
    if (option.refused) throw usage(`--${name} is refused: ${option.refused}`);
  }
  if ((parsed.options.get("unrestricted")?.length ?? 0) > 3) {
    throw usage("-u may be given at most three times");
  }
  // rg lets a later option override an earlier one (-i then -s): pass them on in their order.
  const flags: string[] = ["--no-config"];
  for (const [name, value] of inOrder(argv)) {
    const option = BY_LONG.get(name)!;
    if (name === "regexp" || name === "file") continue;
    if (option.value === undefined) {
      flags.push(name === "unrestricted" ? "-u" : `--${name}`);
      continue;
    }
    if (!CHECKS[option.value](value)) throw usage(`invalid value for --${name}: '${value}'`);
    flags.push(`--${name}=${value}`);
  }
  const has = (name: string) => parsed.options.has(name);
  const listing = has("files");
  const operands = [...parsed.operands];
  const patterns = parsed.options.get("regexp") ?? [];
  const patternFiles = parsed.options.get("file") ?? [];
  if (!listing && patterns.length === 0 && patternFiles.length === 0) {
    const first = operands.shift();
    if (first === undefined) throw usage("missing PATTERN");
    patterns.push(first);
  }
  if (listing && (patterns.length > 0 || patternFiles.length > 0)) {
    throw usage("--files takes no pattern");
  }
  if (patterns.some((p) => p.includes("\0"))) throw usage("a pattern cannot contain a NUL byte");
  const intents: PlannedIntent[] = [];
  const fileArgs: string[] = [];
  for (const file of patternFiles) {
    if (file === "-") throw usage("-f - (patterns from standard input) is not supported");
    const path = resolvePath(file, env.cwd, "all");
    intents.push({ domain: "filesystem", operation: "read", target: { path } });
    fileArgs.push(`--file=${path}`);
  }
  const hidden = has("hidden") || (parsed.options.get("unrestricted")?.length ?? 0) >= 2;
  const noIgnore = has("no-ignore") || has("unrestricted");
  const pattern = patterns.length === 0 ? null : patterns.length === 1 ? patterns[0]! : patterns;
  const common = { pattern, hidden, no_ignore: noIgnore };
  const operation = listing ? "list" : "search";
  let stdin = false;
  const pathArgs: string[] = [];
  const stdinIntent = (): PlannedIntent => ({
    domain: "search",
    operation,
    target: { path: "/dev/stdin", ...common, recursive: false, stdin: true },
  });
  for (const operand of operands) {
    if (operand === "-") {
      stdin = true;
      pathArgs.push("-");
      intents.push(stdinIntent());
      continue;
    }
    const path = resolvePath(operand, env.cwd, "all");
    pathArgs.push(spelled(operand, path, env.cwd));
    intents.push(...searchIntents(path, operation, common, env));
  }
  if (operands.length === 0) {
    // No PATH: rg searches standard input when it is a pipe or a file, else the working
    // directory, naming files relative to it as the raw rg does.
    if (!listing && (options.stdinMayBeSearched ?? stdinMayBeSearched)()) {
      stdin = true;
      intents.push(stdinIntent());
    }
    intents.push(...searchIntents(env.cwd, operation, common, env));
  }
  // rg applies --iglob globs after --glob ones, and the last matching glob wins: the secret
  // exclusions come last so that no include glob of the caller's can bring a secret back.
  const excludes = SECRET_EXCLUDES.map((glob) => `--iglob=!${glob}`);
  const patternArgs = patterns.map((p) => `--regexp=${p}`);
  return {
    tool: "rg-search",
    program: "rg",
    args: [
      ...flags,
      ...excludes,
      ...patternArgs,
      ...fileArgs,
      ...(pathArgs.length > 0 ? ["--", ...pathArgs] : []),
    ],
    intents,
    ...(stdin ? { stdin: true } : {}),
  };
}

/**
 * The intents for searching `path`: its own, and when the walk would reach Watchtower's state
 * directory (inside it, and hidden directories searched or none on the way), one for that too.
 */
function searchIntents(
  path: string,
  operation: string,
  common: { pattern: string | string[] | null; hidden: boolean; no_ignore: boolean },
  env: WatchtowerEnvironment,
): PlannedIntent[] {
  const recursive = isDirectory(path);
  const intents: PlannedIntent[] = [{
    domain: "search",
    operation,
    target: { path, ...common, recursive },
  }];
  const state = env.stateDir;
  const prefix = path === "/" ? "/" : `${path}/`;
  if (recursive && state.startsWith(prefix)) {
    const below = state.slice(prefix.length).split("/");
    if (common.hidden || !below.some((part) => part.startsWith("."))) {
      intents.push({
        domain: "search",
        operation,
        target: { path: state, ...common, recursive: true, searched: path },
      });
    }
  }
  return intents;
}

/** The rg-search command. */
export const RG_SEARCH: ShimSpec = {
  name: "rg-search",
  program: "rg",
  usage: USAGE,
  plan: (argv, env) => planRg(argv, env),
};

if (import.meta.main) await main(RG_SEARCH);
