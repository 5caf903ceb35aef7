/**
 * Approvals: escalations wait in `pending/` for a human, whose grants in `approvals/` let exactly
 * the approved operation through (once, for a while, or for the rest of a session).
 * @module
 */
export { APPROVAL_EVENT_TYPES, type ApprovalEvent, type ApprovalEventType } from "./events.ts";
export {
  ApprovalStore,
  type ApprovalStoreOptions,
  type Denied,
  type GrantOptions,
  MAX_CLOCK_SKEW_MS,
  type PendingItem,
  type RequestInfo,
} from "./store.ts";
export {
  type ApprovedOperation,
  canonicalTarget,
  derivedKey,
  type Grant,
  GRANT_SCOPES,
  type GrantScope,
  type PendingRequest,
  sameOperation,
} from "./records.ts";
export {
  checkApprovalKey,
  checkGrantDuration,
  isApprovalKey,
  MAX_GRANT_MS,
  parseGrantDuration,
} from "./key.ts";
export { type ApprovalDirs, approvalDirs } from "./files.ts";
