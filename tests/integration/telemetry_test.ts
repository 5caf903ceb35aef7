/**
 * Decisions into OpenTelemetry as users run Watchtower: the real `wt` and the installed
 * launchers, with Deno's built-in OpenTelemetry on (OTEL_DENO=true and the standard OTEL_*
 * variables) and an OTLP/HTTP receiver on 127.0.0.1. Decisions arrive with the attributes of
 * docs/telemetry.md; what the tools print and return is the same as with telemetry off; a
 * collector that refuses or hangs changes nothing but (bounded) time; off sends nothing.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import {
  closedPortUrl,
  otelEnv,
  type OtlpLog,
  type Receiver,
  startBlackHole,
  startReceiver,
} from "./_otlp.ts";
import { ledgerEntries, shim, type ShimBox, shimBox } from "./_shims.ts";
import { startProxy } from "./_proxy.ts";
import { type RunResult, sandbox, wt } from "./_wt.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** The attributes every exported decision carries (docs/telemetry.md, "Decisions"). */
const DECISION_KEYS = [
  "watchtower.schema",
  "watchtower.record",
  "watchtower.verdict",
  "watchtower.mode",
  "watchtower.domain",
  "watchtower.operation",
  "watchtower.target",
  "watchtower.reason",
  "watchtower.detail",
  "watchtower.risk",
  "watchtower.risk_level",
  "watchtower.sensitivity",
  "watchtower.zone",
  "watchtower.audit",
  "watchtower.principal",
  "watchtower.ledger.seq",
  "watchtower.ledger.hash",
  "watchtower.ledger.dir",
];

/** This host's name as the exporter finds it without the `sys` permission, if it can. */
function expectedHost(): string | undefined {
  try {
    return Deno.readTextFileSync("/etc/hostname").split("\n")[0]!.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The bodies of Watchtower's log records of one kind (the console's records are other text). */
const bodies = (receiver: Receiver, record = "decision"): Json[] =>
  receiver.logs.filter((log) => log.body.startsWith('{"watchtower.'))
    .map((log) => JSON.parse(log.body))
    .filter((body) => body["watchtower.record"] === record);

async function withReceiver(fn: (receiver: Receiver) => Promise<void>): Promise<void> {
  const receiver = startReceiver();
  try {
    await fn(receiver);
  } finally {
    await receiver.close();
  }
}

Deno.test("wt check with OTEL_DENO=true exports its decision as a span and a log record with the documented attributes", async () => {
  await withReceiver(async (receiver) => {
    const box = sandbox();
    const env = {
      ...box.env,
      WATCHTOWER_PRINCIPAL: "agent:clawbot",
      WATCHTOWER_PURPOSE: "SOC_efficiency",
    };
    const started = await wt(["session", "start"], { env });
    const session = started.stdout.match(/WATCHTOWER_SESSION=([\w-]+)/)?.[1];
    ok(session, started.stdout + started.stderr);
    const result = await wt(
      ["check", "--domain", "filesystem", "--operation", "write", "--path", "/etc/passwd"],
      { env: { ...env, ...otelEnv(receiver.url), WATCHTOWER_SESSION: session } },
    );
    equal(result.code, 77, result.stderr);
    ok(await receiver.waitFor(() => receiver.spans.length >= 1), "the decision span arrived");
    ok(
      await receiver.waitFor(() => bodies(receiver).length >= 1),
      "no log record arrived: has Deno dropped the internal log operation Watchtower uses (docs/telemetry.md)?",
    );

    const [body] = bodies(receiver);
    for (const key of DECISION_KEYS) ok(key in body, `${key} is exported`);
    const recorded = ledgerEntries({ stateDir: box.stateDir } as ShimBox)
      .filter((entry) => entry.data.decision);
    const last = recorded.at(-1)!;
    deepEqual(
      {
        verdict: body["watchtower.verdict"],
        domain: body["watchtower.domain"],
        operation: body["watchtower.operation"],
        target: body["watchtower.target"],
        rule: body["watchtower.rule"],
        reason: body["watchtower.reason"],
        risk: body["watchtower.risk"],
        zone: body["watchtower.zone"],
        principal: body["watchtower.principal"],
        purpose: body["watchtower.purpose"],
        session: body["watchtower.session"],
        seq: body["watchtower.ledger.seq"],
        hash: body["watchtower.ledger.hash"],
        dir: body["watchtower.ledger.dir"],
      },
      {
        verdict: "deny",
        domain: "filesystem",
        operation: "write",
        target: "/etc/passwd",
        rule: "deny-system-writes",
        reason: "rule",
        risk: last.data.decision.risk_score,
        zone: last.annotations.zone,
        principal: "agent:clawbot",
        purpose: "SOC_efficiency",
        session,
        seq: last.seq,
        hash: last.hash,
        dir: box.stateDir,
      },
    );
    if (expectedHost()) equal(body["host.name"], expectedHost());

    // The span carries the same attributes; the log record points at it.
    const span = receiver.spans.find((s) => s.name === "watchtower.decision")!;
    equal(span.scope, "watchtower");
    deepEqual(span.attributes, body);
    const log = receiver.logs.find((l) => l.body.includes('"watchtower.record":"decision"'))!;
    equal(log.severity, "WARN", "a deny is logged as a warning");
    equal(log.spanId, span.spanId);
    equal(log.traceId, span.traceId);
    equal(span.resource["service.name"], "watchtower");
  });
});

/** Runs `fn` with telemetry off and on, and checks that stdout and the exit code are the same. */
async function sameOutput(
  what: string,
  run: (env: Record<string, string>) => Promise<RunResult>,
  receiver: Receiver,
  options: { normalise?: (stdout: string) => string; exports?: boolean } = {},
): Promise<RunResult> {
  const normalise = options.normalise ?? ((stdout: string) => stdout);
  const off = await run({});
  const before = receiver.counts.logs + receiver.counts.spans;
  const on = await run(otelEnv(receiver.url));
  equal(on.code, off.code, `${what}: exit code`);
  equal(normalise(on.stdout), normalise(off.stdout), `${what}: stdout`);
  if (options.exports ?? true) {
    ok(
      await receiver.waitFor(() => receiver.counts.logs + receiver.counts.spans > before),
      `${what}: exported something`,
    );
  }
  return on;
}

function hookEvent(box: ShimBox, tool_name: string, tool_input: Json): string {
  return JSON.stringify({
    session_id: "8a6f3c2e-5b1d-4e7a-9c0f-1d2e3f4a5b6c",
    transcript_path: `${box.home}/.claude/projects/-work/8a6f3c2e.jsonl`,
    cwd: box.work,
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name,
    tool_input,
    tool_use_id: "toolu_01ABC123",
  });
}

/** `wt check --json` prints where the decision was recorded: by construction not the same. */
const withoutLedger = (stdout: string) => {
  const parsed = JSON.parse(stdout);
  delete parsed.ledger;
  return JSON.stringify(parsed);
};

Deno.test("with telemetry on, wt check, wt hook claude-code, the safe commands and the decision service print and exit exactly as without", async () => {
  const box = await shimBox();
  Deno.writeTextFileSync(`${box.work}/notes.txt`, "alpha\nneedle one\nbeta\n");
  Deno.writeTextFileSync(`${box.work}/items.json`, '{"items":[{"name":"a"},{"name":"b"}]}\n');
  const tool = (name: string, args: string[], stdin?: string) => (env: Record<string, string>) =>
    shim(box, name, args, stdin === undefined ? { env } : { env, stdin });
  await withReceiver(async (receiver) => {
    const cases: Array<[string, (env: Record<string, string>) => Promise<RunResult>]> = [
      ["wt check (deny)", tool("wt", ["check", "--domain", "command", "--command", "sudo id"])],
      ["wt check (allow)", tool("wt", ["check", "--domain", "filesystem", "--path", "notes.txt"])],
      ["wt check --shell", tool("wt", ["check", "--shell", "git status && rm -rf /"])],
      [
        "wt hook claude-code (deny)",
        tool("wt", ["hook", "claude-code"], hookEvent(box, "Bash", { command: "rm -rf /" })),
      ],
      [
        "wt hook claude-code (allow)",
        tool("wt", ["hook", "claude-code"], hookEvent(box, "Bash", { command: "git status" })),
      ],
      ["rg-search", tool("rg-search", ["needle", "notes.txt"])],
      ["jq-query", tool("jq-query", ["-c", ".items[].name", "items.json"])],
      ["safe-touch", tool("safe-touch", ["touched.txt"])],
      ["safe-rm (denied)", tool("safe-rm", ["-rf", box.home])],
      ["wt sh", tool("wt", ["sh", "-c", "echo from-sh"])],
      ["wt exec", tool("wt", ["exec", "--", "echo", "from-exec"])],
    ];
    for (const [what, run] of cases) await sameOutput(what, run, receiver);
    const json = await sameOutput(
      "wt check --json",
      tool("wt", ["check", "--json", "--domain", "filesystem", "--path", "/etc/shadow"]),
      receiver,
      { normalise: withoutLedger },
    );
    equal(json.code, 77);
    match(
      (await tool("wt", ["hook", "claude-code"], hookEvent(box, "Bash", { command: "rm -rf /" }))(
        otelEnv(receiver.url),
      )).stdout,
      /"permissionDecision":\s*"deny"/,
    );

    // Through the decision service, started with telemetry on: the service records the
    // decisions, so it exports them (batched, flushed at the latest when it stops).
    const since = ledgerEntries(box).length;
    const started = await shim(box, "wt", ["daemon", "start"], { env: otelEnv(receiver.url) });
    equal(started.code, 0, started.stderr);
    try {
      for (const [what, run] of cases.slice(2)) {
        await sameOutput(`${what}, through wt daemon`, run, receiver, { exports: false });
      }
    } finally {
      equal((await shim(box, "wt", ["daemon", "stop"])).code, 0);
    }
    const decided = ledgerEntries(box).slice(since).filter((e) => e.data.decision)
      .map((e) => e.seq);
    ok(decided.length >= 10, `decisions through the service: ${decided.length}`);
    const exported = () => new Set(bodies(receiver).map((b) => b["watchtower.ledger.seq"]));
    ok(
      await receiver.waitFor(() => decided.every((seq) => exported().has(seq))),
      "the service exported every decision it recorded",
    );
  });
});

Deno.test("a safe command's run is a watchtower.run span; its decision is a child and its effect in the same trace", async () => {
  const box = await shimBox();
  await withReceiver(async (receiver) => {
    const result = await shim(box, "safe-touch", ["a.txt"], { env: otelEnv(receiver.url) });
    equal(result.code, 0, result.stderr);
    ok(await receiver.waitFor(() => receiver.spans.length >= 2 && receiver.logs.length >= 2));
    const run = receiver.spans.find((s) => s.name === "watchtower.run")!;
    const decision = receiver.spans.find((s) => s.name === "watchtower.decision")!;
    equal(decision.parentSpanId, run.spanId);
    equal(decision.traceId, run.traceId);
    const entries = ledgerEntries(box);
    deepEqual(
      {
        tool: run.attributes["watchtower.tool"],
        program: run.attributes["process.executable.name"],
        verdict: run.attributes["watchtower.verdict"],
        exit: run.attributes["watchtower.exit_code"],
        seqs: run.attributes["watchtower.ledger.seqs"],
      },
      { tool: "safe-touch", program: "touch", verdict: "allow", exit: 0, seqs: [1, 2] },
    );
    deepEqual(entries.map((e) => e.seq), [1, 2]);
    const effect: OtlpLog = receiver.logs.find((l) => l.body.includes('"effect"'))!;
    const body = JSON.parse(effect.body);
    equal(body["watchtower.event.type"], "effect");
    equal(body["watchtower.event.exit_code"], 0);
    deepEqual(body["watchtower.event.decision_seqs"], [1]);
    equal(effect.traceId, run.traceId, "the effect is logged in the run's trace");
    equal(
      receiver.logs.find((l) => l.body.includes('"decision"'))!.severity,
      "INFO",
      "an allow is logged as info",
    );
  });
});

Deno.test("the egress proxy's decisions are exported too (written by its ledger worker, exported by its main thread)", async () => {
  await withReceiver(async (receiver) => {
    const proxy = await startProxy([], { env: otelEnv(receiver.url) });
    const client = Deno.createHttpClient({ proxy: { url: proxy.url } });
    try {
      const refused = await fetch("http://169.254.169.254/latest/meta-data/", { client });
      await refused.body?.cancel();
      equal(refused.status, 403);
    } finally {
      client.close();
      equal(await proxy.stop(), 0, proxy.stderr());
    }
    ok(
      await receiver.waitFor(() =>
        bodies(receiver).some((b) =>
          b["watchtower.domain"] === "http" && b["watchtower.verdict"] === "deny"
        )
      ),
      `got: ${receiver.logs.map((l) => l.body.slice(0, 120)).join("\n")}`,
    );
  });
});

Deno.test("an unreachable collector changes no decision, no output and no exit code, and costs bounded time", async () => {
  const box = sandbox();
  const check = ["check", "--domain", "filesystem", "--operation", "write", "--path", "/etc/x"];
  const off = await wt(check, { env: box.env });
  equal(off.code, 77);
  const hole = startBlackHole();
  try {
    const targets: Array<[string, Record<string, string>]> = [
      ["a closed port", otelEnv(closedPortUrl())],
      // A collector that never answers holds the process at exit for the export timeout
      // (Deno's default is 10 s): docs/telemetry.md says to set it.
      ["a collector that hangs", otelEnv(hole.url, { OTEL_EXPORTER_OTLP_TIMEOUT: "500" })],
    ];
    for (const [what, otel] of targets) {
      const started = performance.now();
      const on = await wt(check, { env: { ...box.env, ...otel } });
      const elapsed = performance.now() - started;
      equal(on.code, off.code, what);
      equal(on.stdout, off.stdout, what);
      equal(on.stderr, off.stderr, `${what}: nothing on stderr either`);
      ok(elapsed < 5000, `${what}: took ${elapsed.toFixed(0)} ms`);
    }
  } finally {
    hole.close();
  }
  // Every attempt was recorded: the ledger does not depend on the collector.
  equal(ledgerEntries({ stateDir: box.stateDir } as ShimBox).length, 3);
});

Deno.test("with OTEL_DENO unset or false nothing is sent, even with an endpoint set", async () => {
  await withReceiver(async (receiver) => {
    const box = sandbox();
    for (const flag of [undefined, "false"]) {
      const env: Record<string, string> = {
        ...box.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        ...(flag === undefined ? {} : { OTEL_DENO: flag }),
      };
      equal((await wt(["check", "--domain", "command", "--command", "sudo id"], { env })).code, 77);
      equal((await wt(["sh", "-c", "true"], { env })).code, 0);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    equal(receiver.requests.size, 0, "no request at all");
  });
});
