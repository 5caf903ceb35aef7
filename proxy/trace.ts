/**
 * The proxy's ledger trace: one entry per request, written when the request is over, holding
 * the decision and what came of it (status, bytes each way, duration, the address connected
 * to) — never headers, credentials or bodies. Entries go through the ledger's group commit, so
 * the proxy is not bound by one fdatasync per request; while the ledger cannot be written the
 * proxy refuses new requests (see {@link Trace.failure}).
 * @module
 */
import type { GuardDecision } from "../core/guard.ts";
import type { Intent } from "../core/intent.ts";
import { decisionRecord } from "../core/ledger/records.ts";
import type { Ledger } from "../core/ledger/writer.ts";

/** What came of one request. */
export interface RequestEffect {
  /** The status the client got (0 when the connection ended before one was sent). */
  status: number;
  /** Body bytes from the client (request body, or tunnel bytes client to server). */
  bytes_in: number;
  /** Bytes to the client (response body, or tunnel bytes server to client). */
  bytes_out: number;
  duration_ms: number;
  /** The address the proxy connected to, and its class. */
  address?: string;
  address_class?: string;
  /** Why the exchange failed, when it did. */
  error?: string;
}

/** Records proxy requests in the ledger. */
export class Trace {
  readonly #ledger: Ledger;
  #failure: string | undefined;
  #pending = new Set<Promise<unknown>>();

  constructor(ledger: Ledger) {
    this.#ledger = ledger;
  }

  /** Why the last commit failed, while the ledger cannot be written; undefined when healthy. */
  get failure(): string | undefined {
    return this.#failure;
  }

  /** Queues the entry for one request (committed with the next group commit). */
  record(intent: Intent, decision: GuardDecision, effect: RequestEffect): void {
    const record = decisionRecord(intent, decision);
    (record.data as { effect?: RequestEffect }).effect = effect;
    this.#track(this.#ledger.append(record));
  }

  /** Queues an event entry (approval uses and expiries, the proxy starting and stopping). */
  event(event: { type: string } & Record<string, unknown>): void {
    this.#track(this.#ledger.append({ data: { event } }));
  }

  #track(promise: Promise<unknown>): void {
    const tracked = promise.then(
      () => {
        this.#failure = undefined;
      },
      (error) => {
        this.#failure = error instanceof Error ? error.message : String(error);
      },
    ).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  /** Commits everything queued and waits for it; returns the last failure, if any. */
  async close(): Promise<string | undefined> {
    this.#ledger.flush();
    await Promise.all([...this.#pending]);
    return this.#failure;
  }
}
