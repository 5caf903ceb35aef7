/**
 * Call signatures of builtins and methods, and how a call's arguments bind to them. Binding
 * happens at compile time, so arity and keyword mistakes are compile errors with a column.
 * @module
 */
import type { Value } from "./_values.ts";

/** What a builtin or method accepts. */
export interface Signature {
  /** Positional parameters in order; the first `required` must be given. */
  readonly params: readonly string[];
  readonly required: number;
  /** Parameters that may also be given by keyword (Python makes most str methods positional-only). */
  readonly keywords?: readonly string[];
  /** Whether extra positional arguments are accepted (min, max). */
  readonly rest?: boolean;
  /** Keyword-only parameters; they follow the positional ones in the bound argument list. */
  readonly keywordOnly?: readonly string[];
}

/**
 * For each parameter slot, the index of the argument value that fills it, or -1 when not given.
 * Argument values are the positional ones in order, then the keyword ones in source order.
 */
export type Binding = readonly number[];

function plural(n: number): string {
  return n === 1 ? "argument" : "arguments";
}

/** Binds a call's shape to a signature: the binding, or a message saying why it does not fit. */
export function bind(
  name: string,
  sig: Signature,
  positional: number,
  keywords: readonly string[],
): Binding | string {
  const params = sig.params;
  const keywordOnly = sig.keywordOnly ?? [];
  const slots = sig.rest ? Math.max(positional, params.length) : params.length;
  if (!sig.rest && positional > params.length) {
    const takes = params.length === 0
      ? "takes no arguments"
      : params.length === sig.required
      ? `takes exactly ${params.length} ${plural(params.length)}`
      : `takes at most ${params.length} ${plural(params.length)}`;
    return `${name}() ${takes} (${positional} given)`;
  }
  const binding = new Array<number>(slots + keywordOnly.length).fill(-1);
  for (let i = 0; i < positional; i++) binding[i] = i;
  for (let k = 0; k < keywords.length; k++) {
    const keyword = keywords[k]!;
    const param = params.indexOf(keyword);
    if (param >= 0 && sig.keywords?.includes(keyword)) {
      if (binding[param] !== -1) return `${name}() got multiple values for argument '${keyword}'`;
      binding[param] = positional + k;
      continue;
    }
    const only = keywordOnly.indexOf(keyword);
    if (only < 0) return `${name}() got an unexpected keyword argument '${keyword}'`;
    binding[slots + only] = positional + k;
  }
  for (let i = 0; i < sig.required; i++) {
    if (binding[i] === -1) return `${name}() missing required argument '${params[i]}'`;
  }
  return binding;
}

/** Whether a binding passes the values straight through (no keywords were used). */
export function isDirect(binding: Binding, values: number): boolean {
  for (let i = 0; i < binding.length; i++) {
    if (binding[i] !== (i < values ? i : -1)) return false;
  }
  return true;
}

/** Orders evaluated argument values by a binding (`undefined` = not given). */
export function arrange(values: readonly Value[], binding: Binding): (Value | undefined)[] {
  return binding.map((i) => (i < 0 ? undefined : values[i]));
}
