/**
 * Approval keys and grant durations as users type them: checked before a key becomes part of a
 * file name, and before a duration becomes an expiry.
 * @module
 */
import { WatchtowerError } from "../errors.ts";

/**
 * What an approval key may look like: the guard's `wt-` + 16 hex digits, or a rule's
 * `approval_key` (the policy schema allows `[\w.:-]{1,128}`). No `/`, no NUL, no `..`, no
 * leading dot (temporary files start with one), so a key is always one plain file name.
 */
const KEY = /^[A-Za-z0-9_:-][A-Za-z0-9_.:-]{0,127}$/;

/**
 * Whether `key` can name an approval (and so a file in the state directory).
 *
 * @example
 * ```ts
 * import { isApprovalKey } from "./key.ts";
 * import { equal } from "node:assert/strict";
 * equal(isApprovalKey("wt-0123456789abcdef"), true);
 * equal(isApprovalKey("soc_salary_access"), true);
 * equal(isApprovalKey("../policy.yaml"), false);
 * ```
 */
export function isApprovalKey(key: string): boolean {
  return KEY.test(key) && !key.includes("..");
}

/** Returns `key` when it is an approval key; throws a `usage` error naming the rule otherwise. */
export function checkApprovalKey(key: string): string {
  if (isApprovalKey(key)) return key;
  const shown = JSON.stringify(key.length > 140 ? `${key.slice(0, 140)}…` : key);
  throw new WatchtowerError(
    "usage",
    `Cannot use approval key ${shown}: a key is 1-128 letters, digits and . _ : - (not starting with a dot, no '..'), like wt-0123456789abcdef; wt pending lists the keys`,
  );
}

/** The longest a duration grant may last: 30 days. */
export const MAX_GRANT_MS = 30 * 24 * 60 * 60 * 1000;

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses a grant duration: a whole number and one unit, `30s`, `5m`, `2h` or `1d`, more than
 * zero and at most {@link MAX_GRANT_MS}. Throws a `usage` error otherwise.
 *
 * @example
 * ```ts
 * import { parseGrantDuration } from "./key.ts";
 * import { equal, throws } from "node:assert/strict";
 * equal(parseGrantDuration("5m"), 300_000);
 * throws(() => parseGrantDuration("0s"));
 * throws(() => parseGrantDuration("31d"));
 * ```
 */
export function parseGrantDuration(text: string): number {
  const match = /^(\d{1,9})([smhd])$/.exec(text);
  if (!match) {
    throw new WatchtowerError(
      "usage",
      `Cannot read duration ${
        JSON.stringify(text)
      }: give a whole number and a unit, e.g. 30s, 5m, 2h or 1d`,
    );
  }
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  return checkGrantDuration(ms, text);
}

/** Returns `ms` when it is a valid grant duration (1 ms to 30 days); throws `usage` otherwise. */
export function checkGrantDuration(ms: number, shown: string = `${ms} ms`): number {
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new WatchtowerError(
      "usage",
      `Cannot grant for ${shown}: a duration must be more than zero (omit --duration for a one-time approval)`,
    );
  }
  if (ms > MAX_GRANT_MS) {
    throw new WatchtowerError(
      "usage",
      `Cannot grant for ${shown}: the longest grant is 30 days (30d); approve again when it expires`,
    );
  }
  return ms;
}
