/**
 * Claude Code's side of a hook call: the event it writes on the hook's stdin (read strictly,
 * every problem named) and the answers it understands on stdout, with the exit code that goes
 * with them. Formats: Claude Code's hooks reference (code.claude.com/docs/en/hooks).
 * @module
 */

/** Most bytes of one event read from stdin (4 MiB); a larger event is refused. */
export const EVENT_LIMIT = 4 << 20;

/** The events Watchtower answers; every other event name is answered fail-closed. */
export const HANDLED_EVENTS = ["PreToolUse", "PostToolUse"] as const;

/** A hook event as Claude Code sends it: the common fields and those of tool events. */
export interface ClaudeEvent {
  /** `hook_event_name`: `PreToolUse`, `PostToolUse`, … */
  hookEventName: string;
  /** Claude Code's session id (not a Watchtower session). */
  sessionId: string | undefined;
  transcriptPath: string | undefined;
  /** The directory the tool acts in: absolute (always there in a tool event). */
  cwd: string | undefined;
  permissionMode: string | undefined;
  toolName: string | undefined;
  toolInput: Record<string, unknown> | undefined;
  /** PostToolUse: what the tool returned (any JSON). */
  toolResponse: unknown;
  toolUseId: string | undefined;
  /** The event's name in the agent's own terms, when it is not Claude Code (the ledger's). */
  agentEvent?: string;
  /** The project the agent works in, when the event names it apart from `cwd` (opencode's). */
  projectDir?: string;
}

/** What is known of an event that could not be read, for the answer and the ledger. */
export interface UnreadableEvent {
  problem: string;
  hookEventName?: string;
  toolName?: string;
  sessionId?: string;
  cwd?: string;
  /** The event's name in the agent's own terms, when it is not Claude Code (the ledger's). */
  agentEvent?: string;
  /** The project the agent works in, when the event names it apart from `cwd` (opencode's). */
  projectDir?: string;
}

/** The outcome of reading an event. */
export type EventRead = { ok: true; event: ClaudeEvent } | {
  ok: false;
  unreadable: UnreadableEvent;
};

/** What the hook writes and how it exits. */
export interface HookAnswer {
  /** JSON for Claude Code, or empty (no opinion). */
  stdout: string;
  /** One line for Claude (read only with exit code 2), or empty. */
  stderr: string;
  /** 0: Claude Code reads stdout; 2: it blocks the call and gives stderr to Claude. */
  exitCode: 0 | 2;
}

/** A PreToolUse answer's permission decision. */
export type PermissionDecision = "allow" | "deny" | "ask";

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Longest tool name kept (Claude Code's MCP names are server and tool joined: room to spare). */
/** The longest tool name an event may carry. */
export const TOOL_NAME_MAX = 256;

/**
 * Reads one event: at most {@link EVENT_LIMIT} bytes of UTF-8 JSON, an object with a
 * `hook_event_name`; tool events (any event with a `tool_name`) also need an absolute `cwd` and a
 * `tool_input` object, and PostToolUse a `tool_response`. Optional fields of the wrong type are
 * refused too.
 *
 * @example
 * ```ts
 * import { readClaudeEvent } from "./claude_event.ts";
 * import { equal } from "node:assert/strict";
 * const read = readClaudeEvent(new TextEncoder().encode(JSON.stringify({
 *   session_id: "abc123", transcript_path: "/home/u/.claude/projects/p/abc123.jsonl",
 *   cwd: "/home/u/p", permission_mode: "default", hook_event_name: "PreToolUse",
 *   tool_name: "Bash", tool_input: { command: "npm test" }, tool_use_id: "toolu_01",
 * })));
 * equal(read.ok && read.event.toolName, "Bash");
 * const bad = readClaudeEvent(new TextEncoder().encode("{not json"));
 * equal(bad.ok, false);
 * ```
 */
export function readClaudeEvent(bytes: Uint8Array): EventRead {
  const fail = (problem: string, known: Omit<UnreadableEvent, "problem"> = {}): EventRead => ({
    ok: false,
    unreadable: { problem, ...known },
  });
  const parsed = eventObject(bytes);
  if (typeof parsed === "string") return fail(parsed);
  const value = parsed;
  const known = knownFields(value);
  const name = value.hook_event_name;
  if (typeof name !== "string" || !EVENT_NAME.test(name)) {
    return fail("hook_event_name: expected the event's name (a word such as PreToolUse)", known);
  }
  const optional = ["session_id", "transcript_path", "permission_mode", "tool_use_id"] as const;
  for (const field of optional) {
    if (value[field] !== undefined && typeof value[field] !== "string") {
      return fail(`${field}: expected a string`, known);
    }
  }
  const toolName = value.tool_name;
  if (toolName !== undefined && (typeof toolName !== "string" || !isToolName(toolName))) {
    return fail(`tool_name: expected a tool's name (1 to ${TOOL_NAME_MAX} characters)`, known);
  }
  const cwd = value.cwd;
  const toolEvent = toolName !== undefined || (HANDLED_EVENTS as readonly string[]).includes(name);
  if (cwd !== undefined && (typeof cwd !== "string" || !isAbsolute(cwd))) {
    return fail("cwd: expected an absolute directory", known);
  }
  if (toolEvent) {
    if (cwd === undefined) return fail("cwd: missing (the directory the tool acts in)", known);
    if (toolName === undefined) return fail("tool_name: missing", known);
    if (!isRecord(value.tool_input)) return fail("tool_input: expected an object", known);
    if (name === "PostToolUse" && value.tool_response === undefined) {
      return fail("tool_response: missing (what the tool returned)", known);
    }
  }
  return {
    ok: true,
    event: {
      hookEventName: name,
      sessionId: value.session_id as string | undefined,
      transcriptPath: value.transcript_path as string | undefined,
      cwd: cwd as string | undefined,
      permissionMode: value.permission_mode as string | undefined,
      toolName: toolName as string | undefined,
      toolInput: isRecord(value.tool_input) ? value.tool_input : undefined,
      toolResponse: value.tool_response,
      toolUseId: value.tool_use_id as string | undefined,
    },
  };
}

/**
 * An event's bytes as a JSON object, or why they are not one (too large, not UTF-8, not JSON,
 * not an object): what every agent's event reader checks first.
 */
export function eventObject(bytes: Uint8Array): Record<string, unknown> | string {
  if (bytes.length > EVENT_LIMIT) return `the event is larger than ${EVENT_LIMIT} bytes`;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return "the event is not valid UTF-8";
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `the event is not JSON (${error instanceof Error ? error.message : error})`;
  }
  return isRecord(value) ? value : "the event is not a JSON object";
}

/** Whether `name` can be a tool's name: printable, no line breaks, bounded. */
export function isToolName(name: string): boolean {
  return name.length > 0 && name.length <= TOOL_NAME_MAX && !/\p{Cc}/u.test(name);
}

/** Whether `path` is an absolute path an event may name (no NUL, bounded). */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/") && !path.includes("\0") && path.length <= 4096;
}

/** The fields of a bad event that can still be used (to answer in its format, to record). */
function knownFields(value: Record<string, unknown>): Omit<UnreadableEvent, "problem"> {
  const known: Omit<UnreadableEvent, "problem"> = {};
  const text = (v: unknown, max: number) => typeof v === "string" && v.length <= max;
  if (text(value.hook_event_name, 64)) known.hookEventName = value.hook_event_name as string;
  if (text(value.tool_name, TOOL_NAME_MAX) && isToolName(value.tool_name as string)) {
    known.toolName = value.tool_name as string;
  }
  if (text(value.session_id, 256)) known.sessionId = value.session_id as string;
  if (typeof value.cwd === "string" && isAbsolute(value.cwd)) known.cwd = value.cwd;
  return known;
}

const MAX_REASON = 2000;

/** `text` on one line, at most {@link MAX_REASON} characters. */
export function oneLine(text: string): string {
  const flat = text.replace(/[\r\n]+/g, " ").replace(/\p{Cc}/gu, "");
  return flat.length <= MAX_REASON ? flat : `${flat.slice(0, MAX_REASON - 1)}…`;
}

/**
 * The PreToolUse answer: `hookSpecificOutput.permissionDecision` with Watchtower's reason, exit 0.
 * With `fault` (Watchtower could not decide: bad input, no policy, no ledger) it also exits 2
 * with the reason on stderr, which blocks the call whatever becomes of stdout.
 *
 * @example
 * ```ts
 * import { preToolUseAnswer } from "./claude_event.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const answer = preToolUseAnswer("deny", "Watchtower denied this: rule deny-secrets");
 * equal(answer.exitCode, 0);
 * deepEqual(JSON.parse(answer.stdout), {
 *   hookSpecificOutput: {
 *     hookEventName: "PreToolUse",
 *     permissionDecision: "deny",
 *     permissionDecisionReason: "Watchtower denied this: rule deny-secrets",
 *   },
 * });
 * ```
 */
export function preToolUseAnswer(
  decision: PermissionDecision,
  reason: string,
  options: { fault?: boolean } = {},
): HookAnswer {
  const line = oneLine(reason);
  const stdout = `${
    JSON.stringify({
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        // A fault always denies, whatever was asked.
        permissionDecision: options.fault ? "deny" : decision,
        permissionDecisionReason: line,
      },
    })
  }\n`;
  return options.fault
    ? { stdout, stderr: `${line}\n`, exitCode: 2 }
    : { stdout, stderr: "", exitCode: 0 };
}

/**
 * The PostToolUse answer that feeds a warning to Claude (`decision: block` with the reason: the
 * tool has already run, so this tells Claude rather than stops anything). With `fault`, exit 2
 * and the reason on stderr as well.
 */
export function postToolUseBlock(reason: string, options: { fault?: boolean } = {}): HookAnswer {
  const line = oneLine(reason);
  const stdout = `${JSON.stringify({ decision: "block", reason: line })}\n`;
  return options.fault
    ? { stdout, stderr: `${line}\n`, exitCode: 2 }
    : { stdout, stderr: "", exitCode: 0 };
}

/** No opinion: exit 0 with nothing on stdout (Claude Code carries on as it would without us). */
export const NO_OPINION: HookAnswer = Object.freeze({ stdout: "", stderr: "", exitCode: 0 });

/** Exit 2 with the reason on stderr and nothing on stdout: for events whose format is unknown. */
export function blockingError(reason: string): HookAnswer {
  return { stdout: "", stderr: `${oneLine(reason)}\n`, exitCode: 2 };
}
