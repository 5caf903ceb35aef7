/**
 * The ledger entry: its shape (DESIGN.md), the exact bytes that are hashed, and how an entry is
 * written as one JSON line.
 *
 * An entry's line is `JSON.stringify` of `{seq, timestamp, data, annotations, prev_hash, hash}`
 * in that key order, with no whitespace. Its hash is SHA-256 over the same line *without* the
 * final `hash` member: the line's bytes up to (not including) `,"hash":"` followed by `}`.
 * docs/ledger.md states this for third-party verifiers.
 * @module
 */
import type { Context, Decision, Identity, Target } from "../intent.ts";
import { leafHash } from "./merkle.ts";
import { fromHex, sha256, toHex } from "./sha256.ts";

/** The `prev_hash` of the first entry of a chain: 64 zeros. */
export const GENESIS_HASH = "0".repeat(64);

/** What a decision entry records: who asked what, and what was decided. */
export interface DecisionData {
  identity: Identity;
  intent: { domain: string; operation: string; target: Target };
  decision: Decision;
  context?: Context;
  /** What came of it, where the adapter records outcome and decision in one entry (the proxy). */
  effect?: Record<string, unknown>;
}

/** What an event entry records: something that happened to the ledger or a session. */
export interface EventData {
  event: { type: string } & Record<string, unknown>;
}

/** The `data` member of an entry. */
export type EntryData = DecisionData | EventData;

/** One ledger entry as stored. */
export interface LedgerEntry {
  seq: number;
  timestamp: string;
  data: EntryData;
  annotations: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

/** The fields of an entry before it is chained. */
export interface EntryFields {
  seq: number;
  timestamp: string;
  data: EntryData;
  annotations: Record<string, unknown>;
  prev_hash: string;
}

const encoder = new TextEncoder();
/** Bytes after the hashed body: `,"hash":"` + 64 hex digits + `"}`. */
export const HASH_SUFFIX_LENGTH = 9 + 64 + 2;
const HASH_MEMBER = encoder.encode(',"hash":"');

/** A SHA-256 implementation: the built-in one, or a faster native one an adapter supplies. */
export type Digest = (data: Uint8Array) => Uint8Array;

/** Serialises and hashes an entry: the line (without newline) and its hash. */
export function sealEntry(
  fields: EntryFields,
  digest: Digest = sha256,
): { line: Uint8Array; hash: string; hashBytes: Uint8Array; entry: LedgerEntry } {
  const body = JSON.stringify({
    seq: fields.seq,
    timestamp: fields.timestamp,
    data: fields.data,
    annotations: fields.annotations,
    prev_hash: fields.prev_hash,
  });
  const bodyBytes = encoder.encode(body);
  const hashBytes = digest(bodyBytes);
  const hash = toHex(hashBytes);
  const line = new Uint8Array(bodyBytes.length - 1 + HASH_SUFFIX_LENGTH);
  line.set(bodyBytes.subarray(0, bodyBytes.length - 1), 0);
  let at = bodyBytes.length - 1;
  line.set(HASH_MEMBER, at);
  at += HASH_MEMBER.length;
  line.set(encoder.encode(hash), at);
  at += 64;
  line[at++] = 0x22; // "
  line[at] = 0x7d; // }
  return { line, hash, hashBytes, entry: { ...fields, hash } };
}

/**
 * The bytes an entry's hash covers, given its line: everything before `,"hash":"…"` plus `}`.
 * Returns undefined when the line does not end in a hash member of the right shape.
 */
export function hashedBytes(line: Uint8Array): Uint8Array | undefined {
  const n = line.length;
  if (n < HASH_SUFFIX_LENGTH + 2 || line[n - 1] !== 0x7d || line[n - 2] !== 0x22) return undefined;
  const start = n - HASH_SUFFIX_LENGTH;
  for (let i = 0; i < HASH_MEMBER.length; i++) {
    if (line[start + i] !== HASH_MEMBER[i]) return undefined;
  }
  const body = new Uint8Array(start + 1);
  body.set(line.subarray(0, start), 0);
  body[start] = 0x7d;
  return body;
}

/** The 64 hex digits of the hash member at the end of a line (see {@link hashedBytes}). */
export function storedHash(line: Uint8Array): string {
  const n = line.length;
  return new TextDecoder().decode(line.subarray(n - 66, n - 2));
}

/**
 * The Merkle leaf of an entry: RFC 6962's leaf hash of the entry's 32-byte hash. The tree
 * commits to the chain, and the chain to every byte of every entry.
 */
export function entryLeaf(hash: string | Uint8Array, digest?: Digest): Uint8Array {
  const bytes = typeof hash === "string" ? fromHex(hash) : hash;
  if (!digest) return leafHash(bytes);
  const input = new Uint8Array(33);
  input.set(bytes, 1); // input[0] = 0x00, RFC 6962's leaf prefix
  return digest(input);
}

/** Whether entry data records a decision (rather than an event). */
export function isDecisionData(data: EntryData): data is DecisionData {
  return "decision" in data;
}
