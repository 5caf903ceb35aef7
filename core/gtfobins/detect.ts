/**
 * GTFOBins detection: given an executed command (argv, environment assignments, how it was
 * invoked), find the GTFOBins executable it runs, which of its functions the arguments reach, in
 * which context (unprivileged, sudo, suid, capabilities), and how dangerous that is.
 * @module
 */
import type { RiskLevel } from "../intent.ts";
import type { BinaryFacts, FunctionFacts, GtfoTable, OptionTrigger } from "./table.ts";

/** An executed command. */
export interface Invocation {
  argv: readonly string[];
  /** Environment assignments made for this command (`PAGER=… git -p help`). */
  env?: Readonly<Record<string, string>>;
}

/** What a file check found; `unknown` when the check could not run (never read as safe). */
export interface FileFacts {
  /** The executable's path, when found. */
  path?: string;
  /** Where its symlinks lead. */
  realPath?: string;
  setuid: boolean | "unknown";
  capabilities: boolean | "unknown";
}

/** Finds and inspects the executable a command names (platform code supplies one). */
export interface FileInspector {
  inspect(command: string): FileFacts;
}

/** The context a function runs in. */
export type GtfoContext = "unprivileged" | "sudo" | "suid" | "capabilities";

/** One alert: the shape of `annotations.gtfo_alerts[]` in decisions and the ledger. */
export interface GtfoAlert {
  /** The GTFOBins name (after aliases and symlinks: `vim` for `/usr/bin/vim.basic`). */
  binary: string;
  risk: RiskLevel;
  score: number;
  /** What was seen, as `function:what` (`shell:-c`, `command:-exec`, `file-write:--unsafe-paths`). */
  flags: string[];
  /** Functions reached (not merely available). */
  functions: string[];
  context: GtfoContext;
  /** How it was invoked when that differs from `binary` (`vim.basic`, `c89`). */
  invoked?: string;
  path?: string;
  setuid?: boolean | "unknown";
  capabilities?: boolean | "unknown";
}

const RUNS_PROGRAMS = new Set(["shell", "command", "reverse-shell", "bind-shell"]);
/** POSIX shell names that are not (all) GTFOBins entries of their own: `sh` is whatever shell
 * the system links it to, looked up as `dash` unless a symlink says otherwise. */
const SHELL_NAMES = [
  "sh",
  "ash",
  "bash",
  "dash",
  "zsh",
  "ksh",
  "mksh",
  "csh",
  "tcsh",
  "fish",
  "busybox",
];
const SHELL_FALLBACK: Record<string, string> = { sh: "dash", ash: "dash" };
/** An argument that is itself a shell command line: `sh -c …`, `/bin/bash -i`. */
const SHELL_STRING =
  /(?:^|[\s;|&'"(=])(?:\/usr)?(?:\/bin\/)?(?:ba|da|z|k|a|c|tc)?sh(?:\s+-[a-z]*[cips]\b|\s*$|\s*[;|&)'"#])/;
const WRITES = new Set([
  "file-write",
  "library-load",
  "privilege-escalation",
  "upload",
  "download",
]);
const WRAPPERS = new Set(["sudo", "doas"]);
/** sudo and doas options that take a value (so the value is not the command). */
const WRAPPER_VALUE_OPTIONS = new Set([
  "-u",
  "-g",
  "-C",
  "-D",
  "-h",
  "-p",
  "-r",
  "-t",
  "-U",
  "-T",
  "--user",
  "--group",
  "--close-from",
  "--chdir",
  "--host",
  "--prompt",
  "--role",
  "--type",
  "--other-user",
  "--command-timeout",
]);
const NO_FILE_FACTS: FileFacts = { setuid: "unknown", capabilities: "unknown" };

/** The risk level of a score. */
export function riskOf(score: number): RiskLevel {
  return score >= 1 ? "critical" : score >= 0.85 ? "high" : score >= 0.5 ? "medium" : "low";
}

/** Detects GTFOBins use in commands, against a generated table. */
export class GtfoDetector {
  readonly #table: GtfoTable;
  readonly #inspector: FileInspector | undefined;
  readonly #shells: ReadonlySet<string>;

  constructor(table: GtfoTable, options: { inspector?: FileInspector } = {}) {
    this.#table = table;
    this.#inspector = options.inspector;
    // Programs that are a shell just by running: what `exec-arg` shapes look for.
    this.#shells = new Set([
      ...SHELL_NAMES,
      ...Object.entries(table.binaries).filter(([, b]) =>
        b.functions.shell?.bare || b.functions.command?.bare
      ).map(([name]) => name),
    ]);
  }

  /**
   * The table entry for an executable name or path, if it is a GTFOBin: `name` is the table's
   * name for it (`vim` for `vim.basic`, `awk` for `awk`), `facts` those of the program it is an
   * alias of when it is one (`awk` is `mawk`).
   */
  lookup(command: string): { name: string; facts: BinaryFacts } | undefined {
    for (const candidate of candidateNames(basename(command))) {
      const facts = this.#table.binaries[candidate];
      if (!facts) continue;
      const target = facts.alias_of ? this.#table.binaries[facts.alias_of] : undefined;
      return { name: candidate, facts: target ?? facts };
    }
    return undefined;
  }

  /**
   * Alerts for one invocation: one per GTFOBins executable it runs (the wrapper `sudo` and the
   * program it runs are both reported). An empty argv gives no alert.
   */
  detect(invocation: Invocation): GtfoAlert[] {
    const alerts: GtfoAlert[] = [];
    let argv = invocation.argv;
    let privileged = false;
    for (let depth = 0; depth < 8 && argv.length > 0; depth++) {
      const command = argv[0]!;
      const name = basename(command);
      const alert = this.#detectOne(argv, invocation.env ?? {}, privileged);
      if (alert) alerts.push(alert);
      if (!WRAPPERS.has(name)) break;
      argv = unwrap(argv);
      privileged = true;
    }
    return alerts;
  }

  #detectOne(argv: readonly string[], env: Readonly<Record<string, string>>, viaSudo: boolean) {
    const command = argv[0]!;
    const file = this.#inspector ? safeInspect(this.#inspector, command) : NO_FILE_FACTS;
    const found = this.lookup(command) ?? (file.realPath ? this.lookup(file.realPath) : undefined);
    if (!found) return undefined;
    const context: GtfoContext = viaSudo
      ? "sudo"
      : file.setuid === true
      ? "suid"
      : file.capabilities === true
      ? "capabilities"
      : "unprivileged";
    const parsed = parseArgs(argv.slice(1));
    const flags: string[] = [];
    const functions = new Set<string>();
    let score = 0.2;
    const raise = (value: number) => (score = Math.max(score, value));

    const own = Object.entries(found.facts.functions);
    const inherited = found.facts.inherits.flatMap((name) =>
      Object.entries(this.#table.binaries[name]?.functions ?? {}).map(([fn, f]) =>
        [fn, f, name] as const
      )
    );
    let reachable = false;
    for (
      const [fn, facts, via] of [...own.map(([fn, f]) => [fn, f, undefined] as const), ...inherited]
    ) {
      if (!facts.contexts.includes(context)) continue;
      reachable ||= RUNS_PROGRAMS.has(fn);
      const hits = this.#hits(fn, facts, parsed, env, via !== undefined);
      for (const hit of hits) {
        // A shell function reached with a named program (find -exec rm) runs a command.
        const reached = fn === "shell" && !hit.shell ? "command" : fn;
        flags.push(`${reached}:${hit.what}`);
        if (hit.strength === "potential") {
          raise(0.4);
          continue;
        }
        // What a program does by design (cp copies files) is flagged, not counted as reached.
        if (hit.strength !== "bare" || RUNS_PROGRAMS.has(fn)) functions.add(reached);
        raise(scoreOf(fn, hit));
      }
    }
    // Whatever the table says: an argument that is a shell command line runs one.
    const shellString = parsed.words.find((word) => SHELL_STRING.test(word));
    if (shellString !== undefined && !functions.has("shell")) {
      flags.push("command:shell-string");
      functions.add("command");
      raise(0.9);
    }
    if (context !== "unprivileged") {
      // Privileges are not dropped: any reachable shell is a root shell.
      raise(reachable ? 1 : 0.85);
      flags.push(`context:${context}`);
    }
    const alert: GtfoAlert = {
      binary: found.name,
      risk: riskOf(score),
      score,
      flags: [...new Set(flags)],
      functions: [...functions].sort(),
      context,
    };
    if (basename(command) !== found.name) alert.invoked = basename(command);
    if (file.path) alert.path = file.path;
    if (this.#inspector) {
      alert.setuid = file.setuid;
      alert.capabilities = file.capabilities;
    }
    return alert;
  }

  #hits(
    fn: string,
    facts: FunctionFacts,
    args: ParsedArgs,
    env: Readonly<Record<string, string>>,
    inherited: boolean,
  ): Hit[] {
    const hits: Hit[] = [];
    for (const trigger of facts.options) {
      const value = args.options.get(trigger.option);
      if (value === undefined) continue;
      const hit = triggerHit(trigger, value, this.#shells);
      if (hit) hits.push(hit);
    }
    for (const name of facts.env) {
      if (name in env) hits.push({ what: `env:${name}`, strength: "strong", shell: true });
    }
    for (const shape of facts.shapes) {
      if (shape === "exec-arg") {
        const program = args.positionals.find((word) => this.#shells.has(basename(word)));
        if (program !== undefined) hits.push({ what: "exec-arg", strength: "strong", shell: true });
      } else if (shape === "remote") {
        if (args.positionals.some(isRemote)) {
          hits.push({ what: "remote", strength: "strong", shell: false });
        }
      } else if (args.positionals.some((word) => word.includes(shape))) {
        hits.push({ what: shape, strength: "strong", shell: true });
      }
    }
    if (facts.bare) {
      const sub = facts.subcommands;
      const first = args.positionals[0];
      if (sub.length === 0 || (first !== undefined && sub.includes(first))) {
        hits.push(
          inherited
            ? { what: "inherited", strength: "potential", shell: false }
            : { what: sub.length ? first! : "bare", strength: "bare", shell: true },
        );
      }
    }
    if (
      (facts.interactive || facts.setup) && hits.length === 0 && RUNS_PROGRAMS.has(fn) && !inherited
    ) {
      hits.push({
        what: facts.interactive ? "interactive" : "setup",
        strength: "potential",
        shell: false,
      });
    }
    return hits;
  }
}

/**
 * How dangerous a reached function is: a shell or interpreter 1.0; another program, a write,
 * a library load, a transfer 0.9; code options without a dangerous primitive 0.85; a read 0.6;
 * what the program does by design (bare: cp copies, less reads) 0.3, unless it is a shell.
 */
function scoreOf(fn: string, hit: Hit): number {
  const runs = RUNS_PROGRAMS.has(fn);
  if (hit.strength === "bare") return runs ? 1 : 0.3;
  if (runs) return hit.strength === "strong" ? (hit.shell ? 1 : 0.9) : 0.85;
  if (WRITES.has(fn)) return hit.strength === "strong" ? 0.9 : 0.5;
  return hit.strength === "strong" ? 0.6 : 0.4;
}

interface Hit {
  what: string;
  strength: "strong" | "weak" | "bare" | "potential";
  /** The payload runs a shell or interpreter (critical), not just a named program. */
  shell: boolean;
}

function triggerHit(
  trigger: OptionTrigger,
  values: readonly string[],
  shells: ReadonlySet<string>,
): Hit | undefined {
  const what = trigger.key ? `${trigger.option} ${trigger.key}` : trigger.option;
  if (trigger.key) {
    const key = trigger.key.toLowerCase();
    if (!values.some((v) => v.toLowerCase().startsWith(`${key}=`))) return undefined;
    return { what, strength: "strong", shell: true };
  }
  switch (trigger.kind) {
    case "code": {
      const strong = values.some((v) => (trigger.primitives ?? []).some((p) => v.includes(p)));
      return { what, strength: strong ? "strong" : "weak", shell: true };
    }
    case "program": {
      // The option runs a program: a shell is critical, a named program is that program's call.
      const runsShell = values.some((v) => {
        const word = v.trim().replace(/^exec=/, "").split(/[\s,]+/)[0] ?? "";
        return shells.has(basename(word));
      });
      return { what, strength: "strong", shell: runsShell };
    }
    default:
      return { what, strength: "strong", shell: false };
  }
}

/** Options (with every value they were given) and positional words of an argv. */
interface ParsedArgs {
  options: Map<string, string[]>;
  positionals: string[];
  /** Every argument as given. */
  words: readonly string[];
}

/**
 * Reads options the way the examples spell them: `--opt=value`, `--opt value`, `-o value`,
 * `-ovalue`; a word after an option counts as its value unless it is an option itself. Words
 * after `--` are positional.
 */
function parseArgs(args: readonly string[]): ParsedArgs {
  const options = new Map<string, string[]>();
  const positionals: string[] = [];
  const add = (option: string, value: string) => {
    const list = options.get(option);
    if (list) list.push(value);
    else options.set(option, [value]);
  };
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (word.startsWith("-") && word.length > 1) {
      const eq = word.indexOf("=");
      if (eq > 1) {
        add(word.slice(0, eq), word.slice(eq + 1));
        continue;
      }
      const next = args[i + 1];
      add(word, next !== undefined && !next.startsWith("-") ? next : "");
      if (!word.startsWith("--") && word.length > 2) add(word.slice(0, 2), word.slice(2));
      continue;
    }
    positionals.push(word);
  }
  // An option's "value" may really be a positional (`tar -xf a.tar`): count those words too.
  for (const [option, values] of options) {
    if (option.startsWith("--")) continue;
    for (const value of values) if (value && !positionals.includes(value)) positionals.push(value);
  }
  return { options, positionals, words: args };
}

function isRemote(word: string): boolean {
  return /^[\w.-]+@[\w.-]+:/.test(word) || /^[a-z][a-z0-9+.-]*:\/\//i.test(word);
}

function basename(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash >= 0 ? path.slice(slash + 1) : path;
}

/** Names to look up for an executable: itself, then without a suffix or version (`vim.basic`, `python3.11`). */
function candidateNames(name: string): string[] {
  const names = [name];
  if (SHELL_FALLBACK[name]) names.push(SHELL_FALLBACK[name]);
  const dot = name.indexOf(".");
  if (dot > 0) names.push(name.slice(0, dot));
  const unversioned = name.replace(/[\d.]+$/, "");
  if (unversioned && unversioned !== name) names.push(unversioned);
  const dash = /^(.+)-\d[\d.]*$/.exec(name)?.[1];
  if (dash) names.push(dash);
  return names;
}

/** The argv a sudo/doas invocation runs (after its own options and assignments). */
function unwrap(argv: readonly string[]): readonly string[] {
  let i = 1;
  while (i < argv.length) {
    const word = argv[i]!;
    if (word === "--") return argv.slice(i + 1);
    if (!word.startsWith("-")) {
      if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) {
        i++;
        continue;
      }
      return argv.slice(i);
    }
    i += WRAPPER_VALUE_OPTIONS.has(word) ? 2 : 1;
  }
  return [];
}

function safeInspect(inspector: FileInspector, command: string): FileFacts {
  try {
    return inspector.inspect(command);
  } catch {
    return NO_FILE_FACTS;
  }
}
