/**
 * A fleet on one machine: many simulated hosts, each a process deciding and recording intents as
 * a host's decision service does (core/shim/backend.ts LocalBackend: the default policy, its own
 * ledger with `sync: always`), all exporting to one OTLP/HTTP receiver on 127.0.0.1 with Deno's
 * built-in OpenTelemetry. Each phase runs twice, telemetry off and on, and reports decisions/s,
 * the records/s the receiver took in, what was lost, and the decision latency added.
 *
 *     deno run -A scripts/fleet_sim.ts [--hosts 16] [--rate 25] [--seconds 10] [--burst-seconds 5]
 *       [--protocol http/protobuf|http/json]
 *
 * docs/scale.md ("Telemetry and the fleet") has the numbers of a run on a 2-core machine.
 */
import { parseArgs } from "node:util";
import { startReceiver } from "../tests/integration/_otlp.ts";
import { denoDir } from "../tests/integration/_wt.ts";

const REPO = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");

/** What one simulated host reports when its phase ends. */
interface HostReport {
  host: number;
  decisions: number;
  seconds: number;
  latencies: number[];
}

/** The intents a host cycles through: reads and writes in its workspace, a denied write, a command, a web read. */
function workload(workspace: string) {
  const base = {
    identity: { principal: "agent:fleet-sim", capabilities: [] as string[] },
    context: { cwd: workspace, workspace, tool: "fleet-sim" },
  };
  return [
    { ...base, domain: "filesystem", operation: "read", target: { path: `${workspace}/src/a.ts` } },
    { ...base, domain: "filesystem", operation: "write", target: { path: `${workspace}/out.txt` } },
    { ...base, domain: "filesystem", operation: "write", target: { path: "/etc/passwd" } },
    { ...base, domain: "command", operation: "exec", target: { command: "git status" } },
    { ...base, domain: "http", operation: "get", target: { url: "https://docs.example/x" } },
  ] as const;
}

/**
 * Host mode: decide and record for `seconds`, at `rate` decisions/s (0: as fast as it can),
 * starting at `startAt` (epoch ms), when every host has started, so that the measured windows
 * coincide and no host's start-up falls into another's window.
 */
async function runHost(
  host: number,
  options: { rate: number; seconds: number; startAt: number },
): Promise<void> {
  const { rate, seconds } = options;
  const [{ policyOptions, readEnv, resolveEnvironment }, { Guard }, { Ledger }, cache, backend] =
    await Promise.all([
      import("../core/config.ts"),
      import("../core/guard.ts"),
      import("../core/ledger/writer.ts"),
      import("../core/policy/cache.ts"),
      import("../core/shim/backend.ts"),
    ]);
  const env = resolveEnvironment(readEnv, Deno.cwd());
  const policy = await cache.loadPolicyFast(policyOptions(env, `${REPO}/profiles`));
  const local = new backend.LocalBackend({
    env,
    guard: new Guard(policy),
    ledger: new Ledger(env.stateDir, { sync: "always" }),
  });
  const intents = workload(env.workspace) as unknown as Parameters<typeof local.decide>[0];
  // Warm up (policy conditions, the ledger file, the exporter) outside the measurement.
  for (const intent of intents) await local.decide([intent], undefined);
  const late = Date.now() - options.startAt;
  if (late < 0) await new Promise((resolve) => setTimeout(resolve, -late));
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  let i = 0;
  while (performance.now() < end) {
    if (rate > 0) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const t = performance.now();
    await local.decide([intents[i % intents.length]!], undefined);
    latencies.push(performance.now() - t);
    i++;
  }
  const report: HostReport = {
    host,
    decisions: i,
    seconds: (performance.now() - started) / 1000,
    latencies,
  };
  console.log(JSON.stringify(report));
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

interface PhaseResult {
  decisions: number;
  decisionsPerSecond: number;
  records: number;
  bytes: number;
  recordsPerSecond: number;
  p50: number;
  p99: number;
  mean: number;
}

/** Runs one phase: every host at once, telemetry on or off. */
async function phase(
  options: { hosts: number; rate: number; seconds: number; otel: boolean; protocol: string },
): Promise<PhaseResult> {
  const receiver = startReceiver();
  const root = Deno.makeTempDirSync({ prefix: "wt-fleet-" });
  // Time for every host to start (about 60 ms of CPU each here, two at a time) before any measures.
  const startAt = Date.now() + 2000 + options.hosts * 60;
  const children = Array.from({ length: options.hosts }, (_, host) => {
    const home = `${root}/host-${host}`;
    Deno.mkdirSync(`${home}/work/.git`, { recursive: true });
    const env: Record<string, string> = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: home,
      WATCHTOWER_DIR: `${home}/.watchtower`,
      WATCHTOWER_WORKSPACE: `${home}/work`,
      ...denoDir(), // the module cache of whoever runs the simulation: nothing to download
    };
    if (options.otel) {
      Object.assign(env, {
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: options.protocol,
        OTEL_SERVICE_NAME: "watchtower",
        OTEL_RESOURCE_ATTRIBUTES: `host.name=sim-host-${host}`,
        // As docs/telemetry.md recommends (and so that the receiver counts only traces and logs).
        OTEL_DENO_METRICS: "false",
        OTEL_EXPORTER_OTLP_TIMEOUT: "500",
      });
    }
    return new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        import.meta.filename!,
        "--host",
        String(host),
        "--rate",
        String(options.rate),
        "--seconds",
        String(options.seconds),
        "--start-at",
        String(startAt),
      ],
      cwd: `${home}/work`,
      clearEnv: true,
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
  });
  const outputs = await Promise.all(children);
  const reports: HostReport[] = outputs.map((output) => {
    if (output.code !== 0) throw new Error(new TextDecoder().decode(output.stderr));
    return JSON.parse(new TextDecoder().decode(output.stdout).trim().split("\n").at(-1)!);
  });
  // Each host flushed at exit; give the receiver a moment for the last requests.
  const expected = options.otel ? reports.reduce((n, r) => n + r.decisions + 5, 0) * 2 : 0;
  await receiver.waitFor(() => receiver.counts.logs + receiver.counts.spans >= expected, 3000);
  await receiver.close();
  Deno.removeSync(root, { recursive: true });
  const latencies = reports.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const decisions = reports.reduce((n, r) => n + r.decisions, 0);
  const measured = Math.max(...reports.map((r) => r.seconds));
  const records = receiver.counts.logs + receiver.counts.spans;
  return {
    decisions,
    decisionsPerSecond: decisions / measured,
    records,
    bytes: receiver.counts.bytes,
    // Over the measured window: what a collector must take in while the fleet decides.
    recordsPerSecond: records / measured,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      host: { type: "string" },
      hosts: { type: "string", default: "16" },
      rate: { type: "string", default: "25" },
      seconds: { type: "string", default: "10" },
      "burst-seconds": { type: "string", default: "5" },
      protocol: { type: "string", default: "http/protobuf" },
      "start-at": { type: "string", default: "0" },
    },
  });
  if (values.host !== undefined) {
    await runHost(Number(values.host), {
      rate: Number(values.rate),
      seconds: Number(values.seconds),
      startAt: Number(values["start-at"]),
    });
    return;
  }
  const hosts = Number(values.hosts);
  const protocol = values.protocol!;
  const runs: Array<[string, number, number]> = [
    [`paced, ${values.rate} decisions/s per host`, Number(values.rate), Number(values.seconds)],
    ["burst, as fast as each host can", 0, Number(values["burst-seconds"])],
  ];
  console.log(
    `${hosts} simulated hosts (processes) on ${navigator.hardwareConcurrency} cores, one OTLP receiver on 127.0.0.1 (${protocol}); each decision = 1 span + 1 log record\n`,
  );
  console.log(
    "| phase | telemetry | decisions | decisions/s | records received | records/s | bytes/record | lost | latency p50 ms | p99 ms | mean ms |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const [label, rate, seconds] of runs) {
    const results: PhaseResult[] = [];
    for (const otel of [false, true]) {
      const r = await phase({ hosts, rate, seconds, otel, protocol });
      results.push(r);
      // 5 warm-up decisions per host are exported too.
      const expected = otel ? (r.decisions + 5 * hosts) * 2 : 0;
      console.log(
        `| ${label} | ${otel ? "on" : "off"} | ${r.decisions} | ${
          r.decisionsPerSecond.toFixed(0)
        } | ${r.records} | ${r.recordsPerSecond.toFixed(0)} | ${
          r.records > 0 ? (r.bytes / r.records).toFixed(0) : "-"
        } | ${Math.max(0, expected - r.records)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${
          r.mean.toFixed(2)
        } |`,
      );
    }
    const [off, on] = results as [PhaseResult, PhaseResult];
    console.log(
      `|  | added |  | ${
        (on.decisionsPerSecond - off.decisionsPerSecond).toFixed(0)
      } |  |  |  |  | ${(on.p50 - off.p50).toFixed(2)} | ${(on.p99 - off.p99).toFixed(2)} | ${
        (on.mean - off.mean).toFixed(2)
      } |`,
    );
  }
}

if (import.meta.main) await main();
