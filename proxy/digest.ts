/**
 * The ledger digest for the proxy, a long-running process: `node:crypto`'s SHA-256 hashes a
 * ledger line in ~1 µs where the built-in TypeScript one takes ~9 µs; its ~17 ms import cost is
 * paid once at start-up (PLATFORM.md).
 * @module
 */
import type { Digest } from "../core/ledger/entry.ts";

/** SHA-256 from node:crypto. */
export async function nodeDigest(): Promise<Digest> {
  const { createHash } = await import("node:crypto");
  return (data) => new Uint8Array(createHash("sha256").update(data).digest());
}
