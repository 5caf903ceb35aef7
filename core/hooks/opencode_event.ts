/**
 * The opencode plugin's side of a hook call (core/hooks/opencode_plugin.ts writes the plugin):
 * the event it sends on `wt hook opencode`'s stdin, read strictly and mapped onto Claude Code's
 * event shape (so that the same code decides both), and the answer it understands on stdout.
 *
 * An event is one JSON object: `event` (`tool.execute.before` or `tool.execute.after`, opencode's
 * hook names), `tool` (opencode's tool name), `sessionID` and `callID` (opencode's), `args` (the
 * tool's arguments), `directory` (the project opencode runs in, absolute), `worktree`, and for
 * `tool.execute.after` the tool's `output` (text). The answer is `{"decision": "allow" | "deny" |
 * "ask" | "block", "reason": …, "key"?: …}` with exit 0, or exit 2 (the reason on stderr as
 * well) when Watchtower could not decide.
 * @module
 */
import { normalizePath } from "../match/path.ts";
import {
  eventObject,
  type EventRead,
  type HookAnswer,
  isAbsolute,
  isToolName,
  oneLine,
  TOOL_NAME_MAX,
  type UnreadableEvent,
} from "./claude_event.ts";

/** opencode's hook names, and the Claude Code events they are decided as. */
export const OPENCODE_EVENTS: Readonly<Record<string, "PreToolUse" | "PostToolUse">> = {
  "tool.execute.before": "PreToolUse",
  "tool.execute.after": "PostToolUse",
};

/** An answer's decision: a call runs only on `allow`; `block` withholds a tool's output. */
export type OpencodeDecision = "allow" | "deny" | "ask" | "block";

/** The answer the plugin reads. */
export interface OpencodeAnswer {
  decision: OpencodeDecision;
  /** One line for the model (the plugin throws it, or puts it in place of the output). */
  reason: string;
  /** For `ask`: the approval key (`wt approve KEY`). */
  key?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Reads one event from the plugin: at most {@link EVENT_LIMIT} bytes of UTF-8 JSON. A `bash`
 * call's `args.workdir` becomes the event's cwd (the command runs there); every other call acts
 * in `directory`.
 *
 * @example
 * ```ts
 * import { readOpencodeEvent } from "./opencode_event.ts";
 * import { equal } from "node:assert/strict";
 * const read = readOpencodeEvent(new TextEncoder().encode(JSON.stringify({
 *   event: "tool.execute.before", tool: "read", sessionID: "ses_1", callID: "call_1",
 *   args: { filePath: "/srv/app/README.md" }, directory: "/srv/app", worktree: "/srv/app",
 * })));
 * equal(read.ok && read.event.hookEventName, "PreToolUse");
 * equal(read.ok && read.event.toolName, "read");
 * equal(readOpencodeEvent(new TextEncoder().encode("{")).ok, false);
 * ```
 */
export function readOpencodeEvent(bytes: Uint8Array): EventRead {
  const fail = (problem: string, known: Omit<UnreadableEvent, "problem"> = {}): EventRead => ({
    ok: false,
    unreadable: { problem, ...known },
  });
  const parsed = eventObject(bytes);
  if (typeof parsed === "string") return fail(parsed);
  const value = parsed;
  const known = knownFields(value);
  const name = value.event;
  const hookEventName = typeof name === "string" ? OPENCODE_EVENTS[name] : undefined;
  if (hookEventName === undefined) {
    return fail(`event: expected tool.execute.before or tool.execute.after`, known);
  }
  for (const field of ["sessionID", "callID"] as const) {
    if (value[field] !== undefined && typeof value[field] !== "string") {
      return fail(`${field}: expected a string`, known);
    }
  }
  const tool = value.tool;
  if (typeof tool !== "string" || !isToolName(tool)) {
    return fail(`tool: expected a tool's name (1 to ${TOOL_NAME_MAX} characters)`, known);
  }
  const directory = value.directory;
  if (typeof directory !== "string" || !isAbsolute(directory)) {
    return fail("directory: expected the absolute directory opencode works in", known);
  }
  if (value.worktree !== undefined && typeof value.worktree !== "string") {
    return fail("worktree: expected a string", known);
  }
  const post = hookEventName === "PostToolUse";
  // opencode passes the arguments to the hook after a call too (newer versions); the plugin
  // remembers them from the call otherwise. Only a call is refused without them.
  const args = value.args ?? (post ? {} : undefined);
  if (!isRecord(args)) {
    return fail("args: expected the tool's arguments (an object)", known);
  }
  if (post && value.output === undefined) {
    return fail("output: missing (what the tool returned)", known);
  }
  let cwd = normalizePath(directory);
  if (tool === "bash" && args.workdir !== undefined && args.workdir !== null) {
    const workdir = args.workdir;
    if (typeof workdir !== "string" || workdir === "" || workdir.includes("\0")) {
      return fail("args.workdir: expected a directory", known);
    }
    cwd = normalizePath(workdir, cwd);
  }
  return {
    ok: true,
    event: {
      hookEventName,
      agentEvent: name as string,
      sessionId: value.sessionID as string | undefined,
      transcriptPath: undefined,
      cwd,
      projectDir: normalizePath(directory),
      permissionMode: undefined,
      toolName: tool,
      toolInput: args,
      toolResponse: value.output,
      toolUseId: value.callID as string | undefined,
    },
  };
}

/** What can still be used of a bad event (to answer in its format, to record). */
function knownFields(value: Record<string, unknown>): Omit<UnreadableEvent, "problem"> {
  const known: Omit<UnreadableEvent, "problem"> = {};
  const text = (v: unknown, max: number): v is string => typeof v === "string" && v.length <= max;
  if (text(value.event, 64)) {
    known.agentEvent = value.event;
    const mapped = OPENCODE_EVENTS[value.event];
    if (mapped) known.hookEventName = mapped;
  }
  if (text(value.tool, TOOL_NAME_MAX) && isToolName(value.tool)) known.toolName = value.tool;
  if (text(value.sessionID, 256)) known.sessionId = value.sessionID;
  if (typeof value.directory === "string" && isAbsolute(value.directory)) {
    known.cwd = normalizePath(value.directory);
    known.projectDir = known.cwd;
  }
  return known;
}

/**
 * The answer the plugin reads: JSON on stdout, exit 0; with `fault` (Watchtower could not
 * decide) exit 2 and the reason on stderr too.
 *
 * @example
 * ```ts
 * import { opencodeAnswer } from "./opencode_event.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const answer = opencodeAnswer({ decision: "deny", reason: "Watchtower denied this: x" });
 * equal(answer.exitCode, 0);
 * deepEqual(JSON.parse(answer.stdout), { decision: "deny", reason: "Watchtower denied this: x" });
 * ```
 */
export function opencodeAnswer(
  answer: OpencodeAnswer,
  options: { fault?: boolean } = {},
): HookAnswer {
  const reason = oneLine(answer.reason);
  // A fault never allows, whatever was decided before it.
  const decision = options.fault && answer.decision === "allow" ? "deny" : answer.decision;
  const stdout = `${
    JSON.stringify({ decision, reason, ...(answer.key !== undefined ? { key: answer.key } : {}) })
  }\n`;
  return options.fault
    ? { stdout, stderr: `${reason}\n`, exitCode: 2 }
    : { stdout, stderr: "", exitCode: 0 };
}
