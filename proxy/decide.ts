/**
 * What the proxy asks before it forwards anything: the request as an `http` intent (the URL with
 * credentials dropped and query values redacted, so that nothing secret reaches a decision, a
 * pending approval or the ledger), the operator's denylist, the egress guard on literal
 * addresses, and the guard with its policy and approvals.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import { type EgressRefusal, egressRefusal, type EgressSettings, parseIp } from "../core/egress.ts";
import { failClosed, type Guard, type GuardDecision, type SessionView } from "../core/guard.ts";
import type { Intent, Target } from "../core/intent.ts";
import { compileGlob, type Glob } from "../core/match/glob.ts";
import { urlFacts } from "../core/match/url.ts";

/** A request the proxy understood: a URL to forward to, or a tunnel to open. */
export type ProxyTarget =
  | { kind: "forward"; method: string; url: URL }
  | { kind: "tunnel"; host: string; port: number };

/** A decision on one request, with the intent it was made on. */
export interface ProxyDecision {
  intent: Intent;
  decision: GuardDecision;
}

/** Receives escalations (the approval store writes the pending request). */
export interface PendingSink {
  request(intent: Intent, decision: GuardDecision): void;
}

/** A compiled `--denylist` file: URL patterns that are always refused. */
export interface Denylist {
  file: string;
  patterns: Glob[];
}

/** Compiles denylist patterns (URL globs, as in policy `url` matches). */
export function compileDenylist(file: string, patterns: readonly string[]): Denylist {
  return { file, patterns: patterns.map((pattern) => compileGlob(pattern, { ignoreCase: true })) };
}

/** The value query parameters are recorded with. */
export const REDACTED = "REDACTED";

/**
 * The URL as decisions and records see it: no user name or password, no fragment, and each
 * query value replaced by {@link REDACTED} (the keys stay, so rules can match on them).
 *
 * @example
 * ```ts
 * import { recordedUrl } from "./decide.ts";
 * import { equal } from "node:assert/strict";
 * equal(recordedUrl(new URL("http://u:p@Api.Example:80/v1/x?token=s3cret&q")),
 *   "http://api.example/v1/x?token=REDACTED&q");
 * ```
 */
export function recordedUrl(url: URL): string {
  const query = url.search.length > 1
    ? "?" + url.search.slice(1).split("&").map((pair) => {
      const eq = pair.indexOf("=");
      return eq < 0 ? pair : `${pair.slice(0, eq)}=${REDACTED}`;
    }).join("&")
    : "";
  return `${url.protocol}//${url.host}${url.pathname}${query}`;
}

function queryKeys(url: URL): string[] {
  if (url.search.length <= 1) return [];
  return url.search.slice(1).split("&").filter((pair) => pair !== "").map((pair) => {
    const eq = pair.indexOf("=");
    return eq < 0 ? pair : pair.slice(0, eq);
  });
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
}

/** The intent target for a request: url, method, host, port, path and query keys. */
export function targetFor(request: ProxyTarget): Target {
  if (request.kind === "tunnel") {
    const host = request.host.toLowerCase();
    const authority = host.includes(":") ? `[${host}]` : host;
    return {
      url: request.port === 443 ? `https://${authority}/` : `https://${authority}:${request.port}/`,
      method: "CONNECT",
      host,
      port: request.port,
    };
  }
  const { url } = request;
  const target: Target = {
    url: recordedUrl(url),
    method: request.method,
    host: hostOf(url),
    port: url.port ? Number(url.port) : 80,
    path: url.pathname,
  };
  const keys = queryKeys(url);
  if (keys.length > 0) target.query_keys = keys;
  return target;
}

/** Where requests come from and what decides them. */
export interface DeciderOptions {
  guard: Guard;
  env: WatchtowerEnvironment;
  egress: EgressSettings;
  denylist?: Denylist | undefined;
  pending?: PendingSink | undefined;
  session?: SessionView | undefined;
}

/** A refusal that no policy rule made (denylist, egress guard, malformed request). */
export function refusal(
  reason: "boundary" | "builtin_refusal" | "invalid_intent",
  rule: string,
  detail: string,
): GuardDecision {
  const decision = failClosed(reason, detail);
  decision.matched_rules = [rule];
  decision.risk_level = "critical";
  return decision;
}

/** Decides proxy requests: builds the intent, then denylist, egress guard, policy. */
export class ProxyDecider {
  readonly #options: DeciderOptions;

  constructor(options: DeciderOptions) {
    this.#options = options;
  }

  /** The intent for `request`, from the proxy's identity and session. */
  intentFor(request: ProxyTarget): Intent {
    const { env, session } = this.#options;
    const target = targetFor(request);
    return {
      identity: {
        principal: env.principal,
        capabilities: env.capabilities,
        ...(env.purpose !== undefined ? { purpose: env.purpose } : {}),
      },
      domain: "http",
      operation: request.kind === "tunnel" ? "connect" : request.method.toLowerCase(),
      target,
      context: {
        tool: "wt-proxy",
        ...(session ? { session: session.id } : {}),
      },
    };
  }

  /**
   * Decides `request`. Literal addresses are checked by the egress guard here; names are checked
   * once they are resolved (see {@link resolveForEgress} in core/egress.ts), after the policy
   * has allowed them, so that a refused request never causes a DNS query.
   */
  decide(request: ProxyTarget): ProxyDecision {
    const intent = this.intentFor(request);
    const { denylist, egress, guard, pending, session } = this.#options;
    if (denylist) {
      const forms = urlFacts(String(intent.target.url)).forms;
      const hit = denylist.patterns.find((glob) => forms.some((form) => glob.test(form)));
      if (hit) {
        return {
          intent,
          decision: refusal(
            "boundary",
            `denylist:${hit.pattern}`,
            `the URL matches '${hit.pattern}' in the denylist ${denylist.file}`,
          ),
        };
      }
    }
    const host = String(intent.target.host);
    if (parseIp(host)) {
      const refused = egressRefusal(host, egress);
      if (refused) return { intent, decision: egressDecision(refused) };
    }
    const decision = guard.decide(intent, session);
    if (decision.verdict === "escalate" && decision.mode === "enforce" && pending) {
      pending.request(intent, decision);
    }
    return { intent, decision };
  }
}

/** The decision recorded when the egress guard refuses an address. */
export function egressDecision(refused: EgressRefusal): GuardDecision {
  const how = refused.overridable
    ? " (allow with --allow-loopback / --allow-private or the policy's egress settings)"
    : "";
  const rule = refused.address === ""
    ? `egress-${refused.reason}`
    : `egress-${refused.addressClass}`;
  return refusal("boundary", rule.replaceAll("_", "-"), `${refused.detail}${how}`);
}
