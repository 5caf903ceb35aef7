/**
 * "Did you mean": the closest known word to a mistyped one, by edit distance.
 * @module
 */

/**
 * The candidate closest to `word`, if close enough to be a likely typo.
 *
 * @example
 * ```ts
 * import { closest } from "./suggest.ts";
 * import { equal } from "node:assert/strict";
 * equal(closest("priorty", ["priority", "name"]), "priority");
 * equal(closest("zzzz", ["priority", "name"]), undefined);
 * ```
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance (Infinity when the lengths differ by more than 8). */
export function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return Infinity;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
