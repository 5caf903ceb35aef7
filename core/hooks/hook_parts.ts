/**
 * What the agents' hooks share between deciding a call (before it runs) and checking its output
 * (after): the decided parts, the hook's facts kept beside each decision, appending to the
 * ledger without throwing, the session a call is decided in, and the approvals' review.
 * @module
 */
import type { ApprovalStore } from "../approvals/store.ts";
import { WatchtowerError } from "../errors.ts";
import { failClosed, type GuardDecision } from "../guard.ts";
import { effectiveVerdict, type Intent, type ReasonCode } from "../intent.ts";
import { unrecordedDecision } from "../ledger/records.ts";
import type { AppendRecord, Ledger } from "../ledger/writer.ts";
import type { SessionTracker } from "../session/mod.ts";
import type { PartKind } from "../shell_guard/mod.ts";
import type { ClaudeEvent, UnreadableEvent } from "./claude_event.ts";

/** The zone a session moves to when injected instructions reached the agent. */
export const INJECTED_ZONE = "SENSITIVE";

/** Reasons that mean Watchtower could not decide: answered with exit 2 as well. */
export const FAULTS: ReadonlySet<ReasonCode> = new Set([
  "policy_unavailable",
  "ledger_unavailable",
  "invalid_intent",
]);

/** One decided intent. */
export interface Decided {
  /** For a part of a shell line: what it stands for (core/shell_guard). */
  kind?: PartKind;
  intent: Intent;
  decision: GuardDecision;
  /** A few words naming it in a reason (`[in: …]`). */
  label: string;
}

/** The facts about the call the ledger keeps beside each decision (annotation `hook`). */
export function hookFacts(
  event: ClaudeEvent | UnreadableEvent,
  agent: { name: string },
): Record<string, unknown> {
  const clip = (value: string | undefined) => value === undefined ? null : value.slice(0, 256);
  const facts: Record<string, unknown> = {
    agent: agent.name,
    event: clip(event.agentEvent ?? event.hookEventName),
    tool: clip(event.toolName),
    agent_session: clip(event.sessionId),
  };
  if ("toolUseId" in event) {
    facts.tool_use_id = clip(event.toolUseId);
    facts.permission_mode = clip(event.permissionMode);
  }
  return facts;
}

export function annotated(decided: Decided, facts: Record<string, unknown>): Decided {
  const { decision } = decided;
  return {
    ...decided,
    decision: { ...decision, annotations: { ...decision.annotations, hook: facts } },
  };
}

/** Appends `records`; returns the seqs, or the error when the ledger refused them. */
export function append(ledger: Ledger, records: AppendRecord[]): number[] | { error: unknown } {
  try {
    return ledger.appendSync(records).map((entry) => entry.seq);
  } catch (error) {
    return { error };
  }
}

/** The session this call is decided in, or the deny that replaces every decision. */
export function sessionOf(
  tracker: SessionTracker,
): { view?: ReturnType<SessionTracker["view"]>; problem?: GuardDecision } {
  try {
    return { view: tracker.view() };
  } catch (error) {
    if (!(error instanceof WatchtowerError) || error.code !== "session_unavailable") throw error;
    return { problem: failClosed("session_unavailable", error.message) };
  }
}

/** Escalations a signed grant approves become allows; the others become pending requests. */
export async function reviewEscalations(
  parts: Decided[],
  options: { approvals?: () => Promise<Pick<ApprovalStore, "review">> },
  zone: string,
): Promise<Decided[]> {
  if (!options.approvals || !parts.some((part) => part.decision.verdict === "escalate")) {
    return parts;
  }
  // Denied anyway: no grant could change that, and no request should wait for a human.
  if (parts.some((part) => effectiveVerdict(part.decision) === "deny")) return parts;
  try {
    const approvals = await options.approvals();
    return await Promise.all(parts.map(async (part) => ({
      ...part,
      decision: await approvals.review(part.intent, part.decision, { zone }),
    })));
  } catch (error) {
    const decision = unrecordedDecision(error);
    return parts.map((part) => ({ ...part, decision }));
  }
}
