/**
 * Python's string algorithms that JavaScript lacks or spells differently (whitespace split,
 * strip with a character set, counted replace, slice bounds), each sizing its result before
 * building it and charging the work to the budget.
 * @module
 */
import { CONDITION_LIMITS } from "./_limits.ts";
import {
  charge,
  chargeChars,
  checkListLength,
  checkStringLength,
  type Env,
  fail,
  intArg,
  norm,
  typeName,
  type Value,
  type Where,
} from "./_values.ts";

/** Python's `str.isspace()` characters. */
export function isSpaceCode(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x85) return false;
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** `strip`, `lstrip`, `rstrip`: whitespace, or any character of `chars`. */
export function strip(
  env: Env,
  s: string,
  chars: string | undefined,
  left: boolean,
  right: boolean,
  at: Where,
): string {
  chargeChars(env, s.length + (chars?.length ?? 0), at);
  const set = chars === undefined ? undefined : new Set(chars);
  const drop = (i: number) => set === undefined ? isSpaceCode(s.charCodeAt(i)) : set.has(s[i]!);
  let start = 0;
  let end = s.length;
  if (left) { while (start < end && drop(start)) start++; }
  if (right) { while (end > start && drop(end - 1)) end--; }
  return s.slice(start, end);
}

/** Counts non-overlapping occurrences of a non-empty `sub` from `from`, at most `limit`. */
function occurrences(
  env: Env,
  s: string,
  sub: string,
  from: number,
  end: number,
  limit: number,
  at: Where,
): number {
  let count = 0;
  let i = from;
  while (count < limit) {
    const j = s.indexOf(sub, i);
    if (j < 0 || j + sub.length > end) break;
    count++;
    // Each hit is a native call: charge them too, or a one-letter needle would run for free.
    if ((count & 255) === 0) charge(env, 32, at);
    i = j + sub.length;
  }
  return count;
}

/** Python's slice-bound normalisation for `start`/`end` arguments (None means the default). */
export function bounds(
  length: number,
  start: Value | undefined,
  end: Value | undefined,
  at: Where,
): [number, number] {
  let s = start === undefined || start === null ? 0 : intArg(start, "slice index", at);
  let e = end === undefined || end === null ? length : intArg(end, "slice index", at);
  if (e > length) e = length;
  else if (e < 0) e = Math.max(0, e + length);
  if (s < 0) s = Math.max(0, s + length);
  return [s, e];
}

/** `str.count(sub, start, end)`. */
export function count(
  env: Env,
  s: string,
  sub: string,
  start: number,
  end: number,
  at: Where,
): number {
  chargeChars(env, end - start, at);
  if (start > s.length || start > end) return 0;
  if (sub === "") return end - start + 1;
  return occurrences(env, s, sub, start, end, Infinity, at);
}

/** `str.replace(old, new, count)`: the result length is known before it is built. */
export function replace(
  env: Env,
  s: string,
  old: string,
  neu: string,
  limit: number,
  at: Where,
): string {
  chargeChars(env, s.length, at);
  const max = limit < 0 ? Infinity : limit;
  const n = old === ""
    ? Math.min(s.length + 1, max)
    : occurrences(env, s, old, 0, s.length, max, at);
  if (n === 0) return s;
  const length = s.length + n * (neu.length - old.length);
  checkStringLength(length, at);
  chargeChars(env, length, at);
  if (old === "") {
    const parts: string[] = [];
    for (let k = 0; k < n; k++) parts.push(neu, s[k] ?? "");
    parts.push(s.slice(n));
    return parts.join("");
  }
  if (max === Infinity) return s.split(old).join(neu); // split/join: no `$&` surprises
  const parts: string[] = [];
  let i = 0;
  for (let k = 0; k < n; k++) {
    const j = s.indexOf(old, i);
    parts.push(s.slice(i, j), neu);
    i = j + old.length;
  }
  parts.push(s.slice(i));
  return parts.join("");
}

/** Adds a split piece: each one is an allocation, so every 8 cost a step. */
function pushPiece(env: Env, parts: string[], piece: string, at: Where): void {
  checkListLength(parts.length + 1, at);
  if ((parts.length & 7) === 7) charge(env, 1, at);
  parts.push(piece);
}

/** `str.split(sep, maxsplit)`. */
export function split(
  env: Env,
  s: string,
  sep: string | null,
  maxsplit: number,
  at: Where,
): string[] {
  chargeChars(env, s.length, at);
  const max = maxsplit < 0 ? Infinity : maxsplit;
  const parts: string[] = [];
  if (sep === null) {
    let i = 0;
    for (;;) {
      while (i < s.length && isSpaceCode(s.charCodeAt(i))) i++;
      if (i >= s.length) break;
      if (parts.length >= max) {
        pushPiece(env, parts, s.slice(i), at); // the rest keeps its trailing whitespace, as in Python
        break;
      }
      let j = i;
      while (j < s.length && !isSpaceCode(s.charCodeAt(j))) j++;
      pushPiece(env, parts, s.slice(i, j), at);
      i = j;
    }
    return parts;
  }
  if (sep === "") fail(at, "empty separator");
  const n = occurrences(env, s, sep, 0, s.length, Math.min(max, CONDITION_LIMITS.listLength), at);
  checkListLength(n + 1, at);
  charge(env, n >> 4, at);
  let i = 0;
  for (let k = 0; k < n; k++) {
    const j = s.indexOf(sep, i);
    parts.push(s.slice(i, j));
    i = j + sep.length;
  }
  parts.push(s.slice(i));
  return parts;
}

/** `str.rsplit(sep, maxsplit)`: splits from the right. */
export function rsplit(
  env: Env,
  s: string,
  sep: string | null,
  maxsplit: number,
  at: Where,
): string[] {
  if (maxsplit < 0) return split(env, s, sep, maxsplit, at);
  chargeChars(env, s.length, at);
  const parts: string[] = [];
  if (sep === null) {
    let i = s.length;
    for (;;) {
      while (i > 0 && isSpaceCode(s.charCodeAt(i - 1))) i--;
      if (i <= 0) break;
      if (parts.length >= maxsplit) {
        pushPiece(env, parts, s.slice(0, i), at);
        break;
      }
      let j = i;
      while (j > 0 && !isSpaceCode(s.charCodeAt(j - 1))) j--;
      pushPiece(env, parts, s.slice(j, i), at);
      i = j;
    }
    return parts.reverse();
  }
  if (sep === "") fail(at, "empty separator");
  let end = s.length;
  while (parts.length < maxsplit && end - sep.length >= 0) {
    const j = s.lastIndexOf(sep, end - sep.length);
    if (j < 0) break;
    pushPiece(env, parts, s.slice(j + sep.length, end), at);
    end = j;
  }
  pushPiece(env, parts, s.slice(0, end), at);
  return parts.reverse();
}

/** `sep.join(items)`: every item a string; the total length is checked before joining. */
export function join(env: Env, sep: string, items: string | readonly Value[], at: Where): string {
  const n = items.length;
  let total = n > 0 ? sep.length * (n - 1) : 0;
  if (typeof items === "string") {
    total += n;
    checkStringLength(total, at);
    chargeChars(env, total, at);
    return items.split("").join(sep);
  }
  charge(env, 1 + (n >> 4), at);
  for (let i = 0; i < n; i++) {
    const item = items[i];
    if (typeof item !== "string") {
      fail(at, `join() item ${i} must be a str, not '${typeName(norm(item, at))}'`);
    }
    total += item.length;
  }
  checkStringLength(total, at);
  chargeChars(env, total, at);
  return (items as readonly string[]).join(sep);
}

/** `os.path.basename`. */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** `os.path.dirname`: trailing slashes go, except for a path of slashes only. */
export function dirname(path: string): string {
  const head = path.slice(0, path.lastIndexOf("/") + 1);
  if (head === "" || /^\/+$/.test(head)) return head;
  return head.replace(/\/+$/, "");
}
