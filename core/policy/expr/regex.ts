/**
 * The regex engine behind the `regex()` builtin: RE2 (re2js, pinned as npm:re2js@2.10.0 in
 * deno.json), linear-time whatever the pattern, where JavaScript's RegExp backtracks. It costs
 * ~7 ms to import, so it is loaded on demand, only for policies whose conditions use it.
 * @module
 */

/** Compiles a pattern (RE2 syntax) into a search: does the pattern match anywhere in the text? */
export type RegexCompiler = (pattern: string) => (text: string) => boolean;

let loading: Promise<RegexCompiler> | undefined;

/**
 * Loads the RE2 engine once and returns its compiler (which throws on a bad pattern).
 *
 * @example
 * ```ts
 * import { loadRegexCompiler } from "./regex.ts";
 * import { ok } from "node:assert/strict";
 * const compile = await loadRegexCompiler();
 * ok(compile("^/etc/(passwd|shadow)$")("/etc/shadow"));
 * ok(!compile("a+b")("aaac"));
 * ```
 */
export function loadRegexCompiler(): Promise<RegexCompiler> {
  loading ??= import("re2js").then(({ RE2JS }): RegexCompiler => (pattern) => {
    const re = RE2JS.compile(pattern);
    return (text) => re.test(text); // search semantics, like re.search
  }).catch((error) => {
    loading = undefined; // let a later call try again
    throw error;
  });
  return loading;
}

/**
 * Whether a condition's text may call `regex()`, so a loader knows to load the engine first.
 * Conservative: a mention inside a string literal also counts.
 */
export function usesRegex(source: string): boolean {
  return /\bregex\s*\(/.test(source);
}
