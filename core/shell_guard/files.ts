/**
 * The files a shell command names, as the guard decides them: where each file command writes,
 * moves or deletes (rm, cp, mv, install, ln, tee, touch, mkdir, truncate, dd, chmod, chown), and
 * which arguments name secrets (the default policy's deny-secrets list; globs are expanded the
 * way the shell will expand them). Paths are resolved against the working directory of the line
 * as it runs, following symlinks as the kernel will.
 * @module
 */
import { compileGlob, type Glob } from "../match/glob.ts";
import { normalizePath } from "../match/path.ts";
import { resolvePath } from "../shim/paths.ts";

/**
 * The paths deny-secrets (core/policy/default_policy.ts) denies: arguments naming one become
 * filesystem `read` intents, so whatever the policy says of secrets applies to shell lines. A
 * test keeps the two lists equal.
 */
export const SECRET_PATH_PATTERNS: readonly string[] = [
  "~/.ssh/**",
  "~/.aws/**",
  "~/.gnupg/**",
  "~/.config/gcloud/**",
  "~/.azure/**",
  "~/.kube/config",
  "~/.docker/config.json",
  "~/.netrc",
  "~/.git-credentials",
  "~/.config/watchtower-operator/**",
  "**/.env",
  "**/.env.*",
  "**/*.pem",
  "**/id_rsa*",
  "**/id_ed25519*",
  "**/credentials*",
  "/etc/shadow",
  "/etc/gshadow",
  "/etc/sudoers",
  "/etc/sudoers.d/**",
];

/** Where a line's commands run: the directory (while known) and the home directory. */
export interface PathScope {
  cwd: string;
  /** False after a `cd` the analysis cannot follow: relative paths are then unknown. */
  cwdKnown: boolean;
  home?: string | undefined;
}

/** A path a command names, resolved. */
export interface NamedPath {
  path: string;
  /** The path is only known when the line runs (`$OUT`, `$(…)`, a relative path after `cd $X`). */
  dynamic: boolean;
}

const DYNAMIC = /[$`]/;
const GLOB_CHARS = /[*?[]/;

/**
 * Expands `~`, `$HOME` and `${HOME}` at the start of a word and resolves it against the scope.
 * A word that still holds an expansion is resolved as written and marked dynamic.
 */
export function namePath(
  word: string,
  scope: PathScope,
  follow: "all" | "parent" | "none",
): NamedPath {
  let text = word;
  const home = scope.home?.replace(/\/+$/, "");
  if (home !== undefined) {
    if (text === "~" || text === "$HOME" || text === "${HOME}") text = home;
    else if (text.startsWith("~/")) text = home + text.slice(1);
    else if (text.startsWith("$HOME/")) text = home + text.slice(5);
    else if (text.startsWith("${HOME}/")) text = home + text.slice(7);
  }
  const dynamic = DYNAMIC.test(text) || (!text.startsWith("/") && !scope.cwdKnown);
  if (dynamic || follow === "none" || text.includes("\0") || text === "") {
    return {
      path: normalizePath(text === "" ? "." : text.replaceAll("\0", ""), scope.cwd),
      dynamic,
    };
  }
  try {
    return { path: resolvePath(text, scope.cwd, follow), dynamic };
  } catch {
    // A symlink loop: the lexical form is what can be decided.
    return { path: normalizePath(text, scope.cwd), dynamic };
  }
}

/** An operation a file command performs on a path. */
export interface FileEffect {
  operation: string;
  word: string;
}

interface OptionSpec {
  /** Short options that take a value (`t` for `cp -t DIR`). */
  short: string;
  /** Long options that take a value when given as a separate word. */
  long: readonly string[];
}

const NO_VALUES: OptionSpec = { short: "", long: [] };
const COPY_OPTIONS: OptionSpec = {
  short: "tS",
  long: ["--target-directory", "--suffix"],
};
const OPTION_SPECS: Readonly<Record<string, OptionSpec>> = {
  cp: COPY_OPTIONS,
  mv: COPY_OPTIONS,
  ln: COPY_OPTIONS,
  install: {
    short: "tSmog",
    long: ["--target-directory", "--suffix", "--mode", "--owner", "--group"],
  },
  rm: NO_VALUES,
  rmdir: NO_VALUES,
  unlink: NO_VALUES,
  shred: { short: "nsx", long: ["--iterations", "--size", "--random-source"] },
  tee: NO_VALUES,
  touch: { short: "drt", long: ["--date", "--reference"] },
  mkdir: { short: "m", long: ["--mode"] },
  truncate: { short: "sr", long: ["--size", "--reference"] },
  chmod: NO_VALUES,
  chown: NO_VALUES,
  chgrp: NO_VALUES,
  sed: { short: "efl", long: ["--expression", "--file", "--line-length"] },
};

/** Operands and the values of options, read the way GNU tools read them. */
function readOptions(args: readonly string[], spec: OptionSpec) {
  const positionals: string[] = [];
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      if (eq > 0) values.set(arg.slice(0, eq), arg.slice(eq + 1));
      else if (spec.long.includes(arg) && i + 1 < args.length) values.set(arg, args[++i]!);
      else flags.add(arg);
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        if (!spec.short.includes(letter)) {
          flags.add(`-${letter}`);
          continue;
        }
        const rest = arg.slice(j + 1);
        if (rest !== "") values.set(`-${letter}`, rest);
        else if (i + 1 < args.length) values.set(`-${letter}`, args[++i]!);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { positionals, values, flags };
}

/** What a file command does to the paths it names (empty for other programs). */
export function fileEffects(program: string, argv: readonly string[]): FileEffect[] {
  const args = argv.slice(1);
  if (program === "dd") {
    return args.filter((a) => a.startsWith("of=")).map((a) => ({
      operation: "write",
      word: a.slice(3),
    }));
  }
  const spec = OPTION_SPECS[program];
  if (!spec) return [];
  const { positionals, values, flags } = readOptions(args, spec);
  const each = (operation: string, words: readonly string[]) =>
    words.map((word) => ({ operation, word }));
  switch (program) {
    case "rm":
    case "rmdir":
    case "unlink":
    case "shred":
      return each("delete", positionals);
    case "tee":
    case "truncate":
      return each("write", positionals);
    case "touch":
      return each("touch", positionals);
    case "mkdir":
      return each("mkdir", positionals);
    case "chmod":
      // The first operand is the mode unless --reference gives it.
      return each("chmod", values.has("--reference") ? positionals : positionals.slice(1));
    case "chown":
    case "chgrp":
      return each("chown", values.has("--reference") ? positionals : positionals.slice(1));
    case "sed": {
      if (
        !flags.has("-i") && ![...flags, ...values.keys()].some((f) => f.startsWith("--in-place"))
      ) {
        return [];
      }
      const scripted = values.has("-e") || values.has("-f") || values.has("--expression") ||
        values.has("--file");
      return each("write", scripted ? positionals : positionals.slice(1));
    }
    case "install":
      if (flags.has("-d") || flags.has("--directory")) return each("mkdir", positionals);
      // falls through: install copies like cp
  }
  const directory = values.get("-t") ?? values.get("--target-directory");
  const operation = program === "ln" ? "link" : "write";
  let sources: string[];
  let destination: string | undefined;
  if (directory !== undefined) {
    sources = positionals;
    destination = directory;
  } else if (positionals.length >= 2) {
    sources = positionals.slice(0, -1);
    destination = positionals.at(-1);
  } else {
    sources = positionals;
  }
  const effects = program === "mv" ? each("move", sources) : [];
  if (destination !== undefined) effects.push({ operation, word: destination });
  return effects;
}

let secretGlobs: { home: string | undefined; exact: Glob[]; anywhere: Glob[] } | undefined;

function globsFor(home: string | undefined) {
  if (secretGlobs === undefined || secretGlobs.home !== home) {
    const fill = (pattern: string) =>
      pattern.startsWith("~/")
        ? home === undefined ? undefined : home.replace(/[\\*?[\]]/g, "\\$&") + pattern.slice(1)
        : pattern;
    const exact = SECRET_PATH_PATTERNS.flatMap((p) => {
      const filled = fill(p);
      return filled === undefined ? [] : [compileGlob(filled, { path: true })];
    });
    // A path only known when it runs ($(echo ~)/.ssh/id): the home-relative patterns anywhere.
    const anywhere = SECRET_PATH_PATTERNS.map((p) =>
      compileGlob(p.startsWith("~/") ? `**/${p.slice(2)}` : p, { path: true })
    );
    secretGlobs = { home, exact, anywhere };
  }
  return secretGlobs;
}

/**
 * A literal every secret path holds (the longest of each pattern): paths without any are not
 * matched against the globs at all.
 */
const SECRET_HINTS: readonly string[] = SECRET_PATH_PATTERNS.map((pattern) =>
  pattern.replace(/^~\//, "").split(/[*?[\]]+/).reduce((a, b) => (b.length > a.length ? b : a), "")
    .replace(/^\/+|\/+$/g, "")
);

/** Whether `path` is a secret by the deny-secrets list (`dynamic`: wherever it may be). */
export function isSecretPath(path: string, home: string | undefined, dynamic = false): boolean {
  if (!SECRET_HINTS.some((hint) => path.includes(hint))) return false;
  const globs = globsFor(home);
  return (dynamic ? globs.anywhere : globs.exact).some((glob) => glob.test(path));
}

const MAX_EXPANSIONS = 256;
const MAX_ENTRIES = 4096;

/**
 * The paths a glob word expands to now, as the shell would expand it (hidden files only for a
 * pattern starting with `.`); at most 256. Without a match the shell passes the word as it is.
 */
export function expandGlob(path: string): string[] {
  if (!path.startsWith("/")) return [];
  const components = path.split("/").filter((c) => c !== "");
  let current = ["/"];
  let entries = 0;
  for (const component of components) {
    const next: string[] = [];
    if (!GLOB_CHARS.test(component)) {
      for (const dir of current) next.push(dir === "/" ? `/${component}` : `${dir}/${component}`);
    } else {
      let glob: Glob;
      try {
        glob = compileGlob(component, { path: true });
      } catch {
        return [];
      }
      for (const dir of current) {
        try {
          for (const entry of Deno.readDirSync(dir)) {
            if (++entries > MAX_ENTRIES) return next;
            if (entry.name.startsWith(".") && !component.startsWith(".")) continue;
            if (glob.test(entry.name)) {
              next.push(dir === "/" ? `/${entry.name}` : `${dir}/${entry.name}`);
            }
            if (next.length >= MAX_EXPANSIONS) break;
          }
        } catch {
          // not a readable directory: no match here
        }
      }
    }
    current = next;
    if (current.length === 0) return [];
  }
  return current;
}

/**
 * The ways each argument of an argv could name a file, most specific first: after `@` (curl
 * `-d @file`, `-F name=@file`), after `=` (`--key=F`, `if=F`), after a short option (`-iF`), the
 * word itself.
 */
export function pathWords(argv: readonly string[]): string[][] {
  const groups: string[][] = [];
  for (const word of argv.slice(1)) {
    if (word === "" || word === "--" || word === "-" || word.includes("://")) continue;
    const forms: string[] = [];
    const eq = word.indexOf("=");
    const at = word.indexOf("@");
    if (at === 0 || (at > 0 && word[at - 1] === "=")) forms.push(word.slice(at + 1));
    if (eq > 0) forms.push(word.slice(eq + 1));
    if (!word.startsWith("-")) forms.push(word);
    else if (eq < 0 && !word.startsWith("--") && word.length > 2) forms.push(word.slice(2));
    const nonEmpty = forms.filter((form) => form !== "");
    if (nonEmpty.length > 0) groups.push(nonEmpty);
  }
  return groups;
}

/** The secrets among the paths `argv` names: each as the path the guard decides. */
export function secretsNamed(argv: readonly string[], scope: PathScope): NamedPath[] {
  const found: NamedPath[] = [];
  const seen = new Set<string>();
  const add = (named: NamedPath) => {
    if (seen.has(named.path)) return;
    seen.add(named.path);
    found.push(named);
  };
  for (const forms of pathWords(argv)) {
    for (const form of forms) {
      const secrets = secretsOf(form, scope);
      if (secrets.length === 0) continue;
      secrets.forEach(add);
      break;
    }
  }
  return found;
}

function secretsOf(word: string, scope: PathScope): NamedPath[] {
  const lexical = namePath(word, scope, "none");
  if (lexical.dynamic) return isSecretPath(lexical.path, scope.home, true) ? [lexical] : [];
  if (isSecretPath(lexical.path, scope.home)) return [lexical];
  const found: NamedPath[] = [];
  // Through symlinks (a link in the project to a key): only for words that can be file names
  // with a path or an extension, as looking a word up costs a system call or two.
  if (/[/.]/.test(word)) {
    const resolved = namePath(word, scope, "all");
    if (isSecretPath(resolved.path, scope.home)) found.push(resolved);
  }
  if (GLOB_CHARS.test(word)) {
    for (const match of expandGlob(lexical.path)) {
      const resolved = namePath(match, scope, "all");
      if (isSecretPath(match, scope.home)) found.push({ path: match, dynamic: false });
      else if (isSecretPath(resolved.path, scope.home)) found.push(resolved);
    }
  }
  return found;
}
