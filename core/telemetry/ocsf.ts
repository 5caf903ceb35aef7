/**
 * Ledger entries as OCSF events for SIEMs (`wt export --format ocsf`): a decision is an API
 * Activity (6003) with the Security Control profile's action and disposition, a finished program
 * a Process Activity (1007), any other event a Base Event (0). docs/telemetry.md has the
 * mapping table and why these classes. An export is the audit record itself: targets go out as
 * recorded (the live telemetry strips URL credentials and queries; this does not).
 * @module
 */
import type { LedgerEntry } from "../ledger/entry.ts";
import { NOTABLE_EVENTS, resourceOf } from "./attributes.ts";
import { hostName } from "./host.ts";

/** The OCSF schema version the events are shaped after (`metadata.version`). */
export const OCSF_VERSION = "1.3.0";

/** An OCSF event: a JSON object. */
export type OcsfEvent = Record<string, unknown>;

/** What the events say about where they come from. */
export interface OcsfOptions {
  /** Watchtower's version (`metadata.product.version`). */
  version: string;
  /** The host the ledger belongs to (`device.hostname`); default: this host's name. */
  host?: string | undefined;
}

const ACTIVITY = { create: 1, read: 2, update: 3, delete: 4, other: 99 } as const;
const ACTIVITY_NAMES: Record<number, string> = {
  1: "Create",
  2: "Read",
  3: "Update",
  4: "Delete",
  99: "Other",
};

/** Operations (of every domain, lower case) and the API Activity they are. */
const OPERATION_ACTIVITY: Readonly<Record<string, number>> = {
  create: ACTIVITY.create,
  touch: ACTIVITY.create,
  mkdir: ACTIVITY.create,
  link: ACTIVITY.create,
  copy: ACTIVITY.create,
  post: ACTIVITY.create,
  read: ACTIVITY.read,
  get: ACTIVITY.read,
  head: ACTIVITY.read,
  list: ACTIVITY.read,
  search: ACTIVITY.read,
  query: ACTIVITY.read,
  logs: ACTIVITY.read,
  ps: ACTIVITY.read,
  "exec-read": ACTIVITY.read,
  stat: ACTIVITY.read,
  options: ACTIVITY.read,
  write: ACTIVITY.update,
  update: ACTIVITY.update,
  move: ACTIVITY.update,
  chmod: ACTIVITY.update,
  chown: ACTIVITY.update,
  put: ACTIVITY.update,
  patch: ACTIVITY.update,
  delete: ACTIVITY.delete,
};

const SEVERITY: Record<number, string> = {
  1: "Informational",
  2: "Low",
  3: "Medium",
  4: "High",
  5: "Critical",
};

const DISPOSITION = {
  allowed: [1, "Allowed"],
  blocked: [2, "Blocked"],
  approved: [8, "Approved"],
  delayed: [14, "Delayed"],
  detected: [15, "Detected"],
  logged: [17, "Logged"],
} as const;

const FAULT_REASONS = new Set([
  "policy_unavailable",
  "ledger_unavailable",
  "session_unavailable",
  "condition_error",
]);

/**
 * The OCSF event for one ledger entry.
 *
 * @example
 * ```ts
 * import { ocsfEvent } from "./ocsf.ts";
 * import { equal } from "node:assert/strict";
 * const event = ocsfEvent({
 *   seq: 3, timestamp: "2024-01-15T10:30:00.000Z", prev_hash: "0".repeat(64), hash: "ab".repeat(32),
 *   data: {
 *     identity: { principal: "agent:clawbot", capabilities: [] },
 *     intent: { domain: "filesystem", operation: "write", target: { path: "/etc/passwd" } },
 *     decision: {
 *       verdict: "deny", mode: "enforce", reason: "rule", detail: "rule deny-system-writes",
 *       matched_rules: ["deny-system-writes"], risk_score: 5, risk_level: "high",
 *       sensitivity: "internal",
 *     },
 *   },
 *   annotations: { zone: "SAFE" },
 * }, { version: "0.1.0", host: "build-7" });
 * equal(event.class_uid, 6003);
 * equal(event.type_uid, 600303); // Update
 * equal(event.action_id, 2); // Denied
 * equal(event.disposition_id, 2); // Blocked
 * equal(event.severity_id, 4); // High, from the risk level
 * ```
 */
export function ocsfEvent(entry: LedgerEntry, options: OcsfOptions): OcsfEvent {
  const host = options.host ?? hostName();
  const data = entry.data as unknown as Record<string, unknown>;
  if (isObject(data.decision)) return decisionEvent(entry, data, host, options);
  const event = objectAt(data.event);
  if (event.type === "effect") return effectEvent(entry, event, host, options);
  return baseEvent(entry, event, host, options);
}

function decisionEvent(
  entry: LedgerEntry,
  data: Record<string, unknown>,
  host: string | undefined,
  options: OcsfOptions,
): OcsfEvent {
  const identity = objectAt(data.identity);
  const intent = objectAt(data.intent);
  const decision = objectAt(data.decision);
  const context = objectAt(data.context);
  const effect = objectAt(data.effect);
  const domain = textAt(intent.domain);
  const operation = textAt(intent.operation);
  const target = objectAt(intent.target);
  const verdict = textAt(decision.verdict);
  const observed = decision.mode === "observe";
  const reason = textAt(decision.reason);
  const rules = Array.isArray(decision.matched_rules)
    ? decision.matched_rules.filter((rule): rule is string => typeof rule === "string")
    : [];
  const activity = OPERATION_ACTIVITY[operation.toLowerCase()] ?? ACTIVITY.other;
  const outcome = outcomeOf(verdict, observed, reason);
  const severity = severityOf(verdict, observed, reason, textAt(decision.risk_level));
  const resource = resourceOf(domain, target);
  const session = textAt(context.session);
  const detail = textAt(decision.detail);
  const event: OcsfEvent = {
    ...classFields([6003, "API Activity"], [6, "Application Activity"], [
      activity,
      ACTIVITY_NAMES[activity] ?? "Other",
    ]),
    time: timeOf(entry),
    severity_id: severity,
    severity: SEVERITY[severity],
    status_id: outcome.permitted ? 1 : 2,
    status: outcome.permitted ? "Success" : "Failure",
    status_code: verdict,
    status_detail: detail,
    action_id: outcome.action[0],
    action: outcome.action[1],
    disposition_id: outcome.disposition[0],
    disposition: outcome.disposition[1],
    message: `${observed ? "observe " : ""}${verdict} ${domain} ${operation} ${resource}`.trim(),
    actor: compact({
      user: compact({ name: textAt(identity.principal), uid: textAt(identity.principal) }),
      session: session ? { uid: session } : undefined,
      app_name: textAt(context.tool) || undefined,
    }),
    api: { operation, service: { name: domain } },
    resources: [compact({ type: domain, name: resource || undefined, data: target })],
    src_endpoint: compact({ hostname: host }),
    device: compact({ hostname: host, type_id: 0, type: "Unknown" }),
    policy: compact({
      name: rules[0] ?? reason,
      uid: rules[0],
      desc: detail || undefined,
      is_applied: !observed,
    }),
    metadata: metadataOf(entry, options, ["host", "security_control"], session),
    unmapped: {
      watchtower: compact({
        verdict,
        mode: textAt(decision.mode),
        reason,
        matched_rules: rules,
        risk_score: typeof decision.risk_score === "number" ? decision.risk_score : undefined,
        risk_level: textAt(decision.risk_level) || undefined,
        sensitivity: textAt(decision.sensitivity) || undefined,
        approval_key: textAt(decision.approval_key) || undefined,
        zone: textAt(entry.annotations?.zone) || undefined,
        audit: textAt(entry.annotations?.audit) || undefined,
        purpose: textAt(identity.purpose) || undefined,
        cwd: textAt(context.cwd) || undefined,
        workspace: textAt(context.workspace) || undefined,
        pid: typeof context.pid === "number" ? context.pid : undefined,
        effect: Object.keys(effect).length > 0 ? effect : undefined,
        prev_hash: entry.prev_hash,
      }),
    },
  };
  if (domain === "http") Object.assign(event, httpFields(operation, target, effect));
  if (domain === "ssh" && typeof target.host === "string") {
    event.dst_endpoint = { hostname: target.host };
  }
  return event;
}

function effectEvent(
  entry: LedgerEntry,
  event: Record<string, unknown>,
  host: string | undefined,
  options: OcsfOptions,
): OcsfEvent {
  const exitCode = typeof event.exit_code === "number" ? event.exit_code : undefined;
  const { type: _type, ...fields } = event;
  return {
    ...classFields([1007, "Process Activity"], [1, "System Activity"], [2, "Terminate"]),
    time: timeOf(entry),
    severity_id: 1,
    severity: SEVERITY[1],
    status_id: exitCode === 0 ? 1 : 2,
    status: exitCode === 0 ? "Success" : "Failure",
    message: `${textAt(event.tool) || "a tool"} ran ${textAt(event.program)}: exit ${exitCode}`,
    actor: compact({ app_name: textAt(event.tool) || undefined }),
    process: compact({ name: textAt(event.program) || undefined }),
    exit_code: exitCode,
    device: compact({ hostname: host, type_id: 0, type: "Unknown" }),
    metadata: metadataOf(entry, options, ["host"], ""),
    unmapped: { watchtower: { event: "effect", ...fields, prev_hash: entry.prev_hash } },
  };
}

function baseEvent(
  entry: LedgerEntry,
  event: Record<string, unknown>,
  host: string | undefined,
  options: OcsfOptions,
): OcsfEvent {
  const type = textAt(event.type) || "unknown";
  // A repaired ledger, approvals that no longer verify, a failed witness: worth a look.
  const severity = NOTABLE_EVENTS.has(type) ? 3 : 1;
  return {
    class_uid: 0,
    class_name: "Base Event",
    category_uid: 0,
    category_name: "Uncategorized",
    activity_id: 99,
    activity_name: type,
    type_uid: 99,
    type_name: "Base Event: Other",
    time: timeOf(entry),
    severity_id: severity,
    severity: SEVERITY[severity],
    message: `watchtower ${type}`,
    device: compact({ hostname: host, type_id: 0, type: "Unknown" }),
    metadata: metadataOf(entry, options, ["host"], textAt(event.session)),
    unmapped: { watchtower: { event: { ...event }, prev_hash: entry.prev_hash } },
  };
}

function classFields(
  [classUid, className]: readonly [number, string],
  [categoryUid, categoryName]: readonly [number, string],
  [activity, activityName]: readonly [number, string],
): OcsfEvent {
  return {
    class_uid: classUid,
    class_name: className,
    category_uid: categoryUid,
    category_name: categoryName,
    activity_id: activity,
    activity_name: activityName,
    type_uid: classUid * 100 + activity,
    type_name: `${className}: ${activityName}`,
  };
}

function outcomeOf(verdict: string, observed: boolean, reason: string) {
  const blocking = verdict === "deny" || verdict === "escalate";
  if (observed && blocking) {
    return { permitted: true, action: [1, "Allowed"] as const, disposition: DISPOSITION.detected };
  }
  if (verdict === "deny") {
    return { permitted: false, action: [2, "Denied"] as const, disposition: DISPOSITION.blocked };
  }
  if (verdict === "escalate") {
    return { permitted: false, action: [2, "Denied"] as const, disposition: DISPOSITION.delayed };
  }
  const disposition = reason === "approved"
    ? DISPOSITION.approved
    : verdict === "shadow"
    ? DISPOSITION.logged
    : DISPOSITION.allowed;
  return { permitted: true, action: [1, "Allowed"] as const, disposition };
}

function severityOf(verdict: string, observed: boolean, reason: string, risk: string): number {
  if (FAULT_REASONS.has(reason)) return 4;
  if (verdict === "deny" && !observed) return risk === "critical" ? 5 : risk === "high" ? 4 : 3;
  if (verdict === "deny" || verdict === "escalate") return 3;
  return verdict === "allow" ? 1 : 2;
}

function httpFields(
  operation: string,
  target: Record<string, unknown>,
  effect: Record<string, unknown>,
): OcsfEvent {
  const url = resourceOf("http", target);
  const out: OcsfEvent = {
    http_request: { http_method: operation.toUpperCase(), url: { url_string: url } },
  };
  try {
    out.dst_endpoint = { hostname: new URL(url).hostname };
  } catch {
    // not a URL: no endpoint
  }
  if (typeof effect.status === "number") out.http_response = { code: effect.status };
  return out;
}

function metadataOf(
  entry: LedgerEntry,
  options: OcsfOptions,
  profiles: string[],
  session: string,
): OcsfEvent {
  return compact({
    version: OCSF_VERSION,
    product: { name: "Watchtower", vendor_name: "Watchtower", version: options.version },
    uid: entry.hash,
    sequence: entry.seq,
    log_name: "ledger",
    original_time: entry.timestamp,
    profiles,
    correlation_uid: session || undefined,
  });
}

function timeOf(entry: LedgerEntry): number | undefined {
  const time = Date.parse(entry.timestamp);
  return Number.isNaN(time) ? undefined : time;
}

/** The object without its undefined members (and `{}` members left empty by that). */
function compact(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined) continue;
    if (isObject(member) && Object.keys(member).length === 0) continue;
    out[key] = member;
  }
  return out;
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
