/**
 * `kubectl-exec-read`: a read-only command in a pod's container (`kubectl exec POD -- CMD`). The
 * command must be on a fixed allowlist, with only the options listed for it; it runs as an
 * argument array (no shell, pipes or redirection) rebuilt from what was checked, so the container
 * sees exactly the options and operands that were allowed.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import { WatchtowerError } from "../core/errors.ts";
import { normalizePath } from "../core/match/path.ts";
import type { ShimPlan } from "../core/shim/runner.ts";
import { type ArgSpec, last, type OptionSpec, parseCommand, usage } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";
import {
  checkContainer,
  checkContext,
  checkNamespace,
  kubeconfigVariable,
  kubeTarget,
  podOperand,
  printable,
  resolveScope,
  SCOPE_LONG,
  SCOPE_SHORT,
  scopeArgs,
} from "./_kubectl.ts";

const USAGE = `kubectl-exec-read — kubectl exec of a read-only command, checked by Watchtower

Usage: kubectl-exec-read [--context C] [-n NS|--namespace NS] POD [-c C|--container C]
                         -- COMMAND [ARGS...]

COMMAND runs in the container as an argument array (no shell, pipes or redirection) and must be
one of these, with only these options (anything else is refused, exit 77):
  cat [-AbeEnstTuv] FILE...            head|tail [-n N] [-c N] [-qv] FILE...  (-N = -n N; no -f)
  ls [-aAlhRtrS1dinFpscuUX] [PATH...]  wc [-lwcmL] FILE...     stat [-Lft] [-c FMT] FILE...
  grep [-inrlLcvwxFEGHhosqIa] [-e PAT] [-m N] [-A|-B|-C N] [--include|--exclude|--exclude-dir G]
       PATTERN FILE...                 (-r needs absolute paths, not /, /proc, /sys, /dev, /run)
  find [PATH...] [tests: -name -type -maxdepth -size -mtime -newer -perm -user … -print -ls
       -printf ( ) ! -o -a]            (-exec, -execdir, -ok, -delete, -fprint*, -fls refused)
  ps [-eAfFlwHj] [-p PIDS] [-u USER] [aux]      df [-hHkTiaPl] [PATH...]
  du [-shackmx] [-d N] [PATH...]       id [-ugGnr] [USER]      uname [-asnrvmpio]
  date [-uR] [-d TEXT] [+FORMAT]       hostname [-sfiId]       pwd     whoami
Not offered: env and printenv (they print secrets), anything that writes, waits or runs another
program. Refused whatever the policy: paths with an 'environ' component, /proc/*/mem, mounted
Secrets and service-account tokens (any path through run/secrets).
Without --context the kubeconfig's current context is used, without -n that context's namespace
(else 'default'); kubectl is then told exactly those. Output passes the secret redactor when the
policy says so (the default policy does).
Exit: the command's code; 77 denied or refused, 75 approval required, 64 bad usage, 69 kubectl
is not installed.`;

const SPEC = {
  short: { ...SCOPE_SHORT, c: { name: "container", value: true } },
  long: { ...SCOPE_LONG, container: { name: "container", value: true } },
};
const VALUED = new Set(["-n", "--namespace", "--context", "-c", "--container"]);

/** Caps that keep a command line (and its ledger entry) a sane size. */
const MAX_WORDS = 256;
const MAX_WORD = 4096;

type Operands = "none" | "paths" | "files" | "pattern" | "user" | "date" | "ps";

/** What one allowlisted command accepts. */
interface Allowed {
  /** Short options without a value. */
  flags?: string;
  /** Short options with a value, and the check the value must pass. */
  values?: Record<string, RegExp>;
  /** Long options: the short letter they stand for, or (long-only) `true` or a value check. */
  long?: Record<string, string | true | RegExp>;
  operands: Operands;
}

const COUNT = /^[+-]?[0-9]{1,12}$/;
const NUMBER = /^[0-9]{1,9}$/;
const ANY = /^[\s\S]*$/;

/** The allowlist: every command and option kubectl-exec-read lets through. */
export const READ_COMMANDS: Readonly<Record<string, Allowed>> = {
  cat: {
    flags: "AbeEnstTuv",
    long: { "show-all": "A", "number-nonblank": "b", number: "n", "squeeze-blank": "s" },
    operands: "files",
  },
  head: {
    flags: "qv",
    values: { n: COUNT, c: COUNT },
    long: { lines: "n", bytes: "c", quiet: "q", silent: "q", verbose: "v" },
    operands: "files",
  },
  tail: {
    flags: "qv",
    values: { n: COUNT, c: COUNT },
    long: { lines: "n", bytes: "c", quiet: "q", silent: "q", verbose: "v" },
    operands: "files",
  },
  ls: {
    flags: "aAlhRtrS1dinFpscuUX",
    long: {
      all: "a",
      "almost-all": "A",
      "human-readable": "h",
      recursive: "R",
      reverse: "r",
      directory: "d",
      inode: "i",
      "numeric-uid-gid": "n",
      classify: "F",
      size: "s",
    },
    operands: "paths",
  },
  grep: {
    flags: "inrlLcvwxFEGHhosqIa",
    values: { e: ANY, m: NUMBER, A: NUMBER, B: NUMBER, C: NUMBER },
    long: {
      "ignore-case": "i",
      "line-number": "n",
      recursive: "r",
      "files-with-matches": "l",
      "files-without-match": "L",
      count: "c",
      "invert-match": "v",
      "word-regexp": "w",
      "line-regexp": "x",
      "fixed-strings": "F",
      "extended-regexp": "E",
      "basic-regexp": "G",
      "with-filename": "H",
      "no-filename": "h",
      "only-matching": "o",
      "no-messages": "s",
      quiet: "q",
      silent: "q",
      text: "a",
      regexp: "e",
      "max-count": "m",
      "after-context": "A",
      "before-context": "B",
      context: "C",
      include: ANY,
      exclude: ANY,
      "exclude-dir": ANY,
    },
    operands: "pattern",
  },
  ps: {
    flags: "eAfFlwHj",
    values: { p: /^[0-9]{1,9}(,[0-9]{1,9})*$/, u: /^[A-Za-z0-9_][A-Za-z0-9_.,-]*$/ },
    operands: "ps",
  },
  df: {
    flags: "hHkTiaPl",
    long: {
      "human-readable": "h",
      inodes: "i",
      all: "a",
      "print-type": "T",
      portability: "P",
      local: "l",
    },
    operands: "paths",
  },
  du: {
    flags: "shackmx",
    values: { d: NUMBER },
    long: {
      summarize: "s",
      "human-readable": "h",
      all: "a",
      total: "c",
      "max-depth": "d",
      "one-file-system": "x",
    },
    operands: "paths",
  },
  id: { flags: "ugGnr", operands: "user" },
  uname: {
    flags: "asnrvmpio",
    long: {
      all: "a",
      "kernel-name": "s",
      nodename: "n",
      "kernel-release": "r",
      "kernel-version": "v",
      machine: "m",
    },
    operands: "none",
  },
  date: {
    flags: "uR",
    values: { d: ANY },
    long: { utc: "u", universal: "u", "rfc-email": "R", date: "d" },
    operands: "date",
  },
  hostname: { flags: "sfiId", operands: "none" },
  wc: {
    flags: "lwcmL",
    long: { lines: "l", words: "w", bytes: "c", chars: "m", "max-line-length": "L" },
    operands: "files",
  },
  stat: {
    flags: "Lft",
    values: { c: ANY },
    long: { dereference: "L", "file-system": "f", terse: "t", format: "c" },
    operands: "files",
  },
  pwd: { operands: "none" },
  whoami: { operands: "none" },
};

const FIND_FLAGS = new Set([
  "-print",
  "-print0",
  "-ls",
  "-prune",
  "-quit",
  "-empty",
  "-readable",
  "-writable",
  "-executable",
  "-true",
  "-false",
  "-nouser",
  "-nogroup",
  "-xdev",
  "-mount",
  "-depth",
  "-daystart",
  "-noleaf",
  "-not",
  "!",
  "-a",
  "-and",
  "-o",
  "-or",
  "(",
  ")",
  ",",
]);
const FIND_VALUED = new Set([
  "-name",
  "-iname",
  "-path",
  "-ipath",
  "-wholename",
  "-iwholename",
  "-regex",
  "-iregex",
  "-regextype",
  "-type",
  "-xtype",
  "-maxdepth",
  "-mindepth",
  "-size",
  "-mtime",
  "-mmin",
  "-atime",
  "-amin",
  "-ctime",
  "-cmin",
  "-newer",
  "-anewer",
  "-cnewer",
  "-user",
  "-group",
  "-uid",
  "-gid",
  "-perm",
  "-links",
  "-inum",
  "-samefile",
  "-lname",
  "-ilname",
  "-used",
  "-printf",
]);
/** find actions that run programs, delete or write files: refused by name, with the reason. */
const FIND_REFUSED: Record<string, string> = {
  "-exec": "runs a program",
  "-execdir": "runs a program",
  "-ok": "runs a program",
  "-okdir": "runs a program",
  "-delete": "deletes files",
  "-fprint": "writes a file",
  "-fprint0": "writes a file",
  "-fprintf": "writes a file",
  "-fls": "writes a file",
};

/** A checked command: the argv the container will run and the paths it names. */
export interface CheckedCommand {
  argv: string[];
  paths: string[];
}

/** A command refused by the allowlist (a built-in refusal: exit 77 whatever the policy). */
export class Refused extends Error {
  override name = "Refused";
}

/**
 * Checks a command against the allowlist and rebuilds it from what was checked: options first,
 * one per word, then `--` and the operands. Throws {@link Refused} for anything not allowed.
 *
 * @example
 * ```ts
 * import { checkReadCommand } from "./kubectl_exec_read.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 * deepEqual(checkReadCommand(["tail", "-20", "/var/log/app.log"]).argv,
 *   ["tail", "-n", "20", "--", "/var/log/app.log"]);
 * throws(() => checkReadCommand(["tail", "-f", "/var/log/app.log"]));
 * throws(() => checkReadCommand(["find", "/", "-name", "x", "-exec", "rm", "{}", ";"]));
 * ```
 */
export function checkReadCommand(command: readonly string[]): CheckedCommand {
  const [program, ...rest] = command;
  if (program === undefined) throw new Refused("no command given");
  if (program === "find") return checkFind(rest);
  const allowed = Object.hasOwn(READ_COMMANDS, program) ? READ_COMMANDS[program] : undefined;
  if (!allowed) {
    throw new Refused(
      `'${printable(program)}' is not a read-only command on the allowlist (${
        Object.keys(READ_COMMANDS).concat("find").sort().join(", ")
      })`,
    );
  }
  // head -20, tail -5: the old count form, read as -n.
  const words = program === "head" || program === "tail"
    ? rest.flatMap((w) => /^-[0-9]{1,12}$/.test(w) ? ["-n", w.slice(1)] : [w])
    : rest;
  let parsed;
  try {
    parsed = parseCommand(words, argSpec(allowed));
  } catch (error) {
    if (error instanceof WatchtowerError && error.code === "usage") {
      throw new Refused(`${program}: ${error.message} (not allowed for a read-only command)`);
    }
    throw error;
  }
  const options: string[] = [];
  const patterns: string[] = [];
  for (const [name, values] of parsed.options) {
    const check = valueCheck(allowed, name);
    for (const value of values) {
      if (check === undefined) {
        options.push(name);
      } else if (!check.test(value)) {
        throw new Refused(`${program}: '${printable(value)}' is not a valid value for ${name}`);
      } else if (program === "grep" && name === "-e") {
        patterns.push(value);
      } else {
        options.push(...(name.startsWith("--") ? [`${name}=${value}`] : [name, value]));
      }
    }
  }
  const operands = [...parsed.operands];
  const recursive = program === "grep" && parsed.options.has("-r");
  switch (allowed.operands) {
    case "none":
      if (operands.length > 0) throw new Refused(`${program} takes no operands here`);
      return { argv: [program, ...options], paths: [] };
    case "date":
      if (operands.length > 1 || (operands[0] !== undefined && !operands[0].startsWith("+"))) {
        throw new Refused("date takes only +FORMAT here (setting the clock is not reading)");
      }
      return { argv: [program, ...options, ...operands], paths: [] };
    case "ps":
      if (operands.length > 1 || (operands[0] !== undefined && !/^[auxwf]+$/.test(operands[0]))) {
        throw new Refused(
          "ps takes only the BSD letters a, u, x, w, f here (e shows environments)",
        );
      }
      return { argv: [program, ...options, ...operands], paths: [] };
    case "user":
      if (
        operands.length > 1 ||
        (operands[0] !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(operands[0]))
      ) {
        throw new Refused("id takes at most one user name");
      }
      return {
        argv: [program, ...options, ...(operands.length > 0 ? ["--", ...operands] : [])],
        paths: [],
      };
    case "pattern": {
      if (patterns.length === 0) {
        const pattern = operands.shift();
        if (pattern === undefined) throw new Refused("grep needs a PATTERN");
        patterns.push(pattern);
      }
      if (operands.length === 0) throw new Refused("grep needs a FILE to read (stdin is empty)");
      for (const path of operands) checkPath(path, recursive);
      return {
        argv: [program, ...options, ...patterns.flatMap((p) => ["-e", p]), "--", ...operands],
        paths: operands,
      };
    }
    case "files":
    case "paths":
      if (allowed.operands === "files" && operands.length === 0) {
        throw new Refused(`${program} needs a FILE to read (stdin is empty)`);
      }
      for (const path of operands) checkPath(path, false);
      return {
        argv: [program, ...options, ...(operands.length > 0 ? ["--", ...operands] : [])],
        paths: operands,
      };
  }
}

function argSpec(allowed: Allowed): ArgSpec {
  const short: Record<string, OptionSpec> = {};
  for (const letter of allowed.flags ?? "") short[letter] = { name: `-${letter}` };
  for (const letter of Object.keys(allowed.values ?? {})) {
    short[letter] = { name: `-${letter}`, value: true };
  }
  const long: Record<string, OptionSpec> = {};
  for (const [name, meaning] of Object.entries(allowed.long ?? {})) {
    if (typeof meaning === "string") long[name] = short[meaning]!;
    else long[name] = { name: `--${name}`, ...(meaning === true ? {} : { value: true }) };
  }
  return { short, long };
}

function valueCheck(allowed: Allowed, name: string): RegExp | undefined {
  if (name.startsWith("--")) {
    const meaning = allowed.long?.[name.slice(2)];
    return meaning instanceof RegExp ? meaning : undefined;
  }
  return allowed.values?.[name.slice(1)];
}

// Recursive reads of these would take in process environments, kernel memory or mounted Secrets.
const NO_RECURSIVE = /^\/(proc|sys|dev|run|var\/run)(\/|$)|^\/var$|^\/$/;

/** Refuses paths that lead to secrets whatever the policy (see the module's USAGE). */
function checkPath(path: string, recursive: boolean): void {
  const parts = normalizePath(path).split("/");
  if (parts.includes("environ")) {
    throw new Refused(`${printable(path)}: process environments hold secrets`);
  }
  if (parts.includes("proc") && (parts.includes("mem") || parts.includes("kcore"))) {
    throw new Refused(`${printable(path)}: process memory is not read`);
  }
  if (parts.some((part, i) => part === "run" && parts[i + 1] === "secrets")) {
    throw new Refused(
      `${printable(path)}: mounted Secrets and service-account tokens are off limits`,
    );
  }
  if (recursive) {
    if (!path.startsWith("/")) {
      throw new Refused(
        `grep -r needs absolute paths (the container's working directory is unknown): ${
          printable(path)
        }`,
      );
    }
    if (NO_RECURSIVE.test(normalizePath(path))) {
      throw new Refused(
        `grep -r of ${printable(path)} would read process environments or mounted Secrets`,
      );
    }
  }
}

function checkFind(rest: readonly string[]): CheckedCommand {
  const paths: string[] = [];
  let i = 0;
  while (i < rest.length && !isFindToken(rest[i]!)) paths.push(rest[i++]!);
  for (const path of paths) checkPath(path, false);
  for (; i < rest.length; i++) {
    const word = rest[i]!;
    if (Object.hasOwn(FIND_REFUSED, word)) {
      throw new Refused(`find ${word} ${FIND_REFUSED[word]} (not allowed for a read-only command)`);
    }
    if (FIND_FLAGS.has(word)) continue;
    if (FIND_VALUED.has(word)) {
      if (rest[i + 1] === undefined) throw new Refused(`find ${word} needs a value`);
      i++;
      continue;
    }
    throw new Refused(`find: '${printable(word)}' is not an allowed test or action`);
  }
  return { argv: ["find", ...rest], paths };
}

function isFindToken(word: string): boolean {
  return word.startsWith("-") || word === "(" || word === ")" || word === "!" || word === ",";
}

/** A command line as one string for policies' `command` globs (shell-quoted where needed). */
export function commandLine(argv: readonly string[]): string {
  return argv.map((w) => /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)
    .join(" ");
}

/** Splits at the `--` that ends kubectl-exec-read's own options (not an option's value). */
function splitAtDash(argv: readonly string[]): [string[], string[]] | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") return [argv.slice(0, i), argv.slice(i + 1)];
    if (VALUED.has(word)) i++;
  }
  return undefined;
}

/** Works out what `kubectl-exec-read ARGS` will do (`kubeconfig`: the `$KUBECONFIG` value). */
export function planExecRead(
  argv: readonly string[],
  env: WatchtowerEnvironment,
  options: { kubeconfig?: string | undefined } = {},
): ShimPlan {
  const split = splitAtDash(argv);
  if (!split || split[1].length === 0) throw usage("expected POD -- COMMAND [ARGS...]");
  const [own, command] = split;
  if (command.length > MAX_WORDS) throw usage(`more than ${MAX_WORDS} command words`);
  for (const word of command) {
    if (word.length > MAX_WORD) throw usage(`a command word is longer than ${MAX_WORD} characters`);
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(word)) {
      throw usage(`command word '${printable(word)}' has control characters`);
    }
  }
  const parsed = parseCommand(own, SPEC);
  if (parsed.operands.length !== 1) throw usage("expected one POD before --");
  const pod = podOperand(parsed.operands[0]!);
  const container = last(parsed, "container");
  if (container !== undefined) checkContainer(container);
  const context = last(parsed, "context");
  const namespace = last(parsed, "namespace");
  const scope = resolveScope(
    {
      context: context === undefined ? undefined : checkContext(context),
      namespace: namespace === undefined ? undefined : checkNamespace(namespace),
    },
    env,
    { kubeconfig: options.kubeconfig },
  );
  let checked: CheckedCommand | undefined;
  let refusal = scope.refusal;
  try {
    checked = checkReadCommand(command);
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    refusal ??= error.message;
  }
  const run = checked?.argv ?? [...command];
  return {
    tool: "kubectl-exec-read",
    program: "kubectl",
    args: [
      ...scopeArgs(scope),
      "exec",
      ...(container !== undefined ? [`--container=${container}`] : []),
      pod,
      "--",
      ...run,
    ],
    intents: [{
      domain: "kubernetes",
      operation: "exec-read",
      target: kubeTarget(scope, { kind: "pod", name: pod }, {
        ...(container !== undefined ? { container } : {}),
        command: commandLine(run),
        argv: run,
        program: run[0]!,
        paths: checked?.paths ?? [],
      }),
    }],
    ...(refusal !== undefined ? { refusal } : {}),
  };
}

/** The kubectl-exec-read command. */
export const KUBECTL_EXEC_READ: ShimSpec = {
  name: "kubectl-exec-read",
  program: "kubectl",
  usage: USAGE,
  passEnv: ["KUBECONFIG"],
  plan: (argv, env) => planExecRead(argv, env, { kubeconfig: kubeconfigVariable() }),
};

if (import.meta.main) await main(KUBECTL_EXEC_READ);
