/**
 * Translates one validated document (any of the three shapes) into a layer of the internal rule
 * model, and merges layers in order: built-in defaults, profiles, the user's file, overrides.
 * @module
 */
import type { Verdict } from "../intent.ts";
import {
  BUILTIN_SETTINGS,
  type MergedPolicy,
  type PolicySettings,
  type RuleDefinition,
  type RuleOrigin,
  type SensitivityDefinition,
} from "./model.ts";
import { ACTION_ALIASES, type ActionWord, type PolicyDocument } from "./schema.ts";
import type { FieldPath, SourceDocument } from "./source.ts";
import { formatPath, invalid, validateDocument } from "./validate.ts";

/** Settings a layer may set; unset ones fall through to earlier layers. */
export interface SettingsPatch {
  mode?: PolicySettings["mode"];
  defaultVerdict?: Verdict;
  thresholds?: Partial<PolicySettings["thresholds"]>;
  sensitivityWeights?: Record<string, number>;
  operationWeights?: Record<string, number>;
  ledger?: Partial<PolicySettings["ledger"]>;
  egress?: Partial<PolicySettings["egress"]>;
}

/** One document's contribution to the effective policy. */
export interface PolicyLayer {
  file: string;
  /** The profile name when the document is a profile. */
  name?: string;
  settings: SettingsPatch;
  rules: RuleDefinition[];
  sensitivity: SensitivityDefinition[];
  /** Profiles the document asks for (applied before it). */
  profiles: string[];
}

/** Validates `doc` and translates it into a layer. Throws `policy_invalid`. */
export function layerFromDocument(doc: SourceDocument): PolicyLayer {
  const data = validateDocument(doc);
  const origin = (path: FieldPath): RuleOrigin => {
    const { line, column } = doc.locate(path);
    return { file: doc.file, line, column, field: formatPath(path) };
  };
  const rules = [
    ...policyRules(data, origin),
    ...purposeRules(data, origin),
    ...boundaryRules(data, origin),
  ];
  const seen = new Map<string, string>();
  for (const rule of rules) {
    const earlier = seen.get(rule.name);
    if (earlier !== undefined) {
      throw invalid(
        doc,
        fieldPath(rule.origin.field),
        `rule name '${rule.name}' is already used by ${earlier}`,
      );
    }
    seen.set(rule.name, rule.origin.field);
  }
  const layer: PolicyLayer = {
    file: doc.file,
    settings: settingsOf(data),
    rules,
    sensitivity: (data.sensitivity ?? []).map((entry, i) => ({
      pattern: entry.pattern,
      level: entry.level,
      ...(entry.domain ? { domains: [entry.domain].flat() } : {}),
      origin: origin(["sensitivity", i]),
    })),
    profiles: data.profiles ?? [],
  };
  if (data.name !== undefined) layer.name = data.name;
  checkThresholds(doc, layer.settings);
  return layer;
}

function fieldPath(field: string): FieldPath {
  return field.split(/\.|\[(\d+)\]/).filter((part) => part !== undefined && part !== "").map((
    part,
  ) => /^\d+$/.test(part) ? Number(part) : part);
}

function verdictOf(word: ActionWord): Verdict {
  return ACTION_ALIASES[word];
}

function settingsOf(data: PolicyDocument): SettingsPatch {
  const patch: SettingsPatch = {};
  if (data.mode) patch.mode = data.mode;
  if (data.default) patch.defaultVerdict = verdictOf(data.default);
  if (data.thresholds) {
    patch.thresholds = Object.fromEntries(
      Object.entries(data.thresholds).filter(([, value]) => value !== undefined),
    );
  }
  if (data.sensitivity_weights) patch.sensitivityWeights = data.sensitivity_weights;
  if (data.operation_weights) patch.operationWeights = data.operation_weights;
  if (data.ledger) {
    patch.ledger = {
      ...(data.ledger.sync ? { sync: data.ledger.sync } : {}),
      ...(data.ledger.segment_bytes ? { segmentBytes: data.ledger.segment_bytes } : {}),
    };
  }
  if (data.egress) {
    patch.egress = {
      ...(data.egress.allow_loopback !== undefined
        ? { allowLoopback: data.egress.allow_loopback }
        : {}),
      ...(data.egress.allow_private !== undefined
        ? { allowPrivate: data.egress.allow_private }
        : {}),
    };
  }
  return patch;
}

function checkThresholds(doc: SourceDocument, patch: SettingsPatch): void {
  const t = { ...BUILTIN_SETTINGS.thresholds, ...patch.thresholds };
  if (!(t.allow_max <= t.redact_max && t.redact_max < t.approval_min)) {
    throw invalid(
      doc,
      ["thresholds"],
      `expected allow_max <= redact_max < approval_min, got ${t.allow_max}, ${t.redact_max}, ${t.approval_min}`,
    );
  }
}

function policyRules(data: PolicyDocument, origin: (p: FieldPath) => RuleOrigin): RuleDefinition[] {
  const out: RuleDefinition[] = [];
  (data.policies ?? []).forEach((rule, i) => {
    const definition: RuleDefinition = {
      name: rule.name,
      kind: "policy",
      priority: rule.priority,
      match: rule.match,
      action: verdictOf(rule.action),
      audit: rule.audit,
      origin: origin(["policies", i]),
    };
    // A disabled rule stays out of the policy and takes an earlier rule of its name with it.
    if (!rule.enabled) definition.disabled = true;
    if (rule.condition !== undefined) definition.condition = rule.condition;
    if (rule.risk_level) definition.riskLevel = rule.risk_level;
    if (rule.reason) definition.reason = rule.reason;
    if (rule.approval_key) definition.approvalKey = rule.approval_key;
    if (rule.examples) definition.examples = rule.examples;
    out.push(definition);
  });
  return out;
}

function purposeRules(
  data: PolicyDocument,
  origin: (p: FieldPath) => RuleOrigin,
): RuleDefinition[] {
  return (data.rules ?? []).map((rule, i) => {
    const definition: RuleDefinition = {
      name: rule.name ?? `${rule.purpose}:${rule.resource_pattern}`,
      kind: "policy",
      priority: rule.priority,
      match: {
        purpose: rule.purpose,
        resource: rule.resource_pattern,
        ...(rule.domain ? { domain: rule.domain } : {}),
      },
      action: verdictOf(rule.decision),
      audit: "standard",
      origin: origin(["rules", i]),
    };
    if (rule.reason) definition.reason = rule.reason;
    if (rule.approval_key) definition.approvalKey = rule.approval_key;
    if (rule.examples) definition.examples = rule.examples;
    return definition;
  });
}

function boundaryRules(
  data: PolicyDocument,
  origin: (p: FieldPath) => RuleOrigin,
): RuleDefinition[] {
  const owner = data.name ?? "policy";
  const out: RuleDefinition[] = [];
  const boundary = (name: string, path: FieldPath, rule: Partial<RuleDefinition>) =>
    out.push({
      name: `${owner}/${name}`,
      kind: "boundary",
      priority: Number.MAX_SAFE_INTEGER,
      match: {},
      action: "deny",
      audit: "heavy",
      riskLevel: "critical",
      origin: origin(path),
      ...rule,
    });
  (data.authority_boundaries ?? []).forEach((entry, i) =>
    boundary(`authority:${entry.pattern}`, ["authority_boundaries", i], {
      match: { domain: "instruction" },
      textPattern: entry.pattern,
      reason: entry.reason ?? "Instruction matches an authority boundary",
    })
  );
  const execution = data.execution_boundaries;
  execution?.urls.forEach((pattern, i) =>
    boundary(`url:${pattern}`, ["execution_boundaries", "urls", i], {
      match: { domain: "http", url: pattern },
      reason: "URL is outside the execution boundary",
    })
  );
  execution?.commands.forEach((pattern, i) =>
    boundary(`command:${pattern}`, ["execution_boundaries", "commands", i], {
      match: { domain: "command", command: pattern },
      reason: "Command is outside the execution boundary",
    })
  );
  execution?.file_patterns.forEach((pattern, i) =>
    boundary(`file:${pattern}`, ["execution_boundaries", "file_patterns", i], {
      match: { domain: ["filesystem", "search"], path: pattern },
      reason: "File is outside the execution boundary",
    })
  );
  return out;
}

/**
 * Merges layers in order (later overrides earlier): settings key by key, rules by name (a later
 * rule of the same name replaces the earlier one in place), classifications appended.
 */
export function mergeLayers(layers: readonly PolicyLayer[]): MergedPolicy {
  const settings: PolicySettings = structuredClone(BUILTIN_SETTINGS);
  const rules = new Map<string, RuleDefinition>();
  const sensitivity: SensitivityDefinition[] = [];
  const profiles: string[] = [];
  for (const layer of layers) {
    const patch = layer.settings;
    if (patch.mode) settings.mode = patch.mode;
    if (patch.defaultVerdict) settings.defaultVerdict = patch.defaultVerdict;
    Object.assign(settings.thresholds, patch.thresholds);
    Object.assign(settings.sensitivityWeights, patch.sensitivityWeights);
    Object.assign(settings.operationWeights, patch.operationWeights);
    Object.assign(settings.ledger, patch.ledger);
    Object.assign(settings.egress, patch.egress);
    for (const rule of layer.rules) {
      if (rule.disabled) rules.delete(rule.name);
      else rules.set(rule.name, rule);
    }
    sensitivity.push(...layer.sensitivity);
    if (layer.name !== undefined) profiles.push(layer.name);
  }
  return {
    settings,
    rules: [...rules.values()],
    sensitivity,
    sources: layers.map((layer) => layer.file),
    profiles,
  };
}
