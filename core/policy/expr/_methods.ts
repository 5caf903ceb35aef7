/**
 * The method allowlist, one table per value type. The compiler looks a method up by name in
 * these maps once; at run time it dispatches on the receiver's type with a branch, never through a
 * JavaScript property lookup, so no condition can reach a prototype or an unlisted function.
 * @module
 */
import { type Signature } from "./_signature.ts";
import { bounds, count, isSpaceCode, join, replace, rsplit, split, strip } from "./_strings.ts";
import {
  charge,
  chargeChars,
  checkListLength,
  checkStringLength,
  type Env,
  eq,
  fail,
  field,
  intArg,
  isList,
  iterable,
  type List,
  norm,
  ownKeys,
  type Rec,
  reprString,
  strArg,
  typeName,
  type Value,
  type Where,
} from "./_values.ts";
import { indexOf } from "./_operators.ts";

/** A method body: receiver, bound arguments (`undefined` = not given). */
export type MethodImpl<T> = (
  env: Env,
  self: T,
  args: readonly (Value | undefined)[],
  at: Where,
) => Value;

/** A method: its signature and body. */
export interface Method<T> {
  readonly sig: Signature;
  readonly impl: MethodImpl<T>;
}

const NO_ARGS: Signature = { params: [], required: 0 };
const SUB_RANGE: Signature = { params: ["sub", "start", "end"], required: 1 };

/** A short description of a value for messages (never the whole of a long value). */
export function preview(v: Value): string {
  if (typeof v === "string") return reprString(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === "number" || typeof v === "boolean" || v === null) {
    return v === null ? "None" : typeof v === "boolean" ? (v ? "True" : "False") : String(v);
  }
  return `a ${typeName(v)}`;
}

function affix(
  env: Env,
  s: string,
  args: readonly (Value | undefined)[],
  at: Where,
  name: "startswith" | "endswith",
): boolean {
  const arg = args[0] ?? null;
  const start = args[1];
  const end = args[2];
  if (typeof arg === "string" && start === undefined && end === undefined) {
    return name === "startswith" ? s.startsWith(arg) : s.endsWith(arg); // the common case
  }
  let options: readonly Value[];
  if (typeof arg === "string") options = [arg];
  else if (isList(arg) && arg.every((o) => typeof o === "string")) options = arg;
  else fail(at, `${name}() argument must be a str or a tuple of str, not '${typeName(arg)}'`);
  let text = s;
  if (start !== undefined || end !== undefined) {
    const [a, b] = bounds(s.length, start, end, at);
    if (a > s.length) return false;
    text = s.slice(a, Math.max(a, b));
  }
  charge(env, options.length >> 4, at);
  for (const option of options as readonly string[]) {
    if (name === "startswith" ? text.startsWith(option) : text.endsWith(option)) return true;
  }
  return false;
}

function find(
  env: Env,
  s: string,
  args: readonly (Value | undefined)[],
  at: Where,
  reverse: boolean,
): number {
  const sub = strArg(args[0] ?? null, "the substring", at);
  const [a, b] = bounds(s.length, args[1], args[2], at);
  chargeChars(env, b - a, at);
  if (a > s.length) return -1;
  if (!reverse) {
    const i = s.indexOf(sub, a);
    return i >= 0 && i + sub.length <= b ? i : -1;
  }
  if (b - sub.length < a) return -1;
  const i = s.lastIndexOf(sub, b - sub.length);
  return i >= a ? i : -1;
}

function found(i: number, at: Where): number {
  if (i < 0) fail(at, "substring not found");
  return i;
}

function test(env: Env, s: string, re: RegExp, at: Where): boolean {
  chargeChars(env, s.length, at);
  return re.test(s);
}

function convertCase(env: Env, s: string, upper: boolean, at: Where): string {
  // Case mapping can lengthen a string ('ß' -> 'SS'), at most threefold: bound the input first.
  checkStringLength(s.length, at);
  chargeChars(env, 3 * s.length, at);
  const out = upper ? s.toUpperCase() : s.toLowerCase();
  checkStringLength(out.length, at);
  return out;
}

function optionalChars(v: Value | undefined, at: Where): string | undefined {
  return v === undefined || v === null ? undefined : strArg(v, "strip() chars", at);
}

function separator(v: Value | undefined, at: Where): string | null {
  return v === undefined || v === null ? null : strArg(v, "the separator", at);
}

function partition(s: string, sepArg: Value | undefined, at: Where, reverse: boolean): Value {
  const sep = strArg(sepArg ?? null, "the separator", at);
  if (sep === "") fail(at, "empty separator");
  const i = reverse ? s.lastIndexOf(sep) : s.indexOf(sep);
  if (i < 0) return reverse ? ["", "", s] : [s, "", ""];
  return [s.slice(0, i), sep, s.slice(i + sep.length)];
}

/** Methods of `str`. */
export const STRING_METHODS: ReadonlyMap<string, Method<string>> = new Map<string, Method<string>>([
  ["startswith", {
    sig: { params: ["prefix", "start", "end"], required: 1 },
    impl: (env, s, args, at) => affix(env, s, args, at, "startswith"),
  }],
  ["endswith", {
    sig: { params: ["suffix", "start", "end"], required: 1 },
    impl: (env, s, args, at) => affix(env, s, args, at, "endswith"),
  }],
  ["count", {
    sig: SUB_RANGE,
    impl: (env, s, [sub, start, end], at) => {
      const [a, b] = bounds(s.length, start, end, at);
      return count(env, s, strArg(sub ?? null, "the substring", at), a, b, at);
    },
  }],
  ["find", { sig: SUB_RANGE, impl: (env, s, args, at) => find(env, s, args, at, false) }],
  ["rfind", { sig: SUB_RANGE, impl: (env, s, args, at) => find(env, s, args, at, true) }],
  ["index", {
    sig: SUB_RANGE,
    impl: (env, s, args, at) => found(find(env, s, args, at, false), at),
  }],
  ["rindex", {
    sig: SUB_RANGE,
    impl: (env, s, args, at) => found(find(env, s, args, at, true), at),
  }],
  ["lower", { sig: NO_ARGS, impl: (env, s, _args, at) => convertCase(env, s, false, at) }],
  ["upper", { sig: NO_ARGS, impl: (env, s, _args, at) => convertCase(env, s, true, at) }],
  ["strip", {
    sig: { params: ["chars"], required: 0 },
    impl: (env, s, [chars], at) => strip(env, s, optionalChars(chars, at), true, true, at),
  }],
  ["lstrip", {
    sig: { params: ["chars"], required: 0 },
    impl: (env, s, [chars], at) => strip(env, s, optionalChars(chars, at), true, false, at),
  }],
  ["rstrip", {
    sig: { params: ["chars"], required: 0 },
    impl: (env, s, [chars], at) => strip(env, s, optionalChars(chars, at), false, true, at),
  }],
  ["split", {
    sig: { params: ["sep", "maxsplit"], required: 0, keywords: ["sep", "maxsplit"] },
    impl: (env, s, [sep, max], at) =>
      split(env, s, separator(sep, at), max === undefined ? -1 : intArg(max, "maxsplit", at), at),
  }],
  ["rsplit", {
    sig: { params: ["sep", "maxsplit"], required: 0, keywords: ["sep", "maxsplit"] },
    impl: (env, s, [sep, max], at) =>
      rsplit(env, s, separator(sep, at), max === undefined ? -1 : intArg(max, "maxsplit", at), at),
  }],
  ["replace", {
    sig: { params: ["old", "new", "count"], required: 2, keywords: ["count"] },
    impl: (env, s, [old, neu, n], at) =>
      replace(
        env,
        s,
        strArg(old ?? null, "replace() old", at),
        strArg(neu ?? null, "replace() new", at),
        n === undefined ? -1 : intArg(n, "replace() count", at),
        at,
      ),
  }],
  ["join", {
    sig: { params: ["iterable"], required: 1 },
    impl: (env, s, [items], at) => join(env, s, iterable(env, items ?? null, at), at),
  }],
  ["partition", {
    sig: { params: ["sep"], required: 1 },
    impl: (_env, s, [sep], at) => partition(s, sep, at, false),
  }],
  ["rpartition", {
    sig: { params: ["sep"], required: 1 },
    impl: (_env, s, [sep], at) => partition(s, sep, at, true),
  }],
  ["removeprefix", {
    sig: { params: ["prefix"], required: 1 },
    impl: (_env, s, [p], at) => {
      const prefix = strArg(p ?? null, "removeprefix() prefix", at);
      return s.startsWith(prefix) ? s.slice(prefix.length) : s;
    },
  }],
  ["removesuffix", {
    sig: { params: ["suffix"], required: 1 },
    impl: (_env, s, [p], at) => {
      const suffix = strArg(p ?? null, "removesuffix() suffix", at);
      return suffix !== "" && s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s;
    },
  }],
  // Unicode classes approximate Python's (isdigit uses decimal digits only).
  ["isdigit", { sig: NO_ARGS, impl: (env, s, _a, at) => test(env, s, /^\p{Nd}+$/u, at) }],
  ["isalpha", { sig: NO_ARGS, impl: (env, s, _a, at) => test(env, s, /^\p{L}+$/u, at) }],
  ["isalnum", { sig: NO_ARGS, impl: (env, s, _a, at) => test(env, s, /^[\p{L}\p{N}]+$/u, at) }],
  ["isspace", {
    sig: NO_ARGS,
    impl: (env, s, _a, at) => {
      chargeChars(env, s.length, at);
      if (s.length === 0) return false;
      for (let i = 0; i < s.length; i++) if (!isSpaceCode(s.charCodeAt(i))) return false;
      return true;
    },
  }],
  ["islower", {
    sig: NO_ARGS,
    impl: (env, s, _a, at) => s === convertCase(env, s, false, at) && s !== s.toUpperCase(),
  }],
  ["isupper", {
    sig: NO_ARGS,
    impl: (env, s, _a, at) => s === convertCase(env, s, true, at) && s !== s.toLowerCase(),
  }],
]);

/** Methods of lists and tuples. */
export const LIST_METHODS: ReadonlyMap<string, Method<List>> = new Map<string, Method<List>>([
  ["count", {
    sig: { params: ["value"], required: 1 },
    impl: (env, list, [x = null], at) => {
      charge(env, 1 + (list.length >> 4), at);
      let n = 0;
      for (const item of list) if (item === x || eq(env, item ?? null, x, at)) n++;
      return n;
    },
  }],
  ["index", {
    sig: { params: ["value"], required: 1 },
    impl: (env, list, [x = null], at) => {
      const i = indexOf(env, list, x, at);
      if (i < 0) fail(at, `${preview(x)} is not in the list`);
      return i;
    },
  }],
]);

function keys(env: Env, rec: Rec, at: Where): string[] {
  const all = ownKeys(env, rec, at);
  checkListLength(all.length, at);
  return all;
}

/** Methods of records (Python dicts). */
export const DICT_METHODS: ReadonlyMap<string, Method<Rec>> = new Map<string, Method<Rec>>([
  ["get", {
    sig: { params: ["key", "default"], required: 1 },
    impl: (_env, rec, [key, fallback = null], at) =>
      typeof key === "string" && Object.hasOwn(rec, key) ? field(rec, key, at) : fallback,
  }],
  ["keys", { sig: NO_ARGS, impl: (env, rec, _a, at) => keys(env, rec, at) }],
  ["values", {
    sig: NO_ARGS,
    impl: (env, rec, _a, at) => keys(env, rec, at).map((k) => norm(rec[k], at)),
  }],
  ["items", {
    sig: NO_ARGS,
    impl: (env, rec, _a, at) => keys(env, rec, at).map((k) => [k, norm(rec[k], at)]),
  }],
]);
