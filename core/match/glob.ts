/**
 * Glob patterns compiled once into matchers that run in O(text × pattern) time: no backtracking
 * blow-up whatever the pattern or text.
 * @module
 */

/** How a glob reads `*`. */
export interface GlobOptions {
  /**
   * Path-aware globs (file patterns): `*` and `?` stop at `/`, `**` crosses it and `** /` (without
   * the space) also matches no directory at all. Otherwise (`false`, the default) `*` matches any
   * text, as in URL, command and resource patterns.
   */
  path?: boolean;
  /** Compare case-insensitively (host names, HTTP methods). */
  ignoreCase?: boolean;
}

/** A compiled glob: `test(text)` tells whether the whole text matches. */
export interface Glob {
  readonly pattern: string;
  test(text: string): boolean;
}

/** Patterns longer than this are refused: a policy is not the place for megabyte globs. */
export const MAX_GLOB_LENGTH = 4096;

type Token =
  | { kind: "char"; char: string }
  | { kind: "any" } // ?
  | { kind: "star" } // * (stops at / in path mode)
  | { kind: "globstar" } // ** (matches anything)
  | { kind: "globdir" } // `**/` entry: matches nothing, or any text ending in `/` ...
  | { kind: "globdir_inside" } // ... whose middle this state consumes
  | { kind: "class"; negated: boolean; ranges: Array<[string, string]> };

/** Thrown for a pattern that cannot be compiled. */
export class GlobSyntaxError extends Error {
  constructor(message: string, readonly column: number) {
    super(message);
    this.name = "GlobSyntaxError";
  }
}

/**
 * Compiles a glob.
 *
 * @example
 * ```ts
 * import { compileGlob } from "./glob.ts";
 * import { ok } from "node:assert/strict";
 * ok(compileGlob("**\/.env", { path: true }).test("/home/me/project/.env"));
 * ok(!compileGlob("/tmp/*", { path: true }).test("/tmp/a/b"));
 * ok(compileGlob("*salary*").test("/data/hr/salary.csv"));
 * ```
 */
export function compileGlob(pattern: string, options: GlobOptions = {}): Glob {
  if (pattern.length > MAX_GLOB_LENGTH) {
    throw new GlobSyntaxError(`pattern is longer than ${MAX_GLOB_LENGTH} characters`, 1);
  }
  const ignoreCase = options.ignoreCase ?? false;
  const source = ignoreCase ? pattern.toLowerCase() : pattern;
  const tokens = tokenize(source, options.path ?? false);
  const fold = (text: string) => ignoreCase ? text.toLowerCase() : text;
  const fast = fastPath(tokens);
  if (fast && !(options.path && pattern.endsWith("/**"))) {
    return { pattern, test: (text) => fast(fold(text)) };
  }
  const pathMode = options.path ?? false;
  // Cheap rejections first: most texts a rule sees do not match it.
  const prefix = literalPrefix(tokens);
  const required = longestLiteral(tokens);
  const buffers = {
    current: new Uint8Array(tokens.length + 1),
    next: new Uint8Array(tokens.length + 1),
  };
  const full = (raw: string) => {
    const text = fold(raw);
    if (!text.startsWith(prefix) || !text.includes(required)) return false;
    return simulate(tokens, text, pathMode, buffers);
  };
  if (pathMode && pattern.length > 3 && pattern.endsWith("/**") && !pattern.endsWith("\\/**")) {
    // `dir/**` also names `dir` itself, as users of .gitignore-style patterns expect.
    const self = compileGlob(pattern.slice(0, -3), options);
    return { pattern, test: (text) => self.test(text) || full(text) };
  }
  return { pattern, test: full };
}

function tokenize(pattern: string, pathMode: boolean): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) {
        throw new GlobSyntaxError("pattern ends with a lone backslash", i + 1);
      }
      tokens.push({ kind: "char", char: next });
      i++;
    } else if (c === "*") {
      let j = i;
      while (pattern[j + 1] === "*") j++;
      const double = j > i;
      i = j;
      if (!pathMode) {
        if (tokens.at(-1)?.kind !== "globstar") tokens.push({ kind: "globstar" });
      } else if (double) {
        if (pattern[i + 1] === "/") {
          // `**/` matches no directory at all, or any directories.
          tokens.push({ kind: "globdir" }, { kind: "globdir_inside" });
          i++;
        } else {
          tokens.push({ kind: "globstar" });
        }
      } else {
        tokens.push({ kind: "star" });
      }
    } else if (c === "?") {
      tokens.push({ kind: "any" });
    } else if (c === "[") {
      const parsed = parseClass(pattern, i);
      if (parsed) {
        tokens.push(parsed.token);
        i = parsed.end;
      } else {
        tokens.push({ kind: "char", char: "[" });
      }
    } else {
      tokens.push({ kind: "char", char: c });
    }
  }
  return tokens;
}

function parseClass(pattern: string, start: number): { token: Token; end: number } | undefined {
  let i = start + 1;
  let negated = false;
  if (pattern[i] === "!" || pattern[i] === "^") {
    negated = true;
    i++;
  }
  const ranges: Array<[string, string]> = [];
  let first = true;
  while (i < pattern.length) {
    let c = pattern[i]!;
    if (c === "]" && !first) return { token: { kind: "class", negated, ranges }, end: i };
    first = false;
    if (c === "\\" && i + 1 < pattern.length) c = pattern[++i]!;
    if (pattern[i + 1] === "-" && pattern[i + 2] !== undefined && pattern[i + 2] !== "]") {
      let hi = pattern[i + 2]!;
      let skip = 2;
      if (hi === "\\" && pattern[i + 3] !== undefined) {
        hi = pattern[i + 3]!;
        skip = 3;
      }
      if (hi < c) throw new GlobSyntaxError(`range ${c}-${hi} is backwards`, i + 1);
      ranges.push([c, hi]);
      i += skip + 1;
    } else {
      ranges.push([c, c]);
      i++;
    }
  }
  return undefined; // no closing bracket: `[` is literal, as in shells
}

/** Literal-and-globstar-only patterns (the common case) get direct string tests. */
function fastPath(tokens: Token[]): ((text: string) => boolean) | undefined {
  const parts: string[] = [""];
  for (const token of tokens) {
    if (token.kind === "char") {
      parts[parts.length - 1] += token.char;
    } else if (token.kind === "globstar") parts.push("");
    else return undefined;
  }
  if (parts.length === 1) {
    const literal = parts[0]!;
    return (text) => text === literal;
  }
  const head = parts[0]!;
  const tail = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1);
  const minLength = parts.reduce((sum, part) => sum + part.length, 0);
  return (text) => {
    if (text.length < minLength || !text.startsWith(head) || !text.endsWith(tail)) return false;
    let from = head.length;
    const end = text.length - tail.length;
    for (const part of middle) {
      const at = text.indexOf(part, from);
      if (at < 0 || at + part.length > end) return false;
      from = at + part.length;
    }
    return true;
  };
}

function matchesToken(token: Token, c: string): boolean {
  switch (token.kind) {
    case "char":
      return token.char === c;
    case "any":
      return c !== "/";
    case "class": {
      let inside = false;
      for (const [lo, hi] of token.ranges) {
        if (c >= lo && c <= hi) {
          inside = true;
          break;
        }
      }
      return inside !== token.negated && c !== "/";
    }
    default:
      return false;
  }
}

/** The literal characters every match must start with. */
function literalPrefix(tokens: Token[]): string {
  let prefix = "";
  for (const token of tokens) {
    if (token.kind !== "char") break;
    prefix += token.char;
  }
  return prefix;
}

/** The longest run of literal characters in the pattern: every match contains it. */
function longestLiteral(tokens: Token[]): string {
  let best = "";
  let run = "";
  for (const token of tokens) {
    if (token.kind === "char") {
      run += token.char;
      if (run.length > best.length) best = run;
    } else {
      run = "";
    }
  }
  return best;
}

/**
 * Thompson-style simulation: the set of pattern positions reachable after each character.
 * Each step is O(pattern), so a match is O(text × pattern).
 */
function simulate(
  tokens: Token[],
  text: string,
  pathMode: boolean,
  buffers: { current: Uint8Array; next: Uint8Array },
): boolean {
  const n = tokens.length;
  // Reused between calls (matching is synchronous and never re-entrant).
  let current = buffers.current;
  let next = buffers.next;
  current.fill(0);
  // Positions that can match the empty string pass straight on (in pattern order, so chains work).
  const close = (set: Uint8Array) => {
    for (let i = 0; i < n; i++) {
      if (!set[i]) continue;
      const kind = tokens[i]!.kind;
      if (kind === "star" || kind === "globstar") set[i + 1] = 1;
      else if (kind === "globdir") set[i + 2] = 1;
    }
  };
  current[0] = 1;
  close(current);
  for (let k = 0; k < text.length; k++) {
    const c = text[k]!;
    next.fill(0);
    let alive = false;
    for (let i = 0; i < n; i++) {
      if (!current[i]) continue;
      const token = tokens[i]!;
      switch (token.kind) {
        case "globstar":
          next[i] = 1;
          alive = true;
          break;
        case "star":
          if (!pathMode || c !== "/") {
            next[i] = 1;
            alive = true;
          }
          break;
        case "globdir":
          if (c === "/") next[i + 2] = 1;
          next[i + 1] = 1;
          alive = true;
          break;
        case "globdir_inside":
          if (c === "/") next[i + 1] = 1;
          next[i] = 1;
          alive = true;
          break;
        default:
          if (matchesToken(token, c)) {
            next[i + 1] = 1;
            alive = true;
          }
      }
    }
    if (!alive) return false;
    close(next);
    [current, next] = [next, current];
  }
  return current[n] === 1;
}
