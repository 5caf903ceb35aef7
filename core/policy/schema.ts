/**
 * The zod schema of a policy document. One schema accepts the three shapes DESIGN.md names
 * (Watchtower 2.0 `policies[]`, chainwatch `thresholds`/`sensitivity_weights`/`rules[]`, profiles
 * with boundaries) and any mixture of them; unknown keys are errors.
 * @module
 */
import { z } from "zod";
import { DOMAINS, RISK_LEVELS, ZONES } from "../intent.ts";

/** Action words accepted in documents, with the verdict each means. */
export const ACTION_ALIASES = {
  allow: "allow",
  deny: "deny",
  escalate: "escalate",
  shadow: "shadow",
  redact: "redact",
  require_approval: "escalate",
  allow_with_redaction: "redact",
} as const;
/** An action word of {@link ACTION_ALIASES}. */
export type ActionWord = keyof typeof ACTION_ALIASES;

const actionWord = z.enum(Object.keys(ACTION_ALIASES) as [ActionWord, ...ActionWord[]], {
  error: `expected one of ${Object.keys(ACTION_ALIASES).join(", ")}`,
});

const text = (max: number) => z.string({ error: "expected a string" }).max(max);
const pattern = text(4096).min(1, { error: "a pattern cannot be empty" });
const oneOrMany = <T extends z.ZodType<string>>(item: T) =>
  z.union([item, z.array(item).min(1).max(1024)], {
    error: "expected a string or a list of strings",
  });

const ruleName = z.string({ error: "expected a rule name" }).regex(
  /^[A-Za-z0-9][\w.:@/*-]{0,127}$/,
  {
    error:
      "a rule name is 1-128 letters, digits and . _ : @ / * - (starting with a letter or digit)",
  },
);

/** Which intents a rule applies to; every key given must match (values are globs). */
export const MatchSchema = z.strictObject({
  domain: oneOrMany(z.enum(DOMAINS, { error: `expected one of ${DOMAINS.join(", ")}` })).optional(),
  operation: oneOrMany(pattern).optional(),
  principal: oneOrMany(pattern).optional(),
  purpose: oneOrMany(pattern).optional(),
  capability: oneOrMany(pattern).optional(),
  tool: oneOrMany(pattern).optional(),
  path: oneOrMany(pattern).optional(),
  url: oneOrMany(pattern).optional(),
  method: oneOrMany(pattern).optional(),
  host: oneOrMany(pattern).optional(),
  command: oneOrMany(pattern).optional(),
  resource: oneOrMany(pattern).optional(),
});
/** Parsed {@link MatchSchema}. */
export type MatchSpec = z.infer<typeof MatchSchema>;

/** An example intent: a resource string (path, URL or command line) or a partial intent. */
export const ExampleSchema = z.union([
  text(65_536),
  z.strictObject({
    domain: z.enum(DOMAINS).optional(),
    operation: text(64).optional(),
    target: z.record(z.string(), z.unknown()).default({}),
    identity: z.record(z.string(), z.unknown()).optional(),
    context: z.record(z.string(), z.unknown()).optional(),
    /** The session zone the example is decided in (default SAFE). */
    zone: z.enum(ZONES).optional(),
  }),
], { error: "an example is a string (path, URL or command) or an intent object" });
/** Parsed {@link ExampleSchema}. */
export type ExampleSpec = z.infer<typeof ExampleSchema>;

const examples = z.strictObject({
  match: z.array(ExampleSchema).max(256).default([]),
  not_match: z.array(ExampleSchema).max(256).default([]),
});

const riskLevel = z.enum(RISK_LEVELS, { error: `expected one of ${RISK_LEVELS.join(", ")}` });
const priority = z.number({ error: "expected a number" }).int({ error: "expected a whole number" })
  .min(-1_000_000).max(1_000_000);

/** A Watchtower 2.0 policy rule (with Watchtower's additions: reason, examples, …). */
export const PolicyRuleSchema = z.strictObject({
  name: ruleName,
  description: text(2048).optional(),
  priority: priority.default(0),
  match: MatchSchema.default({}),
  condition: text(8192).optional(),
  action: actionWord,
  audit: z.enum(["none", "minimal", "standard", "heavy"]).default("standard"),
  risk_level: riskLevel.optional(),
  reason: text(1024).optional(),
  approval_key: z.string().regex(/^[\w.:-]{1,128}$/).optional(),
  enabled: z.boolean().default(true),
  examples: examples.optional(),
});
/** Parsed {@link PolicyRuleSchema}. */
export type PolicyRuleSpec = z.infer<typeof PolicyRuleSchema>;

/** A chainwatch purpose-bound rule. */
export const PurposeRuleSchema = z.strictObject({
  name: ruleName.optional(),
  purpose: pattern,
  resource_pattern: pattern,
  domain: oneOrMany(z.enum(DOMAINS)).optional(),
  decision: actionWord,
  approval_key: z.string().regex(/^[\w.:-]{1,128}$/).optional(),
  reason: text(1024).optional(),
  priority: priority.default(0),
  examples: examples.optional(),
});
/** Parsed {@link PurposeRuleSchema}. */
export type PurposeRuleSpec = z.infer<typeof PurposeRuleSchema>;

/** A profile's authority boundary: a regular expression over instruction text. */
export const AuthorityBoundarySchema = z.strictObject({
  pattern,
  reason: text(1024).optional(),
});

/** A profile's execution boundaries: patterns that are always denied. */
export const ExecutionBoundariesSchema = z.strictObject({
  urls: z.array(pattern).max(4096).default([]),
  commands: z.array(pattern).max(4096).default([]),
  file_patterns: z.array(pattern).max(4096).default([]),
});

const weight = z.number({ error: "expected a number" }).min(0).max(1000);

/** Risk thresholds (chainwatch): allow ≤ allow_max, redact ≤ redact_max, approval ≥ approval_min. */
export const ThresholdsSchema = z.strictObject({
  allow_max: weight.optional(),
  redact_max: weight.optional(),
  approval_min: weight.optional(),
});

/** A sensitivity classification entry: resources matching `pattern` have `level`. */
export const SensitivitySchema = z.strictObject({
  pattern,
  level: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, { error: "expected a level name" }),
  domain: oneOrMany(z.enum(DOMAINS)).optional(),
});

/** How the ledger is written: durability mode and segment size. */
export const LedgerSettingsSchema = z.strictObject({
  sync: z.enum(["always", "batch"], { error: "expected always or batch" }).optional(),
  segment_bytes: z.number({ error: "expected a number" }).int().min(4096).max(1 << 30).optional(),
});

/** Which addresses the egress proxy may connect to beyond public ones (docs/proxy.md). */
export const EgressSettingsSchema = z.strictObject({
  allow_loopback: z.boolean({ error: "expected true or false" }).optional(),
  allow_private: z.boolean({ error: "expected true or false" }).optional(),
});

/** The whole document: every key optional, unknown keys rejected. */
export const PolicyDocumentSchema = z.strictObject({
  version: z.union([z.string(), z.number()]).optional(),
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, {
    error: "a profile name is lower-case letters, digits, - and _",
  }).optional(),
  description: text(4096).optional(),
  mode: z.enum(["enforce", "observe"], { error: "expected enforce or observe" }).optional(),
  default: actionWord.optional(),
  profiles: z.array(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)).max(32).optional(),
  thresholds: ThresholdsSchema.optional(),
  sensitivity_weights: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,31}$/), weight).optional(),
  sensitivity: z.array(SensitivitySchema).max(4096).optional(),
  operation_weights: z.record(z.string().regex(/^[a-z][a-z0-9_.:-]{0,63}$/), weight).optional(),
  ledger: LedgerSettingsSchema.optional(),
  egress: EgressSettingsSchema.optional(),
  policies: z.array(PolicyRuleSchema).max(10_000).optional(),
  rules: z.array(PurposeRuleSchema).max(10_000).optional(),
  authority_boundaries: z.array(AuthorityBoundarySchema).max(4096).optional(),
  execution_boundaries: ExecutionBoundariesSchema.optional(),
});
/** Parsed {@link PolicyDocumentSchema}. */
export type PolicyDocument = z.infer<typeof PolicyDocumentSchema>;

/** The document versions this build reads (Watchtower 2.x). */
export function isSupportedVersion(version: string | number): boolean {
  return /^2(\.\d+){0,2}$/.test(String(version));
}
