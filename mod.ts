/**
 * Watchtower: a policy-driven guard and audit system for AI agents. This is the library API;
 * the `wt` CLI and the other binaries are thin adapters over it.
 *
 * @example
 * ```ts
 * import { Guard, loadPolicyFromText } from "./mod.ts";
 * import { equal } from "node:assert/strict";
 * const policy = await loadPolicyFromText(
 *   "default: deny\npolicies:\n  - {name: tmp, match: {domain: filesystem, path: '/tmp/**'}, action: allow}\n",
 *   { vars: {} },
 * );
 * const guard = new Guard(policy);
 * const ask = (path: string) =>
 *   guard.decide({
 *     identity: { principal: "agent:demo", capabilities: [] },
 *     domain: "filesystem", operation: "read", target: { path }, context: {},
 *   }).verdict;
 * equal(ask("/tmp/notes.txt"), "allow");
 * equal(ask("/tmp/../etc/passwd"), "deny");
 * ```
 * @module
 */
export * from "./core/intent.ts";
export * from "./core/intent_schema.ts";
export {
  type ErrorCode,
  type ErrorLocation,
  formatLocation,
  WatchtowerError,
} from "./core/errors.ts";
export {
  type Annotation,
  type Annotator,
  type ApprovalHook,
  Guard,
  type GuardDecision,
  type GuardOptions,
  type SessionView,
} from "./core/guard.ts";
export * from "./core/policy/mod.ts";
export { compileCondition, type CompiledCondition } from "./core/policy/expr/mod.ts";
export { compileGlob, type Glob } from "./core/match/glob.ts";
export { expandHome, normalizePath } from "./core/match/path.ts";
