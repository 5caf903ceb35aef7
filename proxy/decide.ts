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
import type { SessionTracker, ZoneEvent } from "../core/session/mod.ts";
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

/** Reviews escalations: a signed grant lets one through, any other is written to pending/. */
export interface ApprovalReview {
  review(intent: Intent, decision: GuardDecision, info?: { zone?: string }): Promise<GuardDecision>;
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
  approvals?: ApprovalReview | undefined;
  /** The session requests belong to (fixed when the proxy starts), read per request. */
  session?: SessionTracker | undefined;
}

/** A refusal that no policy rule made (denylist, egress guard, malformed request). */
export function refusal(
  reason: "boundary" | "builtin_refusal" | "invalid_intent" | "session_unavailable",
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

  /**
   * The request goes ahead: moves the session to its zone; returns the `session.zone` event to
   * record, if the zone changed. Throws when the session cannot be written (refuse then).
   */
  advance(decided: ProxyDecision): ZoneEvent | undefined {
    return this.#options.session?.advance(decided.intent, decided.decision);
  }

  /** The intent for `request`, from the proxy's identity and session. */
  intentFor(request: ProxyTarget): Intent {
    const { env, session } = this.#options;
    const target = targetFor(request);
    const sessionId = session?.id;
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
        ...(sessionId !== undefined ? { session: sessionId } : {}),
      },
    };
  }

  /**
   * Decides `request`. Literal addresses are checked by the egress guard here; names are checked
   * once they are resolved (see {@link resolveForEgress} in core/egress.ts), after the policy
   * has allowed them, so that a refused request never causes a DNS query.
   */
  async decide(request: ProxyTarget): Promise<ProxyDecision> {
    const intent = this.intentFor(request);
    const { denylist, egress, guard, approvals, session } = this.#options;
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
    let view: SessionView | undefined;
    try {
      view = session?.view();
    } catch (error) {
      return {
        intent,
        decision: refusal(
          "session_unavailable",
          "session-unavailable",
          error instanceof Error ? error.message : String(error),
        ),
      };
    }
    let decision = guard.decide(intent, view);
    if (approvals) {
      decision = await approvals.review(intent, decision, { zone: view?.zone ?? "SAFE" });
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
