/**
 * Hook latency, process start to answer, as Claude Code and opencode pay it on every tool call:
 * the `wt` launcher (as `deno task install` writes it: bundled, default policy, ledger with
 * `sync: always`) running `wt hook claude-code` on a PreToolUse event, and `wt hook opencode` on
 * the event Watchtower's opencode plugin sends before a call, for `git status` in the shell and
 * for a read in the workspace, deciding in its own process and through the decision service
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

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const claude = (tool_name: string, tool_input: Record<string, unknown>) =>
  encode({
    session_id: "bench",
    transcript_path: `${box.home}/.claude/projects/work/bench.jsonl`,
    cwd: box.work,
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name,
    tool_input,
    tool_use_id: "toolu_bench",
  });
/** What the opencode plugin sends on tool.execute.before. */
const opencode = (tool: string, args: Record<string, unknown>) =>
  encode({
    event: "tool.execute.before",
    tool,
    sessionID: "ses_bench",
    callID: "call_bench",
    args,
    directory: box.work,
    worktree: box.work,
  });
const BASH = claude("Bash", { command: "git status", description: "Show working tree status" });
const READ = claude("Read", { file_path: `${box.work}/src/main.ts` });
const OC_BASH = opencode("bash", { command: "git status", description: "Shows status" });
const OC_READ = opencode("read", { filePath: `${box.work}/src/main.ts` });

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
  const allowed = /"permissionDecision":"allow"|^\{"decision":"allow"/.test(text);
  if (code !== 0 || (input && !allowed)) {
    throw new Error(`${program} exited ${code}: ${text}${new TextDecoder().decode(stderr)}`);
  }
}

const wt = `${box.bin}/wt`;
const CASES = {
  empty: () => run(Deno.execPath(), ["run", "-q", empty]),
  bash: () => run(wt, ["hook", "claude-code"], BASH),
  read: () => run(wt, ["hook", "claude-code"], READ),
  ocBash: () => run(wt, ["hook", "opencode"], OC_BASH),
  ocRead: () => run(wt, ["hook", "opencode"], OC_READ),
};
type Case = keyof typeof CASES;

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

/** Medians of interleaved runs of the baseline and every event. */
async function measure(): Promise<Record<Case, number[]>> {
  // Warm the module cache and the policy cache.
  for (const name of Object.keys(CASES) as Case[]) await CASES[name]();
  const times = Object.fromEntries(
    Object.keys(CASES).map((name) => [name, []]),
  ) as unknown as Record<
    Case,
    number[]
  >;
  for (let i = 0; i < RUNS; i++) {
    for (const name of Object.keys(CASES) as Case[]) times[name].push(await timed(CASES[name]));
  }
  return times;
}

const ms = (values: number[]) => `${median(values).toFixed(1)} ms`;
const own = await measure();
const stopService = await startService(box);
const service = await measure();
stopService();
const row = (label: string, name: Case) =>
  `  ${label.padEnd(40)}${ms(own[name]).padEnd(14)}${ms(service[name])}`;
console.log(
  `wt hook, process start to answer, median of ${RUNS} interleaved runs (target ≤ 35 ms):\n` +
    `                                          own process   through wt daemon\n` +
    [
      row("deno run of an empty script", "empty"),
      row("claude-code PreToolUse Bash: git status", "bash"),
      row("claude-code PreToolUse Read (workspace)", "read"),
      row("opencode before bash: git status", "ocBash"),
      row("opencode before read (workspace)", "ocRead"),
    ].join("\n"),
);

// deno bench awaits only functions declared async.
Deno.bench(
  { name: "baseline: deno run empty.ts", group: "hook", baseline: true, n: RUNS },
  async () => {
    await CASES.empty();
  },
);
Deno.bench({ name: "wt hook claude-code: Bash git status", group: "hook", n: RUNS }, async () => {
  await CASES.bash();
});
Deno.bench({ name: "wt hook claude-code: Read", group: "hook", n: RUNS }, async () => {
  await CASES.read();
});
Deno.bench({ name: "wt hook opencode: bash git status", group: "hook", n: RUNS }, async () => {
  await CASES.ocBash();
});
Deno.bench({ name: "wt hook opencode: read", group: "hook", n: RUNS }, async () => {
  await CASES.ocRead();
});
