/**
 * The proxy's ledger trace: one entry per request, written when the request is over, holding
 * the decision and what came of it (status, bytes each way, duration, the address connected
 * to) — never headers, credentials or bodies. Entries are grouped (every few milliseconds) and
 * each group is committed with one lock and one fdatasync by a writer off the event loop (see
 * proxy/ledger_worker.ts), so the proxy is bound neither by one fsync per request nor by the
 * time a group commit takes. While the ledger cannot be written the proxy refuses new requests
 * (see {@link Trace.failure}).
 * @module
 */
import type { GuardDecision } from "../core/guard.ts";
import type { Intent } from "../core/intent.ts";
import { decisionRecord } from "../core/ledger/records.ts";
import type { AppendRecord } from "../core/ledger/writer.ts";
import { telemetry } from "../core/telemetry/mod.ts";
import type { WorkerReply } from "./ledger_worker.ts";

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

/** Commits groups of records: resolves when they are on disk, rejects when they are not. */
export interface GroupWriter {
  write(records: AppendRecord[]): Promise<void>;
  close(): void;
}

/**
 * A {@link GroupWriter} in a worker (proxy/ledger_worker.ts, at `workerUrl`) that owns the
 * ledger of `stateDir`.
 */
export function workerWriter(stateDir: string, workerUrl: URL): GroupWriter {
  const worker = new Worker(workerUrl.href, { type: "module" });
  worker.postMessage({ type: "open", stateDir });
  const waiting = new Map<
    number,
    { records: AppendRecord[]; resolve(): void; reject(error: Error): void }
  >();
  let next = 0;
  worker.onmessage = (event: MessageEvent<WorkerReply>) => {
    const { id, error, appended } = event.data;
    const entry = waiting.get(id);
    waiting.delete(id);
    if (error === undefined) {
      // The worker's ledger does not export (docs/telemetry.md): this thread does, once on disk.
      if (telemetry && entry && appended) {
        telemetry.recorded(stateDir, [{ records: entry.records, appended }]);
      }
      entry?.resolve();
    } else entry?.reject(new Error(error));
  };
  worker.onerror = (event) => {
    event.preventDefault();
    for (const entry of waiting.values()) {
      entry.reject(new Error(`the ledger writer failed: ${event.message}`));
    }
    waiting.clear();
  };
  return {
    write(records) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { records, resolve, reject });
        worker.postMessage({ type: "append", id, records });
      });
    },
    close: () => worker.terminate(),
  };
}

/** Records proxy requests in the ledger. */
export class Trace {
  readonly #writer: GroupWriter;
  readonly #groupMs: number;
  #queue: AppendRecord[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failure: string | undefined;
  #inFlight = new Set<Promise<void>>();

  /** `groupMs`: how long records wait to be committed together (default 5 ms). */
  constructor(writer: GroupWriter, groupMs = 5) {
    this.#writer = writer;
    this.#groupMs = groupMs;
  }

  /** Why the last commit failed, while the ledger cannot be written; undefined when healthy. */
  get failure(): string | undefined {
    return this.#failure;
  }

  /** Queues the entry for one request. */
  record(intent: Intent, decision: GuardDecision, effect: RequestEffect): void {
    const record = decisionRecord(intent, decision);
    (record.data as { effect?: RequestEffect }).effect = effect;
    this.#push(record);
  }

  /** Queues an event entry (approval uses and expiries, the proxy starting and stopping). */
  event(event: { type: string } & Record<string, unknown>): void {
    this.#push({ data: { event } });
  }

  #push(record: AppendRecord): void {
    this.#queue.push(record);
    if (this.#queue.length >= 1024) this.#commit();
    else this.#timer ??= setTimeout(() => this.#commit(), this.#groupMs);
  }

  #commit(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const group = this.#queue;
    this.#queue = [];
    if (group.length === 0) return;
    const done = this.#writer.write(group).then(
      () => {
        this.#failure = undefined;
      },
      (error) => {
        this.#failure = error instanceof Error ? error.message : String(error);
      },
    ).finally(() => this.#inFlight.delete(done));
    this.#inFlight.add(done);
  }

  /** Commits everything queued and waits for it; returns the failure, if any. */
  async flush(): Promise<string | undefined> {
    this.#commit();
    await Promise.all([...this.#inFlight]);
    return this.#failure;
  }

  /** Commits everything queued, waits for it and stops the writer; returns the last failure. */
  async close(): Promise<string | undefined> {
    const failure = await this.flush();
    this.#writer.close();
    return failure;
  }
}
