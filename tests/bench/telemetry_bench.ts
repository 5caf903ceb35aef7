/**
 * What OpenTelemetry adds to a decision (target: ≤ 5 ms added median for `wt check`): the
 * installed launchers, each command run with telemetry off and on in turn (OTEL_DENO=true,
 * Deno's default http/protobuf, an OTLP receiver on 127.0.0.1), medians of interleaved runs.
 * Then what a collector that refuses or hangs costs a single call.
 *
 *     deno run -A tests/bench/telemetry_bench.ts [RUNS]
 */
import { closedPortUrl, startBlackHole, startReceiver } from "../integration/_otlp.ts";
import { type BenchHome, benchHome, startService } from "./_shim_bench.ts";

const RUNS = Number(Deno.args[0] ?? 40);

const box = await benchHome("wt-bench-otel-");
Deno.writeTextFileSync(`${box.work}/notes.txt`, "notes\n");
const receiver = startReceiver();

const otel = (endpoint: string, extra: Record<string, string> = {}) => ({
  OTEL_DENO: "true",
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_SERVICE_NAME: "watchtower",
  ...extra,
});

/** Runs `program ARGS` in the box with `extra` in its environment; returns the milliseconds. */
async function timed(
  home: BenchHome,
  program: string,
  args: string[],
  extra: Record<string, string>,
): Promise<{ ms: number; code: number }> {
  const started = performance.now();
  const { code } = await new Deno.Command(`${home.bin}/${program}`, {
    args,
    cwd: home.work,
    clearEnv: true,
    env: { ...home.env, ...extra },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  return { ms: performance.now() - started, code };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Interleaved off/on runs of one command; prints and returns the added median. */
async function added(
  label: string,
  program: string,
  args: string[],
  extra: Record<string, string> = {},
): Promise<number> {
  const on = otel(receiver.url, extra);
  await timed(box, program, args, {});
  await timed(box, program, args, on); // warm both paths (module cache, exporter chunk)
  const off: number[] = [];
  const with_: number[] = [];
  const before = receiver.counts.logs + receiver.counts.spans;
  for (let i = 0; i < RUNS; i++) {
    off.push((await timed(box, program, args, {})).ms);
    with_.push((await timed(box, program, args, on)).ms);
  }
  const delta = median(with_) - median(off);
  const exported = receiver.counts.logs + receiver.counts.spans - before;
  console.log(
    `| ${label} | ${median(off).toFixed(1)} | ${median(with_).toFixed(1)} | ${
      delta.toFixed(1)
    } | ${exported} |`,
  );
  return delta;
}

console.log(`${RUNS} interleaved runs each, medians in ms (exported: records the receiver got)\n`);
console.log("| command | off | on | added | exported |");
console.log("| --- | --- | --- | --- | --- |");
const check = await added("`wt check --domain filesystem --path notes.txt`", "wt", [
  "check",
  "--domain",
  "filesystem",
  "--path",
  "notes.txt",
]);
await added("`wt check --shell 'git status && ls'`", "wt", [
  "check",
  "--shell",
  "git status && ls",
]);
await added(
  "`wt check --domain filesystem --path notes.txt`, docs/telemetry.md settings",
  "wt",
  ["check", "--domain", "filesystem", "--path", "notes.txt"],
  { OTEL_DENO_METRICS: "false", OTEL_EXPORTER_OTLP_TIMEOUT: "500" },
);
await added("`safe-touch notes.txt`", "safe-touch", ["notes.txt"]);
const shellLine = ["check", "--shell", "git status && ls"];
let stopService = await startService(box);
await added(
  "`wt check --shell 'git status && ls'` via `wt daemon` (telemetry in the adapter)",
  "wt",
  [
    ...shellLine,
  ],
);

// Telemetry in the decision service only (the fleet set-up of docs/scale.md): the service is
// restarted with it, so these runs are in series, not interleaved.
const series = async () => {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push((await timed(box, "wt", shellLine, {})).ms);
  return median(times);
};
await timed(box, "wt", shellLine, {});
const plain = await series();
stopService();
const recommended = { OTEL_DENO_METRICS: "false", OTEL_EXPORTER_OTLP_TIMEOUT: "500" };
stopService = await startService({
  ...box,
  env: { ...box.env, ...otel(receiver.url, recommended) },
});
const before = receiver.counts.logs + receiver.counts.spans;
await timed(box, "wt", shellLine, {});
const exporting = await series();
stopService();
await receiver.waitFor(() => receiver.counts.logs + receiver.counts.spans > before, 3000);
console.log(
  `| \`wt check --shell 'git status && ls'\` via \`wt daemon\` (telemetry in the service only; in series) | ${
    plain.toFixed(1)
  } | ${exporting.toFixed(1)} | ${(exporting - plain).toFixed(1)} | ${
    receiver.counts.logs + receiver.counts.spans - before
  } |`,
);

console.log(
  `\nwt check: telemetry adds ${check.toFixed(1)} ms median (target ≤ 5 ms): ${
    check <= 5 ? "met" : "NOT met"
  }`,
);

// A collector that is not there: one call each (what a decision pays at exit).
const hole = startBlackHole();
const closed = closedPortUrl();
const args = ["check", "--domain", "filesystem", "--path", "notes.txt"];
console.log("\n| collector | `wt check` ms | exit code |");
console.log("| --- | --- | --- |");
for (
  const [label, extra] of [
    ["off", {}],
    ["refuses connections (closed port)", otel(closed)],
    [
      "hangs, OTEL_EXPORTER_OTLP_TIMEOUT=500",
      otel(hole.url, { OTEL_EXPORTER_OTLP_TIMEOUT: "500" }),
    ],
    [
      "hangs, OTEL_EXPORTER_OTLP_TIMEOUT=500, OTEL_DENO_METRICS=false",
      otel(hole.url, { OTEL_EXPORTER_OTLP_TIMEOUT: "500", OTEL_DENO_METRICS: "false" }),
    ],
    ["hangs, Deno's default timeout", otel(hole.url)],
  ] as Array<[string, Record<string, string>]>
) {
  const { ms, code } = await timed(box, "wt", args, extra);
  console.log(`| ${label} | ${ms.toFixed(0)} | ${code} |`);
}
hole.close();
await receiver.close();

Deno.bench({ name: "placeholder: run this file with deno run", n: 1 }, () => {});
