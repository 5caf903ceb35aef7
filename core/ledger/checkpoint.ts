/**
 * Signed ledger checkpoints: the C2SP `tlog-checkpoint` body (origin, tree size, root hash) in a
 * C2SP `signed-note` with Ed25519 signatures (WebCrypto), interoperable with Go's
 * `golang.org/x/mod/sumdb/note`.
 *
 * Key encodings (as in Go's `note` package; the key ID is 8 hex digits of {@linkcode keyId}):
 * - verifier key: `<name>+<key ID>+<base64(0x01 || 32-byte Ed25519 public key)>`
 * - signer key: `PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || 32-byte Ed25519 seed)>`
 *
 * A key name is non-empty and has no whitespace, `+` or control characters.
 * @module
 */
import { fromHex, sha256 } from "./sha256.ts";

/** Why a checkpoint, note or key was refused. */
export type CheckpointErrorCode =
  /** The note or checkpoint text breaks the format. */
  | "malformed"
  /** A known key's signature does not verify. */
  | "bad_signature"
  /** The note is signed, but by no key the caller knows. */
  | "unknown_key"
  /** The note carries no signature at all. */
  | "no_signature"
  /** A signer or verifier key text is malformed, unsupported or ambiguous. */
  | "bad_key";

/** A refused checkpoint, note or key; branch on `code`. */
export class CheckpointError extends Error {
  /** Stable machine-readable reason. */
  readonly code: CheckpointErrorCode;

  constructor(code: CheckpointErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CheckpointError";
    this.code = code;
  }
}

/** A checkpoint: the tree of `size` leaves of log `origin` has root hash `root`. */
export interface Checkpoint {
  /** The log's identity, e.g. `watchtower.local/ledger/3f2a…`. */
  origin: string;
  /** Number of leaves (ledger lines). */
  size: number;
  /** The 32-byte RFC 9162 tree root. */
  root: Uint8Array;
  /** Extra non-empty lines after the root, in order. */
  extensions: string[];
}

/** A parsed verifier key. */
export interface VerifierKey {
  name: string;
  /** The key ID as an unsigned 32-bit number. */
  keyId: number;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

/** A parsed signer key, ready to sign. */
export interface SignerKey extends VerifierKey {
  /** The non-extractable WebCrypto private key. */
  privateKey: CryptoKey;
}

/** What {@linkcode openNote} found in a verified note. */
export interface OpenedNote {
  /** The signed text: the checkpoint body, up to and including its last newline. */
  body: string;
  checkpoint: Checkpoint;
  /** Names of the given keys whose signatures verified, in note order, without repeats. */
  verifiedBy: string[];
}

/** Notes larger than this (in UTF-8 bytes) are refused unread. */
export const MAX_NOTE_BYTES = 1 << 20;

/** Notes with more signature lines than this are refused (as Go's `note` does). */
const MAX_SIGNATURES = 100;
const ED25519 = 0x01;
const SIGNATURE_PREFIX = "\u2014 ";
const SIGNER_PREFIX = "PRIVATE+KEY+";
// PKCS#8 DER of an Ed25519 private key (RFC 8410) up to the 32-byte seed.
const PKCS8_ED25519_PREFIX = fromHex("302e020100300506032b657004220420", { bytes: 16 });
const encoder = new TextEncoder();

const fail = (code: CheckpointErrorCode, message: string): never => {
  throw new CheckpointError(code, message);
};

/** Standard padded base64 (RFC 4648 §4). */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64 in its one canonical spelling, else `undefined`. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!BASE64.test(text)) return undefined;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  // Unused low bits of the last character must be zero, so each value has one encoding.
  return encodeBase64(bytes) === text ? bytes : undefined;
}

function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  const std = text.replaceAll("-", "+").replaceAll("_", "/");
  return decodeBase64(std + "=".repeat((4 - (std.length % 4)) % 4));
}

/** Whether `name` may name a key: non-empty, no whitespace, `+` or control characters. */
export function isValidKeyName(name: string): boolean {
  // \s misses U+0085, which Go's unicode.IsSpace counts; control characters are refused too.
  // deno-lint-ignore no-control-regex -- control characters are exactly what is refused
  return name !== "" && !/[\s+\u0000-\u001f\u007f\u0085]/u.test(name) && name.isWellFormed();
}

/** A control character other than newline, or a lone surrogate: text no note may contain. */
function badNoteText(text: string): string | undefined {
  if (!text.isWellFormed()) return "it is not valid Unicode (lone surrogate)";
  // deno-lint-ignore no-control-regex -- control characters are exactly what is refused
  const match = /[\u0000-\u0009\u000b-\u001f]/.exec(text);
  if (!match) return undefined;
  const what = match[0] === "\r" ? "a carriage return (CRLF line ends?)" : "a control character";
  return `it contains ${what} at offset ${match.index}`;
}

/**
 * The key ID: the first 4 bytes, big-endian, of SHA-256(name || 0x0A || type || publicKey), where
 * `type` is the signed-note signature type (default 0x01, Ed25519).
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { keyId, parseVerifierKey } from "./checkpoint.ts";
 * // The verifier key of the example in Go's golang.org/x/mod/sumdb/note documentation.
 * const key = parseVerifierKey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
 * equal(keyId(key.name, key.publicKey), 0xc74f20a3);
 * ```
 */
export function keyId(name: string, publicKey: Uint8Array, type: number = ED25519): number {
  const nameBytes = encoder.encode(name);
  const input = new Uint8Array(nameBytes.length + 2 + publicKey.length);
  input.set(nameBytes);
  input[nameBytes.length] = 0x0a;
  input[nameBytes.length + 1] = type;
  input.set(publicKey, nameBytes.length + 2);
  const h = sha256(input);
  return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
}

/** A key ID as the 8 lower-case hex digits of key texts. */
export const keyIdHex = (id: number): string => id.toString(16).padStart(8, "0");

/** The verifier key text for an Ed25519 public key. */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) fail("bad_key", `Cannot format verifier key: invalid key name`);
  if (publicKey.length !== 32) fail("bad_key", "Cannot format verifier key: need 32 bytes");
  const key = new Uint8Array(33);
  key[0] = ED25519;
  key.set(publicKey, 1);
  return `${name}+${keyIdHex(keyId(name, publicKey))}+${encodeBase64(key)}`;
}

/**
 * Splits a key text `<name>+<key ID>+<base64(type || 32-byte key)>` whose type byte is one of
 * `types`, checking everything but the key ID (throws `CheckpointError` code `bad_key`).
 */
export function splitKeyText(
  text: string,
  what: string,
  types: readonly number[] = [ED25519],
): { name: string; id: string; type: number; key: Uint8Array } {
  if (typeof text !== "string") fail("bad_key", `Cannot parse ${what}: not a string`);
  if (text.trim() !== text) fail("bad_key", `Cannot parse ${what}: it has surrounding whitespace`);
  const first = text.indexOf("+");
  const second = first < 0 ? -1 : text.indexOf("+", first + 1);
  if (second < 0) fail("bad_key", `Cannot parse ${what}: expected <name>+<key ID>+<key>`);
  const name = text.slice(0, first);
  const id = text.slice(first + 1, second);
  if (!isValidKeyName(name)) {
    fail("bad_key", `Cannot parse ${what}: the key name is empty or has spaces or control chars`);
  }
  if (!/^[0-9a-fA-F]{8}$/.test(id)) {
    fail("bad_key", `Cannot parse ${what} '${name}': the key ID must be 8 hex digits`);
  }
  const key = decodeBase64(text.slice(second + 1));
  if (!key) fail("bad_key", `Cannot parse ${what} '${name}': the key is not canonical base64`);
  if (!types.includes(key![0]!) || key!.length !== 33) {
    const allowed = types.map((t) => `0x${t.toString(16).padStart(2, "0")}`).join(" or ");
    fail(
      "bad_key",
      `Cannot parse ${what} '${name}': only Ed25519 keys (type ${allowed}) are supported`,
    );
  }
  return { name, id: id.toLowerCase(), type: key![0]!, key: key!.subarray(1) };
}

/**
 * Parses a verifier key text strictly (throws `CheckpointError` code `bad_key`), including a check
 * that the key ID matches the name and key.
 */
export function parseVerifierKey(text: string): VerifierKey {
  const { name, id, key } = splitKeyText(text, "verifier key");
  const computed = keyId(name, key);
  if (keyIdHex(computed) !== id) {
    fail("bad_key", `Cannot parse verifier key '${name}': the key ID does not match the key`);
  }
  return { name, keyId: computed, publicKey: key.slice() };
}

/** Imports a 32-byte Ed25519 seed as a WebCrypto key and derives its public key. */
async function importSeed(
  seed: Uint8Array,
): Promise<{ privateKey: CryptoKey; publicKey: Uint8Array }> {
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32);
  der.set(PKCS8_ED25519_PREFIX);
  der.set(seed, PKCS8_ED25519_PREFIX.length);
  // WebCrypto has no "public key of this private key"; an extractable copy's JWK carries it (x).
  const extractable = await crypto.subtle.importKey("pkcs8", der, "Ed25519", true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", extractable);
  const publicKey = decodeBase64Url(jwk.x ?? "");
  if (!publicKey || publicKey.length !== 32) {
    return fail("bad_key", "Cannot derive Ed25519 public key: WebCrypto returned no key");
  }
  const privateKey = await crypto.subtle.importKey("pkcs8", der, "Ed25519", false, ["sign"]);
  der.fill(0);
  return { privateKey, publicKey };
}

/**
 * Parses a signer key text strictly (throws `CheckpointError` code `bad_key`; messages never echo
 * the secret), derives the public key and checks the key ID against it.
 */
export async function parseSignerKey(text: string): Promise<SignerKey> {
  if (typeof text !== "string" || !text.startsWith(SIGNER_PREFIX)) {
    return fail("bad_key", `Cannot parse signer key: it must start with '${SIGNER_PREFIX}'`);
  }
  const rest = text.slice(SIGNER_PREFIX.length);
  const { name, id, key } = splitKeyText(rest, "signer key");
  const { privateKey, publicKey } = await importSeed(key);
  const computed = keyId(name, publicKey);
  if (keyIdHex(computed) !== id) {
    fail("bad_key", `Cannot parse signer key '${name}': the key ID does not match the key`);
  }
  return { name, keyId: computed, publicKey, privateKey };
}

/**
 * A new random Ed25519 key pair named `name`, as signer and verifier key texts.
 * @example
 * ```ts
 * import { equal, ok } from "node:assert/strict";
 * import { generateSigner, parseVerifierKey } from "./checkpoint.ts";
 * const { signerKey, verifierKey } = await generateSigner("ledger.example");
 * ok(signerKey.startsWith("PRIVATE+KEY+ledger.example+"));
 * equal(parseVerifierKey(verifierKey).name, "ledger.example");
 * ```
 */
export async function generateSigner(
  name: string,
): Promise<{ signerKey: string; verifierKey: string }> {
  if (typeof name !== "string" || !isValidKeyName(name)) {
    fail("bad_key", "Cannot generate signer: the key name is empty or has spaces, '+' or controls");
  }
  const seed = crypto.getRandomValues(new Uint8Array(33));
  seed[0] = ED25519;
  const { publicKey } = await importSeed(seed.subarray(1));
  const verifierKey = formatVerifierKey(name, publicKey);
  const id = keyIdHex(keyId(name, publicKey));
  const signerKey = `${SIGNER_PREFIX}${name}+${id}+${encodeBase64(seed)}`;
  seed.fill(0);
  return { signerKey, verifierKey };
}

const CANONICAL_SIZE = /^(?:0|[1-9][0-9]{0,15})$/;

/**
 * The checkpoint body: `<origin>\n<size>\n<base64 root>\n` then one line per extension. Throws
 * `CheckpointError` code `malformed` for an empty origin, a bad size or root, or an empty
 * extension or one with a newline or control character.
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { formatCheckpoint } from "./checkpoint.ts";
 * const root = new Uint8Array(32);
 * equal(
 *   formatCheckpoint({ origin: "example.com/log", size: 3, root }),
 *   "example.com/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
 * );
 * ```
 */
export function formatCheckpoint(
  checkpoint: { origin: string; size: number; root: Uint8Array; extensions?: string[] },
): string {
  const { origin, size, root, extensions = [] } = checkpoint;
  // A newline inside a field would shift the lines and might still parse.
  if ([origin, ...extensions].some((field) => typeof field !== "string" || field.includes("\n"))) {
    fail(
      "malformed",
      "Cannot format checkpoint: the origin and extensions must be one-line strings",
    );
  }
  const rootText = root instanceof Uint8Array ? encodeBase64(root) : "";
  const body = `${origin}\n${size}\n${rootText}\n${extensions.map((line) => `${line}\n`).join("")}`;
  readCheckpoint(body, "format");
  return body;
}

/**
 * Parses a checkpoint body strictly (throws `CheckpointError` code `malformed`): a non-empty
 * origin, a canonical decimal size up to 2^53 - 1, a 32-byte canonical base64 root, non-empty
 * extension lines, every line ending in a newline.
 */
export function parseCheckpoint(body: string): Checkpoint {
  return readCheckpoint(body, "parse");
}

function readCheckpoint(body: string, action: string): Checkpoint {
  const why = (reason: string): never =>
    fail("malformed", `Cannot ${action} checkpoint: ${reason}`);
  if (typeof body !== "string") return why("not a string");
  const bad = badNoteText(body);
  if (bad) why(bad);
  if (!body.endsWith("\n")) why("the last line does not end in a newline");
  const lines = body.slice(0, -1).split("\n");
  if (lines.length < 3) why("expected origin, tree size and root hash lines");
  const [origin, sizeText, rootText, ...extensions] = lines as [
    string,
    string,
    string,
    ...string[],
  ];
  if (origin === "") why("the origin line is empty");
  if (!CANONICAL_SIZE.test(sizeText)) {
    why(`the tree size must be a decimal number without leading zeros`);
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) why("the tree size is above 2^53 - 1");
  const root = decodeBase64(rootText);
  if (!root || root.length !== 32) why("the root hash must be 32 bytes in canonical base64");
  const empty = extensions.indexOf("");
  if (empty >= 0) why(`extension line ${empty + 1} is empty`);
  return { origin, size, root: root!, extensions };
}

/** Checks note text that is about to be signed or opened. */
function checkNoteSize(text: string, action: string): Uint8Array<ArrayBuffer> {
  // UTF-8 never takes fewer bytes than UTF-16 code units, so the length is a cheap first bound.
  const bytes = text.length > MAX_NOTE_BYTES ? undefined : encoder.encode(text);
  if (!bytes || bytes.length > MAX_NOTE_BYTES) {
    return fail("malformed", `Cannot ${action} note: it is larger than ${MAX_NOTE_BYTES} bytes`);
  }
  return bytes;
}

/**
 * Signs a note body (text ending in a newline) and returns the signed note: the body, a blank
 * line and one signature line `— <name> <base64(key ID || signature)>`.
 * @example
 * ```ts
 * import { deepEqual, equal } from "node:assert/strict";
 * import { formatCheckpoint, generateSigner, openNote, signNote } from "./checkpoint.ts";
 * const { signerKey, verifierKey } = await generateSigner("ledger.example");
 * const body = formatCheckpoint({ origin: "example.com/log", size: 3, root: new Uint8Array(32) });
 * const note = await signNote(body, signerKey);
 * const opened = await openNote(note, [verifierKey]);
 * equal(opened.checkpoint.size, 3);
 * deepEqual(opened.verifiedBy, ["ledger.example"]);
 * ```
 */
export async function signNote(body: string, signerKey: string | SignerKey): Promise<string> {
  if (typeof body !== "string") return fail("malformed", "Cannot sign note: not a string");
  const bad = badNoteText(body);
  if (bad) fail("malformed", `Cannot sign note: ${bad}`);
  if (!body.endsWith("\n")) fail("malformed", "Cannot sign note: it must end in a newline");
  const bytes = checkNoteSize(body, "sign");
  const key = typeof signerKey === "string" ? await parseSignerKey(signerKey) : signerKey;
  const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", key.privateKey, bytes));
  const blob = new Uint8Array(4 + signature.length);
  new DataView(blob.buffer).setUint32(0, key.keyId);
  blob.set(signature, 4);
  return `${body}\n${SIGNATURE_PREFIX}${key.name} ${encodeBase64(blob)}\n`;
}

/** The known keys by `name+keyId`; refuses two different keys under one name and ID. */
function indexKeys(verifierKeys: ReadonlyArray<string | VerifierKey>): Map<string, VerifierKey> {
  const known = new Map<string, VerifierKey>();
  for (const entry of verifierKeys) {
    const key = typeof entry === "string" ? parseVerifierKey(entry) : entry;
    const slot = `${key.name}+${key.keyId}`;
    const other = known.get(slot);
    if (
      other &&
      formatVerifierKey(other.name, other.publicKey) !== formatVerifierKey(key.name, key.publicKey)
    ) {
      fail(
        "bad_key",
        `Cannot use verifier keys: two different keys '${key.name}' share one key ID`,
      );
    }
    known.set(slot, key);
  }
  return known;
}

/** One signature line of a note. */
export interface NoteSignature {
  /** The key name. */
  name: string;
  /** The key ID (the first 4 bytes of the signature blob) as an unsigned 32-bit number. */
  keyId: number;
  /** The signature bytes after the key ID. */
  signature: Uint8Array;
  /** The whole line, without its newline. */
  line: string;
}

/** A checkpoint note taken apart, signatures not yet verified. */
export interface SplitNote {
  /** The signed text: the checkpoint body, up to and including its last newline. */
  body: string;
  checkpoint: Checkpoint;
  signatures: NoteSignature[];
}

/**
 * Takes a checkpoint note apart into its body and signature lines without verifying anything.
 * Throws `CheckpointError` code `malformed` (or `no_signature` for a note with no signature line).
 */
export function splitNote(note: string): SplitNote {
  const malformed = (reason: string): never => fail("malformed", `Cannot open note: ${reason}`);
  if (typeof note !== "string") return malformed("not a string");
  checkNoteSize(note, "open");
  const bad = badNoteText(note);
  if (bad) malformed(bad);
  const split = note.lastIndexOf("\n\n");
  if (split < 0) malformed("no blank line separates the text from the signatures");
  const body = note.slice(0, split + 1);
  const signatures = note.slice(split + 2);
  if (signatures === "") fail("no_signature", "Cannot open note: it carries no signature");
  if (!signatures.endsWith("\n")) malformed("the last signature line does not end in a newline");
  const checkpoint = readCheckpoint(body, "open");
  const lines = signatures.slice(0, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) malformed(`more than ${MAX_SIGNATURES} signatures`);
  return {
    body,
    checkpoint,
    signatures: lines.map((line, i) => {
      if (!line.startsWith(SIGNATURE_PREFIX)) {
        malformed(`signature line ${i + 1} does not start with '${SIGNATURE_PREFIX}'`);
      }
      const space = line.indexOf(" ", SIGNATURE_PREFIX.length);
      const name = line.slice(SIGNATURE_PREFIX.length, space < 0 ? undefined : space);
      const blob = space < 0 ? undefined : decodeBase64(line.slice(space + 1));
      if (!isValidKeyName(name) || !blob || blob.length < 5) {
        malformed(`signature line ${i + 1} is not '${SIGNATURE_PREFIX}<name> <base64>'`);
      }
      return {
        name,
        keyId: new DataView(blob!.buffer).getUint32(0),
        signature: blob!.subarray(4),
        line,
      };
    }),
  };
}

/**
 * Verifies a signed checkpoint note against the given verifier keys and parses its body.
 * Signatures by keys not given are ignored, but at least one given key must have signed, and
 * every signature by a given key must verify. Throws `CheckpointError` with code `malformed`,
 * `no_signature`, `unknown_key`, `bad_signature` or (for a bad key text) `bad_key`.
 */
export async function openNote(
  note: string,
  verifierKeys: ReadonlyArray<string | VerifierKey>,
): Promise<OpenedNote> {
  const known = indexKeys(verifierKeys);
  const { body, checkpoint, signatures } = splitNote(note);
  const bodyBytes = encoder.encode(body);
  const verifiedBy: string[] = [];
  for (const { name, keyId: id, signature } of signatures) {
    const key = known.get(`${name}+${id}`);
    if (!key) continue;
    const ok = signature.length === 64 &&
      await verifyEd25519(key.publicKey, signature, bodyBytes);
    if (!ok) fail("bad_signature", `Cannot open note: the signature by '${name}' does not verify`);
    if (!verifiedBy.includes(name)) verifiedBy.push(name);
  }
  if (verifiedBy.length === 0) {
    fail("unknown_key", "Cannot open note: none of its signatures is by a known key");
  }
  return { body, checkpoint, verifiedBy };
}

/** Whether `signature` is a valid Ed25519 signature of `message` by the 32-byte `publicKey`. */
export async function verifyEd25519(
  publicKey: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
): Promise<boolean> {
  const key = await crypto.subtle.importKey("raw", publicKey.slice(), "Ed25519", false, ["verify"]);
  return await crypto.subtle.verify("Ed25519", key, signature.slice(), message.slice());
}
