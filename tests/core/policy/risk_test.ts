import { equal } from "node:assert/strict";
import { compilePolicy } from "../../../core/policy/compile.ts";
import { mergeLayers } from "../../../core/policy/layer.ts";
import { higherLevel, scoreLevel, thresholdVerdict } from "../../../core/policy/risk.ts";

const policy = compilePolicy(mergeLayers([]), { vars: {} });

Deno.test("thresholds: allow up to allow_max, redact reads up to redact_max, escalate from approval_min", () => {
  const cases: Array<[number, boolean, string]> = [
    [5, true, "allow"],
    [6, true, "redact"],
    [6, false, "allow"],
    [10, true, "redact"],
    [10.5, true, "escalate"],
    [11, false, "escalate"],
  ];
  for (const [score, isRead, verdict] of cases) {
    equal(thresholdVerdict(policy, score, isRead), verdict, `${score}`);
  }
});

Deno.test("score levels and level ordering", () => {
  equal(scoreLevel(policy, 5), "low");
  equal(scoreLevel(policy, 10), "medium");
  equal(scoreLevel(policy, 11), "high");
  equal(higherLevel("medium", "critical"), "critical");
  equal(higherLevel("high", "low"), "high");
  equal(higherLevel("low", undefined), "low");
});

Deno.test("classification: the heaviest matching class, a lighter one too; the default only unmatched", async () => {
  const { loadPolicyFromText } = await import("../../../core/policy/loader.ts");
  const { Guard } = await import("../../../core/guard.ts");
  const guard = new Guard(
    await loadPolicyFromText(
      `default: allow
sensitivity:
  - { pattern: "/srv/public/*", level: public }
  - { pattern: "*secret*", level: confidential }
`,
      { vars: {} },
    ),
  );
  const read = (path: string) =>
    guard.decide({
      identity: { principal: "p", capabilities: [] },
      domain: "filesystem",
      operation: "read",
      target: { path },
      context: {},
    });
  equal(read("/srv/public/index.html").sensitivity, "public");
  equal(read("/srv/public/secret.txt").sensitivity, "confidential");
  equal(read("/srv/other/a.txt").sensitivity, "internal");
  equal(read("/srv/public/index.html").risk_score, 1);
});
