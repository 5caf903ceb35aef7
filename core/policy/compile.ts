/**
 * Compiles a merged policy once: globs, conditions and regular expressions become matchers,
 * rules are indexed by domain and sorted by priority, and every rule's examples are checked.
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import { type Domain, DOMAINS, type RiskLevel, type Verdict } from "../intent.ts";
import { compileGlob, type Glob, GlobSyntaxError } from "../match/glob.ts";
import {
  compileCondition,
  type CompiledCondition,
  type RegexCompiler,
  usesRegex,
} from "./expr/mod.ts";
import type {
  AuditLevel,
  MergedPolicy,
  PolicySettings,
  RuleDefinition,
  RuleKind,
  RuleOrigin,
} from "./model.ts";
import type { PreparedIntent } from "./prepare.ts";
import { fillVars, type PolicyVars } from "./vars.ts";
import type { MatchSpec } from "./schema.ts";

/** The outcome of testing one rule: matched, not matched, or the condition failed. */
export type RuleOutcome = true | false | { error: string };

/** A rule ready to test against prepared intents. */
export interface CompiledRule {
  readonly name: string;
  readonly kind: RuleKind;
  readonly priority: number;
  readonly action: Verdict;
  readonly audit: AuditLevel;
  readonly riskLevel: RiskLevel | undefined;
  readonly reason: string | undefined;
  readonly approvalKey: string | undefined;
  readonly origin: RuleOrigin;
  /** Domains the rule can apply to, or undefined for all. */
  readonly domains: ReadonlySet<Domain> | undefined;
  readonly definition: RuleDefinition;
  test(intent: PreparedIntent): RuleOutcome;
}

/** A compiled sensitivity classification entry. */
export interface CompiledSensitivity {
  readonly level: string;
  readonly weight: number;
  readonly domains: ReadonlySet<Domain> | undefined;
  readonly glob: Glob;
}

/** A policy compiled for one process: what the guard evaluates. */
export interface CompiledPolicy {
  readonly settings: PolicySettings;
  readonly merged: MergedPolicy;
  readonly vars: PolicyVars;
  /** All rules, boundaries included, in definition order. */
  readonly rules: readonly CompiledRule[];
  /** Per domain: boundaries, then policy rules sorted by descending priority. */
  readonly boundariesByDomain: ReadonlyMap<Domain, readonly CompiledRule[]>;
  readonly rulesByDomain: ReadonlyMap<Domain, readonly CompiledRule[]>;
  readonly sensitivity: readonly CompiledSensitivity[];
}

/** What compiling needs besides the merged policy. */
export interface CompileOptions {
  vars: PolicyVars;
  /** Needed when a condition calls `regex()` or a profile has authority boundaries. */
  regex?: RegexCompiler;
  /**
   * Compile each condition and glob when a rule first needs it, not now: for policies already
   * validated (the policy cache), where most rules never apply to one short-lived process's
   * intents. A late compile error throws from the match, which the guard turns into a denial.
   */
  lazyConditions?: boolean;
}

/** Whether compiling `merged` needs the regex engine (load it first: it costs start-up time). */
export function needsRegex(merged: MergedPolicy): boolean {
  return merged.rules.some((rule) =>
    rule.textPattern !== undefined || (rule.condition !== undefined && usesRegex(rule.condition))
  );
}

/** Compiles a merged policy. Throws `policy_invalid` naming the rule and field at fault. */
export function compilePolicy(merged: MergedPolicy, options: CompileOptions): CompiledPolicy {
  const t = merged.settings.thresholds;
  if (!(t.allow_max <= t.redact_max && t.redact_max < t.approval_min)) {
    throw new WatchtowerError(
      "policy_invalid",
      `Cannot load policy: merged thresholds must satisfy allow_max <= redact_max < approval_min, got ${t.allow_max}, ${t.redact_max}, ${t.approval_min}`,
    );
  }
  const weights = merged.settings.sensitivityWeights;
  if (!(merged.settings.defaultSensitivity in weights)) {
    throw new WatchtowerError(
      "policy_invalid",
      `Cannot load policy: sensitivity_weights has no weight for '${merged.settings.defaultSensitivity}'`,
    );
  }
  const rules = merged.rules.map((definition) => compileRule(definition, options));
  const sensitivity = merged.sensitivity.map((entry): CompiledSensitivity => {
    const weight = weights[entry.level];
    if (weight === undefined) {
      throw atOrigin(
        entry.origin,
        `level '${entry.level}' has no weight in sensitivity_weights (known: ${
          Object.keys(weights).join(", ")
        })`,
      );
    }
    return {
      level: entry.level,
      weight,
      domains: entry.domains ? new Set(entry.domains) : undefined,
      glob: globFor(
        fillVars(entry.pattern, options.vars, { glob: true }),
        {},
        entry.origin,
        "pattern",
        options.lazyConditions === true,
      ),
    };
  });
  const boundariesByDomain = new Map<Domain, CompiledRule[]>();
  const rulesByDomain = new Map<Domain, CompiledRule[]>();
  for (const domain of DOMAINS) {
    const applies = (rule: CompiledRule) => !rule.domains || rule.domains.has(domain);
    boundariesByDomain.set(domain, rules.filter((r) => r.kind === "boundary" && applies(r)));
    rulesByDomain.set(
      domain,
      rules.filter((r) => r.kind === "policy" && applies(r))
        .sort((a, b) => b.priority - a.priority),
    );
  }
  return {
    settings: merged.settings,
    merged,
    vars: options.vars,
    rules,
    boundariesByDomain,
    rulesByDomain,
    sensitivity,
  };
}

function atOrigin(origin: RuleOrigin, message: string): WatchtowerError {
  return new WatchtowerError(
    "policy_invalid",
    `Cannot load policy ${origin.file}:${origin.line}:${origin.column}: ${origin.field}: ${message}`,
    {
      location: {
        file: origin.file,
        line: origin.line,
        column: origin.column,
        field: origin.field,
      },
    },
  );
}

const NEVER: Glob = { pattern: "", test: () => false };

function globOrThrow(
  pattern: string | undefined,
  options: { path?: boolean; ignoreCase?: boolean },
  origin: RuleOrigin,
  field: string,
): Glob {
  // A pattern naming a value this process does not know (no workspace) can never match.
  if (pattern === undefined) return NEVER;
  try {
    return compileGlob(pattern, options);
  } catch (error) {
    if (error instanceof GlobSyntaxError) {
      throw atOrigin(origin, `${field} '${pattern}': ${error.message}`);
    }
    throw error;
  }
}

/** `globOrThrow`, now or (`lazy`) on the first test. */
function globFor(
  pattern: string | undefined,
  options: { path?: boolean; ignoreCase?: boolean },
  origin: RuleOrigin,
  field: string,
  lazy: boolean,
): Glob {
  if (!lazy || pattern === undefined) return globOrThrow(pattern, options, origin, field);
  let glob: Glob | undefined;
  return {
    pattern,
    test: (text) => (glob ??= globOrThrow(pattern, options, origin, field)).test(text),
  };
}

const list = (value: string | string[] | undefined): string[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];

type Matcher = (intent: PreparedIntent) => boolean;

function compileMatch(
  match: MatchSpec,
  vars: PolicyVars,
  origin: RuleOrigin,
  lazy: boolean,
): Matcher[] {
  const matchers: Matcher[] = [];
  const globs = (key: keyof MatchSpec, options: { path?: boolean; ignoreCase?: boolean } = {}) =>
    list(match[key] as string | string[] | undefined)?.map((pattern) =>
      globFor(
        options.path ? fillVars(pattern, vars, { glob: true }) : pattern,
        options,
        origin,
        `match.${key}`,
        lazy,
      )
    );
  const any = (patterns: Glob[], value: string) => patterns.some((glob) => glob.test(value));

  const operation = globs("operation");
  if (operation) matchers.push((p) => any(operation, p.intent.operation));
  const principal = globs("principal");
  if (principal) matchers.push((p) => any(principal, p.intent.identity.principal));
  const purpose = globs("purpose");
  if (purpose) matchers.push((p) => any(purpose, p.intent.identity.purpose ?? ""));
  const capability = globs("capability");
  if (capability) {
    matchers.push((p) => p.intent.identity.capabilities.some((c) => any(capability, c)));
  }
  const tool = globs("tool");
  if (tool) matchers.push((p) => any(tool, p.intent.context.tool ?? ""));
  const path = globs("path", { path: true });
  if (path) matchers.push((p) => p.path !== undefined && any(path, p.path));
  const url = globs("url", { ignoreCase: true });
  if (url) matchers.push((p) => p.url.forms.some((form) => any(url, form)));
  const method = globs("method", { ignoreCase: true });
  if (method) {
    matchers.push((p) => {
      const value = p.target.method;
      return any(method, typeof value === "string" ? value : p.intent.operation);
    });
  }
  const host = globs("host", { ignoreCase: true });
  if (host) matchers.push((p) => any(host, p.host));
  const command = globs("command");
  if (command) {
    matchers.push((p) => {
      const value = p.target.command;
      return typeof value === "string" && any(command, value.trim());
    });
  }
  const resource = globs("resource");
  if (resource) {
    matchers.push((p) =>
      p.intent.domain === "http"
        ? p.url.forms.some((form) => any(resource, form))
        : any(resource, p.resource)
    );
  }
  return matchers;
}

function compileRule(definition: RuleDefinition, options: CompileOptions): CompiledRule {
  const { origin } = definition;
  const domainList = list(definition.match.domain) as Domain[] | undefined;
  const matchers = compileMatch(
    definition.match,
    options.vars,
    origin,
    options.lazyConditions === true,
  );
  const compileIt = (): CompiledCondition | undefined => {
    if (definition.condition === undefined) return undefined;
    try {
      return compileCondition(definition.condition, options.regex ? { regex: options.regex } : {});
    } catch (error) {
      if (error instanceof WatchtowerError && error.code === "condition_syntax") {
        throw atOrigin(origin, `rule '${definition.name}': condition: ${error.message}`);
      }
      throw error;
    }
  };
  let condition = options.lazyConditions ? undefined : compileIt();
  let compiled = !options.lazyConditions;
  let broken: string | undefined;
  let text: ((value: string) => boolean) | undefined;
  if (definition.textPattern !== undefined) {
    if (!options.regex) {
      throw atOrigin(
        origin,
        "authority boundaries need the regex engine; load it before compiling",
      );
    }
    try {
      text = options.regex(`(?i)${definition.textPattern}`);
    } catch (error) {
      throw atOrigin(
        origin,
        `pattern '${definition.textPattern}' is not a valid regular expression: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
  }
  const restrictive = definition.action === "deny" || definition.action === "escalate";
  const test = (intent: PreparedIntent): RuleOutcome => {
    try {
      for (const matcher of matchers) if (!matcher(intent)) return false;
    } catch (error) {
      // A lazy glob that does not compile (validated when cached, so unexpected): as a broken
      // condition, it never widens access.
      const message = error instanceof Error ? error.message : String(error);
      return { error: `${restrictive ? "applied" : "skipped"}: ${message}` };
    }
    if (text && !text(intent.resource)) return false;
    if (!compiled) {
      compiled = true;
      try {
        condition = compileIt();
      } catch (error) {
        // Validated when cached, so this is unexpected: the rule counts as failing, every time.
        broken = error instanceof Error ? error.message : String(error);
      }
    }
    if (broken !== undefined) return { error: `${restrictive ? "applied" : "skipped"}: ${broken}` };
    if (!condition) return true;
    try {
      return condition.test(intent.scope);
    } catch (error) {
      // A failing condition never widens access: restrictive rules match, permissive ones don't.
      const message = error instanceof Error ? error.message : String(error);
      return { error: `${restrictive ? "applied" : "skipped"}: ${message}` };
    }
  };
  return {
    name: definition.name,
    kind: definition.kind,
    priority: definition.priority,
    action: definition.action,
    audit: definition.audit,
    riskLevel: definition.riskLevel,
    reason: definition.reason,
    approvalKey: definition.approvalKey,
    origin,
    domains: domainList ? new Set(domainList) : undefined,
    definition,
    test,
  };
}

/** Whether a rule outcome counts as a match (errors count when the rule is restrictive). */
export function outcomeMatches(rule: CompiledRule, outcome: RuleOutcome): boolean {
  if (typeof outcome === "boolean") return outcome;
  return rule.action === "deny" || rule.action === "escalate";
}
