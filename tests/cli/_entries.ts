/** Ledger entries for the unit tests of the ledger views, built without a ledger. */
import type { LedgerEntry } from "../../core/ledger/entry.ts";

/** What a test says about a decision entry; the rest is filled in. */
export interface DecisionSpec {
  seq: number;
  domain?: string;
  operation?: string;
  target?: Record<string, string>;
  verdict?: string;
  mode?: string;
  principal?: string;
  session?: string;
  rules?: string[];
  timestamp?: string;
}

/** A decision entry. */
export function decision(spec: DecisionSpec): LedgerEntry {
  return {
    seq: spec.seq,
    timestamp: spec.timestamp ?? "2024-01-15T10:30:00.000Z",
    data: {
      identity: { principal: spec.principal ?? "user:alice", capabilities: [] },
      intent: {
        domain: spec.domain ?? "filesystem",
        operation: spec.operation ?? "read",
        target: spec.target ?? { path: "/tmp/test.txt" },
      },
      decision: {
        verdict: (spec.verdict ?? "allow") as "allow",
        mode: (spec.mode ?? "enforce") as "enforce",
        reason: "rule",
        detail: "matched a rule",
        matched_rules: spec.rules ?? ["allow-tmp-read"],
        risk_score: 0.15,
        risk_level: "low",
        sensitivity: "public",
      },
      ...(spec.session ? { context: { session: spec.session } } : {}),
    },
    annotations: {},
    prev_hash: "0".repeat(64),
    hash: "a".repeat(64),
  };
}

/** An event entry. */
export function event(
  seq: number,
  type: string,
  fields: Record<string, unknown> = {},
  timestamp = "2024-01-15T10:31:00.000Z",
): LedgerEntry {
  return {
    seq,
    timestamp,
    data: { event: { type, ...fields } },
    annotations: {},
    prev_hash: "0".repeat(64),
    hash: "b".repeat(64),
  };
}
