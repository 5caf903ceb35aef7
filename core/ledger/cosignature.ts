/**
 * Witness cosignatures of checkpoints: C2SP `tlog-cosignature` v1 with timestamped Ed25519
 * (signed-note signature type 0x04), as witnesses speaking C2SP `tlog-witness` return them.
 *
 * A cosignature line is `— <witness name> base64(key ID || u64 timestamp || Ed25519 signature)`,
 * signed over `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint body. The key ID is
 * SHA-256(name || 0x0A || 0x04 || public key)[:4].
 * @module
 */
import {
  CheckpointError,
  encodeBase64,
  keyId,
  keyIdHex,
  splitKeyText,
  type SplitNote,
  verifyEd25519,
} from "./checkpoint.ts";

/** The signed-note signature type of timestamped Ed25519 witness cosignatures. */
export const COSIGNATURE_V1 = 0x04;
const ED25519 = 0x01;
const SIGNATURE_PREFIX = "\u2014 ";
const encoder = new TextEncoder();

/** A witness's public key, pinned by the operator. */
export interface CosignerKey {
  /** The witness's key name, e.g. `witness.example/w1`. */
  name: string;
  /** The cosignature key ID (type 0x04) as an unsigned 32-bit number. */
  keyId: number;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

/** Why a cosignature line by a pinned witness's name was not accepted. */
export type CosignatureProblem =
  /** The name and key ID match the pinned key, but the signature does not verify. */
  | "bad_signature"
  /** The name is a pinned witness's, the key ID is not: signed by another key. */
  | "wrong_key"
  /** Not 76 bytes of key ID, timestamp and signature. */
  | "malformed";

/** A cosignature that verified. */
export interface Cosignature {
  /** The witness's key name. */
  name: string;
  keyId: number;
  /** When the witness cosigned, in seconds since the epoch. */
  timestamp: number;
  /** The signature line, without its newline. */
  line: string;
}

/** What {@linkcode checkCosignatures} found. */
export interface CosignatureCheck {
  /** Valid cosignatures by pinned keys, at most one per key. */
  valid: Cosignature[];
  /** Lines carrying a pinned witness's name that were not accepted. */
  problems: Array<{ name: string; problem: CosignatureProblem; detail: string }>;
}

/**
 * Parses a witness verifier key: `<name>+<key ID>+base64(0x04 || public key)`, or an ordinary
 * Ed25519 note key (type 0x01), whose cosignature key ID is then computed for type 0x04, as Go's
 * `transparency-dev/formats/note` does. Throws `CheckpointError` code `bad_key`.
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { parseCosignerKey } from "./cosignature.ts";
 * const key = parseCosignerKey(
 *   "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
 * );
 * equal(key.keyId, 0xda77ade7);
 * ```
 */
export function parseCosignerKey(text: string): CosignerKey {
  const what = "witness key";
  const { name, id, type, key } = splitKeyText(text, what, [COSIGNATURE_V1, ED25519]);
  if (keyIdHex(keyId(name, key, type)) !== id) {
    throw new CheckpointError(
      "bad_key",
      `Cannot parse ${what} '${name}': the key ID does not match the key`,
    );
  }
  return { name, keyId: keyId(name, key, COSIGNATURE_V1), publicKey: key.slice() };
}

/** The witness verifier key text (type 0x04) for a 32-byte Ed25519 public key. */
export function formatCosignerKey(name: string, publicKey: Uint8Array): string {
  const key = new Uint8Array(33);
  key[0] = COSIGNATURE_V1;
  key.set(publicKey, 1);
  const text = `${name}+${keyIdHex(keyId(name, publicKey, COSIGNATURE_V1))}+${encodeBase64(key)}`;
  parseCosignerKey(text); // refuses a bad name or key length
  return text;
}

/** The message a v1 cosignature signs: header, time line, then the checkpoint body. */
export function cosignedMessage(body: string, timestamp: number): Uint8Array<ArrayBuffer> {
  return encoder.encode(`cosignature/v1\ntime ${timestamp}\n${body}`);
}

/**
 * Checks the cosignature lines of a split note (checkpoint.ts `splitNote`) against pinned witness
 * keys. Lines by other names are ignored; a line with a pinned name that does not verify is
 * reported as a problem, never counted.
 */
export async function checkCosignatures(
  note: SplitNote,
  keys: readonly CosignerKey[],
): Promise<CosignatureCheck> {
  const check: CosignatureCheck = { valid: [], problems: [] };
  for (const { name, keyId: id, signature, line } of note.signatures) {
    const named = keys.filter((key) => key.name === name);
    if (named.length === 0) continue;
    const key = named.find((k) => k.keyId === id);
    if (!key) {
      // The checkpoint's own signature may share a name with no witness: only pinned names count.
      check.problems.push({
        name,
        problem: "wrong_key",
        detail: `a cosignature named '${name}' has key ID ${keyIdHex(id)}, the pinned key's is ${
          named.map((k) => keyIdHex(k.keyId)).join(" or ")
        }`,
      });
      continue;
    }
    if (signature.length !== 8 + 64) {
      check.problems.push({
        name,
        problem: "malformed",
        detail: `the cosignature by '${name}' is ${signature.length + 4} bytes, not 76`,
      });
      continue;
    }
    const view = new DataView(signature.buffer, signature.byteOffset, 8);
    const timestamp = view.getBigUint64(0);
    const ok = timestamp <= BigInt(Number.MAX_SAFE_INTEGER) &&
      await verifyEd25519(
        key.publicKey,
        signature.subarray(8),
        cosignedMessage(note.body, Number(timestamp)),
      );
    if (!ok) {
      check.problems.push({
        name,
        problem: "bad_signature",
        detail: `the cosignature by '${name}' (key ${keyIdHex(id)}) does not verify`,
      });
      continue;
    }
    if (check.valid.some((c) => c.name === name && c.keyId === id)) continue;
    check.valid.push({ name, keyId: id, timestamp: Number(timestamp), line });
  }
  return check;
}

/**
 * Cosigns a checkpoint body as a witness would (for witness stand-ins and tests): returns the
 * signature line without its newline.
 */
export async function cosign(
  body: string,
  witness: { name: string; publicKey: Uint8Array; privateKey: CryptoKey },
  timestamp: number = Math.floor(Date.now() / 1000),
): Promise<string> {
  const signature = new Uint8Array(
    await crypto.subtle.sign("Ed25519", witness.privateKey, cosignedMessage(body, timestamp)),
  );
  const blob = new Uint8Array(4 + 8 + 64);
  const view = new DataView(blob.buffer);
  view.setUint32(0, keyId(witness.name, witness.publicKey, COSIGNATURE_V1));
  view.setBigUint64(4, BigInt(timestamp));
  blob.set(signature, 12);
  return `${SIGNATURE_PREFIX}${witness.name} ${encodeBase64(blob)}`;
}
