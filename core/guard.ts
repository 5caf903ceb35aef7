/**
 * The guard every interception point asks: boundaries, then policy rules by priority, then risk
 * thresholds, then the default; the most restrictive verdict that applies wins.
 * @module
 */
import { WatchtowerError } from "./errors.ts";
import { sha256, toHex } from "./ledger/sha256.ts";
import {
  type Decision,
  type Intent,
  moreRestrictive,
  type ReasonCode,
  type RiskLevel,
  type RuleError,
  type Verdict,
  verdictRank,
  type Zone,
} from "./intent.ts";
import { type CompiledPolicy, type CompiledRule, outcomeMatches } from "./policy/compile.ts";
import type { AuditLevel } from "./policy/model.ts";
import { PreparedIntent } from "./policy/prepare.ts";
import { classifyAction } from "./session/zones.ts";
import {
  classify,
  higherLevel,
  operationWeight,
  scoreLevel,
  thresholdVerdict,
} from "./policy/risk.ts";

/** What an annotator adds to a decision (GTFOBins alerts, for example). */
export interface Annotation {
  /** Merged into the decision's annotations (and so into the ledger entry). */
  annotations: Record<string, unknown>;
  /** Added to the risk score. */
  risk?: number;
  /** Raises the decision's risk level. */
  level?: RiskLevel;
  /** A verdict the decision can be no less restrictive than, with why. */
  floor?: { verdict: Verdict; detail: string };
}

/** Adds facts about an intent before the rules run. */
export interface Annotator {
  readonly name: string;
  annotate(intent: Intent): Annotation | undefined;
}

/** The session a decision is made in: its id and current zone. */
export interface SessionView {
  id: string;
  zone: Zone;
}

/** Consulted for escalations: a human's standing approval turns `escalate` into `allow`. */
export interface ApprovalHook {
  check(intent: Intent, decision: Decision): { approved: true; detail: string } | undefined;
}

/** Extension points for later layers. */
export interface GuardOptions {
  annotators?: readonly Annotator[];
  approvals?: ApprovalHook;
}

/** A decision plus the deeper facts adapters need (audit depth, annotations). */
export interface GuardDecision extends Decision {
  audit: AuditLevel;
  annotations: Record<string, unknown>;
}

const AUDIT_ORDER: readonly AuditLevel[] = ["none", "minimal", "standard", "heavy"];

/**
 * Decides intents against a compiled policy, or denies everything when no valid policy could be
 * loaded ({@link Guard.unavailable}).
 */
export class Guard {
  /** The compiled policy, or undefined when it could not be loaded. */
  readonly policy: CompiledPolicy | undefined;
  /** Why this guard denies everything, when the policy could not be loaded. */
  readonly unavailableReason: WatchtowerError | undefined;
  readonly #options: GuardOptions;

  /** A guard over `policy`; given the error that stopped the policy loading, it denies all. */
  constructor(policy: CompiledPolicy | WatchtowerError, options: GuardOptions = {}) {
    if (policy instanceof WatchtowerError) {
      this.policy = undefined;
      this.unavailableReason = policy;
    } else {
      this.policy = policy;
      this.unavailableReason = undefined;
    }
    this.#options = options;
  }

  /** A guard that denies every intent because the policy could not be loaded. */
  static unavailable(error: WatchtowerError): Guard {
    return new Guard(error);
  }

  /**
   * Decides one intent. Never throws: any internal failure is a deny with its reason.
   *
   * @example
   * ```ts
   * import { Guard, loadPolicyFromText } from "../mod.ts";
   * import { equal } from "node:assert/strict";
   * const policy = await loadPolicyFromText(
   *   "policies:\n  - {name: tmp, match: {domain: filesystem}, condition: \"target.path.startswith('/tmp/')\", action: allow}\n",
   *   { vars: {} },
   * );
   * const guard = new Guard(policy);
   * const intent = {
   *   identity: { principal: "agent:demo", capabilities: [] },
   *   domain: "filesystem" as const, operation: "read", target: { path: "/tmp/x" }, context: {},
   * };
   * equal(guard.decide(intent).verdict, "allow");
   * ```
   */
  decide(intent: Intent, session?: SessionView): GuardDecision {
    const policy = this.policy;
    if (!policy) {
      return failClosed("policy_unavailable", this.unavailableReason?.message ?? "no policy");
    }
    try {
      return this.#decide(policy, intent, session);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return failClosed("invalid_intent", `cannot decide: ${message}`);
    }
  }

  #decide(policy: CompiledPolicy, intent: Intent, session?: SessionView): GuardDecision {
    const prepared = new PreparedIntent(intent, policy.vars);
    const zone = session?.zone ?? "SAFE";
    prepared.zone = zone;
    const annotations: Record<string, unknown> = { zone };
    let extraRisk = 0;
    let level: RiskLevel = "low";
    let floor: { verdict: Verdict; detail: string } | undefined;
    for (const annotator of this.#options.annotators ?? []) {
      const note = annotator.annotate(intent);
      if (!note) continue;
      Object.assign(annotations, note.annotations);
      extraRisk += note.risk ?? 0;
      level = higherLevel(level, note.level);
      if (note.floor && (!floor || verdictRank(note.floor.verdict) > verdictRank(floor.verdict))) {
        floor = note.floor;
      }
    }
    prepared.annotations = annotations;
    const sensitivity = classify(policy, prepared);
    // What the action would do to the session (zones.ts): sensitive from confidential up.
    const confidential = policy.settings.sensitivityWeights.confidential ?? 5;
    annotations.action_zone = classifyAction(intent, sensitivity.weight >= confidential);
    const opWeight = operationWeight(policy, intent.operation);
    const risk = sensitivity.weight + opWeight + extraRisk;
    prepared.risk = risk;

    const errors: RuleError[] = [];
    const test = (rule: CompiledRule): boolean => {
      const outcome = rule.test(prepared);
      if (typeof outcome === "object") errors.push({ rule: rule.name, message: outcome.error });
      return outcomeMatches(rule, outcome);
    };

    // 1. Boundaries: no policy rule can lift them.
    const boundaries = (policy.boundariesByDomain.get(intent.domain) ?? []).filter(test);
    // 2. Policy rules: the highest priority tier with a match decides; within it, most restrictive.
    const tier: CompiledRule[] = [];
    for (const rule of policy.rulesByDomain.get(intent.domain) ?? []) {
      if (tier.length > 0 && rule.priority < tier[0]!.priority) break;
      if (test(rule)) tier.push(rule);
    }
    // 3. Risk thresholds: a floor on the verdict.
    const threshold = thresholdVerdict(policy, risk, opWeight === 0);

    const candidates: Array<
      { verdict: Verdict; reason: ReasonCode; detail: string; rules: CompiledRule[] }
    > = [];
    for (const rule of boundaries) {
      candidates.push({
        verdict: rule.action,
        reason: "boundary",
        detail: `boundary ${rule.name}: ${rule.reason ?? "outside the boundary"}`,
        rules: [rule],
      });
    }
    if (tier.length > 0) {
      const verdict = tier.map((rule) => rule.action).reduce(moreRestrictive);
      const deciding = tier.filter((rule) => rule.action === verdict);
      const first = deciding[0]!;
      candidates.push({
        verdict,
        reason: "rule",
        detail: `rule ${first.name}${first.reason ? `: ${first.reason}` : ""}`,
        rules: tier,
      });
    } else if (boundaries.length === 0) {
      candidates.push({
        verdict: policy.settings.defaultVerdict,
        reason: "default",
        detail: `no rule matched; the default is ${policy.settings.defaultVerdict}`,
        rules: [],
      });
    }
    candidates.push({
      verdict: threshold,
      reason: "risk_threshold",
      detail: `risk ${risk} (${sensitivity.level} ${intent.operation}) against thresholds ${
        JSON.stringify(policy.settings.thresholds)
      }`,
      rules: [],
    });
    if (floor) {
      candidates.push({
        verdict: floor.verdict,
        reason: "annotation",
        detail: floor.detail,
        rules: [],
      });
    }
    // Most restrictive wins; on a tie the earlier stage explains the decision.
    let winner = candidates[0]!;
    for (const candidate of candidates) {
      if (verdictRank(candidate.verdict) > verdictRank(winner.verdict)) winner = candidate;
    }

    const matched = [...boundaries, ...tier];
    let audit: AuditLevel = "standard";
    for (const rule of matched) {
      if (AUDIT_ORDER.indexOf(rule.audit) > AUDIT_ORDER.indexOf(audit)) audit = rule.audit;
      level = higherLevel(level, rule.riskLevel);
    }
    if (winner.verdict === "shadow") audit = "heavy";
    const decision: GuardDecision = {
      verdict: winner.verdict,
      mode: policy.settings.mode,
      reason: winner.reason,
      detail: winner.detail,
      matched_rules: matched.map((rule) => rule.name),
      risk_score: risk,
      risk_level: higherLevel(level, scoreLevel(policy, risk)),
      sensitivity: sensitivity.level,
      audit,
      annotations,
    };
    if (winner.verdict === "escalate") {
      decision.approval_key = winner.rules.find((rule) => rule.approvalKey)?.approvalKey ??
        approvalKeyFor(intent, prepared.target);
    }
    if (errors.length > 0) decision.errors = errors;
    if (decision.verdict === "escalate" && this.#options.approvals) {
      const grant = this.#options.approvals.check(intent, decision);
      if (grant?.approved) {
        decision.verdict = "allow";
        decision.reason = "approved";
        decision.detail = `${grant.detail} (was: ${decision.detail})`;
      }
    }
    return decision;
  }
}

/**
 * The approval key of an escalation no rule names a key for: derived from who asks for what, so
 * the same request gets the same key (and a human approves exactly that request).
 */
export function approvalKeyFor(intent: Intent, target: Intent["target"]): string {
  // The whole (normalised) target counts: approving `chmod u+x f` must not approve `chmod o+w f`.
  const text = [intent.identity.principal, intent.domain, intent.operation, canonical(target)]
    .join("\u0000");
  return `wt-${toHex(sha256(new TextEncoder().encode(text))).slice(0, 16)}`;
}

/** JSON with sorted keys, so that equal targets give equal text. */
function canonical(target: Intent["target"]): string {
  return JSON.stringify(Object.keys(target).sort().map((key) => [key, target[key]]));
}

/** A deny that no policy made: the guard or its ledger could not do its job. */
export function failClosed(reason: ReasonCode, detail: string): GuardDecision {
  return {
    verdict: "deny",
    mode: "enforce",
    reason,
    detail,
    matched_rules: [],
    risk_score: 0,
    risk_level: "high",
    sensitivity: "unknown",
    audit: "heavy",
    annotations: {},
  };
}
