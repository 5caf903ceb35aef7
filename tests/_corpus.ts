/**
 * Reading the command guard's corpora (tests/corpus/commands-*.txt).
 * @module
 */

/** One line of a corpus and the verdicts it may get. */
export interface CorpusLine {
  number: number;
  line: string;
  expect: string[];
}

/** Reads a corpus: one line each, `#` comments, `#! expect: V…` sets the verdicts that follow. */
export function readCorpus(path: string, expect: string[]): CorpusLine[] {
  const lines: CorpusLine[] = [];
  let current = expect;
  Deno.readTextFileSync(path).split("\n").forEach((text, i) => {
    const directive = /^#! expect: (.+)$/.exec(text);
    if (directive) current = directive[1]!.trim().split(/\s+/);
    else if (text.trim() !== "" && !text.trimStart().startsWith("#")) {
      lines.push({ number: i + 1, line: text, expect: current });
    }
  });
  return lines;
}
