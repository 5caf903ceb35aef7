/**
 * Rule examples: each rule may list intents (or resource strings) it must match and must not
 * match. They are checked when the policy loads and by `wt policy test`.
 * @module
 */
import { DEFAULT_OPERATION, type Domain, type Intent, RESOURCE_FIELD } from "../intent.ts";
import { IntentSchema } from "../intent_schema.ts";
import type { CompiledPolicy, CompiledRule } from "./compile.ts";
import { outcomeMatches } from "./compile.ts";
import { PreparedIntent } from "./prepare.ts";
import { classify, operationWeight } from "./risk.ts";
import { fillVars, type PolicyVars } from "./vars.ts";
import type { ExampleSpec } from "./schema.ts";

/** One example that did not behave as its rule says. */
export interface ExampleFailure {
  rule: string;
  /** `match` (should have matched) or `not_match` (should not have). */
  expectation: "match" | "not_match";
  index: number;
  example: ExampleSpec;
  /** Where the rule is written: `file:line:col`. */
  where: string;
  message: string;
}

/** Counts of a run over every example of every rule. */
export interface ExampleReport {
  rules: number;
  examples: number;
  /** Examples that name a variable this process does not know (no workspace, say). */
  skipped: number;
  failures: ExampleFailure[];
}

/** Runs every example of every rule in `policy`. */
export function checkExamples(policy: CompiledPolicy): ExampleReport {
  const report: ExampleReport = { rules: 0, examples: 0, skipped: 0, failures: [] };
  for (const rule of policy.rules) {
    const examples = rule.definition.examples;
    if (!examples) continue;
    report.rules++;
    for (const expectation of ["match", "not_match"] as const) {
      examples[expectation].forEach((example, index) => {
        report.examples++;
        const failure = checkOne(policy, rule, example, expectation === "match");
        if (failure === SKIPPED) {
          report.skipped++;
        } else if (failure) {
          report.failures.push({
            rule: rule.name,
            expectation,
            index,
            example,
            where: `${rule.origin.file}:${rule.origin.line}:${rule.origin.column}`,
            message: failure,
          });
        }
      });
    }
  }
  return report;
}

function checkOne(
  policy: CompiledPolicy,
  rule: CompiledRule,
  example: ExampleSpec,
  shouldMatch: boolean,
): string | typeof SKIPPED | undefined {
  const built = exampleIntent(rule, example, policy.vars);
  if (built === SKIPPED) return SKIPPED;
  if (typeof built === "string") return built;
  const prepared = new PreparedIntent(built, policy.vars);
  if (typeof example === "object" && example.zone) prepared.zone = example.zone;
  prepared.risk = classify(policy, prepared).weight + operationWeight(policy, built.operation);
  const outcome = rule.test(prepared);
  const matched = outcomeMatches(rule, outcome);
  if (matched === shouldMatch) return undefined;
  const error = typeof outcome === "object" ? ` (condition failed: ${outcome.error})` : "";
  return `${
    shouldMatch ? "expected to match but did not" : "expected not to match but did"
  }${error}`;
}

/** The literal value of a match key, when it names exactly one value without glob characters. */
function literal(value: string | string[] | undefined): string | undefined {
  const single = Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
  return single !== undefined && !/[*?[\]]/.test(single) ? single : undefined;
}

function inferDomain(rule: CompiledRule, example: ExampleSpec): Domain | undefined {
  if (typeof example === "object" && example.domain) return example.domain;
  const match = rule.definition.match;
  const domains = match.domain === undefined ? [] : [match.domain].flat();
  if (domains.length > 0) return domains[0];
  if (match.command) return "command";
  if (match.url || match.method || match.host) return "http";
  if (match.path) return "filesystem";
  return undefined;
}

/** Marks an example that names a variable this process does not know (no workspace, say). */
export const SKIPPED = Symbol("skipped");

/** Builds the intent an example stands for, or a message saying why it cannot. */
export function exampleIntent(
  rule: CompiledRule,
  example: ExampleSpec,
  vars: PolicyVars,
): Intent | string | typeof SKIPPED {
  const domain = inferDomain(rule, example);
  if (!domain) {
    return "cannot tell the example's domain: give it as an intent with a domain";
  }
  const match = rule.definition.match;
  const operation = (typeof example === "object" ? example.operation : undefined) ??
    literal(match.operation) ?? DEFAULT_OPERATION[domain];
  const target: Record<string, unknown> = typeof example === "string"
    ? { [RESOURCE_FIELD[domain]]: example }
    : { ...example.target };
  for (const field of ["path", "dest"]) {
    const value = target[field];
    if (typeof value !== "string") continue;
    const filled = fillVars(value, vars);
    if (filled === undefined) return SKIPPED;
    target[field] = filled;
  }
  if (domain === "http" && target.method === undefined) target.method = operation.toUpperCase();
  const purpose = literal(match.purpose);
  const identity = {
    principal: literal(match.principal) ?? "agent:example",
    capabilities: [],
    ...(purpose ? { purpose } : {}),
    ...(typeof example === "object" ? example.identity : {}),
  };
  const context = typeof example === "object" ? example.context ?? {} : {};
  const parsed = IntentSchema.safeParse({ identity, domain, operation, target, context });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `the example is not a valid intent: ${issue.path.join(".")}: ${issue.message}`;
  }
  return parsed.data;
}
