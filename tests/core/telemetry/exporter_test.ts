import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { createExporter, spanAttributes } from "../../../core/telemetry/exporter.ts";
import { otelEnv, type Receiver, startReceiver } from "../../integration/_otlp.ts";

const SCRIPT = new URL("./_append.ts", import.meta.url).pathname;

/** Runs _append.ts against a fresh ledger with `env`; returns its JSON line. */
async function append(env: Record<string, string>) {
  const dir = Deno.makeTempDirSync({ prefix: "wt-otel-" });
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-prompt", SCRIPT, dir],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  equal(output.code, 0, decoder.decode(output.stderr));
  return { dir, result: JSON.parse(decoder.decode(output.stdout)) };
}

async function withReceiver(fn: (receiver: Receiver) => Promise<void>): Promise<void> {
  const receiver = startReceiver();
  try {
    await fn(receiver);
  } finally {
    await receiver.close();
  }
}

Deno.test("recorded entries go out as decision spans with a log record each, events as log records", async () => {
  await withReceiver(async (receiver) => {
    const { dir, result } = await append(otelEnv(receiver.url));
    equal(result.telemetry, true);
    ok(await receiver.waitFor(() => receiver.logs.length >= 3 && receiver.spans.length >= 3));

    const decisions = receiver.spans.filter((span) => span.name === "watchtower.decision");
    deepEqual(decisions.map((span) => span.attributes["watchtower.ledger.seq"]), [1, 3]);
    const logs = receiver.logs.map((log) => ({ ...log, json: JSON.parse(log.body) }));
    const [denied, grant, allowed] = logs;
    deepEqual(
      [denied!.json["watchtower.verdict"], grant!.json["watchtower.event.type"]],
      ["deny", "approval.grant"],
    );
    deepEqual(denied!.json, decisions[0]!.attributes, "the log body is the span's attributes");
    equal(denied!.json["watchtower.ledger.dir"], dir);
    equal(denied!.spanId, decisions[0]!.spanId);
    equal(denied!.severity, "WARN");
    equal(grant!.severity, "INFO");
    equal(grant!.spanId, "", "an event outside a run belongs to no span");
    equal(allowed!.severity, "INFO");

    // The run: its decision is its child, and the span says how it ended.
    const run = receiver.spans.find((span) => span.name === "watchtower.run")!;
    equal(decisions[1]!.parentSpanId, run.spanId);
    deepEqual(
      [
        run.attributes["watchtower.tool"],
        run.attributes["watchtower.exit_code"],
        run.attributes["watchtower.ledger.seqs"],
      ],
      ["exporter-test", 0, [3]],
    );
    // Types as the contract says: seqs are OTLP ints, the risk a double.
    const raw = receiver.spans[0]!;
    equal(typeof raw.attributes["watchtower.risk"], "number");
  });
});

Deno.test("the ledger returns the same with telemetry on as off", async () => {
  await withReceiver(async (receiver) => {
    const on = await append(otelEnv(receiver.url));
    const off = await append({});
    equal(off.result.telemetry, false);
    const strip = (list: Array<Record<string, unknown>>) =>
      list.map(({ seq, hash, segment, timestamp }) => ({ seq, hash, segment, timestamp }));
    deepEqual(strip(on.result.appended), strip(off.result.appended));
  });
});

Deno.test("spanAttributes() makes seqs, exit codes and event numbers OTLP ints; the risk stays a double", () => {
  deepEqual(
    spanAttributes({
      "watchtower.ledger.seq": 7,
      "watchtower.schema": 1,
      "watchtower.risk": 5,
      "watchtower.exit_code": 77,
      "watchtower.ledger.seqs": [1, 2],
      "watchtower.event.duration_ms": 12,
      "watchtower.event.ratio": 0.5,
      "watchtower.verdict": "deny",
      "watchtower.rules": ["a"],
    }),
    {
      "watchtower.ledger.seq": 7n,
      "watchtower.schema": 1n,
      "watchtower.risk": 5,
      "watchtower.exit_code": 77n,
      "watchtower.ledger.seqs": [1n, 2n],
      "watchtower.event.duration_ms": 12n,
      "watchtower.event.ratio": 0.5,
      "watchtower.verdict": "deny",
      "watchtower.rules": ["a"],
    },
  );
});

Deno.test("an exporter whose tracer fails neither throws nor changes what a run returns or throws", async () => {
  // In this test process OpenTelemetry is off: Deno's tracer refuses to start spans.
  const exporter = createExporter();
  if (exporter === undefined) return; // no tracer at all: nothing to misbehave
  exporter.recorded("/nowhere", [{
    records: [{ data: { event: { type: "x" } } }, { data: null as never }],
    appended: [{ seq: 1, hash: "a", segment: 1, timestamp: "" }],
  }]);
  const value = await exporter.traceRun(
    { tool: "t", program: "p" },
    () => Promise.resolve(42),
    () => ({ verdict: "allow", exitCode: 0, seqs: [] }),
  );
  equal(value, 42);
  await rejects(
    exporter.traceRun(
      { tool: "t", program: "p" },
      () => Promise.reject(new Error("boom")),
      () => ({ verdict: "allow", exitCode: 0, seqs: [] }),
    ),
    /boom/,
  );
});
