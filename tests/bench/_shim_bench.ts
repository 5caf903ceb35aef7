/**
 * What the safe-command benchmarks share: a fresh home with the launchers installed as users
 * install them (bundled, default policy, ledger with `sync: always`), a way to run a command in
 * it, and the added median from interleaved runs (both commands see the same machine load).
 */
import { cleanEnv, REPO } from "../integration/_wt.ts";

/** A home with launchers in `bin` and a workspace `work` (a git root). */
export interface BenchHome {
  home: string;
  work: string;
  bin: string;
  env: Record<string, string>;
}

/** Makes a fresh home and installs the launchers into it. */
export async function benchHome(prefix: string): Promise<BenchHome> {
  const home = Deno.realPathSync(Deno.makeTempDirSync({ prefix }));
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
  return { home, work, bin: `${home}/prefix/bin`, env };
}

/** Runs `program ARGS` in the workspace; throws unless it succeeds (with output, if asked). */
export function runner(box: BenchHome, args: string[], options: { output?: boolean } = {}) {
  return async (program: string): Promise<void> => {
    const { code, stdout, stderr } = await new Deno.Command(program, {
      args,
      cwd: box.work,
      clearEnv: true,
      env: box.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (code !== 0 || (options.output && stdout.length === 0)) {
      throw new Error(`${program} exited ${code}: ${new TextDecoder().decode(stderr)}`);
    }
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Prints how much `safe` adds to `raw`, median of interleaved runs (target ≤ 25 ms). */
export async function printAddedMedian(
  names: { raw: string; safe: string },
  run: (program: string) => Promise<void>,
  programs: { raw: string; safe: string },
  runs = 40,
): Promise<void> {
  await run(programs.safe); // warm the module cache and the policy cache
  const raw: number[] = [];
  const safe: number[] = [];
  for (let i = 0; i < runs; i++) {
    let started = performance.now();
    await run(programs.raw);
    raw.push(performance.now() - started);
    started = performance.now();
    await run(programs.safe);
    safe.push(performance.now() - started);
  }
  console.log(
    `${names.safe} adds ${
      (median(safe) - median(raw)).toFixed(1)
    } ms median per call (${names.raw} ${median(raw).toFixed(1)} ms, ${names.safe} ${
      median(safe).toFixed(1)
    } ms, ${runs} interleaved runs each; target ≤ 25 ms)`,
  );
}

/**
 * Starts the decision service (`wt daemon start`) for the box; it is stopped when this process
 * ends, and at once by the returned function.
 */
export async function startService(box: BenchHome): Promise<() => void> {
  const wt = (args: string[]) =>
    new Deno.Command(`${box.bin}/wt`, {
      args,
      cwd: box.work,
      clearEnv: true,
      env: box.env,
      stdout: "null",
      stderr: "piped",
    });
  const started = await wt(["daemon", "start", "--idle", "10m"]).output();
  if (started.code !== 0) throw new Error(new TextDecoder().decode(started.stderr));
  let running = true;
  const stop = () => {
    if (running) wt(["daemon", "stop"]).outputSync();
    running = false;
  };
  globalThis.addEventListener("unload", stop);
  return stop;
}
