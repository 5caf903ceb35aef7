/**
 * Zod schemas for the intent model (core/intent.ts): what untrusted input and ledger readers are
 * validated with. Kept apart from the types so that hot paths need not load zod.
 * @module
 */
import { z } from "zod";
import {
  type Context,
  type Decision,
  DOMAINS,
  type Identity,
  type Intent,
  INTENT_LIMITS,
  REASON_CODES,
  RESOURCE_FIELD,
  RISK_LEVELS,
  type RuleError,
  VERDICTS,
} from "./intent.ts";

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

/** Where the action comes from: session, tool, working directory, process id, workspace. */
export const ContextSchema = z.strictObject({
  session: z.string().max(256).optional(),
  tool: z.string().max(256).optional(),
  cwd: z.string().max(4096).optional(),
  pid: z.number().int().nonnegative().optional(),
  workspace: z.string().max(4096).optional(),
});

/** Target fields: plain JSON scalars or flat lists, keyed by name. */
export const TargetSchema = z.record(z.string().max(64), targetValue).refine(
  (target) => Object.keys(target).length <= INTENT_LIMITS.targetKeys,
  { message: `at most ${INTENT_LIMITS.targetKeys} target fields` },
);

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

/** A rule's run-time failure recorded in the decision. */
export const RuleErrorSchema = z.strictObject({ rule: z.string(), message: z.string() });

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

// The schemas and the hand-written types must agree: these fail to compile if they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [
  Same<z.infer<typeof IdentitySchema>, Identity>,
  Same<z.infer<typeof ContextSchema>, Context>,
  Same<z.infer<typeof IntentSchema>, Intent>,
  Same<z.infer<typeof RuleErrorSchema>, RuleError>,
  Same<z.infer<typeof DecisionSchema>, Decision>,
] = [true, true, true, true, true];
void agree;
