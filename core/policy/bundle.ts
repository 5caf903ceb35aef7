/**
 * Signed policy bundles: a policy file exactly as written, with a serial, issue and expiry times,
 * signed with Ed25519 by a policy signer (`wt policy sign`, `wt policy pull`, docs/scale.md).
 *
 * A bundle is a C2SP signed note followed by a blank line and the policy bytes. The note's text
 * has the tlog-checkpoint layout, so the note code of core/ledger/checkpoint.ts (and Go's
 * `golang.org/x/mod/sumdb/note`) signs and verifies it: the origin `watchtower/policy/v1`, the
 * serial where a checkpoint has its tree size, the SHA-256 of the policy where it has its root,
 * then the lines `issued <time>`, `expires <time>` and `bytes <length of the policy>`. The policy
 * itself travels unchanged (tabs and CRLF too) and is bound to the signature by its hash.
 * @module
 */
import {
  CheckpointError,
  type CheckpointErrorCode,
  formatCheckpoint,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  type SignerKey,
  signNote,
  type VerifierKey,
} from "../ledger/checkpoint.ts";
import { sha256, toHex } from "../ledger/sha256.ts";
import { MAX_DOCUMENT_BYTES } from "./source.ts";

/** The origin line every policy bundle starts with. */
export const BUNDLE_ORIGIN = "watchtower/policy/v1";

/** Bundles larger than this are refused unread: the largest policy and room for signatures. */
export const MAX_BUNDLE_BYTES: number = MAX_DOCUMENT_BYTES + 64 * 1024;

/** Why a bundle was refused (a fixed vocabulary; the message carries the detail). */
export type BundleRefusal =
  /** The source could not be read: unreachable, timed out, an HTTP error, a missing file. */
  | "unavailable"
  /** Larger than {@link MAX_BUNDLE_BYTES}. */
  | "too_large"
  /** HTML or other text that is not a policy bundle. */
  | "not_a_bundle"
  /** A bundle cut short (the header, the signatures or the policy end early). */
  | "truncated"
  /** A bundle that breaks the format. */
  | "malformed"
  /** No signature at all. */
  | "unsigned"
  /** Signed, but by no pinned key. */
  | "unknown_key"
  /** A pinned key's signature does not verify, or the policy does not match what it signed. */
  | "bad_signature"
  /** Past its expiry time. */
  | "expired"
  /** Its serial is below the installed bundle's. */
  | "rollback"
  /** Its serial is the installed bundle's, its content is not. */
  | "serial_reused"
  /** The policy inside does not load. */
  | "invalid_policy"
  /** No key is pinned, or the pinned keys are unusable. */
  | "no_trusted_keys"
  /** The installed bundle cannot be read, so no serial can be compared with it. */
  | "current_unreadable"
  /** The ledger could not record the install, so nothing was installed. */
  | "unrecorded";

/** A refused bundle; branch on `code`. */
export class PolicyBundleError extends Error {
  /** Stable machine-readable reason. */
  readonly code: BundleRefusal;
  /** Further lines (e.g. every problem of an invalid policy). */
  readonly details: readonly string[];
  /** Why the refusal itself could not be recorded in the ledger, when it could not. */
  unrecorded: string | undefined;

  constructor(
    code: BundleRefusal,
    message: string,
    options: { cause?: unknown; details?: readonly string[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PolicyBundleError";
    this.code = code;
    this.details = options.details ?? [];
  }
}

/** What a bundle's signed header says. */
export interface BundleHeader {
  /** Monotonic version: a pull refuses a serial below the installed one. */
  serial: number;
  /** When it was signed, `YYYY-MM-DDTHH:MM:SSZ`. */
  issued: string;
  /** After this time no host installs it. */
  expires: string;
  /** The policy's length in UTF-8 bytes. */
  bytes: number;
  /** SHA-256 of the policy, hex. */
  sha256: string;
}

/** A verified bundle. */
export interface OpenedBundle {
  header: BundleHeader;
  /** The policy text exactly as signed. */
  policy: string;
  /** The signed note (header and signature lines), as stored. */
  note: string;
  /** The pinned key whose signature verified first: its name and 8-hex-digit key ID. */
  signer: { name: string; keyId: string };
}

const SIGNATURE_PREFIX = "\u2014 ";
const encoder = new TextEncoder();
const fail = (code: BundleRefusal, message: string): never => {
  throw new PolicyBundleError(code, message);
};

/** A time as bundles write it: UTC, whole seconds. */
export function bundleTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Signs `policy` (the file's text, at most {@link MAX_DOCUMENT_BYTES}) into a bundle.
 * @example
 * ```ts
 * import { equal, ok } from "node:assert/strict";
 * import { generateSigner } from "../ledger/checkpoint.ts";
 * import { openPolicyBundle, signPolicyBundle } from "./bundle.ts";
 * const { signerKey, verifierKey } = await generateSigner("policy.example");
 * const bundle = await signPolicyBundle("default: deny\n", signerKey, {
 *   serial: 7,
 *   issued: new Date("2025-01-01T00:00:00Z"),
 *   expires: new Date("2025-02-01T00:00:00Z"),
 * });
 * ok(bundle.startsWith("watchtower/policy/v1\n7\n"));
 * const opened = await openPolicyBundle(bundle, [verifierKey], {
 *   now: new Date("2025-01-02T00:00:00Z"),
 * });
 * equal(opened.policy, "default: deny\n");
 * equal(opened.signer.name, "policy.example");
 * ```
 */
export async function signPolicyBundle(
  policy: string,
  signerKey: string | SignerKey,
  options: { serial: number; issued: Date; expires: Date },
): Promise<string> {
  const bytes = encoder.encode(policy);
  if (!policy.isWellFormed() || bytes.length > MAX_DOCUMENT_BYTES) {
    fail("malformed", `Cannot sign policy: not text of at most ${MAX_DOCUMENT_BYTES} bytes`);
  }
  if (!Number.isSafeInteger(options.serial) || options.serial < 0) {
    fail("malformed", "Cannot sign policy: the serial must be a whole number from 0 to 2^53 - 1");
  }
  const [issued, expires] = [options.issued, options.expires].map(bundleTime);
  if (options.expires.getTime() <= options.issued.getTime()) {
    fail("malformed", `Cannot sign policy: it would expire (${expires}) before it is issued`);
  }
  const body = formatCheckpoint({
    origin: BUNDLE_ORIGIN,
    size: options.serial,
    root: sha256(bytes),
    extensions: [`issued ${issued}`, `expires ${expires}`, `bytes ${bytes.length}`],
  });
  return `${await signNote(body, signerKey)}\n${policy}`;
}

/**
 * Reads a bundle's bytes as text: refuses one too large, HTML, or not UTF-8 (`too_large`,
 * `not_a_bundle`, `malformed`). A byte order mark is kept (it would be a change).
 */
export function decodeBundle(bytes: Uint8Array, source: string): string {
  if (bytes.length > MAX_BUNDLE_BYTES) {
    fail("too_large", `Cannot use ${source}: it is larger than ${MAX_BUNDLE_BYTES} bytes`);
  }
  let first = 0;
  while (first < bytes.length && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[first]!)) first++;
  if (bytes[first] === 0x3c) {
    fail(
      "not_a_bundle",
      `Cannot use ${source}: it is HTML, not a policy bundle (is the URL right?)`,
    );
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return fail("malformed", `Cannot use ${source}: it is not UTF-8 text`);
  }
}

/** A bundle split into its note (header text and signature lines) and its policy. */
interface BundleParts {
  body: string;
  note: string;
  policy: string;
}

function splitBundle(text: string, source: string): BundleParts {
  const why = (code: BundleRefusal, reason: string): never =>
    fail(code, `Cannot use ${source}: ${reason}`);
  if (!text.startsWith(`${BUNDLE_ORIGIN}\n`)) {
    why("not_a_bundle", `it is not a policy bundle (the first line is not '${BUNDLE_ORIGIN}')`);
  }
  const blank = text.indexOf("\n\n");
  if (blank < 0) why("truncated", "it ends inside its header");
  const body = text.slice(0, blank + 1);
  const signatures = blank + 2;
  let at = signatures;
  while (text.startsWith(SIGNATURE_PREFIX, at)) {
    const end = text.indexOf("\n", at);
    if (end < 0) why("truncated", "it ends inside a signature line");
    at = end + 1;
  }
  if (at === signatures) {
    if (at >= text.length) why("truncated", "it ends after its header, before any signature");
    why("unsigned", "it carries no signature");
  }
  if (at >= text.length) why("truncated", "it ends after its signatures, before the policy");
  if (text[at] !== "\n") why("malformed", "no blank line separates the signatures and the policy");
  return { body, note: text.slice(0, at), policy: text.slice(at + 1) };
}

function headerOf(body: string, source: string): BundleHeader {
  const why = (reason: string): never => fail("malformed", `Cannot use ${source}: ${reason}`);
  let checkpoint;
  try {
    checkpoint = parseCheckpoint(body);
  } catch (error) {
    return why(
      error instanceof Error ? error.message.replace(/^Cannot parse checkpoint: /, "") : "",
    );
  }
  const [issued, expires, bytes, ...more] = checkpoint.extensions.map((line) => line.split(" "));
  const time = (field: string[] | undefined, name: string): string => {
    const value = field?.length === 2 && field[0] === name ? field[1]! : undefined;
    const date = value === undefined ? NaN : Date.parse(value);
    if (value === undefined || Number.isNaN(date) || bundleTime(new Date(date)) !== value) {
      why(`expected the line '${name} YYYY-MM-DDTHH:MM:SSZ'`);
    }
    return value!;
  };
  const header: BundleHeader = {
    serial: checkpoint.size,
    issued: time(issued, "issued"),
    expires: time(expires, "expires"),
    bytes: bytes?.length === 2 && bytes[0] === "bytes" && /^(0|[1-9]\d{0,8})$/.test(bytes[1]!)
      ? Number(bytes[1])
      : why("expected the line 'bytes N'"),
    sha256: toHex(checkpoint.root),
  };
  if (more.length > 0) why("it has lines after 'bytes' that this version does not know");
  if (Date.parse(header.expires) <= Date.parse(header.issued)) {
    why("it expires before it is issued");
  }
  return header;
}

/**
 * The header and policy of a bundle, without checking its signature: for the bundle a host has
 * installed itself (its serial is what a new one must exceed). Throws {@link PolicyBundleError}.
 */
export function readBundle(text: string, source: string): { header: BundleHeader; policy: string } {
  const parts = splitBundle(text, source);
  return { header: headerOf(parts.body, source), policy: parts.policy };
}

// Partial: a note error this version does not know is a malformed bundle.
const REFUSAL_OF: Partial<Record<CheckpointErrorCode, BundleRefusal>> = {
  malformed: "malformed",
  no_signature: "unsigned",
  unknown_key: "unknown_key",
  bad_signature: "bad_signature",
  bad_key: "no_trusted_keys",
};

/**
 * Verifies a bundle against the pinned verifier keys: its format, a signature by a pinned key
 * (every pinned key's signature on it must verify), the policy's length and hash, and its expiry
 * (`now`, default the current time). Throws {@link PolicyBundleError}.
 */
export async function openPolicyBundle(
  text: string,
  trusted: ReadonlyArray<string | VerifierKey>,
  options: { source?: string; now?: Date } = {},
): Promise<OpenedBundle> {
  const source = options.source ?? "the bundle";
  const parts = splitBundle(text, source);
  const header = headerOf(parts.body, source);
  if (trusted.length === 0) {
    fail("no_trusted_keys", `Cannot verify ${source}: no policy signer key is pinned`);
  }
  try {
    await openNote(parts.note, trusted);
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    const reason = error.message.replace(/^Cannot open note: /, "");
    return fail(REFUSAL_OF[error.code] ?? "malformed", `Cannot verify ${source}: ${reason}`);
  }
  const bytes = encoder.encode(parts.policy);
  if (bytes.length < header.bytes) {
    fail("truncated", `Cannot use ${source}: it ends ${header.bytes - bytes.length} bytes early`);
  }
  if (bytes.length > header.bytes) {
    fail(
      "malformed",
      `Cannot use ${source}: ${bytes.length - header.bytes} bytes follow its policy`,
    );
  }
  if (toHex(sha256(bytes)) !== header.sha256) {
    fail("bad_signature", `Cannot verify ${source}: the policy is not the one that was signed`);
  }
  const now = options.now ?? new Date();
  if (now.getTime() >= Date.parse(header.expires)) {
    fail("expired", `Cannot use ${source}: it expired at ${header.expires}`);
  }
  return { header, policy: parts.policy, note: parts.note, signer: signerOf(parts.note, trusted) };
}

/** The name and key ID of the first signature line by a pinned key (it verified). */
function signerOf(
  note: string,
  trusted: ReadonlyArray<string | VerifierKey>,
): OpenedBundle["signer"] {
  const pinned = new Set(trusted.map((entry) => {
    const key = typeof entry === "string" ? parseVerifierKey(entry) : entry;
    return `${key.name}+${key.keyId.toString(16).padStart(8, "0")}`;
  }));
  for (const line of note.slice(note.indexOf("\n\n") + 2).split("\n")) {
    const [name, blob] = line.slice(SIGNATURE_PREFIX.length).split(" ");
    if (name === undefined || blob === undefined) continue;
    const keyId = toHex(Uint8Array.from(atob(blob).slice(0, 4), (c) => c.charCodeAt(0)));
    if (pinned.has(`${name}+${keyId}`)) return { name, keyId };
  }
  // openNote verified a pinned key's signature, so one line above was by it.
  throw new PolicyBundleError("bad_signature", "Cannot verify the bundle: no pinned signer found");
}
