/**
 * The one internal rule model that every document shape is translated into, and the built-in
 * defaults that come first in the merge order.
 * @module
 */
import type { Domain, RiskLevel, Verdict } from "../intent.ts";
import type { ExampleSpec, MatchSpec } from "./schema.ts";

/** Audit depth a rule asks for; the deepest of the deciding rules wins. */
export type AuditLevel = "none" | "minimal" | "standard" | "heavy";

/** Where a rule was written. */
export interface RuleOrigin {
  file: string;
  line: number;
  column: number;
  /** Field path of the rule inside its document, e.g. `policies[2]`. */
  field: string;
}

/** What kind of rule: a policy rule, or a boundary that no policy rule can lift. */
export type RuleKind = "policy" | "boundary";

/** A rule after translation from its document, before compilation. */
export interface RuleDefinition {
  name: string;
  kind: RuleKind;
  priority: number;
  match: MatchSpec;
  /** Condition source (the safe expression language). */
  condition?: string;
  /**
   * For authority boundaries: a regular expression searched (case-insensitively) in the
   * instruction text.
   */
  textPattern?: string;
  action: Verdict;
  audit: AuditLevel;
  riskLevel?: RiskLevel;
  reason?: string;
  approvalKey?: string;
  examples?: { match: ExampleSpec[]; not_match: ExampleSpec[] };
  origin: RuleOrigin;
  /** `enabled: false`: removes an earlier rule of the same name when layers merge. */
  disabled?: boolean;
}

/** A sensitivity classification entry. */
export interface SensitivityDefinition {
  pattern: string;
  level: string;
  domains?: Domain[];
  origin: RuleOrigin;
}

/** Policy-wide settings, fully resolved. */
export interface PolicySettings {
  mode: "enforce" | "observe";
  /** Verdict for an intent that no boundary and no rule matches. */
  defaultVerdict: Verdict;
  thresholds: { allow_max: number; redact_max: number; approval_min: number };
  sensitivityWeights: Record<string, number>;
  /** Level of a resource no classification entry matches. */
  defaultSensitivity: string;
  operationWeights: Record<string, number>;
  /** How the ledger is written (see docs/ledger.md). */
  ledger: { sync: "always" | "batch"; segmentBytes: number };
  /** Egress proxy: whether loopback and private addresses may be reached (docs/proxy.md). */
  egress: { allowLoopback: boolean; allowPrivate: boolean };
}

/** All layers merged: what gets compiled. */
export interface MergedPolicy {
  settings: PolicySettings;
  rules: RuleDefinition[];
  sensitivity: SensitivityDefinition[];
  /** Files (or labels) of every layer, in merge order. */
  sources: string[];
  /** Profiles applied, in order. */
  profiles: string[];
}

/**
 * Built-in settings: chainwatch's thresholds and weights, escalate for what no rule covers, and
 * operation weights that make deletions and privilege changes riskier than reads.
 */
export const BUILTIN_SETTINGS: PolicySettings = {
  mode: "enforce",
  defaultVerdict: "escalate",
  thresholds: { allow_max: 5, redact_max: 10, approval_min: 11 },
  sensitivityWeights: { public: 1, internal: 3, confidential: 5, restricted: 6 },
  defaultSensitivity: "internal",
  operationWeights: {
    read: 0,
    list: 0,
    stat: 0,
    search: 0,
    get: 0,
    head: 0,
    options: 0,
    admit: 0,
    connect: 1,
    create: 1,
    mkdir: 1,
    touch: 1,
    append: 1,
    copy: 1,
    write: 2,
    link: 2,
    exec: 2,
    move: 3,
    post: 3,
    put: 3,
    patch: 3,
    chmod: 4,
    chown: 4,
    kill: 4,
    delete: 5,
    "*": 2,
  },
  ledger: { sync: "always", segmentBytes: 64 * 1024 * 1024 },
  egress: { allowLoopback: false, allowPrivate: false },
};
