/**
 * The condition lexer: Python's token rules for the subset conditions use. Everything outside the
 * subset (walrus, f-strings, bytes, braces, bitwise operators) is refused here with a message that
 * names it, so policy authors learn what is missing instead of seeing a generic syntax error.
 * @module
 */
import { CONDITION_LIMITS } from "./_limits.ts";
import type { SourceText } from "./_source.ts";

/** Token kinds. Keywords are names; the parser tells them apart. */
export type TokenKind = "name" | "number" | "string" | "op" | "end";

/** One token: `text` is the source spelling, `value` the decoded literal (numbers, strings). */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly value: string | number;
  /** 0-based offset of the token's first character. */
  readonly pos: number;
}

const OPERATORS = [
  "**",
  "//",
  "==",
  "!=",
  "<=",
  ">=",
  "(",
  ")",
  "[",
  "]",
  ",",
  ".",
  ":",
  "=",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
];

/** Operators Python has and conditions do not, with the reason given to the author. */
const REFUSED: ReadonlyArray<readonly [string, string]> = [
  [":=", "assignment expressions (':=') are not supported"],
  ["<<", "operator '<<' is not supported"],
  [">>", "operator '>>' is not supported"],
  ["->", "'->' is not allowed in a condition"],
  ["<>", "operator '<>' is not supported: use '!='"],
  ["{", "dict and set displays ('{') are not supported"],
  ["}", "dict and set displays ('}') are not supported"],
  ["|", "operator '|' is not supported: use 'or'"],
  ["&", "operator '&' is not supported: use 'and'"],
  ["^", "operator '^' is not supported"],
  ["~", "operator '~' is not supported: use 'not'"],
  ["@", "operator '@' is not supported"],
  [";", "';' is not allowed: a condition is a single expression"],
  ["!", "'!' is not an operator: use 'not' or '!='"],
];

const HEX = /0[xX](?:_?[0-9a-fA-F])+/y;
const OCT = /0[oO](?:_?[0-7])+/y;
const BIN = /0[bB](?:_?[01])+/y;
const DEC = /(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const STRING_PREFIX = /([A-Za-z]{1,2})(?=['"])/y;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

function isNameChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

/** Splits a condition into tokens, ending with an `end` token. Throws condition_syntax. */
export function tokenize(src: SourceText): Token[] {
  const text = src.text;
  const tokens: Token[] = [];
  const push = (token: Token) => {
    if (tokens.length >= CONDITION_LIMITS.tokens) {
      throw src.error(token.pos, `the condition has more than ${CONDITION_LIMITS.tokens} tokens`);
    }
    tokens.push(token);
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (c === "\\" && (text[i + 1] === "\n" || text.startsWith("\r\n", i + 1))) {
      i += text[i + 1] === "\n" ? 2 : 3; // explicit line joining, as in Python
      continue;
    }
    if (isDigit(c) || (c === "." && isDigit(text[i + 1]))) {
      const token = readNumber(src, i);
      push(token);
      i += token.text.length;
      continue;
    }
    if (c === "'" || c === '"') {
      const token = readString(src, i, i, false);
      push(token);
      i += token.text.length;
      continue;
    }
    NAME.lastIndex = i;
    if (NAME.test(text)) {
      STRING_PREFIX.lastIndex = i;
      const prefix = STRING_PREFIX.exec(text)?.[1];
      if (prefix !== undefined) {
        const lower = prefix.toLowerCase();
        if (lower.includes("f")) throw src.error(i, "f-strings are not supported");
        if (lower.includes("b")) throw src.error(i, "bytes literals are not supported");
        if (lower === "r" || lower === "u") {
          const token = readString(src, i, i + 1, lower === "r");
          push(token);
          i += token.text.length;
          continue;
        }
      }
      const name = text.slice(i, NAME.lastIndex);
      push({ kind: "name", text: name, value: name, pos: i });
      i = NAME.lastIndex;
      continue;
    }
    // Longest match first: ':=' before ':', '!=' before '!'.
    const refusedPair = REFUSED.find(([op]) => op.length === 2 && text.startsWith(op, i));
    if (refusedPair) throw src.error(i, refusedPair[1]);
    const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
    if (op === undefined) {
      const refused = REFUSED.find(([bad]) => text.startsWith(bad, i));
      if (refused) throw src.error(i, refused[1]);
      throw src.error(i, `unexpected character ${describeChar(text, i)}`);
    }
    push({ kind: "op", text: op, value: op, pos: i });
    i += op.length;
  }
  push({ kind: "end", text: "", value: "", pos: text.length });
  return tokens;
}

function describeChar(text: string, i: number): string {
  const code = text.codePointAt(i)!;
  const c = String.fromCodePoint(code);
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return code < 0x20 || code === 0x7f ? hex : `'${c}' (${hex})`;
}

function readNumber(src: SourceText, start: number): Token {
  const text = src.text;
  let literal: string | undefined;
  let radix = 10;
  for (const [re, base] of [[HEX, 16], [OCT, 8], [BIN, 2]] as const) {
    re.lastIndex = start;
    if (re.test(text)) {
      literal = text.slice(start, re.lastIndex);
      radix = base;
      break;
    }
  }
  if (literal === undefined) {
    DEC.lastIndex = start;
    DEC.test(text);
    literal = text.slice(start, DEC.lastIndex);
  }
  const next = text[start + literal.length];
  if (next === "j" || next === "J") {
    throw src.error(start, "complex numbers are not supported");
  }
  if (isNameChar(next)) throw src.error(start, `invalid number literal '${literal}${next}'`);
  const digits = literal.replaceAll("_", "");
  let value: number;
  if (radix !== 10) {
    value = parseInt(digits.slice(2), radix);
  } else {
    if (/^0+[0-9]/.test(digits) && !/[.eE]/.test(digits) && /[1-9]/.test(digits)) {
      throw src.error(start, "leading zeros in decimal integer literals are not permitted");
    }
    value = Number(digits);
  }
  const isInteger = radix !== 10 || !/[.eE]/.test(digits);
  if (isInteger && !Number.isSafeInteger(value)) {
    throw src.error(start, "integer literal is beyond the supported range of ±2**53");
  }
  if (!Number.isFinite(value)) throw src.error(start, "number literal is too large");
  return { kind: "number", text: literal, value, pos: start };
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

/** Reads a string literal whose quote starts at `quotePos` (after any prefix at `start`). */
function readString(src: SourceText, start: number, quotePos: number, raw: boolean): Token {
  const text = src.text;
  const quote = text[quotePos]!;
  const triple = text.startsWith(quote.repeat(3), quotePos);
  const close = triple ? quote.repeat(3) : quote;
  let i = quotePos + close.length;
  let value = "";
  for (;;) {
    if (i >= text.length) throw src.error(start, "unterminated string");
    const c = text[i]!;
    if (text.startsWith(close, i)) {
      i += close.length;
      break;
    }
    if (!triple && (c === "\n" || c === "\r")) throw src.error(start, "unterminated string");
    if (c !== "\\") {
      value += c;
      i++;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) throw src.error(start, "unterminated string");
    if (raw) {
      // A raw string keeps the backslash; the escaped character cannot end the string.
      value += c + e;
      i += 2;
      continue;
    }
    const escaped = readEscape(src, i);
    value += escaped.value;
    i = escaped.end;
  }
  return { kind: "string", text: text.slice(start, i), value, pos: start };
}

function readEscape(src: SourceText, at: number): { value: string; end: number } {
  const text = src.text;
  const e = text[at + 1]!;
  if (e === "\n") return { value: "", end: at + 2 };
  if (e === "\r") return { value: "", end: text[at + 2] === "\n" ? at + 3 : at + 2 };
  if (Object.hasOwn(SIMPLE_ESCAPES, e)) return { value: SIMPLE_ESCAPES[e]!, end: at + 2 };
  if (e >= "0" && e <= "7") {
    const digits = /^[0-7]{1,3}/.exec(text.slice(at + 1, at + 4))![0];
    return { value: String.fromCharCode(parseInt(digits, 8)), end: at + 1 + digits.length };
  }
  const width = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
  if (width > 0) {
    const digits = text.slice(at + 2, at + 2 + width);
    if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits)) {
      throw src.error(at, `truncated \\${e} escape: expected ${width} hex digits`);
    }
    const code = parseInt(digits, 16);
    if (code > 0x10ffff) throw src.error(at, `\\${e}${digits} is not a valid character`);
    return { value: String.fromCodePoint(code), end: at + 2 + width };
  }
  if (e === "N") throw src.error(at, "named escapes (\\N{...}) are not supported");
  // Python keeps unknown escapes as written (handy for regex patterns such as '\d').
  return { value: `\\${e}`, end: at + 2 };
}
