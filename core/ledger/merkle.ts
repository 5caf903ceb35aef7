/**
 * RFC 6962 / RFC 9162 Merkle trees over ledger lines: leaf and node hashing, tree roots, a compact
 * frontier for appending, and inclusion and consistency proofs with their verifiers.
 *
 * Verifiers take hostile input: they return `false` for any malformed, out-of-range or forged
 * argument and never throw. Generators and hashing take trusted input and throw a `TypeError` or
 * `RangeError` on misuse.
 * @module
 */
import { merkleRoot, nodeHash, requireHash } from "./_merkle.ts";
import { fromHex, toHex } from "./sha256.ts";

export {
  consistencyProof,
  EMPTY_ROOT,
  HASH_SIZE,
  inclusionProof,
  leafHash,
  merkleRoot,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from "./_merkle.ts";

function popcount(n: number): number {
  let count = 0;
  for (; n > 0; n = Math.floor(n / 2)) count += n % 2;
  return count;
}

/** The serialised form of a {@linkcode MerkleFrontier}. */
export interface MerkleFrontierJSON {
  /** Number of leaves appended so far. */
  size: number;
  /** Roots of the perfect subtrees, largest (leftmost) first, as lowercase hex. */
  nodes: string[];
}

/**
 * The right edge of a growing tree: the roots of its perfect subtrees, left to right (one per set
 * bit of `size`). Appending costs amortised O(1) hashing and `root()` O(log n), without the leaves.
 * @example
 * ```ts
 * import { deepEqual, equal } from "node:assert/strict";
 * import { leafHash, MerkleFrontier, merkleRoot } from "./merkle.ts";
 * const leaves = ["a", "b", "c"].map((s) => leafHash(new TextEncoder().encode(s)));
 * const frontier = new MerkleFrontier();
 * for (const leaf of leaves) frontier.append(leaf);
 * deepEqual(frontier.root(), merkleRoot(leaves));
 * const copy = MerkleFrontier.fromJSON(JSON.parse(JSON.stringify(frontier)));
 * equal(copy.size, 3);
 * deepEqual(copy.root(), frontier.root());
 * ```
 */
export class MerkleFrontier {
  #size = 0;
  #nodes: Uint8Array[] = [];

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /** Adds the next leaf hash (a copy is kept). */
  append(leafHash: Uint8Array): void {
    let hash: Uint8Array = requireHash(leafHash, "leaf hash").slice();
    if (this.#size >= Number.MAX_SAFE_INTEGER) {
      throw new RangeError("Cannot append to Merkle frontier: the tree is full");
    }
    // Each trailing set bit of the old size is a perfect subtree that the new leaf completes.
    for (let s = this.#size; s % 2 === 1; s = Math.floor(s / 2)) {
      hash = nodeHash(this.#nodes.pop()!, hash);
    }
    this.#nodes.push(hash);
    this.#size++;
  }

  /** The current tree root (`EMPTY_ROOT` when nothing was appended). */
  root(): Uint8Array {
    const nodes = this.#nodes;
    if (nodes.length === 0) return merkleRoot([]);
    let hash: Uint8Array = nodes[nodes.length - 1]!.slice();
    for (let i = nodes.length - 2; i >= 0; i--) hash = nodeHash(nodes[i]!, hash);
    return hash;
  }

  /** The serialised form: `{size, nodes}` with nodes as lowercase hex. */
  toJSON(): MerkleFrontierJSON {
    return { size: this.#size, nodes: this.#nodes.map(toHex) };
  }

  /**
   * Rebuilds a frontier from {@linkcode MerkleFrontier.toJSON} output (e.g. parsed from a head
   * file); throws a `TypeError` unless it is exactly `{size, nodes}` with a safe integer size and
   * popcount(size) nodes of 64 lowercase hex digits.
   */
  static fromJSON(value: unknown): MerkleFrontier {
    const fail = (why: string): never => {
      throw new TypeError(`Cannot load Merkle frontier: ${why}`);
    };
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return fail("expected an object {size, nodes}");
    }
    const extra = Object.keys(value).filter((key) => key !== "size" && key !== "nodes");
    if (extra.length > 0) fail(`unexpected key '${extra[0]}'`);
    const { size, nodes } = value as Record<string, unknown>;
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
      return fail("'size' must be a non-negative safe integer");
    }
    if (!Array.isArray(nodes)) return fail("'nodes' must be an array of hex strings");
    const expected = popcount(size);
    if (nodes.length !== expected) {
      fail(`size ${size} needs ${expected} nodes, found ${nodes.length}`);
    }
    const frontier = new MerkleFrontier();
    frontier.#size = size;
    frontier.#nodes = nodes.map((node, i) => {
      if (typeof node !== "string") return fail(`nodes[${i}] must be a string`);
      try {
        return fromHex(node);
      } catch (error) {
        return fail(`nodes[${i}]: ${(error as Error).message}`);
      }
    });
    return frontier;
  }
}
