/**
 * The approval store: escalations waiting for a human (`pending/`), the human's grants
 * (`approvals/`), and the guard's hook that turns an escalation into an allow when a grant covers
 * exactly that operation. Every change is reported as an event for the ledger.
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import type { ApprovalHook } from "../guard.ts";
import type { Decision, Intent } from "../intent.ts";
import { normalizeTarget } from "../policy/prepare.ts";
import { type ApprovalEvent, grantFacts, requestFacts, scopeText } from "./events.ts";
import {
  type ApprovalDirs,
  approvalDirs,
  claim,
  type Claimed,
  createExclusive,
  prepareReplace,
  readRecordFile,
  removeQuietly,
  restore,
} from "./files.ts";
import { checkApprovalKey, checkGrantDuration, isApprovalKey } from "./key.ts";
import type { GrantVerifier } from "./signing.ts";
import {
  type ApprovedOperation,
  type Grant,
  GRANT_SCOPES,
  type GrantScope,
  MAX_RECORD_BYTES,
  operationOf,
  parseGrant,
  parsePending,
  type PendingRequest,
  sameOperation,
} from "./records.ts";

/** How a store reports and tells time. */
export interface ApprovalStoreOptions {
  /** Receives each event; adapters append it to the ledger. A throw aborts the change. */
  record?: (event: ApprovalEvent) => void;
  /** Clock in milliseconds, for tests (default `Date.now`). */
  now?: () => number;
  /**
   * The workspace relative paths without a working directory resolve against: the guard's
   * (`policy.vars.workspace`), so that the store sees the operation the guard decided.
   */
  workspace?: string;
  /**
   * Checks operator signatures: with one, a grant counts only when {@link ApprovalStore.review}
   * (or {@link ApprovalStore.preverify}) has verified its signature. Without one (tests, tools
   * that only list), grants count unsigned.
   */
  verifier?: GrantVerifier;
  /** The policy in force (its hash, see core/policy/hash.ts), recorded in pending requests. */
  policy?: string;
}

/** Signs grants (`wt approve`, with the operator's key). */
export interface GrantSigner {
  sign(grant: Grant): Promise<string>;
}

/** What {@link ApprovalStore.request} records beside the intent and decision. */
export interface RequestInfo {
  /** The session's zone when it escalated. */
  zone?: string;
  /** A hash or label of the policy in force. */
  policy?: string;
}

/** How {@link ApprovalStore.grant} approves. */
export interface GrantOptions {
  scope: GrantScope;
  /** How long a `duration` grant lasts (1 ms to 30 days); only for that scope. */
  durationMs?: number;
  /** Who approves (a user name). */
  approver: string;
  /** The grant's time in milliseconds (default: the store's clock). */
  now?: number;
}

/** What {@link ApprovalStore.deny} refused: the request, or what was wrong with its file. */
export interface Denied {
  key: string;
  request: PendingRequest | null;
  problem: string | null;
}

/** One entry of {@link ApprovalStore.pending}: a request, or a file that is not one. */
export type PendingItem =
  | { status: "ok"; file: string; request: PendingRequest }
  | { status: "corrupt"; file: string; key: string | null; problem: string };

/** How far in the future a grant's `created` may lie (clock skew) before it is refused. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const MAX_APPROVER = 256;
const MAX_REASON = 4096;

/** The intent's session; an empty one is none (as an empty WATCHTOWER_SESSION is unset). */
function sessionOf(intent: Intent): string | null {
  return intent.context.session || null;
}

/**
 * Pending requests and grants in a state directory. As the guard's {@link ApprovalHook} it
 * approves an escalation only with a valid grant for the same key, session and operation; a
 * one-time grant is consumed by exactly one process.
 *
 * @example
 * ```ts
 * import { ApprovalStore } from "./store.ts";
 * import { equal } from "node:assert/strict";
 * const store = new ApprovalStore(Deno.makeTempDirSync());
 * const intent = {
 *   identity: { principal: "agent:demo", capabilities: [] },
 *   domain: "filesystem" as const, operation: "delete", target: { path: "/srv/x" }, context: {},
 * };
 * const decision = {
 *   verdict: "escalate" as const, mode: "enforce" as const, reason: "rule" as const,
 *   detail: "rule r", matched_rules: ["r"], risk_score: 8, risk_level: "high" as const,
 *   sensitivity: "internal", approval_key: "srv_deletes", // a rule's own key
 * };
 * const key = store.request(intent, decision);
 * store.grant(key, { scope: "once", approver: "alice" });
 * equal(store.check(intent, decision)?.approved, true);
 * equal(store.check(intent, decision), undefined);
 * ```
 */
export class ApprovalStore implements ApprovalHook {
  /** The state directory. */
  readonly stateDir: string;
  /** Where the files live. */
  readonly dirs: ApprovalDirs;
  readonly #record: (event: ApprovalEvent) => void;
  readonly #now: () => number;
  readonly #workspace: string | undefined;
  readonly #verifier: GrantVerifier | undefined;
  readonly #policy: string | undefined;
  /** Grant file texts whose signature verified (check() is synchronous; verifying is not). */
  readonly #verified = new Set<string>();

  /** A store over `stateDir` (directories are created when first written). */
  constructor(stateDir: string, options: ApprovalStoreOptions = {}) {
    this.stateDir = stateDir;
    this.dirs = approvalDirs(stateDir);
    this.#record = options.record ?? (() => {});
    this.#now = options.now ?? Date.now;
    this.#workspace = options.workspace;
    this.#verifier = options.verifier;
    this.#policy = options.policy;
  }

  /**
   * Verifies the signature of the grant for `key`, if there is one, so that a following
   * {@link check} may accept it. A grant whose signature does not verify is reported
   * (`approval.forged`) and never counts.
   */
  async preverify(key: string): Promise<void> {
    if (!this.#verifier || !isApprovalKey(key)) return;
    const path = `${this.dirs.approvals}/${key}.json`;
    const found = readRecordFile(path, MAX_RECORD_BYTES);
    if (found === undefined || "problem" in found || this.#verified.has(found.text)) return;
    const parsed = parseGrant(found.text, key);
    if (!parsed.ok) return; // check() reports it as corrupt
    if (await this.#verifier.verify(parsed.value)) {
      if (this.#verified.size > 1024) this.#verified.clear();
      this.#verified.add(found.text);
    } else {
      this.#record({
        type: "approval.forged",
        key,
        file: path,
        problem: parsed.value.signature === undefined
          ? "the grant is not signed by the operator"
          : "the grant's signature does not verify with the operator's key",
      });
    }
  }

  /**
   * What an adapter does with a decision: an escalation with a valid, signed grant for exactly
   * this operation becomes an allow (reason `approved`); any other escalation is written to
   * `pending/` for a human. Other decisions pass unchanged.
   */
  async review<D extends Decision>(
    intent: Intent,
    decision: D,
    info: RequestInfo = {},
  ): Promise<D> {
    if (decision.verdict !== "escalate" || decision.approval_key === undefined) return decision;
    await this.preverify(decision.approval_key);
    const grant = this.check(intent, decision);
    if (grant?.approved) {
      return {
        ...decision,
        verdict: "allow",
        reason: "approved",
        detail: `${grant.detail} (was: ${decision.detail})`,
      };
    }
    if (decision.mode === "enforce") this.request(intent, decision, info);
    return decision;
  }

  /** The file of the pending request `key`. */
  pendingPath(key: string): string {
    return `${this.dirs.pending}/${checkApprovalKey(key)}.json`;
  }

  /** The file of the grant `key`. */
  grantPath(key: string): string {
    return `${this.dirs.approvals}/${checkApprovalKey(key)}.json`;
  }

  /**
   * The guard's hook: approves `decision`'s escalation when `approvals/<key>.json` holds a valid
   * grant for this session and exactly this operation. Consumes a one-time grant (only one of
   * racing processes wins), expires an outdated one. Never throws for a bad file (not approved,
   * `approval.corrupt` reported); a throw from `record` propagates (the guard then denies).
   */
  check(intent: Intent, decision: Decision): { approved: true; detail: string } | undefined {
    const key = decision.approval_key;
    if (key === undefined || !isApprovalKey(key)) return undefined;
    const path = `${this.dirs.approvals}/${key}.json`;
    const found = readRecordFile(path, MAX_RECORD_BYTES);
    if (found === undefined) return undefined;
    if ("problem" in found) return this.#corrupt(key, path, found.problem);
    const parsed = parseGrant(found.text, key);
    if (!parsed.ok) return this.#corrupt(key, path, parsed.problem);
    const grant = parsed.value;
    if (this.#verifier && !this.#verified.has(found.text)) return undefined;
    const now = this.#now();
    if (Date.parse(grant.created) - now > MAX_CLOCK_SKEW_MS) {
      return this.#corrupt(key, path, `created ${grant.created}, in the future (clock or forgery)`);
    }
    if (grant.expires !== null && Date.parse(grant.expires) <= now) {
      if (this.#take(path, "expired", found.text)) {
        this.#record({ type: "approval.expire", ...grantFacts(grant) });
      }
      return undefined;
    }
    if (grant.session !== sessionOf(intent)) return undefined;
    if (!sameOperation(grant.operation, this.#operationOf(intent))) return undefined;
    if (grant.scope === "once" && !this.#take(path, "used", found.text)) return undefined;
    this.#record({ type: "approval.use", ...grantFacts(grant) });
    return { approved: true, detail: `approved by ${grant.approver} (${scopeText(grant)})` };
  }

  /**
   * Records an escalation as `pending/<key>.json` for a human to approve and returns its key.
   * Idempotent: while a request for the key is pending, it stays as first written (its `created`
   * too; a different operation under the same rule key waits until it is resolved). Reports
   * `approval.request` when it creates the file; if that report throws, the file is removed.
   */
  request(intent: Intent, decision: Decision, info: RequestInfo = {}): string {
    const key = decision.approval_key;
    if (key === undefined) {
      throw new WatchtowerError(
        "internal",
        "Cannot record a pending request: the decision has no approval key (only escalations have one)",
      );
    }
    const path = this.pendingPath(key);
    const found = readRecordFile(path, MAX_RECORD_BYTES);
    if (found !== undefined) {
      const parsed = "text" in found ? parsePending(found.text, key) : undefined;
      if (parsed?.ok) return key;
      // A corrupt request would block every later one: set it aside, reported.
      const problem = parsed ? parsed.problem : (found as { problem: string }).problem;
      this.#corrupt(key, path, problem);
      const claimed = claim(path, this.dirs.used, "corrupt", MAX_RECORD_BYTES);
      if (claimed) removeQuietly(claimed.path);
    }
    const request: PendingRequest = {
      version: 1,
      key,
      created: new Date(this.#now()).toISOString(),
      session: sessionOf(intent),
      zone: info.zone ?? null,
      ...this.#operationOf(intent),
      // Bounded, so that a long detail cannot make the request invalid.
      reason: [...decision.detail].slice(0, MAX_REASON).join(""),
      matched_rules: [...decision.matched_rules],
      policy: info.policy ?? this.#policy ?? null,
    };
    if (!createExclusive(path, `${JSON.stringify(request, null, 2)}\n`)) return key;
    try {
      this.#record({ type: "approval.request", ...requestFacts(request) });
    } catch (error) {
      removeQuietly(path);
      throw error;
    }
    return key;
  }

  /**
   * Approves the pending request `key`: writes `approvals/<key>.json` (replacing an earlier grant
   * for the key) and removes the request. The `approval.grant` event is reported first; if that
   * throws, nothing changes. Throws `usage` (bad key or options, no such request) or
   * `invalid_intent` (the request's file is corrupt: deny it to remove it).
   */
  grant(key: string, options: GrantOptions): Grant {
    return this.#commitGrant(this.#draftGrant(key, options));
  }

  /**
   * {@link grant}, with the grant signed by `signer` (the operator's key) before it is written:
   * what `wt approve` does, and what adapters with a verifier accept.
   */
  async grantSigned(key: string, options: GrantOptions, signer: GrantSigner): Promise<Grant> {
    const draft = this.#draftGrant(key, options);
    try {
      draft.grant.signature = await signer.sign(draft.grant);
    } catch (error) {
      restore(draft.claimed, draft.pendingPath);
      throw error;
    }
    return this.#commitGrant(draft);
  }

  /** Validates, claims the pending request and builds the grant (not yet written). */
  #draftGrant(key: string, options: GrantOptions) {
    checkApprovalKey(key);
    const { scope } = options;
    if (!GRANT_SCOPES.includes(scope)) {
      throw usage(`Cannot approve ${key}: unknown scope '${scope}'`);
    }
    if (scope === "duration") {
      checkGrantDuration(options.durationMs ?? Number.NaN);
    } else if (options.durationMs !== undefined) {
      throw usage(`Cannot approve ${key}: a duration applies only to scope 'duration'`);
    }
    const approver = checkApprover(options.approver);
    const now = options.now ?? this.#now();
    const pendingPath = this.pendingPath(key);
    const claimed = this.#claimPending(key, "approve");
    const parsed = "text" in claimed ? parsePending(claimed.text, key) : undefined;
    if (!parsed?.ok) {
      restore(claimed, pendingPath);
      const problem = parsed ? parsed.problem : (claimed as { problem: string }).problem;
      throw new WatchtowerError(
        "invalid_intent",
        `Cannot approve ${key}: ${pendingPath} is not a valid pending request (${problem}); wt deny ${key} removes it`,
        { location: { file: pendingPath } },
      );
    }
    const request = parsed.value;
    if (scope === "session" && request.session === null) {
      restore(claimed, pendingPath);
      throw usage(
        `Cannot approve ${key} for its session: the request has no session; approve it once or with --duration`,
      );
    }
    const grant: Grant = {
      version: 1,
      key,
      scope,
      session: request.session,
      created: new Date(now).toISOString(),
      expires: scope === "duration" ? new Date(now + options.durationMs!).toISOString() : null,
      approver,
      operation: operationOf(request),
      policy: request.policy,
    };
    return { key, grant, claimed, pendingPath };
  }

  /** Writes a drafted grant: the event first, then the file; the request is removed. */
  #commitGrant(
    draft: { key: string; grant: Grant; claimed: Claimed; pendingPath: string },
  ): Grant {
    const { key, grant, claimed, pendingPath } = draft;
    let prepared: ReturnType<typeof prepareReplace>;
    try {
      prepared = prepareReplace(this.grantPath(key), `${JSON.stringify(grant, null, 2)}\n`);
    } catch (error) {
      restore(claimed, pendingPath);
      throw error;
    }
    try {
      this.#record({ type: "approval.grant", ...grantFacts(grant) });
    } catch (error) {
      prepared.discard();
      restore(claimed, pendingPath);
      throw error;
    }
    try {
      prepared.commit();
    } catch (error) {
      restore(claimed, pendingPath);
      throw error;
    }
    removeQuietly(claimed.path);
    return grant;
  }

  /**
   * Refuses the pending request `key`: reports `approval.deny` and removes the request (a corrupt
   * one too). A later escalation of the same operation is a new request. Throws `usage` for a bad
   * key or when no request is pending; if the report throws, the request stays.
   */
  deny(key: string, options: { approver: string; reason?: string }): Denied {
    checkApprovalKey(key);
    const approver = checkApprover(options.approver);
    const reason = options.reason ?? null;
    if (reason !== null && reason.length > 4096) {
      throw usage(`Cannot deny ${key}: the reason is longer than 4096 characters`);
    }
    const pendingPath = this.pendingPath(key);
    const claimed = this.#claimPending(key, "deny");
    const parsed = "text" in claimed ? parsePending(claimed.text, key) : undefined;
    const request = parsed?.ok ? parsed.value : null;
    const problem = parsed?.ok
      ? null
      : parsed
      ? parsed.problem
      : (claimed as { problem: string }).problem;
    try {
      this.#record({
        type: "approval.deny",
        key,
        approver,
        reason,
        session: request?.session ?? null,
        operation: request ? operationOf(request) : null,
        policy: request?.policy ?? null,
        ...(problem === null ? {} : { problem }),
      });
    } catch (error) {
      restore(claimed, pendingPath);
      throw error;
    }
    removeQuietly(claimed.path);
    return { key, request, problem };
  }

  /** The pending requests, oldest first, then the files that are not valid requests. */
  pending(): PendingItem[] {
    let names: string[];
    try {
      names = [...Deno.readDirSync(this.dirs.pending)]
        .filter((entry) => !entry.isDirectory && entry.name.endsWith(".json"))
        .filter((entry) => !entry.name.startsWith("."))
        .map((entry) => entry.name);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
    const ok: PendingItem[] = [];
    const corrupt: PendingItem[] = [];
    for (const name of names) {
      const file = `${this.dirs.pending}/${name}`;
      const key = name.slice(0, -".json".length);
      if (!isApprovalKey(key)) {
        corrupt.push({ status: "corrupt", file, key: null, problem: "not a valid key" });
        continue;
      }
      const found = readRecordFile(file, MAX_RECORD_BYTES);
      if (found === undefined) continue; // resolved while listing
      const parsed = "text" in found
        ? parsePending(found.text, key)
        : { ok: false as const, problem: found.problem };
      if (parsed.ok) ok.push({ status: "ok", file, request: parsed.value });
      else corrupt.push({ status: "corrupt", file, key, problem: parsed.problem });
    }
    const created = (item: PendingItem) => item.status === "ok" ? item.request.created : "";
    ok.sort((a, b) => Date.parse(created(a)) - Date.parse(created(b)) || compare(a.file, b.file));
    corrupt.sort((a, b) => compare(a.file, b.file));
    return [...ok, ...corrupt];
  }

  #operationOf(intent: Intent): ApprovedOperation {
    const vars = this.#workspace === undefined ? {} : { workspace: this.#workspace };
    return {
      principal: intent.identity.principal,
      domain: intent.domain,
      operation: intent.operation,
      target: normalizeTarget(intent, vars),
    };
  }

  #claimPending(key: string, tag: string): Claimed {
    const claimed = claim(this.pendingPath(key), this.dirs.used, tag, MAX_RECORD_BYTES);
    if (claimed) return claimed;
    throw usage(
      `Cannot ${
        tag === "approve" ? "approve" : "deny"
      } ${key}: no request with this key is pending in ${this.dirs.pending}; wt pending lists them`,
    );
  }

  /**
   * Claims the grant at `path` when it still holds `text`; a grant that changed in between is
   * put back. Returns whether this process now owns (and has removed) it.
   */
  #take(path: string, tag: string, text: string): boolean {
    let claimed: Claimed | undefined;
    try {
      claimed = claim(path, this.dirs.used, tag, MAX_RECORD_BYTES);
    } catch (error) {
      const key = path.slice(path.lastIndexOf("/") + 1, -".json".length);
      this.#corrupt(key, path, `cannot claim: ${(error as Error).message}`);
      return false;
    }
    if (!claimed) return false;
    if (!("text" in claimed) || claimed.text !== text) {
      restore(claimed, path);
      return false;
    }
    removeQuietly(claimed.path);
    return true;
  }

  #corrupt(key: string, file: string, problem: string): undefined {
    this.#record({ type: "approval.corrupt", key, file, problem });
    return undefined;
  }
}

function usage(message: string): WatchtowerError {
  return new WatchtowerError("usage", message);
}

function checkApprover(approver: string): string {
  // deno-lint-ignore no-control-regex
  if (approver === "" || approver.length > MAX_APPROVER || /[\u0000-\u001f\u007f]/.test(approver)) {
    throw usage(
      `Cannot record approver ${
        JSON.stringify(approver.slice(0, 40))
      }: give a name of 1-${MAX_APPROVER} printable characters`,
    );
  }
  return approver;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
