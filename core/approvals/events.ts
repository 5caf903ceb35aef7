/**
 * The events the approval workflow reports, which adapters append to the ledger as event entries
 * (`data: {event: {type: "approval.use", key, …}}`), and the facts each carries.
 * @module
 */
import { type Grant, operationOf, type PendingRequest } from "./records.ts";

/** The event types, in the order a request usually meets them. */
export const APPROVAL_EVENT_TYPES = [
  "approval.request",
  "approval.grant",
  "approval.deny",
  "approval.use",
  "approval.expire",
  "approval.corrupt",
  "approval.forged",
] as const;

/** One of {@link APPROVAL_EVENT_TYPES}. */
export type ApprovalEventType = typeof APPROVAL_EVENT_TYPES[number];

/** An event the store reports: its type, the key, and the facts of that type. */
export type ApprovalEvent = { type: ApprovalEventType } & Record<string, unknown>;

/** The facts of a grant event (grant, use, expire): key, scope, who, session, until, what. */
export function grantFacts(grant: Grant): Record<string, unknown> {
  return {
    key: grant.key,
    scope: grant.scope,
    approver: grant.approver,
    session: grant.session,
    expires: grant.expires,
    operation: grant.operation,
    policy: grant.policy,
  };
}

/** The facts of a request event: key, session, zone, what, why. */
export function requestFacts(request: PendingRequest): Record<string, unknown> {
  return {
    key: request.key,
    session: request.session,
    zone: request.zone,
    operation: operationOf(request),
    reason: request.reason,
    matched_rules: request.matched_rules,
    policy: request.policy,
  };
}

/** How long a grant lasts, for the decision's detail: `once, key K`, `until T, key K`, …. */
export function scopeText(grant: Grant): string {
  if (grant.scope === "once") return `once, key ${grant.key}`;
  if (grant.scope === "duration") return `until ${grant.expires}, key ${grant.key}`;
  return `for session ${grant.session}, key ${grant.key}`;
}
