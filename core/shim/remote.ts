/**
 * The decision backend that asks the decision service (core/decider) and falls back to a local
 * one whenever the service does not answer. Loads nothing heavy: a safe command that reaches
 * the service never loads the policy, the guard or the ledger.
 * @module
 */
import type { WatchtowerEnvironment } from "../config.ts";
import type { DeciderClient } from "../decider/client.ts";
import type { GuardDecision } from "../guard.ts";
import type { Intent } from "../intent.ts";
import type { LineDecision } from "../shell_guard/decide.ts";
import type { Decided, DecisionBackend, EffectEvent } from "./backend.ts";

/**
 * Decides through the decision service; from the first request it does not answer on, through
 * the local backend `fallback` makes (loaded only then).
 */
export class RemoteBackend implements DecisionBackend {
  readonly #client: DeciderClient;
  readonly #env: WatchtowerEnvironment;
  readonly #fallback: () => Promise<DecisionBackend>;
  #local: Promise<DecisionBackend> | undefined;

  /** `env`: the adapter's environment, which the service decides in. */
  constructor(
    client: DeciderClient,
    env: WatchtowerEnvironment,
    fallback: () => Promise<DecisionBackend>,
  ) {
    this.#client = client;
    this.#env = env;
    this.#fallback = fallback;
  }

  /** Whether the service stopped answering and the local backend took over. */
  get fellBack(): boolean {
    return this.#local !== undefined;
  }

  async decide(intents: Intent[], refusal: string | undefined): Promise<Decided> {
    if (!this.#local) {
      const answer = await this.#client.call({
        op: "decide",
        env: this.#env,
        intents,
        ...(refusal !== undefined ? { refusal } : {}),
      });
      if (answer && isDecided(answer, intents.length)) {
        return { decisions: answer.decisions as GuardDecision[], seqs: answer.seqs as number[] };
      }
    }
    return await (await this.#takeOver()).decide(intents, refusal);
  }

  async advance(intents: Intent[], decisions: GuardDecision[]): Promise<void> {
    if (this.#env.session === undefined) return; // as the local backend: no session, no zone
    const env = this.#env;
    if (!this.#local && await this.#client.call({ op: "advance", env, intents, decisions })) return;
    await (await this.#takeOver()).advance(intents, decisions);
  }

  /**
   * Sends the effect without waiting for the service to record it (the command exits meanwhile;
   * the service records it as the local backend would, without a sync): no seq comes back.
   */
  async effect(event: EffectEvent): Promise<number | undefined> {
    if (!this.#local && await this.#client.send({ op: "effect", env: this.#env, event })) {
      return undefined;
    }
    return await (await this.#takeOver()).effect(event);
  }

  async line(line: string, tool: string): Promise<LineDecision> {
    if (!this.#local) {
      const answer = await this.#client.call({
        op: "line",
        env: this.#env,
        line,
        tool,
        record: true,
        review: true,
      });
      const decided = answer?.decided as LineDecision | undefined;
      if (decided && typeof decided.verdict === "string" && Array.isArray(decided.parts)) {
        return decided;
      }
    }
    return await (await this.#takeOver()).line(line, tool);
  }

  /** Closes the connection to the service. */
  close(): void {
    this.#client.close();
  }

  #takeOver(): Promise<DecisionBackend> {
    this.#client.close();
    this.#local ??= this.#fallback();
    return this.#local;
  }
}

function isDecided(answer: Record<string, unknown>, count: number): boolean {
  const { decisions, seqs } = answer;
  return Array.isArray(decisions) && decisions.length === count && Array.isArray(seqs) &&
    decisions.every((d) => d !== null && typeof d === "object" && typeof d.verdict === "string") &&
    seqs.every((seq) => typeof seq === "number");
}
