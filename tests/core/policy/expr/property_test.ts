/**
 * Property tests: no input makes compiling or evaluating throw anything but a WatchtowerError, or
 * run long; and random arithmetic, comparison and string expressions evaluate as an independent
 * reference implementation of Python's rules says they should.
 */
import fc from "fast-check";
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { compileCondition, type Scope, type ScopeValue } from "../../../../core/policy/expr/mod.ts";
import { WatchtowerError } from "../../../../core/errors.ts";

const SCOPE: Scope = {
  identity: { principal: "agent:x", capabilities: ["fs:read", "net:fetch"] },
  intent: { domain: "filesystem", operation: "read" },
  target: { path: "/home/a/b.txt", args: ["-r", "x"], size: 12, env: { HOME: "/h" } },
  context: { cwd: "/home/a" },
  zone: "SAFE",
  risk: 0.4,
};

/** Compiles and evaluates, accepting only the two condition error codes. */
function survives(source: string): void {
  const start = performance.now();
  let condition;
  try {
    condition = compileCondition(source);
  } catch (error) {
    ok(error instanceof WatchtowerError, `compile threw ${error}`);
    equal(error.code, "condition_syntax", `${source}: ${error.message}`);
    return;
  }
  try {
    condition.evaluate(SCOPE);
  } catch (error) {
    ok(error instanceof WatchtowerError, `evaluate threw ${error}`);
    equal(error.code, "condition_runtime", `${source}: ${error.message}`);
  }
  const ms = performance.now() - start;
  ok(ms < 250, `${JSON.stringify(source)} took ${ms} ms`);
}

const TOKENS = [
  "identity",
  "intent",
  "target",
  "context",
  "zone",
  "risk",
  "x",
  "p",
  "path",
  "capabilities",
  "args",
  "env",
  ".",
  "(",
  ")",
  "[",
  "]",
  ",",
  ":",
  "=",
  "'a'",
  '"/tmp/"',
  "'**/*'",
  "r'\\d'",
  "0",
  "1",
  "-1",
  "2.5",
  "1e3",
  "True",
  "False",
  "None",
  "and",
  "or",
  "not",
  "in",
  "is",
  "if",
  "else",
  "for",
  "lambda",
  "==",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
  "+",
  "-",
  "*",
  "/",
  "//",
  "%",
  "**",
  "startswith",
  "endswith",
  "count",
  "split",
  "replace",
  "join",
  "lower",
  "get",
  "keys",
  "items",
  "any",
  "all",
  "len",
  "min",
  "max",
  "sum",
  "sorted",
  "str",
  "int",
  "float",
  "bool",
  "list",
  "glob",
  "fnmatch",
  "basename",
  "dirname",
  "regex",
  "__class__",
  "constructor",
  "'",
  '"',
  "\\",
  "#",
  "\n",
  "{",
  ":=",
];

Deno.test("arbitrary text compiles or fails with condition_syntax, and never hangs", () => {
  fc.assert(fc.property(fc.string({ maxLength: 80 }), survives), { numRuns: 1500 });
  // Any UTF-16 code unit, lone surrogates included (the "binary" unit is slow to generate).
  const codeUnit = fc.nat(0xffff).map((code) => String.fromCharCode(code));
  fc.assert(fc.property(fc.string({ unit: codeUnit, maxLength: 40 }), survives), { numRuns: 1000 });
});

Deno.test("token soups compile or fail cleanly, and evaluate or fail cleanly", () => {
  const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 });
  fc.assert(fc.property(soup, (tokens) => survives(tokens.join(" "))), { numRuns: 2500 });
  fc.assert(fc.property(soup, (tokens) => survives(tokens.join(""))), { numRuns: 1000 });
});

const METHODS = [
  "startswith",
  "endswith",
  "count",
  "lower",
  "upper",
  "strip",
  "split",
  "rsplit",
  "replace",
  "find",
  "rfind",
  "index",
  "join",
  "isdigit",
  "isalpha",
  "partition",
  "removeprefix",
  "get",
  "keys",
  "values",
  "items",
];
const BUILTIN_CALLS = [
  "len",
  "any",
  "all",
  "min",
  "max",
  "sum",
  "abs",
  "str",
  "int",
  "float",
  "bool",
  "sorted",
  "list",
  "basename",
  "dirname",
  "glob",
  "fnmatch",
];

/** Well-formed expressions over the whole language, most of them wrong in type or arity. */
const { any: anyExpr } = fc.letrec<{ any: string; leaf: string }>((tie) => ({
  any: fc.oneof(
    { depthSize: "small" },
    tie("leaf"),
    fc.tuple(
      tie("any"),
      fc.constantFrom("+", "-", "*", "/", "//", "%", "==", "<", "in", "is not", "and", "or"),
      tie("any"),
    )
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(fc.constantFrom("not ", "-"), tie("any")).map(([op, a]) => `${op}(${a})`),
    fc.tuple(fc.constantFrom(...BUILTIN_CALLS), fc.array(tie("any"), { maxLength: 3 }))
      .map(([f, args]) => `${f}(${args.join(", ")})`),
    fc.tuple(tie("any"), fc.constantFrom(...METHODS), fc.array(tie("any"), { maxLength: 2 }))
      .map(([o, m, args]) => `(${o}).${m}(${args.join(", ")})`),
    fc.tuple(
      fc.constantFrom("any", "all", "sum", "max", "sorted"),
      tie("any"),
      tie("any"),
      tie("any"),
    )
      .map(([f, e, it, c]) => `${f}(${e} for x in ${it} if ${c})`),
    fc.tuple(tie("any"), tie("any")).map(([o, i]) => `(${o})[${i}]`),
    fc.tuple(tie("any"), tie("any"), tie("any")).map(([o, a, b]) => `(${o})[${a}:${b}]`),
    fc.tuple(tie("any"), tie("any"), tie("any")).map(([a, c, b]) => `(${a} if ${c} else ${b})`),
    fc.array(tie("any"), { maxLength: 3 }).map((items) => `[${items.join(", ")}]`),
  ),
  leaf: fc.constantFrom(
    "target",
    "target.path",
    "target.args",
    "target.env",
    "target.size",
    "target.missing",
    "identity.capabilities",
    "risk",
    "zone",
    "x",
    "None",
    "True",
    "0",
    "-3",
    "2.5",
    "''",
    "'a/b'",
    "'*'",
    "()",
    "[]",
  ),
}));

Deno.test("well-formed expressions over the whole language evaluate or fail cleanly", () => {
  fc.assert(fc.property(anyExpr, survives), { numRuns: 1500 });
});

// --- a reference evaluator, written independently of the implementation

class RefError extends Error {}
type Ref = bigint | boolean | string;
interface Expr {
  readonly src: string;
  /** The value Python would compute, or a RefError where Python raises. Lazy: `and`, `or`,
   * chained comparisons and `if` must not evaluate what Python does not. */
  readonly ref: () => Ref;
}

const LIMIT = 2n ** 53n - 1n;
const checked = (v: bigint): bigint => {
  if (v > LIMIT || v < -LIMIT) throw new RefError("overflow");
  return v;
};
const num = (v: Ref): bigint => (typeof v === "boolean" ? (v ? 1n : 0n) : v as bigint);
const truth = (v: Ref): boolean => (typeof v === "string" ? v.length > 0 : num(v) !== 0n);

function floorDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RefError("division by zero");
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

const ARITH: Record<string, (a: bigint, b: bigint) => bigint> = {
  "+": (a, b) => checked(a + b),
  "-": (a, b) => checked(a - b),
  "*": (a, b) => checked(a * b),
  "//": (a, b) => checked(floorDiv(a, b)),
  "%": (a, b) => checked(a - b * floorDiv(a, b)),
};
const COMPARE: Record<string, (a: bigint, b: bigint) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

const { number: numberExpr, truth: truthExpr } = fc.letrec<{ number: Expr; truth: Expr }>((
  tie,
) => ({
  number: fc.oneof(
    { depthSize: "small" },
    fc.integer({ min: -30, max: 30 }).map((n): Expr => ({ src: `(${n})`, ref: () => BigInt(n) })),
    fc.tuple(tie("number"), fc.constantFrom(...Object.keys(ARITH)), tie("number")).map((
      [a, op, b],
    ): Expr => ({
      src: `(${a.src} ${op} ${b.src})`,
      ref: () => ARITH[op]!(num(a.ref()), num(b.ref())),
    })),
    tie("number").map((a): Expr => ({ src: `(-${a.src})`, ref: () => checked(-num(a.ref())) })),
    fc.tuple(tie("number"), tie("truth"), tie("number")).map(([a, c, b]): Expr => ({
      src: `(${a.src} if ${c.src} else ${b.src})`,
      ref: () => (truth(c.ref()) ? a.ref() : b.ref()),
    })),
    fc.tuple(fc.constantFrom("and", "or"), tie("number"), tie("number")).map((
      [op, a, b],
    ): Expr => ({
      src: `(${a.src} ${op} ${b.src})`,
      ref: () => {
        const left = a.ref();
        return truth(left) === (op === "or") ? left : b.ref();
      },
    })),
  ),
  truth: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom<Expr>({ src: "True", ref: () => true }, { src: "False", ref: () => false }),
    fc.tuple(
      tie("number"),
      fc.array(fc.tuple(fc.constantFrom(...Object.keys(COMPARE)), tie("number")), {
        minLength: 1,
        maxLength: 3,
      }),
    ).map(([first, rest]): Expr => ({
      src: `(${first.src}${rest.map(([op, e]) => ` ${op} ${e.src}`).join("")})`,
      ref: () => {
        let left = num(first.ref());
        for (const [op, e] of rest) {
          const right = num(e.ref());
          if (!COMPARE[op]!(left, right)) return false;
          left = right;
        }
        return true;
      },
    })),
    tie("truth").map((a): Expr => ({ src: `(not ${a.src})`, ref: () => !truth(a.ref()) })),
  ),
}));

function expectReference(expr: Expr): void {
  let want: Ref | RefError;
  try {
    want = expr.ref();
  } catch (error) {
    if (!(error instanceof RefError)) throw error;
    want = error;
  }
  let got: ScopeValue | WatchtowerError;
  try {
    got = compileCondition(expr.src).evaluate({});
  } catch (error) {
    if (!(error instanceof WatchtowerError)) throw error;
    equal(error.code, "condition_runtime", expr.src);
    got = error;
  }
  if (want instanceof RefError) {
    ok(got instanceof WatchtowerError, `${expr.src}: expected an error, got ${got}`);
  } else if (typeof want === "bigint") {
    equal(got, Number(want), expr.src);
  } else {
    deepStrictEqual(got, want, expr.src);
  }
}

Deno.test("integer arithmetic, comparisons and boolean logic match a reference evaluator", () => {
  fc.assert(fc.property(numberExpr, expectReference), { numRuns: 800 });
  fc.assert(fc.property(truthExpr, expectReference), { numRuns: 800 });
});

const { text: textExpr } = fc.letrec<{ text: Expr }>((tie) => ({
  text: fc.oneof(
    { depthSize: "small" },
    fc.string({ unit: fc.constantFrom("a", "b", "/", "."), maxLength: 4 }).map((s): Expr => ({
      src: `'${s}'`,
      ref: () => s,
    })),
    fc.tuple(tie("text"), tie("text")).map(([a, b]): Expr => ({
      src: `(${a.src} + ${b.src})`,
      ref: () => (a.ref() as string) + (b.ref() as string),
    })),
    fc.tuple(tie("text"), fc.constantFrom("upper", "lower")).map(([a, m]): Expr => ({
      src: `${a.src}.${m}()`,
      ref:
        () => (m === "upper"
          ? (a.ref() as string).toUpperCase()
          : (a.ref() as string).toLowerCase()),
    })),
    fc.tuple(tie("text"), fc.constantFrom("a", "/", "b."), fc.constantFrom("", "x", "//")).map((
      [a, old, neu],
    ): Expr => ({
      src: `${a.src}.replace('${old}', '${neu}')`,
      ref: () => (a.ref() as string).split(old).join(neu),
    })),
  ),
}));

const textTruth = fc.tuple(
  textExpr,
  fc.constantFrom("in", "not in", "==", "!=", "<", ">=", "startswith", "endswith"),
  textExpr,
).map(([a, op, b]): Expr => {
  const method = op === "startswith" || op === "endswith";
  return {
    src: method ? `${a.src}.${op}(${b.src})` : `(${a.src} ${op} ${b.src})`,
    ref: () => {
      const x = a.ref() as string;
      const y = b.ref() as string;
      switch (op) {
        case "in":
          return y.includes(x);
        case "not in":
          return !y.includes(x);
        case "==":
          return x === y;
        case "!=":
          return x !== y;
        case "<":
          return x < y;
        case ">=":
          return x >= y;
        case "startswith":
          return x.startsWith(y);
        default:
          return x.endsWith(y);
      }
    },
  };
});

Deno.test("string concatenation, methods and comparisons match a reference evaluator", () => {
  fc.assert(fc.property(textExpr, expectReference), { numRuns: 300 });
  fc.assert(fc.property(textTruth, expectReference), { numRuns: 300 });
  fc.assert(
    fc.property(
      textExpr,
      (a) =>
        expectReference({ src: `len(${a.src})`, ref: () => BigInt((a.ref() as string).length) }),
    ),
    { numRuns: 200 },
  );
});
