/**
 * The builtin functions conditions may call, as a name-to-function map the compiler consults
 * once. Pattern builtins (glob, fnmatch, regex) and the short-circuiting forms of any/all are
 * compiled specially in `_compile.ts`; this table holds the plain ones.
 * @module
 */
import type { Signature } from "./_signature.ts";
import { basename, dirname, isSpaceCode } from "./_strings.ts";
import { checkNumber } from "./_operators.ts";
import {
  charge,
  compare,
  type Env,
  fail,
  intArg,
  isList,
  isRecord,
  iterable,
  type List,
  numeric,
  pyStr,
  strArg,
  toList,
  truthy,
  typeName,
  type Value,
  type Where,
} from "./_values.ts";
import { preview } from "./_methods.ts";

/** A builtin body: bound arguments (`undefined` = not given). */
export type BuiltinImpl = (env: Env, args: readonly (Value | undefined)[], at: Where) => Value;

/** A builtin: its signature and body. */
export interface Builtin {
  readonly sig: Signature;
  readonly impl: BuiltinImpl;
}

function one(param: string): Signature {
  return { params: [param], required: 1 };
}

function optional(param: string): Signature {
  return { params: [param], required: 0 };
}

function pyTrim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpaceCode(s.charCodeAt(a))) a++;
  while (b > a && isSpaceCode(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

function parseInt_(text: string, base: number, at: Where): number {
  const bad = () => fail(at, `invalid literal for int() with base ${base}: ${preview(text)}`);
  let s = pyTrim(text);
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    sign = s[0] === "-" ? -1 : 1;
    s = s.slice(1);
  }
  const prefix = s.slice(0, 2).toLowerCase();
  if (
    (base === 16 && prefix === "0x") || (base === 8 && prefix === "0o") ||
    (base === 2 && prefix === "0b")
  ) {
    s = s.slice(2).replace(/^_/, "");
  }
  if (s === "" || s.startsWith("_") || s.endsWith("_") || s.includes("__")) bad();
  let value = 0;
  for (const c of s) {
    if (c === "_") continue;
    const digit = parseInt(c, 36);
    if (Number.isNaN(digit) || digit >= base) bad();
    value = value * base + digit;
    if (!Number.isSafeInteger(value)) fail(at, "int() result is beyond the supported ±2**53");
  }
  return sign * value || 0;
}

function toInt(v: Value, base: Value | undefined, at: Where): number {
  if (base !== undefined) {
    const b = intArg(base, "int() base", at);
    if (b < 2 || b > 36) fail(at, "int() base must be between 2 and 36");
    if (typeof v !== "string") fail(at, "int() can't convert a non-string with an explicit base");
    return parseInt_(v, b, at);
  }
  if (typeof v === "string") return parseInt_(v, 10, at);
  const n = numeric(v);
  if (n === undefined) {
    fail(at, `int() argument must be a string or a number, not '${typeName(v)}'`);
  }
  const truncated = Math.trunc(n);
  if (!Number.isSafeInteger(truncated)) fail(at, "int() result is beyond the supported ±2**53");
  return truncated || 0;
}

const FLOAT_TEXT =
  /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;

function toFloat(v: Value, at: Where): number {
  if (typeof v === "string") {
    const s = pyTrim(v);
    if (/^[+-]?(inf|infinity|nan)$/i.test(s)) {
      fail(at, "float() of inf or nan is not supported: conditions use finite numbers only");
    }
    if (!FLOAT_TEXT.test(s)) fail(at, `could not convert string to float: ${preview(v)}`);
    const n = Number(s.replaceAll("_", ""));
    if (!Number.isFinite(n)) fail(at, "float() result is out of range");
    return n;
  }
  const n = numeric(v);
  if (n === undefined) {
    fail(at, `float() argument must be a string or a number, not '${typeName(v)}'`);
  }
  return n;
}

/** min() and max(): one iterable, or several arguments; `default` for an empty iterable. */
function extreme(env: Env, args: readonly (Value | undefined)[], at: Where, name: string): Value {
  const fallback = args[args.length - 1]; // the keyword-only `default`
  const positional = args.slice(0, -1) as Value[];
  let items: string | List;
  if (positional.length === 1) {
    items = iterable(env, positional[0]!, at);
  } else {
    if (fallback !== undefined) {
      fail(at, `${name}() cannot take a default with several positional arguments`);
    }
    items = positional;
  }
  if (items.length === 0) {
    if (fallback !== undefined) return fallback;
    fail(at, `${name}() arg is an empty sequence`);
  }
  charge(env, 1 + items.length, at);
  let best: Value = items[0] ?? null;
  const sign = name === "max" ? 1 : -1;
  for (let i = 1; i < items.length; i++) {
    const item = items[i] ?? null;
    if (sign * compare(env, item, best, name === "max" ? ">" : "<", at) > 0) best = item;
  }
  return best;
}

function sum(env: Env, [items, start]: readonly (Value | undefined)[], at: Where): number {
  if (typeof start === "string") fail(at, "sum() can't sum strings: use ''.join(items)");
  let total = start === undefined ? 0 : numeric(start);
  if (total === undefined) fail(at, `sum() start must be a number, not '${typeName(start!)}'`);
  const list = iterable(env, items ?? null, at);
  charge(env, 1 + list.length, at);
  for (let i = 0; i < list.length; i++) {
    const item = list[i] ?? null;
    const n = numeric(item);
    if (n === undefined) fail(at, `sum() can only add numbers, not '${typeName(item)}'`);
    total = checkNumber(total + n, total, n, at);
  }
  return total;
}

function sorted(env: Env, [items, reverse]: readonly (Value | undefined)[], at: Where): List {
  const list = [...toList(env, items ?? null, at)];
  const n = list.length;
  charge(env, 1 + n * Math.ceil(Math.log2(n + 1)), at);
  const sign = reverse !== undefined && truthy(reverse) ? -1 : 1;
  // A stable sort with a flipped comparison keeps equal items in order, as Python's reverse does.
  return list.sort((a, b) => sign * compare(env, a ?? null, b ?? null, "<", at));
}

function len(env: Env, v: Value, at: Where): number {
  if (typeof v === "string" || isList(v)) return v.length;
  if (isRecord(v)) return iterable(env, v, at).length;
  return fail(at, `object of type '${typeName(v)}' has no len()`);
}

function truthOfAll(env: Env, v: Value, at: Where, want: boolean): boolean {
  const items = iterable(env, v, at);
  for (let i = 0; i < items.length; i++) {
    charge(env, 1, at);
    if (truthy(items[i] ?? null) === want) return want;
  }
  return !want;
}

function path(v: Value | undefined, name: string, at: Where): string {
  return strArg(v ?? null, `${name}() path`, at);
}

/** The plain builtins by name. */
export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ["len", { sig: one("obj"), impl: (env, [v = null], at) => len(env, v, at) }],
  ["any", { sig: one("iterable"), impl: (env, [v = null], at) => truthOfAll(env, v, at, true) }],
  ["all", { sig: one("iterable"), impl: (env, [v = null], at) => truthOfAll(env, v, at, false) }],
  ["min", {
    sig: { params: ["iterable"], required: 1, rest: true, keywordOnly: ["default"] },
    impl: (env, args, at) => extreme(env, args, at, "min"),
  }],
  ["max", {
    sig: { params: ["iterable"], required: 1, rest: true, keywordOnly: ["default"] },
    impl: (env, args, at) => extreme(env, args, at, "max"),
  }],
  ["sum", { sig: { params: ["iterable", "start"], required: 1, keywords: ["start"] }, impl: sum }],
  ["sorted", {
    sig: { params: ["iterable"], required: 1, keywordOnly: ["reverse"] },
    impl: sorted,
  }],
  ["list", {
    sig: optional("iterable"),
    impl: (env, [v], at) => (v === undefined ? [] : toList(env, v, at)),
  }],
  ["tuple", {
    sig: optional("iterable"),
    impl: (env, [v], at) => (v === undefined ? [] : toList(env, v, at)),
  }],
  ["abs", {
    sig: one("x"),
    impl: (_env, [v = null], at) => {
      const n = numeric(v);
      if (n === undefined) fail(at, `bad operand type for abs(): '${typeName(v)}'`);
      return Math.abs(n);
    },
  }],
  ["bool", { sig: optional("x"), impl: (_env, [v = null]) => truthy(v) }],
  ["str", {
    sig: optional("object"),
    impl: (env, [v], at) => (v === undefined ? "" : pyStr(env, v, at)),
  }],
  ["int", {
    sig: { params: ["x", "base"], required: 0, keywords: ["base"] },
    impl: (_env, [v, base], at) => (v === undefined ? 0 : toInt(v, base, at)),
  }],
  ["float", {
    sig: optional("x"),
    impl: (_env, [v], at) => (v === undefined ? 0 : toFloat(v, at)),
  }],
  ["basename", { sig: one("path"), impl: (_env, [p], at) => basename(path(p, "basename", at)) }],
  ["dirname", { sig: one("path"), impl: (_env, [p], at) => dirname(path(p, "dirname", at)) }],
]);
