/**
 * How the monitor decides a program stopped at exec: its command line goes through the command
 * guard (the same analysis and rules as `wt sh`: sudo, chmod 777, chown root, systemctl, iptables,
 * useradd, mount, package installs, `sh -c 'curl … | sh'`, …), plus what only the process tree
 * shows — a download piped into a shell across two processes. A program that is not allowed is
 * killed and the block recorded with the full command, pid, parent, uid/euid and rule; an
 * escalation becomes a pending request, and once approved the same command passes once.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import { failClosed, type Guard, type GuardDecision, type SessionView } from "../core/guard.ts";
import { type Intent, permits } from "../core/intent.ts";
import { decisionRecord } from "../core/ledger/records.ts";
import type { Ledger } from "../core/ledger/writer.ts";
import { combine, decideArgv, type LineDecision } from "../core/shell_guard/mod.ts";
import { commandLine, environ, type ProcessFacts, readLink } from "./procfs.ts";
import type { ExecVerdict } from "./tracer.ts";

/** Programs that download. */
const DOWNLOADERS = new Set(["curl", "wget", "fetch", "aria2c", "nc", "ncat", "socat", "http"]);
/** Programs that run code read from stdin when given no script. */
const SHELLS = new Set([
  "sh",
  "bash",
  "dash",
  "zsh",
  "ksh",
  "mksh",
  "fish",
  "ash",
  "busybox",
  "python",
  "python3",
  "perl",
  "ruby",
  "node",
  "php",
  "lua",
  "deno",
  "bun",
]); // deno-fmt-ignore

/** Reviews escalations (signed grants pass once; others become pending requests). */
export interface ExecApprovals {
  review(intent: Intent, decision: GuardDecision, info?: { zone?: string }): Promise<GuardDecision>;
}

/** What deciding an exec needs. */
export interface ExecDeciderOptions {
  guard: Guard;
  env: WatchtowerEnvironment;
  ledger: Ledger;
  approvals?: ExecApprovals | undefined;
  /** The session, read at each exec (others advance it); throws when it is unusable. */
  session?: () => SessionView | undefined;
  /** The processes being watched (for the pipe check). */
  watched: () => Iterable<number>;
  /** Record allowed programs too (not durable), not only blocks. */
  auditAll?: boolean;
  /** Told about each block (one line for the operator). */
  onBlock?: (facts: ProcessFacts, decided: LineDecision) => void;
}

/** A program name without its directory. */
function base(path: string | undefined): string {
  if (!path) return "";
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Whether an interpreter reads its program from stdin (no script or -c/-e argument given). */
function readsProgramFromStdin(argv: readonly string[]): boolean {
  const rest = argv.slice(1);
  if (
    rest.some((arg) => arg === "-c" || arg === "-e" || arg === "-E" || /^-[a-zA-Z]*c$/.test(arg))
  ) {
    return false;
  }
  const operands = rest.filter((arg) => !arg.startsWith("-") || arg === "-");
  return operands.length === 0 || operands[0] === "-" || rest.includes("-s");
}

/** Decides programs at exec for the monitor. */
export class ExecDecider {
  readonly #options: ExecDeciderOptions;

  constructor(options: ExecDeciderOptions) {
    this.#options = options;
  }

  /** Decides, records (blocks always) and answers run or kill. */
  async decide(facts: ProcessFacts): Promise<ExecVerdict> {
    const { guard, env, ledger, approvals } = this.#options;
    if (facts.argv.length === 0) return "run"; // gone already, or a kernel thread
    const session = this.#options.session?.();
    const processEnv: WatchtowerEnvironment = { ...env, cwd: facts.cwd ?? "/" };
    let decided = decideArgv(facts.argv, { guard, env: processEnv, tool: "wt-monitor", session });
    const piped = this.#pipedDownload(facts);
    if (piped) {
      const part = decided.parts[0]!;
      decided = combine(decided.line, [...decided.parts, {
        ...part,
        decision: {
          ...failClosed("boundary", piped),
          matched_rules: ["monitor-download-piped-into-shell"],
          risk_level: "critical",
        },
      }], { parsed: decided.parsed });
    }
    if (approvals && decided.parts.some((p) => p.decision.verdict === "escalate")) {
      const zone = session?.zone ?? "SAFE";
      const parts = await Promise.all(decided.parts.map(async (part) => ({
        ...part,
        decision: await approvals.review(part.intent, part.decision, { zone }),
      })));
      decided = combine(decided.line, parts, { parsed: decided.parsed });
    }
    const runs = permits(decided.verdict);
    const process = {
      pid: facts.pid,
      ppid: facts.ppid ?? null,
      uid: facts.uid ?? null,
      euid: facts.euid ?? null,
      exe: facts.exe ?? null,
      cwd: facts.cwd ?? null,
    };
    const link = guardedBy(facts.pid);
    if (!runs || this.#options.auditAll) {
      const records = decided.parts.map((part) => {
        const intent: Intent = {
          ...part.intent,
          target: { ...part.intent.target, argv_full: facts.argv.slice(0, 256) },
          context: { ...part.intent.context, pid: facts.pid },
        };
        const record = decisionRecord(intent, part.decision);
        record.annotations = {
          ...record.annotations,
          process,
          action: runs ? "allowed" : "killed",
          ...(link !== undefined ? { guarded_by_seq: link } : {}),
        };
        return record;
      });
      try {
        ledger.appendSync(records, { durable: !runs });
      } catch {
        // A block stands even when it cannot be recorded; an allow that cannot be is a block.
        if (runs) return "kill";
      }
    }
    if (!runs) this.#options.onBlock?.(facts, decided);
    return runs ? "run" : "kill";
  }

  /**
   * `curl URL | sh` across two processes: an interpreter reading its program from a pipe whose
   * writer is a downloader, or a downloader writing into a pipe an interpreter reads.
   */
  #pipedDownload(facts: ProcessFacts): string | undefined {
    const name = base(facts.exe ?? facts.argv[0]);
    const argvName = base(facts.argv[0]);
    const isShell = SHELLS.has(argvName) || SHELLS.has(name) || /^python3?\.\d+$/.test(name);
    const isDownloader = DOWNLOADERS.has(argvName) || DOWNLOADERS.has(name);
    if (isShell && facts.stdin?.startsWith("pipe:") && readsProgramFromStdin(facts.argv)) {
      const writer = this.#peer(facts.pid, facts.stdin, 1);
      if (writer && DOWNLOADERS.has(base(writer[0]))) {
        return `${argvName} would run what ${base(writer[0])} downloads (${
          writer.join(" ").slice(0, 200)
        } | ${facts.argv.join(" ").slice(0, 100)})`;
      }
    }
    if (isDownloader && facts.stdout?.startsWith("pipe:")) {
      const reader = this.#peer(facts.pid, facts.stdout, 0);
      if (reader && SHELLS.has(base(reader[0])) && readsProgramFromStdin(reader)) {
        return `${argvName}'s download would be run by ${base(reader[0])} (${
          facts.argv.join(" ").slice(0, 200)
        } | ${reader.join(" ").slice(0, 100)})`;
      }
    }
    return undefined;
  }

  /** The command line of another watched process with `pipe` as its fd `fd`. */
  #peer(self: number, pipe: string, fd: 0 | 1): string[] | undefined {
    for (const pid of this.#options.watched()) {
      if (pid === self) continue;
      const target = readLink(`/proc/${pid}/fd/${fd}`);
      if (target === pipe) {
        const argv = commandLine(pid);
        if (argv.length > 0) return argv;
      }
    }
    return undefined;
  }
}

/** The guarded decision that started a process, from its environment (`WATCHTOWER_DECISION`). */
function guardedBy(pid: number): number | undefined {
  const text = environ(pid);
  const match = text ? /(?:^|\0)WATCHTOWER_DECISION=(\d+)(?:\0|$)/.exec(text) : null;
  return match ? Number(match[1]) : undefined;
}
