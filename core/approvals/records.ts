/**
 * The two files of the approval workflow, a pending request and a grant, and their hand-written
 * validators (zod would cost start-up time on the guard's hot path). Both files are hostile input:
 * anyone who can write the state directory can write them, so every field is checked, unknown
 * keys are refused, and sizes are bounded.
 * @module
 */
import { type Domain, DOMAINS, INTENT_LIMITS, type Target } from "../intent.ts";
import { sha256, toHex } from "../ledger/sha256.ts";
import { isApprovalKey } from "./key.ts";

/** Who asked for what: the normalised operation a grant approves, exactly. */
export interface ApprovedOperation {
  principal: string;
  domain: Domain;
  operation: string;
  /** The target as the guard decided it (paths normalised). */
  target: Target;
}

/** `pending/<key>.json`: an escalation waiting for a human. */
export interface PendingRequest extends ApprovedOperation {
  version: 1;
  key: string;
  /** When it was first requested (ISO); a repeated request keeps it. */
  created: string;
  session: string | null;
  zone: string | null;
  /** The decision's detail: why approval is needed. */
  reason: string;
  matched_rules: string[];
  /** A hash or label of the policy that escalated, when the adapter gave one. */
  policy: string | null;
}

/** How long a grant lasts: one use, until `expires`, or for the rest of its session. */
export type GrantScope = "once" | "duration" | "session";

/** The scopes, in the order `wt approve` documents them. */
export const GRANT_SCOPES: readonly GrantScope[] = ["once", "duration", "session"];

/**
 * `approvals/<key>.json`: a human's approval of one operation, signed by the operator's key
 * (`signature`, see signing.ts); adapters refuse a grant whose signature does not verify.
 */
export interface Grant {
  version: 1;
  key: string;
  scope: GrantScope;
  /** The session it applies in (null: only intents without a session). */
  session: string | null;
  created: string;
  /** When it stops applying (ISO), or null (once, session). */
  expires: string | null;
  approver: string;
  operation: ApprovedOperation;
  policy: string | null;
  /** Base64 Ed25519 signature over every other field (signing.ts `grantStatement`). */
  signature?: string;
}

/** A validated record, or what is wrong with it. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** The largest approval file read: bigger is refused as corrupt. */
export const MAX_RECORD_BYTES = 8 * 1024 * 1024;

/** Checks one value; returns the expectation it fails, or undefined. */
type Check = (value: unknown) => string | undefined;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const MAX_TEXT = INTENT_LIMITS.stringLength;

const text: Check = (v) =>
  typeof v === "string" && v.length <= MAX_TEXT ? undefined : "a string (at most 64 KiB)";
const nonEmpty: Check = (v) => typeof v === "string" && v !== "" ? text(v) : "a non-empty string";
const orNull = (check: Check): Check => (v) => v === null ? undefined : check(v);
const time: Check = (v) =>
  typeof v === "string" && ISO.test(v) && !Number.isNaN(Date.parse(v))
    ? undefined
    : "an ISO time like 2024-01-15T10:30:00.000Z";
const key: Check = (v) => typeof v === "string" && isApprovalKey(v) ? undefined : "an approval key";
const oneOf = (values: readonly unknown[]): Check => (v) =>
  values.includes(v) ? undefined : `one of ${values.join(", ")}`;
const names: Check = (v) =>
  Array.isArray(v) && v.length <= INTENT_LIMITS.listLength && v.every((s) => text(s) === undefined)
    ? undefined
    : "a list of strings";
const target: Check = (v) => {
  if (!isPlainObject(v)) return "an object";
  const entries = Object.entries(v);
  if (entries.length > INTENT_LIMITS.targetKeys) return "at most 64 fields";
  for (const [, value] of entries) {
    const scalar = (x: unknown) =>
      typeof x === "string" ? x.length <= MAX_TEXT : typeof x === "number" && Number.isFinite(x);
    const ok = value === null || typeof value === "boolean" || scalar(value) ||
      (Array.isArray(value) && value.length <= INTENT_LIMITS.listLength && value.every(scalar));
    if (!ok) return "an object of strings, numbers, booleans, null or flat lists";
  }
  return undefined;
};

const OPERATION_FIELDS: Record<string, Check> = {
  principal: nonEmpty,
  domain: oneOf(DOMAINS),
  operation: nonEmpty,
  target,
};

const PENDING_FIELDS: Record<string, Check> = {
  version: oneOf([1]),
  key,
  created: time,
  session: orNull(nonEmpty),
  zone: orNull(text),
  ...OPERATION_FIELDS,
  reason: text,
  matched_rules: names,
  policy: orNull(text),
};

const GRANT_FIELDS: Record<string, Check> = {
  version: oneOf([1]),
  key,
  scope: oneOf(GRANT_SCOPES),
  session: orNull(nonEmpty),
  created: time,
  expires: orNull(time),
  approver: nonEmpty,
  operation: (v) => checkFields(v, OPERATION_FIELDS, "operation."),
  policy: orNull(text),
  // The operator's Ed25519 signature over the other fields (signing.ts); absent: unsigned.
  signature: (v) => v === undefined ? undefined : text(v),
};

/** Validates a pending request's file text; `expectedKey` is the key its file name says. */
export function parsePending(text: string, expectedKey: string): Parsed<PendingRequest> {
  const parsed = parseRecord<PendingRequest>(text, PENDING_FIELDS, expectedKey);
  if (parsed.ok && !keyFits(expectedKey, parsed.value)) return MISFIT;
  return parsed;
}

const MISFIT = {
  ok: false,
  problem: "its operation is not the one its key was derived from (edited?)",
} as const;

/** Validates a grant's file text; `expectedKey` is the key its file name says. */
export function parseGrant(text: string, expectedKey: string): Parsed<Grant> {
  const parsed = parseRecord<Grant>(text, GRANT_FIELDS, expectedKey);
  if (!parsed.ok) return parsed;
  const grant = parsed.value;
  if (!keyFits(expectedKey, grant.operation)) return MISFIT;
  if (grant.scope === "duration" && grant.expires === null) {
    return { ok: false, problem: "a duration grant needs 'expires'" };
  }
  if (grant.scope === "session" && grant.session === null) {
    return { ok: false, problem: "a session grant needs 'session'" };
  }
  return parsed;
}

/** The operation part of a pending request. */
export function operationOf(request: ApprovedOperation): ApprovedOperation {
  const { principal, domain, operation, target } = request;
  return { principal, domain, operation, target };
}

/** Whether two operations are the same: same principal, domain, operation and target. */
export function sameOperation(a: ApprovedOperation, b: ApprovedOperation): boolean {
  return a.principal === b.principal && a.domain === b.domain && a.operation === b.operation &&
    canonicalTarget(a.target) === canonicalTarget(b.target);
}

/** A target as text with its fields sorted, so that equal targets give equal text. */
export function canonicalTarget(target: Target): string {
  return JSON.stringify(Object.keys(target).sort().map((name) => [name, target[name]]));
}

/** The guard's own keys (`approvalKeyFor`): `wt-` and 16 hex digits of a hash of the operation. */
const DERIVED_KEY = /^wt-[0-9a-f]{16}$/;

/**
 * The key the guard derives for `operation` (the same bytes as core/guard.ts `approvalKeyFor`,
 * computed here so that checking a grant does not load the guard).
 */
export function derivedKey(operation: ApprovedOperation): string {
  const { principal, domain, operation: op, target } = operation;
  const text = [principal, domain, op, canonicalTarget(target)].join("\u0000");
  return `wt-${toHex(sha256(new TextEncoder().encode(text))).slice(0, 16)}`;
}

/**
 * Whether `operation` can be what `key` names: a guard-derived key must be the operation's hash
 * (so an edited file cannot approve another operation); a rule's own key names no operation.
 */
export function keyFits(key: string, operation: ApprovedOperation): boolean {
  return !DERIVED_KEY.test(key) || derivedKey(operation) === key;
}

function parseRecord<T>(
  text: string,
  fields: Record<string, Check>,
  expectedKey: string,
): Parsed<T> {
  if (text.length > MAX_RECORD_BYTES) {
    return { ok: false, problem: `larger than ${MAX_RECORD_BYTES} bytes` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the file, which could be anything a link pointed at.
    return { ok: false, problem: "not JSON" };
  }
  const problem = checkFields(value, fields, "");
  if (problem !== undefined) return { ok: false, problem };
  const record = value as T & { key: string };
  if (record.key !== expectedKey) {
    return { ok: false, problem: `names key '${record.key}', not its file's '${expectedKey}'` };
  }
  return { ok: true, value: record };
}

function checkFields(value: unknown, fields: Record<string, Check>, path: string) {
  if (!isPlainObject(value)) {
    return `${path ? `'${path.slice(0, -1)}'` : "the file"}: expected an object`;
  }
  for (const name of Object.keys(value)) {
    if (!Object.hasOwn(fields, name)) return `unknown key '${path}${name}'`;
  }
  for (const [name, check] of Object.entries(fields)) {
    const expected = check(value[name]);
    if (expected !== undefined) {
      // A nested object reports its own path.
      return expected.includes(": expected") || expected.startsWith("unknown key")
        ? expected
        : `'${path}${name}': expected ${expected}`;
    }
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
