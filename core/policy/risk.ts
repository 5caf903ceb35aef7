/**
 * Risk scoring (chainwatch's model): the target's sensitivity weight plus the operation's weight
 * plus what annotators add; thresholds turn the score into a verdict floor and a risk level.
 * @module
 */
import { RISK_LEVELS, type RiskLevel, type Verdict } from "../intent.ts";
import type { CompiledPolicy } from "./compile.ts";
import type { PreparedIntent } from "./prepare.ts";

/** The sensitivity class of an intent's resource and its weight. */
export interface SensitivityAssessment {
  level: string;
  weight: number;
}

/**
 * Classifies the intent's resource: the heaviest classification entry that matches, never lighter
 * than a `sensitivity` the target itself declares (a declared class can only raise the score).
 */
export function classify(policy: CompiledPolicy, intent: PreparedIntent): SensitivityAssessment {
  const weights = policy.settings.sensitivityWeights;
  const fallback = policy.settings.defaultSensitivity;
  // The heaviest classification that matches (or the target's declared one); the default level
  // only when nothing matches, so that a lighter class (`public`) does apply.
  let best: SensitivityAssessment | undefined;
  const declared = intent.target.sensitivity;
  if (typeof declared === "string" && weights[declared] !== undefined) {
    best = { level: declared, weight: weights[declared] };
  }
  const domain = intent.intent.domain;
  const forms = domain === "http" ? intent.url.forms : [intent.resource];
  for (const entry of policy.sensitivity) {
    if (best && entry.weight <= best.weight) continue;
    if (entry.domains && !entry.domains.has(domain)) continue;
    if (forms.some((form) => entry.glob.test(form))) {
      best = { level: entry.level, weight: entry.weight };
    }
  }
  return best ?? { level: fallback, weight: weights[fallback] ?? 0 };
}

/** The operation's weight (the `*` entry for operations the table does not name). */
export function operationWeight(policy: CompiledPolicy, operation: string): number {
  const weights = policy.settings.operationWeights;
  return weights[operation] ?? weights["*"] ?? 0;
}

/**
 * The verdict floor a score implies: allow up to allow_max, redact up to redact_max, else
 * escalate. Redaction filters what an operation returns, so the redact tier applies to reads
 * (operations of weight 0); a write, delete or exec in that tier is allowed.
 */
export function thresholdVerdict(policy: CompiledPolicy, score: number, isRead: boolean): Verdict {
  const t = policy.settings.thresholds;
  if (score <= t.allow_max) return "allow";
  if (score <= t.redact_max) return isRead ? "redact" : "allow";
  return "escalate";
}

/** The risk level a score implies: low, medium, or high from approval_min up. */
export function scoreLevel(policy: CompiledPolicy, score: number): RiskLevel {
  const t = policy.settings.thresholds;
  if (score <= t.allow_max) return "low";
  if (score < t.approval_min) return "medium";
  return "high";
}

/** The higher of two risk levels. */
export function higherLevel(a: RiskLevel, b: RiskLevel | undefined): RiskLevel {
  if (b === undefined) return a;
  return RISK_LEVELS.indexOf(b) > RISK_LEVELS.indexOf(a) ? b : a;
}
