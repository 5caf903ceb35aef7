/**
 * The fingerprint of a compiled policy: SHA-256 of its merged form (settings, rules with their
 * origins, classifications, sources). Approvals record it, so that evidence says under which
 * policy a request was escalated.
 * @module
 */
import { sha256, toHex } from "../ledger/sha256.ts";
import type { CompiledPolicy } from "./compile.ts";

const hashes = new WeakMap<CompiledPolicy, string>();

/** `sha256:` and the hex digest of the policy's merged form (computed once per policy). */
export function policyHash(policy: CompiledPolicy): string {
  let hash = hashes.get(policy);
  if (hash === undefined) {
    hash = `sha256:${toHex(sha256(new TextEncoder().encode(JSON.stringify(policy.merged))))}`;
    hashes.set(policy, hash);
  }
  return hash;
}
