import { equal, match, throws } from "node:assert/strict";
import { WatchtowerError } from "../../../core/errors.ts";
import { parseDocument } from "../../../core/policy/source.ts";
import { closest } from "../../../core/suggest.ts";
import { validateDocument } from "../../../core/policy/validate.ts";

function problem(text: string): WatchtowerError {
  try {
    validateDocument(parseDocument(text, "p.yaml"));
  } catch (error) {
    if (error instanceof WatchtowerError) return error;
    throw error;
  }
  throw new Error("expected the document to be invalid");
}

const CASES: Array<[name: string, text: string, message: RegExp]> = [
  [
    "an unknown rule key with a close known key",
    "policies:\n  - name: a\n    priorty: 100\n    action: allow\n",
    /^Cannot load policy p\.yaml:3:5: policies\[0\]: unknown key 'priorty' \(did you mean 'priority'\?\)/,
  ],
  [
    "an unknown top-level key",
    "mode: enforce\npolices: []\n",
    /p\.yaml:2:1: top level: unknown key 'polices' \(did you mean 'policies'\?\)/,
  ],
  [
    "a string where a number belongs",
    "policies:\n  - name: a\n    priority: high\n    action: allow\n",
    /p\.yaml:3:15: policies\[0\]\.priority: expected a number/,
  ],
  [
    "an unknown action word",
    "rules:\n  - purpose: x\n    resource_pattern: '*'\n    decision: maybe\n",
    /p\.yaml:4:15: rules\[0\]\.decision: expected one of allow, deny, escalate/,
  ],
  [
    "an unknown domain inside a list",
    "policies:\n  - name: a\n    action: allow\n    match: {domain: [filesystem, nope]}\n",
    /policies\[0\]\.match\.domain\[1\]: expected one of filesystem/,
  ],
  [
    "a missing required key",
    "policies:\n  - name: a\n",
    /policies\[0\]\.action: expected one of allow/,
  ],
  [
    "an unsupported version",
    'version: "3.0"\n',
    /p\.yaml:1:10: version: version "3.0" is not supported; expected 2\.x/,
  ],
  ["a document that is a list", "- a\n- b\n", /expected a mapping of policy keys/],
  ["an empty document", "", /the document is empty/],
  [
    "a bad mode",
    "mode: permissive\n",
    /p\.yaml:1:7: mode: expected enforce or observe/,
  ],
];

for (const [name, text, expected] of CASES) {
  Deno.test(`validateDocument names file, line, column and field for ${name}`, () => {
    const error = problem(text);
    equal(error.code, "policy_invalid");
    match(error.message, expected);
    equal(error.message.includes("\n"), false, "one line");
  });
}

Deno.test("validateDocument lists every problem in details", () => {
  const error = problem("policies:\n  - name: a\n    priority: x\n    action: nope\n");
  equal(error.details.length, 2);
});

Deno.test("closest() suggests only near misses", () => {
  equal(closest("priorty", ["priority", "name"]), "priority");
  equal(closest("zzzzzz", ["priority", "name"]), undefined);
});

Deno.test("the source documents' examples validate unchanged", async () => {
  for (const file of ["watchtower-policy.json", "chainwatch-policy.yaml", "clawbot.yaml"]) {
    const text = await Deno.readTextFile(
      new URL(`../../testdata/sources/${file}`, import.meta.url),
    );
    validateDocument(parseDocument(text, file));
  }
});

Deno.test("a document without a problem does not throw", () => {
  throws(() => problem("mode: enforce\n"), /expected the document to be invalid/);
});
