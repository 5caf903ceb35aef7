/**
 * Positions in a condition's source: 0-based offsets inside the compiler, 1-based line and column
 * in messages (the line only when the condition spans several lines).
 * @module
 */
import { WatchtowerError } from "../../errors.ts";
import { locationOf, type Where } from "./_values.ts";

/** Maps source offsets to lines and columns. */
export class SourceText {
  readonly #lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.#lineStarts.push(i + 1);
    }
  }

  /** The position of an offset, formatted for messages. */
  where(pos: number): Where {
    const starts = this.#lineStarts;
    if (starts.length === 1) return { label: `col ${pos + 1}`, line: undefined, column: pos + 1 };
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    const line = lo + 1;
    const column = pos - starts[lo]! + 1;
    return { label: `line ${line}, col ${column}`, line, column };
  }

  /** A compile error at an offset. */
  error(pos: number, message: string): WatchtowerError {
    const at = this.where(pos);
    return new WatchtowerError(
      "condition_syntax",
      `Cannot parse condition: ${at.label}: ${message}`,
      {
        location: locationOf(at),
      },
    );
  }
}
