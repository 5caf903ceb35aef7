/**
 * Typed errors shared by every part of Watchtower. Callers branch on `code`, never on the message.
 * @module
 */

/** Stable error codes; each maps to one sysexits exit code in the adapters. */
export type ErrorCode =
  | "usage"
  | "invalid_intent"
  | "policy_missing"
  | "policy_unreadable"
  | "policy_invalid"
  | "condition_syntax"
  | "condition_runtime"
  | "ledger_corrupt"
  | "ledger_unavailable"
  | "session_unavailable"
  | "internal";

/** An error with a stable code, optional location and a cause. */
export class WatchtowerError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Where the fault is, when known (file, line and column are 1-based). */
  readonly location: ErrorLocation | undefined;
  /** Further problems of the same kind, one line each (the message names the first). */
  readonly details: readonly string[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; location?: ErrorLocation; details?: readonly string[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WatchtowerError";
    this.code = code;
    this.location = options.location;
    this.details = options.details ?? [];
  }
}

/** A position in a source text or file: all numbers 1-based. */
export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
  /** The field path inside a document, e.g. `policies[3].priority`. */
  field?: string;
}

/** Formats a location as `file:line:col` (parts that are unknown are left out). */
export function formatLocation(location: ErrorLocation | undefined): string {
  if (!location) return "";
  let out = location.file ?? "";
  if (location.line !== undefined) {
    out += `${out ? ":" : "line "}${location.line}`;
    if (location.column !== undefined) out += `:${location.column}`;
  }
  return out;
}
