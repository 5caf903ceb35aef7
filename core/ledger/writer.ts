/**
 * Appending to the ledger from many processes at once: an exclusive lock around
 * read-head / check-tail / append / sync / update-head, segment rotation by size, and group
 * commit for high-rate callers. An append that cannot be trusted to continue the chain is
 * refused (the caller then denies the operation), never forked.
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import {
  type Digest,
  type EntryData,
  entryLeaf,
  GENESIS_HASH,
  hashedBytes,
  sealEntry,
  storedHash,
} from "./entry.ts";
import { type LedgerFiles, ledgerFiles, listSegments, segmentPath } from "./files.ts";
import { type LedgerHead, readHead, writeHead } from "./head.ts";
import { MerkleFrontier } from "./merkle.ts";
import { sha256, toHex } from "./sha256.ts";
import { type AppendedBatch, telemetry } from "../telemetry/mod.ts";

/** How the ledger writes. */
export interface LedgerOptions {
  /**
   * `always` (default): every append is on disk (fdatasync) before it returns. `batch`: appends
   * made with {@link Ledger.append} are collected for up to `batchMs` and committed together with
   * one lock and one fdatasync; each promise resolves once its entry is on disk.
   */
  sync?: "always" | "batch";
  /** Start a new segment when the current one would grow past this many bytes (default 64 MiB). */
  segmentBytes?: number;
  /** Group commit window in milliseconds (default 2). */
  batchMs?: number;
  /** Most entries in one group commit (default 4096). */
  batchMax?: number;
  /** Clock, for tests. */
  now?: () => Date;
  /** SHA-256 to hash entries with (default: the built-in one; see {@link Digest}). */
  digest?: Digest;
  /**
   * Export appended entries to OpenTelemetry when it is on (default true; docs/telemetry.md).
   * False where another thread exports them: in a worker, Deno 2.9 cannot make log records.
   */
  telemetry?: boolean;
}

/** What to append: the entry's data and annotations (seq, time and hashes are the ledger's). */
export interface AppendRecord {
  data: EntryData;
  annotations?: Record<string, unknown>;
}

/** Where an entry landed. */
export interface Appended {
  seq: number;
  hash: string;
  segment: number;
  timestamp: string;
}

/** Default segment size: 64 MiB. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

const decoder = new TextDecoder("utf-8", { fatal: true });

interface TailState {
  head: LedgerHead;
  frontier: MerkleFrontier;
}

/** What {@link Ledger.exclusive} hands its callback. */
export interface LedgerSession {
  /**
   * Appends records (checking the tail first) under the lock already held. `durable: false`
   * skips fdatasync: for records nothing waits on (a finished program's effect), never for a
   * decision an operation is about to act on.
   */
  append(records: readonly AppendRecord[], options?: { durable?: boolean }): Appended[];
}

/** A ledger in a state directory. */
export class Ledger {
  readonly files: LedgerFiles;
  readonly #options: Required<Omit<LedgerOptions, "now" | "digest">> & {
    now: () => Date;
    digest: Digest;
  };
  #queue: Array<
    { record: AppendRecord; resolve: (a: Appended) => void; reject: (e: unknown) => void }
  > = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(stateDir: string, options: LedgerOptions = {}) {
    this.files = ledgerFiles(stateDir);
    this.#options = {
      sync: options.sync ?? "always",
      segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
      batchMs: options.batchMs ?? 2,
      batchMax: options.batchMax ?? 4096,
      now: options.now ?? (() => new Date()),
      digest: options.digest ?? sha256,
      telemetry: options.telemetry ?? true,
    };
  }

  /**
   * Appends records under one lock and one fdatasync, in order, and returns where each landed.
   * Throws `ledger_unavailable` (cannot write) or `ledger_corrupt` (the chain cannot be trusted).
   */
  appendSync(records: readonly AppendRecord[], options: { durable?: boolean } = {}): Appended[] {
    if (records.length === 0) return [];
    return this.exclusive((session) => session.append(records, options));
  }

  /**
   * Runs `fn` holding the ledger's exclusive lock: maintenance (repair, clean) changes files and
   * then appends its own record with no other writer in between. The tail is checked when `fn`
   * appends, not before, so `fn` can first mend what the check would refuse.
   */
  exclusive<T>(fn: (session: LedgerSession) => T): T {
    this.#ensureDir();
    let lock: Deno.FsFile;
    try {
      lock = Deno.openSync(this.files.lock, { read: true, write: true, create: true, mode: 0o600 });
    } catch (error) {
      throw unavailable(this.files, `cannot open the lock file ${this.files.lock}`, error);
    }
    // What this lock wrote, for OpenTelemetry (only when it is on: docs/telemetry.md).
    const written: AppendedBatch[] | undefined = telemetry && this.#options.telemetry
      ? []
      : undefined;
    try {
      lock.lockSync(true);
      return fn({
        append: (records, options = {}) => {
          if (records.length === 0) return [];
          const appended = this.#write(recoverTail(this.files), records, options.durable ?? true);
          written?.push({ records, appended });
          return appended;
        },
      });
    } finally {
      lock.close(); // closing releases the flock
      // Exported once on disk and unlocked, before the caller acts; never throws.
      if (written && written.length > 0) telemetry!.recorded(this.files.dir, written);
    }
  }

  /** Appends one record now (`sync: always`) or with the next group commit (`sync: batch`). */
  append(record: AppendRecord): Promise<Appended> {
    if (this.#options.sync === "always") {
      try {
        return Promise.resolve(this.appendSync([record])[0]!);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, resolve, reject });
      if (this.#queue.length >= this.#options.batchMax) this.flush();
      else this.#timer ??= setTimeout(() => this.flush(), this.#options.batchMs);
    });
  }

  /** Commits every queued record now. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    try {
      const appended = this.appendSync(batch.map((item) => item.record));
      batch.forEach((item, i) => item.resolve(appended[i]!));
    } catch (error) {
      for (const item of batch) item.reject(error);
    }
  }

  #ensureDir(): void {
    try {
      Deno.mkdirSync(this.files.dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw unavailable(this.files, `cannot create ${this.files.dir}`, error);
    }
  }

  #write(state: TailState, records: readonly AppendRecord[], durable: boolean): Appended[] {
    const { head, frontier } = state;
    const timestamp = this.#options.now().toISOString();
    const chunks = new Map<number, Uint8Array[]>();
    const out: Appended[] = [];
    let { seq, hash, segment, segment_bytes: size } = head;
    for (const record of records) {
      const sealed = sealEntry({
        seq: seq + 1,
        timestamp,
        data: record.data,
        annotations: record.annotations ?? {},
        prev_hash: hash,
      }, this.#options.digest);
      const length = sealed.line.length + 1;
      if (size > 0 && size + length > this.#options.segmentBytes) {
        segment++;
        size = 0;
      }
      const list = chunks.get(segment) ?? [];
      list.push(sealed.line, NEWLINE);
      chunks.set(segment, list);
      size += length;
      seq++;
      hash = sealed.hash;
      frontier.append(entryLeaf(sealed.hashBytes, this.#options.digest));
      out.push({ seq, hash, segment, timestamp });
    }
    for (const [index, parts] of chunks) {
      this.#writeSegment(index, concat(parts), index !== head.segment, durable);
    }
    const next: LedgerHead = {
      version: 1,
      seq,
      hash,
      segment,
      segment_bytes: size,
      tree: frontier.toJSON(),
    };
    try {
      writeHead(this.files, next);
    } catch (error) {
      // The entries are on disk and chain correctly; the next append recovers the head.
      throw unavailable(this.files, `cannot update ${this.files.head}`, error);
    }
    return out;
  }

  #writeSegment(index: number, bytes: Uint8Array, created: boolean, durable: boolean): void {
    const path = segmentPath(this.files, index);
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
    } catch (error) {
      throw unavailable(this.files, `cannot open ${path}`, error);
    }
    try {
      let offset = 0;
      while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
      if (durable) file.syncDataSync();
    } catch (error) {
      throw unavailable(this.files, `cannot write ${path}`, error);
    } finally {
      file.close();
    }
    if (created && durable) syncDirectory(this.files.dir);
  }
}

const NEWLINE = new Uint8Array([10]);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function syncDirectory(dir: string): void {
  // Makes a new segment's directory entry durable; not every platform can open directories.
  try {
    const handle = Deno.openSync(dir, { read: true });
    try {
      handle.syncSync();
    } finally {
      handle.close();
    }
  } catch {
    // best effort
  }
}

function unavailable(files: LedgerFiles, what: string, cause: unknown): WatchtowerError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new WatchtowerError(
    "ledger_unavailable",
    `Cannot write ledger in ${files.dir}: ${what}: ${reason}`,
    { cause, location: { file: files.dir } },
  );
}

function corrupt(files: LedgerFiles, detail: string): WatchtowerError {
  return new WatchtowerError(
    "ledger_corrupt",
    `Cannot append to ledger in ${files.dir}: ${detail}; run wt verify (and wt verify --repair)`,
    { location: { file: files.dir } },
  );
}

/**
 * Reads the head and checks it against the segments' ends. Whole entries written after the
 * head (a crash between writing an entry and updating the head) that chain correctly are
 * adopted; anything else that disagrees is refused.
 */
export function recoverTail(files: LedgerFiles): TailState {
  const head = readHead(files);
  const segments = listSegments(files);
  if (!head) {
    if (segments.length > 0) throw corrupt(files, "the head file is missing but segments exist");
    return {
      head: {
        version: 1,
        seq: 0,
        hash: GENESIS_HASH,
        segment: 1,
        segment_bytes: 0,
        tree: { size: 0, nodes: [] },
      },
      frontier: new MerkleFrontier(),
    };
  }
  const frontier = MerkleFrontier.fromJSON(head.tree);
  const last = segments.at(-1) ?? 0;
  if (last > head.segment + 1) {
    throw corrupt(
      files,
      `segments (${segments.join(", ")}) disagree with the head (segment ${head.segment})`,
    );
  }
  const state: TailState = { head: { ...head }, frontier };
  adoptExtra(files, state, head.segment, head.segment_bytes);
  if (last === head.segment + 1) {
    adoptExtra(files, state, head.segment + 1, 0);
  }
  return state;
}

function adoptExtra(files: LedgerFiles, state: TailState, segment: number, from: number): void {
  const path = segmentPath(files, segment);
  let size: number;
  try {
    size = Deno.statSync(path).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && from === 0) return;
    throw corrupt(files, `segment ${path} is missing`);
  }
  if (size < from) {
    throw corrupt(
      files,
      `segment ${path} is shorter (${size} bytes) than the head records (${from}): truncated`,
    );
  }
  if (size === from) return;
  const file = Deno.openSync(path, { read: true });
  let extra: Uint8Array;
  try {
    file.seekSync(from, Deno.SeekMode.Start);
    extra = new Uint8Array(size - from);
    let offset = 0;
    while (offset < extra.length) {
      const n = file.readSync(extra.subarray(offset));
      if (n === null) break;
      offset += n;
    }
  } finally {
    file.close();
  }
  let start = 0;
  while (start < extra.length) {
    const end = extra.indexOf(10, start);
    if (end < 0) {
      throw corrupt(files, `a torn entry follows seq ${state.head.seq} in ${path}`);
    }
    const line = extra.subarray(start, end);
    adoptLine(files, state, line, path);
    state.head.segment = segment;
    state.head.segment_bytes = from + end + 1;
    start = end + 1;
  }
}

function adoptLine(files: LedgerFiles, state: TailState, line: Uint8Array, path: string): void {
  const body = hashedBytes(line);
  const refuse = (why: string) =>
    corrupt(files, `an entry after seq ${state.head.seq} in ${path} ${why}`);
  if (!body) throw refuse("has no hash member");
  const hash = storedHash(line);
  if (toHex(sha256(body)) !== hash) throw refuse("does not match its hash");
  let entry: { seq?: unknown; prev_hash?: unknown };
  try {
    entry = JSON.parse(decoder.decode(line));
  } catch {
    throw refuse("is not JSON");
  }
  if (entry.seq !== state.head.seq + 1) throw refuse(`has seq ${entry.seq}`);
  if (entry.prev_hash !== state.head.hash) throw refuse("does not chain to it");
  state.head.seq++;
  state.head.hash = hash;
  state.frontier.append(entryLeaf(hash));
  state.head.tree = state.frontier.toJSON();
}
