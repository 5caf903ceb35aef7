/**
 * Turns untrusted JSON into a complete {@link Intent}: accepts the flat shape
 * (`{identity, domain, operation, target, context}`) and the ledger's nested shape
 * (`{identity, intent: {domain, operation, target}}`), fills what is missing from defaults, and
 * validates strictly.
 * @module
 */
import { WatchtowerError } from "./errors.ts";
import { DEFAULT_OPERATION, type Domain, DOMAINS, type Intent } from "./intent.ts";
import { checkIntent } from "./intent_check.ts";

/** Values filled in when the input leaves them out. */
export interface IntentDefaults {
  principal: string;
  capabilities?: readonly string[];
  purpose?: string | undefined;
  session?: string | undefined;
  cwd?: string | undefined;
  workspace?: string | undefined;
  tool?: string | undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Parses an intent. Throws an `invalid_intent` {@link WatchtowerError} naming the field at fault.
 *
 * @example
 * ```ts
 * import { parseIntent } from "./intent_parse.ts";
 * import { equal } from "node:assert/strict";
 * const intent = parseIntent({ domain: "filesystem", target: { path: "/tmp/x" } }, { principal: "agent:a" });
 * equal(intent.operation, "read");
 * equal(intent.identity.principal, "agent:a");
 * ```
 */
export function parseIntent(value: unknown, defaults: IntentDefaults): Intent {
  if (!isRecord(value)) throw invalid("", "expected a JSON object");
  let flat: Record<string, unknown> = value;
  if (isRecord(value.intent)) {
    const { intent, ...rest } = value;
    flat = { ...rest, ...intent };
  }
  const domain = flat.domain;
  if (typeof domain !== "string" || !(DOMAINS as readonly string[]).includes(domain)) {
    throw invalid("domain", `expected one of ${DOMAINS.join(", ")}`);
  }
  const identityIn = isRecord(flat.identity) ? flat.identity : {};
  const identity: Record<string, unknown> = {
    principal: defaults.principal,
    capabilities: [...(defaults.capabilities ?? [])],
    ...(defaults.purpose !== undefined ? { purpose: defaults.purpose } : {}),
    ...identityIn,
  };
  const contextIn = isRecord(flat.context) ? flat.context : {};
  const context: Record<string, unknown> = {
    ...(defaults.session !== undefined ? { session: defaults.session } : {}),
    ...(defaults.cwd !== undefined ? { cwd: defaults.cwd } : {}),
    ...(defaults.workspace !== undefined ? { workspace: defaults.workspace } : {}),
    ...(defaults.tool !== undefined ? { tool: defaults.tool } : {}),
    ...contextIn,
  };
  const candidate = {
    ...flat,
    identity: flat.identity === undefined || isRecord(flat.identity) ? identity : flat.identity,
    operation: flat.operation ?? DEFAULT_OPERATION[domain as Domain],
    context: flat.context === undefined || isRecord(flat.context) ? context : flat.context,
  };
  const checked = checkIntent(candidate);
  if (!checked.ok) throw invalid(checked.path, checked.message);
  return checked.intent;
}

function invalid(field: string, message: string): WatchtowerError {
  return new WatchtowerError(
    "invalid_intent",
    `Cannot read intent: ${field ? `${field}: ` : ""}${message}`,
    { location: { field } },
  );
}
