/**
 * The intent model: who asks (identity), what for (domain, operation, target) and where from
 * (context), and the decision the guard returns. Every interception point builds an `Intent`.
 * Types and constants only (no zod, so hot paths stay light); intent_schema.ts validates.
 * @module
 */

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

/** Who is acting: principal (e.g. `agent:clawbot`), capabilities and purpose. */
export interface Identity {
  principal: string;
  capabilities: string[];
  purpose?: string | undefined;
}

/** Where the action comes from: session, tool, working directory, process id, workspace. */
export interface Context {
  session?: string | undefined;
  tool?: string | undefined;
  cwd?: string | undefined;
  pid?: number | undefined;
  workspace?: string | undefined;
}

/** A target value: a JSON scalar or a flat list. */
export type TargetValue = string | number | boolean | null | Array<string | number>;
/** Target fields, keyed by name. */
export type Target = Record<string, TargetValue>;

/** A complete intent: identity, domain, operation, target and context. */
export interface Intent {
  identity: Identity;
  domain: Domain;
  operation: string;
  target: Target;
  context: Context;
}

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
  "builtin_refusal",
  "invalid_intent",
  "condition_error",
  "session_unavailable",
] as const;

/** Why a decision came out as it did: a small fixed vocabulary (details go in `detail`). */
export type ReasonCode = typeof REASON_CODES[number];

/** A rule's run-time failure recorded in the decision. */
export interface RuleError {
  rule: string;
  message: string;
}

/** What the guard decided, and why: the shape recorded in the ledger's `data.decision`. */
export interface Decision {
  /** The verdict the policy gives (in observe mode: what it would have enforced). */
  verdict: Verdict;
  /** Whether the verdict is enforced or only observed (never blocks). */
  mode: "enforce" | "observe";
  reason: ReasonCode;
  /** Human-readable explanation. */
  detail: string;
  matched_rules: string[];
  risk_score: number;
  risk_level: RiskLevel;
  /** Sensitivity class of the target (`public`, `internal`, …). */
  sensitivity: string;
  /** Approval key for an escalation. */
  approval_key?: string | undefined;
  /** Conditions that failed at run time; they never widened access. */
  errors?: RuleError[] | undefined;
}

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
