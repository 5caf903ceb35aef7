/**
 * The condition language against hostile input: escapes toward JavaScript or Python internals,
 * inputs built to exhaust the parser, and conditions built to run long or allocate much. Each must
 * fail cleanly with a WatchtowerError (or evaluate harmlessly), and fast.
 */
import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import {
  compileCondition,
  CONDITION_LIMITS,
  loadRegexCompiler,
  type Scope,
} from "../../../../core/policy/expr/mod.ts";
import { WatchtowerError } from "../../../../core/errors.ts";

const scope: Scope = {
  identity: { principal: "agent:x", capabilities: ["fs:read"] },
  target: { path: "/tmp/x", key: "__proto__", ctor: "constructor" },
};

function isCode(code: string) {
  return (e: unknown) => e instanceof WatchtowerError && e.code === code;
}

function elapsed(work: () => void): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

Deno.test("escape attempts are compile errors", () => {
  const attempts = [
    "__import__('os')",
    "__import__('os').system('id')",
    "target.__class__",
    "target.__class__.__mro__",
    "target.constructor",
    "target.prototype",
    "target['constructor']",
    "target['__proto__']",
    "target['_private']",
    "().__class__.__bases__",
    "().__class__.__bases__[0].__subclasses__()",
    "identity.capabilities.constructor.constructor('return 1')()",
    "target.path.constructor('x')",
    "target.path.__len__()",
    "eval('1')",
    "exec('1')",
    "compile('1', 'f', 'eval')",
    "open('/etc/passwd')",
    "open('/etc/passwd').read()",
    "getattr(target, 'x')",
    "setattr(target, 'x', 1)",
    "globals()",
    "locals()",
    "vars(target)",
    "type(target)",
    "__builtins__",
    "import os",
    "lambda: 1",
    "(lambda: 1)()",
    "(x := 1)",
    "[y := 1 for x in 'a']",
    "f'{target.__class__}'",
    "F'x'",
    "'{0.__class__}'.format(target)",
    "[x for x in range(10**9)]",
    "any(x for x in range(1000000000))",
    "target.toString()",
    "target.hasOwnProperty('path')",
    "identity.capabilities.map(len)",
    "target.path.valueOf()",
    "str.join",
    "len.__call__",
    "Deno.exit()",
    "globalThis",
    "this",
    "process.env",
    "require('fs')",
    "{}.constructor",
    "yield 1",
    "await target",
    "print('x')",
    "import('x')",
    "target.path; 1",
    "a = 1",
    "del target",
  ];
  for (const source of attempts) {
    throws(() => compileCondition(source), isCode("condition_syntax"), source);
  }
});

Deno.test("computed keys and values from the intent never reach a prototype", () => {
  const cases: Array<[string, unknown]> = [
    ["target[target.key]", null],
    ["target[target.ctor]", null],
    ["target['con' + 'structor']", null],
    ["target.get(target.key)", null],
    ["target.key in target", false],
    ["identity.get('constructor', 'absent')", "absent"],
    ["'toString' in identity", false],
    ["[k for k in target]", ["path", "key", "ctor"]],
  ];
  for (const [source, want] of cases) {
    deepStrictEqual(compileCondition(source).evaluate(scope), want, source);
  }
  throws(
    () => compileCondition("identity.capabilities[target.ctor]").evaluate(scope),
    /list indices must be an integer, not 'str'/,
  );
  throws(
    () => compileCondition("target.path.length").evaluate(scope),
    /'str' has no attribute 'length'/,
  );
  throws(
    () => compileCondition("identity.capabilities.length").evaluate(scope),
    /'list' has no attribute 'length'/,
  );
});

Deno.test("a polluted Object.prototype is invisible to conditions", () => {
  const proto = Object.prototype as Record<string, unknown>;
  proto.isAdmin = true;
  try {
    const cases: Array<[string, unknown]> = [
      ["identity.isAdmin", null],
      ["identity['isAdmin']", null],
      ["'isAdmin' in identity", false],
      ["identity.get('isAdmin', False)", false],
      ["zone", null],
    ];
    for (const [source, want] of cases) {
      equal(compileCondition(source).evaluate(scope), want, source);
    }
  } finally {
    delete proto.isAdmin;
  }
});

Deno.test("values that are not data stop the evaluation instead of running", () => {
  let called = false;
  const hostile = {
    target: {
      fn: () => {
        called = true;
      },
    },
  } as unknown as Scope;
  throws(() => compileCondition("target.fn").evaluate(hostile), /a field holds a function/);
  throws(
    () => compileCondition("target.fn()").evaluate(hostile),
    /unknown method 'fn'|has no method/,
  );
  equal(called, false);
});

Deno.test("evaluate() wraps any JavaScript error escaping from the scope as condition_runtime", () => {
  const throwing = {
    get target(): never {
      throw new TypeError("boom");
    },
  } as unknown as Scope;
  // A getter that evaluates the condition again, without end: the stack overflows.
  const recursing: Record<string, unknown> = {};
  const again = compileCondition("target");
  Object.defineProperty(recursing, "target", {
    enumerable: true,
    get: (): unknown => again.evaluate(recursing as Scope),
  });
  throws(
    () => compileCondition("target.path").evaluate(throwing),
    (e) => isCode("condition_runtime")(e) && /TypeError: boom/.test((e as Error).message),
  );
  throws(
    () => compileCondition("target.path").evaluate(recursing as Scope),
    (e) => isCode("condition_runtime")(e) && /stack overflow/.test((e as Error).message),
  );
  throws(
    () => compileCondition("1").evaluate(null as unknown as Scope),
    isCode("condition_runtime"),
  );
});

Deno.test("pathological sources fail fast at compile time", () => {
  const cases: Array<[string, RegExp]> = [
    ["(".repeat(10_000) + "1" + ")".repeat(10_000), /longer than 8192 characters/],
    ["(".repeat(4000) + "1" + ")".repeat(4000), /more than 4096 tokens|nested too deeply/],
    ["(".repeat(2000) + "1" + ")".repeat(2000), /nested too deeply/],
    ["not ".repeat(2000) + "1", /nested too deeply/],
    ["-".repeat(2000) + "target.x", /nested too deeply/],
    ["'" + "a".repeat(100_000) + "'", /longer than 8192 characters/],
    ["'a'+".repeat(3000) + "'a'", /longer than 8192 characters/],
    ["a,".repeat(3000) + "a", /more than 4096 tokens/],
    ["[" + "1,".repeat(3000) + "]", /more than 4096 tokens/],
    ["target" + ".a".repeat(1000), /nested too deeply/],
    ["any(" + "any(".repeat(100) + "x for x in y)".repeat(101), /nested too deeply/],
  ];
  for (const [source, message] of cases) {
    const ms = elapsed(() =>
      throws(
        () => compileCondition(source),
        (e) => isCode("condition_syntax")(e) && message.test((e as Error).message),
        source.slice(0, 20),
      )
    );
    ok(ms < 200, `${source.slice(0, 20)}... took ${ms} ms`);
  }
  // The largest chain that fits evaluates in one flat loop.
  const chain = "'a'+".repeat(2000) + "'a'";
  equal(compileCondition(chain).evaluate({}), "a".repeat(2001));
});

Deno.test("loops run out of their step budget quickly", () => {
  const list = Array.from({ length: 1000 }, (_, i) => `item-${i}`);
  const big: Scope = {
    target: { list, s: "a".repeat(65_536), n: Array.from({ length: 4096 }, (_, i) => i) },
  };
  const cases = [
    "any(any(any(x == y + z for x in target.list) for y in target.list) for z in target.list)",
    "[[x for x in target.list] for y in target.list]",
    "any(target.s.count('a') > 1000000000 for x in target.list)",
    "any(len(target.s.split('a')) < 0 for x in target.list)",
    "any(target.s.rsplit('a', 100000) == [] for x in target.list)",
    "any(target.s.replace('a', 'b') == '' for x in target.list)",
    "any(str(target.n) == '' for x in target.list)",
    "any(sorted(target.n) == [] for x in target.list)",
    "any(glob(target.s, '**/*b*') for x in target.list)",
    "any(' '.join(target.list) == '' for x in target.list)",
    "any(target.n.count(-1) for x in target.list)",
    "sum(1 for a in target.list for b in target.list)",
  ];
  for (const source of cases) {
    const condition = compileCondition(source);
    const ms = elapsed(() =>
      throws(
        () => condition.evaluate(big),
        (e) =>
          isCode("condition_runtime")(e) && /budget of 100000 steps/.test((e as Error).message),
        source,
      )
    );
    ok(ms < 1000, `${source} took ${ms} ms`);
  }
});

Deno.test("maxSteps bounds the work of one evaluation, and each evaluation starts afresh", () => {
  const condition = compileCondition("sum(1 for x in target.l)", { maxSteps: 50 });
  equal(condition.evaluate({ target: { l: Array(10).fill(0) } }), 10);
  equal(condition.evaluate({ target: { l: Array(10).fill(0) } }), 10);
  throws(() => condition.evaluate({ target: { l: Array(100).fill(0) } }), /budget of 50 steps/);
  throws(() => compileCondition("1", { maxSteps: 0 }), isCode("usage"));
});

Deno.test("results are sized before they are built", () => {
  const s = "a".repeat(65_536);
  const cases: Array<[string, RegExp]> = [
    ["target.s.replace('a', target.s)", /longer than 1048576 characters/],
    ["target.s" + ".replace(target.s, target.s + target.s)".repeat(5), /longer than 1048576/],
    ["target.s + target.s" + " + target.s".repeat(15), /longer than 1048576 characters/],
    ["target.s.join(target.l)", /longer than 1048576 characters/],
    ["str([target.s" + ", target.s".repeat(16) + "])", /longer than 1048576 characters/],
    ["target.s.split('')", /empty separator/],
    ["len((target.s + target.s).split('a'))", /more than 100000 items/],
    ["list(target.s + target.s)", /more than 100000 items/],
    ["target.s * 100", /repetition is not supported/],
  ];
  for (const [source, message] of cases) {
    throws(
      () => compileCondition(source).evaluate({ target: { s, l: Array(40).fill("x") } }),
      (e) => isCode("condition_runtime")(e) && message.test((e as Error).message),
      source,
    );
  }
  equal(CONDITION_LIMITS.stringLength, 1_048_576);
});

Deno.test("regex() runs in linear time on patterns that backtrack catastrophically elsewhere", async () => {
  const regex = await loadRegexCompiler();
  const cases = ["(a*)*b", "(a|aa)+$b", "(x+x+)+y", "^(a+)+$b"];
  const text = "a".repeat(100_000);
  for (const pattern of cases) {
    const condition = compileCondition(`regex(target.s, '${pattern}')`, { regex });
    const ms = elapsed(() => equal(condition.evaluate({ target: { s: text } }), false, pattern));
    ok(ms < 500, `${pattern} took ${ms} ms`);
  }
});

Deno.test({
  name: "compiling and evaluating a condition needs no permissions",
  permissions: {
    read: false,
    write: false,
    net: false,
    run: false,
    env: false,
    ffi: false,
    sys: false,
    import: false,
  },
  fn() {
    const condition = compileCondition(
      "any(glob(target.path, p) for p in ('/etc/**', '/usr/*')) or fnmatch(target.path, '*.env')",
    );
    equal(condition.test({ target: { path: "/etc/passwd" } }), true);
    equal(condition.test({ target: { path: "/home/x/.env" } }), true);
    equal(condition.test({ target: { path: "/home/x/a" } }), false);
  },
});
