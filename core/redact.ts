/**
 * Masks secrets in program output before an agent reads it (the `redact` verdict): each secret
 * value becomes `[REDACTED:<kind>]`, and only kinds and counts leave, for the ledger.
 *
 * Bytes, not characters: the stream works on raw bytes, so input split inside a UTF-8 character
 * needs no care and invalid UTF-8 passes through unchanged (masked only inside a secret); nothing
 * throws. `redactText` runs the same scan on the UTF-8 encoding of its text, so the two agree.
 * @module
 */
import { findHits, type Hit, KINDS, MAX_SECRET_LENGTH } from "./_redact_patterns.ts";

export { MAX_SECRET_LENGTH };

/** How many secrets of each kind were masked, e.g. `{ aws_access_key: 1, jwt: 2 }`. */
export interface RedactionCounts {
  [kind: string]: number;
}

/** A text with its secrets masked, and how many of each kind. */
export interface Redacted {
  text: string;
  counts: RedactionCounts;
}

/** Every kind the redactor detects, as it appears in markers and counts. */
export const REDACTION_KINDS: readonly string[] = Object.freeze([...KINDS]);

const LATIN1 = new TextDecoder("latin1");
const UTF8 = new TextDecoder();
const ENCODER = new TextEncoder();
const MARKERS = new Map(KINDS.map((kind) => [kind, ENCODER.encode(`[REDACTED:${kind}]`)]));
const NON_ASCII = /[\u0080-\uffff]/;
const EMPTY = new Uint8Array(0);
// Original text kept before the pending part, for lookbehinds (the longest looks back 1 byte).
const CONTEXT = 64;
// An unterminated line is scanned again only after this many new bytes, so that tiny chunks of a
// long line cost linear time; the stream then holds back at most MAX_SECRET_LENGTH + SLACK bytes.
const SLACK = 4096;

/**
 * Masks secrets in one complete text.
 *
 * @example
 * ```ts
 * import { redactText } from "./redact.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const { text, counts } = redactText("password=hunter2 key AKIAIOSFODNN7EXAMPLE\n");
 * equal(text, "password=[REDACTED:password_assignment] key [REDACTED:aws_access_key]\n");
 * deepEqual(counts, { password_assignment: 1, aws_access_key: 1 });
 * const sha = "commit 9fceb02d0ae598e95dc970b74767f19372d61af8";
 * deepEqual(redactText(sha), { text: sha, counts: {} });
 * ```
 */
export function redactText(text: string): Redacted {
  const counts: RedactionCounts = {};
  if (!NON_ASCII.test(text)) {
    return { text: spliceText(text, findHits(text, 0, true).hits, counts), counts };
  }
  const bytes = ENCODER.encode(text);
  const { hits } = findHits(LATIN1.decode(bytes), 0, true);
  return { text: UTF8.decode(spliceBytes(bytes, 0, hits, counts)), counts };
}

/**
 * A streaming redactor: feed chunks of bytes (UTF-8, possibly split anywhere, even inside a
 * multi-byte character or inside a secret), get redacted bytes out; flush() at the end.
 *
 * It emits whole lines and holds back the unterminated last one; a private key block is held from
 * its BEGIN until its END line or MAX_SECRET_LENGTH bytes; a longer line goes out in pieces, cut
 * outside any secret, keeping MAX_SECRET_LENGTH bytes back (4 KiB more between scans when the
 * chunks are small, plus a secret the cut would split). Output equals `redactText` on the whole.
 *
 * @example
 * ```ts
 * import { StreamRedactor } from "./redact.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const redactor = new StreamRedactor();
 * const bytes = new TextEncoder().encode("id AKIAIOSFODNN7EXAMPLE\nok\n");
 * const first = redactor.push(bytes.subarray(0, 9)); // "id AKIAIO"
 * equal(first.length, 0); // the key's line is not complete yet
 * const rest = [redactor.push(bytes.subarray(9)), redactor.flush()];
 * const text = rest.map((b) => new TextDecoder().decode(b)).join("");
 * equal(text, "id [REDACTED:aws_access_key]\nok\n");
 * deepEqual(redactor.counts, { aws_access_key: 1 });
 * ```
 */
export class StreamRedactor {
  #bytes = new ByteQueue();
  /** The pending bytes as a byte string (one unit per byte). */
  #text = "";
  #context = "";
  #counts: RedactionCounts = {};
  /** While a private key block is undecided: the pending length at which it will be. */
  #waitFor = -1;

  /** Masked so far, by kind (emitted output only). */
  get counts(): RedactionCounts {
    return { ...this.#counts };
  }

  /** Takes the next chunk; returns what can be emitted safely (often empty). */
  push(chunk: Uint8Array): Uint8Array {
    if (chunk.length === 0) return EMPTY;
    const piece = LATIN1.decode(chunk);
    this.#bytes.push(chunk);
    this.#text += piece;
    return this.#due(piece) ? this.#drain(false) : EMPTY;
  }

  /** Ends the input: returns the rest, and leaves the redactor ready for a new stream. */
  flush(): Uint8Array {
    const out = this.#drain(true);
    this.#context = "";
    this.#waitFor = -1;
    return out;
  }

  /** Whether the new piece can let anything out (a cheap test before a scan). */
  #due(piece: string): boolean {
    if (this.#waitFor >= 0) {
      return this.#text.length >= this.#waitFor ||
        this.#text.slice(-(piece.length + 8)).includes("-----END");
    }
    return piece.includes("\n") || this.#text.length > MAX_SECRET_LENGTH + SLACK;
  }

  #drain(final: boolean): Uint8Array {
    const s = this.#context + this.#text;
    const from = this.#context.length;
    const { hits, pending } = findHits(s, from, final);
    let cut = s.length;
    if (!final) {
      cut = Math.max(from, s.lastIndexOf("\n") + 1);
      if (s.length - cut > MAX_SECRET_LENGTH) cut = s.length - MAX_SECRET_LENGTH;
      if (pending !== undefined) cut = Math.min(cut, pending);
      cut = safeCut(hits, cut, from);
    }
    this.#waitFor = pending === undefined ? -1 : pending - cut + MAX_SECRET_LENGTH;
    if (cut === from) return EMPTY;
    const out = spliceBytes(this.#bytes.take(cut - from), from, hits, this.#counts);
    this.#text = s.slice(cut);
    this.#context = s.slice(Math.max(0, cut - CONTEXT), cut);
    return out;
  }
}

/** Pending bytes in one growing buffer: push copies in, take copies the front out. */
class ByteQueue {
  #buffer = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;

  push(chunk: Uint8Array): void {
    if (this.#end + chunk.length > this.#buffer.length) {
      const length = this.#end - this.#start;
      const target = length + chunk.length > this.#buffer.length / 2
        ? new Uint8Array(Math.max(2 * this.#buffer.length, 2 * (length + chunk.length)))
        : this.#buffer;
      target.set(this.#buffer.subarray(this.#start, this.#end)); // safe when target is the same
      this.#buffer = target;
      this.#start = 0;
      this.#end = length;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  take(n: number): Uint8Array {
    const head = this.#buffer.slice(this.#start, this.#start + n);
    this.#start += n;
    return head;
  }
}

/** Moves `cut` left until no match straddles it (a secret is emitted whole or not at all). */
function safeCut(hits: readonly Hit[], cut: number, from: number): number {
  for (let moved = true; moved && cut > from;) {
    moved = false;
    for (const hit of hits) {
      if (hit.matchStart < cut && cut < Math.max(hit.end, hit.matchEnd)) {
        cut = hit.matchStart;
        moved = true;
      }
    }
  }
  return Math.max(cut, from);
}

function spliceText(s: string, hits: readonly Hit[], counts: RedactionCounts): string {
  if (hits.length === 0) return s;
  const parts: string[] = [];
  let at = 0;
  for (const hit of hits) {
    parts.push(s.slice(at, hit.start), `[REDACTED:${hit.kind}]`);
    counts[hit.kind] = (counts[hit.kind] ?? 0) + 1;
    at = hit.end;
  }
  parts.push(s.slice(at));
  return parts.join("");
}

/** `bytes` holds positions `offset` onwards; hits past its end stay pending and are skipped. */
function spliceBytes(
  bytes: Uint8Array,
  offset: number,
  hits: readonly Hit[],
  counts: RedactionCounts,
): Uint8Array {
  const limit = offset + bytes.length;
  const taken = hits.filter((hit) => hit.start >= offset && hit.end <= limit);
  if (taken.length === 0) return bytes;
  let size = bytes.length;
  for (const hit of taken) size += MARKERS.get(hit.kind)!.length - (hit.end - hit.start);
  const out = new Uint8Array(size);
  let at = offset;
  let written = 0;
  for (const hit of taken) {
    const marker = MARKERS.get(hit.kind)!;
    out.set(bytes.subarray(at - offset, hit.start - offset), written);
    written += hit.start - at;
    out.set(marker, written);
    written += marker.length;
    at = hit.end;
    counts[hit.kind] = (counts[hit.kind] ?? 0) + 1;
  }
  out.set(bytes.subarray(at - offset), written);
  return out;
}
