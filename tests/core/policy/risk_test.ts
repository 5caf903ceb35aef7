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
