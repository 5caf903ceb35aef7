/**
 * The decision service's work, without the socket: answer one request with the decisions an
 * adapter would have made in its own process, from a policy kept compiled (and loaded again as
 * soon as a file it was built from changes), a guard whose conditions and caches stay warm, and
 * the same ledger, sessions and approvals. A request the service cannot take with certainty (a
 * different state directory, a malformed environment or intent, a session that cannot be read,
 * a policy that does not load) is refused, and the adapter decides itself.
 * @module
 */
import { type EnvReader, policyOptions, type WatchtowerEnvironment } from "../config.ts";
import { Guard, type GuardDecision } from "../guard.ts";
import type { Intent } from "../intent.ts";
import { checkIntent } from "../intent_check.ts";
import { Ledger } from "../ledger/writer.ts";
import type { CompiledPolicy } from "../policy/compile.ts";
import { loadPolicyKept } from "../policy/cache.ts";
import { SessionTracker } from "../session/mod.ts";
import { answerClaudeCode } from "../hooks/claude_code.ts";
import { readClaudeEvent } from "../hooks/claude_event.ts";
import { answerOpencode, isOpencodeShellCall } from "../hooks/opencode.ts";
import { readOpencodeEvent } from "../hooks/opencode_event.ts";
import { decideLine, recordLine } from "../shell_guard/mod.ts";
import { type EffectEvent, LocalBackend } from "../shim/backend.ts";
import { DECIDER_PROTOCOL, type DeciderAnswer, type DeciderRequest } from "./protocol.ts";

/** What the service needs to know about where it runs. */
export interface DecisionServiceOptions {
  /** The state directory it serves (requests for another are refused). */
  stateDir: string;
  /** The built-in profiles' directory (as adapters use it). */
  builtinProfiles: string;
  /** The service's own environment (the operator's key directory is read from it). */
  read: EnvReader;
  /**
   * The guard shell lines are decided with, as `wt check --shell` builds it (with the GTFOBins
   * annotator); safe commands' intents are decided by a plain guard, as in their own process.
   */
  lineGuard(policy: CompiledPolicy): Guard;
}

/** A compiled policy's guards, and whether the files it was built from are unchanged. */
interface Policy {
  isCurrent(): boolean;
  plain: Guard;
  lines: Guard;
}

const encoder = new TextEncoder();

/** How many policies (one per workspace and policy file) stay compiled. */
const KEPT_POLICIES = 32;

/** Answers requests (see core/decider/protocol.ts). */
export class DecisionService {
  readonly #options: DecisionServiceOptions;
  readonly #policies = new Map<string, Policy>();
  readonly #ledgers = new Map<string, Ledger>();
  #requests = 0;

  constructor(options: DecisionServiceOptions) {
    this.#options = options;
  }

  /** How many requests were answered (taken or refused). */
  get requests(): number {
    return this.#requests;
  }

  /** Answers one request (already parsed from JSON). Never throws. */
  async handle(request: unknown): Promise<DeciderAnswer> {
    this.#requests++;
    try {
      return await this.#handle(request);
    } catch (error) {
      return refuse(error instanceof Error ? error.message : String(error));
    }
  }

  async #handle(value: unknown): Promise<DeciderAnswer> {
    if (!isRecord(value)) return refuse("a request is a JSON object");
    if (value.v !== DECIDER_PROTOCOL) return refuse(`protocol version ${DECIDER_PROTOCOL} only`);
    const env = parseEnvironment(value.env);
    if (!env) return refuse("env: expected the adapter's environment");
    if (env.stateDir !== this.#options.stateDir) {
      return refuse(`this service serves ${this.#options.stateDir}, not ${env.stateDir}`);
    }
    const request = value as unknown as DeciderRequest;
    switch (request.op) {
      case "ping":
        return {
          ok: true,
          stateDir: this.#options.stateDir,
          pid: Deno.pid,
          requests: this.#requests,
        };
      case "decide": {
        const intents = parseIntents(request.intents);
        if (!intents) return refuse("intents: expected valid intents");
        if (request.refusal !== undefined && typeof request.refusal !== "string") {
          return refuse("refusal: expected a string");
        }
        const decided = await (await this.#backend(env)).decide(intents, request.refusal);
        return { ok: true, ...decided };
      }
      case "advance": {
        const intents = parseIntents(request.intents);
        const { decisions } = request;
        if (!intents || !Array.isArray(decisions) || decisions.length !== intents.length) {
          return refuse("advance: expected intents and their decisions");
        }
        if (!decisions.every(isDecision)) return refuse("decisions: expected decisions");
        await (await this.#backend(env)).advance(intents, decisions);
        return { ok: true };
      }
      case "effect": {
        const { event } = request;
        if (!isRecord(event) || event.type !== "effect") return refuse("event: expected an effect");
        const seq = await (await this.#backend(env)).effect(event as EffectEvent);
        return { ok: true, ...(seq !== undefined ? { seq } : {}) };
      }
      case "line": {
        const { line, tool, record, review } = request;
        if (typeof line !== "string" || typeof tool !== "string" || typeof record !== "boolean") {
          return refuse("line: expected line, tool and record");
        }
        if (review !== undefined && (review !== true || !record)) {
          return refuse("line: review is true, with record");
        }
        if (review) return { ok: true, decided: await (await this.#backend(env)).line(line, tool) };
        const policy = await this.#policy(env);
        const session = new SessionTracker(env.stateDir, env.session).view();
        const decided = decideLine(line, { guard: policy.lines, env, tool, session });
        const ledger = this.#ledger(policy.plain.policy);
        return { ok: true, decided: record ? recordLine(ledger, decided) : decided };
      }
      case "hook": {
        const { agent, text } = request;
        if ((agent !== "claude-code" && agent !== "opencode") || typeof text !== "string") {
          return refuse("hook: expected agent claude-code or opencode and the event's text");
        }
        const opencode = agent === "opencode";
        const read = opencode
          ? readOpencodeEvent(encoder.encode(text))
          : readClaudeEvent(encoder.encode(text));
        const policy = await this.#policy(env);
        // As the hook in its own process: the annotated guard for shell lines only.
        const bash = opencode
          ? isOpencodeShellCall(read)
          : read.ok && read.event.hookEventName === "PreToolUse" && read.event.toolName === "Bash";
        const guard = bash ? policy.lines : policy.plain;
        const ledger = this.#ledger(guard.policy);
        const options = { guard, env, ledger, approvals: this.#approvals(env, ledger, guard) };
        const { answer } = opencode
          ? await answerOpencode(read, options)
          : await answerClaudeCode(read, options);
        return { ok: true, answer };
      }
      default:
        return refuse(`unknown op '${String((request as { op?: unknown }).op)}'`);
    }
  }

  async #backend(env: WatchtowerEnvironment): Promise<LocalBackend> {
    const { plain: guard, lines: lineGuard } = await this.#policy(env);
    const ledger = this.#ledger(guard.policy);
    return new LocalBackend({
      env,
      guard,
      lineGuard,
      ledger,
      approvals: this.#approvals(env, ledger, guard),
    });
  }

  /** The approval store as adapters use it, with the operator key from the service's own env. */
  #approvals(env: WatchtowerEnvironment, ledger: Ledger, guard: Guard) {
    return async () =>
      (await import("../approvals/mod.ts")).adapterApprovals(
        env,
        this.#options.read,
        (event) => ledger.appendSync([{ data: { event } }]),
        guard.policy,
      );
  }

  /** The policy for `env`, kept compiled while its files do not change. */
  async #policy(env: WatchtowerEnvironment): Promise<Policy> {
    const options = policyOptions(env, this.#options.builtinProfiles);
    const key = JSON.stringify(options);
    const kept = this.#policies.get(key);
    if (kept?.isCurrent()) {
      // Most recently used last: the first key is the one to drop.
      this.#policies.delete(key);
      this.#policies.set(key, kept);
      return kept;
    }
    this.#policies.delete(key);
    // A policy that does not load throws: the request is refused, and the adapter reports the
    // error and fails closed as it does on its own (deny, or its configuration-error exit).
    const loaded = await loadPolicyKept(options);
    const policy: Policy = {
      isCurrent: loaded.isCurrent,
      plain: new Guard(loaded.policy),
      lines: this.#options.lineGuard(loaded.policy),
    };
    this.#policies.set(key, policy);
    if (this.#policies.size > KEPT_POLICIES) {
      this.#policies.delete(this.#policies.keys().next().value!);
    }
    return policy;
  }

  #ledger(policy: CompiledPolicy | undefined): Ledger {
    const settings = policy?.settings.ledger;
    const key = settings ? `${settings.sync}:${settings.segmentBytes}` : "default";
    let ledger = this.#ledgers.get(key);
    if (!ledger) {
      ledger = new Ledger(
        this.#options.stateDir,
        settings ? { sync: settings.sync, segmentBytes: settings.segmentBytes } : {},
      );
      this.#ledgers.set(key, ledger);
    }
    return ledger;
  }
}

function refuse(error: string): DeciderAnswer {
  return { ok: false, error };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

const isString = (value: unknown): value is string => typeof value === "string";
const isAbsolute = (value: unknown): value is string => isString(value) && value.startsWith("/");
const optionalString = (value: unknown) => value === undefined || isString(value);

/** The adapter's environment, if `value` is one (absolute paths, strings, a list of strings). */
export function parseEnvironment(value: unknown): WatchtowerEnvironment | undefined {
  if (!isRecord(value)) return undefined;
  const { stateDir, home, policyFile, workspace, cwd, principal, purpose, session } = value;
  const { capabilities } = value;
  if (!isAbsolute(stateDir) || !isAbsolute(workspace) || !isAbsolute(cwd)) return undefined;
  if (!isString(principal) || !optionalString(home) || !optionalString(purpose)) return undefined;
  if (!optionalString(session)) return undefined;
  if (policyFile !== undefined && !isAbsolute(policyFile)) return undefined;
  if (!Array.isArray(capabilities) || !capabilities.every(isString)) return undefined;
  return {
    stateDir,
    home: home as string | undefined,
    policyFile: policyFile as string | undefined,
    workspace,
    cwd,
    principal,
    purpose: purpose as string | undefined,
    session: session as string | undefined,
    capabilities: [...capabilities],
  };
}

function parseIntents(value: unknown): Intent[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > 4096) return undefined;
  const intents: Intent[] = [];
  for (const each of value) {
    const checked = checkIntent(each);
    if (!checked.ok) return undefined;
    intents.push(checked.intent);
  }
  return intents;
}

function isDecision(value: unknown): value is GuardDecision {
  return isRecord(value) && isString(value.verdict) && isRecord(value.annotations);
}
