/**
 * Splits a simple command line into its leading environment assignments and argv, resolving
 * quotes and backslashes the way a POSIX shell would for one simple command. Only the first
 * simple command is read (up to an unquoted `|`, `;`, `&` or newline): the command guard does
 * full shell analysis; this is what GTFOBins annotation needs when it has no argv.
 * @module
 */

/** Leading `NAME=value` assignments and the words after them. */
export interface CommandWords {
  env: Record<string, string>;
  argv: string[];
}

/**
 * Splits `line`.
 *
 * @example
 * ```ts
 * import { splitCommandLine } from "./words.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(splitCommandLine(`PAGER='sh -c x' git -p "help me" | less`), {
 *   env: { PAGER: "sh -c x" },
 *   argv: ["git", "-p", "help me"],
 * });
 * ```
 */
export function splitCommandLine(line: string): CommandWords {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word += line.slice(i + 1, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === "\\" && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) j++;
        word += line[j];
      }
      i = j;
      inWord = true;
    } else if (c === "\\") {
      if (i + 1 < line.length && line[i + 1] !== "\n") word += line[i + 1];
      i++;
      inWord = true;
    } else if (c === " " || c === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if ("|;&\n".includes(c)) {
      break;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  const env: Record<string, string> = {};
  let start = 0;
  for (; start < words.length; start++) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(words[start]!);
    if (!match) break;
    env[match[1]!] = match[2]!;
  }
  return { env, argv: words.slice(start) };
}
