/**
 * Binary and unary operators with Python semantics, chosen once per operator at compile time.
 * Numbers stay finite and integers stay within ±2**53; results are sized before they are built.
 * @module
 */
import {
  charge,
  chargeChars,
  checkListLength,
  checkStringLength,
  compare,
  type Env,
  eq,
  fail,
  isList,
  isRecord,
  type List,
  numeric,
  typeName,
  type Value,
  type Where,
} from "./_values.ts";

/** An arithmetic operator: `(env, left, right, at) => result`. */
export type Arithmetic = (env: Env, a: Value, b: Value, at: Where) => Value;
/** A comparison operator: `(env, left, right, at) => boolean`. */
export type Comparison = (env: Env, a: Value, b: Value, at: Where) => boolean;

function unsupported(op: string, a: Value, b: Value, at: Where, hint = ""): never {
  return fail(
    at,
    `unsupported operand types for ${op}: '${typeName(a)}' and '${typeName(b)}'${hint}`,
  );
}

/** Checks a numeric result: finite, and an int result of ints within ±2**53. */
export function checkNumber(result: number, a: number, b: number, at: Where): number {
  if (!Number.isFinite(result)) fail(at, "numeric result is out of range");
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b) && !Number.isSafeInteger(result)) {
    if (Number.isInteger(result)) fail(at, "integer result is beyond the supported ±2**53");
  }
  return result === 0 ? 0 : result; // no -0: Python ints have none
}

function numbers(op: string, a: Value, b: Value, at: Where): [number, number] {
  const x = numeric(a);
  const y = numeric(b);
  if (x === undefined || y === undefined) {
    const hint = op === "*" && (typeof a === "string" || typeof b === "string" || isList(a))
      ? " (repetition is not supported)"
      : op === "%" && typeof a === "string"
      ? " (%-formatting is not supported)"
      : "";
    unsupported(op, a, b, at, hint);
  }
  return [x, y];
}

function nonZero(y: number, at: Where): void {
  if (y === 0) fail(at, "division by zero");
}

const add: Arithmetic = (env, a, b, at) => {
  if (typeof a === "string" && typeof b === "string") {
    checkStringLength(a.length + b.length, at);
    chargeChars(env, a.length + b.length, at);
    return a + b;
  }
  if (isList(a) && isList(b)) {
    checkListLength(a.length + b.length, at);
    charge(env, 1 + a.length + b.length, at);
    return [...a, ...b];
  }
  const [x, y] = numbers("+", a, b, at);
  return checkNumber(x + y, x, y, at);
};

/** Python floor division and modulo: the remainder takes the divisor's sign. */
function modulo(x: number, y: number): number {
  const r = x % y;
  return r !== 0 && (r < 0) !== (y < 0) ? r + y : r;
}

/** The arithmetic operators by spelling. */
export const ARITHMETIC: ReadonlyMap<string, Arithmetic> = new Map<string, Arithmetic>([
  ["+", add],
  ["-", (_env, a, b, at) => {
    const [x, y] = numbers("-", a, b, at);
    return checkNumber(x - y, x, y, at);
  }],
  ["*", (_env, a, b, at) => {
    const [x, y] = numbers("*", a, b, at);
    return checkNumber(x * y, x, y, at);
  }],
  ["/", (_env, a, b, at) => {
    const [x, y] = numbers("/", a, b, at);
    nonZero(y, at);
    return checkNumber(x / y, 0.5, 0.5, at); // true division yields a float
  }],
  ["//", (_env, a, b, at) => {
    const [x, y] = numbers("//", a, b, at);
    nonZero(y, at);
    return checkNumber(Math.floor(x / y), x, y, at);
  }],
  ["%", (_env, a, b, at) => {
    const [x, y] = numbers("%", a, b, at);
    nonZero(y, at);
    return checkNumber(modulo(x, y), x, y, at);
  }],
]);

/** Unary minus and plus. */
export function negate(v: Value, op: "-" | "+", at: Where): number {
  const n = numeric(v);
  if (n === undefined) fail(at, `bad operand type for unary ${op}: '${typeName(v)}'`);
  return op === "-" && n !== 0 ? -n : n;
}

/** `item in container`: substring, membership, or record key. */
export function contains(env: Env, container: Value, item: Value, at: Where): boolean {
  if (typeof container === "string") {
    if (typeof item !== "string") {
      fail(at, `'in <string>' requires a string as left operand, not '${typeName(item)}'`);
    }
    chargeChars(env, container.length, at);
    return container.includes(item);
  }
  if (isList(container)) return indexOf(env, container, item, at) >= 0;
  if (isRecord(container)) return typeof item === "string" && Object.hasOwn(container, item);
  return fail(at, `argument of type '${typeName(container)}' is not iterable`);
}

/** Index of the first element equal to `item`, or -1. */
export function indexOf(env: Env, list: List, item: Value, at: Where): number {
  charge(env, 1 + (list.length >> 4), at);
  for (let i = 0; i < list.length; i++) {
    const element = list[i];
    // Fast path for the common string/number case before the general equality.
    if (element === item || eq(env, element ?? null, item, at)) return i;
  }
  return -1;
}

/** The comparison operators by spelling. */
export const COMPARISONS: ReadonlyMap<string, Comparison> = new Map<string, Comparison>([
  ["==", (env, a, b, at) => eq(env, a, b, at)],
  ["!=", (env, a, b, at) => !eq(env, a, b, at)],
  ["<", (env, a, b, at) => compare(env, a, b, "<", at) < 0],
  ["<=", (env, a, b, at) => compare(env, a, b, "<=", at) <= 0],
  [">", (env, a, b, at) => compare(env, a, b, ">", at) > 0],
  [">=", (env, a, b, at) => compare(env, a, b, ">=", at) >= 0],
  ["in", (env, a, b, at) => contains(env, b, a, at)],
  ["not in", (env, a, b, at) => !contains(env, b, a, at)],
  // Identity: the same singleton (None, True, False) or the same value object.
  ["is", (_env, a, b) => a === b],
  ["is not", (_env, a, b) => a !== b],
]);
