/** The condition parser: tree shapes, syntax errors with their columns, and nesting limits. */
import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { parse } from "../../../../core/policy/expr/_parser.ts";
import { SourceText } from "../../../../core/policy/expr/_source.ts";
import type { Node } from "../../../../core/policy/expr/_ast.ts";
import { WatchtowerError } from "../../../../core/errors.ts";

const tree = (text: string): Node => parse(new SourceText(text));

/** A compact rendering of a tree, to compare shapes. */
function show(node: Node): string {
  switch (node.kind) {
    case "const":
      return JSON.stringify(node.value);
    case "name":
      return node.id;
    case "attr":
      return `${show(node.obj)}.${node.name}`;
    case "index":
      return `${show(node.obj)}[${show(node.index)}]`;
    case "slice":
      return `${show(node.obj)}[${
        [node.lower, node.upper, node.step].map((n) => n ? show(n) : "").join(":")
      }]`;
    case "call":
      return `${show(node.func)}(${
        [
          ...node.args.map(show),
          ...node.keywords.map((k) => `${k.name}=${show(k.value)}`),
        ].join(", ")
      })`;
    case "unary":
      return `(${node.op} ${show(node.operand)})`;
    case "bool":
      return `(${node.values.map(show).join(` ${node.op} `)})`;
    case "arith":
    case "compare":
      return `(${show(node.first)}${node.rest.map((r) => ` ${r.op} ${show(r.node)}`).join("")})`;
    case "if":
      return `(${show(node.body)} if ${show(node.test)} else ${show(node.orelse)})`;
    case "tuple":
    case "list":
      return `${node.kind}(${node.items.map(show).join(", ")})`;
    case "comp":
      return `${node.result}(${show(node.elt)}${
        node.clauses.map((c) =>
          ` for ${c.targets.map((t) => t.id).join(",")} in ${show(c.iter)}${
            c.ifs.map((i) => ` if ${show(i)}`).join("")
          }`
        ).join("")
      })`;
  }
}

Deno.test("parse() follows Python precedence and flattens operator chains", () => {
  const cases: Array<[string, string]> = [
    ["a or b and not c", "(a or (b and (not c)))"],
    ["a or b or c", "(a or b or c)"],
    ["not a == b", "(not (a == b))"],
    ["a + b * c - d", "(a + (b * c) - d)"],
    ["a * b // c % d", "(a * b // c % d)"],
    ["-a.b", "(- a.b)"],
    ["- -1", "1"],
    ["-(1)", "-1"],
    ["0 < x <= 10", "(0 < x <= 10)"],
    ["x not in y", "(x not in y)"],
    ["x is not None", "(x is not null)"],
    ["a if b else c if d else e", "(a if b else (c if d else e))"],
    ["f(x)[0].y", "f(x)[0].y"],
    ["(s[1:], s[:2], s[::-1], s[:])", "tuple(s[1::], s[:2:], s[::-1], s[::])"],
    ["split(sep=',', maxsplit=1)", 'split(sep=",", maxsplit=1)'],
    ["('a', 'b')", '["a","b"]'],
    ["(x,)", "tuple(x)"],
    ["[x, 1]", "list(x, 1)"],
    ["()", "[]"],
    ["'a' 'b'", '"ab"'],
    ["(x)", "x"],
    ["any(p for p in ps if p if q)", "any(gen(p for p in ps if p if q))"],
    ["[k for k, v in d for w in v]", "list(k for k,v in d for w in v)"],
    ["any((x for x in y))", "any(gen(x for x in y))"],
  ];
  for (const [text, want] of cases) equal(show(tree(text)), want, text);
});

Deno.test("parse() rejects malformed conditions with the column of the fault", () => {
  const cases: Array<[string, number, string]> = [
    ["", 1, "the condition is empty"],
    ["   ", 1, "the condition is empty"],
    ["(1 + 2", 7, "expected ')' to close '(' opened at col 1, found the end of the condition"],
    ["f(a, b", 7, "expected ')' to close '(' opened at col 2, found the end of the condition"],
    ["x and (y or z]", 14, "expected ')' to close '(' opened at col 7, found ']'"],
    ["[1, 2", 6, "expected ']' to close '[' opened at col 1"],
    ["1 2", 3, "unexpected number 2 after a complete expression"],
    ["target.path ==", 15, "expected an expression, found the end of the condition"],
    ["a..b", 3, "expected an attribute name after '.', found '.'"],
    ["a.1", 2, "unexpected number .1 after a complete expression"],
    ["a.if", 3, "expected an attribute name after '.', found 'if'"],
    ["a = 1", 3, "'=' is assignment: use '==' to compare"],
    ["a if b", 7, "expected 'else' for the 'if' at col 3"],
    ["lambda: 1", 1, "lambda is not supported"],
    ["x or lambda: 1", 6, "lambda is not supported"],
    ["yield x", 1, "'yield' is not supported"],
    ["a ** 2", 3, "operator '**' is not supported"],
    ["f(x for x in y, 1)", 3, "a generator expression must be the only argument"],
    ["f(1, x for x in y)", 6, "a generator expression must be the only argument"],
    ["f(a=1, 2)", 8, "a positional argument follows a keyword argument"],
    ["f(a=1, a=2)", 8, "keyword argument 'a' is repeated"],
    ["any(x for 1 in y)", 11, "expected a loop variable name, found number 1"],
    ["any(x for x y)", 13, "expected 'in' after the loop variables"],
    ["any(x for x, x in y)", 14, "loop variable 'x' is repeated"],
    ["s[1, 2]", 4, "tuple subscripts are not supported"],
    ["s[]", 3, "expected an expression, found ']'"],
    ["and", 1, "expected an expression, found 'and'"],
    ["x not y", 3, "unexpected 'not' after a complete expression"],
    ["x for x in y", 3, "unexpected 'for' after a complete expression"],
    ["*args", 1, "expected an expression, found '*'"],
  ];
  for (const [text, column, message] of cases) {
    throws(
      () => tree(text),
      (e) =>
        e instanceof WatchtowerError && e.code === "condition_syntax" &&
        e.location?.column === column &&
        e.message.startsWith(`Cannot parse condition: col ${column}: ${message}`),
      `${text} -> col ${column}: ${message}`,
    );
  }
});

Deno.test("parse() caps nesting without recursing deep, for every kind of nesting", () => {
  const deep = (text: string) =>
    throws(
      () => tree(text),
      (e) =>
        e instanceof WatchtowerError && e.code === "condition_syntax" &&
        /nested too deeply \(more than 64 levels\)/.test(e.message),
      text.slice(0, 30),
    );
  deep("(".repeat(2000) + "1" + ")".repeat(2000));
  deep("(".repeat(4000));
  deep("[".repeat(4000));
  deep("f(".repeat(1300));
  deep("x[".repeat(2000));
  deep("not ".repeat(2000) + "x");
  deep("-".repeat(100) + "x");
  deep("x" + ".a".repeat(100));
  deep("x" + "()".repeat(100));
  deep("a if b else ".repeat(700) + "c");
  deep("any(" + "x for x in ".repeat(700) + "y)");
  deep("any(".repeat(500) + "x" + " for x in y)".repeat(500));
  // Just inside the cap.
  equal(show(tree("(".repeat(64) + "1" + ")".repeat(64))), "1");
  equal(tree("not ".repeat(63) + "x").height, 64);
  // Long flat chains stay shallow.
  equal(tree("1" + " + 1".repeat(2000)).height, 2);
  equal(tree("a" + " and a".repeat(2000)).height, 2);
  equal(tree("a" + " < a".repeat(2000)).height, 2);
  deepStrictEqual(tree("- ".repeat(3000) + "1"), { kind: "const", pos: 0, height: 1, value: 1 });
});
