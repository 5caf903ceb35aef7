/**
 * `wt check --batch` throughput on a 200-rule policy, spawned the way users run it (target:
 * ≥ 20,000 intents/s), against `cat` of the same input and a `deno run` that only drains stdin as baselines.
 * Intents per second = 20,000 / the reported time per run.
 */
import { BENCH_INTENTS, policy200 } from "./_policy200.ts";

const COUNT = 20_000;
const repo = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(/\/$/, "");
const dir = Deno.makeTempDirSync({ prefix: "wt-bench-" });
Deno.writeTextFileSync(`${dir}/policy.yaml`, policy200());
const input = new TextEncoder().encode(
  Array.from({ length: COUNT }, (_, i) => JSON.stringify(BENCH_INTENTS[i % BENCH_INTENTS.length]))
    .join("\n") + "\n",
);
Deno.writeTextFileSync(`${dir}/drain.ts`, "for await (const _ of Deno.stdin.readable);\n");

async function spawn(cmd: string, args: string[]): Promise<void> {
  const child = new Deno.Command(cmd, {
    args,
    env: { WATCHTOWER_DIR: dir, NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const done = child.output();
  await writer.write(input);
  await writer.close();
  const { code } = await done;
  if (code !== 0 && code !== 65) throw new Error(`${cmd} exited ${code}`);
}

Deno.bench(
  { name: "baseline: cat of 20,000 intents", group: "batch", baseline: true, n: 10 },
  async () => {
    await spawn("cat", []);
  },
);

Deno.bench(
  { name: "baseline: deno run of a script that drains stdin", group: "batch", n: 10 },
  async () => {
    await spawn(Deno.execPath(), ["run", "-q", `${dir}/drain.ts`]);
  },
);

Deno.bench(
  { name: "wt check --batch, 20,000 intents, 200 rules", group: "batch", n: 10 },
  async () => {
    await spawn(Deno.execPath(), [
      "run",
      "-q",
      "--no-prompt",
      "--config",
      `${repo}/deno.json`,
      "-P=wt",
      `${repo}/cli/main.ts`,
      "check",
      "--batch",
    ]);
  },
);
