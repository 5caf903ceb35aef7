/**
 * Semantics of compiled conditions: the Watchtower 2.0 examples, and a table of expressions whose
 * expected values were produced by CPython 3.11 evaluating the same text.
 */
import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import {
  compileCondition,
  CONDITION_NAMES,
  type Scope,
  type ScopeValue,
  truthy,
} from "../../../../core/policy/expr/mod.ts";
import { WatchtowerError } from "../../../../core/errors.ts";

const run = (source: string, scope: Scope = {}): ScopeValue =>
  compileCondition(source).evaluate(scope);

Deno.test("compileCondition() evaluates the Watchtower 2.0 README examples verbatim", () => {
  const cases: Array<[string, Scope, boolean]> = [
    [
      "target.path.startswith('/home/') and '..' not in target.path",
      { target: { path: "/home/alice/notes.txt" } },
      true,
    ],
    [
      "target.path.startswith('/home/') and '..' not in target.path",
      { target: { path: "/home/alice/../../etc/shadow" } },
      false,
    ],
    [
      "target.path.startswith('/home/') and '..' not in target.path",
      { target: { path: "/etc/passwd" } },
      false,
    ],
    [
      "identity.capabilities.count('fs:read') > 0",
      { identity: { principal: "user:alice", capabilities: ["fs:read"] } },
      true,
    ],
    [
      "identity.capabilities.count('fs:read') > 0",
      { identity: { principal: "user:bob", capabilities: ["fs:write"] } },
      false,
    ],
    [
      "any(target.path.startswith(p) for p in ('/etc', '/usr'))",
      { target: { path: "/usr/bin/env" } },
      true,
    ],
    [
      "any(target.path.startswith(p) for p in ('/etc', '/usr'))",
      { target: { path: "/home/alice" } },
      false,
    ],
    ["target.path.startswith('/tmp/')", { target: { path: "/tmp/test.txt" } }, true],
    ["target.path.startswith('/tmp/')", { target: { path: "/tmpx/test.txt" } }, false],
  ];
  for (const [source, scope, want] of cases) {
    const condition = compileCondition(source);
    equal(condition.test(scope), want, source);
    equal(condition.evaluate(scope), want, source);
  }
});

Deno.test("compileCondition() reports the root names a condition reads", () => {
  const cases: Array<[string, string[]]> = [
    ["target.path.startswith('/tmp/')", ["target"]],
    ["identity.capabilities.count('fs:read') > 0 and zone == 'SAFE'", ["identity", "zone"]],
    ["any(p for p in context.cwd)", ["context"]],
    ["any(target for target in ('a',))", []],
    ["1 + 1", []],
    ["risk > 0.5 or intent.domain == 'http'", ["risk", "intent"]],
  ];
  for (const [source, names] of cases) {
    deepStrictEqual([...compileCondition(source).names].sort(), names.sort(), source);
  }
  deepStrictEqual([...CONDITION_NAMES], [
    "identity",
    "intent",
    "target",
    "context",
    "zone",
    "risk",
    "annotations",
  ]);
});

// Every value below is what CPython 3.11 prints for the same expression, with `target`,
// `context` and `intent` bound to {'a': 1}, {'a': 1, 'b': 2} and {'a': 2}.
const PYTHON_TABLE: Array<[string, unknown]> = [
  ["1 + 2 * 3", 7],
  ["7 / 2", 3.5],
  ["7 // 2", 3],
  ["-7 // 2", -4],
  ["7 % -3", -2],
  ["-7 % 3", 2],
  ["7.5 // 2", 3.0],
  ["-7.5 % 2", 0.5],
  ["2 - 3 - 4", -5],
  ["100 // 7 // 2", 7],
  ["1 == 1.0", true],
  ["True == 1", true],
  ["True + True", 2],
  ["[1, 2] == [1, 2]", true],
  ["[1, [2, 3]] == [1, [2, 3]]", true],
  ["[1, 2] < [1, 3]", true],
  ["[1, 2] < [1, 2, 0]", true],
  ["'abc' < 'abd'", true],
  ["0 < 1 <= 1 < 2", true],
  ["0 < 1 > 2", false],
  ["1 < 2 < 3 < 4 < 5", true],
  ["'a' in 'cat'", true],
  ["'x' not in 'cat'", true],
  ["2 in [1, 2, 3]", true],
  ["2.0 in [1, 2, 3]", true],
  ["'a' in target", true],
  ["None is None", true],
  ["None is not None", false],
  ["1 and 2", 2],
  ["0 and 2", 0],
  ["0 or ''", ""],
  ["'' or 'x'", "x"],
  ["None or 0 or [] or 'last'", "last"],
  ["not 0", true],
  ["not 'a'", false],
  ["not not []", false],
  ["1 if 0 else 2", 2],
  ["'yes' if 'x' else 'no'", "yes"],
  ["'abc'.startswith('ab')", true],
  ["'abc'.startswith(('x', 'a'))", true],
  ["'abc'.endswith(('x', 'bc'))", true],
  ["'abcabc'.startswith('c', 2)", true],
  ["'abcabc'.endswith('b', 0, 5)", true],
  ["'aaa'.count('a')", 3],
  ["'aaa'.count('aa')", 1],
  ["'aaa'.count('')", 4],
  ["'abcabc'.count('b', 2)", 1],
  ["'ABC'.lower()", "abc"],
  ["'abc'.upper()", "ABC"],
  ["'  x  '.strip()", "x"],
  ["'xxhixx'.strip('x')", "hi"],
  ["'  x  '.lstrip()", "x  "],
  ["'  x  '.rstrip()", "  x"],
  ["'a,b,,c'.split(',')", ["a", "b", "", "c"]],
  ["'a b  c'.split()", ["a", "b", "c"]],
  ["'  a b  c  '.split(None, 1)", ["a", "b  c  "]],
  ["'a,b,c'.split(',', 1)", ["a", "b,c"]],
  ["'a,b,c'.rsplit(',', 1)", ["a,b", "c"]],
  ["'  a b  c  '.rsplit(None, 1)", ["  a b", "c"]],
  ["'a b c'.rsplit()", ["a", "b", "c"]],
  ["'aaa'.replace('a', 'bb')", "bbbbbb"],
  ["'aaa'.replace('a', 'b', 2)", "bba"],
  ["'abc'.replace('', '-')", "-a-b-c-"],
  ["'abc'.replace('', '-', 2)", "-a-bc"],
  ["'abc'.find('c')", 2],
  ["'abc'.find('z')", -1],
  ["'abcabc'.rfind('b')", 4],
  ["'abcabc'.find('b', 2)", 4],
  ["'abcabc'.rfind('b', 0, 4)", 1],
  ["'abc'.index('b')", 1],
  ["'-'.join(['a', 'b'])", "a-b"],
  ["''.join('abc')", "abc"],
  ["'..'.join([])", ""],
  ["'123'.isdigit()", true],
  ["''.isdigit()", false],
  ["'abc'.isalpha()", true],
  ["'ab1'.isalnum()", true],
  ["' \\t'.isspace()", true],
  ["'a=b=c'.partition('=')", ["a", "=", "b=c"]],
  ["'abc'.partition('=')", ["abc", "", ""]],
  ["'a=b=c'.rpartition('=')", ["a=b", "=", "c"]],
  ["'abc'.rpartition('=')", ["", "", "abc"]],
  ["'prefix_x'.removeprefix('prefix_')", "x"],
  ["'x.txt'.removesuffix('.txt')", "x"],
  ["'abc'.islower()", true],
  ["'ABC'.isupper()", true],
  ["'aB'.islower()", false],
  ["[1, 2, 1].count(1)", 2],
  ["[1, 2, 1].index(2)", 1],
  ["(1, 'a').count('a')", 1],
  ["target.get('a')", 1],
  ["target.get('b')", null],
  ["target.get('b', 2)", 2],
  ["len('abc')", 3],
  ["len([1, 2])", 2],
  ["len(context)", 2],
  ["min([3, 1, 2])", 1],
  ["max([3, 1, 2])", 3],
  ["min(3, 1, 2)", 1],
  ["max('abc')", "c"],
  ["max([], default=5)", 5],
  ["min(['b', 'a'])", "a"],
  ["sum([1, 2, 3])", 6],
  ["sum([1, 2], 10)", 13],
  ["sum([0.1, 0.2])", 0.30000000000000004],
  ["abs(-3)", 3],
  ["abs(-2.5)", 2.5],
  ["str(1)", "1"],
  ["str(1.5)", "1.5"],
  ["str(None)", "None"],
  ["str(True)", "True"],
  ["str([1, 'a', None])", "[1, 'a', None]"],
  ["str(1e20)", "1e+20"],
  ["str(1e-05)", "1e-05"],
  ["str(0.0001)", "0.0001"],
  ["str(123456789.125)", "123456789.125"],
  ["str(1.5e16)", "1.5e+16"],
  ["str(-0.5)", "-0.5"],
  ["int('42')", 42],
  ["int(' -1_0 ')", -10],
  ["int('ff', 16)", 255],
  ["int('0x1f', 16)", 31],
  ["int(3.9)", 3],
  ["int(-3.9)", -3],
  ["int(True)", 1],
  ["float('1.5')", 1.5],
  ["float(' 2 ')", 2.0],
  ["float('.5')", 0.5],
  ["float('1e3')", 1000.0],
  ["float(3)", 3.0],
  ["bool(0)", false],
  ["bool('x')", true],
  ["bool([])", false],
  ["sorted([3, 1, 2])", [1, 2, 3]],
  ["sorted(['b', 'a', 'c'], reverse=True)", ["c", "b", "a"]],
  ["sorted('cba')", ["a", "b", "c"]],
  ["list('ab')", ["a", "b"]],
  ["tuple([1, 2])", [1, 2]],
  ["any([0, 0, 1])", true],
  ["all([1, 1, 0])", false],
  ["any([])", false],
  ["all([])", true],
  ["any(x > 2 for x in [1, 2, 3])", true],
  ["all(x > 0 for x in [1, 2, 3])", true],
  ["any(x == y for x in [1, 2] for y in [2, 3])", true],
  ["[x * 2 for x in [1, 2, 3] if x != 2]", [2, 6]],
  ["[(a, b) for a in [1, 2] for b in 'xy']", [[1, "x"], [1, "y"], [2, "x"], [2, "y"]]],
  ["[k for k in context]", ["a", "b"]],
  ["sum(x for x in [1, 2, 3] if x > 1)", 5],
  ["max(x for x in [4, 9, 2])", 9],
  ["sorted(x for x in 'bca')", ["a", "b", "c"]],
  ["len([c for c in 'hello' if c == 'l'])", 2],
  ["[k + '=' + str(v) for k, v in target.items()]", ["a=1"]],
  ["[a + b for (a, b) in [('x', 'y'), ('p', 'q')]]", ["xy", "pq"]],
  ["target.keys()", ["a"]],
  ["target.values()", [1]],
  ["target.items()", [["a", 1]]],
  ["'abcdef'[1:3]", "bc"],
  ["'abcdef'[-2:]", "ef"],
  ["'abcdef'[::2]", "ace"],
  ["'abcdef'[::-1]", "fedcba"],
  ["'abcdef'[5:1:-2]", "fd"],
  ["[1, 2, 3, 4][1:]", [2, 3, 4]],
  ["[1, 2, 3, 4][::-1]", [4, 3, 2, 1]],
  ["[1, 2, 3][-1]", 3],
  ["'abc'[0]", "a"],
  ["'abc'[-1]", "c"],
  ["'a' + 'b'", "ab"],
  ["[1] + [2]", [1, 2]],
  ["'a' 'b'", "ab"],
  ["r'\\d+'", "\\d+"],
  ["'\\x41\\u0042\\n'", "AB\n"],
  ["'\\101'", "A"],
  ["'it''s'", "its"],
  ['"it\'s"', "it's"],
  ["'''tri'ple'''", "tri'ple"],
  ["0x1f + 0o17 + 0b11", 49],
  ["1_000_000", 1000000],
  ["1.5e3", 1500.0],
  [".5 + 1.", 1.5],
  ["-(-3)", 3],
  ["+True", 1],
  ["- - 2", 2],
  ["(1, 2) + (3,)", [1, 2, 3]],
  ["() == ()", true],
  ["(1,) == (1,)", true],
  ["[] == []", true],
  ["10 - 2 - 3", 5],
  ["2 * 3 % 4", 2],
  ["1 + 2 == 3 and 4 > 3", true],
  ["not 1 == 2", true],
  ["1 < 2 == True", false],
  ["'ab' * 1 if False else 'z'", "z"],
  ["None == 0", false],
  ["0 == False", true],
  ["'' == False", false],
  ["[1, 2] != [1, 2]", false],
  ["target == target", true],
  ["target == intent", false],
  // Corner cases: keywords, negative bounds, case mapping, records compared and printed.
  ["target == target", true],
  ["target == intent", false],
  ["context == target", false],
  ["[target] == [target]", true],
  ["str(context)", "{'a': 1, 'b': 2}"],
  ["str(['a\\n', \"it's\", '\\\\', '\\x01'])", "['a\\n', \"it's\", '\\\\', '\\x01']"],
  ["'abcabc'.rindex('b')", 4],
  ["'abcabc'.rfind('z')", -1],
  ["'abc'.find('', 5)", -1],
  ["'abc'.find('b', -2)", 1],
  ["''.isspace()", false],
  ["'a,b,c'.split(maxsplit=1)", ["a,b,c"]],
  ["'a,b,c'.split(sep=',', maxsplit=1)", ["a", "b,c"]],
  ["'a b c'.rsplit(' ', 1)", ["a b", "c"]],
  ["'a,b,,c'.rsplit(',')", ["a", "b", "", "c"]],
  ["'a b c'.rsplit(None, 5)", ["a", "b", "c"]],
  ["int('101', base=2)", 5],
  ["'abc'.startswith('a', 5)", false],
  ["'abc'.count('a', 2, 1)", 0],
  ["'abcabc'.count('b', -3)", 1],
  ["'hello'.endswith('l', -3, -1)", true],
  ["sum([], 5)", 5],
  ["sum([True, 2])", 3],
  ["min('b', 'a', 'c')", "a"],
  ["max([1, 2], default=0)", 2],
  ["min([], default=None)", null],
  ["sorted([2.5, 1, True])", [1, true, 2.5]],
  ["sorted([[2], [1, 5], [1]])", [[1], [1, 5], [2]]],
  ["abs(-0.0)", 0.0],
  ["bool(None)", false],
  ["float(True)", 1.0],
  ["int('-0')", 0],
  ["'x'.join(['a'])", "a"],
  ["''.join([])", ""],
  ["len('')", 0],
  ["'a' < 'b' < 'c'", true],
  ["[1, 2] <= [1, 2]", true],
  ["(1, 2) > (1,)", true],
  ["'é'.upper()", "É"],
  ["'ß'.upper()", "SS"],
  ["'İ'.lower()", "i̇"],
  ["'   '.split()", []],
  ["''.split(',')", [""]],
  ["'a\\tb\\nc'.split()", ["a", "b", "c"]],
  ["'  lead'.lstrip()", "lead"],
  ["'xxhixx'.rstrip('x')", "xxhi"],
  ["'hi'.strip('')", "hi"],
  ["[x for x in 'abc'][1]", "b"],
  ["'abcdef'[1:-1:2]", "bd"],
  ["'abcdef'[-100:100]", "abcdef"],
  ["[1, 2, 3][5:]", []],
  ["[1, 2, 3][::-2]", [3, 1]],
  ["'abc'[-3]", "a"],
  ["None is None is None", true],
  ["1 if [] else 2 if '' else 3", 3],
  ["not ()", true],
  ["[] or ()", []],
  ["2 * 3.5", 7.0],
  ["7 / 7", 1.0],
  ["-7 // 2.0", -4.0],
  ["5 % 2.5", 0.0],
  ["'a' 'b' 'c' == 'abc'", true],
  ["any(x for x in '')", false],
  ["all(x for x in [])", true],
  ["target.get('a') + 1", 2],
  ["[v for k, v in context.items() if k == 'b']", [2]],
  ["sorted(context)", ["a", "b"]],
  ["sorted(context.keys(), reverse=True)", ["b", "a"]],
  ["max(context)", "b"],
  ["'b' in context.values()", false],
  ["2 in context.values()", true],
  ["list(context)", ["a", "b"]],
  ["len(context.items())", 2],
];

Deno.test("compileCondition() matches CPython on a table of operators, methods and builtins", () => {
  const scope: Scope = { target: { a: 1 }, context: { a: 1, b: 2 }, intent: { a: 2 } };
  for (const [source, want] of PYTHON_TABLE) {
    deepStrictEqual(run(source, scope), want, source);
  }
});

Deno.test("truthy() follows Python truthiness", () => {
  const cases: Array<[ScopeValue, boolean]> = [
    [null, false],
    [false, false],
    [true, true],
    [0, false],
    [-1, true],
    [0.5, true],
    ["", false],
    ["0", true],
    [[], false],
    [[null], true],
    [{}, false],
    [{ a: null }, true],
  ];
  for (const [value, want] of cases) equal(truthy(value), want, JSON.stringify(value));
  equal(truthy(Object.create({ inherited: 1 })), false, "inherited keys do not count");
});

Deno.test("and/or return an operand, and short-circuit before a failing operand", () => {
  const cases: Array<[string, ScopeValue]> = [
    ["target.path or 'default'", "/p"],
    ["target.missing or 'default'", "default"],
    ["target.path and target.missing", null],
    ["target.missing and target.missing.startswith('x')", null],
    ["target.path or 1 / 0", "/p"],
    ["False and 1 / 0", false],
    ["'' or [] or 0", 0],
  ];
  for (const [source, want] of cases) {
    deepStrictEqual(run(source, { target: { path: "/p" } }), want, source);
  }
});

Deno.test("chained comparisons evaluate each operand once and stop at the first false link", () => {
  const cases: Array<[string, Scope, boolean]> = [
    ["0 < risk <= 10", { risk: 10 }, true],
    ["0 < risk <= 10", { risk: 0 }, false],
    ["0 < risk <= 10", { risk: 11 }, false],
    ["1 < 2 > 1", {}, true],
    ["risk < 0 < 1 / 0", { risk: 1 }, false],
    ["'a' < zone < 'z'", { zone: "m" }, true],
  ];
  for (const [source, scope, want] of cases) equal(run(source, scope), want, source);
});

Deno.test("in works on strings, sequences and record keys", () => {
  const scope: Scope = {
    target: { path: "/home/a/../b", args: ["-r", "-f"], env: { HOME: "/h" } },
    identity: { capabilities: ["fs:read"] },
  };
  const cases: Array<[string, boolean]> = [
    ["'..' in target.path", true],
    ["'..' not in target.path", false],
    ["'-f' in target.args", true],
    ["'-x' in target.args", false],
    ["'HOME' in target.env", true],
    ["'PATH' in target.env", false],
    ["'toString' in target.env", false],
    ["'constructor' in target.env", false],
    ["'fs:read' in identity.capabilities", true],
    ["1 in [1.0, 2]", true],
    ["[1] in [[1], [2]]", true],
    ["target.path in ('/a', '/home/a/../b')", true],
    ["3 in ('a', 'b')", false],
    ["target.missing in ('a', 'b')", false],
    ["target.missing not in ('a', 'b')", true],
  ];
  for (const [source, want] of cases) equal(run(source, scope), want, source);
});

Deno.test("startswith and endswith accept a tuple of prefixes, as in Python", () => {
  const scope: Scope = { target: { path: "/etc/passwd" } };
  const cases: Array<[string, boolean]> = [
    ["target.path.startswith(('/usr', '/etc'))", true],
    ["target.path.startswith(('/usr', '/var'))", false],
    ["target.path.startswith(['/usr', '/etc'])", true],
    ["target.path.endswith(('.txt', 'passwd'))", true],
    ["target.path.startswith(())", false],
    ["target.path.startswith('passwd', 5)", true],
    ["target.path.endswith('/etc', 0, 4)", true],
  ];
  for (const [source, want] of cases) equal(run(source, scope), want, source);
});

Deno.test("records expose only their own fields; absent fields read as None", () => {
  const inherited = Object.create({ secret: "from the prototype" });
  inherited.own = "mine";
  const scope: Scope = { target: inherited, context: { cwd: "/w", session: undefined as never } };
  const cases: Array<[string, ScopeValue]> = [
    ["target.own", "mine"],
    ["target.secret", null],
    ["target['secret']", null],
    ["target.get('secret', 'none')", "none"],
    ["'secret' in target", false],
    ["target.toString", null],
    ["target.hasOwnProperty", null],
    ["target.valueOf is None", true],
    ["context.session", null],
    ["context.session is None", true],
    ["context.nothing is None", true],
    ["context['cwd']", "/w"],
    ["context[1]", null],
    ["context.keys()", ["cwd", "session"]],
    ["len(context)", 2],
    ["zone is None", true],
  ];
  for (const [source, want] of cases) deepStrictEqual(run(source, scope), want, source);
});

Deno.test("comprehension variables are scoped to their comprehension", () => {
  const scope: Scope = {
    target: { paths: ["/a/x", "/b/y"], pairs: [["k", 1], ["j", 2]] },
    identity: { capabilities: ["fs:read", "net:fetch"] },
  };
  const cases: Array<[string, ScopeValue]> = [
    ["[p.upper() for p in target.paths]", ["/A/X", "/B/Y"]],
    ["any(c.startswith('net:') for c in identity.capabilities)", true],
    ["all(c.startswith('fs:') for c in identity.capabilities)", false],
    ["any(p.startswith(d) for d in ('/a', '/c') for p in target.paths)", true],
    ["[p for p in target.paths if p.endswith('y') if p.startswith('/b')]", ["/b/y"]],
    ["[k for k, v in target.pairs if v > 1]", ["j"]],
    ["[k + str(v) for (k, v) in target.pairs]", ["k1", "j2"]],
    ["any(target for target in target.paths)", true],
    ["[[y for y in x] for x in ('ab', 'c')]", [["a", "b"], ["c"]]],
    ["sum(len(p) for p in target.paths)", 8],
    ["max(len(p) for p in target.paths)", 4],
    ["len([c for c in identity.capabilities])", 2],
    ["sorted(p for p in target.paths)", ["/a/x", "/b/y"]],
    ["list(p for p in target.paths if 'x' in p)", ["/a/x"]],
  ];
  for (const [source, want] of cases) deepStrictEqual(run(source, scope), want, source);
  equal(run("any(x > 0 for x in (1, 'a'))"), true, "a generator stops at the first true item");
  throws(
    () => run("any([x > 0 for x in (1, 'a')])"),
    /'>' is not supported/,
    "a list is built whole",
  );
  throws(() => compileCondition("any(x for x in [1]) and x"), /unknown name 'x'/);
  throws(() => compileCondition("[y for x in [1] if y for y in [2]]"), /unknown name 'y'/);
});

Deno.test("path builtins follow Python's os.path", () => {
  const cases: Array<[string, string]> = [
    ["basename('/a/b.txt')", "b.txt"],
    ["basename('/a/b/')", ""],
    ["basename('b')", "b"],
    ["dirname('/a/b.txt')", "/a"],
    ["dirname('/a')", "/"],
    ["dirname('a')", ""],
    ["dirname('/a/b//c')", "/a/b"],
    ["dirname('//a')", "//"],
    ["dirname('a/b/')", "a/b"],
  ];
  for (const [source, want] of cases) equal(run(source), want, source);
});

Deno.test("glob() is path-aware and fnmatch() lets '*' cross '/'", () => {
  const scope: Scope = { target: { path: "/home/me/project/.env", pattern: "/home/*/project/*" } };
  const cases: Array<[string, boolean]> = [
    ["glob(target.path, '**/.env')", true],
    ["glob(target.path, '/home/*/.env')", false],
    ["glob(target.path, '/home/*/project/.env')", true],
    ["glob('/tmp/a/b', '/tmp/*')", false],
    ["glob('/tmp/a', '/tmp/*')", true],
    ["fnmatch('/tmp/a/b', '/tmp/*')", true],
    ["fnmatch(target.path, '*.env')", true],
    ["glob(target.path, target.pattern)", true],
    ["any(glob(target.path, p) for p in ('/etc/**', '/home/**'))", true],
  ];
  for (const [source, want] of cases) equal(run(source, scope), want, source);
});

Deno.test("evaluate() returns fresh lists that callers cannot use to corrupt the condition", () => {
  const condition = compileCondition("[1, 2] + target.l");
  const first = condition.evaluate({ target: { l: [3] } }) as ScopeValue[];
  first.push(99);
  deepStrictEqual(condition.evaluate({ target: { l: [3] } }), [1, 2, 3]);
  const literal = compileCondition("('a', 'b')").evaluate({});
  ok(Object.isFrozen(literal), "constant tuples are frozen");
});

Deno.test("numbers stay finite and integers stay within ±2**53", () => {
  const cases: Array<[string, RegExp]> = [
    ["9007199254740991 + 1", /beyond the supported/],
    ["3037000500 * 3037000500", /beyond the supported/],
    ["1e308 * 10", /out of range/],
    ["int(1e300)", /beyond the supported/],
    ["float('inf')", /finite numbers only/],
    ["float('1e999')", /out of range/],
  ];
  for (const [source, message] of cases) {
    throws(
      () => run(source),
      (e) => e instanceof WatchtowerError && message.test(e.message),
      source,
    );
  }
  equal(run("9007199254740990 + 1"), 9007199254740991);
  equal(run("2.5e300 * 2"), 5e300);
});

Deno.test("test() is the truthiness of evaluate()", () => {
  const condition = compileCondition("target.tags");
  equal(condition.test({ target: { tags: [] } }), false);
  equal(condition.test({ target: { tags: ["x"] } }), true);
  equal(condition.test({ target: {} }), false);
  ok(compileCondition("'x'").test({}));
  throws(() => condition.test({}), /'NoneType' has no attribute 'tags'/, "a missing root is None");
});
