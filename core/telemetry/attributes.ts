/**
 * The stable attribute names a recorded decision or event carries into OpenTelemetry (the
 * contract in docs/telemetry.md): one flat map, used as a span's attributes and, as JSON, as the
 * body of the matching log record.
 * @module
 */
import type { EntryData } from "../ledger/entry.ts";
import { RESOURCE_FIELD } from "../intent.ts";

/** An attribute value: what OpenTelemetry attributes can hold. */
export type AttributeValue = string | number | boolean | string[] | number[];

/** A flat attribute map, names as in docs/telemetry.md. */
export type Attributes = Record<string, AttributeValue>;

/** What of a ledger entry the attributes come from: its data, annotations, seq and hash. */
export interface RecordedEntry {
  seq: number;
  hash: string;
  data: EntryData;
  annotations?: Record<string, unknown> | undefined;
}

/** Where the entry was recorded. */
export interface RecordedWhere {
  /** The host's name (`host.name`); left out when unknown. */
  host?: string | undefined;
  /** The state directory holding the ledger (`watchtower.ledger.dir`). */
  ledgerDir?: string | undefined;
}

/** The version of this attribute contract (`watchtower.schema`); raised only on a breaking change. */
export const TELEMETRY_SCHEMA = 1;

/** Longest target or detail text exported, in UTF-16 units (the ledger keeps the whole text). */
export const MAX_TEXT = 1024;

/**
 * Events that say the record or its witnessing went wrong: a repaired ledger, approvals that no
 * longer verify, a witness that failed. Logged as warnings, and of medium severity in OCSF.
 */
export const NOTABLE_EVENTS: ReadonlySet<string> = new Set([
  "repair",
  "approval.corrupt",
  "witness.fail",
]);

/** Most fields of an event exported as `watchtower.event.<field>`. */
export const MAX_EVENT_FIELDS = 32;

/**
 * The attributes of one recorded entry: a decision's verdict, reason, rules, risk, zone and
 * identity, or an event's type and scalar fields; both with the ledger position and the host.
 *
 * @example
 * ```ts
 * import { entryAttributes } from "./attributes.ts";
 * import { equal } from "node:assert/strict";
 * const attributes = entryAttributes({
 *   seq: 7,
 *   hash: "ab".repeat(32),
 *   data: {
 *     identity: { principal: "agent:clawbot", capabilities: [] },
 *     intent: { domain: "filesystem", operation: "write", target: { path: "/etc/passwd" } },
 *     decision: {
 *       verdict: "deny", mode: "enforce", reason: "rule", detail: "rule deny-system-writes",
 *       matched_rules: ["deny-system-writes"], risk_score: 9, risk_level: "critical",
 *       sensitivity: "restricted",
 *     },
 *     context: { session: "s-1", tool: "safe-touch" },
 *   },
 *   annotations: { zone: "SAFE", audit: "standard" },
 * }, { host: "build-7" });
 * equal(attributes["watchtower.verdict"], "deny");
 * equal(attributes["watchtower.rule"], "deny-system-writes");
 * equal(attributes["watchtower.target"], "/etc/passwd");
 * equal(attributes["watchtower.ledger.seq"], 7);
 * equal(attributes["host.name"], "build-7");
 * ```
 */
export function entryAttributes(entry: RecordedEntry, where: RecordedWhere = {}): Attributes {
  const out: Attributes = { "watchtower.schema": TELEMETRY_SCHEMA };
  const data = entry.data as unknown as Record<string, unknown>;
  if (isObject(data.decision)) {
    decisionAttributes(out, data, entry.annotations ?? {});
  } else if (isObject(data.event)) {
    eventAttributes(out, data.event);
  } else {
    out["watchtower.record"] = "other";
  }
  if (where.host) out["host.name"] = where.host;
  out["watchtower.ledger.seq"] = entry.seq;
  out["watchtower.ledger.hash"] = entry.hash;
  if (where.ledgerDir) out["watchtower.ledger.dir"] = where.ledgerDir;
  return out;
}

function decisionAttributes(
  out: Attributes,
  data: Record<string, unknown>,
  annotations: Record<string, unknown>,
): void {
  const identity = objectAt(data.identity);
  const intent = objectAt(data.intent);
  const decision = objectAt(data.decision);
  const context = objectAt(data.context);
  const domain = textAt(intent.domain);
  const rules = Array.isArray(decision.matched_rules)
    ? decision.matched_rules.filter((rule): rule is string => typeof rule === "string")
    : [];
  out["watchtower.record"] = "decision";
  put(out, "watchtower.verdict", textAt(decision.verdict));
  put(out, "watchtower.mode", textAt(decision.mode));
  put(out, "watchtower.domain", domain);
  put(out, "watchtower.operation", textAt(intent.operation));
  put(out, "watchtower.target", targetText(domain, objectAt(intent.target)));
  if (rules.length > 0) {
    out["watchtower.rule"] = rules[0]!;
    out["watchtower.rules"] = rules;
  }
  put(out, "watchtower.reason", textAt(decision.reason));
  put(out, "watchtower.detail", clip(textAt(decision.detail)));
  if (typeof decision.risk_score === "number" && Number.isFinite(decision.risk_score)) {
    out["watchtower.risk"] = decision.risk_score;
  }
  put(out, "watchtower.risk_level", textAt(decision.risk_level));
  put(out, "watchtower.sensitivity", textAt(decision.sensitivity));
  put(out, "watchtower.approval_key", textAt(decision.approval_key));
  put(out, "watchtower.zone", textAt(annotations.zone));
  put(out, "watchtower.audit", textAt(annotations.audit));
  put(out, "watchtower.principal", textAt(identity.principal));
  put(out, "watchtower.purpose", textAt(identity.purpose));
  put(out, "watchtower.session", textAt(context.session));
  put(out, "watchtower.tool", textAt(context.tool));
}

function eventAttributes(out: Attributes, event: Record<string, unknown>): void {
  out["watchtower.record"] = "event";
  put(out, "watchtower.event.type", textAt(event.type) || "?");
  let fields = 0;
  for (const [key, value] of Object.entries(event)) {
    if (key === "type" || fields >= MAX_EVENT_FIELDS) continue;
    const exported = scalarOrList(value);
    if (exported === undefined) continue;
    out[`watchtower.event.${key}`] = exported;
    fields++;
  }
  put(out, "watchtower.session", textAt(event.session));
}

/**
 * The target as exported: the domain's resource field (a path, a command, a URL, …), at most
 * {@link MAX_TEXT} long; a URL loses its user info and query, where credentials usually travel.
 */
export function targetText(domain: string, target: Record<string, unknown>): string {
  const text = resourceOf(domain, target);
  return clip(domain === "http" ? withoutSecrets(text) : text);
}

/** The domain's resource field of a target as text, whole ("" when it has none). */
export function resourceOf(domain: string, target: Record<string, unknown>): string {
  const field = (RESOURCE_FIELD as Record<string, string | undefined>)[domain];
  const value = field === undefined ? undefined : target[field];
  return typeof value === "string"
    ? value
    : typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : "";
}

function withoutSecrets(url: string): string {
  try {
    const parsed = new URL(url);
    const query = parsed.search !== "";
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    parsed.hash = "";
    return query ? `${parsed.href}?…` : parsed.href;
  } catch {
    return url.replace(/\?.*$/s, "?…");
  }
}

function scalarOrList(value: unknown): AttributeValue | undefined {
  if (typeof value === "string") return clip(value);
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "boolean") return value;
  if (!Array.isArray(value) || value.length > 64) return undefined;
  if (value.every((item) => typeof item === "number" && Number.isFinite(item))) {
    return value as number[];
  }
  if (value.every((item) => typeof item === "string")) return value.map((item) => clip(item));
  return undefined;
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

function put(out: Attributes, key: string, value: string): void {
  if (value !== "") out[key] = value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}

function textAt(value: unknown): string {
  return typeof value === "string" ? value : "";
}
