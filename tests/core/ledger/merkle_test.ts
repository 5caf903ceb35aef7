import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  MerkleFrontier,
  merkleRoot,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from "../../../core/ledger/merkle.ts";
import { fromHex, toHex } from "../../../core/ledger/sha256.ts";

// Every expected value comes from this independent RFC 6962 implementation on Python's hashlib, run
// once per test file on leaf data chosen here.
const PYTHON_RFC6962 = `
import hashlib, json, sys
from functools import lru_cache

def H(b): return hashlib.sha256(b).digest()

def split(n):
    k = 1
    while k * 2 < n: k *= 2
    return k

class Tree:
    def __init__(self, data):
        self.leaf = [H(b"\\x00" + d) for d in data]
        self.mth = lru_cache(maxsize=None)(self._mth)
    def _mth(self, lo, hi):  # MTH(D[lo:hi])
        n = hi - lo
        if n == 0: return H(b"")
        if n == 1: return self.leaf[lo]
        k = split(n)
        return H(b"\\x01" + self.mth(lo, lo + k) + self.mth(lo + k, hi))
    def path(self, m, lo, hi):  # PATH(m, D[lo:hi])
        n = hi - lo
        if n == 1: return []
        k = split(n)
        if m < k: return self.path(m, lo, lo + k) + [self.mth(lo + k, hi)]
        return self.path(m - k, lo + k, hi) + [self.mth(lo, lo + k)]
    def subproof(self, m, lo, hi, b):  # SUBPROOF(m, D[lo:hi], b)
        n = hi - lo
        if m == n: return [] if b else [self.mth(lo, hi)]
        k = split(n)
        if m <= k: return self.subproof(m, lo, lo + k, b) + [self.mth(lo + k, hi)]
        return self.subproof(m - k, lo + k, hi, False) + [self.mth(lo, lo + k)]
    def proof(self, m, n):  # PROOF(m, D[n]); RFC 9162 defines it for 0 < m < n
        return [] if m == 0 or m == n else self.subproof(m, 0, n, True)

req = json.load(sys.stdin)
hx = lambda hs: [h.hex() for h in hs]
out = {}
for name, spec in req.items():
    t = Tree([bytes.fromhex(d) for d in spec["data"]])
    out[name] = {
        "leaves": hx(t.leaf),
        "roots": [t.mth(0, n).hex() for n in range(len(spec["data"]) + 1)],
        "inclusion": {f"{i},{n}": hx(t.path(i, 0, n)) for i, n in spec["inclusion"]},
        "consistency": {f"{m},{n}": hx(t.proof(m, n)) for m, n in spec["consistency"]},
    }
json.dump(out, sys.stdout)
`;

interface Spec {
  data: string[];
  inclusion: Array<[number, number]>;
  consistency: Array<[number, number]>;
}
interface Vectors {
  leaves: string[];
  roots: string[];
  inclusion: Record<string, string[]>;
  consistency: Record<string, string[]>;
}

/** Distinct leaf data of varied lengths, so no two leaves (or subtrees) hash alike. */
function leafData(count: number, salt: string): string[] {
  const encoder = new TextEncoder();
  return Array.from({ length: count }, (_, i) => {
    const line = `{"seq":${i},"salt":"${salt}","pad":"${"x".repeat((i * 37) % 90)}"}`;
    return toHex(encoder.encode(line));
  });
}

function pairs(maxN: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let n = 1; n <= maxN; n++) for (let i = 0; i <= n; i++) out.push([i, n]);
  return out;
}

const BIG = 1000;
// Forgeries are tried on every index of these sizes (around the powers of two up to 64).
const FORGERY_SIZES = [...Array.from({ length: 40 }, (_, i) => i + 1), 63, 64, 65, 70];
const BIG_INDICES = [0, 1, 2, 255, 256, 511, 512, 513, 767, 998, 999];
const BIG_OLD_SIZES = [1, 2, 3, 255, 256, 257, 511, 512, 513, 768, 999, 1000];

async function python(specs: Record<string, Spec>): Promise<Record<string, Vectors>> {
  const child = new Deno.Command("python3", {
    args: ["-c", PYTHON_RFC6962],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(specs)));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) throw new Error(`python3 failed: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

const vectors = await python({
  a: {
    data: leafData(BIG, "a"),
    inclusion: [
      ...pairs(70).filter(([i, n]) => i < n),
      ...BIG_INDICES.map((i): [number, number] => [i, BIG]),
    ],
    consistency: [
      ...pairs(40),
      ...pairs(70).filter(([, n]) => n > 40),
      ...BIG_OLD_SIZES.map((m): [number, number] => [m, BIG]),
    ],
  },
  b: { data: leafData(70, "b"), inclusion: pairs(70).filter(([i, n]) => i < n), consistency: [] },
});
const A = vectors.a!;
const B = vectors.b!;
const leavesA = A.leaves.map((h) => fromHex(h));
const leavesB = B.leaves.map((h) => fromHex(h));
const rootA = (n: number): Uint8Array => fromHex(A.roots[n]!);
const hexes = (hashes: Uint8Array[]): string[] => hashes.map(toHex);
const decode = (hexList: string[]): Uint8Array[] => hexList.map((h) => fromHex(h));

function flipBit(hashes: Uint8Array[], at: number, bit: number): Uint8Array[] {
  return hashes.map((hash, i) => {
    if (i !== at) return hash;
    const copy = hash.slice();
    copy[bit >> 3]! ^= 1 << (bit & 7);
    return copy;
  });
}

Deno.test("the empty tree's root is SHA-256 of the empty string, as RFC 6962 says", () => {
  equal(toHex(EMPTY_ROOT), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  deepEqual(merkleRoot([]), EMPTY_ROOT);
  deepEqual(new MerkleFrontier().root(), EMPTY_ROOT);
  equal(A.roots[0], toHex(EMPTY_ROOT));
});

Deno.test("leafHash and nodeHash put the 0x00 and 0x01 domain prefixes in front", () => {
  const data = new TextEncoder().encode(`{"seq":0,"salt":"a","pad":""}`);
  equal(toHex(leafHash(data)), A.leaves[0]);
  deepEqual(nodeHash(leavesA[0]!, leavesA[1]!), rootA(2));
  throws(() => nodeHash(new Uint8Array(31), leavesA[0]!), TypeError);
});

const ROOT_SIZES = [...Array(130).keys(), 255, 256, 257, 511, 512, 513, 767, 999, 1000];

Deno.test("merkleRoot matches Python's MTH for sizes 0 to 129 and larger ones up to 1000", () => {
  for (const n of ROOT_SIZES) {
    equal(toHex(merkleRoot(leavesA.slice(0, n))), A.roots[n], `size ${n}`);
  }
  throws(() => merkleRoot([new Uint8Array(32), new Uint8Array(33)]), TypeError);
});

Deno.test("a frontier's root matches Python's after every append and after a JSON round trip", () => {
  const frontier = new MerkleFrontier();
  for (let n = 1; n <= BIG; n++) {
    frontier.append(leavesA[n - 1]!);
    equal(frontier.size, n);
    equal(toHex(frontier.root()), A.roots[n], `size ${n}`);
    const json = frontier.toJSON();
    equal(json.nodes.length, n.toString(2).replaceAll("0", "").length, `node count at ${n}`);
    if (n <= 70 || n % 97 === 0 || n === BIG) {
      const copy = MerkleFrontier.fromJSON(JSON.parse(JSON.stringify(frontier)));
      equal(copy.size, n);
      equal(toHex(copy.root()), A.roots[n], `size ${n} after a round trip`);
      if (n < BIG) {
        copy.append(leavesA[n]!);
        equal(toHex(copy.root()), A.roots[n + 1], `size ${n + 1} appended after a round trip`);
      }
    }
  }
});

Deno.test("a frontier keeps copies: mutating an appended hash does not change the root", () => {
  const leaf = leavesA[0]!.slice();
  const frontier = new MerkleFrontier();
  frontier.append(leaf);
  leaf[0]! ^= 1;
  equal(toHex(frontier.root()), A.roots[1]);
  frontier.root()[0]! ^= 1;
  equal(toHex(frontier.root()), A.roots[1]);
});

const ZERO = "0".repeat(64);
const BAD_FRONTIERS: Array<[why: string, json: unknown]> = [
  ["is null", null],
  ["is an array", [1, [ZERO]]],
  ["has too few nodes for its size", { size: 3, nodes: [ZERO] }],
  ["has too many nodes for its size", { size: 4, nodes: [ZERO, ZERO] }],
  ["has nodes for an empty tree", { size: 0, nodes: [ZERO] }],
  ["has a negative size", { size: -1, nodes: [] }],
  ["has a fractional size", { size: 1.5, nodes: [ZERO] }],
  ["has a size above 2^53 - 1", { size: 2 ** 53, nodes: [ZERO] }],
  ["has a string size", { size: "1", nodes: [ZERO] }],
  ["has nodes that are not an array", { size: 1, nodes: ZERO }],
  ["has a short node", { size: 1, nodes: ["00"] }],
  ["has an uppercase node", { size: 1, nodes: ["AB".repeat(32)] }],
  ["has a node that is not a string", { size: 1, nodes: [0] }],
  ["has an unknown key", { size: 1, nodes: [ZERO], root: ZERO }],
  ["lacks nodes", { size: 0 }],
];

Deno.test("MerkleFrontier.fromJSON refuses every malformed frontier with a TypeError", () => {
  for (const [why, json] of BAD_FRONTIERS) {
    throws(() => MerkleFrontier.fromJSON(json), TypeError, `a frontier that ${why}`);
  }
  equal(MerkleFrontier.fromJSON({ size: 0, nodes: [] }).size, 0);
  const top = { size: Number.MAX_SAFE_INTEGER, nodes: Array(53).fill(ZERO) };
  equal(MerkleFrontier.fromJSON(top).size, Number.MAX_SAFE_INTEGER);
});

Deno.test("inclusion proofs match Python's PATH for every index of sizes 1 to 70 and some of 1000", () => {
  for (const [key, expected] of Object.entries(A.inclusion)) {
    const [i, n] = key.split(",").map(Number) as [number, number];
    const proof = inclusionProof(i, leavesA.slice(0, n));
    deepEqual(hexes(proof), expected, `PATH(${i}, D[${n}])`);
    ok(verifyInclusion(i, n, leavesA[i]!, proof, rootA(n)), `verify ${i} in ${n}`);
  }
  throws(() => inclusionProof(3, leavesA.slice(0, 3)), RangeError);
  throws(() => inclusionProof(-1, leavesA.slice(0, 3)), RangeError);
  throws(() => inclusionProof(0, []), RangeError);
});

Deno.test("forged inclusion proofs fail: flipped bits, wrong index or size, wrong length, another tree", () => {
  let wrongSizesChecked = 0;
  for (const n of FORGERY_SIZES) {
    const root = rootA(n);
    for (let i = 0; i < n; i++) {
      const proof = decode(A.inclusion[`${i},${n}`]!);
      const leaf = leavesA[i]!;
      for (let at = 0; at < proof.length; at++) {
        const bit = (at * 97 + i * 31) % 256; // a different bit for each node and index
        ok(!verifyInclusion(i, n, leaf, flipBit(proof, at, bit), root), `bit ${bit} of ${at}`);
      }
      const flippedLeaf = flipBit([leaf], 0, 7)[0]!;
      ok(!verifyInclusion(i, n, flippedLeaf, proof, root), `flipped leaf ${i} in ${n}`);
      ok(!verifyInclusion(i, n, leaf, proof, flipBit([root], 0, 200)[0]!), "flipped root");
      for (const j of [i - 1, i + 1, i ^ 1, n - 1 - i, n, n + 5]) {
        if (j !== i) ok(!verifyInclusion(j, n, leaf, proof, root), `index ${j} for ${i} in ${n}`);
      }
      // RFC 9162 proofs bind the size only through their shape: a size whose path for this
      // index has another length must fail; one with the same shape cannot be told apart by the
      // proof (a checkpoint signs the size together with the root).
      for (const m of [i, i + 1, n - 1, n + 1, 2 * n, 2 * n + 1]) {
        if (m === n) continue;
        const other = A.inclusion[`${i},${m}`];
        if (m <= i || (other && other.length !== proof.length)) {
          ok(!verifyInclusion(i, m, leaf, proof, root), `size ${m} for ${i} in ${n}`);
          wrongSizesChecked++;
        }
      }
      if (proof.length > 0) {
        ok(!verifyInclusion(i, n, leaf, proof.slice(0, -1), root), "proof without its last node");
        ok(!verifyInclusion(i, n, leaf, proof.slice(1), root), "proof without its first node");
      }
      ok(!verifyInclusion(i, n, leaf, [...proof, leavesA[0]!], root), "proof with a node added");
      ok(!verifyInclusion(i, n, leaf, [leavesA[0]!, ...proof], root), "proof with a node first");
      const otherTree = decode(B.inclusion[`${i},${n}`]!);
      if (n > 1) ok(!verifyInclusion(i, n, leaf, otherTree, root), `B's proof for ${i} in ${n}`);
      ok(!verifyInclusion(i, n, leavesB[i]!, proof, root), `tree B's leaf ${i} in ${n}`);
    }
  }
  ok(wrongSizesChecked > 3500, `only ${wrongSizesChecked} wrong sizes checked`);
});

const HOSTILE_INCLUSION: Array<[why: string, args: unknown[]]> = [
  ["a NaN index", [NaN, 4, "leaf", "proof", "root"]],
  ["a negative index", [-1, 4, "leaf", "proof", "root"]],
  ["a fractional index", [0.5, 4, "leaf", "proof", "root"]],
  ["an index equal to the size", [4, 4, "leaf", "proof", "root"]],
  ["a size of zero", [0, 0, "leaf", [], EMPTY_ROOT]],
  ["an infinite size", [0, Infinity, "leaf", "proof", "root"]],
  ["a size above 2^53", [0, 2 ** 60, "leaf", "proof", "root"]],
  ["a string index", ["0", 4, "leaf", "proof", "root"]],
  ["a 31-byte leaf hash", [0, 4, new Uint8Array(31), "proof", "root"]],
  ["a leaf hash that is a plain array", [0, 4, Array(32).fill(0), "proof", "root"]],
  ["a 33-byte root", [0, 4, "leaf", "proof", new Uint8Array(33)]],
  ["a proof that is not an array", [0, 4, "leaf", { length: 2 }, "root"]],
  ["a proof node of 31 bytes", [0, 4, "leaf", [new Uint8Array(31), new Uint8Array(32)], "root"]],
  ["a proof node that is null", [0, 4, "leaf", [null, new Uint8Array(32)], "root"]],
  ["a proof of 100 nodes", [0, 4, "leaf", Array(100).fill(new Uint8Array(32)), "root"]],
];

Deno.test("verifyInclusion returns false, never throws, on hostile arguments", () => {
  const proof = inclusionProof(0, leavesA.slice(0, 4));
  for (const [why, args] of HOSTILE_INCLUSION) {
    const filled = args.map((a) =>
      a === "leaf" ? leavesA[0] : a === "proof" ? proof : a === "root" ? rootA(4) : a
    );
    equal(
      (verifyInclusion as (...a: unknown[]) => boolean)(...filled),
      false,
      `verifyInclusion with ${why}`,
    );
  }
  ok(verifyInclusion(0, 4, leavesA[0]!, proof, rootA(4)), "the unmodified call still verifies");
});

Deno.test("consistency proofs match Python's PROOF for all sizes m ≤ n ≤ 70 and some of 1000", () => {
  for (const [key, expected] of Object.entries(A.consistency)) {
    const [m, n] = key.split(",").map(Number) as [number, number];
    const proof = consistencyProof(m, leavesA.slice(0, n));
    deepEqual(hexes(proof), expected, `PROOF(${m}, D[${n}])`);
    ok(verifyConsistency(m, n, rootA(m), rootA(n), proof), `verify ${m} -> ${n}`);
  }
  throws(() => consistencyProof(4, leavesA.slice(0, 3)), RangeError);
  throws(() => consistencyProof(-1, leavesA.slice(0, 3)), RangeError);
});

Deno.test("forged consistency proofs fail for every pair m ≤ n ≤ 40", () => {
  for (let n = 1; n <= 40; n++) {
    for (let m = 0; m <= n; m++) {
      const proof = decode(A.consistency[`${m},${n}`]!);
      const [oldRoot, newRoot] = [rootA(m), rootA(n)];
      const label = `${m} -> ${n}`;
      for (let at = 0; at < proof.length; at++) {
        for (const bit of [(at * 97 + m * 31) % 256, 255]) {
          const forged = flipBit(proof, at, bit);
          ok(!verifyConsistency(m, n, oldRoot, newRoot, forged), `${label}: bit ${bit} of ${at}`);
        }
      }
      ok(!verifyConsistency(m, n, flipBit([oldRoot], 0, 9)[0]!, newRoot, proof), `${label} old`);
      // The empty tree is a prefix of every tree, whatever its root: only m > 0 binds the new root.
      if (m > 0) {
        ok(!verifyConsistency(m, n, oldRoot, flipBit([newRoot], 0, 9)[0]!, proof), `${label} new`);
        ok(
          !verifyConsistency(m, n, oldRoot, fromHex(B.roots[n]!), proof),
          `${label}: B's new root`,
        );
      }
      if (m < n) {
        ok(!verifyConsistency(m, n, newRoot, oldRoot, proof), `${label}: roots swapped`);
        ok(!verifyConsistency(n, m, oldRoot, newRoot, proof), `${label}: sizes swapped`);
      }
      if (proof.length > 0) {
        ok(!verifyConsistency(m, n, oldRoot, newRoot, proof.slice(0, -1)), `${label}: truncated`);
        ok(!verifyConsistency(m, n, oldRoot, newRoot, proof.slice(1)), `${label}: first dropped`);
        ok(!verifyConsistency(m, n, oldRoot, newRoot, []), `${label}: empty proof`);
      }
      ok(!verifyConsistency(m, n, oldRoot, newRoot, [...proof, oldRoot]), `${label}: extended`);
      ok(!verifyConsistency(m, n, oldRoot, newRoot, [newRoot, ...proof]), `${label}: prefixed`);
      // Another tree: the same sizes, but the leaves of tree B.
      if (m > 0) {
        ok(
          !verifyConsistency(m, n, fromHex(B.roots[m]!), newRoot, proof),
          `${label}: B's old root`,
        );
      }
      // Wrong sizes: a size whose genuine proof has another length, or is out of range, fails.
      for (const [m2, n2] of [[m - 1, n], [m + 1, n], [m, n + 1], [m, n - 1], [m, n + 7]]) {
        if (m2 === m && n2 === n) continue;
        const genuine = A.consistency[`${m2},${n2}`];
        if (m2! < 0 || m2! > n2! || (genuine && genuine.length !== proof.length)) {
          ok(!verifyConsistency(m2!, n2!, oldRoot, newRoot, proof), `${label} as ${m2} -> ${n2}`);
        }
      }
    }
  }
});

Deno.test("consistency edge cases: equal sizes, the empty old tree and hostile arguments", () => {
  const root5 = rootA(5);
  ok(verifyConsistency(5, 5, root5, root5, []), "equal sizes, equal roots, empty proof");
  ok(!verifyConsistency(5, 5, root5, rootA(4), []), "equal sizes, different roots");
  ok(!verifyConsistency(5, 5, root5, root5, [root5]), "equal sizes with a non-empty proof");
  ok(verifyConsistency(0, 5, EMPTY_ROOT, root5, []), "the empty tree is a prefix of any tree");
  ok(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, []), "empty to empty");
  ok(!verifyConsistency(0, 5, EMPTY_ROOT, root5, [root5]), "old size 0 with a non-empty proof");
  ok(!verifyConsistency(0, 5, rootA(1), root5, []), "old size 0 with a non-empty old root");
  deepEqual(consistencyProof(0, leavesA.slice(0, 5)), []);
  deepEqual(consistencyProof(5, leavesA.slice(0, 5)), []);
  const proof = consistencyProof(3, leavesA.slice(0, 5));
  const verify = verifyConsistency as (...a: unknown[]) => boolean;
  const hostile: Array<[string, unknown[]]> = [
    ["a NaN old size", [NaN, 5, rootA(3), root5, proof]],
    ["a negative old size", [-3, 5, rootA(3), root5, proof]],
    ["a fractional new size", [3, 5.5, rootA(3), root5, proof]],
    ["an old size above the new", [6, 5, rootA(3), root5, proof]],
    ["a new size above 2^53", [3, 2 ** 54, rootA(3), root5, proof]],
    ["a 16-byte old root", [3, 5, new Uint8Array(16), root5, proof]],
    ["a new root that is a string", [3, 5, rootA(3), toHex(root5), proof]],
    ["a proof that is not an array", [3, 5, rootA(3), root5, "proof"]],
    ["a proof with an undefined node", [3, 5, rootA(3), root5, [undefined, ...proof]]],
    ["a proof of 60 nodes", [3, 5, rootA(3), root5, Array(60).fill(root5)]],
  ];
  for (const [why, args] of hostile) equal(verify(...args), false, `verifyConsistency with ${why}`);
  ok(verifyConsistency(3, 5, rootA(3), root5, proof), "the unmodified call still verifies");
});

Deno.test("sizes above 2^32 use exact arithmetic in verifiers and the frontier", () => {
  // A tree of 2^33 + 2 leaves is H(X, H(l0, l1)) where X is the root of its first 2^33 leaves.
  const X = rootA(7), l0 = leavesA[0]!, l1 = leavesA[1]!;
  const big = 2 ** 33;
  const root = nodeHash(X, nodeHash(l0, l1));
  ok(verifyInclusion(big + 1, big + 2, l1, [l0, X], root), "the last leaf of 2^33 + 2");
  ok(verifyInclusion(big, big + 2, l0, [l1, X], root), "leaf 2^33 of 2^33 + 2");
  ok(!verifyInclusion(1, big + 2, l1, [l0, X], root), "index 1 is not index 2^33 + 1");
  ok(!verifyInclusion(big + 1, 2 + 2 ** 34, l1, [l0, X], root), "size 2^34 + 2 has another shape");
  ok(verifyConsistency(big, big + 2, X, root, [nodeHash(l0, l1)]), "2^33 -> 2^33 + 2");
  ok(!verifyConsistency(big, big + 2, X, root, [l0]), "2^33 -> 2^33 + 2 with a wrong node");
  ok(verifyConsistency(big + 1, big + 2, nodeHash(X, l0), root, [l0, l1, X]), "2^33 + 1 -> + 2");
  ok(!verifyConsistency(big + 1, big + 2, nodeHash(X, l0), root, [l1, l0, X]), "nodes swapped");
  const frontier = MerkleFrontier.fromJSON({ size: big, nodes: [toHex(X)] });
  frontier.append(l0);
  frontier.append(l1);
  equal(frontier.size, big + 2);
  deepEqual(frontier.root(), root);
  deepEqual(frontier.toJSON(), { size: big + 2, nodes: [toHex(X), toHex(nodeHash(l0, l1))] });
  const full = MerkleFrontier.fromJSON({
    size: Number.MAX_SAFE_INTEGER,
    nodes: Array(53).fill(toHex(X)),
  });
  throws(() => full.append(l0), RangeError);
});
