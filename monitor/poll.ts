/**
 * The fallback where ptrace is refused: polling `/proc` for the watched tree. Every interval the
 * monitor lists the processes, finds those below the watched pid that it has not seen yet (or
 * whose command line changed: an exec), decides each and kills the denied ones. It acts after the
 * fact: a program that starts and ends between two polls is never seen, and one that is seen has
 * already run for up to an interval. docs/monitor.md gives the measured catch rate.
 * @module
 */
import type { ProcessFacts } from "./procfs.ts";
import { alive, commandLine, processFacts, statusFacts } from "./procfs.ts";
import type { ExecHandler, TracerStats } from "./tracer.ts";

/** Reads procfs listings (the monitor's libc reader). */
export interface PollReader {
  listDir(path: string): string[] | undefined;
}

/** Watches a tree by polling /proc. */
export class Poller {
  readonly #reader: PollReader;
  readonly #onExec: ExecHandler;
  readonly #intervalMs: number;
  /** pid → the command line last decided. */
  readonly #seen = new Map<number, string>();
  readonly stats: TracerStats = { attached: 0, execs: 0, killed: 0, forks: 0 };
  /** The processes of the tree at the last poll. */
  traced = new Set<number>();

  constructor(reader: PollReader, onExec: ExecHandler, intervalMs = 10) {
    this.#reader = reader;
    this.#onExec = onExec;
    this.#intervalMs = intervalMs;
  }

  /** Polls until the watched process and everything below it are gone. */
  async run(root: number, killOnKill: (pid: number) => void): Promise<void> {
    this.stats.attached = 1;
    while (true) {
      const tree = this.#tree(root);
      if (tree.length === 0) return;
      this.traced = new Set(tree);
      for (const pid of tree) {
        const argv = commandLine(pid);
        if (argv.length === 0) continue;
        const key = argv.join("\0");
        if (this.#seen.get(pid) === key) continue;
        if (!this.#seen.has(pid)) this.stats.forks++;
        this.#seen.set(pid, key);
        if (pid === root && this.stats.execs === 0) {
          this.stats.execs++;
          continue; // the watched process itself was running before the monitor
        }
        this.stats.execs++;
        const facts: ProcessFacts = processFacts(pid);
        let verdict;
        try {
          verdict = await this.#onExec(facts);
        } catch {
          verdict = "kill" as const;
        }
        if (verdict === "kill") {
          this.stats.killed++;
          killOnKill(pid);
        }
      }
      for (const pid of this.#seen.keys()) if (!this.traced.has(pid)) this.#seen.delete(pid);
      await new Promise((resolve) => setTimeout(resolve, this.#intervalMs));
    }
  }

  /** `root` and its descendants that are alive now (orphans of the tree stay in it). */
  #tree(root: number): number[] {
    const children = new Map<number, number[]>();
    for (const name of this.#reader.listDir("/proc") ?? []) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      const { ppid } = statusFacts(pid);
      if (ppid === undefined) continue;
      const list = children.get(ppid) ?? [];
      list.push(pid);
      children.set(ppid, list);
    }
    const tree: number[] = [];
    // Orphans reparented to init (or a subreaper) stay watched: start from what was seen too.
    const queue = [root, ...[...this.#seen.keys()].filter((pid) => pid !== root)];
    const visited = new Set<number>();
    while (queue.length > 0) {
      const pid = queue.shift()!;
      if (visited.has(pid)) continue;
      visited.add(pid);
      if (!alive(pid)) continue;
      tree.push(pid);
      queue.push(...(children.get(pid) ?? []));
    }
    return tree;
  }
}
