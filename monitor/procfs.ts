/**
 * What the monitor reads about a process from `/proc`: its command line, program, working
 * directory, parent, user ids and standard streams, and the process tree under a pid. Every read
 * tolerates the process having gone (it may exit at any moment): missing facts are undefined.
 * Reads go through a {@link ProcReader} (libc in the monitor: Deno wants --allow-all for /proc).
 * @module
 */

/** Reads procfs: files, links and directory listings; undefined when they cannot be read. */
export interface ProcReader {
  readFile(path: string, maxBytes?: number): Uint8Array | undefined;
  readLink(path: string): string | undefined;
  listDir(path: string): string[] | undefined;
}

let reader: ProcReader = {
  readFile: (path) => {
    try {
      return Deno.readFileSync(path);
    } catch {
      return undefined;
    }
  },
  readLink: (path) => {
    try {
      return Deno.readLinkSync(path);
    } catch {
      return undefined;
    }
  },
  listDir: (path) => {
    try {
      return [...Deno.readDirSync(path)].map((entry) => entry.name);
    } catch {
      return undefined;
    }
  },
};

/** Makes every procfs read go through `procReader` (the monitor passes its libc). */
export function useProcReader(procReader: ProcReader): void {
  reader = procReader;
}

/** The facts of one process at exec time. */
export interface ProcessFacts {
  pid: number;
  ppid: number | undefined;
  uid: number | undefined;
  euid: number | undefined;
  /** The command line, as the kernel has it (NUL-separated arguments). */
  argv: string[];
  /** The program file (`/proc/PID/exe`). */
  exe: string | undefined;
  cwd: string | undefined;
  /** What stdin and stdout are (`pipe:[N]`, a path, `socket:[N]`). */
  stdin: string | undefined;
  stdout: string | undefined;
}

const decoder = new TextDecoder();

function readText(path: string): string | undefined {
  const bytes = reader.readFile(path);
  return bytes ? decoder.decode(bytes) : undefined;
}

/** A link under /proc (`/proc/PID/fd/0`, `/proc/PID/exe`). */
export function readLink(path: string): string | undefined {
  return reader.readLink(path);
}

/** The environment of `pid` (NUL-separated), or undefined. */
export function environ(pid: number): string | undefined {
  return readText(`/proc/${pid}/environ`);
}

/** The command line of `pid` (empty when it cannot be read). */
export function commandLine(pid: number): string[] {
  const raw = readText(`/proc/${pid}/cmdline`);
  if (!raw) return [];
  const parts = raw.split("\0");
  if (parts.at(-1) === "") parts.pop();
  return parts;
}

/** The parent, uid and euid from `/proc/PID/status`. */
export function statusFacts(pid: number): { ppid?: number; uid?: number; euid?: number } {
  const text = readText(`/proc/${pid}/status`);
  if (!text) return {};
  const ppid = /^PPid:\s+(\d+)/m.exec(text);
  const uid = /^Uid:\s+(\d+)\s+(\d+)/m.exec(text);
  return {
    ...(ppid ? { ppid: Number(ppid[1]) } : {}),
    ...(uid ? { uid: Number(uid[1]), euid: Number(uid[2]) } : {}),
  };
}

/** Everything the monitor decides on, for a process stopped at exec. */
export function processFacts(pid: number): ProcessFacts {
  const { ppid, uid, euid } = statusFacts(pid);
  return {
    pid,
    ppid,
    uid,
    euid,
    argv: commandLine(pid),
    exe: readLink(`/proc/${pid}/exe`),
    cwd: readLink(`/proc/${pid}/cwd`),
    stdin: readLink(`/proc/${pid}/fd/0`),
    stdout: readLink(`/proc/${pid}/fd/1`),
  };
}

/** The threads of `pid` (its task ids). */
export function threadsOf(pid: number): number[] {
  return (reader.listDir(`/proc/${pid}/task`) ?? []).map(Number)
    .filter((tid) => Number.isInteger(tid));
}

/** `pid` and every process below it now, parents before children. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of reader.listDir("/proc") ?? []) {
    const child = Number(name);
    if (!Number.isInteger(child) || child <= 0) continue;
    const { ppid } = statusFacts(child);
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(child);
    children.set(ppid, list);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** Whether a process exists (and is not a zombie). */
export function alive(pid: number): boolean {
  const text = readText(`/proc/${pid}/stat`);
  if (!text) return false;
  const state = /\) (\S)/.exec(text)?.[1];
  return state !== undefined && state !== "Z" && state !== "X";
}
