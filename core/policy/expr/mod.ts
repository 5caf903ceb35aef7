/**
 * The condition language of policy rules: a safe subset of Python expressions, compiled once into
 * closures and evaluated against an intent under a step budget.
 *
 * Semantics follow Python, with these documented differences: a record field (or key) that is
 * absent reads as None instead of raising; tuples and lists are one sequence type (`(1, 2) ==
 * [1, 2]`); there is one number type, so `str(2.0)` is '2' and integers are limited to ±2**53;
 * strings index, slice and measure in UTF-16 code units; a generator expression outside any()
 * and all() is built as a list. docs/policy.md ("The condition language") is the reference.
 * @module
 */
import { WatchtowerError } from "../../errors.ts";
import { compileTree, ROOT_NAMES } from "./_compile.ts";
import { CONDITION_LIMITS } from "./_limits.ts";
import { parse } from "./_parser.ts";
import { SourceText } from "./_source.ts";
import { type Env, type Scope, type ScopeValue, truthy } from "./_values.ts";
import type { RegexCompiler } from "./regex.ts";

export { loadRegexCompiler, type RegexCompiler, usesRegex } from "./regex.ts";
export { CONDITION_LIMITS } from "./_limits.ts";
export { truthy } from "./_values.ts";
export type { Scope, ScopeValue } from "./_values.ts";

/** The root names a condition can read: identity, intent, target, context, zone, risk, annotations. */
export const CONDITION_NAMES: readonly string[] = ROOT_NAMES;

/** A condition compiled once, ready to evaluate against many scopes. */
export interface CompiledCondition {
  /** The condition text as written. */
  readonly source: string;
  /** Root names the condition reads (e.g. {"target","identity"}). */
  readonly names: ReadonlySet<string>;
  /** The raw Python-like value. Throws WatchtowerError condition_runtime. */
  evaluate(scope: Scope): ScopeValue;
  /** Python truthiness of evaluate(). */
  test(scope: Scope): boolean;
}

/** Options of {@link compileCondition}. */
export interface CompileOptions {
  /** The regex engine from {@link loadRegexCompiler}; needed when the condition calls regex(). */
  regex?: RegexCompiler;
  /** Work units one evaluation may spend (default `CONDITION_LIMITS.steps`, 100,000). */
  maxSteps?: number;
}

const NO_SLOTS: ScopeValue[] = [];

/**
 * Compiles a condition. Throws WatchtowerError `condition_syntax` (with the 1-based column in
 * `location`) for anything it cannot accept: bad syntax, unknown names or methods, bad literal
 * patterns, forbidden attributes, or limits passed.
 *
 * @example
 * ```ts
 * import { compileCondition } from "./mod.ts";
 * import { equal, ok } from "node:assert/strict";
 * const rule = compileCondition("target.path.startswith('/home/') and '..' not in target.path");
 * ok(rule.test({ target: { path: "/home/alice/notes.txt" } }));
 * ok(!rule.test({ target: { path: "/home/alice/../../etc/passwd" } }));
 * ok(rule.names.has("target"));
 * const any = compileCondition("any(target.path.startswith(p) for p in ('/etc', '/usr'))");
 * equal(any.evaluate({ target: { path: "/usr/bin/env" } }), true);
 * ```
 */
export function compileCondition(source: string, options: CompileOptions = {}): CompiledCondition {
  if (typeof source !== "string") {
    throw new WatchtowerError("condition_syntax", "Cannot parse condition: it must be a string");
  }
  if (source.length > CONDITION_LIMITS.sourceLength) {
    throw new WatchtowerError(
      "condition_syntax",
      `Cannot parse condition: it is longer than ${CONDITION_LIMITS.sourceLength} characters`,
      { location: { column: CONDITION_LIMITS.sourceLength + 1 } },
    );
  }
  const maxSteps = options.maxSteps ?? CONDITION_LIMITS.steps;
  if (!Number.isSafeInteger(maxSteps) || maxSteps < 1) {
    throw new WatchtowerError(
      "usage",
      "Cannot compile condition: maxSteps must be a positive integer",
    );
  }
  const src = new SourceText(source);
  let program;
  try {
    program = compileTree(src, parse(src), options.regex);
  } catch (error) {
    if (error instanceof WatchtowerError) throw error;
    // Only a bug in the compiler gets here: report it as such, never as a raw TypeError.
    throw new WatchtowerError("internal", `Cannot compile condition: internal error: ${error}`, {
      cause: error,
    });
  }
  const { fn, names, slots } = program;
  const evaluate = (scope: Scope): ScopeValue => {
    if (typeof scope !== "object" || scope === null) {
      throw new WatchtowerError(
        "condition_runtime",
        "Cannot evaluate condition: the scope is not an object",
      );
    }
    const env: Env = {
      scope,
      slots: slots === 0 ? NO_SLOTS : new Array<ScopeValue>(slots),
      steps: maxSteps,
      maxSteps,
    };
    try {
      return fn(env);
    } catch (error) {
      throw asRuntimeError(error);
    }
  };
  return Object.freeze({
    source,
    names,
    evaluate,
    test: (scope: Scope) => truthy(evaluate(scope)),
  });
}

/** Whatever escaped an evaluation, as a condition_runtime error (never a raw JS error). */
function asRuntimeError(error: unknown): WatchtowerError {
  if (error instanceof WatchtowerError) return error;
  // No regex here: near a stack overflow even compiling one fails.
  if (error instanceof RangeError && error.message.includes("call stack")) {
    return new WatchtowerError(
      "condition_runtime",
      "Cannot evaluate condition: the evaluation nested too deeply (stack overflow)",
      { cause: error },
    );
  }
  return new WatchtowerError("condition_runtime", `Cannot evaluate condition: ${error}`, {
    cause: error,
  });
}
