/**
 * `wt hook install | uninstall | test claude-code`: Watchtower's entries in Claude Code's
 * settings file, and a canary run of the installed hook command that shows whether its deny path
 * really denies on this host.
 * @module
 */
import {
  CLAUDE_HOOK_ENTRIES,
  installClaudeHooks,
  installedHooks,
  type SettingsEdit,
  uninstallClaudeHooks,
} from "../core/hooks/mod.ts";
import { WatchtowerError } from "../core/errors.ts";
import { type FlagSpec, parseArgs, type ParsedArgs, stringFlag, usage } from "./args.ts";
import { readEnv } from "./context.ts";
import { EXIT } from "./exit.ts";
import { err, out, printJson } from "./output.ts";

const FLAGS: Record<string, FlagSpec> = {
  json: { type: "boolean" },
  project: { type: "boolean" },
  user: { type: "boolean" },
  settings: { type: "string" },
  command: { type: "string" },
};

/** The agents `wt hook install` knows. */
const AGENTS = ["claude-code", "opencode"];

/** Runs `wt hook install|uninstall|test AGENT` (`--help` is answered by cli/hook.ts). */
export async function runHookAdmin(
  action: "install" | "uninstall" | "test",
  argv: readonly string[],
): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  const [agent, extra] = args.positionals;
  if (agent === undefined) {
    throw usage(`give the agent: wt hook ${action} claude-code, or wt hook ${action} opencode`);
  }
  if (!AGENTS.includes(agent)) {
    throw usage(`wt hook ${action}: unknown agent '${agent}' (${AGENTS.join(", ")})`);
  }
  if (extra !== undefined) throw usage(`unexpected argument '${extra}'`);
  if (action !== "install" && args.flags.command !== undefined) {
    throw usage("--command is an option of wt hook install");
  }
  if (agent === "opencode") {
    return await (await import("./hook_opencode.ts")).runOpencodeAdmin(action, args);
  }
  const file = settingsPath(args);
  if (action === "test") return await testHook(file, args.flags.json === true);
  return edit(action, file, args);
}

/** The settings file: --settings FILE, --user (~/.claude), else --project (./.claude). */
export function settingsPath(args: ParsedArgs): string {
  const given = stringFlag(args, "settings");
  const chosen = [given !== undefined, args.flags.user === true, args.flags.project === true];
  if (chosen.filter(Boolean).length > 1) {
    throw usage("give one of --project, --user and --settings FILE");
  }
  if (given !== undefined) return given.startsWith("/") ? given : `${Deno.cwd()}/${given}`;
  if (args.flags.user) {
    const home = readEnv("HOME");
    if (!home) throw usage("HOME is not set: give --settings FILE");
    return `${home.replace(/\/+$/, "")}/.claude/settings.json`;
  }
  return `${Deno.cwd()}/.claude/settings.json`;
}

/** `value` as one word for sh (single-quoted). */
export const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * The command written into the settings: the hook invocation, then a guard that turns any exit
 * but 0 and 2 (wt missing, killed, refusing to start) into exit 2, which Claude Code treats as
 * "blocked" (any other code lets the call through).
 */
export function hookCommand(invocation: string): string {
  return `${invocation} hook claude-code; s=$?; case $s in 0|2) exit $s;; esac; ` +
    `echo "Watchtower: the hook failed (exit $s), so this is refused" >&2; exit 2`;
}

/** How to run `wt`: the launcher on PATH, else `deno run` of this checkout (else undefined). */
export function wtInvocation(): string | undefined {
  for (const dir of (readEnv("PATH") ?? "").split(":")) {
    if (!dir.startsWith("/")) continue;
    const candidate = `${dir.replace(/\/+$/, "")}/wt`;
    try {
      // Only a launcher `deno task install` wrote: another `wt` on PATH is not ours.
      if (Deno.readTextFileSync(candidate).includes("Watchtower launcher for wt")) {
        return quote(candidate);
      }
    } catch {
      // not here
    }
  }
  const repo = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
  try {
    // A bundle (what launchers run) has no main.ts beside it: then only PATH could say.
    Deno.statSync(`${repo}/cli/main.ts`);
  } catch {
    return undefined;
  }
  return [
    quote(Deno.execPath()),
    "run -q --no-prompt --config",
    quote(`${repo}/deno.json`),
    "-P=wt",
    quote(`file://${repo}/cli/main.ts`),
  ].join(" ");
}

/** A file's text, or undefined when it does not exist (any other failure throws). */
export function readSettings(file: string): string | undefined {
  try {
    return Deno.readTextFileSync(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new WatchtowerError(
      "policy_unreadable",
      `Cannot read ${file}: ${error instanceof Error ? error.message : error}`,
    );
  }
}

/** A timestamp for a backup's name: 20260101T101010.123Z. */
export function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "");
}

/** Replaces `file` with `text` (atomically, keeping its mode), after a backup of the old one. */
function write(file: string, text: string, old: string | undefined): string | null {
  const dir = file.slice(0, file.lastIndexOf("/")) || "/";
  Deno.mkdirSync(dir, { recursive: true });
  let mode = 0o644;
  let backup: string | null = null;
  if (old !== undefined) {
    mode = (Deno.statSync(file).mode ?? 0o644) & 0o7777;
    backup = `${file}.wt-backup-${stamp()}`;
    Deno.writeTextFileSync(backup, old, { mode, createNew: true });
  }
  const temp = `${file}.wt-tmp-${Deno.pid}`;
  Deno.writeTextFileSync(temp, text, { mode });
  Deno.chmodSync(temp, mode);
  Deno.renameSync(temp, file);
  return backup;
}

function edit(action: "install" | "uninstall", file: string, args: ParsedArgs): number {
  const old = readSettings(file);
  let command: string | undefined;
  let result: SettingsEdit;
  if (action === "install") {
    const invocation = stringFlag(args, "command") ?? wtInvocation();
    if (invocation === undefined) {
      err(
        "Cannot find wt: no launcher on PATH (deno task install writes one); give --command 'PATH/TO/wt'",
      );
      return EXIT.unavailable;
    }
    command = hookCommand(invocation);
    result = installClaudeHooks(old, command);
  } else {
    result = old === undefined ? { ok: true, text: "", changed: false } : uninstallClaudeHooks(old);
  }
  if (!result.ok) {
    err(`Cannot ${action} the hooks in ${file}: ${result.problem}; fix the file first`);
    return EXIT.config;
  }
  const backup = result.changed ? write(file, result.text, old) : null;
  if (args.flags.json) {
    printJson({
      action,
      agent: "claude-code",
      settings: file,
      changed: result.changed,
      backup,
      ...(command !== undefined ? { command, entries: CLAUDE_HOOK_ENTRIES } : {}),
    });
    return EXIT.ok;
  }
  const saved = backup ? `\n  backup: ${backup}` : "";
  if (action === "install") {
    out(
      result.changed
        ? `installed Watchtower's Claude Code hooks in ${file}\n` +
          `  PreToolUse: every tool; PostToolUse: WebFetch, WebSearch, Read, MCP tools\n` +
          `  command: ${command}${saved}\nnext: wt hook test claude-code${scopeFlag(args)}\n`
        : `Watchtower's Claude Code hooks are already in ${file} (nothing changed)\n`,
    );
  } else {
    out(
      result.changed
        ? `removed Watchtower's Claude Code hooks from ${file}${saved}\n`
        : `no Watchtower hooks in ${file} (nothing changed)\n`,
    );
  }
  return EXIT.ok;
}

function scopeFlag(args: ParsedArgs): string {
  const settings = stringFlag(args, "settings");
  if (settings !== undefined) return ` --settings ${quote(settings)}`;
  return args.flags.user ? " --user" : "";
}

/** One canary: the event, and what Claude Code must make of the answer. */
interface Canary {
  name: string;
  input: string;
  expect: "blocked" | "allowed";
}

/** How Claude Code reads one run of the hook command. */
interface Reading {
  /** blocked: exit 2, or exit 0 with deny; allowed: exit 0 with allow; other: anything else. */
  outcome: "blocked" | "allowed" | "asked" | "no decision" | "through";
  exitCode: number;
  /** The exit code of wt itself when the command's guard reported it (see {@link hookCommand}). */
  failedWith?: number;
  detail: string;
}

/** The guard's message in {@link hookCommand}: wt itself exited with another code. */
const FAILED = /the hook failed \(exit (\d+)\)/;

/** The three canaries, in Claude Code's event format. */
function canaries(cwd: string): Canary[] {
  const base = {
    session_id: `wt-hook-test-${crypto.randomUUID()}`,
    transcript_path: "",
    cwd,
    permission_mode: "default",
    hook_event_name: "PreToolUse",
  };
  const file = `${cwd === "/" ? "" : cwd}/.wt-hook-test`;
  return [
    {
      name: "denied call (Bash: rm -rf /)",
      input: JSON.stringify({
        ...base,
        tool_name: "Bash",
        tool_input: { command: "rm -rf /", description: "Watchtower hook test: must be denied" },
        tool_use_id: "toolu_wt_hook_test_deny",
      }),
      expect: "blocked",
    },
    {
      name: `allowed call (Read ${file})`,
      input: JSON.stringify({
        ...base,
        tool_name: "Read",
        tool_input: { file_path: file },
        tool_use_id: "toolu_wt_hook_test_allow",
      }),
      expect: "allowed",
    },
    {
      name: "unreadable event",
      input: '{"hook_event_name": "PreToolUse", "tool_na',
      expect: "blocked",
    },
  ];
}

/** Runs `command` with `sh -c` as Claude Code runs a hook command, `input` on stdin. */
async function runCommand(command: string, input: string, cwd: string): Promise<Reading> {
  let output: Deno.CommandOutput;
  try {
    const child = new Deno.Command("sh", {
      args: ["-c", command],
      cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).spawn();
    const writer = child.stdin.getWriter();
    try {
      await writer.write(new TextEncoder().encode(input));
      await writer.close();
    } catch {
      // The command ended without reading the event (wt did not start): its exit still counts.
    }
    output = await child.output();
  } catch (error) {
    return {
      outcome: "through",
      exitCode: -1,
      detail: `cannot run sh: ${error instanceof Error ? error.message : error}`,
    };
  }
  const stdout = new TextDecoder().decode(output.stdout).trim();
  const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").at(-1) ?? "";
  if (output.signal) {
    return { outcome: "through", exitCode: -1, detail: `killed by ${output.signal}: ${stderr}` };
  }
  if (output.code === 2) {
    const failed = FAILED.exec(stderr);
    return {
      outcome: "blocked",
      exitCode: 2,
      ...(failed ? { failedWith: Number(failed[1]) } : {}),
      detail: stderr,
    };
  }
  if (output.code !== 0) {
    return { outcome: "through", exitCode: output.code, detail: stderr || "(no message)" };
  }
  if (stdout === "") return { outcome: "no decision", exitCode: 0, detail: "empty answer" };
  try {
    const answer = JSON.parse(stdout);
    const specific = answer?.hookSpecificOutput;
    const decision = specific?.permissionDecision;
    const reason = String(specific?.permissionDecisionReason ?? "");
    if (specific?.hookEventName !== "PreToolUse") {
      return { outcome: "no decision", exitCode: 0, detail: `not a PreToolUse answer: ${stdout}` };
    }
    if (decision === "deny") return { outcome: "blocked", exitCode: 0, detail: reason };
    if (decision === "allow") return { outcome: "allowed", exitCode: 0, detail: reason };
    if (decision === "ask") return { outcome: "asked", exitCode: 0, detail: reason };
    return { outcome: "no decision", exitCode: 0, detail: reason || stdout };
  } catch {
    return { outcome: "no decision", exitCode: 0, detail: `not JSON: ${stdout.slice(0, 200)}` };
  }
}

/** What to fix when a canary did not behave. */
function fix(canary: Canary, reading: Reading): string {
  if (cannotStart(reading)) {
    return "wt cannot start (not found or not executable): install it (deno task install), " +
      "then wt hook install claude-code again";
  }
  if (reading.failedWith !== undefined) {
    return `wt exited ${reading.failedWith} before deciding (the command's guard refused the call): ` +
      "run the hook command by hand to see why (wt status, wt policy check)";
  }
  if (reading.outcome === "through") {
    return `Claude Code treats exit ${reading.exitCode} as a non-blocking error and runs the call; ` +
      "reinstall the hook with wt hook install claude-code";
  }
  if (canary.expect === "blocked") {
    return "this call would run: check the policy (wt policy show) and that the hook command is Watchtower's";
  }
  return "an ordinary read in this directory is not allowed: check the policy (wt policy show) and WATCHTOWER_WORKSPACE";
}

/** Whether the program the command runs could not start (sh: 126 not executable, 127 not found). */
function cannotStart(reading: Reading): boolean {
  const code = reading.failedWith ?? reading.exitCode;
  return code === 126 || code === 127;
}

async function testHook(file: string, json: boolean): Promise<number> {
  const text = readSettings(file);
  const commands = text === undefined
    ? []
    : installedHooks(text).filter((hook) => hook.event === "PreToolUse").map((hook) =>
      hook.command
    );
  if (commands.length === 0) {
    const why = text === undefined ? "does not exist" : "has no Watchtower PreToolUse hook";
    err(`wt hook test: ${file} ${why}; run wt hook install claude-code first`);
    return EXIT.config;
  }
  const cwd = Deno.cwd();
  const results = [];
  let missing = false;
  for (const command of [...new Set(commands)]) {
    for (const canary of canaries(cwd)) {
      const reading = await runCommand(command, canary.input, cwd);
      const ok = reading.outcome === canary.expect;
      if (!ok && cannotStart(reading)) missing = true;
      results.push({
        command,
        check: canary.name,
        expected: canary.expect,
        outcome: reading.outcome,
        exit_code: reading.exitCode,
        ...(reading.failedWith !== undefined ? { wt_exit_code: reading.failedWith } : {}),
        detail: reading.detail,
        ok,
        ...(ok ? {} : { fix: fix(canary, reading) }),
      });
    }
  }
  const ok = results.every((result) => result.ok);
  if (json) {
    printJson({ settings: file, ok, results });
  } else {
    const lines = [`wt hook test claude-code: ${file}`];
    for (const result of results) {
      lines.push(
        `  ${result.ok ? "ok  " : "FAIL"}  ${result.check}: ${result.outcome}` +
          (result.exit_code === 2 ? " (exit 2)" : "") + ` — ${result.detail}`,
      );
      if (!result.ok) lines.push(`        fix: ${result.fix}`);
    }
    lines.push(
      ok
        ? "the deny path works on this host: Claude Code will refuse what Watchtower denies"
        : "the hook does not behave: Claude Code would not be guarded as expected",
    );
    out(`${lines.join("\n")}\n`);
  }
  return ok ? EXIT.ok : missing ? EXIT.unavailable : EXIT.config;
}
