/**
 * The few libc calls the monitor needs, through Deno FFI: ptrace, waitpid, kill and prctl (Linux
 * only). Numbers are from the Linux UAPI headers (x86_64 and aarch64 agree on all of them).
 * @module
 */
import { LIBC_PATHS } from "../core/platform.ts";

/** ptrace requests. */
export const PTRACE = {
  CONT: 7,
  DETACH: 17,
  SETOPTIONS: 0x4200,
  GETEVENTMSG: 0x4201,
  SEIZE: 0x4206,
  INTERRUPT: 0x4207,
  LISTEN: 0x4208,
} as const;

/** ptrace options (PTRACE_O_*). */
export const PTRACE_O = {
  TRACESYSGOOD: 0x1,
  TRACEFORK: 0x2,
  TRACEVFORK: 0x4,
  TRACECLONE: 0x8,
  TRACEEXEC: 0x10,
  EXITKILL: 0x100000,
} as const;

/** ptrace stop events (status >> 16). */
export const PTRACE_EVENT = { FORK: 1, VFORK: 2, CLONE: 3, EXEC: 4, STOP: 128 } as const;

/** Signals the monitor deals with. */
export const SIG = {
  KILL: 9,
  TRAP: 5,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  CHLD: 17,
} as const;

const WALL = 0x40000000;
const WNOHANG = 1;
const EINTR = 4;
const ECHILD = 10;
const PR_SET_CHILD_SUBREAPER = 36;
const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const PR_SET_NO_NEW_PRIVS = 38;

/** A wait result: which thread changed state and its raw status. */
export interface WaitResult {
  pid: number;
  status: number;
}

/** What libc gives the monitor. */
export interface Libc {
  /** ptrace(request, pid, addr, data); returns 0 or -errno. */
  ptrace(request: number, pid: number, addr: bigint, data: bigint): number;
  /** The event message of the last stop (e.g. the new pid after a fork event). */
  eventMessage(pid: number): number | undefined;
  /** waitpid(-1, …, __WALL); undefined when there is nothing to wait for (ECHILD). */
  wait(block: boolean): WaitResult | undefined | "none";
  /** kill(pid, sig); 0 or -errno. */
  kill(pid: number, signal: number): number;
  /** prctl(PR_SET_CHILD_SUBREAPER, 1). */
  setChildSubreaper(): number;
  /** prctl(PR_SET_NO_NEW_PRIVS, 1). */
  setNoNewPrivs(): number;
  /** The last errno. */
  errno(): number;
  /**
   * Reads a whole file with open/read/close: Deno asks for --allow-all before it reads anything
   * under /proc, so the monitor reads procfs through libc. Undefined when it cannot be read.
   */
  readFile(path: string, maxBytes?: number): Uint8Array | undefined;
  /** readlink(2); undefined when it is not a link or cannot be read. */
  readLink(path: string): string | undefined;
  /** The names in a directory (without . and ..); undefined when it cannot be listed. */
  listDir(path: string): string[] | undefined;
}

/** Decodes wait statuses (the W* macros). */
export const status = {
  exited: (s: number) => (s & 0x7f) === 0,
  signaled: (s: number) => (s & 0x7f) !== 0 && (s & 0x7f) !== 0x7f,
  stopped: (s: number) => (s & 0xff) === 0x7f,
  stopSignal: (s: number) => (s >> 8) & 0xff,
  event: (s: number) => (s >>> 16) & 0xffff,
};

/** Opens libc, or throws saying why the monitor cannot use it here. */
export function openLibc(): Libc {
  if (Deno.build.os !== "linux") {
    throw new Error(`ptrace needs Linux (this is ${Deno.build.os})`);
  }
  let lastError: unknown;
  for (const path of LIBC_PATHS) {
    try {
      Deno.statSync(path);
    } catch {
      continue;
    }
    try {
      return bind(path);
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(
    `cannot load libc (${LIBC_PATHS.join(", ")})${
      lastError instanceof Error ? `: ${lastError.message}` : ""
    }`,
  );
}

function bind(path: string): Libc {
  const lib = Deno.dlopen(path, {
    ptrace: { parameters: ["i64", "i32", "u64", "u64"], result: "i64" },
    // The same call with a buffer for `data` (PTRACE_GETEVENTMSG writes the message there).
    ptraceInto: { name: "ptrace", parameters: ["i64", "i32", "u64", "buffer"], result: "i64" },
    // Copies from a pointer libc returned into our buffer: reading memory through
    // Deno.UnsafePointerView needs an unscoped --allow-ffi, which the monitor does not have.
    memcpy: { parameters: ["buffer", "pointer", "usize"], result: "pointer" },
    waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
    kill: { parameters: ["i32", "i32"], result: "i32" },
    prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
    __errno_location: { parameters: [], result: "pointer" },
    open: { parameters: ["buffer", "i32"], result: "i32" },
    read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    close: { parameters: ["i32"], result: "i32" },
    readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
    opendir: { parameters: ["buffer"], result: "pointer" },
    readdir64: { parameters: ["pointer"], result: "pointer" },
    closedir: { parameters: ["pointer"], result: "i32" },
  });
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const cString = (text: string) => encoder.encode(`${text}\0`);
  const chunk = new Uint8Array(65_536);
  const linkBuffer = new Uint8Array(4096);
  const errnoBuffer = new Int32Array(1);
  const errno = () => {
    const pointer = lib.symbols.__errno_location();
    if (!pointer) return -1;
    lib.symbols.memcpy(errnoBuffer, pointer, 4n);
    return errnoBuffer[0]!;
  };
  const direntBuffer = new Uint8Array(19 + 256);
  const statusBuffer = new Int32Array(1);
  const messageBuffer = new BigUint64Array(1);
  const ok = (result: number | bigint) => (Number(result) === -1 ? -errno() : Number(result));
  return {
    ptrace: (request, pid, addr, data) => ok(lib.symbols.ptrace(BigInt(request), pid, addr, data)),
    eventMessage(pid) {
      const result = ok(lib.symbols.ptraceInto(BigInt(PTRACE.GETEVENTMSG), pid, 0n, messageBuffer));
      return result < 0 ? undefined : Number(messageBuffer[0]);
    },
    wait(block) {
      while (true) {
        const pid = lib.symbols.waitpid(-1, statusBuffer, WALL | (block ? 0 : WNOHANG));
        if (pid > 0) return { pid, status: statusBuffer[0]! };
        if (pid === 0) return "none";
        const code = errno();
        if (code === EINTR) continue;
        if (code === ECHILD) return undefined;
        throw new Error(`waitpid failed (errno ${code})`);
      }
    },
    kill: (pid, signal) => ok(lib.symbols.kill(pid, signal)),
    setChildSubreaper: () => ok(lib.symbols.prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n)),
    setNoNewPrivs: () => ok(lib.symbols.prctl(PR_SET_NO_NEW_PRIVS, 1n, 0n, 0n, 0n)),
    errno,
    readFile(path, maxBytes = 1 << 20) {
      const fd = lib.symbols.open(cString(path), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return undefined;
      try {
        const parts: Uint8Array[] = [];
        let total = 0;
        while (total < maxBytes) {
          const n = Number(lib.symbols.read(fd, chunk, BigInt(chunk.length)));
          if (n < 0) {
            if (errno() === EINTR) continue;
            return undefined;
          }
          if (n === 0) break;
          parts.push(chunk.slice(0, Math.min(n, maxBytes - total)));
          total += n;
        }
        const all = new Uint8Array(Math.min(total, maxBytes));
        let offset = 0;
        for (const part of parts) {
          all.set(part, offset);
          offset += part.length;
        }
        return all;
      } finally {
        lib.symbols.close(fd);
      }
    },
    readLink(path) {
      const n = Number(lib.symbols.readlink(cString(path), linkBuffer, BigInt(linkBuffer.length)));
      return n < 0 ? undefined : decoder.decode(linkBuffer.subarray(0, n));
    },
    listDir(path) {
      const dir = lib.symbols.opendir(cString(path));
      if (dir === null) return undefined;
      const names: string[] = [];
      try {
        while (true) {
          const entry = lib.symbols.readdir64(dir);
          if (entry === null) break;
          // struct dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
          lib.symbols.memcpy(direntBuffer, entry, BigInt(direntBuffer.length));
          const nameBytes = direntBuffer.subarray(19);
          const end = nameBytes.indexOf(0);
          const name = decoder.decode(nameBytes.subarray(0, end < 0 ? nameBytes.length : end));
          if (name !== "." && name !== "..") names.push(name);
        }
      } finally {
        lib.symbols.closedir(dir);
      }
      return names;
    },
  };
}
