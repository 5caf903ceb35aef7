/**
 * From a shell analysis to the intents the guard decides: one `command` intent per program the
 * line would run, one per finding (what the analysis could not see through), and `filesystem`
 * intents for the files the line names: redirect targets, what file commands write, move or
 * delete, and arguments that name secrets. What each part means is left to policy rules
 * (core/policy/builtin_command_rules.ts); this module only states facts.
 * @module
 */
import { INTENT_LIMITS, type Target, type TargetValue } from "../intent.ts";
import type { PlannedIntent } from "../shim/runner.ts";
import {
  quoteArgv,
  type ShellAnalysis,
  type ShellCommand,
  type ShellFinding,
} from "../shell/mod.ts";
import { fileEffects, type NamedPath, namePath, type PathScope, secretsNamed } from "./files.ts";

/** What a part of a line stands for. */
export type PartKind = "command" | "finding" | "redirect" | "file" | "secret";

/** One intent of a line, and what it stands for. */
export interface ShellPart extends PlannedIntent {
  kind: PartKind;
}

/** Where the line runs. */
export interface LineScope {
  cwd: string;
  home?: string | undefined;
}

/** Environment variables whose values go into the intent (the rest only by name: secrets). */
export const RECORDED_ENV: ReadonlySet<string> = new Set([
  "LD_PRELOAD",
  "LD_LIBRARY_PATH",
  "LD_AUDIT",
  "DYLD_INSERT_LIBRARIES",
  "DYLD_LIBRARY_PATH",
  "PATH",
  "BASH_ENV",
  "ENV",
  "PROMPT_COMMAND",
  "SHELLOPTS",
  "IFS",
  // Variables that name a program to run (GTFOBins reads them).
  "PAGER",
  "MANPAGER",
  "GIT_PAGER",
  "EDITOR",
  "VISUAL",
  "GIT_EDITOR",
  "SYSTEMD_EDITOR",
  "GIT_SSH_COMMAND",
  "GIT_SSH",
  "LESSOPEN",
  "CRASHPAGER",
  "PERL5DB",
  "PERL5OPT",
  "PYTHONSTARTUP",
  "NODE_OPTIONS",
  "AUTOM4TE",
  "RESTIC_PASSWORD_COMMAND",
]);

/**
 * Dynamic reasons (core/shell/mod.ts) that leave the program and what it acts on known: a glob
 * names files that are there, `find -exec CMD {}` the files find finds (its start points are
 * decided on the find command).
 */
const KNOWN_SHAPE = /^(glob in (argument|redirection)|find replacement)/;
/** Redirections that write the target file, and the one that reads it. */
const WRITES = new Set([">", ">>", ">|", "&>", "&>>", "<>", ">&"]);
/** Pseudo-devices that are not files a command can harm. */
const HARMLESS_DEVICE =
  /^\/dev\/(null|zero|full|random|urandom|tty|stdin|stdout|stderr|fd\/\d+|pts\/\d+)$/;
const BLOCK_DEVICE =
  /^\/dev\/(sd|hd|vd|xvd|nvme|mmcblk|loop|dm-|md|sr|mapper\/|disk\/)|^\/dev\/(mem|kmem|port)$/;
/** A line yields at most this many parts; more is refused as too long to decide. */
export const MAX_PARTS = 1024;
const MAX_FINDING_TEXT = 4096;

/**
 * The parts of a line. Never empty: a line that runs nothing is one empty command part.
 *
 * @example
 * ```ts
 * import { shellParts } from "./intents.ts";
 * import { equal } from "node:assert/strict";
 * const parts = shellParts("ls > out.txt", {
 *   parsed: true,
 *   findings: [],
 *   commands: [{
 *     argv: ["ls"], env: {}, redirects: [{ op: ">", target: "out.txt" }], wrappers: [],
 *     origin: "top", stdinFrom: [], dynamic: [], program: "ls", depth: 0,
 *   }],
 * }, { cwd: "/w" });
 * equal(parts[0]!.target.program, "ls");
 * equal(parts[1]!.operation, "write");
 * equal(parts[1]!.target.path, "/w/out.txt");
 * ```
 */
export function shellParts(line: string, analysis: ShellAnalysis, where: LineScope): ShellPart[] {
  const parts: ShellPart[] = [];
  const findings = [...analysis.findings];
  if (!analysis.parsed && !findings.some((f) => f.kind === "unparsable")) {
    findings.push({ kind: "unparsable", detail: "the analysis did not read the whole line" });
  }
  for (const finding of findings) parts.push(findingPart(line, finding, analysis.commands));
  const scope: PathScope = { cwd: where.cwd, cwdKnown: true, home: where.home };
  for (const command of analysis.commands) {
    const commandPart = partOf(command, scope);
    if (!commandPart) {
      parts.push(findingPart(line, {
        kind: "too-long",
        detail: "a command's words are beyond the intent size limits",
      }, []));
      continue;
    }
    parts.push(commandPart);
    parts.push(...fileParts(command, scope));
    followCd(command, scope);
    if (parts.length > MAX_PARTS) {
      return [findingPart(line, {
        kind: "too-long",
        detail: `the line names more than ${MAX_PARTS} commands and files`,
      }, [])];
    }
  }
  if (parts.length === 0) {
    parts.push({
      kind: "command",
      domain: "command",
      operation: "exec",
      target: {
        command: "",
        argv: [],
        program: "",
        wrappers: [],
        origin: "top",
        stdin_from: [],
        env_names: [],
        dynamic: false,
        depth: 0,
      },
    });
  }
  return parts;
}

/** Whether a command's dynamic reasons hide more than which files a glob names. */
export function isDynamic(command: Pick<ShellCommand, "dynamic">): boolean {
  return command.dynamic.some((reason) => !KNOWN_SHAPE.test(reason));
}

function partOf(command: ShellCommand, scope: PathScope): ShellPart | undefined {
  const envNames = Object.keys(command.env);
  const target: Target = {
    command: quoteArgv(command.argv.length > 0 ? command.argv : assignments(command.env)),
    argv: command.argv,
    program: command.program,
    wrappers: command.wrappers,
    origin: command.origin,
    stdin_from: command.stdinFrom,
    env_names: envNames,
    dynamic: isDynamic(command),
    depth: command.depth,
  };
  if (command.dynamic.length > 0) target.dynamic_reasons = command.dynamic;
  const recorded = envNames.filter((name) => RECORDED_ENV.has(name));
  if (recorded.length > 0) target.env = recorded.map((name) => `${name}=${command.env[name]}`);
  if (command.path !== undefined) target.program_path = command.path;
  if (command.remote !== undefined) target.remote = command.remote;
  const operands = operandsOf(command, scope);
  if (operands.length > 0) target.operands = operands;
  if (!fits(target)) return undefined;
  return { kind: "command", domain: "command", operation: "exec", target };
}

/** A line of assignments only (`X=1`), as words: values only of the variables recorded. */
function assignments(env: Record<string, string>): string[] {
  return Object.entries(env).map(([name, value]) =>
    `${name}=${RECORDED_ENV.has(name) ? value : "…"}`
  );
}

/**
 * The command's operands that look like paths, resolved (no symlinks followed): what rules
 * compare with `/` and the home directory (`rm -rf /./`, `rm -rf ~/`).
 */
function operandsOf(command: ShellCommand, scope: PathScope): string[] {
  const operands: string[] = [];
  let options = true;
  for (const word of command.argv.slice(1)) {
    if (options && word === "--") {
      options = false;
      continue;
    }
    if (options && word.startsWith("-") && word !== "-") continue;
    if (!looksLikePath(word)) continue;
    operands.push(namePath(word, scope, "none").path);
    if (operands.length >= 64) break;
  }
  return operands;
}

function looksLikePath(word: string): boolean {
  if (word === "" || word.includes("://")) return false;
  if (/^(~|\.{1,2}|\*|\.\*|\$HOME|\$\{HOME\})(\/|$)/.test(word)) return true;
  return word.includes("/") && !word.includes("=") && !/^[\w.-]+@[\w.-]+:/.test(word);
}

function fileParts(command: ShellCommand, scope: PathScope): ShellPart[] {
  const parts: ShellPart[] = [];
  const decided = new Set<string>();
  const remote = command.remote;
  // A command on another host names that host's files: read them as written.
  const follow = (mode: "all" | "parent") => (remote === undefined ? mode : "none");
  const push = (kind: PartKind, operation: string, named: NamedPath) => {
    if (HARMLESS_DEVICE.test(named.path) && !named.dynamic) return;
    const key = `${operation}\0${named.path}`;
    if (decided.has(key)) return;
    decided.add(key);
    const target: Target = { path: named.path };
    if (named.dynamic) target.dynamic = true;
    if (named.path.startsWith("/dev/")) {
      target.device = BLOCK_DEVICE.test(named.path) ? "block" : deviceKind(named.path);
    }
    if (remote !== undefined) target.remote = remote;
    target.program = command.program;
    parts.push({ kind, domain: "filesystem", operation, target });
  };
  for (const redirect of command.redirects) {
    const { op, target } = redirect;
    if (op === "<<" || op === "<<<" || op === "<<-") continue;
    if ((op === ">&" || op === "<&") && /^(\d+-?|-)$/.test(target)) continue;
    if (op === "<&") continue;
    if (WRITES.has(op)) push("redirect", "write", namePath(target, scope, follow("all")));
    else if (op === "<") push("redirect", "read", namePath(target, scope, follow("all")));
  }
  for (const effect of fileEffects(command.program, command.argv)) {
    // rm, mv and ln act on a symlink itself, not on what it points to.
    const mode = ["delete", "move", "link"].includes(effect.operation) ? "parent" : "all";
    push("file", effect.operation, namePath(effect.word, scope, follow(mode)));
  }
  const written = new Set(parts.map((part) => part.target.path));
  for (const named of secretsNamed(command.argv, scope)) {
    if (!written.has(named.path)) push("secret", "read", named);
  }
  return parts;
}

function deviceKind(path: string): string {
  if (/^\/dev\/(tcp|udp)\//.test(path)) return "network";
  try {
    const info = Deno.statSync(path);
    return info.isBlockDevice ? "block" : info.isCharDevice ? "character" : "other";
  } catch {
    return "other";
  }
}

/** Follows `cd DIR` at the top level of a line; any other directory change makes it unknown. */
function followCd(command: ShellCommand, scope: PathScope): void {
  if (!["cd", "pushd", "popd"].includes(command.program)) return;
  const operands = command.argv.slice(1).filter((word) => !word.startsWith("-") || word === "-");
  const simple = (command.origin === "top" || command.origin === "list") &&
    command.wrappers.length === 0 && command.program !== "popd" && !isDynamic(command) &&
    operands.length <= 1 && operands[0] !== "-" && command.remote === undefined;
  if (!simple || !scope.cwdKnown) {
    scope.cwdKnown = false;
    return;
  }
  const destination = operands[0] ?? scope.home;
  if (destination === undefined) {
    scope.cwdKnown = false;
    return;
  }
  const named = namePath(destination, scope, "all");
  if (named.dynamic) scope.cwdKnown = false;
  else scope.cwd = named.path;
}

function findingPart(line: string, finding: ShellFinding, commands: ShellCommand[]): ShellPart {
  const target: Target = {
    command: clip(line, MAX_FINDING_TEXT),
    argv: [],
    finding: finding.kind,
    detail: clip(finding.detail, 1024),
  };
  if (finding.column !== undefined) target.column = finding.column;
  if (finding.kind === "function-definition") {
    Object.assign(target, functionFacts(finding, commands));
  }
  return { kind: "finding", domain: "command", operation: "exec", target };
}

/**
 * The name a function definition gives and how often its body runs it: a body that runs its own
 * function twice or more (`:(){ :|:& };:`) is a fork bomb.
 */
function functionFacts(finding: ShellFinding, commands: ShellCommand[]): Target {
  const name = functionName(finding.detail);
  if (name === undefined) return {};
  // The analysis lists a body's commands below the line's top level; calls at the top level
  // (`f; f`) run the function, they are not inside it.
  const selfCalls = commands.filter((c) => c.program === name && c.depth > 0).length;
  return { function: name, self_calls: selfCalls };
}

function functionName(detail: string): string | undefined {
  const match = /(?:function\s+)?['"`]?([^\s'"`(){};|&<>]+)['"`]?\s*\(\s*\)/.exec(detail) ??
    /function\s+['"`]?([^\s'"`(){};|&<>]+)/.exec(detail);
  return match?.[1];
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Whether a target stays within the intent size limits. */
function fits(target: Target): boolean {
  const ok = (value: TargetValue): boolean => {
    if (typeof value === "string") return value.length <= INTENT_LIMITS.stringLength;
    if (Array.isArray(value)) {
      return value.length <= INTENT_LIMITS.listLength &&
        value.every((item) =>
          typeof item !== "string" || item.length <= INTENT_LIMITS.stringLength
        );
    }
    return true;
  };
  return Object.values(target).every(ok);
}
