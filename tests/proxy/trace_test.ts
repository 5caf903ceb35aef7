/**
 * The proxy's trace: entries are committed in groups, in order, by the worker that owns the
 * ledger; a ledger that cannot be written is reported (so the proxy refuses requests), and the
 * chain verifies.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { failClosed } from "../../core/guard.ts";
import type { Intent } from "../../core/intent.ts";
import { readEntries } from "../../core/ledger/reader.ts";
import { type GroupWriter, Trace, workerWriter } from "../../proxy/trace.ts";

const WORKER = new URL("../../proxy/ledger_worker.ts", import.meta.url);

const intent: Intent = {
  identity: { principal: "agent:t", capabilities: [] },
  domain: "http",
  operation: "get",
  target: { url: "http://x.example/", method: "GET", host: "x.example", port: 80, path: "/" },
  context: { tool: "wt-proxy" },
};

Deno.test("the worker commits grouped entries in order, with their effect", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-trace-" });
  const trace = new Trace(workerWriter(dir, WORKER), 1);
  trace.event({ type: "proxy.start" });
  for (let i = 0; i < 300; i++) {
    trace.record(intent, failClosed("boundary", `n${i}`), {
      status: 403,
      bytes_in: i,
      bytes_out: 0,
      duration_ms: 0.1,
    });
    if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  equal(await trace.close(), undefined);
  const entries = [...readEntries(dir)];
  equal(entries.length, 301);
  deepEqual(entries.map((e) => e.seq), entries.map((_, i) => i + 1));
  const effects = entries.slice(1).map((e) =>
    (e.data as unknown as { effect: { bytes_in: number } }).effect
  );
  deepEqual(effects.map((e) => e.bytes_in), Array.from({ length: 300 }, (_, i) => i));
});

Deno.test("a ledger that cannot be written is reported, and cleared once a commit succeeds", async () => {
  let failing = true;
  const written: number[] = [];
  const writer: GroupWriter = {
    write: (records) => {
      if (failing) return Promise.reject(new Error("disk full"));
      written.push(records.length);
      return Promise.resolve();
    },
    close() {},
  };
  const trace = new Trace(writer, 1);
  trace.event({ type: "a" });
  equal(await trace.flush(), "disk full");
  equal(trace.failure, "disk full");
  failing = false;
  trace.event({ type: "b" });
  equal(await trace.flush(), undefined);
  equal(trace.failure, undefined);
  deepEqual(written, [1]);
});

Deno.test("a state directory that cannot be written fails the commit", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-trace-" });
  Deno.writeTextFileSync(`${dir}/state`, "a file, not a directory");
  const trace = new Trace(workerWriter(`${dir}/state`, WORKER), 1);
  trace.event({ type: "proxy.start" });
  const failure = await trace.close();
  ok(failure !== undefined && failure.length > 0);
});
