import { deepEqual, equal, throws } from "node:assert/strict";
import { WatchtowerError } from "../../../core/errors.ts";
import { parseDocument } from "../../../core/policy/source.ts";

const YAML = `version: "2.0.0"
policies:
  - name: a
    priority: 100
    match:
      domain: filesystem
  - name: b
    priority: "x"
thresholds: {allow_max: 5, redact_max: 10}
`;

Deno.test("locate() finds values and keys in block and flow YAML", () => {
  const doc = parseDocument(YAML, "p.yaml");
  deepEqual(doc.locate(["policies", 1, "priority"]), { line: 8, column: 15 });
  deepEqual(doc.locate(["policies", 1, "priority"], { key: true }), { line: 8, column: 5 });
  deepEqual(doc.locate(["policies", 0, "match", "domain"]), { line: 6, column: 15 });
  deepEqual(doc.locate(["thresholds", "redact_max"]), { line: 9, column: 40 });
  deepEqual(doc.locate(["policies", 1]), { line: 7, column: 5 });
});

Deno.test("locate() falls back to the nearest ancestor for paths that do not exist", () => {
  const doc = parseDocument(YAML, "p.yaml");
  deepEqual(doc.locate(["policies", 0, "nope"]), doc.locate(["policies", 0]));
  deepEqual(doc.locate(["nope"]), { line: 1, column: 1 });
});

Deno.test("locate() works on JSON documents", () => {
  const doc = parseDocument(
    `{"version": "2.0.0",\n "policies": [{"name": "a", "priority": 100}]}`,
    "p.json",
  );
  deepEqual(doc.locate(["policies", 0, "priority"]), { line: 2, column: 41 });
});

Deno.test("parseDocument reports syntax errors with file, line and column", () => {
  const cases: Array<[string, string]> = [
    ["a: 1\na: 2\n", "x.yaml:2:1: duplicated mapping key"],
    ["a: [1\n", "x.yaml:2:1"],
    ["a:\n\t- b\n", "x.yaml:2:1"],
    ['{"a": 1', "x.yaml:"],
  ];
  for (const [text, expected] of cases) {
    throws(() => parseDocument(text, "x.yaml"), (error: WatchtowerError) => {
      equal(error.code, "policy_invalid");
      equal(error.message.includes(expected), true, error.message);
      return true;
    });
  }
});

Deno.test("parseDocument refuses prototype keys and custom tags", () => {
  throws(() => parseDocument("__proto__: {x: 1}\n", "x.yaml"), /key '__proto__' is not allowed/);
  throws(() => parseDocument("a:\n  constructor: 1\n", "x.yaml"), /x.yaml:2:3: key 'constructor'/);
  throws(() => parseDocument("a: !!js/function 'x'\n", "x.yaml"), WatchtowerError);
  // Core schema: timestamps stay strings, so a schema expecting strings sees strings.
  equal((parseDocument("a: 2024-01-01\n", "x.yaml").value as { a: unknown }).a, "2024-01-01");
});

Deno.test("parseDocument refuses documents over the size limit", () => {
  throws(() => parseDocument("#".repeat(4 * 1024 * 1024 + 1), "big.yaml"), /larger than/);
});
