/**
 * The value model conditions compute with (JSON-like, never mutated), the per-evaluation
 * environment with its step budget, and the Python semantics every operator shares: type names,
 * truthiness, equality, ordering and `str()`.
 * @module
 */
import { type ErrorLocation, WatchtowerError } from "../../errors.ts";
import { CONDITION_LIMITS } from "./_limits.ts";

/** A value a condition reads or returns: JSON-like, and never mutated by a condition. */
export type ScopeValue =
  | string
  | number
  | boolean
  | null
  | readonly ScopeValue[]
  | { readonly [k: string]: ScopeValue };

/** The root names a condition reads (keys from `CONDITION_NAMES`) and their values. */
export type Scope = Readonly<Record<string, ScopeValue>>;

/** Internal alias: every run-time value is a scope value. */
export type Value = ScopeValue;
/** A record (Python dict): a plain object whose own data properties are its fields. */
export type Rec = { readonly [k: string]: Value };
/** A sequence (Python list or tuple). */
export type List = readonly Value[];

/** Where a compiled node sits in the source, preformatted for error messages. */
export interface Where {
  /** `col 8` or `line 2, col 8`. */
  readonly label: string;
  readonly line: number | undefined;
  readonly column: number;
}

/** One evaluation's state: the scope, comprehension variable slots and the remaining budget. */
export interface Env {
  readonly scope: Scope;
  readonly slots: Value[];
  steps: number;
  readonly maxSteps: number;
}

/** A compiled node: computes its value in an environment. */
export type Fn = (env: Env) => Value;

/** Builds the error location of a node. */
export function locationOf(at: Where): ErrorLocation {
  return at.line === undefined ? { column: at.column } : { line: at.line, column: at.column };
}

/** Throws the run-time error of a condition at a node. */
export function fail(at: Where, message: string): never {
  throw new WatchtowerError(
    "condition_runtime",
    `Cannot evaluate condition: ${at.label}: ${message}`,
    { location: locationOf(at) },
  );
}

/** Spends `units` steps of the budget; fails when it runs out. */
export function charge(env: Env, units: number, at: Where): void {
  env.steps -= units;
  if (env.steps < 0) {
    fail(at, `the condition used up its budget of ${env.maxSteps} steps: it does too much work`);
  }
}

/** Spends the steps `chars` characters of string work cost (one step minimum). */
export function chargeChars(env: Env, chars: number, at: Where): void {
  charge(env, 1 + Math.floor(chars / CONDITION_LIMITS.charsPerStep), at);
}

/** Whether a value is a list. (`Array.isArray` does not narrow readonly arrays.) */
export function isList(v: Value): v is List {
  return Array.isArray(v);
}

/** Whether a value is a record. */
export function isRecord(v: Value): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Turns what a record field or list element holds into a value: `undefined` (an absent optional
 * field) reads as None; functions, symbols and bigints are not values and stop the evaluation.
 */
export function norm(v: unknown, at: Where): Value {
  if (v === undefined) return null;
  const t = typeof v;
  if (t === "function" || t === "symbol" || t === "bigint") {
    fail(at, `a field holds a ${t}, which conditions cannot use`);
  }
  return v as Value;
}

/** Reads a record's own field; anything else (absent, inherited) reads as None. */
export function field(rec: Rec, key: string, at: Where): Value {
  return Object.hasOwn(rec, key) ? norm(rec[key], at) : null;
}

/** The Python type name of a value, for messages. */
export function typeName(v: Value): string {
  if (v === null || v === undefined) return "NoneType";
  switch (typeof v) {
    case "string":
      return "str";
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(v) ? "int" : "float";
  }
  return isList(v) ? "list" : "dict";
}

/** Python truthiness: None, False, 0, '', [] and {} are false. */
export function truthy(v: Value): boolean {
  if (typeof v === "boolean") return v;
  if (v === null || v === undefined) return false;
  if (typeof v === "string") return v.length > 0;
  if (typeof v === "number") return v !== 0;
  if (isList(v)) return v.length > 0;
  for (const key in v) if (Object.hasOwn(v, key)) return true;
  return false;
}

/** The number a numeric value stands for (bools are ints, as in Python), else undefined. */
export function numeric(v: Value): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  return undefined;
}

/** A record's own enumerable keys, charged to the budget and capped as a list. */
export function ownKeys(env: Env, rec: Rec, at: Where): string[] {
  const keys = Object.keys(rec);
  charge(env, 1 + keys.length, at);
  return keys;
}

/** Python `==`: numbers by value (1 == 1.0 == True), sequences and records element by element. */
export function eq(env: Env, a: Value, b: Value, at: Where, depth = 0): boolean {
  if (a === b) return typeof a !== "number" || a === a; // NaN is never equal to itself
  const ta = typeof a;
  const tb = typeof b;
  if (ta === "number" || ta === "boolean") {
    return (tb === "number" || tb === "boolean") && numeric(a) === numeric(b);
  }
  if (ta !== "object" || tb !== "object" || a === null || b === null) return false;
  if (depth >= CONDITION_LIMITS.depth) fail(at, "values are nested too deeply to compare");
  if (isList(a)) {
    if (!isList(b) || a.length !== b.length) return false;
    charge(env, 1 + a.length, at);
    for (let i = 0; i < a.length; i++) {
      if (!eq(env, norm(a[i], at), norm(b[i], at), at, depth + 1)) return false;
    }
    return true;
  }
  if (isList(b)) return false;
  const ra = a as Rec;
  const rb = b as Rec;
  const keys = ownKeys(env, ra, at);
  if (keys.length !== ownKeys(env, rb, at).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(rb, key)) return false;
    if (!eq(env, norm(ra[key], at), norm(rb[key], at), at, depth + 1)) return false;
  }
  return true;
}

/**
 * Python ordering for `<`, `<=`, `>`, `>=`, min, max and sorted: numbers with numbers, strings
 * with strings (by UTF-16 code unit), sequences lexicographically. Anything else is a TypeError.
 */
export function compare(env: Env, a: Value, b: Value, op: string, at: Where, depth = 0): number {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) return na < nb ? -1 : na > nb ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (isList(a) && isList(b)) {
    if (depth >= CONDITION_LIMITS.depth) fail(at, "values are nested too deeply to compare");
    const n = Math.min(a.length, b.length);
    charge(env, 1 + n, at);
    for (let i = 0; i < n; i++) {
      const x = norm(a[i], at);
      const y = norm(b[i], at);
      if (!eq(env, x, y, at, depth + 1)) return compare(env, x, y, op, at, depth + 1);
    }
    return a.length - b.length;
  }
  return fail(
    at,
    `'${op}' is not supported between instances of '${typeName(a)}' and '${typeName(b)}'`,
  );
}

/**
 * Formats a number as Python prints it. Conditions keep one number type, so integral values up
 * to 2**53 print as ints (`str(2.0)` is '2', where Python says '2.0').
 */
export function formatNumber(n: number): string {
  if (Number.isSafeInteger(n)) return String(n);
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  const [mantissa = "", expText = "0"] = n.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const text = String(n);
  return text.includes(".") ? text : `${text}.0`;
}

/** Collects output pieces and fails as soon as the total would pass the string cap. */
class Builder {
  readonly parts: string[] = [];
  length = 0;
  constructor(readonly env: Env, readonly at: Where) {}
  reserve(length: number): void {
    checkStringLength(this.length + length, this.at);
  }
  push(piece: string): void {
    this.reserve(piece.length);
    this.length += piece.length;
    chargeChars(this.env, piece.length, this.at);
    this.parts.push(piece);
  }
}

/** Python `repr()` of a string: single quotes unless the text holds one and no double quote. */
export function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const code = c.charCodeAt(0);
    if (c === quote || c === "\\") out += `\\${c}`;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += c;
  }
  return out + quote;
}

function writeRepr(out: Builder, v: Value, depth: number): void {
  if (v === null || v === undefined) return out.push("None");
  if (typeof v === "boolean") return out.push(v ? "True" : "False");
  if (typeof v === "number") return out.push(formatNumber(v));
  if (typeof v === "string") {
    // The repr is at least two longer than the text: refuse before building an oversized copy.
    out.reserve(v.length + 2);
    return out.push(reprString(v));
  }
  if (depth >= CONDITION_LIMITS.depth) fail(out.at, "value is nested too deeply to print");
  if (isList(v)) {
    out.push("[");
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(", ");
      writeRepr(out, norm(v[i], out.at), depth + 1);
    }
    return out.push("]");
  }
  out.push("{");
  let first = true;
  for (const key of Object.keys(v)) {
    if (!first) out.push(", ");
    first = false;
    out.push(reprString(key));
    out.push(": ");
    writeRepr(out, norm(v[key], out.at), depth + 1);
  }
  out.push("}");
}

/** Python `str()`: strings as they are, everything else as its repr (within the string cap). */
export function pyStr(env: Env, v: Value, at: Where): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatNumber(v);
  const out = new Builder(env, at);
  writeRepr(out, v, 0);
  return out.parts.join("");
}

/** Python `repr()`, within the string cap. */
export function pyRepr(env: Env, v: Value, at: Where): string {
  if (typeof v !== "string") return pyStr(env, v, at);
  const out = new Builder(env, at);
  writeRepr(out, v, 0);
  return out.parts.join("");
}

/**
 * What a `for` or a builtin iterates: a string (its characters), a list, or a record's keys.
 * Strings iterate by UTF-16 code unit, like `len()` and indexing.
 */
export function iterable(env: Env, v: Value, at: Where): string | List {
  if (typeof v === "string" || isList(v)) return v;
  if (isRecord(v)) return ownKeys(env, v, at);
  return fail(at, `'${typeName(v)}' object is not iterable`);
}

/** Materializes an iterable as a list (strings become lists of characters). */
export function toList(env: Env, v: Value, at: Where): List {
  const items = iterable(env, v, at);
  if (typeof items !== "string") return items;
  checkListLength(items.length, at);
  charge(env, 1 + (items.length >> 4), at); // one step per 16 items, as for other list work
  return items.split("");
}

/** Fails when a list about to be built would pass the list cap. */
export function checkListLength(length: number, at: Where): void {
  if (length > CONDITION_LIMITS.listLength) {
    fail(at, `the result would have more than ${CONDITION_LIMITS.listLength} items`);
  }
}

/** Fails when a string about to be built would pass the string cap. */
export function checkStringLength(length: number, at: Where): void {
  if (length > CONDITION_LIMITS.stringLength) {
    fail(at, `the result would be longer than ${CONDITION_LIMITS.stringLength} characters`);
  }
}

/** Reads an integer argument (bools count), or fails naming what it is for. */
export function intArg(v: Value, what: string, at: Where): number {
  const n = numeric(v);
  if (n === undefined || !Number.isInteger(n)) {
    fail(at, `${what} must be an integer, not '${typeName(v)}'`);
  }
  return n;
}

/** Reads a string argument, or fails naming what it is for. */
export function strArg(v: Value, what: string, at: Where): string {
  if (typeof v !== "string") fail(at, `${what} must be a str, not '${typeName(v)}'`);
  return v;
}
