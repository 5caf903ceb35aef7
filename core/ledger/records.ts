/**
 * Turning a decision into the ledger record every interception point appends, and the deny
 * that replaces a decision when the ledger cannot record it (an operation that is not recorded
 * did not get permission).
 * @module
 */
import { failClosed, type GuardDecision } from "../guard.ts";
import type { Decision, Intent } from "../intent.ts";
import type { AppendRecord } from "./writer.ts";

/** The ledger record of `decision` on `intent`. */
export function decisionRecord(intent: Intent, decision: GuardDecision): AppendRecord {
  const { audit, annotations, ...core } = decision;
  const recorded: Decision = core;
  return {
    data: {
      identity: intent.identity,
      intent: { domain: intent.domain, operation: intent.operation, target: intent.target },
      decision: recorded,
      context: intent.context,
    },
    annotations: { ...annotations, audit },
  };
}

/** The decision that stands when recording failed: deny, saying why. */
export function unrecordedDecision(error: unknown): GuardDecision {
  const detail = error instanceof Error ? error.message : String(error);
  return failClosed(
    "ledger_unavailable",
    `the decision could not be recorded, so it is denied: ${detail}`,
  );
}
