/**
 * Verifies a whole ledger: every segment present, every line whole, parsable and hashed right,
 * seqs consecutive from 1, each entry chained to the one before, the head agreeing with the
 * end; and reports the first fault precisely (kind, seq, segment, line).
 * @module
 */
import { type Digest, entryLeaf, GENESIS_HASH, HASH_SUFFIX_LENGTH, storedHash } from "./entry.ts";
import { type LedgerFiles, ledgerFiles, listSegments, segmentName, segmentPath } from "./files.ts";
import { type LedgerHead, readHead } from "./head.ts";
import { merkleRoot } from "./merkle.ts";
import { Sha256, toHex } from "./sha256.ts";

/** What can be wrong with a ledger. `torn_tail` is a crash artefact, the rest are damage. */
export type FaultKind =
  | "torn_tail"
  | "torn_line"
  | "unparsable_line"
  | "non_utf8"
  | "hash_mismatch"
  | "broken_link"
  | "seq_gap"
  | "seq_reorder"
  | "missing_segment"
  | "truncated_tail"
  | "head_missing"
  | "head_mismatch"
  | "head_corrupt";

/** The first fault found. */
export interface Fault {
  kind: FaultKind;
  /** The seq at fault (or expected at that place). */
  seq?: number;
  segment?: number;
  /** 1-based line within the segment. */
  line?: number;
  /** Byte offset of the line within its segment. */
  offset?: number;
  detail: string;
}

/** The outcome of verifying a ledger. */
export interface VerifyReport {
  ok: boolean;
  entries: number;
  segments: number;
  bytes: number;
  /** Seq and hash of the last good entry (0 and the genesis hash when none). */
  lastSeq: number;
  lastHash: string;
  /** Merkle root over the good entries, hex (empty unless asked for). */
  root: string;
  /** Hash of the first entry: it names the chain (a checkpoint's origin). */
  firstHash?: string;
  /** Where the good entries end: segment and byte length (what a rebuilt head records). */
  end: { segment: number; bytes: number };
  fault?: Fault;
  /** Entries after the head's seq that chain correctly (a crash before the head update). */
  headBehind?: number;
}

/** Options of {@link verifyLedger}. */
export interface VerifyOptions {
  /**
   * Compute the Merkle root (`root` in the report). Off by default: the chain check does not
   * need it, and it costs two more hashes per entry. Giving `leaves` turns it on.
   */
  root?: boolean;
  /** SHA-256 to check entry hashes with (default: the built-in one). */
  digest?: Digest;
  /** Keep every leaf hash here (for proofs and checkpoint checks). */
  leaves?: Uint8Array[];
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const ascii = new TextDecoder();
const CLOSE_BRACE = new Uint8Array([0x7d]);
const HASH_MEMBER = ',"hash":"';
const PREV_MEMBER = '"prev_hash":"';

/** Verifies the ledger in `stateDir`. */
export function verifyLedger(stateDir: string, options: VerifyOptions = {}): VerifyReport {
  const files = ledgerFiles(stateDir);
  const wantRoot = options.root === true || options.leaves !== undefined;
  // Without a root to compute, leaves are not kept (undefined skips the leaf hashing).
  const leaves = wantRoot ? options.leaves ?? [] : undefined;
  const hasher = bodyHasher(options.digest);
  const report: VerifyReport = {
    ok: true,
    entries: 0,
    segments: 0,
    bytes: 0,
    lastSeq: 0,
    lastHash: GENESIS_HASH,
    root: "",
    end: { segment: 1, bytes: 0 },
  };
  const fail = (fault: Fault) => {
    report.ok = false;
    report.fault = fault;
    return finish(report, leaves);
  };
  const segments = listSegments(files);
  report.segments = segments.length;
  let head: LedgerHead | undefined;
  let headError: string | undefined;
  try {
    head = readHead(files);
  } catch (error) {
    // Scan the segments anyway: a damaged entry is the more important finding.
    headError = error instanceof Error ? error.message : String(error);
  }
  for (const [position, index] of segments.entries()) {
    if (index !== position + 1) {
      return fail({
        kind: "missing_segment",
        segment: position + 1,
        seq: report.lastSeq + 1,
        detail: `segment ${segmentName(position + 1)} is missing (next present: ${
          segmentName(index)
        })`,
      });
    }
    const bytes = Deno.readFileSync(segmentPath(files, index));
    report.bytes += bytes.length;
    let start = 0;
    let line = 0;
    while (start < bytes.length) {
      line++;
      let end = bytes.indexOf(10, start);
      const terminated = end >= 0;
      if (!terminated) end = bytes.length;
      const slice = bytes.subarray(start, end);
      const where = { segment: index, line, offset: start, seq: report.lastSeq + 1 };
      if (!terminated) {
        const last = position === segments.length - 1;
        return fail({
          ...where,
          kind: last ? "torn_tail" : "torn_line",
          detail: last
            ? `the last line (${slice.length} bytes) is incomplete: a write was cut off`
            : `line ${line} of ${segmentName(index)} has no newline but more segments follow`,
        });
      }
      const fault = checkLine(slice, report, hasher, leaves, options.digest);
      if (fault) return fail({ ...where, ...fault });
      report.end = { segment: index, bytes: end + 1 };
      start = end + 1;
    }
  }
  const tracked = report as VerifyReport & { lastHashBytes?: Uint8Array };
  if (tracked.lastHashBytes) report.lastHash = ascii.decode(tracked.lastHashBytes);
  if (headError !== undefined) {
    return fail({ kind: "head_corrupt", detail: headError });
  }
  if (!head) {
    if (report.entries > 0) {
      return fail({
        kind: "head_missing",
        detail: `${files.head} is missing but the ledger has entries`,
      });
    }
  } else if (head.seq > report.lastSeq) {
    return fail({
      kind: "truncated_tail",
      seq: report.lastSeq + 1,
      detail: `the head records seq ${head.seq} but the segments end at seq ${report.lastSeq}`,
    });
  } else if (head.seq < report.lastSeq) {
    report.headBehind = report.lastSeq - head.seq;
    if (!chainsThrough(files, head, report)) {
      return fail({
        kind: "head_mismatch",
        seq: head.seq,
        detail: `the head's hash for seq ${head.seq} is not the ledger's`,
      });
    }
  } else if (head.hash !== report.lastHash) {
    return fail({
      kind: "head_mismatch",
      seq: head.seq,
      detail: `the head's hash for seq ${head.seq} is not the ledger's`,
    });
  }
  return finish(report, leaves);
}

function chainsThrough(files: LedgerFiles, head: LedgerHead, _report: VerifyReport): boolean {
  // The head is behind: its seq must name an entry whose hash it records.
  if (head.seq === 0) return head.hash === GENESIS_HASH;
  for (const index of listSegments(files)) {
    const bytes = Deno.readFileSync(segmentPath(files, index));
    let start = 0;
    while (start < bytes.length) {
      const end = bytes.indexOf(10, start);
      if (end < 0) break;
      const slice = bytes.subarray(start, end);
      const seq = leadingSeq(slice);
      if (seq === head.seq) return storedHash(slice) === head.hash;
      start = end + 1;
    }
  }
  return false;
}

function finish(
  report: VerifyReport & { lastHashBytes?: Uint8Array },
  leaves: Uint8Array[] | undefined,
): VerifyReport {
  if (report.lastHashBytes) report.lastHash = ascii.decode(report.lastHashBytes);
  delete report.lastHashBytes;
  if (leaves) report.root = toHex(merkleRoot(leaves));
  return report;
}

/** `{"seq":N,` — the seq at the start of a line we wrote, without parsing the whole line. */
function leadingSeq(line: Uint8Array): number | undefined {
  // 0x7b { 0x22 " s e q " :
  const prefix = '{"seq":';
  for (let i = 0; i < prefix.length; i++) if (line[i] !== prefix.charCodeAt(i)) return undefined;
  let value = 0;
  let i = prefix.length;
  for (; i < line.length && i < prefix.length + 16; i++) {
    const c = line[i]!;
    if (c < 0x30 || c > 0x39) break;
    value = value * 10 + (c - 0x30);
  }
  return i > prefix.length && line[i] === 0x2c ? value : undefined;
}

function checkLine(
  line: Uint8Array,
  report: VerifyReport & { lastHashBytes?: Uint8Array },
  hasher: BodyHasher,
  leaves: Uint8Array[] | undefined,
  leafDigest: Digest | undefined,
): Omit<Fault, "segment" | "line" | "offset"> | undefined {
  const expected = report.lastSeq + 1;
  const seq = leadingSeq(line);
  const hashAt = line.length - HASH_SUFFIX_LENGTH;
  if (seq === undefined || !hasMember(line, hashAt, HASH_MEMBER) || line.at(-1) !== 0x7d) {
    return describeUnreadable(line, expected);
  }
  if (seq !== expected) {
    return {
      kind: seq > expected ? "seq_gap" : "seq_reorder",
      seq: expected,
      detail: `expected seq ${expected}, found seq ${seq}`,
    };
  }
  // The hash covers the line up to `,"hash":"` plus `}`: hash it in place, without a copy.
  const hash = hasher(line, hashAt);
  const stored = line.subarray(hashAt + HASH_MEMBER.length, hashAt + HASH_MEMBER.length + 64);
  if (!equalHex(stored, hash)) {
    if (!isUtf8(line)) {
      return {
        kind: "non_utf8",
        seq,
        detail: `entry ${seq} holds bytes that are not UTF-8 (and does not match its hash)`,
      };
    }
    return {
      kind: "hash_mismatch",
      seq,
      detail: `entry ${seq} does not match its hash (its content or hash was changed)`,
    };
  }
  const prevAt = hashAt - 1 - 64 - PREV_MEMBER.length;
  const expectedPrev = report.lastHashBytes;
  if (
    prevAt < 0 || !hasMember(line, prevAt, PREV_MEMBER) ||
    (expectedPrev
      ? !equalBytes(line.subarray(prevAt + PREV_MEMBER.length, hashAt - 1), expectedPrev)
      : !isGenesis(line, prevAt + PREV_MEMBER.length))
  ) {
    return {
      kind: "broken_link",
      seq,
      detail: `entry ${seq}'s prev_hash is not the hash of entry ${seq - 1}`,
    };
  }
  leaves?.push(entryLeaf(hash, leafDigest));
  if (seq === 1) report.firstHash = ascii.decode(stored);
  report.entries++;
  report.lastSeq = seq;
  report.lastHashBytes = stored;
  return undefined;
}

/** Hashes `line[0, end)` followed by `}`: the bytes an entry's hash covers. */
type BodyHasher = (line: Uint8Array, end: number) => Uint8Array;

function bodyHasher(digest: Digest | undefined): BodyHasher {
  if (!digest) {
    const hasher = new Sha256();
    return (line, end) => hasher.reset().update(line.subarray(0, end)).update(CLOSE_BRACE).digest();
  }
  // A one-shot digest needs the body in one piece: copy it into a reused buffer.
  let scratch = new Uint8Array(4096);
  return (line, end) => {
    if (scratch.length < end + 1) scratch = new Uint8Array(Math.max(end + 1, scratch.length * 2));
    scratch.set(line.subarray(0, end), 0);
    scratch[end] = 0x7d;
    return digest(scratch.subarray(0, end + 1));
  };
}

function describeUnreadable(
  line: Uint8Array,
  expected: number,
): Omit<Fault, "segment" | "line" | "offset"> {
  let text: string;
  try {
    text = decoder.decode(line);
  } catch {
    return { kind: "non_utf8", seq: expected, detail: "the line is not valid UTF-8" };
  }
  let seq: number | undefined;
  try {
    const value = JSON.parse(text);
    seq = typeof value?.seq === "number" ? value.seq : undefined;
  } catch {
    return {
      kind: "unparsable_line",
      seq: expected,
      detail: `the line is not JSON (${line.length} bytes)`,
    };
  }
  return {
    kind: "unparsable_line",
    seq: seq ?? expected,
    detail: "the line is JSON but not an entry as Watchtower writes it (seq first, hash last)",
  };
}

function isUtf8(line: Uint8Array): boolean {
  try {
    decoder.decode(line);
    return true;
  } catch {
    return false;
  }
}

function hasMember(line: Uint8Array, at: number, member: string): boolean {
  if (at < 0) return false;
  for (let i = 0; i < member.length; i++) if (line[at + i] !== member.charCodeAt(i)) return false;
  return true;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const HEX = "0123456789abcdef";

/** Whether ASCII hex `text` spells `digest`. */
function equalHex(text: Uint8Array, digest: Uint8Array): boolean {
  if (text.length !== digest.length * 2) return false;
  for (let i = 0; i < digest.length; i++) {
    const byte = digest[i]!;
    if (
      text[2 * i] !== HEX.charCodeAt(byte >> 4) || text[2 * i + 1] !== HEX.charCodeAt(byte & 15)
    ) return false;
  }
  return true;
}

function isGenesis(line: Uint8Array, at: number): boolean {
  for (let i = 0; i < 64; i++) if (line[at + i] !== 0x30) return false;
  return line[at + 64] === 0x22;
}
