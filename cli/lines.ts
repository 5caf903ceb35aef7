/**
 * Reads a byte stream as lines without trusting it: each line is returned as bytes, lines longer
 * than the limit are reported (and skipped to their end) instead of buffered.
 * @module
 */

/** One line of input: its bytes, or the fact that it was too long. */
export type Line = { number: number; bytes: Uint8Array } | { number: number; tooLong: number };

/**
 * Yields the lines of `stream` (without the newline; a final unterminated line counts), a chunk's
 * worth at a time so that a fast consumer pays one await per chunk, not per line.
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  maxLength: number,
): AsyncGenerator<Line[]> {
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  let skipping = 0; // bytes of an over-long line seen so far
  let number = 0;
  for await (const chunk of stream) {
    const lines: Line[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(10, start);
      const end = newline < 0 ? chunk.length : newline;
      const piece = chunk.subarray(start, end);
      if (skipping > 0 || pendingLength + piece.length > maxLength) {
        skipping += pendingLength + piece.length;
        pending = [];
        pendingLength = 0;
      } else {
        pending.push(piece.slice());
        pendingLength += piece.length;
      }
      if (newline < 0) break;
      number++;
      if (skipping > 0) {
        lines.push({ number, tooLong: skipping });
        skipping = 0;
      } else {
        lines.push({ number, bytes: concat(pending, pendingLength) });
        pending = [];
        pendingLength = 0;
      }
      start = newline + 1;
    }
    if (lines.length > 0) yield lines;
  }
  if (skipping > 0) yield [{ number: number + 1, tooLong: skipping }];
  else if (pendingLength > 0) yield [{ number: number + 1, bytes: concat(pending, pendingLength) }];
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
