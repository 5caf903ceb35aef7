/**
 * Hook latency, process start to answer, as Claude Code pays it on every tool call: the `wt`
 * launcher (as `deno task install` writes it: bundled, default policy, ledger with `sync:
 * always`) running `wt hook claude-code` on a PreToolUse event for `Bash: git status` and for a
 * `Read` in the workspace, deciding in its own process and through the decision service
 * (`wt daemon`), against `deno run` of an empty script in the same run (target: ≤ 35 ms median).
 * Medians of interleaved runs, so that every command sees the same machine load.
 *
 *   deno bench -A tests/bench/hook_bench.ts
 */
import { benchHome, startService } from "./_shim_bench.ts";

const RUNS = 30;
const box = await benchHome("wt-bench-hook-");
const empty = `${box.home}/empty.ts`;
Deno.writeTextFileSync(empty, "");

const event = (tool_name: string, tool_input: Record<string, unknown>) =>
  new TextEncoder().encode(JSON.stringify({
    session_id: "bench",
    transcript_path: `${box.home}/.claude/projects/work/bench.jsonl`,
    cwd: box.work,
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name,
    tool_input,
    tool_use_id: "toolu_bench",
  }));
const BASH = event("Bash", { command: "git status", description: "Show working tree status" });
const READ = event("Read", { file_path: `${box.work}/src/main.ts` });

/** Runs `program ARGS` with `input` on stdin until it exits; throws unless it allowed. */
async function run(program: string, args: string[], input?: Uint8Array): Promise<void> {
  const child = new Deno.Command(program, {
    args,
    cwd: box.work,
    clearEnv: true,
    env: box.env,
    stdin: input ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input) {
    const writer = child.stdin.getWriter();
    await writer.write(input);
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0 || (input && !text.includes('"permissionDecision":"allow"'))) {
    throw new Error(`${program} exited ${code}: ${text}${new TextDecoder().decode(stderr)}`);
  }
}

const wt = `${box.bin}/wt`;
const baseline = () => run(Deno.execPath(), ["run", "-q", empty]);
const bash = () => run(wt, ["hook", "claude-code"], BASH);
const read = () => run(wt, ["hook", "claude-code"], READ);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** Medians of interleaved runs of the baseline and both events. */
async function measure(): Promise<Record<"empty" | "bash" | "read", number[]>> {
  // Warm the module cache and the policy cache.
  await bash();
  await read();
  const times: Record<"empty" | "bash" | "read", number[]> = { empty: [], bash: [], read: [] };
  for (let i = 0; i < RUNS; i++) {
    times.empty.push(await timed(baseline));
    times.bash.push(await timed(bash));
    times.read.push(await timed(read));
  }
  return times;
}

const ms = (values: number[]) => `${median(values).toFixed(1)} ms`;
const own = await measure();
const stopService = await startService(box);
const service = await measure();
stopService();
console.log(
  `wt hook claude-code, process start to answer, median of ${RUNS} interleaved runs (target ≤ 35 ms):\n` +
    `                                own process   through wt daemon\n` +
    `  deno run of an empty script   ${ms(own.empty)}       ${ms(service.empty)}\n` +
    `  PreToolUse Bash: git status   ${ms(own.bash)}       ${ms(service.bash)}\n` +
    `  PreToolUse Read (workspace)   ${ms(own.read)}       ${ms(service.read)}`,
);

// deno bench awaits only functions declared async.
Deno.bench(
  { name: "baseline: deno run empty.ts", group: "hook", baseline: true, n: RUNS },
  async () => {
    await baseline();
  },
);
Deno.bench({ name: "wt hook claude-code: Bash git status", group: "hook", n: RUNS }, async () => {
  await bash();
});
Deno.bench({ name: "wt hook claude-code: Read", group: "hook", n: RUNS }, async () => {
  await read();
});
