/** Keeps docs/policy.md true: every condition and every YAML example in it compiles. */
import { equal } from "node:assert/strict";
import { compileCondition, loadRegexCompiler } from "../core/policy/expr/mod.ts";
import { layerFromDocument, parseDocument } from "../core/policy/mod.ts";

const doc = await Deno.readTextFile(new URL("../docs/policy.md", import.meta.url));
const blocks = (lang: string) =>
  [...doc.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);

Deno.test("every condition in docs/policy.md compiles", async () => {
  const regex = await loadRegexCompiler();
  const lines = blocks("python").flatMap((block) => block.split("\n")).filter((l) => l.trim());
  equal(lines.length >= 7, true);
  for (const line of lines) compileCondition(line, { regex });
});

Deno.test("every JSON and YAML document in docs/policy.md that is a policy validates", () => {
  let checked = 0;
  for (const block of [...blocks("json"), ...blocks("yaml")]) {
    const trimmed = block.trimStart();
    // Fragments (a single rule, an intent) start with "- " or are not policy documents.
    if (
      trimmed.startsWith("- ") || trimmed.startsWith("  ") ||
      /"domain"/.test(trimmed.split("\n")[1] ?? "")
    ) continue;
    if (trimmed.startsWith("{") && !trimmed.includes('"policies"')) continue;
    layerFromDocument(parseDocument(block, "docs/policy.md"));
    checked++;
  }
  equal(checked >= 3, true, `checked ${checked}`);
});
