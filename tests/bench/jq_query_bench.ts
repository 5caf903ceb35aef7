/**
 * `jq-query -c FILTER FILE` through its launcher against the raw `jq -c FILTER FILE`, in the same
 * run (target: ≤ 25 ms added median per call), on a 200-item JSON file in a fresh workspace. The
 * launchers are installed into a fresh home as users install them; under the default policy the
 * query is allowed with its output redacted (rule redact-read-output), so the redactor is part of
 * the cost, and the ledger is written with `sync: always`. Besides `deno bench`'s table, the
 * module prints the added median from interleaved runs.
 */
import { cleanEnv, REPO } from "../integration/_wt.ts";

const home = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-bench-jq-" }));
const work = `${home}/work`;
Deno.mkdirSync(`${work}/.git`, { recursive: true });
Deno.writeTextFileSync(
  `${work}/items.json`,
  JSON.stringify({
    items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item-${i}`, ok: i % 3 === 0 })),
  }),
);
// The user's module cache comes along (cleanEnv), so nothing is downloaded.
const env = cleanEnv({ HOME: home, WATCHTOWER_DIR: `${home}/.watchtower`, NO_COLOR: "1" });
const install = await new Deno.Command(Deno.execPath(), {
  args: ["task", "-q", "--config", `${REPO}/deno.json`, "install", "--root", `${home}/prefix`],
  clearEnv: true,
  env,
  stdout: "null",
  stderr: "piped",
}).output();
if (install.code !== 0) throw new Error(new TextDecoder().decode(install.stderr));
const launcher = `${home}/prefix/bin/jq-query`;
const ARGS = ["-c", "[.items[] | select(.ok) | .name]", "items.json"];

async function query(program: string): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command(program, {
    args: ARGS,
    cwd: work,
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0 || stdout.length === 0) {
    throw new Error(`${program} exited ${code}: ${new TextDecoder().decode(stderr)}`);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

// Interleaved samples, so that both commands see the same machine load.
await query(launcher); // warm the module cache and the policy cache
const RUNS = 40;
const rawTimes: number[] = [];
const safeTimes: number[] = [];
for (let i = 0; i < RUNS; i++) {
  let started = performance.now();
  await query("jq");
  rawTimes.push(performance.now() - started);
  started = performance.now();
  await query(launcher);
  safeTimes.push(performance.now() - started);
}
const added = median(safeTimes) - median(rawTimes);
console.log(
  `jq-query adds ${added.toFixed(1)} ms median per call (jq ${
    median(rawTimes).toFixed(1)
  } ms, jq-query ${
    median(safeTimes).toFixed(1)
  } ms, ${RUNS} interleaved runs each; target ≤ 25 ms)`,
);

Deno.bench(
  { name: "baseline: jq -c FILTER FILE", group: "jq", baseline: true, n: 30 },
  async () => {
    await query("jq");
  },
);

Deno.bench({ name: "jq-query -c FILTER FILE (launcher)", group: "jq", n: 30 }, async () => {
  await query(launcher);
});
