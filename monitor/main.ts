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
import { policyOptions, readEnv, resolveEnvironment } from "../core/config.ts";
import { Guard } from "../core/guard.ts";
import { Ledger } from "../core/ledger/writer.ts";
import { loadPolicyFast } from "../core/policy/cache.ts";
import { SessionTracker } from "../core/session/mod.ts";
import { ExecDecider } from "./decide.ts";
import { explainMechanisms } from "./explain.ts";
import { type Libc, openLibc, SIG } from "./libc.ts";
import { Poller, type ProcessSource, procSource, psSource } from "./poll.ts";
import { alive, type ProcessFacts, useProcReader } from "./procfs.ts";
import { type ExecVerdict, Tracer } from "./tracer.ts";

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
  --exit-kill       kill the watched tree if the monitor stops (what wt run uses; ptrace only)
  --mechanism M     auto (default: ptrace, else /proc polling, else ps, with a warning),
                    ptrace, poll (/proc) or ps (macOS, BSD)
  --poll-ms N       the polling interval (default 10)
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
        mechanism: { type: "string" },
        "poll-ms": { type: "string" },
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
  const wanted = values.mechanism ?? "auto";
  if (!["auto", "ptrace", "poll", "ps"].includes(wanted)) {
    console.error(`${name}: --mechanism takes auto, ptrace, poll or ps; see --help`);
    return 64;
  }
  // libc on Linux (ptrace, /proc through libc, kill); elsewhere only ps polling is possible.
  let libc: Libc | undefined;
  try {
    libc = openLibc();
    useProcReader(libc);
  } catch (error) {
    if (wanted !== "ps" && wanted !== "auto") {
      console.error(
        `${name}: cannot watch: ${
          error instanceof Error ? error.message : error
        } (wt monitor --explain)`,
      );
      return 69;
    }
  }
  const ps = ["/bin/ps", "/usr/bin/ps"].find((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
  if (!libc && !ps) {
    console.error(`${name}: cannot watch: neither libc (ptrace, /proc) nor ps is usable here`);
    return 69;
  }
  if (libc && !alive(pid)) {
    console.error(`${name}: process ${pid} does not exist (or has exited)`);
    return 64;
  }
  const env = resolveEnvironment(readEnv, Deno.cwd());
  let guard: Guard;
  try {
    const profilesDir = decodeURIComponent(new URL("../profiles", import.meta.url).pathname);
    const policy = await loadPolicyFast(
      policyOptions(env, profilesDir, { profiles: values.profile, policyFile: values.policy }),
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
  const holder: { watched?: () => Iterable<number> } = {};
  const decider = new ExecDecider({
    guard,
    env,
    ledger,
    approvals,
    session: () => sessions.view(),
    watched: () => holder.watched?.() ?? [],
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
  const onExec = async (facts: ProcessFacts): Promise<ExecVerdict> => {
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
  };
  // ptrace where the kernel allows it; else polling, said loudly (--mechanism to choose).
  const intervalMs = Number(values["poll-ms"] ?? 10);
  const tracer = libc
    ? new Tracer(libc, onExec, { exitKill: values["exit-kill"] === true })
    : undefined;
  let poller: Poller | undefined;
  const poll = (source: ProcessSource) => (poller = new Poller(source, onExec, intervalMs));
  const fallback = libc ? () => poll(procSource(libc!)) : () => poll(psSource(ps!));
  if (wanted === "poll" && libc) poll(procSource(libc));
  else if (wanted === "ps" || !tracer) {
    if (!ps) {
      console.error(`${name}: cannot watch: ps is not found (/bin/ps, /usr/bin/ps)`);
      return 69;
    }
    poll(psSource(ps));
    if (wanted === "auto") {
      console.error(
        `${name}: WARNING: no ptrace here (${Deno.build.os}); watching with ps polling, best effort: it acts after the fact and misses programs shorter than a poll`,
      );
    }
  } else {
    try {
      tracer.attach(pid);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      if (wanted === "ptrace" || values["exit-kill"]) {
        console.error(`${name}: ${why}`);
        return 69;
      }
      console.error(
        `${name}: WARNING: ${why}; falling back to /proc polling, which acts after the fact and misses programs shorter than a poll (docs/monitor.md)`,
      );
      fallback();
    }
  }
  const mechanism = poller ? poller.mechanism : "ptrace";
  holder.watched = () => poller ? poller.traced : tracer!.traced;
  const stats = () => poller ? poller.stats : tracer!.stats;
  try {
    record({ type: "monitor.start", pid, mechanism, threads: stats().attached });
  } catch (error) {
    console.error(
      `${name}: cannot write the ledger: ${error instanceof Error ? error.message : error}`,
    );
    return 78;
  }
  emit(
    { watching: pid, mechanism, threads: stats().attached },
    `watching ${pid} (${stats().attached} threads) with ${mechanism}`,
  );
  if (poller) {
    await poller.run(pid, (victim) => {
      if (libc) libc.kill(victim, SIG.KILL);
      else {
        try {
          Deno.kill(victim, "SIGKILL");
        } catch {
          // gone, or not ours to kill
        }
      }
    });
  } else await tracer!.run();
  const summary = { ...stats(), mechanism, cpu_ms: libc ? cpuMs(libc) : null };
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

/** CPU time this process used (user + system, in ms), from /proc/self/stat. */
function cpuMs(libc: { readFile(path: string): Uint8Array | undefined }): number | null {
  const bytes = libc.readFile("/proc/self/stat");
  if (!bytes) return null;
  const fields = new TextDecoder().decode(bytes).split(") ")[1]?.split(" ");
  if (!fields) return null;
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
  return Math.round(ticks * 10); // USER_HZ is 100 on Linux
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
