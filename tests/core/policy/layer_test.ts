import { deepEqual, equal } from "node:assert/strict";
import { layerFromDocument, mergeLayers } from "../../../core/policy/layer.ts";
import { BUILTIN_SETTINGS } from "../../../core/policy/model.ts";
import { parseDocument } from "../../../core/policy/source.ts";

const layer = (text: string, file = "p.yaml") => layerFromDocument(parseDocument(text, file));

Deno.test("chainwatch rules translate to purpose and resource matches with their verdicts", () => {
  const { rules } = layer(`rules:
  - { purpose: SOC_efficiency, resource_pattern: "*salary*", decision: require_approval, approval_key: k }
  - { purpose: "*", resource_pattern: "*.env", decision: allow_with_redaction }
`);
  equal(rules[0]!.name, "SOC_efficiency:*salary*");
  equal(rules[0]!.action, "escalate");
  equal(rules[0]!.approvalKey, "k");
  deepEqual(rules[0]!.match, { purpose: "SOC_efficiency", resource: "*salary*" });
  equal(rules[1]!.action, "redact");
});

Deno.test("profile boundaries become deny rules named after the profile", () => {
  const { rules, name } = layer(`name: demo
authority_boundaries: [{ pattern: "admin.*override" }]
execution_boundaries: { urls: ["stripe.com/*"], commands: ["sudo*"], file_patterns: ["~/.ssh/*"] }
`);
  equal(name, "demo");
  deepEqual(rules.map((rule) => [rule.name, rule.kind, rule.action]), [
    ["demo/authority:admin.*override", "boundary", "deny"],
    ["demo/url:stripe.com/*", "boundary", "deny"],
    ["demo/command:sudo*", "boundary", "deny"],
    ["demo/file:~/.ssh/*", "boundary", "deny"],
  ]);
  deepEqual(rules[3]!.origin, {
    file: "p.yaml",
    line: 3,
    column: 86,
    field: "execution_boundaries.file_patterns[0]",
  });
});

Deno.test("a disabled rule stays out and removes an earlier rule of its name", () => {
  const merged = mergeLayers([
    layer("policies:\n  - {name: a, action: deny}\n  - {name: b, action: deny}\n", "one.yaml"),
    layer(
      "policies:\n  - {name: a, action: deny, enabled: false}\n  - {name: c, action: allow, enabled: false}\n",
      "two.yaml",
    ),
  ]);
  deepEqual(merged.rules.map((rule) => rule.name), ["b"]);
});

Deno.test("mergeLayers replaces same-named rules in place and leaves built-ins untouched", () => {
  const merged = mergeLayers([
    layer("policies:\n  - {name: a, action: deny}\n  - {name: b, action: deny}\n", "one.yaml"),
    layer(
      "policies:\n  - {name: a, action: allow}\nsensitivity_weights: {internal: 2}\n",
      "two.yaml",
    ),
  ]);
  deepEqual(merged.rules.map((rule) => [rule.name, rule.action, rule.origin.file]), [
    ["a", "allow", "two.yaml"],
    ["b", "deny", "one.yaml"],
  ]);
  equal(merged.settings.sensitivityWeights.internal, 2);
  equal(BUILTIN_SETTINGS.sensitivityWeights.internal, 3);
  deepEqual(merged.sources, ["one.yaml", "two.yaml"]);
});
