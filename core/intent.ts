/**
 * The intent model: who asks (identity), what for (domain, operation, target) and where from
 * (context), and the decision the guard returns. Every interception point builds an `Intent`.
 * @module
 */
import { z } from "zod";

/** The domains an intent can belong to (DESIGN.md). */
export const DOMAINS = [
  "filesystem",
  "ssh",
  "kubernetes",
  "search",
  "command",
  "http",
  "permission",
  "process",
  "instruction",
] as const;
/** One of {@link DOMAINS}. */
export type Domain = typeof DOMAINS[number];

/** Verdicts, from least to most restrictive. */
export const VERDICTS = ["allow", "shadow", "redact", "escalate", "deny"] as const;
/** One of {@link VERDICTS}. */
export type Verdict = typeof VERDICTS[number];

/** Session zones, which only ever advance. */
export const ZONES = ["SAFE", "SENSITIVE", "COMMITMENT", "IRREVERSIBLE"] as const;
/** One of {@link ZONES}. */
export type Zone = typeof ZONES[number];

/** Risk levels, lowest first. */
export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;
/** One of {@link RISK_LEVELS}. */
export type RiskLevel = typeof RISK_LEVELS[number];

/** Upper bounds on intent sizes: an intent is hostile input until proven otherwise. */
export const INTENT_LIMITS = {
  stringLength: 65_536,
  listLength: 4_096,
  targetKeys: 64,
  capabilities: 256,
} as const;

const boundedString = z.string().max(INTENT_LIMITS.stringLength);
const targetValue = z.union([
  boundedString,
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.union([boundedString, z.number()])).max(INTENT_LIMITS.listLength),
]);

/** Who is acting: principal (e.g. `agent:clawbot`), capabilities and purpose. */
export const IdentitySchema = z.strictObject({
  principal: z.string().min(1).max(256),
  capabilities: z.array(z.string().max(256)).max(INTENT_LIMITS.capabilities).default([]),
  purpose: z.string().max(256).optional(),
});
/** Parsed {@link IdentitySchema}. */
export type Identity = z.infer<typeof IdentitySchema>;

/** Where the action comes from: session, tool, working directory, process id, workspace. */
export const ContextSchema = z.strictObject({
  session: z.string().max(256).optional(),
  tool: z.string().max(256).optional(),
  cwd: z.string().max(4096).optional(),
  pid: z.number().int().nonnegative().optional(),
  workspace: z.string().max(4096).optional(),
});
/** Parsed {@link ContextSchema}. */
export type Context = z.infer<typeof ContextSchema>;

/** Target fields: plain JSON scalars or flat lists, keyed by name. */
export const TargetSchema = z.record(z.string().max(64), targetValue).refine(
  (target) => Object.keys(target).length <= INTENT_LIMITS.targetKeys,
  { message: `at most ${INTENT_LIMITS.targetKeys} target fields` },
);
/** A target value. */
export type TargetValue = z.infer<typeof targetValue>;
/** Parsed {@link TargetSchema}. */
export type Target = Record<string, TargetValue>;

/** The field each domain's target must carry: it names the resource. */
export const RESOURCE_FIELD: Readonly<Record<Domain, string>> = {
  filesystem: "path",
  ssh: "host",
  kubernetes: "resource",
  search: "path",
  command: "command",
  http: "url",
  permission: "value",
  process: "command",
  instruction: "text",
};

/** The operation an intent has when none is given (e.g. `wt check --domain filesystem`). */
export const DEFAULT_OPERATION: Readonly<Record<Domain, string>> = {
  filesystem: "read",
  ssh: "read",
  kubernetes: "get",
  search: "search",
  command: "exec",
  http: "get",
  permission: "read",
  process: "exec",
  instruction: "admit",
};

/** A complete intent: identity, domain, operation, target and context. */
export const IntentSchema = z.strictObject({
  identity: IdentitySchema,
  domain: z.enum(DOMAINS),
  operation: z.string().regex(/^[a-z][a-z0-9_.:-]{0,63}$/, {
    message: "operation must be a lower-case word such as read, write, delete, exec",
  }),
  target: TargetSchema,
  context: ContextSchema.default({}),
}).superRefine((intent, ctx) => {
  const field = RESOURCE_FIELD[intent.domain];
  if (typeof intent.target[field] !== "string") {
    ctx.addIssue({
      code: "custom",
      path: ["target", field],
      message: `a ${intent.domain} intent needs target.${field} as a string`,
    });
  }
});
/** Parsed {@link IntentSchema}. */
export type Intent = z.infer<typeof IntentSchema>;

/** The reasons a decision can give (see {@link ReasonCode}). */
export const REASON_CODES = [
  "boundary",
  "rule",
  "risk_threshold",
  "annotation",
  "approved",
  "default",
  "policy_unavailable",
  "ledger_unavailable",
  "invalid_intent",
  "condition_error",
] as const;

/** Why a decision came out as it did: a small fixed vocabulary (details go in `detail`). */
export type ReasonCode = typeof REASON_CODES[number];

/** A rule's run-time failure recorded in the decision. */
export const RuleErrorSchema = z.strictObject({ rule: z.string(), message: z.string() });
/** Parsed {@link RuleErrorSchema}. */
export type RuleError = z.infer<typeof RuleErrorSchema>;

/**
 * What the guard decided, and why: the shape recorded in the ledger's `data.decision` (readers
 * of a ledger validate entries with it).
 */
export const DecisionSchema = z.object({
  /** The verdict the policy gives (in observe mode: what it would have enforced). */
  verdict: z.enum(VERDICTS),
  /** Whether the verdict is enforced or only observed (never blocks). */
  mode: z.enum(["enforce", "observe"]),
  reason: z.enum(REASON_CODES),
  /** Human-readable explanation. */
  detail: z.string(),
  matched_rules: z.array(z.string()),
  risk_score: z.number(),
  risk_level: z.enum(RISK_LEVELS),
  /** Sensitivity class of the target (`public`, `internal`, …). */
  sensitivity: z.string(),
  /** Approval key for an escalation, when a rule names one. */
  approval_key: z.string().optional(),
  /** Conditions that failed at run time; they never widened access. */
  errors: z.array(RuleErrorSchema).optional(),
});
/** Parsed {@link DecisionSchema}. */
export type Decision = z.infer<typeof DecisionSchema>;

/** Restrictiveness rank of a verdict (higher is more restrictive). */
export function verdictRank(verdict: Verdict): number {
  return VERDICTS.indexOf(verdict);
}

/** The more restrictive of two verdicts. */
export function moreRestrictive(a: Verdict, b: Verdict): Verdict {
  return verdictRank(a) >= verdictRank(b) ? a : b;
}

/** Whether a verdict lets the operation go ahead now (allow, shadow, redact). */
export function permits(verdict: Verdict): boolean {
  return verdict === "allow" || verdict === "shadow" || verdict === "redact";
}

/**
 * The verdict an adapter acts on: the decision's verdict when enforcing; in observe mode nothing
 * is blocked, so a blocking verdict becomes `shadow` (allowed, heavily audited).
 */
export function effectiveVerdict(decision: Decision): Verdict {
  if (decision.mode === "observe" && !permits(decision.verdict)) return "shadow";
  return decision.verdict;
}
