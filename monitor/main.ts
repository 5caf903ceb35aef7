/**
 * `wt-monitor` (also `wt monitor`, `wt root-monitor`): watches a process and everything below it
 * and stops root-level operations as they happen — each program is decided at exec, before it
 * runs an instruction, and killed if the policy does not let it run.
 *
 * Prints `wt-monitor: watching PID (N threads) with ptrace` when attached and a summary when the
 * tree is gone.
 * @module
 */
import { parseArgs } from "node:util";
import { adapterApprovals } from "../core/approvals/mod.ts";
import { policyOptions, resolveEnvironment } from "../core/config.ts";
import { Guard } from "../core/guard.ts";
import { Ledger } from "../core/ledger/writer.ts";
import { loadPolicyFast } from "../core/policy/cache.ts";
import { SessionTracker } from "../core/session/mod.ts";
import { ExecDecider } from "./decide.ts";
import { explainMechanisms } from "./explain.ts";
import { openLibc } from "./libc.ts";
import { alive, useProcReader } from "./procfs.ts";
import { Tracer } from "./tracer.ts";

const USAGE = `Usage: wt-monitor --pid PID [options]     (also: wt monitor, wt root-monitor)

Watches PID and every process below it (forks, vforks, clones followed) and decides each program
at exec, before it runs: sudo/su/doas, chmod 777 and +s, chown to root, systemctl enable/start,
iptables/nft/ufw, useradd/usermod/passwd, mount, package installs, downloads piped into shells,
and whatever the policy and profiles add. A program that may not run is killed and the block
recorded in the ledger (command, pid, parent, uid/euid, rule). An escalated program is killed
and becomes a pending request; after wt approve KEY the same command passes once.

Options:
  --pid PID         the process to watch (with its descendants)
  --profile NAME    apply a profile (repeatable), e.g. coding-agent
  --policy FILE     use this policy file instead of the state directory's
  --audit-all       record every program (not only blocks)
  --exit-kill       kill the watched tree if the monitor stops (what wt run uses)
  --explain         say which mechanism would be used here, and why, then exit
  --json            print the ready line, blocks and the summary as JSON lines
  -h, --help        show this help

Mechanism: ptrace (Linux): complete coverage of the tree. Where ptrace is not permitted the
monitor says so and exits 69; it never watches nothing silently (docs/monitor.md).

Exit codes: 0 the tree is gone, 64 usage, 69 no mechanism here, 78 configuration error.`;

/** Runs the monitor with `argv`; returns the exit code when the watched tree is gone. */
export async function runMonitor(argv: readonly string[], name = "wt-monitor"): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        pid: { type: "string" },
        profile: { type: "string", multiple: true },
        policy: { type: "string" },
        "audit-all": { type: "boolean" },
        "exit-kill": { type: "boolean" },
        explain: { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    console.error(`${name}: ${error instanceof Error ? error.message : error}; see --help`);
    return 64;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.explain) {
    const report = explainMechanisms();
    console.log(values.json ? JSON.stringify(report) : report.text);
    return report.chosen ? 0 : 69;
  }
  const pid = Number(values.pid);
  if (values.pid === undefined || !Number.isInteger(pid) || pid <= 1) {
    console.error(`${name}: --pid takes the id of the process to watch (more than 1); see --help`);
    return 64;
  }
  let libc;
  try {
    libc = openLibc();
  } catch (error) {
    console.error(
      `${name}: cannot watch: ${
        error instanceof Error ? error.message : error
      } (wt monitor --explain)`,
    );
    return 69;
  }
  useProcReader(libc);
  if (!alive(pid)) {
    console.error(`${name}: process ${pid} does not exist (or has exited)`);
    return 64;
  }
  const env = resolveEnvironment(readEnv, Deno.cwd());
  let guard: Guard;
  try {
    const options = {
      ...policyOptions(env, decodeURIComponent(new URL("../profiles", import.meta.url).pathname)),
      profiles: values.profile ?? [],
    };
    const policyFile = values.policy ?? env.policyFile;
    const policy = await loadPolicyFast(
      policyFile !== undefined ? { ...options, policyFile } : options,
    );
    // No GTFOBins annotator: a shell a program escapes to is itself an exec the monitor decides.
    guard = new Guard(policy);
  } catch (error) {
    console.error(`${name}: ${error instanceof Error ? error.message : error}`);
    return 78;
  }
  const ledger = new Ledger(env.stateDir);
  const record = (event: { type: string } & Record<string, unknown>) =>
    ledger.appendSync([{ data: { event } }]);
  const sessions = new SessionTracker(env.stateDir, env.session);
  const approvals = adapterApprovals(env, readEnv, record, guard.policy);
  const emit = (value: Record<string, unknown>, text: string) =>
    console.log(values.json ? JSON.stringify(value) : `${name}: ${text}`);
  const holder: { tracer?: Tracer } = {};
  const decider = new ExecDecider({
    guard,
    env,
    ledger,
    approvals,
    session: () => sessions.view(),
    watched: () => holder.tracer?.traced ?? [],
    auditAll: values["audit-all"] === true,
    onBlock: (facts, decided) =>
      emit(
        {
          blocked: facts.argv,
          pid: facts.pid,
          ppid: facts.ppid,
          rule: decided.decision.matched_rules,
        },
        `killed ${facts.pid} (${facts.argv.join(" ").slice(0, 200)}): ${decided.decision.detail}`,
      ),
  });
  const tracer = new Tracer(libc, async (facts) => {
    try {
      return await decider.decide(facts);
    } catch (error) {
      // No usable session: nothing runs (recorded as a deny).
      const reason = error instanceof Error ? error.message : String(error);
      try {
        ledger.appendSync([{
          data: {
            event: { type: "monitor.refused", pid: facts.pid, argv: facts.argv, reason },
          },
        }]);
      } catch {
        // the kill stands
      }
      return "kill";
    }
  }, { exitKill: values["exit-kill"] === true });
  holder.tracer = tracer;
  try {
    tracer.attach(pid);
  } catch (error) {
    console.error(`${name}: ${error instanceof Error ? error.message : error}`);
    return 69;
  }
  try {
    record({ type: "monitor.start", pid, mechanism: "ptrace", threads: tracer.stats.attached });
  } catch (error) {
    console.error(
      `${name}: cannot write the ledger: ${error instanceof Error ? error.message : error}`,
    );
    return 78;
  }
  emit(
    { watching: pid, mechanism: "ptrace", threads: tracer.stats.attached },
    `watching ${pid} (${tracer.stats.attached} threads) with ptrace`,
  );
  await tracer.run();
  const summary = { ...tracer.stats };
  try {
    record({ type: "monitor.stop", pid, ...summary });
  } catch {
    // the summary is printed anyway
  }
  emit(
    { done: pid, ...summary },
    `done: ${summary.execs} programs, ${summary.killed} killed, ${summary.forks} forks`,
  );
  return 0;
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

if (import.meta.main) {
  if (Deno.env.get("DENO_PERMISSION_BROKER_PATH") !== undefined) {
    console.error(
      "wt-monitor: DENO_PERMISSION_BROKER_PATH is set, which would override its permissions; unset it",
    );
    Deno.exit(78);
  }
  Deno.exit(await runMonitor(Deno.args));
}
