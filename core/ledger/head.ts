/**
 * The head file: where the chain ends (seq, hash, segment and its length) and the Merkle
 * frontier, so that appends need not read the segments. It is rewritten atomically (temporary
 * file, then rename) after each append; the segments stay the record, the head a cross-check.
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import type { LedgerFiles } from "./files.ts";

/** The head file's contents. */
export interface LedgerHead {
  version: 1;
  /** Seq of the last entry (0 when the ledger is empty). */
  seq: number;
  /** Hash of the last entry (the genesis hash when empty). */
  hash: string;
  /** Index of the segment the last entry is in. */
  segment: number;
  /** Length in bytes of that segment after the last entry. */
  segment_bytes: number;
  /** The Merkle frontier over all entries (see merkle.ts). */
  tree: { size: number; nodes: string[] };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Reads the head; undefined when there is none. Throws `ledger_corrupt` when it is unreadable. */
export function readHead(files: LedgerFiles): LedgerHead | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(files.head);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt(files, "not JSON");
  }
  const head = value as Partial<LedgerHead>;
  const ok = head !== null && typeof head === "object" && head.version === 1 &&
    Number.isSafeInteger(head.seq) && head.seq! >= 0 &&
    typeof head.hash === "string" && HEX64.test(head.hash) &&
    Number.isSafeInteger(head.segment) && head.segment! >= 1 &&
    Number.isSafeInteger(head.segment_bytes) && head.segment_bytes! >= 0 &&
    head.tree !== null && typeof head.tree === "object" && head.tree.size === head.seq &&
    Array.isArray(head.tree.nodes) &&
    head.tree.nodes.every((n) => typeof n === "string" && HEX64.test(n));
  if (!ok) throw corrupt(files, "fields are missing or malformed");
  return head as LedgerHead;
}

function corrupt(files: LedgerFiles, detail: string): WatchtowerError {
  return new WatchtowerError(
    "ledger_corrupt",
    `Cannot read ledger head ${files.head}: ${detail}; run wt verify`,
    { location: { file: files.head } },
  );
}

/** Writes the head atomically. */
export function writeHead(files: LedgerFiles, head: LedgerHead): void {
  const temp = `${files.head}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(temp, `${JSON.stringify(head)}\n`, { mode: 0o600 });
  Deno.renameSync(temp, files.head);
}
