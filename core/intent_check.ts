/**
 * A hand-written validator for intents with exactly the rules of the zod schema
 * (intent_schema.ts), for hot paths where loading zod (~20 ms) would dominate. A property test
 * checks that both accept and reject the same inputs.
 * @module
 */
import { DOMAINS, type Intent, INTENT_LIMITS, RESOURCE_FIELD } from "./intent.ts";

/** The outcome: the intent (a fresh copy), or the first problem's field path and message. */
export type IntentCheck = { ok: true; intent: Intent } | {
  ok: false;
  path: string;
  message: string;
};

const OPERATION = /^[a-z][a-z0-9_.:-]{0,63}$/;
const DOMAIN_SET: ReadonlySet<string> = new Set(DOMAINS);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

class Invalid {
  constructor(readonly path: string, readonly message: string) {}
}

function string(value: unknown, path: string, max: number, min = 0): string {
  if (typeof value !== "string") throw new Invalid(path, "expected string");
  if (value.length > max) throw new Invalid(path, `too long: at most ${max}`);
  if (value.length < min) throw new Invalid(path, `too short: at least ${min}`);
  return value;
}

function strict(value: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
  if (!isRecord(value)) throw new Invalid(path, "expected object");
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw new Invalid(path, `unknown key ${key}`);
  }
  return value;
}

function optional<T>(value: unknown, read: (v: unknown) => T): T | undefined {
  return value === undefined ? undefined : read(value);
}

/** Validates `value` as an intent. */
export function checkIntent(value: unknown): IntentCheck {
  try {
    return { ok: true, intent: readIntent(value) };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, path: error.path, message: error.message };
    throw error;
  }
}

function readIntent(value: unknown): Intent {
  const v = strict(value, "", ["identity", "domain", "operation", "target", "context"]);
  const identity = readIdentity(v.identity);
  if (typeof v.domain !== "string" || !DOMAIN_SET.has(v.domain)) {
    throw new Invalid("domain", `expected one of ${DOMAINS.join(", ")}`);
  }
  const domain = v.domain as Intent["domain"];
  if (typeof v.operation !== "string" || !OPERATION.test(v.operation)) {
    throw new Invalid(
      "operation",
      "operation must be a lower-case word such as read, write, delete, exec",
    );
  }
  const target = readTarget(v.target);
  const context = v.context === undefined ? {} : readContext(v.context);
  const field = RESOURCE_FIELD[domain];
  if (typeof target[field] !== "string") {
    throw new Invalid(`target.${field}`, `a ${domain} intent needs target.${field} as a string`);
  }
  return { identity, domain, operation: v.operation, target, context };
}

function readIdentity(value: unknown): Intent["identity"] {
  const v = strict(value, "identity", ["principal", "capabilities", "purpose"]);
  const principal = string(v.principal, "identity.principal", 256, 1);
  let capabilities: string[] = [];
  if (v.capabilities !== undefined) {
    if (!Array.isArray(v.capabilities)) {
      throw new Invalid("identity.capabilities", "expected array");
    }
    if (v.capabilities.length > INTENT_LIMITS.capabilities) {
      throw new Invalid("identity.capabilities", `too many: at most ${INTENT_LIMITS.capabilities}`);
    }
    capabilities = v.capabilities.map((c, i) => string(c, `identity.capabilities.${i}`, 256));
  }
  const purpose = optional(v.purpose, (p) => string(p, "identity.purpose", 256));
  return purpose === undefined ? { principal, capabilities } : { principal, capabilities, purpose };
}

function readContext(value: unknown): Intent["context"] {
  const v = strict(value, "context", ["session", "tool", "cwd", "pid", "workspace"]);
  const context: Intent["context"] = {};
  const session = optional(v.session, (s) => string(s, "context.session", 256));
  const tool = optional(v.tool, (s) => string(s, "context.tool", 256));
  const cwd = optional(v.cwd, (s) => string(s, "context.cwd", 4096));
  const workspace = optional(v.workspace, (s) => string(s, "context.workspace", 4096));
  if (session !== undefined) context.session = session;
  if (tool !== undefined) context.tool = tool;
  if (cwd !== undefined) context.cwd = cwd;
  if (v.pid !== undefined) {
    if (typeof v.pid !== "number" || !Number.isInteger(v.pid) || v.pid < 0) {
      throw new Invalid("context.pid", "expected a whole number, at least 0");
    }
    context.pid = v.pid;
  }
  if (workspace !== undefined) context.workspace = workspace;
  return context;
}

function readTarget(value: unknown): Intent["target"] {
  if (!isRecord(value)) throw new Invalid("target", "expected record");
  const keys = Object.keys(value);
  const target: Intent["target"] = {};
  for (const key of keys) {
    if (key.length > 64) throw new Invalid(`target.${key}`, "field name too long: at most 64");
    const item = value[key];
    const path = `target.${key}`;
    if (typeof item === "string") target[key] = string(item, path, INTENT_LIMITS.stringLength);
    else if (typeof item === "number" && Number.isFinite(item)) target[key] = item;
    else if (typeof item === "boolean" || item === null) target[key] = item;
    else if (Array.isArray(item)) {
      if (item.length > INTENT_LIMITS.listLength) {
        throw new Invalid(path, `too many: at most ${INTENT_LIMITS.listLength}`);
      }
      target[key] = item.map((element, i) => {
        if (typeof element === "string") {
          return string(element, `${path}.${i}`, INTENT_LIMITS.stringLength);
        }
        if (typeof element === "number" && Number.isFinite(element)) return element;
        throw new Invalid(`${path}.${i}`, "expected a string or a number");
      });
    } else {throw new Invalid(
        path,
        "expected a string, number, boolean, null or a list of strings and numbers",
      );}
  }
  if (keys.length > INTENT_LIMITS.targetKeys) {
    throw new Invalid("target", `at most ${INTENT_LIMITS.targetKeys} target fields`);
  }
  return target;
}
