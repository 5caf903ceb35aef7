/**
 * Reading the ledger for operator commands: every line of every segment in order, parsed, with
 * bad lines reported rather than thrown; and following the ledger as it grows.
 * @module
 */
import type { LedgerEntry } from "./entry.ts";
import { ledgerFiles, listSegments, segmentPath } from "./files.ts";

/** One line of a segment: the entry, or why it could not be read. */
export interface LedgerLine {
  segment: number;
  /** 1-based line number within the segment. */
  line: number;
  /** Byte offset of the line in its segment. */
  offset: number;
  bytes: Uint8Array;
  /** Whether the line ended with a newline (a final line without one is torn). */
  terminated: boolean;
  entry?: LedgerEntry;
  error?: string;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Every line of every segment of the ledger in `stateDir`, in order. */
export function* readLedgerLines(stateDir: string): Generator<LedgerLine> {
  const files = ledgerFiles(stateDir);
  for (const segment of listSegments(files)) {
    const bytes = Deno.readFileSync(segmentPath(files, segment));
    yield* splitSegment(segment, bytes);
  }
}

/** The lines of one segment's bytes. */
export function* splitSegment(segment: number, bytes: Uint8Array, base = 0): Generator<LedgerLine> {
  let start = 0;
  let line = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(10, start);
    const terminated = end >= 0;
    if (!terminated) end = bytes.length;
    line++;
    const slice = bytes.subarray(start, end);
    const record: LedgerLine = { segment, line, offset: base + start, bytes: slice, terminated };
    const parsed = parseLine(slice);
    if ("entry" in parsed) record.entry = parsed.entry;
    else record.error = parsed.error;
    yield record;
    start = end + 1;
  }
}

/** Parses one line into an entry, or says why it is not one. */
export function parseLine(bytes: Uint8Array): { entry: LedgerEntry } | { error: string } {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { error: "not valid UTF-8" };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `not JSON (${error instanceof Error ? error.message : error})` };
  }
  const entry = value as Partial<LedgerEntry>;
  if (
    entry === null || typeof entry !== "object" || !Number.isSafeInteger(entry.seq) ||
    typeof entry.timestamp !== "string" || entry.data === null || typeof entry.data !== "object" ||
    typeof entry.prev_hash !== "string" || typeof entry.hash !== "string"
  ) {
    return { error: "not a ledger entry (seq, timestamp, data, prev_hash, hash)" };
  }
  if (entry.annotations === undefined || entry.annotations === null) entry.annotations = {};
  return { entry: entry as LedgerEntry };
}

/** Every readable entry of the ledger, in order (unreadable lines are skipped). */
export function* readEntries(stateDir: string): Generator<LedgerEntry> {
  for (const line of readLedgerLines(stateDir)) if (line.entry) yield line.entry;
}

/** The last `count` readable entries, oldest first. */
export function lastEntries(stateDir: string, count: number): LedgerEntry[] {
  const ring: LedgerEntry[] = [];
  for (const entry of readEntries(stateDir)) {
    ring.push(entry);
    if (ring.length > count) ring.shift();
  }
  return ring;
}

/**
 * Follows the ledger: yields entries with seq > `afterSeq` as they are appended, polling every
 * `intervalMs`, until `signal` aborts. Only complete (newline-terminated) lines are yielded.
 */
export async function* followEntries(
  stateDir: string,
  options: { afterSeq?: number; intervalMs?: number; signal?: AbortSignal } = {},
): AsyncGenerator<LedgerEntry> {
  const files = ledgerFiles(stateDir);
  let lastSeq = options.afterSeq ?? 0;
  let segment = 0;
  let offset = 0;
  const interval = options.intervalMs ?? 250;
  while (!options.signal?.aborted) {
    const segments = listSegments(files);
    if (segments.length > 0 && !segments.includes(segment)) {
      // Our segment is gone (archived by wt clean): follow the new chain from its start.
      if (segment !== 0) lastSeq = 0;
      segment = segments[0]!;
      offset = 0;
    }
    for (const index of segments.filter((s) => s >= segment)) {
      if (index !== segment) {
        segment = index;
        offset = 0;
      }
      let bytes: Uint8Array;
      try {
        bytes = Deno.readFileSync(segmentPath(files, index));
      } catch {
        break;
      }
      if (bytes.length < offset) {
        // The ledger was cleaned (a new chain starts at seq 1) or rewritten: start over.
        offset = 0;
        lastSeq = 0;
      }
      const tail = bytes.subarray(offset);
      const lastNewline = tail.lastIndexOf(10);
      if (lastNewline < 0) continue;
      for (const line of splitSegment(index, tail.subarray(0, lastNewline + 1), offset)) {
        if (line.entry && line.entry.seq > lastSeq) {
          lastSeq = line.entry.seq;
          yield line.entry;
        }
      }
      offset += lastNewline + 1;
    }
    await delay(interval, options.signal);
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
