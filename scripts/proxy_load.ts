/**
 * `deno task bench:proxy`: a loopback load test of the egress proxy `wt-proxy` against Debian's
 * `tinyproxy` and against no proxy at all, in one run with the same wrk settings.
 *
 * Usage: `deno task bench:proxy [--duration 5s] [--warmup 1s] [--connections 64] [--rounds 1]
 * [--close] [--json]` (the task is `deno run -A scripts/proxy_load.ts`). Needs `wrk` and
 * `tinyproxy` on PATH. It starts an origin server (`scripts/_load_upstream.ts`, its own process),
 * tinyproxy (generated config in a temp dir) and `proxy/main.ts` as its launcher runs it (the
 * `wt-proxy` permission set and state-dir flags, a fresh `WATCHTOWER_DIR`, `--allow-loopback`),
 * checks that each answers `GET /docs/page` with the 1 KiB page, then runs wrk (threads =
 * min(2, connections)) at 1 connection and at `--connections` against each: a warm-up, then the
 * measured run. `--rounds N` repeats the sequence and reports each case's median. It prints a
 * markdown table of requests/s, p50 and p99 latency and errors; with `--json` the same data as JSON
 * on stdout (the table then goes to stderr). Six cases of 1 + 5 s: about 40 s in all.
 *
 * The issue's targets: wt-proxy reaches ≥ 50% of tinyproxy's requests/s at 64 connections, and adds
 * ≤ 1 ms to the direct p50 at 1 connection. Exit status: 0 when both are met and no run had
 * errors; 2 when a target is missed, could not be evaluated (wt-proxy missing) or a run had errors;
 * 1 when the harness itself failed (a process did not start, a smoke request failed); 64 on usage.
 *
 * Method notes: the client keeps connections alive unless `--close` (then every request says
 * `Connection: close`). tinyproxy 1.11 closes after every response without saying so; a two-request
 * probe finds that, and the read "errors" wrk then counts (one per request, as it reconnects) are
 * reported as closes, not errors. wrk counts 4xx/5xx responses as errors. Latency is wrk's, without
 * correction for coordinated omission. Everything shares the machine's CPUs: wrk, the upstream and
 * the proxy under test compete, and other work on the machine shows as noise (see the load average
 * in the report; use `--rounds 3` on a busy machine).
 */
import { stateDirFlags, TOOLS } from "../core/tools.ts";

const REPO = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
const PAGE_PATH = "/docs/page";
const PAGE_MARK = "watchtower load-test page";
const TARGETS = { throughputRatio: 0.5, addedP50Ms: 1 } as const;

type TargetName = "direct" | "tinyproxy" | "wt-proxy";

interface Options {
  durationS: number;
  warmupS: number;
  connections: number;
  rounds: number;
  close: boolean;
  json: boolean;
}

/** A server wrk is pointed at: the port it listens on and the request target it is sent. */
interface Target {
  name: TargetName;
  port: number;
  requestTarget: string;
  keepAlive: boolean;
}

interface WrkErrors {
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
}

interface Run {
  target: TargetName;
  connections: number;
  keepAlive: boolean;
  requests: number;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  errors: WrkErrors;
  errorTotal: number;
  /** Connections the server closed after a response without `Connection: close` (not errors). */
  closes: number;
  flagged: boolean;
}

type HarnessCode = "usage" | "start" | "smoke" | "wrk";

/** A failure of the test harness, not a measurement: what could not be done and why. */
class HarnessError extends Error {
  override name = "HarnessError";
  readonly code: HarnessCode;
  constructor(code: HarnessCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

const USAGE = "Usage: deno run -A scripts/proxy_load.ts [--duration 5s] [--warmup 1s] " +
  "[--connections 64] [--rounds 1] [--close] [--json]";

function seconds(flag: string, value: string | undefined): number {
  const match = /^(\d+)(s|m)?$/.exec(value ?? "");
  const n = match ? Number(match[1]) * (match[2] === "m" ? 60 : 1) : 0;
  if (n < 1 || n > 600) {
    throw new HarnessError("usage", `Cannot use ${flag} '${value}': expected 1s to 10m`);
  }
  return n;
}

function count(flag: string, value: string | undefined, max: number): number {
  const n = /^\d+$/.test(value ?? "") ? Number(value) : 0;
  if (n < 1 || n > max) {
    throw new HarnessError("usage", `Cannot use ${flag} '${value}': expected 1 to ${max}`);
  }
  return n;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    durationS: 5,
    warmupS: 1,
    connections: 64,
    rounds: 1,
    close: false,
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    if (flag === "--duration") options.durationS = seconds(flag, value());
    else if (flag === "--warmup") options.warmupS = seconds(flag, value());
    else if (flag === "--connections") options.connections = count(flag, value(), 1000);
    else if (flag === "--rounds") options.rounds = count(flag, value(), 9);
    else if (flag === "--close") options.close = true;
    else if (flag === "--json") options.json = true;
    else if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      Deno.exit(0);
    } else throw new HarnessError("usage", `Cannot use argument '${argv[i]}': unknown\n${USAGE}`);
  }
  return options;
}

// ---- processes: every child is registered so that cleanup can stop it, whatever happened ----

const children = new Set<Deno.ChildProcess>();

function spawn(command: string, args: string[], options: Deno.CommandOptions = {}) {
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...options,
  }).spawn();
  children.add(child);
  void child.status.finally(() => children.delete(child));
  return child;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** SIGTERM, then SIGKILL if the process is still there after two seconds. */
async function stop(child: Deno.ChildProcess): Promise<void> {
  const exited = child.status.then(() => true);
  try {
    child.kill("SIGTERM");
  } catch { /* already exited */ }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const gone = await Promise.race([
    exited,
    new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), 2000)),
  ]);
  clearTimeout(timer);
  if (!gone) {
    try {
      child.kill("SIGKILL");
    } catch { /* exited meanwhile */ }
    await child.status;
  }
}

/** Drains a stream, keeping its last `limit` characters for error messages. */
function drainTail(stream: ReadableStream<Uint8Array>, limit = 4096): () => string {
  let tail = "";
  void (async () => {
    try {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        tail = (tail + text).slice(-limit);
      }
    } catch { /* the process went away */ }
  })();
  return () => tail.trim();
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HarnessError("start", what())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Reads stdout until a line matches `ready` (its first group is the port); drains the rest. */
async function readyPort(
  name: string,
  child: Deno.ChildProcess,
  ready: RegExp,
  timeoutMs: number,
): Promise<number> {
  const stderr = drainTail(child.stderr);
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const late = () => `stderr: ${stderr() || "(empty)"}`;
  const find = async (): Promise<number> => {
    let buffer = "";
    while (true) {
      const { value, done } = await lines.read();
      if (done) {
        const { code } = await child.status;
        throw new HarnessError("start", `Cannot start ${name}: exited with ${code}; ${late()}`);
      }
      buffer += value;
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const port = Number(ready.exec(buffer.slice(0, newline).trim())?.[1]);
        buffer = buffer.slice(newline + 1);
        if (port > 0) return port;
      }
    }
  };
  try {
    return await withTimeout(
      find(),
      timeoutMs,
      () => `Cannot start ${name}: no ready line in ${timeoutMs} ms; ${late()}`,
    );
  } finally {
    void (async () => {
      try {
        while (!(await lines.read()).done) { /* keep the pipe from filling up */ }
      } catch { /* closed */ }
    })();
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function startUpstream(): Promise<{ port: number; child: Deno.ChildProcess }> {
  const child = spawn(Deno.execPath(), [
    "run",
    "-q",
    "--no-config",
    "--allow-net=127.0.0.1",
    `${REPO}/scripts/_load_upstream.ts`,
  ], { stdin: "piped" }); // it exits when its stdin closes, should this script die first
  const port = await readyPort(
    "upstream",
    child,
    /^upstream: listening on 127\.0\.0\.1:(\d+)$/,
    10_000,
  );
  return { port, child };
}

async function startTinyproxy(dir: string): Promise<number> {
  for (let attempt = 1;; attempt++) {
    const port = freePort(); // tinyproxy cannot report a port 0 choice; it may race, so retry
    const config = `${dir}/tinyproxy.conf`;
    Deno.writeTextFileSync(
      config,
      [
        `Port ${port}`,
        "Listen 127.0.0.1",
        "Timeout 30",
        `LogFile "${dir}/tinyproxy.log"`,
        "LogLevel Critical",
        "MaxClients 256",
        "Allow 127.0.0.1",
        "",
      ].join("\n"),
    );
    const child = spawn("tinyproxy", ["-d", "-c", config]);
    const stderr = drainTail(child.stderr);
    drainTail(child.stdout);
    let exited = false;
    void child.status.then(() => exited = true);
    for (const start = Date.now(); Date.now() - start < 5000 && !exited; await delay(25)) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return port;
      } catch { /* not listening yet */ }
    }
    await stop(child);
    if (attempt === 3) {
      throw new HarnessError(
        "start",
        `Cannot start tinyproxy on 127.0.0.1:${port}: not accepting after 5 s; stderr: ${
          stderr() || "(empty)"
        }`,
      );
    }
  }
}

/** Starts wt-proxy as its installed launcher runs it: its permission set plus the state-dir flags. */
async function startWtProxy(stateDir: string): Promise<number> {
  const tool = TOOLS.find((t) => t.name === "wt-proxy");
  if (!tool) throw new HarnessError("start", "Cannot start wt-proxy: not in core/tools.ts");
  const env = Deno.env.toObject();
  delete env.DENO_PERMISSION_BROKER_PATH; // it would override the wt-proxy permission set
  const child = spawn(Deno.execPath(), [
    "run",
    "-q",
    "--no-prompt",
    "--config",
    `${REPO}/deno.json`,
    `-P=${tool.permissionSet}`,
    ...stateDirFlags(tool, stateDir),
    `${REPO}/${tool.entry}`,
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--allow-loopback",
  ], { cwd: REPO, clearEnv: true, env: { ...env, WATCHTOWER_DIR: stateDir } });
  return await readyPort("wt-proxy", child, /^wt-proxy: listening on 127\.0\.0\.1:(\d+)$/, 20_000);
}

// ---- smoke check: one real request before measuring, so a fast error page is not a result ----

/** Reads one HTTP/1.1 response (Content-Length framing only, which the upstream uses). */
async function readResponse(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pending: { bytes: Uint8Array },
): Promise<{ status: number; body: string } | undefined> {
  const decoder = new TextDecoder("latin1"); // byte-per-char, so string offsets are byte offsets
  let text = decoder.decode(pending.bytes);
  const more = async () => {
    const { value, done } = await reader.read();
    if (done) return false;
    text += decoder.decode(value);
    return true;
  };
  let end;
  while ((end = text.indexOf("\r\n\r\n")) < 0) if (!(await more())) return undefined;
  const head = text.slice(0, end);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? -1);
  if (length < 0) return undefined;
  while (text.length < end + 4 + length) if (!(await more())) return undefined;
  const body = text.slice(end + 4, end + 4 + length);
  pending.bytes = Uint8Array.from(text.slice(end + 4 + length), (c) => c.charCodeAt(0));
  return { status, body };
}

/** Sends two keep-alive requests on one connection: the first must get the page, the second tells
 * whether the server keeps connections open. */
async function probe(target: Omit<Target, "keepAlive">, host: string): Promise<boolean> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: target.port });
  const request = new TextEncoder().encode(
    `GET ${target.requestTarget} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: wt-proxy-load\r\n\r\n`,
  );
  const reader = conn.readable.getReader();
  const pending = { bytes: new Uint8Array() };
  const timer = setTimeout(() => conn.close(), 5000);
  try {
    await conn.write(request);
    const first = await readResponse(reader, pending);
    if (first?.status !== 200 || !first.body.startsWith(PAGE_MARK) || first.body.length !== 1024) {
      throw new HarnessError(
        "smoke",
        `Cannot use ${target.name} for the load test: GET ${target.requestTarget} answered ${
          first
            ? `${first.status} with ${first.body.length} bytes (${
              JSON.stringify(first.body.slice(0, 300))
            })`
            : "nothing parsable"
        }, expected 200 with the 1024-byte page`,
      );
    }
    try {
      await conn.write(request);
      return (await readResponse(reader, pending))?.status === 200;
    } catch {
      return false; // reset or closed: no keep-alive
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
}

// ---- wrk ----

function luaScript(target: Target, host: string, close: boolean): string {
  const json = '{"requests":%d,"durationUs":%d,"p50Us":%.1f,"p99Us":%.1f,' +
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}';
  return [
    `wrk.method = "GET"`,
    `wrk.path = "${target.requestTarget}"`,
    `wrk.headers["Host"] = "${host}"`,
    ...(close || !target.keepAlive ? [`wrk.headers["Connection"] = "close"`] : []),
    "done = function(summary, latency, requests)",
    "  local e = summary.errors",
    `  io.write(string.format('WRK_JSON ${json}\\n', summary.requests, summary.duration,`,
    "    latency:percentile(50), latency:percentile(99),",
    "    e.connect, e.read, e.write, e.status, e.timeout))",
    "end",
    "",
  ].join("\n");
}

async function wrk(
  target: Target,
  script: string,
  connections: number,
  durationS: number,
): Promise<Omit<Run, "target" | "connections" | "keepAlive" | "flagged">> {
  const threads = Math.min(2, connections);
  const child = spawn("wrk", [
    `-t${threads}`,
    `-c${connections}`,
    `-d${durationS}s`,
    "--timeout",
    "2s",
    "-s",
    script,
    `http://127.0.0.1:${target.port}`,
  ]);
  const killer = setTimeout(() => child.kill("SIGKILL"), (durationS + 15) * 1000);
  const { code, stdout, stderr } = await child.output().finally(() => clearTimeout(killer));
  const out = new TextDecoder().decode(stdout);
  const line = out.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (code !== 0 || !line) {
    const why = new TextDecoder().decode(stderr).trim() || out.trim();
    throw new HarnessError("wrk", `Cannot run wrk against ${target.name}: exit ${code}; ${why}`);
  }
  const r = JSON.parse(line.slice(9));
  // wrk reuses a connection unless the response says `Connection: close`; a server that closes
  // silently after each response costs one read "error" per request (and a reconnect). On a
  // target the probe found not to keep connections, read errors up to the number of requests are
  // those closes; only the excess (a reset mid-response, say) is an error.
  const closes = target.keepAlive ? 0 : Math.min(r.read, r.requests);
  const errors: WrkErrors = {
    connect: r.connect,
    read: r.read - closes,
    write: r.write,
    status: r.status,
    timeout: r.timeout,
  };
  return {
    closes,
    requests: r.requests,
    requestsPerS: Math.round(r.requests / (r.durationUs / 1e6)),
    p50Ms: Math.round(r.p50Us) / 1000,
    p99Ms: Math.round(r.p99Us) / 1000,
    errors,
    errorTotal: Object.values(errors).reduce((a, b) => a + b, 0),
  };
}

// ---- report ----

/** One case over its rounds: the median of each measure (counts are summed). */
function median(samples: Run[]): Run {
  const mid = (pick: (r: Run) => number) => {
    const sorted = samples.map(pick).sort((a, b) => a - b);
    const half = sorted.length >> 1;
    return sorted.length % 2 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
  };
  const sum = (pick: (r: Run) => number) => samples.reduce((total, r) => total + pick(r), 0);
  const errors: WrkErrors = {
    connect: sum((r) => r.errors.connect),
    read: sum((r) => r.errors.read),
    write: sum((r) => r.errors.write),
    status: sum((r) => r.errors.status),
    timeout: sum((r) => r.errors.timeout),
  };
  return {
    ...samples[0]!,
    requests: sum((r) => r.requests),
    requestsPerS: Math.round(mid((r) => r.requestsPerS)),
    p50Ms: Math.round(mid((r) => r.p50Ms) * 1000) / 1000,
    p99Ms: Math.round(mid((r) => r.p99Ms) * 1000) / 1000,
    errors,
    errorTotal: sum((r) => r.errorTotal),
    closes: sum((r) => r.closes),
    flagged: samples.some((r) => r.flagged),
  };
}

interface Settings {
  durationS: number;
  warmupS: number;
  connections: number[];
  threads: string;
  rounds: number;
  forcedClose: boolean;
  cpus: number;
  loadAverage1m: { before: number; after: number };
  wrk: string;
  tinyproxy: string;
  deno: string;
}

interface Report {
  settings: Settings;
  runs: Run[];
  skipped: { target: TargetName; reason: string }[];
  targets: {
    throughput: { connections: number; ratio: number | null; min: number; met: boolean | null };
    latency: {
      connections: 1;
      addedP50Ms: number | null;
      tinyproxyAddedP50Ms: number | null;
      maxMs: number;
      met: boolean | null;
    };
  };
}

function evaluate(runs: Run[], high: number): Report["targets"] {
  const at = (t: TargetName, c: number) => runs.find((r) => r.target === t && r.connections === c);
  const [wtHigh, tinyHigh] = [at("wt-proxy", high), at("tinyproxy", high)];
  const [wtLow, tinyLow, directLow] = [at("wt-proxy", 1), at("tinyproxy", 1), at("direct", 1)];
  const ratio = wtHigh && tinyHigh
    ? Math.round((wtHigh.requestsPerS / tinyHigh.requestsPerS) * 100) / 100
    : null;
  const added = (r?: Run) =>
    r && directLow ? Math.round((r.p50Ms - directLow.p50Ms) * 1000) / 1000 : null;
  const addedP50Ms = added(wtLow);
  // An errored run is no evidence for a target: error pages are fast.
  const clean = (...rs: (Run | undefined)[]) => rs.every((r) => r && !r.flagged);
  return {
    throughput: {
      connections: high,
      ratio,
      min: TARGETS.throughputRatio,
      met: ratio === null ? null : ratio >= TARGETS.throughputRatio && clean(wtHigh, tinyHigh),
    },
    latency: {
      connections: 1,
      addedP50Ms,
      tinyproxyAddedP50Ms: added(tinyLow),
      maxMs: TARGETS.addedP50Ms,
      met: addedP50Ms === null ? null : addedP50Ms <= TARGETS.addedP50Ms && clean(wtLow, directLow),
    },
  };
}

function markdown(report: Report, options: Options): string {
  const verdict = (met: boolean | null) => met === null ? "not evaluated" : met ? "met" : "MISSED";
  const { throughput, latency } = report.targets;
  const signed = (n: number) => `${n >= 0 ? "+" : ""}${n.toFixed(3)}`;
  return [
    `## Proxy load test (wrk, loopback, ${options.durationS} s per case after ${options.warmupS} s` +
    ` warm-up, threads = min(2, connections)${
      options.rounds > 1 ? `, median of ${options.rounds} rounds` : ""
    })`,
    "",
    `${report.settings.cpus} CPUs; 1-min load average ${
      report.settings.loadAverage1m.before.toFixed(2)
    } before, ${report.settings.loadAverage1m.after.toFixed(2)} after (other work on the` +
    " machine skews the numbers; so does this test, which shares the CPUs with its servers).",
    "",
    "| target | connections | keep-alive | requests/s | p50 ms | p99 ms | errors |",
    "|---|---:|---|---:|---:|---:|---:|",
    ...report.runs.map((r) => {
      const errors = r.requests === 0
        ? "**no requests**"
        : r.flagged
        ? `**${r.errorTotal}** ${JSON.stringify(r.errors)}`
        : "0";
      return `| ${r.target} | ${r.connections} | ${r.keepAlive ? "yes" : "no"} | ` +
        `${r.requestsPerS} | ${r.p50Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} | ${errors} |`;
    }),
    "",
    ...(report.runs.some((r) => !r.keepAlive)
      ? [
        "keep-alive no: a new connection per request (the server closes after each response, or" +
        " `--close`); closes it does not announce are not counted as errors.",
        "",
      ]
      : []),
    ...report.skipped.map((s) => `- ${s.target} skipped: ${s.reason}`),
    `- wt-proxy / tinyproxy requests/s at ${throughput.connections} connections: ` +
    `${throughput.ratio?.toFixed(2) ?? "n/a"} (target ≥ ${throughput.min}: ${
      verdict(throughput.met)
    })`,
    `- wt-proxy − direct p50 at 1 connection: ` +
    `${latency.addedP50Ms === null ? "n/a" : `${signed(latency.addedP50Ms)} ms`} ` +
    `(target ≤ ${latency.maxMs} ms: ${verdict(latency.met)})`,
    `- tinyproxy − direct p50 at 1 connection, for reference: ${
      latency.tinyproxyAddedP50Ms === null ? "n/a" : `${signed(latency.tinyproxyAddedP50Ms)} ms`
    }`,
    "",
  ].join("\n");
}

async function version(command: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
      .output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return text.split("\n")[0]!.replace(/\s*Copyright.*$/, "").trim();
  } catch {
    return "unknown";
  }
}

// ---- main ----

async function measure(options: Options, dir: string): Promise<Report> {
  const log = (line: string) => console.error(`proxy_load: ${line}`);
  const upstream = await startUpstream();
  const host = `127.0.0.1:${upstream.port}`;
  const absolute = `http://${host}${PAGE_PATH}`;
  log(`upstream on ${host}`);

  const found: Omit<Target, "keepAlive">[] = [
    { name: "direct", port: upstream.port, requestTarget: PAGE_PATH },
    { name: "tinyproxy", port: await startTinyproxy(dir), requestTarget: absolute },
  ];
  const skipped: Report["skipped"] = [];
  let wtMain: Deno.FileInfo | undefined;
  try {
    wtMain = Deno.statSync(`${REPO}/proxy/main.ts`);
  } catch { /* not written yet */ }
  if (wtMain) {
    Deno.mkdirSync(`${dir}/watchtower`);
    found.push({
      name: "wt-proxy",
      port: await startWtProxy(`${dir}/watchtower`),
      requestTarget: absolute,
    });
  } else skipped.push({ target: "wt-proxy", reason: "proxy/main.ts does not exist" });

  const targets: Target[] = [];
  for (const target of found) {
    const keepAlive = await probe(target, host);
    targets.push({ ...target, keepAlive: keepAlive && !options.close });
    log(`${target.name} on 127.0.0.1:${target.port} (keep-alive: ${keepAlive ? "yes" : "no"})`);
  }

  for (const target of targets) {
    Deno.writeTextFileSync(`${dir}/${target.name}.lua`, luaScript(target, host, options.close));
  }
  const load1m = () => Math.round((Deno.loadavg()[0] ?? 0) * 100) / 100;
  const loadBefore = load1m();
  // Rounds repeat the whole sequence, so that a burst of other work on the machine hits one
  // sample of each case rather than every sample of one target; each case reports its median.
  const samples = new Map<string, Run[]>();
  for (let round = 1; round <= options.rounds; round++) {
    for (const connections of [...new Set([1, options.connections])]) {
      for (const target of targets) {
        log(
          `${options.rounds > 1 ? `round ${round}: ` : ""}${target.name}, ${connections} ` +
            `connection(s): warm-up, then ${options.durationS} s`,
        );
        const script = `${dir}/${target.name}.lua`;
        await wrk(target, script, connections, options.warmupS);
        const result = await wrk(target, script, connections, options.durationS);
        const key = `${target.name} ${connections}`;
        samples.set(key, [...samples.get(key) ?? [], {
          target: target.name,
          connections,
          keepAlive: target.keepAlive,
          ...result,
          flagged: result.errorTotal > 0 || result.requests === 0,
        }]);
      }
    }
  }
  const runs = [...samples.values()].map(median);

  return {
    settings: {
      durationS: options.durationS,
      warmupS: options.warmupS,
      connections: [...new Set([1, options.connections])],
      threads: "min(2, connections)",
      rounds: options.rounds,
      forcedClose: options.close,
      cpus: navigator.hardwareConcurrency,
      loadAverage1m: { before: loadBefore, after: load1m() },
      wrk: await version("wrk", ["--version"]),
      tinyproxy: await version("tinyproxy", ["-v"]),
      deno: Deno.version.deno,
    },
    runs,
    skipped,
    targets: evaluate(runs, options.connections),
  };
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(Deno.args);
  } catch (error) {
    console.error(`proxy_load: ${(error as Error).message}`);
    return 64;
  }
  const dir = Deno.makeTempDirSync({ prefix: "wt-proxy-load-" });
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    cleaned ??= (async () => {
      await Promise.all([...children].map(stop));
      Deno.removeSync(dir, { recursive: true });
    })();
  const onSignal = () => void cleanup().finally(() => Deno.exit(130));
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    const report = await measure(options, dir);
    const table = markdown(report, options);
    if (options.json) {
      console.error(table);
      console.log(JSON.stringify(report, null, 2));
    } else console.log(table);
    const { throughput, latency } = report.targets;
    const ok = throughput.met === true && latency.met === true &&
      !report.runs.some((r) => r.flagged);
    return ok ? 0 : 2;
  } catch (error) {
    if (!(error instanceof HarnessError)) throw error;
    console.error(`proxy_load: ${error.message}`);
    return 1;
  } finally {
    await cleanup();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) Deno.exit(await main());
