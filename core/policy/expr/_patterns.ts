/**
 * Pattern builtins: glob (path-aware), fnmatch (`*` matches anything) and regex (RE2, search).
 * Literal patterns compile once with the condition; computed ones go through a small per-call-site
 * cache so a hostile intent cannot make every evaluation recompile, nor grow memory.
 * @module
 */
import { compileGlob, GlobSyntaxError } from "../../match/glob.ts";
import { CONDITION_LIMITS } from "./_limits.ts";
import type { RegexCompiler } from "./regex.ts";

/** The pattern builtins. */
export type PatternKind = "glob" | "fnmatch" | "regex";

/** Names of the pattern builtins. */
export const PATTERN_KINDS: ReadonlySet<string> = new Set<PatternKind>([
  "glob",
  "fnmatch",
  "regex",
]);

/** A compiled pattern: whether it matches a text. */
export type Matcher = (text: string) => boolean;

/** A pattern that does not compile; `column` is 1-based inside the pattern, when known. */
export class PatternError extends Error {
  constructor(message: string, readonly column: number | undefined) {
    super(message);
    this.name = "PatternError";
  }
}

/** The message a condition gets when it calls regex() without the engine loaded. */
export const REGEX_ENGINE_MISSING =
  "regex() needs the regex engine: call loadRegexCompiler() first";

/** Compiles a pattern of a kind. Throws PatternError. */
export function compileMatcher(
  kind: PatternKind,
  pattern: string,
  regex: RegexCompiler | undefined,
): Matcher {
  if (pattern.length > CONDITION_LIMITS.patternLength) {
    throw new PatternError(
      `${kind} pattern is longer than ${CONDITION_LIMITS.patternLength} characters`,
      undefined,
    );
  }
  if (kind === "regex") {
    if (regex === undefined) throw new PatternError(REGEX_ENGINE_MISSING, undefined);
    try {
      return regex(pattern);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new PatternError(`bad regex pattern: ${message}`, undefined);
    }
  }
  try {
    const glob = compileGlob(pattern, { path: kind === "glob" });
    return (text) => glob.test(text);
  } catch (error) {
    if (error instanceof GlobSyntaxError) {
      throw new PatternError(`bad ${kind} pattern: ${error.message}`, error.column);
    }
    throw error;
  }
}

/** Steps a match costs: texts times pattern length, as the matchers are O(text × pattern). */
export function matchCost(text: string, patternLength: number): number {
  return 1 +
    Math.floor(text.length * Math.max(1, patternLength) / CONDITION_LIMITS.matchCellsPerStep);
}

/** A bounded least-recently-used cache of compiled patterns (one per call site). */
export class MatcherCache {
  readonly #entries = new Map<string, Matcher>();

  constructor(readonly kind: PatternKind, readonly regex: RegexCompiler | undefined) {}

  /** The compiled pattern, compiling (and possibly evicting the oldest) on a miss. */
  get(pattern: string): Matcher {
    const hit = this.#entries.get(pattern);
    if (hit !== undefined) {
      this.#entries.delete(pattern);
      this.#entries.set(pattern, hit);
      return hit;
    }
    const matcher = compileMatcher(this.kind, pattern, this.regex);
    this.#entries.set(pattern, matcher);
    if (this.#entries.size > CONDITION_LIMITS.patternCache) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    return matcher;
  }
}
