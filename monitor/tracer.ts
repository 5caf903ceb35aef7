/**
 * Exec-time enforcement with ptrace: the monitor seizes a process and every thread and process
 * below it, follows forks, vforks and clones, and stops each one at exec — after the kernel has
 * loaded the new program, before it runs an instruction — to ask whether it may run. A denied
 * program is killed there. The loop runs on the tracer's own thread (ptrace requests must come
 * from the thread that attached), blocking in `waitpid` between events.
 * @module
 */
import { type Libc, PTRACE, PTRACE_EVENT, PTRACE_O, SIG, status } from "./libc.ts";
import { type ProcessFacts, processFacts, processTree, threadsOf } from "./procfs.ts";

/** What to do with a program stopped at exec. */
export type ExecVerdict = "run" | "kill";

/** Asked at each exec stop. */
export type ExecHandler = (facts: ProcessFacts) => ExecVerdict | Promise<ExecVerdict>;

/** Counts of what the tracer saw. */
export interface TracerStats {
  attached: number;
  execs: number;
  killed: number;
  forks: number;
}

/** Follows a process tree and decides each exec. */
export class Tracer {
  readonly #libc: Libc;
  readonly #onExec: ExecHandler;
  readonly #options: number;
  /** Threads being traced. */
  readonly traced = new Set<number>();
  readonly stats: TracerStats = { attached: 0, execs: 0, killed: 0, forks: 0 };

  /**
   * `exitKill`: the tree dies with the tracer (under `wt run`, so that nothing runs unwatched).
   */
  constructor(libc: Libc, onExec: ExecHandler, options: { exitKill?: boolean } = {}) {
    this.#libc = libc;
    this.#onExec = onExec;
    this.#options = PTRACE_O.TRACEEXEC | PTRACE_O.TRACEFORK | PTRACE_O.TRACEVFORK |
      PTRACE_O.TRACECLONE | (options.exitKill ? PTRACE_O.EXITKILL : 0);
  }

  /**
   * Seizes `pid` and everything below it (every thread of every process). Throws when `pid`
   * itself cannot be traced (gone, not permitted, already traced).
   */
  attach(pid: number): void {
    const tree = processTree(pid);
    for (const process of tree) {
      for (const tid of threadsOf(process)) {
        const result = this.#libc.ptrace(PTRACE.SEIZE, tid, 0n, BigInt(this.#options));
        if (result === 0) {
          this.traced.add(tid);
          this.stats.attached++;
        } else if (process === pid && tid === pid) {
          throw new Error(`cannot trace process ${pid}: ${describeErrno(-result)}`);
        }
      }
    }
  }

  /** Handles stops until no traced process is left. */
  async run(): Promise<void> {
    while (this.traced.size > 0) {
      const next = this.#libc.wait(true);
      if (next === undefined) break; // nothing left to wait for
      if (next === "none") continue;
      await this.#handle(next.pid, next.status);
    }
  }

  async #handle(pid: number, raw: number): Promise<void> {
    const libc = this.#libc;
    if (status.exited(raw) || status.signaled(raw)) {
      this.traced.delete(pid);
      return;
    }
    if (!status.stopped(raw)) return;
    this.traced.add(pid);
    const signal = status.stopSignal(raw);
    const event = status.event(raw);
    if (signal === SIG.TRAP && event === PTRACE_EVENT.EXEC) {
      this.stats.execs++;
      let verdict: ExecVerdict;
      try {
        verdict = await this.#onExec(processFacts(pid));
      } catch {
        verdict = "kill"; // a decision that failed is a denial
      }
      if (verdict === "kill") {
        this.stats.killed++;
        libc.kill(pid, SIG.KILL);
      }
      libc.ptrace(PTRACE.CONT, pid, 0n, 0n);
      return;
    }
    if (
      signal === SIG.TRAP &&
      (event === PTRACE_EVENT.FORK || event === PTRACE_EVENT.VFORK || event === PTRACE_EVENT.CLONE)
    ) {
      this.stats.forks++;
      const child = libc.eventMessage(pid);
      if (child !== undefined && child > 0) this.traced.add(child);
      libc.ptrace(PTRACE.CONT, pid, 0n, 0n);
      return;
    }
    if (event === PTRACE_EVENT.STOP) {
      // A group stop (SIGSTOP and friends) is kept with LISTEN; any other is a new child's start.
      const groupStop = signal === SIG.STOP || signal === SIG.TSTP || signal === SIG.TTIN ||
        signal === SIG.TTOU;
      libc.ptrace(groupStop ? PTRACE.LISTEN : PTRACE.CONT, pid, 0n, 0n);
      return;
    }
    // A signal on its way to the process: deliver it (SIGTRAP from our own events aside).
    libc.ptrace(PTRACE.CONT, pid, 0n, signal === SIG.TRAP ? 0n : BigInt(signal));
  }
}

function describeErrno(errno: number): string {
  switch (errno) {
    case 1:
      return "not permitted (EPERM: another user's process, Yama ptrace_scope, or no CAP_SYS_PTRACE)";
    case 3:
      return "no such process (ESRCH)";
    default:
      return `errno ${errno}`;
  }
}
