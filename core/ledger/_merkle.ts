/**
 * The RFC 9162 Merkle tree algorithms behind `merkle.ts`: hashing, tree roots, and inclusion and
 * consistency proofs with their verifiers. Import `merkle.ts`, not this file.
 * @module
 */
import { Sha256, sha256 } from "./sha256.ts";

/** The size in bytes of every hash in the tree. */
export const HASH_SIZE = 32;

/** Proofs longer than this cannot belong to a tree of at most 2^53 - 1 leaves. */
const MAX_PROOF_LENGTH = 54;

// Kept apart from the exported copy so that a caller mutating EMPTY_ROOT cannot change results.
const EMPTY = sha256(new Uint8Array(0));

/**
 * The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1). Read-only by
 * convention (a typed array cannot be frozen); functions here return fresh copies.
 */
export const EMPTY_ROOT: Uint8Array = EMPTY.slice();

const LEAF_PREFIX = new Uint8Array([0]);
const leafHasher = new Sha256();
const NODE_INPUT = new Uint8Array(1 + 2 * HASH_SIZE);
NODE_INPUT[0] = 1;

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

/** `value` if it is a 32-byte Uint8Array, else a `TypeError` naming `what`. */
export function requireHash(value: unknown, what: string): Uint8Array {
  if (!isHash(value)) {
    throw new TypeError(`Cannot use ${what}: expected a ${HASH_SIZE}-byte Uint8Array`);
  }
  return value;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * The leaf hash of one entry: SHA-256(0x00 || data).
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { leafHash } from "./merkle.ts";
 * import { toHex } from "./sha256.ts";
 * equal(
 *   toHex(leafHash(new Uint8Array(0))),
 *   "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
 * );
 * ```
 */
export function leafHash(data: Uint8Array): Uint8Array {
  return leafHasher.reset().update(LEAF_PREFIX).update(data).digest();
}

/** The hash of an interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  NODE_INPUT.set(requireHash(left, "left child hash"), 1);
  NODE_INPUT.set(requireHash(right, "right child hash"), 1 + HASH_SIZE);
  return sha256(NODE_INPUT);
}

/** The largest power of two strictly below `n` (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[lo:hi]) for trusted, already checked leaf hashes; O(hi - lo) hashing. */
function subtreeRoot(leaves: readonly Uint8Array[], lo: number, hi: number): Uint8Array {
  if (hi === lo) return EMPTY.slice();
  if (hi - lo === 1) return leaves[lo]!.slice();
  // Pairing left to right and carrying an odd last node up unchanged yields the same tree as
  // RFC 9162's split at the largest power of two.
  const level = leaves.slice(lo, hi);
  let width = level.length;
  while (width > 1) {
    let out = 0;
    for (let i = 0; i + 1 < width; i += 2) level[out++] = nodeHash(level[i]!, level[i + 1]!);
    if (width % 2 === 1) level[out++] = level[width - 1]!;
    width = out;
  }
  return level[0]!;
}

function checkLeaves(leafHashes: readonly Uint8Array[]): void {
  for (let i = 0; i < leafHashes.length; i++) requireHash(leafHashes[i], `leaf hash ${i}`);
}

/**
 * The Merkle tree hash MTH of the given leaf hashes (RFC 9162 §2.1.1); `EMPTY_ROOT` for none.
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { EMPTY_ROOT, leafHash, merkleRoot, nodeHash } from "./merkle.ts";
 * const [a, b, c] = ["a", "b", "c"].map((s) => leafHash(new TextEncoder().encode(s)));
 * deepEqual(merkleRoot([a!, b!, c!]), nodeHash(nodeHash(a!, b!), c!));
 * deepEqual(merkleRoot([]), EMPTY_ROOT);
 * ```
 */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Uint8Array {
  checkLeaves(leafHashes);
  return subtreeRoot(leafHashes, 0, leafHashes.length);
}

/**
 * The inclusion proof PATH(index, D[n]) for leaf `index` (RFC 9162 §2.1.3.1): sibling hashes from
 * the leaf up. O(n) hashing; throws a `RangeError` unless 0 ≤ index < n.
 * @example
 * ```ts
 * import { equal, ok } from "node:assert/strict";
 * import { inclusionProof, leafHash, merkleRoot, verifyInclusion } from "./merkle.ts";
 * const leaves = ["a", "b", "c", "d", "e"].map((s) => leafHash(new TextEncoder().encode(s)));
 * const proof = inclusionProof(2, leaves);
 * equal(proof.length, 3);
 * ok(verifyInclusion(2, 5, leaves[2]!, proof, merkleRoot(leaves)));
 * ok(!verifyInclusion(3, 5, leaves[2]!, proof, merkleRoot(leaves)));
 * ```
 */
export function inclusionProof(index: number, leafHashes: readonly Uint8Array[]): Uint8Array[] {
  const n = leafHashes.length;
  if (!Number.isSafeInteger(index) || index < 0 || index >= n) {
    throw new RangeError(`Cannot build inclusion proof: index ${index} is outside 0..${n - 1}`);
  }
  checkLeaves(leafHashes);
  const topDown: Uint8Array[] = [];
  let lo = 0, hi = n;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      topDown.push(subtreeRoot(leafHashes, lo + k, hi));
      hi = lo + k;
    } else {
      topDown.push(subtreeRoot(leafHashes, lo, lo + k));
      lo += k;
    }
  }
  return topDown.reverse();
}

function validProof(proof: unknown): proof is readonly Uint8Array[] {
  return Array.isArray(proof) && proof.length <= MAX_PROOF_LENGTH && proof.every(isHash);
}

function validSize(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}

const half = (n: number): number => Math.floor(n / 2);
const odd = (n: number): boolean => n % 2 === 1;

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}

/**
 * Whether `proof` shows `leafHash` at `index` in the tree of `size` leaves with root `root`
 * (RFC 9162 §2.1.3.2). Never throws.
 */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!validSize(index) || !validSize(size) || index >= size) return false;
  if (!isHash(leafHash) || !isHash(root) || !validProof(proof)) return false;
  let fn = index, sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameBytes(r, root);
}

/**
 * The consistency proof PROOF(oldSize, D[n]) that the first `oldSize` leaves form a prefix of
 * the tree over all `leafHashes` (RFC 9162 §2.1.4.1). Empty when oldSize is 0 or n. O(n) hashing;
 * throws a `RangeError` unless 0 ≤ oldSize ≤ n.
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { consistencyProof, leafHash, merkleRoot, verifyConsistency } from "./merkle.ts";
 * const leaves = ["a", "b", "c", "d", "e"].map((s) => leafHash(new TextEncoder().encode(s)));
 * const oldRoot = merkleRoot(leaves.slice(0, 3));
 * const newRoot = merkleRoot(leaves);
 * const proof = consistencyProof(3, leaves);
 * ok(verifyConsistency(3, 5, oldRoot, newRoot, proof));
 * ok(!verifyConsistency(3, 5, newRoot, oldRoot, proof));
 * ```
 */
export function consistencyProof(oldSize: number, leafHashes: readonly Uint8Array[]): Uint8Array[] {
  const n = leafHashes.length;
  if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > n) {
    throw new RangeError(`Cannot build consistency proof: old size ${oldSize} is outside 0..${n}`);
  }
  checkLeaves(leafHashes);
  if (oldSize === 0 || oldSize === n) return [];
  // SUBPROOF(m, D[lo:hi], b) unrolled: each step keeps one half and records the other's root.
  const topDown: Uint8Array[] = [];
  let m = oldSize, lo = 0, hi = n, wholeOldTree = true;
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      topDown.push(subtreeRoot(leafHashes, lo + k, hi));
      hi = lo + k;
    } else {
      topDown.push(subtreeRoot(leafHashes, lo, lo + k));
      m -= k;
      lo += k;
      wholeOldTree = false;
    }
  }
  // The old tree's root is known to the verifier only when this subtree is the whole old tree.
  if (!wholeOldTree) topDown.push(subtreeRoot(leafHashes, lo, hi));
  return topDown.reverse();
}

/**
 * Whether `proof` shows the tree of `oldSize` leaves with root `oldRoot` to be a prefix of the tree
 * of `newSize` leaves with root `newRoot` (RFC 9162 §2.1.4.2). Equal sizes need an empty proof and
 * equal roots; old size 0 needs an empty proof and `oldRoot` = `EMPTY_ROOT`. Never throws.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!validSize(oldSize) || !validSize(newSize) || oldSize > newSize) return false;
  if (!isHash(oldRoot) || !isHash(newRoot) || !validProof(proof)) return false;
  if (oldSize === newSize) return proof.length === 0 && sameBytes(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0 && sameBytes(oldRoot, EMPTY);
  if (proof.length === 0) return false;
  // When the old tree is a perfect subtree its root is the proof's implicit first element.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  let fn = oldSize - 1, sn = newSize - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!, sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameBytes(fr, oldRoot) && sameBytes(sr, newRoot);
}
