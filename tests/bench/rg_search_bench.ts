/**
 * `rg-search -n PATTERN` through its launcher against the raw `rg -n PATTERN`, in the same run
 * (target: ≤ 25 ms added median per call), on a small source tree in a fresh workspace. The
 * launchers are installed into a fresh home as users install them; under the default policy the
 * search is allowed with its output redacted (rule redact-read-output), so the redactor is part of
 * the cost, and the ledger is written with `sync: always`. Besides `deno bench`'s table, the
 * module prints the added median from interleaved runs.
 */
import { cleanEnv, REPO } from "../integration/_wt.ts";

const home = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-bench-rg-" }));
const work = `${home}/work`;
Deno.mkdirSync(`${work}/.git`, { recursive: true });
for (let d = 0; d < 10; d++) {
  Deno.mkdirSync(`${work}/src/m${d}`, { recursive: true });
  for (let f = 0; f < 10; f++) {
    const body = Array.from(
      { length: 50 },
      (_, i) =>
        i % 25 === 7
          ? `export const needle${i} = ${f};`
          : `const line${i} = "text ${d}.${f}.${i}";`,
    )
      .join("\n");
    Deno.writeTextFileSync(`${work}/src/m${d}/f${f}.ts`, `${body}\n`);
  }
}
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
const launcher = `${home}/prefix/bin/rg-search`;
const ARGS = ["-n", "needle"];

async function search(program: string): Promise<void> {
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
await search(launcher); // warm the module cache and the policy cache
const RUNS = 40;
const rawTimes: number[] = [];
const safeTimes: number[] = [];
for (let i = 0; i < RUNS; i++) {
  let started = performance.now();
  await search("rg");
  rawTimes.push(performance.now() - started);
  started = performance.now();
  await search(launcher);
  safeTimes.push(performance.now() - started);
}
const added = median(safeTimes) - median(rawTimes);
console.log(
  `rg-search adds ${added.toFixed(1)} ms median per call (rg ${
    median(rawTimes).toFixed(1)
  } ms, rg-search ${
    median(safeTimes).toFixed(1)
  } ms, ${RUNS} interleaved runs each; target ≤ 25 ms)`,
);

Deno.bench({ name: "baseline: rg -n needle", group: "rg", baseline: true, n: 30 }, async () => {
  await search("rg");
});

Deno.bench({ name: "rg-search -n needle (launcher)", group: "rg", n: 30 }, async () => {
  await search(launcher);
});
