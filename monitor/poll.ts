/**
 * The fallbacks where ptrace is refused or absent: polling the process table for the watched
 * tree — `/proc` on Linux, `ps` elsewhere (macOS, BSD). Every interval the monitor lists the
 * processes, finds those below the watched pid that it has not seen yet (or whose command line
 * changed: an exec), decides each and kills the denied ones. It acts after the fact: a program
 * that starts and ends between two polls is never seen, and one that is seen has already run for
 * up to an interval. docs/monitor.md gives the measured catch rate.
 * @module
 */
import { alive, commandLine, type ProcessFacts, processFacts, statusFacts } from "./procfs.ts";
import type { ExecHandler, TracerStats } from "./tracer.ts";

/** One process in a listing. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  argv: string[];
  uid?: number;
}

/** Where the process table comes from. */
export interface ProcessSource {
  readonly name: "proc-polling" | "ps-polling";
  list(): Promise<ProcessEntry[]> | ProcessEntry[];
  /** What the monitor decides on, for a listed process. */
  facts(entry: ProcessEntry): ProcessFacts;
}

/** The process table from /proc (through the monitor's libc reader). */
export function procSource(reader: { listDir(path: string): string[] | undefined }): ProcessSource {
  return {
    name: "proc-polling",
    list() {
      const entries: ProcessEntry[] = [];
      for (const name of reader.listDir("/proc") ?? []) {
        const pid = Number(name);
        if (!Number.isInteger(pid) || pid <= 0) continue;
        const { ppid } = statusFacts(pid);
        if (ppid === undefined || !alive(pid)) continue;
        entries.push({ pid, ppid, argv: commandLine(pid) });
      }
      return entries;
    },
    facts: (entry) => processFacts(entry.pid),
  };
}

/** Parses `ps -axo pid=,ppid=,uid=,args=` output (arguments split on blanks: best effort). */
export function parsePs(text: string): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const line of text.split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    entries.push({
      pid: Number(match[1]),
      ppid: Number(match[2]),
      uid: Number(match[3]),
      argv: match[4]!.trim().split(/\s+/).filter(Boolean),
    });
  }
  return entries;
}

/** The process table from `ps` (macOS, BSD; Linux too), at the absolute path `ps`. */
export function psSource(ps: string): ProcessSource {
  return {
    name: "ps-polling",
    async list() {
      const out = await new Deno.Command(ps, {
        args: ["-axo", "pid=,ppid=,uid=,args="],
        clearEnv: true,
        stdout: "piped",
        stderr: "null",
      }).output();
      return parsePs(new TextDecoder().decode(out.stdout));
    },
    facts: (entry) => ({
      pid: entry.pid,
      ppid: entry.ppid,
      uid: entry.uid,
      euid: undefined,
      argv: entry.argv,
      exe: undefined,
      cwd: undefined,
      stdin: undefined,
      stdout: undefined,
    }),
  };
}

/** Watches a tree by polling a process table. */
export class Poller {
  readonly #source: ProcessSource;
  readonly #onExec: ExecHandler;
  readonly #intervalMs: number;
  /** pid → the command line last decided. */
  readonly #seen = new Map<number, string>();
  readonly stats: TracerStats = { attached: 0, execs: 0, killed: 0, forks: 0 };
  /** The processes of the tree at the last poll. */
  traced = new Set<number>();

  /** Which table this poller reads. */
  get mechanism(): ProcessSource["name"] {
    return this.#source.name;
  }

  constructor(source: ProcessSource, onExec: ExecHandler, intervalMs = 10) {
    this.#source = source;
    this.#onExec = onExec;
    this.#intervalMs = intervalMs;
  }

  /** Polls until the watched process and everything below it are gone. */
  async run(root: number, kill: (pid: number) => void): Promise<void> {
    this.stats.attached = 1;
    while (true) {
      const listing = await this.#source.list();
      const tree = this.#tree(root, listing);
      if (tree.length === 0) return;
      this.traced = new Set(tree.map((entry) => entry.pid));
      for (const entry of tree) {
        if (entry.argv.length === 0) continue;
        const key = entry.argv.join("\0");
        if (this.#seen.get(entry.pid) === key) continue;
        if (!this.#seen.has(entry.pid)) this.stats.forks++;
        const first = !this.#seen.has(root);
        this.#seen.set(entry.pid, key);
        this.stats.execs++;
        // The watched process itself was running before the monitor: not decided.
        if (entry.pid === root && first) continue;
        let verdict;
        try {
          verdict = await this.#onExec(this.#source.facts(entry));
        } catch {
          verdict = "kill" as const;
        }
        if (verdict === "kill") {
          this.stats.killed++;
          kill(entry.pid);
        }
      }
      for (const pid of this.#seen.keys()) if (!this.traced.has(pid)) this.#seen.delete(pid);
      await new Promise((resolve) => setTimeout(resolve, this.#intervalMs));
    }
  }

  /** `root` and its descendants in `listing` (orphans of the tree, reparented, stay in it). */
  #tree(root: number, listing: readonly ProcessEntry[]): ProcessEntry[] {
    const byPid = new Map(listing.map((entry) => [entry.pid, entry]));
    const children = new Map<number, ProcessEntry[]>();
    for (const entry of listing) {
      const list = children.get(entry.ppid) ?? [];
      list.push(entry);
      children.set(entry.ppid, list);
    }
    const tree: ProcessEntry[] = [];
    const queue = [root, ...[...this.#seen.keys()].filter((pid) => pid !== root)];
    const visited = new Set<number>();
    while (queue.length > 0) {
      const pid = queue.shift()!;
      if (visited.has(pid)) continue;
      visited.add(pid);
      const entry = byPid.get(pid);
      if (!entry) continue;
      tree.push(entry);
      queue.push(...(children.get(pid) ?? []).map((child) => child.pid));
    }
    return tree;
  }
}
