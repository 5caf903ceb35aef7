/**
 * `wt hook`: agents' hooks. `wt hook claude-code` is the hook Claude Code runs, `wt hook
 * opencode` the command Watchtower's opencode plugin runs: one event on stdin, one answer on
 * stdout, and exit 2 whenever Watchtower cannot decide (Claude Code lets a call through after
 * any other failure of a hook). `install`, `uninstall` and `test` manage the entries in Claude
 * Code's settings and the opencode plugin (cli/hook_install.ts, cli/hook_opencode.ts).
 * @module
 */
import {
  findWorkspace,
  readEnv,
  resolveEnvironment,
  type WatchtowerEnvironment,
} from "../core/config.ts";
import { DeciderClient } from "../core/decider/client.ts";
import {
  EVENT_LIMIT,
  type EventRead,
  type HookAnswer,
  preToolUseAnswer,
  readClaudeEvent,
} from "../core/hooks/claude_event.ts";
import { opencodeAnswer, readOpencodeEvent } from "../core/hooks/opencode_event.ts";
import { parseArgs, POLICY_FLAGS, usage } from "./args.ts";
import { EXIT } from "./exit.ts";
import { out, writeAll } from "./output.ts";

/** The agents `wt hook AGENT` answers for. */
export type HookAgentName = "claude-code" | "opencode";

/** Help text. */
export const HOOK_USAGE = `wt hook — Watchtower as an agent's hook

Usage:
  wt hook claude-code [policy flags]      the hook Claude Code runs: an event on stdin, the answer on stdout
  wt hook opencode [policy flags]         what Watchtower's opencode plugin runs, the same way
  wt hook install claude-code [--project | --user | --settings FILE] [--command CMD] [--json]
  wt hook uninstall claude-code [--project | --user | --settings FILE] [--json]
  wt hook test claude-code [--project | --user | --settings FILE] [--json]
  wt hook install opencode [--project | --user] [--command CMD] [--json]
  wt hook uninstall opencode [--project | --user] [--json]
  wt hook test opencode [--project | --user] [--json]

install merges Watchtower's PreToolUse and PostToolUse entries into Claude Code's settings
(.claude/settings.json of the current directory with --project, the default; ~/.claude/settings.json
with --user), after a timestamped backup, leaving your own hooks and settings as they are;
uninstall removes exactly those entries. test runs the installed hook with a call that must be
denied (Bash: rm -rf /), one that must be allowed (Read of a file here) and an unreadable event,
and says whether the deny path works on this host. docs/integrations.md explains what is covered.

For opencode, install writes Watchtower's plugin, watchtower.js, into .opencode/plugin/ of the
current directory (--project, the default) or ~/.config/opencode/plugin/ (--user), or the
plugins/ folder where that is the one there; uninstall removes exactly that file (with a backup
when it was edited by hand); test loads the installed plugin as opencode does and calls it with a
call that must be refused (bash: rm -rf /), one that must run (read of a file here) and web
output carrying injected instructions, which must be withheld.

Exit: 0 ok; 64 bad usage; 69 the hook command (or deno, to load the plugin) cannot run; 78 the
settings file or plugin cannot be read or changed, or the hook does not behave. wt hook
claude-code and wt hook opencode exit 0 with their answer as JSON, or 2 (the reason on stderr)
whenever they cannot decide: bad input, no policy, no ledger.`;

/** Help text of `wt hook claude-code`. */
export const CLAUDE_CODE_USAGE =
  `wt hook claude-code — the hook Claude Code runs (wt hook install claude-code writes it)

Usage: wt hook claude-code [--policy FILE] [--profile NAME] [--mode M] [--set key=value] < EVENT

Reads one hook event (JSON, at most 4 MiB) on stdin and answers in Claude Code's format:
  PreToolUse   Bash through the command guard; Read, Write, Edit, MultiEdit, NotebookEdit, LS,
               Glob and Grep as filesystem and search intents (paths resolved against the event's
               cwd); WebFetch as an http GET; MCP and unknown tools as tool intents (domain
               permission, operation tool). allow, shadow and redact answer allow; deny deny;
               escalate ask (Claude Code's prompt is the approval step) with the approval key.
               Tools that act only inside Claude Code (TodoWrite, Task, …) get no opinion.
  PostToolUse  the output of WebFetch, WebSearch, Read and MCP tools passes the authority
               boundary: injected instructions are recorded, move the session (WATCHTOWER_SESSION)
               to SENSITIVE, and are reported to Claude (decision: block, with the reason).
Every decision is recorded in the ledger, with Claude Code's session id (annotation hook).
An event that cannot be read or decided is denied: the answer on stdout, the reason on stderr,
exit 2. Other events are recorded; one about a tool call is refused (exit 2).`;

/** Help text of `wt hook opencode`. */
export const OPENCODE_USAGE =
  `wt hook opencode — what Watchtower's opencode plugin runs (wt hook install opencode writes it)

Usage: wt hook opencode [--policy FILE] [--profile NAME] [--mode M] [--set key=value] < EVENT

Reads one event from the plugin (JSON, at most 4 MiB: event, tool, sessionID, callID, args,
directory, worktree, and output after a call) on stdin and answers
{"decision": "allow" | "deny" | "ask" | "block", "reason": …, "key": …} on stdout:
  tool.execute.before  opencode's tools mapped onto Claude Code's and decided the same way: bash
               through the command guard (in args.workdir when given); read, write, edit,
               multiedit, list, glob and grep as filesystem and search intents; webfetch as an
               http GET; patch and apply_patch as writes of the files the patch names; websearch,
               codesearch, MCP and unknown tools as tool intents (domain permission, operation
               tool). allow, shadow and redact answer allow; deny deny; escalate ask, with the
               approval key (the plugin refuses the call until wt approve KEY). todowrite,
               todoread, task and question get allow (recorded, not decided).
  tool.execute.after   the output of webfetch, websearch, codesearch, read and MCP tools passes
               the authority boundary: injected instructions are recorded, move the session to
               SENSITIVE, and the answer is block, whose reason the plugin puts in place of the
               output.
Every decision is recorded in the ledger with agent opencode (context.tool and annotation hook).
An event that cannot be read or decided is denied: the answer on stdout, the reason on stderr,
exit 2. The plugin lets a call run only on allow with exit 0.`;

/** Runs `wt hook`. */
export async function runHook(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "claude-code" || first === "opencode") return await runAgentHook(first, rest);
  if (first === undefined || first === "--help" || first === "-h") {
    out(`${HOOK_USAGE}\n`);
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === "install" || first === "uninstall" || first === "test") {
    if (rest.includes("--help") || rest.includes("-h")) {
      out(`${HOOK_USAGE}\n`);
      return EXIT.ok;
    }
    return await (await import("./hook_install.ts")).runHookAdmin(first, rest);
  }
  throw usage(
    `wt hook: unknown agent or action '${first}' (claude-code, opencode, install, uninstall, test)`,
  );
}

/** `wt hook claude-code` and `wt hook opencode`: answers one event. Nothing escapes as an exception. */
async function runAgentHook(agent: HookAgentName, argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    out(`${agent === "opencode" ? OPENCODE_USAGE : CLAUDE_CODE_USAGE}\n`);
    return EXIT.ok;
  }
  let answer: HookAnswer;
  try {
    // Deciding starts no program (wt hook test does: main.ts keeps run for it).
    Deno.permissions.revokeSync({ name: "run" });
    answer = await answerStdin(agent, argv);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const reason =
      `Watchtower could not decide this (internal error: ${message}), so it is refused`;
    answer = agent === "opencode"
      ? opencodeAnswer({ decision: "deny", reason }, { fault: true })
      : preToolUseAnswer("deny", reason, { fault: true });
  }
  if (answer.stdout) writeAll(Deno.stdout, new TextEncoder().encode(answer.stdout));
  if (answer.stderr) writeAll(Deno.stderr, new TextEncoder().encode(answer.stderr));
  return answer.exitCode;
}

async function answerStdin(agent: HookAgentName, argv: readonly string[]): Promise<HookAnswer> {
  // The agent pipes the event; a terminal means no event is coming (an empty one is refused).
  const bytes = Deno.stdin.isTerminal()
    ? new Uint8Array()
    : await readBounded(Deno.stdin.readable, EVENT_LIMIT);
  const read = agent === "opencode" ? readOpencodeEvent(bytes) : readClaudeEvent(bytes);
  const env = agent === "opencode" ? opencodeEnvironment(read) : hookEnvironment(read);
  const args = parseArgs(argv, POLICY_FLAGS);
  // The decision service answers when one listens and the policy is the usual one.
  if (Object.keys(args.flags).length === 0) {
    const answer = await askService(env, bytes, agent);
    if (answer) return answer;
  }
  return await (await import("./hook_local.ts")).answerLocally(read, env, args, agent);
}

/** The service's answer to the event, or undefined (none listens, or no good answer). */
async function askService(
  env: WatchtowerEnvironment,
  bytes: Uint8Array,
  agent: HookAgentName,
): Promise<HookAnswer | undefined> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined; // not text: refused here, as the event it is
  }
  const client = await DeciderClient.connect(env.stateDir);
  if (!client) return undefined;
  try {
    const reply = await client.call({ op: "hook", env, agent, text });
    const answer = reply?.answer as HookAnswer | undefined;
    const valid = answer !== undefined && typeof answer.stdout === "string" &&
      typeof answer.stderr === "string" && (answer.exitCode === 0 || answer.exitCode === 2);
    return valid ? answer : undefined;
  } finally {
    client.close();
  }
}

/**
 * The environment of one event: its cwd (else ours), and as workspace `WATCHTOWER_WORKSPACE`,
 * else Claude Code's project directory (`CLAUDE_PROJECT_DIR`, where the permission set lets us
 * read it), else the git root of the cwd.
 */
export function hookEnvironment(read: EventRead): WatchtowerEnvironment {
  const cwd = (read.ok ? read.event.cwd : read.unreadable.cwd) ?? Deno.cwd();
  const project = claudeProjectDir();
  return resolveEnvironment(
    (name) => name === "WATCHTOWER_WORKSPACE" ? (readEnv(name) || project) : readEnv(name),
    cwd,
  );
}

/**
 * The environment of one opencode event: its cwd (a bash call's workdir, else opencode's
 * directory; else ours), and as workspace `WATCHTOWER_WORKSPACE`, else the git root of the
 * directory opencode works in (never of a workdir the model chose), else that directory.
 */
export function opencodeEnvironment(read: EventRead): WatchtowerEnvironment {
  const cwd = (read.ok ? read.event.cwd : read.unreadable.cwd) ?? Deno.cwd();
  const project = read.ok ? read.event.projectDir : read.unreadable.projectDir;
  return resolveEnvironment(
    (name) =>
      name === "WATCHTOWER_WORKSPACE"
        ? (readEnv(name) || (project ? findWorkspace(project) : undefined))
        : readEnv(name),
    cwd,
  );
}

function claudeProjectDir(): string | undefined {
  const variable = "CLAUDE_PROJECT_DIR";
  // Queried first: reading a variable outside the set would throw (or prompt on a terminal).
  if (Deno.permissions.querySync({ name: "env", variable }).state !== "granted") return undefined;
  const dir = readEnv(variable);
  return dir?.startsWith("/") ? dir : undefined;
}

/**
 * Reads a stream whole, up to `max` bytes; past that it stops reading and returns `max + 1`
 * bytes, which the event reader refuses as too large.
 */
async function readBounded(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
      if (length > max) break;
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(Math.min(length, max + 1));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
    if (offset >= bytes.length) break;
  }
  return bytes;
}
