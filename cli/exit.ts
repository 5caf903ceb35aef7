/**
 * sysexits exit codes (DESIGN.md) and the mapping from errors and verdicts to them.
 * @module
 */
import type { ErrorCode } from "../core/errors.ts";
import type { Verdict } from "../core/intent.ts";

/** Exit codes shared by every Watchtower binary. */
export const EXIT = {
  ok: 0,
  usage: 64,
  dataError: 65,
  unavailable: 69,
  internal: 70,
  approvalRequired: 75,
  denied: 77,
  config: 78,
} as const;

/** The exit code for an error code. */
export function exitForError(code: ErrorCode): number {
  switch (code) {
    case "usage":
      return EXIT.usage;
    case "invalid_intent":
      return EXIT.dataError;
    case "policy_missing":
    case "policy_unreadable":
    case "policy_invalid":
    case "condition_syntax":
      return EXIT.config;
    case "ledger_corrupt":
      return EXIT.dataError;
    case "ledger_unavailable":
      return EXIT.config;
    case "session_unavailable":
      return EXIT.denied;
    case "condition_runtime":
    case "internal":
      return EXIT.internal;
  }
}

/** The exit code for an enforced verdict: 0 to proceed, 75 approval required, 77 denied. */
export function exitForVerdict(verdict: Verdict): number {
  if (verdict === "deny") return EXIT.denied;
  if (verdict === "escalate") return EXIT.approvalRequired;
  return EXIT.ok;
}
