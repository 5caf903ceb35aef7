/**
 * The condition parser: recursive descent over Python's expression grammar (the subset conditions
 * allow). Recursion happens only at brackets and `else` branches, each guarded by a depth counter,
 * and operator chains are parsed in loops into flat nodes, so no input can overflow the stack:
 * 10,000 `(` or `not`s end in a clean condition_syntax error.
 * @module
 */
import type { Clause, Comp, Compare, Const, Keyword, Node, Operand, Target } from "./_ast.ts";
import { type Token, tokenize } from "./_lexer.ts";
import { CONDITION_LIMITS } from "./_limits.ts";
import type { SourceText } from "./_source.ts";
import type { Value } from "./_values.ts";

/** Python keywords: never names, never attribute names. */
const KEYWORDS = new Set([
  "False",
  "None",
  "True",
  "and",
  "as",
  "assert",
  "async",
  "await",
  "break",
  "class",
  "continue",
  "def",
  "del",
  "elif",
  "else",
  "except",
  "finally",
  "for",
  "from",
  "global",
  "if",
  "import",
  "in",
  "is",
  "lambda",
  "nonlocal",
  "not",
  "or",
  "pass",
  "raise",
  "return",
  "try",
  "while",
  "with",
  "yield",
]);

const COMPARISON_OPS = new Set(["==", "!=", "<", "<=", ">", ">="]);

/** Parses a condition into a tree. Throws condition_syntax with the column of the fault. */
export function parse(src: SourceText): Node {
  return new Parser(src, tokenize(src)).parseCondition();
}

class Parser {
  #at = 0;
  #depth = 0;

  constructor(readonly src: SourceText, readonly tokens: Token[]) {}

  parseCondition(): Node {
    if (this.#peek().kind === "end") throw this.src.error(0, "the condition is empty");
    const node = this.#expression();
    const token = this.#peek();
    if (token.kind !== "end") {
      if (this.#isOp("=")) {
        throw this.src.error(token.pos, "'=' is assignment: use '==' to compare");
      }
      throw this.src.error(token.pos, `unexpected ${describe(token)} after a complete expression`);
    }
    return node;
  }

  // --- token helpers

  #peek(offset = 0): Token {
    return this.tokens[Math.min(this.#at + offset, this.tokens.length - 1)]!;
  }

  #next(): Token {
    const token = this.#peek();
    if (token.kind !== "end") this.#at++;
    return token;
  }

  #isOp(text: string, offset = 0): boolean {
    const token = this.#peek(offset);
    return token.kind === "op" && token.text === text;
  }

  #isKeyword(word: string, offset = 0): boolean {
    const token = this.#peek(offset);
    return token.kind === "name" && token.text === word;
  }

  #error(message: string, token = this.#peek()): never {
    throw this.src.error(token.pos, message);
  }

  #close(text: string, open: Token): void {
    if (this.#isOp(text)) {
      this.#next();
      return;
    }
    const opened = this.src.where(open.pos).label;
    this.#error(
      `expected '${text}' to close '${open.text}' opened at ${opened}, found ${
        describe(this.#peek())
      }`,
    );
  }

  /** Runs a nested parse (inside brackets or an `else`) under the depth cap. */
  #nested<T>(token: Token, parse: () => T): T {
    if (++this.#depth > CONDITION_LIMITS.depth) {
      this.#error(
        `the condition is nested too deeply (more than ${CONDITION_LIMITS.depth} levels)`,
        token,
      );
    }
    try {
      return parse();
    } finally {
      this.#depth--;
    }
  }

  /** Checks a new node's height: deep trees would make compiling and evaluating recurse deep. */
  #node<T extends Node>(node: T): T {
    if (node.height > CONDITION_LIMITS.depth) {
      throw this.src.error(
        node.pos,
        `the condition is nested too deeply (more than ${CONDITION_LIMITS.depth} levels)`,
      );
    }
    return node;
  }

  // --- grammar, loosest binding first

  /** expression: or_test ['if' or_test 'else' expression] */
  #expression(): Node {
    if (this.#isKeyword("lambda")) this.#error("lambda is not supported");
    const body = this.#or();
    if (!this.#isKeyword("if")) return body;
    const ifToken = this.#next();
    const test = this.#or();
    if (!this.#isKeyword("else")) {
      this.#error(
        `expected 'else' for the 'if' at ${this.src.where(ifToken.pos).label}, found ${
          describe(this.#peek())
        }`,
      );
    }
    const elseToken = this.#next();
    const orelse = this.#nested(elseToken, () => this.#expression());
    return this.#node({
      kind: "if",
      pos: ifToken.pos,
      height: 1 + Math.max(body.height, test.height, orelse.height),
      test,
      body,
      orelse,
    });
  }

  #or(): Node {
    return this.#boolChain("or", () => this.#and());
  }

  #and(): Node {
    return this.#boolChain("and", () => this.#not());
  }

  #boolChain(op: "and" | "or", operand: () => Node): Node {
    const first = operand();
    if (!this.#isKeyword(op)) return first;
    const values = [first];
    const pos = this.#peek().pos;
    while (this.#isKeyword(op)) {
      this.#next();
      values.push(operand());
    }
    return this.#node({ kind: "bool", op, pos, height: 1 + maxHeight(values), values });
  }

  /** `not` chains are counted in a loop, not parsed by recursion. */
  #not(): Node {
    const nots: Token[] = [];
    while (this.#isKeyword("not")) nots.push(this.#next());
    let node = this.#comparison();
    for (let i = nots.length - 1; i >= 0; i--) {
      node = this.#node({
        kind: "unary",
        op: "not",
        pos: nots[i]!.pos,
        height: node.height + 1,
        operand: node,
      });
    }
    return node;
  }

  #comparison(): Node {
    const first = this.#arith();
    const rest: Operand[] = [];
    for (;;) {
      const token = this.#peek();
      let op: string;
      if (token.kind === "op" && COMPARISON_OPS.has(token.text)) {
        op = token.text;
        this.#next();
      } else if (this.#isKeyword("in")) {
        op = "in";
        this.#next();
      } else if (this.#isKeyword("not") && this.#isKeyword("in", 1)) {
        op = "not in";
        this.#next();
        this.#next();
      } else if (this.#isKeyword("is")) {
        this.#next();
        op = "is";
        if (this.#isKeyword("not")) {
          this.#next();
          op = "is not";
        }
      } else break;
      rest.push({ op, pos: token.pos, node: this.#arith() });
    }
    if (rest.length === 0) return first;
    const node: Compare = {
      kind: "compare",
      pos: rest[0]!.pos,
      height: 1 + Math.max(first.height, maxHeight(rest.map((r) => r.node))),
      first,
      rest,
    };
    return this.#node(node);
  }

  #arith(): Node {
    return this.#chain(["+", "-"], () => this.#term());
  }

  #term(): Node {
    return this.#chain(["*", "/", "//", "%"], () => this.#unary());
  }

  /** A left-to-right chain of one precedence level, flattened into one node. */
  #chain(ops: readonly string[], operand: () => Node): Node {
    const first = operand();
    const rest: Operand[] = [];
    for (;;) {
      const token = this.#peek();
      if (token.kind !== "op" || !ops.includes(token.text)) break;
      this.#next();
      rest.push({ op: token.text, pos: token.pos, node: operand() });
    }
    if (rest.length === 0) return first;
    return this.#node({
      kind: "arith",
      pos: rest[0]!.pos,
      height: 1 + Math.max(first.height, maxHeight(rest.map((r) => r.node))),
      first,
      rest,
    });
  }

  /** Unary `-`/`+` chains are counted in a loop; `-<number>` folds into a literal. */
  #unary(): Node {
    const signs: Token[] = [];
    while (this.#isOp("-") || this.#isOp("+")) signs.push(this.#next());
    let node = this.#power();
    for (let i = signs.length - 1; i >= 0; i--) {
      const sign = signs[i]!;
      if (node.kind === "const" && typeof node.value === "number") {
        const value = sign.text === "-" ? -node.value : node.value;
        node = { kind: "const", pos: sign.pos, height: 1, value: value === 0 ? 0 : value };
        continue;
      }
      node = this.#node({
        kind: "unary",
        op: sign.text === "-" ? "-" : "+",
        pos: sign.pos,
        height: node.height + 1,
        operand: node,
      });
    }
    return node;
  }

  #power(): Node {
    const node = this.#primary();
    if (this.#isOp("**")) this.#error("operator '**' is not supported");
    return node;
  }

  /** An atom followed by `.name`, `[...]` and `(...)` trailers. */
  #primary(): Node {
    let node = this.#atom();
    for (;;) {
      if (this.#isOp(".")) {
        this.#next();
        const name = this.#peek();
        if (name.kind !== "name" || KEYWORDS.has(name.text)) {
          this.#error(`expected an attribute name after '.', found ${describe(name)}`);
        }
        this.#next();
        node = this.#node({
          kind: "attr",
          pos: name.pos,
          height: node.height + 1,
          obj: node,
          name: name.text,
        });
      } else if (this.#isOp("(")) {
        const open = this.#next();
        const func = node;
        node = this.#nested(open, () => this.#call(func, open));
      } else if (this.#isOp("[")) {
        const open = this.#next();
        const obj = node;
        node = this.#nested(open, () => this.#subscript(obj, open));
      } else {
        return node;
      }
    }
  }

  #call(func: Node, open: Token): Node {
    const args: Node[] = [];
    const keywords: Keyword[] = [];
    while (!this.#isOp(")")) {
      const token = this.#peek();
      if (token.kind === "name" && !KEYWORDS.has(token.text) && this.#isOp("=", 1)) {
        this.#next();
        this.#next();
        if (keywords.some((k) => k.name === token.text)) {
          this.#error(`keyword argument '${token.text}' is repeated`, token);
        }
        keywords.push({ name: token.text, pos: token.pos, value: this.#expression() });
      } else {
        if (keywords.length > 0) this.#error("a positional argument follows a keyword argument");
        let arg = this.#expression();
        if (this.#isKeyword("for")) {
          arg = this.#comprehension(arg, "gen");
          if (args.length > 0 || !this.#isOp(")")) {
            this.#error(
              "a generator expression must be the only argument or be in parentheses",
              token,
            );
          }
        }
        args.push(arg);
      }
      if (!this.#isOp(",")) break;
      this.#next();
    }
    this.#close(")", open);
    const children = [func, ...args, ...keywords.map((k) => k.value)];
    return this.#node({
      kind: "call",
      pos: func.pos,
      height: 1 + maxHeight(children),
      func,
      args,
      keywords,
    });
  }

  #subscript(obj: Node, open: Token): Node {
    const lower = this.#isOp(":") ? undefined : this.#expression();
    if (lower !== undefined && !this.#isOp(":")) {
      if (this.#isOp(",")) this.#error("tuple subscripts are not supported");
      this.#close("]", open);
      return this.#node({
        kind: "index",
        pos: open.pos,
        height: 1 + Math.max(obj.height, lower.height),
        obj,
        index: lower,
      });
    }
    this.#next(); // the first ':'
    const upper = this.#isOp(":") || this.#isOp("]") ? undefined : this.#expression();
    let step: Node | undefined;
    if (this.#isOp(":")) {
      this.#next();
      step = this.#isOp("]") ? undefined : this.#expression();
    }
    this.#close("]", open);
    return this.#node({
      kind: "slice",
      pos: open.pos,
      height: 1 + maxHeight([obj, lower, upper, step]),
      obj,
      lower,
      upper,
      step,
    });
  }

  #atom(): Node {
    const token = this.#peek();
    switch (token.kind) {
      case "number":
        this.#next();
        return { kind: "const", pos: token.pos, height: 1, value: token.value };
      case "string": {
        // Adjacent literals concatenate, as in Python ('a' 'b' is 'ab').
        let value = "";
        while (this.#peek().kind === "string") value += this.#next().value as string;
        return { kind: "const", pos: token.pos, height: 1, value };
      }
      case "name":
        return this.#nameAtom(token);
      case "op":
        if (token.text === "(") {
          this.#next();
          return this.#nested(token, () => this.#parenthesized(token));
        }
        if (token.text === "[") {
          this.#next();
          return this.#nested(token, () => this.#list(token));
        }
    }
    return this.#error(`expected an expression, found ${describe(token)}`);
  }

  #nameAtom(token: Token): Node {
    const constants: Record<string, Value> = { True: true, False: false, None: null };
    if (Object.hasOwn(constants, token.text)) {
      this.#next();
      return { kind: "const", pos: token.pos, height: 1, value: constants[token.text]! };
    }
    if (token.text === "lambda") this.#error("lambda is not supported");
    if (token.text === "yield" || token.text === "await") {
      this.#error(`'${token.text}' is not supported`);
    }
    if (KEYWORDS.has(token.text)) this.#error(`expected an expression, found ${describe(token)}`);
    this.#next();
    return { kind: "name", pos: token.pos, height: 1, id: token.text };
  }

  /** `()`, `(x)`, `(x,)`, `(x, y)`, `(x for ...)`. */
  #parenthesized(open: Token): Node {
    if (this.#isOp(")")) {
      this.#next();
      return { kind: "const", pos: open.pos, height: 1, value: Object.freeze([]) };
    }
    const first = this.#expression();
    if (this.#isKeyword("for")) {
      const comp = this.#comprehension(first, "gen");
      this.#close(")", open);
      return comp;
    }
    if (!this.#isOp(",")) {
      this.#close(")", open);
      return first;
    }
    const items = this.#items(first, ")");
    this.#close(")", open);
    return this.#sequence("tuple", open.pos, items);
  }

  /** `[]`, `[x, y]`, `[x for ...]`. */
  #list(open: Token): Node {
    if (this.#isOp("]")) {
      this.#next();
      return { kind: "const", pos: open.pos, height: 1, value: Object.freeze([]) };
    }
    const first = this.#expression();
    if (this.#isKeyword("for")) {
      const comp = this.#comprehension(first, "list");
      this.#close("]", open);
      return comp;
    }
    const items = this.#isOp(",") ? this.#items(first, "]") : [first];
    this.#close("]", open);
    return this.#sequence("list", open.pos, items);
  }

  /** The rest of a comma-separated display; a trailing comma is allowed. */
  #items(first: Node, closer: string): Node[] {
    const items = [first];
    while (this.#isOp(",")) {
      this.#next();
      if (this.#isOp(closer)) break;
      items.push(this.#expression());
    }
    return items;
  }

  /** Displays of literals fold into one frozen constant, built once. */
  #sequence(kind: "tuple" | "list", pos: number, items: Node[]): Node {
    if (items.every((item): item is Const => item.kind === "const")) {
      return { kind: "const", pos, height: 1, value: Object.freeze(items.map((i) => i.value)) };
    }
    return this.#node({ kind, pos, height: 1 + maxHeight(items), items });
  }

  /** `elt for targets in iter [if cond]... [for ...]`, the current token being `for`. */
  #comprehension(elt: Node, result: "gen" | "list"): Comp {
    const clauses: Clause[] = [];
    const pos = this.#peek().pos;
    while (this.#isKeyword("for")) {
      const forToken = this.#next();
      const { targets, unpack } = this.#targets();
      if (!this.#isKeyword("in")) {
        this.#error(`expected 'in' after the loop variables, found ${describe(this.#peek())}`);
      }
      this.#next();
      const iter = this.#or();
      const ifs: Node[] = [];
      while (this.#isKeyword("if")) {
        this.#next();
        ifs.push(this.#or());
      }
      clauses.push({ pos: forToken.pos, targets, unpack, iter, ifs });
    }
    const children = [elt, ...clauses.flatMap((c) => [c.iter, ...c.ifs])];
    // Each clause is one more nested loop when evaluating: it counts as a level.
    return this.#node({
      kind: "comp",
      result,
      pos,
      height: clauses.length + maxHeight(children),
      elt,
      clauses,
    });
  }

  /** `x`, `k, v` or `(k, v)`. */
  #targets(): { targets: Target[]; unpack: boolean } {
    const open = this.#isOp("(") ? this.#next() : undefined;
    const targets: Target[] = [];
    let unpack = open !== undefined;
    for (;;) {
      const token = this.#peek();
      if (token.kind !== "name" || KEYWORDS.has(token.text)) {
        this.#error(`expected a loop variable name, found ${describe(token)}`);
      }
      this.#next();
      if (targets.some((t) => t.id === token.text)) {
        this.#error(`loop variable '${token.text}' is repeated`, token);
      }
      targets.push({ id: token.text, pos: token.pos });
      if (!this.#isOp(",")) break;
      this.#next();
      unpack = true;
      if (open !== undefined && this.#isOp(")")) break;
      if (open === undefined && this.#isKeyword("in")) break;
    }
    if (open !== undefined) this.#close(")", open);
    return { targets, unpack };
  }
}

function maxHeight(nodes: ReadonlyArray<Node | undefined>): number {
  let max = 0;
  for (const node of nodes) if (node !== undefined && node.height > max) max = node.height;
  return max;
}

/** How a token reads in a message. */
function describe(token: Token): string {
  switch (token.kind) {
    case "end":
      return "the end of the condition";
    case "name":
      return KEYWORDS.has(token.text) ? `'${token.text}'` : `name '${token.text}'`;
    case "number":
      return `number ${token.text}`;
    case "string":
      return `string ${token.text.length > 24 ? `${token.text.slice(0, 20)}...` : token.text}`;
    default:
      return `'${token.text}'`;
  }
}
