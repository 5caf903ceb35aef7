/**
 * Where a safe command's intents are decided and recorded: in its own process (the guard, the
 * ledger, the session and the approvals, loaded at start-up) or by the decision service
 * (core/decider), which keeps them loaded (core/shim/remote.ts). Both give the same decisions.
 * @module
 */
import type { ApprovalStore } from "../approvals/store.ts";
import type { WatchtowerEnvironment } from "../config.ts";
import { failClosed, type Guard, type GuardDecision, type SessionView } from "../guard.ts";
import type { Intent } from "../intent.ts";
import { decisionRecord, unrecordedDecision } from "../ledger/records.ts";
import type { Ledger } from "../ledger/writer.ts";
import { SessionTracker } from "../session/mod.ts";
import type { LineDecision } from "../shell_guard/decide.ts";

/** Decisions on a plan's intents, in order, and the seqs they were recorded at. */
export interface Decided {
  decisions: GuardDecision[];
  seqs: number[];
}

/** What a program did, as the runner records it (`type: "effect"`). */
export type EffectEvent = { type: string } & Record<string, unknown>;

/** Decides and records for the runner (core/shim/runner.ts). */
export interface DecisionBackend {
  /**
   * Decides the intents in the session (approvals reviewed) and records every decision; a
   * decision that cannot be recorded is a deny. Never throws.
   */
  decide(intents: Intent[], refusal: string | undefined): Promise<Decided>;
  /** Moves the session for intents that go ahead, recorded; throws when it cannot. */
  advance(intents: Intent[], decisions: GuardDecision[]): Promise<void>;
  /**
   * Records what the program did (best effort): its seq, or undefined when it could not be
   * recorded or is recorded after the command exits (by the decision service).
   */
  effect(event: EffectEvent): Promise<number | undefined>;
  /**
   * Decides a shell line (`wt sh`, `wt exec`) in the session, its escalated parts reviewed by
   * the approvals, and records every part (a part not recorded is a deny). Throws
   * `session_unavailable` for a session that cannot be read.
   */
  line(line: string, tool: string): Promise<LineDecision>;
}

/** What a local backend decides with. */
export interface LocalBackendOptions {
  env: WatchtowerEnvironment;
  guard: Guard;
  /** The guard shell lines are decided with (with the annotators); default `guard`. */
  lineGuard?: Guard;
  ledger: Ledger;
  /**
   * The approval store, loaded only when a decision escalates: a signed grant lets the
   * operation through, any other escalation becomes a pending request.
   */
  approvals?: () => Promise<Pick<ApprovalStore, "review">>;
}

/** Decides with a guard and a ledger of this process. */
export class LocalBackend implements DecisionBackend {
  readonly #options: LocalBackendOptions;
  readonly #tracker: SessionTracker;

  constructor(options: LocalBackendOptions) {
    this.#options = options;
    this.#tracker = new SessionTracker(options.env.stateDir, options.env.session);
  }

  async decide(intents: Intent[], refusal: string | undefined): Promise<Decided> {
    const { guard, ledger, approvals } = this.#options;
    let session: SessionView | undefined;
    let sessionProblem: string | undefined;
    try {
      session = this.#tracker.view();
    } catch (error) {
      sessionProblem = error instanceof Error ? error.message : String(error);
    }
    let decisions = intents.map((intent) =>
      refusal !== undefined
        ? failClosed("builtin_refusal", refusal)
        : sessionProblem !== undefined
        ? failClosed("session_unavailable", sessionProblem)
        : guard.decide(intent, session)
    );
    if (approvals && decisions.some((d) => d.verdict === "escalate")) {
      try {
        const store = await approvals();
        const zone = session?.zone ?? "SAFE";
        decisions = await Promise.all(
          decisions.map((decision, i) => store.review(intents[i]!, decision, { zone })),
        );
      } catch (error) {
        decisions = decisions.map(() => unrecordedDecision(error));
      }
    }
    try {
      const appended = ledger.appendSync(
        intents.map((intent, i) => decisionRecord(intent, decisions[i]!)),
      );
      return { decisions, seqs: appended.map((entry) => entry.seq) };
    } catch (error) {
      return { decisions: decisions.map(() => unrecordedDecision(error)), seqs: [] };
    }
  }

  advance(intents: Intent[], decisions: GuardDecision[]): Promise<void> {
    const moves = intents.flatMap((intent, i) => {
      const event = this.#tracker.advance(intent, decisions[i]!);
      return event ? [{ data: { event } }] : [];
    });
    if (moves.length > 0) this.#options.ledger.appendSync(moves);
    return Promise.resolve();
  }

  async line(line: string, tool: string): Promise<LineDecision> {
    const { decideLine, recordLine, reviewLine } = await import("../shell_guard/mod.ts");
    const { env, guard, lineGuard, ledger, approvals } = this.#options;
    const session = this.#tracker.view();
    let decided = decideLine(line, { guard: lineGuard ?? guard, env, tool, session });
    if (approvals) {
      try {
        decided = await reviewLine(decided, approvals, session?.zone ?? "SAFE");
      } catch (error) {
        const { combine } = await import("../shell_guard/mod.ts");
        const parts = decided.parts.map((part) => ({
          ...part,
          decision: unrecordedDecision(error),
        }));
        decided = combine(decided.line, parts, { parsed: decided.parsed });
      }
    }
    return recordLine(ledger, decided);
  }

  effect(event: EffectEvent): Promise<number | undefined> {
    try {
      const [recorded] = this.#options.ledger.appendSync([{ data: { event } }], {
        durable: false,
      });
      return Promise.resolve(recorded?.seq);
    } catch {
      return Promise.resolve(undefined);
    }
  }
}
