/**
 * Compiles a condition's tree once into nested closures, so evaluating walks no tree and looks
 * nothing up by name: root names, methods, builtins, operators and literal patterns are all
 * resolved here, and every failure the compiler can see is a compile error with its column.
 * @module
 */
import type { Attr, Call, Clause, Comp, Node } from "./_ast.ts";
import { BUILTINS } from "./_builtins.ts";
import {
  DICT_METHODS,
  LIST_METHODS,
  type Method,
  type MethodImpl,
  STRING_METHODS,
} from "./_methods.ts";
import { ARITHMETIC, type Comparison, COMPARISONS, negate } from "./_operators.ts";
import {
  compileMatcher,
  matchCost,
  MatcherCache,
  PATTERN_KINDS,
  PatternError,
  type PatternKind,
  REGEX_ENGINE_MISSING,
} from "./_patterns.ts";
import { arrange, bind, type Binding, isDirect } from "./_signature.ts";
import type { SourceText } from "./_source.ts";
import {
  charge,
  chargeChars,
  checkListLength,
  type Env,
  fail,
  field,
  type Fn,
  intArg,
  isList,
  isRecord,
  iterable,
  type List,
  norm,
  type Rec,
  truthy,
  typeName,
  type Value,
  type Where,
} from "./_values.ts";
import type { RegexCompiler } from "./regex.ts";

/** The root names a condition may read. */
export const ROOT_NAMES: readonly string[] = Object.freeze([
  "identity",
  "intent",
  "target",
  "context",
  "zone",
  "risk",
  "annotations",
]);
const ROOTS = new Set(ROOT_NAMES);

/** Attribute and key names no condition may spell: they lead to JavaScript internals. */
const FORBIDDEN = new Set(["constructor", "prototype", "__proto__"]);

function forbidden(name: string): boolean {
  return name.startsWith("_") || name.includes("__") || FORBIDDEN.has(name);
}

/** The result of compiling: the entry closure, the roots it reads and its variable slots. */
export interface Program {
  readonly fn: Fn;
  readonly names: ReadonlySet<string>;
  readonly slots: number;
}

/** Compiles a parsed condition. Throws condition_syntax. */
export function compileTree(
  src: SourceText,
  root: Node,
  regex: RegexCompiler | undefined,
): Program {
  const compiler = new Compiler(src, regex);
  const fn = compiler.compile(root);
  return { fn, names: compiler.names, slots: compiler.slotCount };
}

/** Runs comprehension loops; the sink gets each element and returns true to stop early. */
type Loop = (env: Env, sink: Sink) => boolean;
type Sink = (env: Env, value: Value) => boolean;

const anySink: Sink = (_env, value) => truthy(value);
const allSink: Sink = (_env, value) => !truthy(value);

class Compiler {
  readonly names = new Set<string>();
  slotCount = 0;
  readonly #scopes: Map<string, number>[] = [];

  constructor(readonly src: SourceText, readonly regex: RegexCompiler | undefined) {}

  #where(pos: number): Where {
    return this.src.where(pos);
  }

  #error(pos: number, message: string): never {
    throw this.src.error(pos, message);
  }

  #lookup(name: string): number | undefined {
    for (let i = this.#scopes.length - 1; i >= 0; i--) {
      const slot = this.#scopes[i]!.get(name);
      if (slot !== undefined) return slot;
    }
    return undefined;
  }

  #isFunction(name: string): boolean {
    return BUILTINS.has(name) || PATTERN_KINDS.has(name);
  }

  compile(node: Node): Fn {
    switch (node.kind) {
      case "const": {
        const value = node.value;
        return () => value;
      }
      case "name":
        return this.#name(node.id, node.pos);
      case "attr":
        return this.#attribute(node);
      case "index":
        return this.#index(node.obj, node.index, node.pos);
      case "slice":
        return this.#slice(node.obj, node.lower, node.upper, node.step, node.pos);
      case "call":
        return this.#call(node);
      case "unary": {
        const operand = this.compile(node.operand);
        if (node.op === "not") return (env) => !truthy(operand(env));
        const op = node.op;
        const at = this.#where(node.pos);
        return (env) => negate(operand(env), op, at);
      }
      case "bool":
        return this.#boolean(node.op, node.values.map((v) => this.compile(v)));
      case "arith":
        return this.#arithmetic(node.first, node.rest);
      case "compare":
        return this.#comparison(node.first, node.rest);
      case "if": {
        const test = this.compile(node.test);
        const body = this.compile(node.body);
        const orelse = this.compile(node.orelse);
        return (env) => (truthy(test(env)) ? body(env) : orelse(env));
      }
      case "tuple":
      case "list": {
        const items = node.items.map((item) => this.compile(item));
        return (env) => {
          const out = new Array<Value>(items.length);
          for (let i = 0; i < items.length; i++) out[i] = items[i]!(env);
          return out;
        };
      }
      case "comp":
        return this.#materialize(node);
    }
  }

  #name(id: string, pos: number): Fn {
    const slot = this.#lookup(id);
    if (slot !== undefined) return (env) => env.slots[slot] ?? null;
    if (ROOTS.has(id)) {
      this.names.add(id);
      const at = this.#where(pos);
      return (env) => (Object.hasOwn(env.scope, id) ? norm(env.scope[id], at) : null);
    }
    if (this.#isFunction(id)) this.#error(pos, `'${id}' is a function: call it, as in ${id}(...)`);
    return this.#error(
      pos,
      `unknown name '${id}': a condition reads only ${ROOT_NAMES.join(", ")}`,
    );
  }

  #checkName(name: string, pos: number): void {
    if (forbidden(name)) {
      this.#error(
        pos,
        `'${name}' cannot be read: names starting with '_', and 'constructor' and 'prototype', are off limits`,
      );
    }
  }

  #attribute(node: Attr): Fn {
    const key = node.name;
    const at = this.#where(node.pos);
    const obj = node.obj;
    // The common `root.field` read skips one closure call.
    if (obj.kind === "name" && ROOTS.has(obj.id) && this.#lookup(obj.id) === undefined) {
      this.#checkName(node.name, node.pos);
      this.names.add(obj.id);
      const root = obj.id;
      return (env) => {
        const scope = env.scope;
        const rec = Object.hasOwn(scope, root) ? norm(scope[root], at) : null;
        if (isRecord(rec)) return Object.hasOwn(rec, key) ? norm(rec[key], at) : null;
        return fail(at, `'${typeName(rec)}' has no attribute '${key}'`);
      };
    }
    const inner = this.compile(obj); // first, so errors read left to right
    this.#checkName(node.name, node.pos);
    return (env) => {
      const rec = inner(env);
      if (isRecord(rec)) return Object.hasOwn(rec, key) ? norm(rec[key], at) : null;
      return fail(at, `'${typeName(rec)}' has no attribute '${key}'`);
    };
  }

  #index(objNode: Node, indexNode: Node, pos: number): Fn {
    if (indexNode.kind === "const" && typeof indexNode.value === "string") {
      this.#checkName(indexNode.value, indexNode.pos);
    }
    const obj = this.compile(objNode);
    const index = this.compile(indexNode);
    const at = this.#where(pos);
    return (env) => subscript(obj(env), index(env), at);
  }

  #slice(
    objNode: Node,
    lowerNode: Node | undefined,
    upperNode: Node | undefined,
    stepNode: Node | undefined,
    pos: number,
  ): Fn {
    const obj = this.compile(objNode);
    const none: Fn = () => null;
    const lower = lowerNode ? this.compile(lowerNode) : none;
    const upper = upperNode ? this.compile(upperNode) : none;
    const step = stepNode ? this.compile(stepNode) : none;
    const at = this.#where(pos);
    return (env) => slice(env, obj(env), lower(env), upper(env), step(env), at);
  }

  #boolean(op: "and" | "or", values: Fn[]): Fn {
    // `and` returns the first false operand (or the last); `or` the first true one.
    const stopOn = op === "or";
    if (values.length === 2) {
      const [a, b] = values as [Fn, Fn];
      return (env) => {
        const v = a(env);
        return truthy(v) === stopOn ? v : b(env);
      };
    }
    return (env) => {
      let v: Value = null;
      for (const f of values) {
        v = f(env);
        if (truthy(v) === stopOn) return v;
      }
      return v;
    };
  }

  #arithmetic(firstNode: Node, rest: readonly { op: string; pos: number; node: Node }[]): Fn {
    const first = this.compile(firstNode);
    const ops = rest.map((r) => ARITHMETIC.get(r.op)!);
    const operands = rest.map((r) => this.compile(r.node));
    const ats = rest.map((r) => this.#where(r.pos));
    if (ops.length === 1) {
      const [op, b, at] = [ops[0]!, operands[0]!, ats[0]!];
      return (env) => op(env, first(env), b(env), at);
    }
    return (env) => {
      let acc = first(env);
      for (let i = 0; i < ops.length; i++) acc = ops[i]!(env, acc, operands[i]!(env), ats[i]!);
      return acc;
    };
  }

  #comparison(firstNode: Node, rest: readonly { op: string; pos: number; node: Node }[]): Fn {
    const first = this.compile(firstNode);
    if (rest.length === 1) {
      const { op, node, pos } = rest[0]!;
      const member = op === "in" || op === "not in" ? stringSet(node) : undefined;
      if (member !== undefined) {
        // `x in ('a', 'b')`: a string is in a tuple of strings exactly when the set has it.
        const negated = op === "not in";
        return (env) => {
          const v = first(env);
          return (typeof v === "string" && member.has(v)) !== negated;
        };
      }
      const compare = COMPARISONS.get(op)!;
      const b = this.compile(node);
      const at = this.#where(pos);
      return (env) => compare(env, first(env), b(env), at);
    }
    const ops: Comparison[] = rest.map((r) => COMPARISONS.get(r.op)!);
    const operands = rest.map((r) => this.compile(r.node));
    const ats = rest.map((r) => this.#where(r.pos));
    return (env) => {
      let left = first(env);
      for (let i = 0; i < ops.length; i++) {
        const right = operands[i]!(env);
        if (!ops[i]!(env, left, right, ats[i]!)) return false;
        left = right;
      }
      return true;
    };
  }

  // --- calls

  #call(node: Call): Fn {
    const func = node.func;
    if (func.kind === "attr") return this.#method(node, func);
    if (func.kind !== "name") {
      this.compile(func); // report what is wrong inside first, reading left to right
      return this.#error(node.pos, "only builtin functions and methods can be called");
    }
    const id = func.id;
    if (this.#lookup(id) !== undefined) {
      this.#error(func.pos, `'${id}' is a loop variable, not a function`);
    }
    if (ROOTS.has(id)) this.#error(func.pos, `'${id}' is not a function`);
    if (PATTERN_KINDS.has(id)) return this.#pattern(node, id as PatternKind);
    const only = node.args.length === 1 && node.keywords.length === 0 ? node.args[0] : undefined;
    // any()/all() over a generator stop at the first decisive item; over a list comprehension
    // Python builds the whole list first (and so raises on a later item), and so do we.
    if ((id === "any" || id === "all") && only?.kind === "comp" && only.result === "gen") {
      const loop = this.#loops(only);
      const at = this.#where(node.pos);
      return id === "any"
        ? (env) => {
          charge(env, 1, at);
          return loop(env, anySink);
        }
        : (env) => {
          charge(env, 1, at);
          return !loop(env, allSink);
        };
    }
    const builtin = BUILTINS.get(id);
    if (builtin === undefined) {
      return this.#error(func.pos, `unknown function '${id}'`);
    }
    const binding = bind(id, builtin.sig, node.args.length, node.keywords.map((k) => k.name));
    if (typeof binding === "string") this.#error(func.pos, binding);
    const args = this.#arguments(node);
    const at = this.#where(node.pos);
    const impl = builtin.impl;
    // Variadic builtins find their keyword-only slots from the end: they always get the full list.
    const direct = !builtin.sig.rest && isDirect(binding, args.length);
    if (direct && args.length === 1) {
      const a = args[0]!;
      return (env) => {
        charge(env, 1, at);
        return impl(env, [a(env)], at);
      };
    }
    return (env) => {
      charge(env, 1, at);
      const values = evaluateAll(env, args);
      return impl(env, direct ? values : arrange(values, binding), at);
    };
  }

  /** Positional then keyword argument closures, in the order values are bound. */
  #arguments(node: Call): Fn[] {
    return [...node.args, ...node.keywords.map((k) => k.value)].map((arg) => this.compile(arg));
  }

  #method(node: Call, func: Attr): Fn {
    const name = func.name;
    const recv = this.compile(func.obj);
    this.#checkName(name, func.pos);
    const positional = node.args.length;
    const keywords = node.keywords.map((k) => k.name);
    const forType = <T>(table: ReadonlyMap<string, Method<T>>) => {
      const method = table.get(name);
      return method && { impl: method.impl, binding: bind(name, method.sig, positional, keywords) };
    };
    const str = forType(STRING_METHODS);
    const list = forType(LIST_METHODS);
    const dict = forType(DICT_METHODS);
    const variants = [str, list, dict].filter((v) => v !== undefined);
    if (variants.length === 0) this.#error(func.pos, `unknown method '${name}'`);
    if (variants.every((v) => typeof v.binding === "string")) {
      this.#error(func.pos, variants[0]!.binding as string);
    }
    const args = this.#arguments(node);
    const at = this.#where(func.pos);
    const call = <T extends Value>(
      variant: { impl: MethodImpl<T>; binding: Binding | string } | undefined,
    ) => {
      if (variant === undefined) return undefined;
      const { impl, binding } = variant;
      if (typeof binding === "string") {
        return (_env: Env, _self: T): Value => fail(at, binding);
      }
      if (isDirect(binding, args.length)) {
        if (args.length === 0) return (env: Env, self: T): Value => impl(env, self, [], at);
        if (args.length === 1) {
          const a = args[0]!;
          return (env: Env, self: T): Value => impl(env, self, [a(env)], at);
        }
        return (env: Env, self: T): Value => impl(env, self, evaluateAll(env, args), at);
      }
      return (env: Env, self: T): Value =>
        impl(env, self, arrange(evaluateAll(env, args), binding), at);
    };
    const onString = call<string>(str);
    const onList = call<List>(list);
    const onDict = call<Rec>(dict);
    const missing = (self: Value): never => fail(at, `'${typeName(self)}' has no method '${name}'`);
    if (onString && !onList && !onDict) {
      // String-only methods (startswith, lower, ...): one type test.
      return (env) => {
        const self = recv(env);
        if (typeof self !== "string") return missing(self);
        charge(env, 1, at);
        return onString(env, self);
      };
    }
    return (env) => {
      const self = recv(env);
      if (typeof self === "string") {
        if (onString === undefined) return missing(self);
        charge(env, 1, at);
        return onString(env, self);
      }
      if (isList(self)) {
        if (onList === undefined) return missing(self);
        charge(env, 1, at);
        return onList(env, self);
      }
      if (isRecord(self) && onDict !== undefined) {
        charge(env, 1, at);
        return onDict(env, self);
      }
      return missing(self);
    };
  }

  /** glob(), fnmatch(), regex(): literal patterns compile now, computed ones through a cache. */
  #pattern(node: Call, kind: PatternKind): Fn {
    const funcPos = node.func.pos;
    if (kind === "regex" && this.regex === undefined) this.#error(funcPos, REGEX_ENGINE_MISSING);
    const signature = { params: ["text", "pattern"], required: 2 };
    const binding = bind(kind, signature, node.args.length, node.keywords.map((k) => k.name));
    if (typeof binding === "string") this.#error(funcPos, binding);
    const [textNode, patternNode] = node.args as [Node, Node];
    const text = this.compile(textNode);
    const at = this.#where(funcPos);
    const textOf = (env: Env): string => {
      const t = text(env);
      if (typeof t !== "string") fail(at, `${kind}() text must be a str, not '${typeName(t)}'`);
      return t;
    };
    if (patternNode.kind === "const") {
      const pattern = patternNode.value;
      if (typeof pattern !== "string") {
        this.#error(patternNode.pos, `${kind}() pattern must be a str, not '${typeName(pattern)}'`);
      }
      let matcher: (text: string) => boolean;
      try {
        matcher = compileMatcher(kind, pattern, this.regex);
      } catch (error) {
        if (!(error instanceof PatternError)) throw error;
        const where = error.column === undefined ? "" : ` (at pattern col ${error.column})`;
        this.#error(patternNode.pos, `${error.message}${where}`);
      }
      return (env) => {
        const t = textOf(env);
        charge(env, matchCost(t, pattern.length), at);
        return matcher(t);
      };
    }
    const patternFn = this.compile(patternNode);
    const cache = new MatcherCache(kind, this.regex);
    return (env) => {
      const t = textOf(env);
      const p = patternFn(env);
      if (typeof p !== "string") fail(at, `${kind}() pattern must be a str, not '${typeName(p)}'`);
      charge(env, matchCost(t, p.length) + (p.length >> 4), at);
      let matcher: (text: string) => boolean;
      try {
        matcher = cache.get(p);
      } catch (error) {
        if (error instanceof PatternError) fail(at, error.message);
        throw error;
      }
      return matcher(t);
    };
  }

  // --- comprehensions

  /** Compiles the `for`/`if` clauses around the element into one loop runner. */
  #loops(comp: Comp): Loop {
    const scope = new Map<string, number>();
    // The first iterable is evaluated in the enclosing scope, as in Python.
    const iters: Fn[] = [this.compile(comp.clauses[0]!.iter)];
    this.#scopes.push(scope);
    try {
      const assigns: Array<(env: Env, item: Value) => void> = [];
      const filters: Fn[][] = [];
      comp.clauses.forEach((clause, i) => {
        if (i > 0) iters.push(this.compile(clause.iter));
        assigns.push(this.#assign(clause, scope));
        filters.push(clause.ifs.map((cond) => this.compile(cond)));
      });
      const elt = this.compile(comp.elt);
      let run: Loop = (env, sink) => sink(env, elt(env));
      for (let i = comp.clauses.length - 1; i >= 0; i--) {
        run = clauseLoop(
          iters[i]!,
          assigns[i]!,
          filters[i]!,
          run,
          this.#where(comp.clauses[i]!.pos),
        );
      }
      return run;
    } finally {
      this.#scopes.pop();
    }
  }

  #assign(clause: Clause, scope: Map<string, number>): (env: Env, item: Value) => void {
    const slots = clause.targets.map((target) => {
      const slot = this.slotCount++;
      scope.set(target.id, slot);
      return slot;
    });
    if (!clause.unpack) {
      const slot = slots[0]!;
      return (env, item) => {
        env.slots[slot] = item;
      };
    }
    const at = this.#where(clause.pos);
    return (env, item) => {
      if (!(typeof item === "string" || isList(item))) {
        fail(at, `cannot unpack a '${typeName(item)}' into ${slots.length} loop variables`);
      }
      if (item.length !== slots.length) {
        fail(at, `cannot unpack ${item.length} values into ${slots.length} loop variables`);
      }
      for (let i = 0; i < slots.length; i++) {
        env.slots[slots[i]!] = typeof item === "string" ? item[i]! : norm(item[i], at);
      }
    };
  }

  /** A list comprehension, or a generator expression outside any()/all(): built as a list. */
  #materialize(comp: Comp): Fn {
    const loop = this.#loops(comp);
    const at = this.#where(comp.pos);
    return (env) => {
      const out: Value[] = [];
      loop(env, (_env, value) => {
        checkListLength(out.length + 1, at);
        out.push(value);
        return false;
      });
      return out;
    };
  }
}

function clauseLoop(
  iter: Fn,
  assign: (env: Env, item: Value) => void,
  filters: Fn[],
  inner: Loop,
  at: Where,
): Loop {
  return (env, sink) => {
    const items = iterable(env, iter(env), at);
    const n = items.length;
    for (let i = 0; i < n; i++) {
      if (--env.steps < 0) charge(env, 0, at); // charge() reports the spent budget
      assign(env, typeof items === "string" ? items[i]! : norm(items[i], at));
      let pass = true;
      for (let k = 0; k < filters.length; k++) {
        if (!truthy(filters[k]!(env))) {
          pass = false;
          break;
        }
      }
      if (pass && inner(env, sink)) return true;
    }
    return false;
  };
}

function evaluateAll(env: Env, fns: readonly Fn[]): Value[] {
  const values = new Array<Value>(fns.length);
  for (let i = 0; i < fns.length; i++) values[i] = fns[i]!(env);
  return values;
}

/** The strings of a constant tuple or list made only of strings, for fast membership. */
function stringSet(node: Node): Set<string> | undefined {
  if (node.kind !== "const" || !isList(node.value)) return undefined;
  if (!node.value.every((v) => typeof v === "string")) return undefined;
  return new Set(node.value as readonly string[]);
}

/** `obj[key]`: record fields (absent: None), list and string items (negative from the end). */
function subscript(obj: Value, key: Value, at: Where): Value {
  if (isRecord(obj)) return typeof key === "string" ? field(obj, key, at) : null;
  if (typeof obj === "string" || isList(obj)) {
    const kind = typeof obj === "string" ? "string" : "list";
    const i = intArg(key, `${kind} indices`, at);
    const j = i < 0 ? i + obj.length : i;
    if (j < 0 || j >= obj.length) fail(at, `${kind} index out of range`);
    return typeof obj === "string" ? obj[j]! : norm(obj[j], at);
  }
  return fail(at, `'${typeName(obj)}' object is not subscriptable`);
}

/** `obj[lower:upper:step]` with Python's index rules. */
function slice(env: Env, obj: Value, lo: Value, hi: Value, st: Value, at: Where): Value {
  if (!(typeof obj === "string" || isList(obj))) {
    return fail(at, `'${typeName(obj)}' object is not subscriptable`);
  }
  const length = obj.length;
  const step = st === null ? 1 : intArg(st, "slice step", at);
  if (step === 0) fail(at, "slice step cannot be zero");
  const [lower, upper] = step > 0 ? [0, length] : [-1, length - 1];
  const clamp = (v: Value, fallback: number) => {
    if (v === null) return fallback;
    let i = intArg(v, "slice indices", at);
    if (i < 0) i += length;
    return i < lower ? lower : i > upper ? upper : i;
  };
  const start = clamp(lo, step > 0 ? lower : upper);
  const stop = clamp(hi, step > 0 ? upper : lower);
  if (step === 1) {
    chargeChars(env, Math.max(0, stop - start), at);
    return obj.slice(start, Math.max(start, stop));
  }
  const count = step > 0
    ? Math.max(0, Math.ceil((stop - start) / step))
    : Math.max(0, Math.ceil((start - stop) / -step));
  charge(env, 1 + count, at);
  const out: Value[] = [];
  for (let k = 0, i = start; k < count; k++, i += step) {
    out.push(typeof obj === "string" ? obj[i]! : norm(obj[i], at));
  }
  return typeof obj === "string" ? (out as string[]).join("") : out;
}
