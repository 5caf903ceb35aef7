/**
 * The write fence `wt run` puts on an agent with Landlock (Linux ≥ 5.13): the agent's whole tree
 * may create, write, truncate, rename and remove files anywhere except in the protected system
 * locations (`/etc`, `/usr`, `/boot`, `/var/lib`, `/var/spool`, …) — whatever the program, shell
 * builtin or interpreter that tries, where the monitor (which sees programs) cannot see a write.
 *
 * Landlock grants, it does not deny: the fence grants write access beneath every directory that
 * is not protected and not an ancestor of a protected one, descending into ancestors (so `/var`
 * is split into `/var/tmp`, `/var/log`, … without `/var/lib`). Symbolic links are never followed
 * (`/lib → usr/lib` must not grant `/usr/lib`). New entries directly in `/` or in an ancestor of
 * a protected directory (e.g. `/var/newdir`) are refused too.
 * @module
 */

/** The system locations agents never write (the default policy's deny-system-writes list). */
export const PROTECTED = [
  "/etc",
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/boot",
  "/opt",
  "/var/lib",
  "/var/spool",
  "/sys",
] as const;

/** Landlock filesystem access rights (include/uapi/linux/landlock.h). */
export const ACCESS = {
  EXECUTE: 1 << 0,
  WRITE_FILE: 1 << 1,
  READ_FILE: 1 << 2,
  READ_DIR: 1 << 3,
  REMOVE_DIR: 1 << 4,
  REMOVE_FILE: 1 << 5,
  MAKE_CHAR: 1 << 6,
  MAKE_DIR: 1 << 7,
  MAKE_REG: 1 << 8,
  MAKE_SOCK: 1 << 9,
  MAKE_FIFO: 1 << 10,
  MAKE_BLOCK: 1 << 11,
  MAKE_SYM: 1 << 12,
  REFER: 1 << 13,
  TRUNCATE: 1 << 14,
} as const;

/** The rights the fence handles for `abi` (what it withholds outside the grants). */
export function handledRights(abi: number): { dir: number; file: number } {
  const file = ACCESS.WRITE_FILE | (abi >= 3 ? ACCESS.TRUNCATE : 0);
  const dir = file | ACCESS.REMOVE_DIR | ACCESS.REMOVE_FILE | ACCESS.MAKE_CHAR | ACCESS.MAKE_DIR |
    ACCESS.MAKE_REG | ACCESS.MAKE_SOCK | ACCESS.MAKE_FIFO | ACCESS.MAKE_BLOCK | ACCESS.MAKE_SYM |
    (abi >= 2 ? ACCESS.REFER : 0);
  return { dir, file };
}

/** One grant: write access beneath `path` (a directory) or to it (a file). */
export interface Grant {
  path: string;
  directory: boolean;
}

/** Lists a directory and tells links from directories (the launcher's `Deno` calls). */
export interface TreeReader {
  list(dir: string): string[];
  kind(path: string): "dir" | "file" | "device" | "link" | "other";
}

/**
 * Pseudo file systems Deno will not stat without --allow-all, granted as directories; and the
 * device files that get grants of their own (containers bind-mount `/dev/null` and friends,
 * which a grant on `/dev` does not reach). A missing one is skipped when it is opened.
 */
const PSEUDO_DIRS = new Set(["/dev", "/proc"]);
const DEVICE_ENTRIES: ReadonlyArray<[string, boolean]> = [
  ["/dev/null", false],
  ["/dev/zero", false],
  ["/dev/full", false],
  ["/dev/random", false],
  ["/dev/urandom", false],
  ["/dev/tty", false],
  ["/dev/ptmx", false],
  ["/dev/pts", true],
  ["/dev/shm", true],
];

/**
 * The grants that leave exactly `protectedDirs` (and `/` and their ancestors themselves) unwritable.
 *
 * @example
 * ```ts
 * import { fenceGrants } from "./landlock.ts";
 * import { deepEqual } from "node:assert/strict";
 * const tree: Record<string, string[]> = { "/": ["etc", "home", "var", "lib"], "/var": ["lib", "tmp"] };
 * const grants = fenceGrants(["/etc", "/var/lib"], {
 *   list: (dir) => tree[dir] ?? [],
 *   kind: (path) => path === "/lib" ? "link" : "dir",
 * });
 * deepEqual(grants.map((g) => g.path), ["/home", "/var/tmp"]);
 * ```
 */
export function fenceGrants(protectedDirs: readonly string[], reader: TreeReader): Grant[] {
  const fenced = new Set(protectedDirs.map((dir) => dir.replace(/\/+$/, "")));
  const grants: Grant[] = [];
  const walk = (dir: string) => {
    for (const name of reader.list(dir).sort()) {
      const path = dir === "/" ? `/${name}` : `${dir}/${name}`;
      if (fenced.has(path)) continue;
      const kind = PSEUDO_DIRS.has(path) ? "dir" : reader.kind(path);
      if (kind === "link" || kind === "other") continue;
      const ancestor = [...fenced].some((p) => p.startsWith(`${path}/`));
      if (ancestor && kind === "dir") walk(path);
      else if (!ancestor) {
        grants.push({ path, directory: kind === "dir" });
        if (path === "/dev") {
          for (const [entry, directory] of DEVICE_ENTRIES) grants.push({ path: entry, directory });
        }
      }
    }
  };
  walk("/");
  return grants;
}

/** Reads the real file system for {@link fenceGrants}. */
export const systemTree: TreeReader = {
  list(dir) {
    try {
      return [...Deno.readDirSync(dir)].map((entry) => entry.name);
    } catch {
      return [];
    }
  },
  kind(path) {
    try {
      const info = Deno.lstatSync(path);
      return info.isSymlink
        ? "link"
        : info.isDirectory
        ? "dir"
        : info.isFile
        ? "file"
        : info.isCharDevice || info.isBlockDevice
        ? "device"
        : "other";
    } catch {
      return "other";
    }
  },
};
