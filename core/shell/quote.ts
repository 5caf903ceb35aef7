/**
 * Quoting an argv as one shell line (`wt exec` decides an argv as the line that quotes it).
 * Apart from the analysis, so that quoting loads nothing else.
 * @module
 */

const SAFE_WORD = /^[A-Za-z0-9_@%+,.\/:=-]+$/;
const RESERVED = new Set([
  "if",
  "then",
  "elif",
  "else",
  "fi",
  "do",
  "done",
  "case",
  "esac",
  "while",
  "until",
  "for",
  "select",
  "function",
  "time",
  "coproc",
  "in",
  "{",
  "}",
  "!",
  "[[",
  "]]",
]);

/**
 * Quotes argv as one safe POSIX shell line: words of safe characters stay bare, others are
 * single-quoted (`'` written `'\''`); the first word is quoted when the shell would read it as
 * a reserved word or an assignment.
 *
 * @example
 * ```ts
 * import { quoteArgv } from "./quote.ts";
 * import { equal } from "node:assert/strict";
 * equal(quoteArgv(["rm", "-rf", "my dir", "it's"]), `rm -rf 'my dir' 'it'\\''s'`);
 * equal(quoteArgv(["A=1", "x=y", ""]), `'A=1' x=y ''`);
 * ```
 */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map((word, i) => {
    const bare = SAFE_WORD.test(word) && !(i === 0 && (word.includes("=") || RESERVED.has(word)));
    return bare ? word : `'${word.replaceAll("'", `'\\''`)}'`;
  }).join(" ");
}
