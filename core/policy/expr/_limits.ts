/**
 * The bounds every condition lives within. Policy text is semi-trusted and the intent it reads is
 * written by an adversarial agent, so compiling and evaluating must both stay small and finite.
 * @module
 */

/** Compile-time and run-time limits of the condition language. */
export const CONDITION_LIMITS = {
  /** Longest condition source, in UTF-16 code units. */
  sourceLength: 8192,
  /** Most tokens in one condition. */
  tokens: 4096,
  /** Deepest nesting of brackets, operators and attribute chains (parser and tree). */
  depth: 64,
  /** Default work units per evaluation: loop iterations, calls, and bulk data work. */
  steps: 100_000,
  /** Characters of string work that cost one step (scans, copies, conversions). */
  charsPerStep: 256,
  /** Pattern-matching work (text length × pattern length) that costs one step. */
  matchCellsPerStep: 16,
  /** Longest string a condition may build, in UTF-16 code units (1 MiB). */
  stringLength: 1_048_576,
  /** Longest list a condition may build. */
  listLength: 100_000,
  /** Longest glob or regex pattern. */
  patternLength: 4096,
  /** Patterns computed at run time that one call site keeps compiled. */
  patternCache: 64,
} as const;
