/**
 * What a condition's author sees when something is wrong: compile errors (condition_syntax) with
 * the column of the fault, and run-time errors (condition_runtime) naming the method and the type.
 */
import { equal, throws } from "node:assert/strict";
import { compileCondition, type Scope } from "../../../../core/policy/expr/mod.ts";
import { WatchtowerError } from "../../../../core/errors.ts";

function expectError(
  code: "condition_syntax" | "condition_runtime",
  source: string,
  column: number,
  message: string,
  scope: Scope = {},
): void {
  const prefix = code === "condition_syntax"
    ? "Cannot parse condition"
    : "Cannot evaluate condition";
  throws(
    () => compileCondition(source).evaluate(scope),
    (e) => {
      if (!(e instanceof WatchtowerError)) return false;
      equal(e.code, code, source);
      equal(e.location?.column, column, `${source}: ${e.message}`);
      equal(e.message, `${prefix}: col ${column}: ${message}`, `${source}: got ${e.message}`);
      return true;
    },
    source,
  );
}

Deno.test("compileCondition() names the column of a malformed condition", () => {
  const cases: Array<[string, number, string]> = [
    ["target.path.startswith('/tmp/", 24, "unterminated string"],
    ["target.path == $x", 16, "unexpected character '$' (U+0024)"],
    [
      "(target.path.startswith('/a') or zone == 'SAFE'",
      48,
      "expected ')' to close '(' opened at col 1, found the end of the condition",
    ],
    ["zone == 'SAFE' 'x' zone", 20, "unexpected name 'zone' after a complete expression"],
    ["target..path", 8, "expected an attribute name after '.', found '.'"],
    [
      "foo.bar == 1",
      1,
      "unknown name 'foo': a condition reads only identity, intent, target, context, zone, risk, annotations",
    ],
    ["target.path.startwith('/')", 13, "unknown method 'startwith'"],
    ["target.path.startswith()", 13, "startswith() missing required argument 'prefix'"],
    ["len(target, zone)", 1, "len() takes exactly 1 argument (2 given)"],
    ["target.path.lower(1)", 13, "lower() takes no arguments (1 given)"],
    ["sorted(target.l, key=1)", 1, "sorted() got an unexpected keyword argument 'key'"],
    ["target.path.split(',', sep=',')", 13, "split() got multiple values for argument 'sep'"],
    ["len", 1, "'len' is a function: call it, as in len(...)"],
    ["target(1)", 1, "'target' is not a function"],
    ["any(p(1) for p in ('a',))", 5, "'p' is a loop variable, not a function"],
    ["(zone)(1)", 2, "'zone' is not a function"],
    ["target.l[0](1)", 9, "only builtin functions and methods can be called"],
    [
      "glob(target.path, '[z-a]')",
      19,
      "bad glob pattern: range z-a is backwards (at pattern col 2)",
    ],
    [
      "fnmatch(target.path, 'a\\\\')",
      22,
      "bad fnmatch pattern: pattern ends with a lone backslash (at pattern col 2)",
    ],
    ["glob(target.path, 1)", 19, "glob() pattern must be a str, not 'int'"],
    [
      "regex(target.path, 'a+')",
      1,
      "regex() needs the regex engine: call loadRegexCompiler() first",
    ],
    [
      "zone == 'a' and x",
      17,
      "unknown name 'x': a condition reads only identity, intent, target, context, zone, risk, annotations",
    ],
  ];
  for (const [source, column, message] of cases) {
    expectError("condition_syntax", source, column, message);
  }
});

Deno.test("evaluate() names the failing method, type and column at run time", () => {
  const scope: Scope = {
    target: { path: "/tmp/x", n: 3, tags: ["a"] },
    identity: { capabilities: [] },
    risk: 0.5,
  };
  const cases: Array<[string, number, string]> = [
    ["target.missing.startswith('/')", 16, "'NoneType' has no method 'startswith'"],
    ["target.n.startswith('/')", 10, "'int' has no method 'startswith'"],
    ["target.tags.lower()", 13, "'list' has no method 'lower'"],
    ["target.path.get('x')", 13, "'str' has no method 'get'"],
    ["target.path.size", 13, "'str' has no attribute 'size'"],
    ["target.missing.x", 16, "'NoneType' has no attribute 'x'"],
    ["target.path + 1", 13, "unsupported operand types for +: 'str' and 'int'"],
    [
      "target.path * 2",
      13,
      "unsupported operand types for *: 'str' and 'int' (repetition is not supported)",
    ],
    ["risk < 'high'", 6, "'<' is not supported between instances of 'float' and 'str'"],
    ["target.n / 0", 10, "division by zero"],
    ["target.n // 0", 10, "division by zero"],
    ["target.n % 0", 10, "division by zero"],
    ["target.tags[3]", 12, "list index out of range"],
    ["target.path['x']", 12, "string indices must be an integer, not 'str'"],
    ["target.n[0]", 9, "'int' object is not subscriptable"],
    ["1 in target.path", 3, "'in <string>' requires a string as left operand, not 'int'"],
    ["'a' in target.n", 5, "argument of type 'int' is not iterable"],
    ["len(target.n)", 1, "object of type 'int' has no len()"],
    ["max(identity.capabilities)", 1, "max() arg is an empty sequence"],
    ["int(target.path)", 1, "invalid literal for int() with base 10: '/tmp/x'"],
    ["target.path.index('z')", 13, "substring not found"],
    ["target.tags.index('z')", 13, "'z' is not in the list"],
    ["target.path.split('')", 13, "empty separator"],
    ["any(target.n)", 1, "'int' object is not iterable"],
    ["[a for a, b in target.tags]", 4, "cannot unpack 1 values into 2 loop variables"],
    ["glob(target.n, '*')", 1, "glob() text must be a str, not 'int'"],
    ["fnmatch(target.path, target.n)", 1, "fnmatch() pattern must be a str, not 'int'"],
    ["glob(target.path, target.path + '[z-a]')", 1, "bad glob pattern: range z-a is backwards"],
    ["target.path[::0]", 12, "slice step cannot be zero"],
    ["-target.path", 1, "bad operand type for unary -: 'str'"],
    ["int(target.n, 2)", 1, "int() can't convert a non-string with an explicit base"],
    ["int('12', 99)", 1, "int() base must be between 2 and 36"],
    ["sum(target.tags, '')", 1, "sum() can't sum strings: use ''.join(items)"],
    ["sum(target.tags)", 1, "sum() can only add numbers, not 'str'"],
    ["min(1, 2, default=0)", 1, "min() cannot take a default with several positional arguments"],
    ["float('1.2.3')", 1, "could not convert string to float: '1.2.3'"],
    ["[a for a, b in [target.n]]", 4, "cannot unpack a 'int' into 2 loop variables"],
    ["'-'.join([target.path, target.n])", 5, "join() item 1 must be a str, not 'int'"],
    ["'x'.startswith('x', 'a')", 5, "slice index must be an integer, not 'str'"],
    [
      "glob(target.path, target.path * 1)",
      31,
      "unsupported operand types for *: 'str' and 'int' (repetition is not supported)",
    ],
  ];
  for (const [source, column, message] of cases) {
    expectError("condition_runtime", source, column, message, scope);
  }
});

Deno.test("evaluate() reports lines as well as columns in multi-line conditions", () => {
  throws(
    () =>
      compileCondition("zone == 'SAFE'\n  and target.missing.startswith('/')").evaluate({
        zone: "SAFE",
        target: {},
      }),
    (e) =>
      e instanceof WatchtowerError && e.location?.line === 2 && e.location?.column === 22 &&
      e.message ===
        "Cannot evaluate condition: line 2, col 22: 'NoneType' has no method 'startswith'",
  );
});

Deno.test("patterns and values past their limits fail with a clear message", () => {
  const long = "*".repeat(5000);
  expectError(
    "condition_syntax",
    `glob(target.path, '${long}')`,
    19,
    "glob pattern is longer than 4096 characters",
  );
  expectError(
    "condition_runtime",
    "fnmatch(target.path, target.pattern)",
    1,
    "fnmatch pattern is longer than 4096 characters",
    { target: { path: "/x", pattern: long } },
  );
  let a: unknown = "leaf";
  let b: unknown = "leaf";
  for (let i = 0; i < 100; i++) {
    a = [a];
    b = [b];
  }
  const deep = { target: { a, b } } as Scope;
  expectError(
    "condition_runtime",
    "target.a == target.b",
    10,
    "values are nested too deeply to compare",
    deep,
  );
  expectError("condition_runtime", "str(target.a)", 1, "value is nested too deeply to print", deep);
});
