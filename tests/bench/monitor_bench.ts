/**
 * The root monitor's cost and catch rate, with real processes: a bash loop runs `/bin/true` 1,000
 * times with and without `wt-monitor` watching it (the ratio is the exec overhead), and a loop of
 * 1,000 short-lived `sudo` runs (a copy of echo named sudo) under the monitor, every one of which
 * must be killed before it runs (the catch rate).
 *
 * `deno run -A tests/bench/monitor_bench.ts` prints the figures; `deno bench` runs the loops.
 */
import { REPO } from "../integration/_wt.ts";

const COUNT = 1000;

async function watchedLoop(
  script: string,
  extra: string[] = [],
): Promise<{ ms: number; out: string; killed: number; cpuMs: number }> {
  const home = Deno.makeTempDirSync({ prefix: "wt-monbench-" });
  Deno.mkdirSync(`${home}/bin`);
  Deno.copyFileSync("/bin/echo", `${home}/bin/sudo`);
  const gate = `${home}/go`;
  await new Deno.Command("mkfifo", { args: [gate] }).output();
  const agent = new Deno.Command("bash", {
    args: ["-c", `read _ < ${gate}\n${script}`],
    env: { PATH: `${home}/bin:/usr/bin:/bin` },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const monitor = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--config",
      `${REPO}/deno.json`,
      "-P=wt-monitor",
      `--allow-write=${home}`,
      `${REPO}/monitor/main.ts`,
      "--pid",
      String(agent.pid),
      "--json",
      ...extra,
    ],
    env: { WATCHTOWER_DIR: `${home}/state`, HOME: home },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = monitor.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = (await lines.read()).value ?? "";
  // Read the monitor's lines while the agent runs: a full pipe would stall the monitor.
  const drained = (async () => {
    while (true) {
      const { value, done } = await lines.read();
      if (done) break;
      text += value;
    }
  })();
  const started = performance.now();
  await Deno.writeTextFile(gate, "go\n");
  const result = await agent.output();
  const ms = performance.now() - started;
  await drained;
  await monitor.status;
  const last = JSON.parse(text.trim().split("\n").at(-1)!);
  return {
    ms,
    out: new TextDecoder().decode(result.stdout),
    killed: last.killed ?? 0,
    cpuMs: last.cpu_ms ?? NaN,
  };
}

async function plainLoop(script: string): Promise<number> {
  const started = performance.now();
  await new Deno.Command("bash", { args: ["-c", script], stdout: "null" }).output();
  return performance.now() - started;
}

const TRUE_LOOP = `for i in $(seq ${COUNT}); do /bin/true; done`;
const SUDO_LOOP =
  `n=0; for i in $(seq ${COUNT}); do sudo -n true >/dev/null 2>&1 && n=$((n+1)); done; echo ran=$n`;

if (import.meta.main) {
  const plain = await plainLoop(TRUE_LOOP);
  const watched = await watchedLoop(TRUE_LOOP);
  const caught = await watchedLoop(SUDO_LOOP);
  const ran = Number(/ran=(\d+)/.exec(caught.out)?.[1] ?? NaN);
  const polled = await watchedLoop(SUDO_LOOP, ["--mechanism", "poll"]);
  const polledRan = Number(/ran=(\d+)/.exec(polled.out)?.[1] ?? NaN);
  // The polling mode's own cost: 5 s watching an idle tree.
  const idle = await watchedLoop("sleep 5", ["--mechanism", "poll"]);
  console.log(
    `exec overhead: ${COUNT} × /bin/true: ${plain.toFixed(0)} ms plain, ${
      watched.ms.toFixed(0)
    } ms under wt-monitor (ratio ${(watched.ms / plain).toFixed(2)}, +${
      ((watched.ms - plain) / COUNT).toFixed(2)
    } ms per exec)`,
  );
  console.log(
    `catch rate: ${COUNT} short-lived sudo runs under wt-monitor (ptrace): ${caught.killed} killed, ${ran} ran (${
      (100 * caught.killed / COUNT).toFixed(1)
    }%), ${caught.ms.toFixed(0)} ms`,
  );
  console.log(
    `catch rate, /proc polling (10 ms): ${COUNT} short-lived sudo runs: ${polled.killed} killed, ${polledRan} ran (${
      (100 * (COUNT - polledRan) / COUNT).toFixed(1)
    }% stopped)`,
  );
  console.log(
    `polling CPU cost: ${idle.cpuMs} ms of CPU over ${
      (idle.ms / 1000).toFixed(1)
    } s watching an idle tree (${
      (100 * idle.cpuMs / idle.ms).toFixed(1)
    }% of a core; ptrace mode: ${watched.cpuMs} ms for the 1,000-exec loop)`,
  );
}

Deno.bench({ name: `${COUNT} × /bin/true`, group: "exec", baseline: true, n: 3 }, async () => {
  await plainLoop(TRUE_LOOP);
});

Deno.bench({ name: `${COUNT} × /bin/true under wt-monitor`, group: "exec", n: 3 }, async () => {
  await watchedLoop(TRUE_LOOP);
});
