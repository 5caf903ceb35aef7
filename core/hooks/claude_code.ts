/**
 * Claude Code's hooks as an interception point (`wt hook claude-code`). A PreToolUse call is
 * decided like any other operation (a `Bash` line by the command guard, file tools as filesystem
 * intents, `WebFetch` as an http GET, MCP and unknown tools as `tool` intents), recorded, and
 * answered allow / deny / ask, so that Claude Code's own prompt is the approval step. PostToolUse
 * output of web reads, file reads and MCP tools passes the authority boundary. Whatever cannot
 * be read or decided is denied in Claude Code's own format, and exits 2 as well: Claude Code
 * treats any other failure of a hook as "carry on".
 *
 * @example
 * ```ts
 * import { answerClaudeCode } from "./claude_code.ts";
 * import { readClaudeEvent } from "./claude_event.ts";
 * import { Guard } from "../guard.ts";
 * import { Ledger } from "../ledger/writer.ts";
 * import { loadPolicyFromText } from "../policy/mod.ts";
 * import { resolveEnvironment } from "../config.ts";
 * import { equal } from "node:assert/strict";
 * const stateDir = Deno.makeTempDirSync();
 * const env = resolveEnvironment((name) => ({ WATCHTOWER_DIR: stateDir })[name], "/srv/app");
 * const guard = new Guard(await loadPolicyFromText("default: allow\n", { vars: {} }));
 * const event = { session_id: "abc123", cwd: "/srv/app", hook_event_name: "PreToolUse",
 *   tool_name: "Bash", tool_input: { command: "sudo rm -rf /" } };
 * const read = readClaudeEvent(new TextEncoder().encode(JSON.stringify(event)));
 * const { answer } = await answerClaudeCode(read, { guard, env, ledger: new Ledger(stateDir) });
 * equal(JSON.parse(answer.stdout).hookSpecificOutput.permissionDecision, "deny");
 * ```
 * @module
 */
import type { ApprovalStore } from "../approvals/store.ts";
import type { WatchtowerEnvironment } from "../config.ts";
import { approvalKeyFor, failClosed, type Guard, type GuardDecision } from "../guard.ts";
import {
  effectiveVerdict,
  type Intent,
  permits,
  RESOURCE_FIELD,
  type Verdict,
  verdictRank,
} from "../intent.ts";
import { decisionRecord, unrecordedDecision } from "../ledger/records.ts";
import type { AppendRecord, Ledger } from "../ledger/writer.ts";
import {
  describeAction,
  isZone,
  SessionTracker,
  type ZoneEvent,
  zoneRank,
} from "../session/mod.ts";
import { intentFor } from "../shim/runner.ts";
import {
  blockingError,
  type ClaudeEvent,
  type EventRead,
  type HookAnswer,
  NO_OPINION,
  postToolUseBlock,
  preToolUseAnswer,
  type UnreadableEvent,
} from "./claude_event.ts";
import { type PlanContext, planTool, toolIntent, type ToolPlan } from "./claude_tools.ts";
import { chunks, postToolUse, responseText } from "./claude_post.ts";
import {
  annotated,
  append,
  type Decided,
  FAULTS,
  hookFacts,
  INJECTED_ZONE,
  reviewEscalations,
  sessionOf,
} from "./hook_parts.ts";

export { chunks, INJECTED_ZONE, responseText };

/** `context.tool` of every intent this adapter decides, and the agent's name in the ledger. */
export const AGENT = "claude-code";

/**
 * The agent whose tool calls are decided: Claude Code ({@link CLAUDE_CODE}), or another agent
 * whose calls are mapped onto the same decisions (core/hooks/opencode.ts).
 */
export interface HookAgent {
  /** `context.tool` of every intent decided for it, and `hook.agent` in the ledger. */
  name: string;
  /** Its name in a sentence (a zone move's cause: "asked in Claude Code"). */
  label: string;
  /** How one of its tool calls is decided (its tool names and arguments). */
  plan(tool: string, input: Record<string, unknown>, context: PlanContext): Promise<ToolPlan>;
  /** The source of a tool's output that passes the authority boundary; undefined: unchecked. */
  outputSource(tool: string): string | undefined;
  /** Whether an asked call may still run (the agent's own prompt is the approval step). */
  askMayRun: boolean;
  /** Whether tool output that is not admitted is withheld from the model (not only reported). */
  withholdsOutput: boolean;
}

/** What answering an event needs. */
export interface ClaudeHookOptions {
  /** The guard; {@link Guard.unavailable} when no policy could be loaded (all is denied). */
  guard: Guard;
  /** The environment, its `cwd` the event's. */
  env: WatchtowerEnvironment;
  ledger: Ledger;
  /** The approval store, loaded when something escalates (signed grants; pending requests). */
  approvals?: () => Promise<Pick<ApprovalStore, "review">>;
  /** The agent the event comes from (default: {@link CLAUDE_CODE}). */
  agent?: HookAgent;
}

/** One answered event. */
export interface HookOutcome {
  answer: HookAnswer;
  /** The verdict acted on; undefined when nothing was decided (no opinion). */
  verdict?: Verdict;
  /** Seqs of the ledger entries written. */
  seqs: number[];
  /** For an ask: the approval key and why (for agents that answer in other words). */
  approval?: { key?: string; detail: string };
}

/** Sources of the tool output that passes the authority boundary, by tool. */
const OUTPUT_SOURCES: Readonly<Record<string, string>> = {
  WebFetch: "webpage",
  WebSearch: "webpage",
  Read: "file",
};

/** The source of `tool`'s output, or undefined when its output is not checked. */
export function outputSource(tool: string): string | undefined {
  return OUTPUT_SOURCES[tool] ?? (tool.startsWith("mcp__") ? "tool-output" : undefined);
}

/** Claude Code: its own tools, its prompt as the approval step, output reported not withheld. */
export const CLAUDE_CODE: HookAgent = Object.freeze({
  name: AGENT,
  label: "Claude Code",
  plan: planTool,
  outputSource,
  askMayRun: true,
  withholdsOutput: false,
});

/**
 * Answers one event read from Claude Code. Never throws: an internal failure is a deny (exit 2).
 */
export async function answerClaudeCode(
  read: EventRead,
  options: ClaudeHookOptions,
): Promise<HookOutcome> {
  try {
    if (!read.ok) return unreadable(read.unreadable, options);
    const { event } = read;
    if (event.hookEventName === "PreToolUse") return await preToolUse(event, options);
    if (event.hookEventName === "PostToolUse") {
      return await postToolUse(event, options, options.agent ?? CLAUDE_CODE);
    }
    return otherEvent(event, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const post = read.ok
      ? read.event.hookEventName === "PostToolUse"
      : read.unreadable.hookEventName === "PostToolUse";
    const reason =
      `Watchtower could not decide this (internal error: ${message}), so it is refused`;
    return {
      answer: post
        ? postToolUseBlock(reason, { fault: true })
        : preToolUseAnswer("deny", reason, { fault: true }),
      verdict: "deny",
      seqs: [],
    };
  }
}

/** A bad event: denied (exit 2), and recorded when the ledger can take it. */
function unreadable(problem: UnreadableEvent, options: ClaudeHookOptions): HookOutcome {
  const { env, ledger } = options;
  const agent = options.agent ?? CLAUDE_CODE;
  const facts = hookFacts(problem, agent);
  const tool = problem.toolName !== undefined;
  const nonToolEvent = !tool && problem.hookEventName !== undefined &&
    problem.hookEventName !== "PreToolUse" && problem.hookEventName !== "PostToolUse";
  if (nonToolEvent) {
    // No tool call is at stake (a session or prompt event): refusing could only stop Claude
    // from stopping or drop the user's prompt. Recorded, no opinion.
    const seqs = append(ledger, [{
      data: { event: { type: "hook.unreadable", ...facts, problem: problem.problem } },
    }]);
    return { answer: NO_OPINION, seqs: Array.isArray(seqs) ? seqs : [] };
  }
  const reason =
    `Watchtower refused this tool call: Cannot read the hook event: ${problem.problem}`;
  const intent = intentFor(
    toolIntent(problem.toolName ?? "(unreadable event)", {
      hook_event: problem.hookEventName ?? null,
      problem: problem.problem.slice(0, 1024),
    }),
    env,
    agent.name,
  );
  const decision = annotated(
    { intent, decision: failClosed("invalid_intent", reason), label: "" },
    facts,
  ).decision;
  const seqs = append(ledger, [decisionRecord(intent, decision)]);
  return {
    answer: problem.hookEventName === "PostToolUse"
      ? postToolUseBlock(reason, { fault: true })
      : preToolUseAnswer("deny", reason, { fault: true }),
    verdict: "deny",
    seqs: Array.isArray(seqs) ? seqs : [],
  };
}

/**
 * An event Watchtower does not handle: when it is about a tool call, that call is refused (exit
 * 2 blocks it, in any event that can block); otherwise it is recorded and left alone.
 */
function otherEvent(event: ClaudeEvent, options: ClaudeHookOptions): HookOutcome {
  const agent = options.agent ?? CLAUDE_CODE;
  const facts = hookFacts(event, agent);
  if (event.toolName === undefined) {
    const seqs = append(options.ledger, [{
      data: { event: { type: "hook.unhandled", ...facts } },
    }]);
    return { answer: NO_OPINION, seqs: Array.isArray(seqs) ? seqs : [] };
  }
  const reason =
    `Watchtower refused this tool call: it does not handle the hook event ${event.hookEventName}`;
  const intent = intentFor(
    toolIntent(event.toolName, { hook_event: event.hookEventName }),
    options.env,
    agent.name,
  );
  const decision = { ...failClosed("builtin_refusal", reason), annotations: { hook: facts } };
  const seqs = append(options.ledger, [decisionRecord(intent, decision)]);
  return { answer: blockingError(reason), verdict: "deny", seqs: Array.isArray(seqs) ? seqs : [] };
}

/** Decides a tool call before it runs. */
async function preToolUse(event: ClaudeEvent, options: ClaudeHookOptions): Promise<HookOutcome> {
  const { env, guard, ledger } = options;
  const agent = options.agent ?? CLAUDE_CODE;
  const facts = hookFacts(event, agent);
  const plan = await agent.plan(event.toolName!, event.toolInput!, {
    cwd: env.cwd,
    home: env.home,
    stateDir: env.stateDir,
  });
  if (plan.kind === "pass") {
    const seqs = append(ledger, [{
      data: { event: { type: "hook.pass", ...facts, why: plan.why } },
    }]);
    if (!Array.isArray(seqs)) {
      const decision = unrecordedDecision(seqs.error);
      return {
        answer: preToolUseAnswer("deny", decision.detail, { fault: true }),
        verdict: "deny",
        seqs: [],
      };
    }
    return { answer: NO_OPINION, seqs };
  }
  const tracker = new SessionTracker(env.stateDir, env.session);
  const session = sessionOf(tracker);
  let parts: Decided[];
  let settle = combined;
  if (plan.kind === "line") {
    const shell = await import("../shell_guard/mod.ts");
    const decided = shell.decideLine(plan.line, {
      guard,
      env,
      tool: agent.name,
      session: session.view,
    });
    parts = decided.parts.map((part) => ({
      kind: part.kind,
      intent: part.intent,
      decision: part.decision,
      label: shell.describePart(part),
    }));
    // The command guard's own rule: a line it could not read is never run, whatever the parts.
    settle = (decidedParts) => {
      const line = shell.combine(
        plan.line,
        decidedParts.map((part) => ({ ...part, kind: part.kind ?? "command" })),
        { parsed: decided.parsed },
      );
      return {
        parts: decidedParts.map((part, i) => ({ ...part, decision: line.parts[i]!.decision })),
        verdict: line.verdict,
        deciding: Math.max(line.deciding, 0),
      };
    };
  } else if (plan.kind === "intents") {
    parts = plan.intents.map((planned) => {
      const intent = intentFor(planned, env, agent.name);
      return { intent, decision: guard.decide(intent, session.view), label: describe(intent) };
    });
  } else {
    const intent = intentFor(plan.intent, env, agent.name);
    const detail = `Cannot read the ${event.toolName} call: ${plan.problem}`;
    parts = [{ intent, decision: failClosed("invalid_intent", detail), label: describe(intent) }];
  }
  if (session.problem) parts = parts.map((part) => ({ ...part, decision: session.problem! }));
  parts = parts.map(protectHook);
  parts = await reviewEscalations(parts, options, session.view?.zone ?? "SAFE");
  let settled = settle(parts);
  parts = settled.parts.map((part) => annotated(part, facts));
  const recorded = append(ledger, parts.map((part) => decisionRecord(part.intent, part.decision)));
  if (!Array.isArray(recorded)) {
    const decision = unrecordedDecision(recorded.error);
    settled = settle(parts.map((part) => ({ ...part, decision })));
    parts = settled.parts;
  }
  const seqs = Array.isArray(recorded) ? recorded : [];
  const { verdict, deciding } = settled;
  if (verdict !== "deny") {
    try {
      const moves = zoneMoves(tracker, parts, verdict, agent);
      if (moves.length > 0) seqs.push(...ledger.appendSync(moves).map((entry) => entry.seq));
    } catch (error) {
      // The session could not follow the action: it does not go ahead.
      const detail = `the session's zone could not be moved, so this does not go ahead: ${
        error instanceof Error ? error.message : error
      }`;
      return {
        answer: preToolUseAnswer("deny", `Watchtower denied this: ${detail}`),
        verdict: "deny",
        seqs,
      };
    }
  }
  return { ...preAnswer(parts, deciding, verdict), verdict, seqs };
}

/** Claude Code's settings files (where the hook is installed) and the `.claude` folder. */
const CLAUDE_SETTINGS = /\/\.claude(\/settings(\.local)?\.json)?$/;
/**
 * opencode's plugin folders (where its plugin is installed), a file in them, and the folders
 * holding them: `.opencode` of a project, `~/.config/opencode`.
 */
const OPENCODE_PLUGINS = /\/(\.opencode|\.config\/opencode)(\/plugins?(\/[^/]+)?)?$/;
const READ_ONLY = new Set(["read", "list", "stat", "search"]);

/**
 * The hook guards its own installation, whatever the policy says: a change to Claude Code's
 * settings files or opencode's plugin folders waits for a human (they hold the hook), and `wt
 * hook install|uninstall` run by the agent is refused (an operator's command, like `wt approve`).
 */
function protectHook(part: Decided): Decided {
  const { intent, decision } = part;
  const target = intent.target;
  let floor: { verdict: "escalate" | "deny"; detail: string } | undefined;
  const changes = intent.domain === "filesystem" && !READ_ONLY.has(intent.operation) &&
    typeof target.path === "string";
  if (changes && CLAUDE_SETTINGS.test(target.path as string)) {
    floor = {
      verdict: "escalate",
      detail:
        "Changing Claude Code's settings, where Watchtower's hook is installed, needs a human",
    };
  } else if (changes && OPENCODE_PLUGINS.test(target.path as string)) {
    floor = {
      verdict: "escalate",
      detail: "Changing opencode's plugins, where Watchtower's plugin is installed, needs a human",
    };
  }
  const argv = Array.isArray(target.argv) ? target.argv.map(String) : [];
  if (
    intent.domain === "command" && /(^|\/)wt$/.test(argv[0] ?? "") && argv[1] === "hook" &&
    (argv[2] === "install" || argv[2] === "uninstall")
  ) {
    floor = {
      verdict: "deny",
      detail: `wt hook ${argv[2]} changes Watchtower's own hook: only an operator runs it`,
    };
  }
  if (!floor || verdictRank(effectiveVerdict(decision)) >= verdictRank(floor.verdict)) return part;
  return {
    ...part,
    decision: {
      ...decision,
      verdict: floor.verdict,
      mode: "enforce",
      reason: "builtin_refusal",
      detail: floor.detail,
      risk_level: "high",
      audit: "heavy",
      approval_key: floor.verdict === "escalate" ? approvalKeyFor(intent, target) : undefined,
    },
  };
}

/** Parts with the verdict to act on and the index of the part that gave it. */
interface Settled {
  parts: Decided[];
  verdict: Verdict;
  deciding: number;
}

/** The most restrictive part decides (a blocking verdict is `shadow` in observe mode). */
function combined(parts: Decided[]): Settled {
  let deciding = 0;
  for (let i = 1; i < parts.length; i++) {
    const rank = verdictRank(effectiveVerdict(parts[i]!.decision));
    if (rank > verdictRank(effectiveVerdict(parts[deciding]!.decision))) deciding = i;
  }
  const top = parts[deciding];
  return { parts, verdict: top ? effectiveVerdict(top.decision) : "deny", deciding };
}

/**
 * The session moves to each part's zone before the call goes ahead (recorded). Where the agent's
 * own prompt follows an `ask` (Claude Code) it moves too: the answer to that prompt never reaches
 * the hook, and a zone moved too early only makes later decisions stricter. Where an ask refuses
 * the call (opencode) nothing runs, so nothing moves.
 */
function zoneMoves(
  tracker: SessionTracker,
  parts: readonly Decided[],
  verdict: Verdict,
  agent: HookAgent,
): AppendRecord[] {
  const moves: AppendRecord[] = [];
  for (const { intent, decision } of parts) {
    const effective = effectiveVerdict(decision);
    let event: ZoneEvent | undefined;
    if (permits(effective)) event = tracker.advance(intent, decision);
    else if (effective === "escalate" && verdict === "escalate" && agent.askMayRun) {
      event = askedMove(tracker, intent, decision, agent);
    }
    if (event) moves.push({ data: { event } });
  }
  return moves;
}

function askedMove(
  tracker: SessionTracker,
  intent: Intent,
  decision: GuardDecision,
  agent: HookAgent,
): ZoneEvent | undefined {
  const zone = decision.annotations.action_zone;
  const decidedIn = decision.annotations.zone;
  if (tracker.id === undefined || !isZone(zone)) return undefined;
  if (isZone(decidedIn) && zoneRank(zone) <= zoneRank(decidedIn)) return undefined;
  const cause = `${describeAction(intent)} (asked in ${agent.label})`;
  const moved = tracker.store.advance(tracker.id, zone, cause);
  if (!moved.changed) return undefined;
  return { type: "session.zone", session: tracker.id, from: moved.from, to: moved.to, cause };
}

/** `domain operation resource`, short. */
function describe(intent: Intent): string {
  const resource = intent.target[RESOURCE_FIELD[intent.domain]];
  const text = typeof resource === "string" ? resource : JSON.stringify(resource ?? "");
  return `${intent.operation} ${text.length <= 200 ? text : `${text.slice(0, 199)}…`}`;
}

/** The PreToolUse answer for decided parts (and, for an ask, the approval it waits for). */
function preAnswer(
  parts: readonly Decided[],
  deciding: number,
  verdict: Verdict,
): Pick<HookOutcome, "answer" | "approval"> {
  const part = parts[deciding];
  const decision = part?.decision ?? failClosed("invalid_intent", "nothing to decide");
  const where = part && parts.length > 1 ? ` [in: ${part.label}]` : "";
  const observe = decision.mode === "observe" && !permits(decision.verdict)
    ? ` (observe mode: it would have been ${
      decision.verdict === "escalate" ? "escalated" : "denied"
    })`
    : "";
  if (verdict === "deny") {
    const reason = `Watchtower denied this: ${decision.detail}${where}`;
    return { answer: preToolUseAnswer("deny", reason, { fault: FAULTS.has(decision.reason) }) };
  }
  if (verdict === "escalate") {
    const key = decision.approval_key;
    const approve = key
      ? ` Approve it here to let it run this once; 'wt approve ${key}' makes Watchtower allow it.`
      : "";
    const answer = preToolUseAnswer(
      "ask",
      `Watchtower asks for approval${
        key ? ` (key ${key})` : ""
      }: ${decision.detail}${where}.${approve}`,
    );
    const detail = `${decision.detail}${where}`;
    return { answer, approval: key ? { key, detail } : { detail } };
  }
  const redact = verdict === "redact"
    ? " (the policy says redact; a hook cannot redact a tool's output, so it is shown as it is)"
    : "";
  return {
    answer: preToolUseAnswer(
      "allow",
      `Watchtower allowed this: ${decision.detail}${observe}${redact}`,
    ),
  };
}
