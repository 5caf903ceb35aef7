/**
 * `safe-touch FILE` through its launcher against the raw `touch FILE`, in the same run (target:
 * ≤ 25 ms added median per call). The launchers are installed into a fresh home as users install
 * them; the default policy allows the file (it is in the workspace) and the ledger is written
 * with `sync: always`, as in production. Besides `deno bench`'s table, the module prints the
 * added median from interleaved runs.
 */
import { cleanEnv, REPO } from "../integration/_wt.ts";

const home = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-bench-touch-" }));
const work = `${home}/work`;
Deno.mkdirSync(`${work}/.git`, { recursive: true });
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
const launcher = `${home}/prefix/bin/safe-touch`;

async function touch(program: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(program, {
    args: ["file.txt"],
    cwd: work,
    clearEnv: true,
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`${program} exited ${code}: ${new TextDecoder().decode(stderr)}`);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

// Interleaved samples, so that both commands see the same machine load.
await touch(launcher); // warm the module cache and the policy cache
const RUNS = 40;
const rawTimes: number[] = [];
const safeTimes: number[] = [];
for (let i = 0; i < RUNS; i++) {
  let started = performance.now();
  await touch("touch");
  rawTimes.push(performance.now() - started);
  started = performance.now();
  await touch(launcher);
  safeTimes.push(performance.now() - started);
}
const added = median(safeTimes) - median(rawTimes);
console.log(
  `safe-touch adds ${added.toFixed(1)} ms median per call (touch ${
    median(rawTimes).toFixed(1)
  } ms, safe-touch ${
    median(safeTimes).toFixed(1)
  } ms, ${RUNS} interleaved runs each; target ≤ 25 ms)`,
);

Deno.bench({ name: "baseline: touch FILE", group: "touch", baseline: true, n: 30 }, async () => {
  await touch("touch");
});

Deno.bench({ name: "safe-touch FILE (launcher)", group: "touch", n: 30 }, async () => {
  await touch(launcher);
});
