/**
 * opencode's tool calls as an interception point (`wt hook opencode`, fed by the plugin in
 * core/hooks/opencode_plugin.ts). A call is decided exactly as a Claude Code call is (its tool
 * mapped onto Claude Code's, core/hooks/opencode_tools.ts), recorded with agent `opencode`, and
 * answered allow, deny or ask; an ask refuses the call until `wt approve KEY` (opencode has no
 * prompt a hook can hand over to). Output of web reads, file reads and MCP tools passes the
 * authority boundary and is withheld when not admitted. Whatever cannot be read or decided is
 * refused, and exits 2 as well.
 *
 * @example
 * ```ts
 * import { answerOpencode } from "./opencode.ts";
 * import { readOpencodeEvent } from "./opencode_event.ts";
 * import { Guard } from "../guard.ts";
 * import { Ledger } from "../ledger/writer.ts";
 * import { loadPolicyFromText } from "../policy/mod.ts";
 * import { resolveEnvironment } from "../config.ts";
 * import { equal } from "node:assert/strict";
 * const stateDir = Deno.makeTempDirSync();
 * const env = resolveEnvironment((name) => ({ WATCHTOWER_DIR: stateDir })[name], "/srv/app");
 * const guard = new Guard(await loadPolicyFromText("default: allow\n", { vars: {} }));
 * const event = { event: "tool.execute.before", tool: "bash", sessionID: "ses_1",
 *   callID: "call_1", args: { command: "sudo rm -rf /" }, directory: "/srv/app" };
 * const read = readOpencodeEvent(new TextEncoder().encode(JSON.stringify(event)));
 * const { answer } = await answerOpencode(read, { guard, env, ledger: new Ledger(stateDir) });
 * equal(JSON.parse(answer.stdout).decision, "deny");
 * ```
 * @module
 */
import {
  answerClaudeCode,
  type ClaudeHookOptions,
  type HookAgent,
  type HookOutcome,
} from "./claude_code.ts";
import type { EventRead, HookAnswer } from "./claude_event.ts";
import { opencodeAnswer } from "./opencode_event.ts";
import { opencodeOutputSource, planOpencodeTool } from "./opencode_tools.ts";

/** opencode: its own tools; an ask refuses the call; refused output is withheld. */
export const OPENCODE: HookAgent = Object.freeze({
  name: "opencode",
  label: "opencode",
  plan: planOpencodeTool,
  outputSource: opencodeOutputSource,
  askMayRun: false,
  withholdsOutput: true,
});

/** Answers one event read from the plugin. Never throws: an internal failure is a deny (exit 2). */
export async function answerOpencode(
  read: EventRead,
  options: Omit<ClaudeHookOptions, "agent">,
): Promise<HookOutcome> {
  const outcome = await answerClaudeCode(read, { ...options, agent: OPENCODE });
  const post = read.ok
    ? read.event.hookEventName === "PostToolUse"
    : read.unreadable.hookEventName === "PostToolUse";
  return { ...outcome, answer: inOpencodeFormat(outcome, post) };
}

/** Whether the event is a shell line to decide (the command guard's annotated guard decides it). */
export function isOpencodeShellCall(read: EventRead): boolean {
  return read.ok && read.event.hookEventName === "PreToolUse" && read.event.toolName === "bash";
}

/**
 * The plugin's answer to a decided event (decided and worded as for Claude Code; the plugin
 * lets a call run only on `allow`, and puts a `block`'s reason in place of a tool's output).
 */
function inOpencodeFormat(outcome: HookOutcome, post: boolean): HookAnswer {
  const { answer, approval } = outcome;
  const fault = answer.exitCode === 2;
  const text = answer.stdout.trim();
  let claude: Record<string, unknown> | undefined;
  try {
    const parsed = text === "" ? undefined : JSON.parse(text);
    if (parsed !== null && typeof parsed === "object") claude = parsed;
  } catch {
    claude = undefined;
  }
  const stderr = answer.stderr.trim();
  if (post) {
    if (claude?.decision === "block" && typeof claude.reason === "string") {
      return opencodeAnswer({ decision: "block", reason: claude.reason }, { fault });
    }
    if (fault || text !== "") {
      return opencodeAnswer({
        decision: "block",
        reason: `Watchtower withheld this output: ${stderr || "it could not be checked"}`,
      }, { fault: true });
    }
    return opencodeAnswer({ decision: "allow", reason: "Watchtower admitted this output" });
  }
  const specific = claude?.hookSpecificOutput as Record<string, unknown> | undefined;
  const decision = specific?.permissionDecision;
  const reason = typeof specific?.permissionDecisionReason === "string"
    ? specific.permissionDecisionReason
    : stderr;
  if (fault) {
    return opencodeAnswer({
      decision: "deny",
      reason: reason || "Watchtower could not decide this, so it is refused",
    }, { fault });
  }
  if (text === "") {
    // No opinion: a tool that acts only inside opencode (recorded as hook.pass).
    return opencodeAnswer({
      decision: "allow",
      reason: "Watchtower has no opinion on this tool: it acts only inside opencode",
    });
  }
  if (decision === "allow" || decision === "deny") return opencodeAnswer({ decision, reason });
  if (decision === "ask") {
    const detail = approval?.detail ?? reason;
    const key = approval?.key;
    return opencodeAnswer(
      key
        ? {
          decision: "ask",
          key,
          reason:
            `Watchtower: approval required (key ${key}): ${detail}; after wt approve ${key}, try again`,
        }
        : {
          decision: "ask",
          reason: `Watchtower: approval required: ${detail}; only a change of the policy allows it`,
        },
    );
  }
  return opencodeAnswer({
    decision: "deny",
    reason: `Watchtower could not decide this (an answer it does not know: ${text.slice(0, 200)})`,
  }, { fault: true });
}
