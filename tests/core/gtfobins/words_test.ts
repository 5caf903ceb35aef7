import { deepEqual } from "node:assert/strict";
import fc from "fast-check";
import { splitCommandLine } from "../../../core/gtfobins/words.ts";

Deno.test("splitCommandLine resolves quotes and escapes like a shell", () => {
  const cases: Array<[string, Record<string, string>, string[]]> = [
    [`r''m -rf x`, {}, ["rm", "-rf", "x"]],
    [`\\rm "a b" 'c d'`, {}, ["rm", "a b", "c d"]],
    [`A=1 B='two words' cmd`, { A: "1", B: "two words" }, ["cmd"]],
    [`echo "a\\"b" 'it''s'`, {}, ["echo", 'a"b', "its"]],
    [`git status | less`, {}, ["git", "status"]],
    [`a ; b`, {}, ["a"]],
    [``, {}, []],
  ];
  for (const [line, env, argv] of cases) deepEqual(splitCommandLine(line), { env, argv }, line);
});

Deno.test("splitCommandLine never throws (property)", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (line) => {
      splitCommandLine(line);
    }),
    { numRuns: 2000 },
  );
});
