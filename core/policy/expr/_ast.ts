/**
 * The syntax tree of a condition. It lives only between parsing and compiling: evaluation runs
 * the closures compiled from it, never the tree.
 * @module
 */
import type { Value } from "./_values.ts";

interface Base {
  /** 0-based source offset the node's errors point at. */
  readonly pos: number;
  /** Height of the subtree (a leaf is 1), capped so compiling and evaluating cannot recurse deep. */
  readonly height: number;
}

/** A literal, or a tuple of literals folded at parse time. */
export interface Const extends Base {
  readonly kind: "const";
  readonly value: Value;
}
/** A root name, builtin function or comprehension variable. */
export interface Name extends Base {
  readonly kind: "name";
  readonly id: string;
}
/** `obj.name` (pos: the name). */
export interface Attr extends Base {
  readonly kind: "attr";
  readonly obj: Node;
  readonly name: string;
}
/** `obj[index]` (pos: the bracket). */
export interface Index extends Base {
  readonly kind: "index";
  readonly obj: Node;
  readonly index: Node;
}
/** `obj[lower:upper:step]` (pos: the bracket). */
export interface Slice extends Base {
  readonly kind: "slice";
  readonly obj: Node;
  readonly lower: Node | undefined;
  readonly upper: Node | undefined;
  readonly step: Node | undefined;
}
/** `name=value` in a call. */
export interface Keyword {
  readonly name: string;
  readonly value: Node;
  readonly pos: number;
}
/** `func(args, name=value)` (pos: the function or method name). */
export interface Call extends Base {
  readonly kind: "call";
  readonly func: Node;
  readonly args: readonly Node[];
  readonly keywords: readonly Keyword[];
}
/** `not x`, `-x`, `+x`. */
export interface Unary extends Base {
  readonly kind: "unary";
  readonly op: "not" | "-" | "+";
  readonly operand: Node;
}
/** `a and b and c` / `a or b or c`, flattened. */
export interface BoolOp extends Base {
  readonly kind: "bool";
  readonly op: "and" | "or";
  readonly values: readonly Node[];
}
/** One operator and its right operand in a flattened chain. */
export interface Operand {
  readonly op: string;
  readonly pos: number;
  readonly node: Node;
}
/** `a + b - c` or `a * b / c`, flattened left to right (long chains stay shallow). */
export interface Arith extends Base {
  readonly kind: "arith";
  readonly first: Node;
  readonly rest: readonly Operand[];
}
/** `a < b <= c`, `x in y`, `x is not None`: a comparison chain. */
export interface Compare extends Base {
  readonly kind: "compare";
  readonly first: Node;
  readonly rest: readonly Operand[];
}
/** `body if test else orelse`. */
export interface IfExp extends Base {
  readonly kind: "if";
  readonly test: Node;
  readonly body: Node;
  readonly orelse: Node;
}
/** A tuple or list display with at least one computed item. */
export interface Seq extends Base {
  readonly kind: "tuple" | "list";
  readonly items: readonly Node[];
}
/** A loop variable of a comprehension. */
export interface Target {
  readonly id: string;
  readonly pos: number;
}
/** `for targets in iter if cond ...` */
export interface Clause {
  readonly pos: number;
  readonly targets: readonly Target[];
  /** Whether the targets unpack each item (`for k, v in ...`). */
  readonly unpack: boolean;
  readonly iter: Node;
  readonly ifs: readonly Node[];
}
/** A generator expression or list comprehension. */
export interface Comp extends Base {
  readonly kind: "comp";
  readonly result: "gen" | "list";
  readonly elt: Node;
  readonly clauses: readonly Clause[];
}

/** Any expression node. */
export type Node =
  | Const
  | Name
  | Attr
  | Index
  | Slice
  | Call
  | Unary
  | BoolOp
  | Arith
  | Compare
  | IfExp
  | Seq
  | Comp;
