/**
 * The command guard's cost (issue 6 targets): a whole `wt check --shell 'CMD'` process through
 * the installed launcher, start-up included (target ≤ 35 ms median), deciding in its own process
 * and through the decision service, against `deno run` of an empty script; a line analysed and
 * decided in-process (p50 ≤ 200 µs); and `wt check --batch` of shell lines (≥ 5,000 lines/s).
 * Medians are printed before the benches run; lines per second = lines / the reported time.
 */
import { createGuard } from "../../cli/guard.ts";
import { resolveEnvironment } from "../../core/config.ts";
import { loadPolicy } from "../../core/policy/loader.ts";
import { analyzeShell } from "../../core/shell/mod.ts";
import { decideLine } from "../../core/shell_guard/mod.ts";
import { readCorpus } from "../_corpus.ts";
import { benchHome, startService } from "./_shim_bench.ts";

const repo = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(/\/$/, "");
// The launchers as users install them (bundled), in a fresh home.
const box = await benchHome("wt-bench-shell-");
const { home, work: workspace } = box;
Deno.writeTextFileSync(`${home}/empty.ts`, "");
const env: Record<string, string> = { ...box.env, WATCHTOWER_WORKSPACE: workspace };
const LINE = "git add -A && git commit -m 'wip' && npm test 2>&1 | tee /tmp/test.log";

const lines = [
  ...readCorpus(`${repo}/tests/corpus/commands-benign.txt`, ["allow"]),
  ...readCorpus(`${repo}/tests/corpus/commands-malicious.txt`, ["deny"]),
].map((entry) => entry.line);
const BATCH = 10_000;
const batchInput = new TextEncoder().encode(
  Array.from({ length: BATCH }, (_, i) => JSON.stringify({ shell: lines[i % lines.length] }))
    .join("\n") + "\n",
);

/** `wt ARGS` through the installed launcher. */
const wtArgs = (...args: string[]) => [`${box.bin}/wt`, ...args];
/** `deno run` of an empty script. */
const emptyScript = [Deno.execPath(), "run", "-q", `${home}/empty.ts`];

async function spawn(argv: string[], stdin?: Uint8Array): Promise<void> {
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    cwd: workspace,
    clearEnv: true,
    env,
    stdin: stdin ? "piped" : "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  if (stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const { code } = await child.status;
  if (code !== 0 && code !== 75 && code !== 77) throw new Error(`exited ${code}`);
}

async function medianMs(runs: number, fn: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

// In-process: the policy as `wt` loads it, the real annotators.
const vars = { home, workspace, stateDir: env.WATCHTOWER_DIR! };
const guard = createGuard(
  await loadPolicy({ stateDir: vars.stateDir, profileDirs: [`${repo}/profiles`], vars }),
);
const wtEnv = resolveEnvironment((name) => env[name], workspace);
const decide = (line: string) => decideLine(line, { guard, env: wtEnv, tool: "bench" });

function perLineP50(fn: (line: string) => unknown): number {
  for (const line of lines) fn(line); // warm up
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    for (const line of lines) {
      const started = performance.now();
      fn(line);
      times.push(performance.now() - started);
    }
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]! * 1000;
}

await spawn(wtArgs("check", "--shell", LINE)); // writes the policy cache
const baseline = await medianMs(30, () => spawn(emptyScript));
const check = await medianMs(30, () => spawn(wtArgs("check", "--shell", LINE)));
const sh = await medianMs(30, () => spawn(wtArgs("sh", "-c", "true")));
const stopService = await startService(box);
const checkService = await medianMs(30, () => spawn(wtArgs("check", "--shell", LINE)));
const shService = await medianMs(30, () => spawn(wtArgs("sh", "-c", "true")));
stopService();
const started = performance.now();
await spawn(wtArgs("check", "--batch"), batchInput);
const batchSeconds = (performance.now() - started) / 1000;
console.log(
  [
    `deno run of an empty script: median ${baseline.toFixed(1)} ms`,
    `wt check --shell '${LINE}' (installed launcher): median ${check.toFixed(1)} ms deciding ` +
    `in its own process, ${checkService.toFixed(1)} ms through wt daemon`,
    `wt sh -c true (installed launcher): median ${sh.toFixed(1)} ms in its own process, ` +
    `${shService.toFixed(1)} ms through wt daemon`,
    `analyzeShell p50 ${perLineP50(analyzeShell).toFixed(1)} µs per line; analysis + decision p50 ${
      perLineP50(decide).toFixed(1)
    } µs per line (${lines.length} corpus lines)`,
    `wt check --batch, ${BATCH} shell lines: ${(BATCH / batchSeconds).toFixed(0)} lines/s`,
  ].join("\n"),
);

Deno.bench(
  { name: "baseline: deno run of an empty script", group: "process", baseline: true, n: 30 },
  async () => {
    await spawn(emptyScript);
  },
);

Deno.bench(
  { name: "wt check --shell 'CMD' (whole process)", group: "process", n: 30 },
  async () => {
    await spawn(wtArgs("check", "--shell", LINE));
  },
);

Deno.bench({ name: `analyse ${lines.length} corpus lines`, group: "in-process" }, () => {
  for (const line of lines) analyzeShell(line);
});

Deno.bench({ name: `analyse and decide ${lines.length} corpus lines`, group: "in-process" }, () => {
  for (const line of lines) decide(line);
});

Deno.bench({ name: `wt check --batch, ${BATCH} shell lines`, group: "batch", n: 5 }, async () => {
  await spawn(wtArgs("check", "--batch"), batchInput);
});
