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
  type GrantSigner,
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
export {
  grantStatement,
  GrantVerifier,
  operatorDir,
  type OperatorKeyPaths,
  operatorKeyPaths,
  operatorSigner,
} from "./signing.ts";

import type { WatchtowerEnvironment } from "../config.ts";
import type { CompiledPolicy } from "../policy/compile.ts";
import { policyHash } from "../policy/hash.ts";
import type { ApprovalEvent } from "./events.ts";
import { ApprovalStore } from "./store.ts";
import { GrantVerifier, operatorDir, operatorKeyPaths } from "./signing.ts";

/**
 * The store every adapter uses: grants must carry the operator's signature (checked with the
 * public key in the operator directory), events go to `record`.
 */
export function adapterApprovals(
  env: Pick<WatchtowerEnvironment, "stateDir" | "home" | "workspace">,
  read: (name: string) => string | undefined,
  record: (event: ApprovalEvent) => void,
  policy?: CompiledPolicy,
): ApprovalStore {
  const dir = operatorDir((name) => name === "HOME" ? read(name) ?? env.home : read(name));
  const workspace = policy?.vars.workspace;
  return new ApprovalStore(env.stateDir, {
    record,
    verifier: new GrantVerifier(operatorKeyPaths(dir)),
    ...(workspace !== undefined ? { workspace } : {}),
    ...(policy ? { policy: policyHash(policy) } : {}),
  });
}
