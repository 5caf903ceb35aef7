/**
 * An intent prepared for matching: paths normalised, URL forms and the condition scope worked out
 * once per decision and only when some rule needs them.
 * @module
 */
import { type Intent, RESOURCE_FIELD, type Target, type Zone } from "../intent.ts";
import { normalizePath } from "../match/path.ts";
import { type UrlFacts, urlFacts } from "../match/url.ts";
import type { Scope, ScopeValue } from "./expr/mod.ts";

import type { PolicyVars } from "./vars.ts";

/** Normalises a local intent's path fields (`path`, `dest`) against its working directory. */
export function normalizeTarget(intent: Intent, vars: PolicyVars): Target {
  const cwd = intent.context.cwd ?? vars.workspace;
  let target = intent.target;
  for (const field of ["path", "dest"]) {
    const value = target[field];
    // Only local paths: an ssh path is on another machine (its command normalises it).
    const local = intent.domain === "filesystem" || intent.domain === "search";
    if (
      typeof value === "string" && local && (intent.domain === "filesystem" || field === "path")
    ) {
      const normalized = normalizePath(value, cwd);
      if (normalized !== value) target = { ...target, [field]: normalized };
    }
  }
  return target;
}

/** A prepared intent; `risk` and `zone` are set by the guard before rules run. */
export class PreparedIntent {
  readonly intent: Intent;
  readonly target: Target;
  readonly resource: string;
  zone: Zone = "SAFE";
  risk = 0;
  /** What annotators found (GTFOBins alerts, …), set by the guard before rules run. */
  annotations: Record<string, unknown> = {};
  #url: UrlFacts | undefined;
  #scope: Scope | undefined;
  readonly #vars: PolicyVars;

  constructor(intent: Intent, vars: PolicyVars) {
    this.intent = intent;
    this.#vars = vars;
    this.target = normalizeTarget(intent, vars);
    const resource = this.target[RESOURCE_FIELD[intent.domain]];
    this.resource = typeof resource === "string" ? resource : "";
  }

  /** The normalised `target.path`, when the target has one. */
  get path(): string | undefined {
    const path = this.target.path;
    return typeof path === "string" ? path : undefined;
  }

  /** URL facts for `target.url` (or the resource of an http intent). */
  get url(): UrlFacts {
    if (!this.#url) {
      const raw = this.target.url;
      this.#url = urlFacts(typeof raw === "string" ? raw : this.resource);
    }
    return this.#url;
  }

  /** The host an http or ssh intent is for, lower case. */
  get host(): string {
    const host = this.target.host;
    if (typeof host === "string") return host.toLowerCase();
    return this.intent.domain === "http" ? this.url.host : "";
  }

  /** The names a condition can read. */
  get scope(): Scope {
    if (!this.#scope) {
      const { identity, domain, operation, context } = this.intent;
      const target = this.target as Record<string, ScopeValue>;
      this.#scope = {
        identity: {
          principal: identity.principal,
          capabilities: identity.capabilities,
          purpose: identity.purpose ?? null,
        },
        intent: { domain, operation, target },
        target,
        context: {
          session: context.session ?? null,
          tool: context.tool ?? null,
          cwd: context.cwd ?? null,
          pid: context.pid ?? null,
          workspace: context.workspace ?? this.#vars.workspace ?? null,
          home: this.#vars.home ?? null,
        },
        zone: this.zone,
        risk: this.risk,
        annotations: this.annotations as Record<string, ScopeValue>,
      };
    }
    return this.#scope;
  }
}
