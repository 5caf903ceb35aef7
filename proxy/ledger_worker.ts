/**
 * The proxy's ledger writer, in a worker: serialising, hashing, writing and fdatasync of a group
 * of entries takes 1–4 ms, which on the proxy's event loop would stall every connection. The
 * worker owns the {@link Ledger}; the proxy posts groups of records and hears back, per group,
 * whether they are on disk.
 *
 * Messages in: `{ type: "open", stateDir }`, then `{ type: "append", id, records }`. Out:
 * `{ type: "done", id, error? }`.
 * @module
 */
/// <reference lib="deno.worker" />
import { Ledger } from "../core/ledger/writer.ts";
import type { Appended, AppendRecord } from "../core/ledger/writer.ts";
import { nodeDigest } from "./digest.ts";

/** A message to the worker. */
export type WorkerRequest =
  | { type: "open"; stateDir: string }
  | { type: "append"; id: number; records: AppendRecord[] };

/** A message from the worker. */
export interface WorkerReply {
  type: "done";
  id: number;
  error?: string;
  /** Where each record landed, when they were written. */
  appended?: Appended[];
}

let ready: Promise<Ledger> | undefined;

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const message = event.data;
  if (message.type === "open") {
    // The proxy's main thread exports what was appended (docs/telemetry.md): in a worker, Deno
    // cannot make OpenTelemetry log records.
    ready = nodeDigest().then((digest) =>
      new Ledger(message.stateDir, { digest, telemetry: false })
    );
    return;
  }
  let error: string | undefined;
  let appended: Appended[] = [];
  try {
    if (!ready) throw new Error("the ledger writer was not opened");
    appended = (await ready).appendSync(message.records);
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
  }
  const reply: WorkerReply = error === undefined
    ? { type: "done", id: message.id, appended }
    : { type: "done", id: message.id, error };
  self.postMessage(reply);
};
