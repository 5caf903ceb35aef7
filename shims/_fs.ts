/**
 * What the file-system safe commands share: the path a program is handed (directories
 * resolved, the last component kept as written), where cp, mv and ln put things, the paths no
 * policy may expose, and file modes read the way GNU chmod reads them, with the facts a policy
 * flags (world-writable, setuid, setgid, sticky).
 * @module
 */
import { type Follow, resolvePath } from "../core/shim/paths.ts";
import type { Target } from "../core/intent.ts";
import { type ArgSpec, usage } from "./_args.ts";

/** Refuses a NUL byte in any argument: no file name or option value can hold one. */
export function rejectNul(argv: readonly string[]): void {
  if (argv.some((word) => word.includes("\0"))) {
    throw usage("an argument contains a NUL byte, which no file name can hold");
  }
}

/**
 * The canonical names of the options in `argv`, in the order given (for options where the last
 * one wins, such as mv's -f and -n or cp's -L and -P). Call it after `parseCommand` accepted
 * `argv`: it walks the words the same way.
 */
export function optionOrder(argv: readonly string[], spec: ArgSpec): string[] {
  const order: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") break;
    if (word.startsWith("--")) {
      const option = spec.long?.[word.slice(2).split("=")[0]!];
      if (!option) continue;
      order.push(option.name);
      if (option.value && !word.includes("=")) i++;
    } else if (word.startsWith("-") && word.length > 1) {
      for (let j = 1; j < word.length; j++) {
        const option = spec.short?.[word[j]!];
        if (!option) break;
        order.push(option.name);
        if (option.value) {
          if (j === word.length - 1) i++;
          break;
        }
      }
    }
  }
  return order;
}

/** Which of `names` was given last, if any. */
export function lastGiven(order: readonly string[], names: readonly string[]): string | undefined {
  return order.findLast((name) => names.includes(name));
}

interface Tail {
  dir: string;
  base: string;
  slash: boolean;
}

function splitTail(operand: string): Tail {
  if (operand === "") throw usage("Cannot use an empty path");
  const trimmed = operand.replace(/\/+$/, "");
  if (trimmed === "") return { dir: "/", base: "", slash: false };
  const slash = trimmed.length < operand.length;
  const cut = trimmed.lastIndexOf("/");
  if (cut < 0) return { dir: ".", base: trimmed, slash };
  return { dir: cut === 0 ? "/" : trimmed.slice(0, cut), base: trimmed.slice(cut + 1), slash };
}

/** The last component as written, trailing slashes dropped: what cp, mv and ln name an entry. */
export function baseName(operand: string): string {
  return splitTail(operand).base;
}

/**
 * The absolute path handed to the real program: directories resolved (symlinks and `..`), the
 * last component and a trailing slash kept as written, so that the program still names a copy
 * after it and decides itself whether to follow it, as it would have for the original operand.
 *
 * @example
 * ```ts
 * import { literalPath } from "./_fs.ts";
 * import { equal } from "node:assert/strict";
 * equal(literalPath("../b/c/", "/a/x"), "/a/b/c/");
 * equal(literalPath("d/.", "/a"), "/a/d/.");
 * ```
 */
export function literalPath(operand: string, cwd: string): string {
  const { dir, base, slash } = splitTail(operand);
  if (base === "") return "/";
  const parent = resolvePath(dir, cwd, "all");
  return `${parent === "/" ? "" : parent}/${base}${slash ? "/" : ""}`;
}

/**
 * Where the program acts, as the kernel resolves it: `all` follows every symlink; `parent`
 * keeps a last component written as a name (mv moves a symlink itself), but `x/`, `x/.` and
 * `x/..` follow `x` as the kernel does.
 */
export function targetPath(operand: string, cwd: string, follow: Follow): string {
  if (follow === "all") return resolvePath(operand, cwd, "all");
  const { base, slash } = splitTail(operand);
  if (base === "" || base === "." || base === ".." || slash) {
    return resolvePath(operand, cwd, "all");
  }
  return resolvePath(operand, cwd, "parent");
}

/**
 * A resolved path ({@link targetPath}) as handed to the program, with the operand's trailing
 * slash kept (`touch new/` must still fail, not create `new`).
 */
export function withSlash(operand: string, path: string): string {
  return operand.endsWith("/") && path !== "/" ? `${path}/` : path;
}

/** The directory holding `path` (absolute). */
export function dirName(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

/** Whether `path` is a directory, following symlinks (as `stat` does); false when missing. */
export function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Where cp, mv or ln put things: into a directory, or at one path. */
export type Destination =
  | { kind: "directory"; dir: string }
  | { kind: "path"; operand: string };

/** Sources and destination, as the command reads its operands. */
export interface Placement {
  sources: string[];
  destination: Destination;
}

/** How the destination operand is read. */
export interface PlaceOptions {
  cwd: string;
  /** `-t DIR`. */
  targetDir: string | undefined;
  /** `-T`. */
  noTargetDir: boolean;
  /** Whether a two-operand destination is a directory (default: `stat` of its resolved path). */
  isDir?: (operand: string) => boolean;
  /** ln: one operand links into the working directory. */
  allowSingle?: boolean;
}

/**
 * Splits operands into sources and destination as GNU cp, mv and ln do: `-t DIR`; `-T` (two
 * operands, the second a path); else the last operand, a directory when there are more than
 * two operands or when it is one.
 */
export function place(operands: readonly string[], options: PlaceOptions): Placement {
  if (options.targetDir !== undefined && options.noTargetDir) {
    throw usage("cannot combine --target-directory (-t) and --no-target-directory (-T)");
  }
  if (options.targetDir !== undefined) {
    if (operands.length === 0) throw usage("missing file operand");
    return {
      sources: [...operands],
      destination: { kind: "directory", dir: resolvePath(options.targetDir, options.cwd, "all") },
    };
  }
  if (operands.length === 0) throw usage("missing file operand");
  if (operands.length === 1) {
    if (options.allowSingle && !options.noTargetDir) {
      return { sources: [...operands], destination: { kind: "directory", dir: options.cwd } };
    }
    throw usage(`missing destination file operand after '${operands[0]}'`);
  }
  const sources = operands.slice(0, -1);
  const last = operands.at(-1)!;
  if (options.noTargetDir) {
    if (operands.length > 2) throw usage(`extra operand '${operands[2]}'`);
    return { sources, destination: { kind: "path", operand: last } };
  }
  const isDir = options.isDir ??
    ((operand: string) => isDirectory(resolvePath(operand, options.cwd, "all")));
  if (operands.length > 2 || isDir(last)) {
    // More than two operands: the last must be a directory; the program says so if not.
    return {
      sources,
      destination: { kind: "directory", dir: resolvePath(last, options.cwd, "all") },
    };
  }
  return { sources, destination: { kind: "path", operand: last } };
}

/**
 * The program arguments that pin the destination to what was decided: `-t DIR` or `-T`, then
 * `--`, the sources and (for a path) the destination, all absolute.
 */
export function placementArgs(
  placement: Placement,
  sourceArg: (operand: string) => string,
  cwd: string,
): string[] {
  const sources = placement.sources.map(sourceArg);
  const d = placement.destination;
  return d.kind === "directory"
    ? ["-t", d.dir, "--", ...sources]
    : ["-T", "--", ...sources, literalPath(d.operand, cwd)];
}

/** The entry a source lands on: DIR/basename(source), or the destination path itself. */
export function entryFor(
  placement: Placement,
  source: string,
  cwd: string,
  follow: Follow,
): string {
  const d = placement.destination;
  if (d.kind === "path") return targetPath(d.operand, cwd, follow);
  const base = baseName(source);
  return targetPath(base === "" ? d.dir : `${d.dir}/${base}`, "/", follow);
}

/** `/` or a top-level directory such as `/etc` (after resolution). */
export function isTopLevel(path: string): boolean {
  return path === "/" || /^\/[^/]+$/.test(path);
}

/** `/`, a top-level directory or the home directory: what mv and ln -f never replace. */
export function isProtected(path: string, home: string | undefined): boolean {
  const h = home?.replace(/\/+$/, "");
  return isTopLevel(path) || (h !== undefined && h !== "" && path === h);
}

// --- File modes, read as GNU chmod reads them (gnulib modechange.c) ---

const SUID = 0o4000;
const SGID = 0o2000;
const SVTX = 0o1000;
const ALL = 0o7777;
const WHO: Record<string, number> = {
  u: SUID | 0o700,
  g: SGID | 0o070,
  o: SVTX | 0o007,
  a: ALL,
};
const PERM: Record<string, number> = {
  r: 0o444,
  w: 0o222,
  x: 0o111,
  s: SUID | SGID,
  t: SVTX,
};
const COPY: Record<string, number> = { u: 0o700, g: 0o070, o: 0o007 };

interface ModeChange {
  op: "+" | "-" | "=";
  flag: "ordinary" | "copy" | "x-if-any-x";
  affected: number;
  value: number;
  mentioned: number;
}

/** A parsed MODE: octal (`0755`) or symbolic (`u+x,go-w`, `a=r`, `+s`, `=644`). */
export interface FileMode {
  text: string;
  /** The bits of an octal mode. */
  octal: number | undefined;
  changes: readonly ModeChange[];
}

const isOp = (c: string | undefined): c is "+" | "-" | "=" => c === "+" || c === "-" || c === "=";

/**
 * Parses a MODE as chmod does; a usage error when chmod would reject it.
 *
 * @example
 * ```ts
 * import { applyMode, parseMode } from "./_fs.ts";
 * import { equal } from "node:assert/strict";
 * equal(applyMode(parseMode("go-w,u+x"), 0o666, { dir: false, umask: 0o022 }), 0o744);
 * equal(applyMode(parseMode("4755"), 0, { dir: false, umask: 0 }), 0o4755);
 * ```
 */
export function parseMode(text: string): FileMode {
  const invalid = () => usage(`invalid mode: '${text}'`);
  if (/^[0-7]+$/.test(text)) {
    const octal = parseInt(text, 8);
    if (octal > ALL) throw invalid();
    // Fewer than five digits leave a directory's setuid and setgid bits alone (GNU chmod).
    const mentioned = text.length < 5 ? (octal & (SUID | SGID)) | SVTX | 0o777 : ALL;
    return {
      text,
      octal,
      changes: [{ op: "=", flag: "ordinary", affected: ALL, value: octal, mentioned }],
    };
  }
  const changes: ModeChange[] = [];
  let i = 0;
  for (;;) {
    let affected = 0;
    while (i < text.length && WHO[text[i]!] !== undefined) affected |= WHO[text[i++]!]!;
    if (!isOp(text[i])) throw invalid();
    while (isOp(text[i])) {
      const op = text[i++] as "+" | "-" | "=";
      let value = 0;
      let flag: ModeChange["flag"] = "copy";
      let mentioned = 0;
      const copy = COPY[text[i] ?? ""];
      const digits = /^[0-7]+/.exec(text.slice(i))?.[0];
      if (digits !== undefined) {
        // `=755`, `+4000`: an octal operand, allowed only without who and last in its clause.
        value = parseInt(digits, 8);
        i += digits.length;
        if (value > ALL || affected !== 0 || (i < text.length && text[i] !== ",")) {
          throw invalid();
        }
        affected = mentioned = ALL;
        flag = "ordinary";
      } else if (copy !== undefined) {
        value = copy;
        i++;
      } else {
        flag = "ordinary";
        for (; i < text.length; i++) {
          const c = text[i]!;
          if (c === "X") flag = "x-if-any-x";
          else if (PERM[c] !== undefined) value |= PERM[c]!;
          else break;
        }
      }
      mentioned ||= affected ? affected & value : value;
      changes.push({ op, flag, affected, value, mentioned });
    }
    if (i === text.length) break;
    if (text[i] !== ",") throw invalid();
    i++;
  }
  return { text, octal: undefined, changes };
}

/** The mode a file of mode `base` gets from `mode` (as gnulib's mode_adjust computes it). */
export function applyMode(
  mode: FileMode,
  base: number,
  options: { dir: boolean; umask: number },
): number {
  let result = base & ALL;
  for (const change of mode.changes) {
    const omit = (options.dir ? SUID | SGID : 0) & ~change.mentioned;
    let value = change.value;
    if (change.flag === "copy") {
      value &= result;
      value |= (value & 0o444 ? 0o444 : 0) | (value & 0o222 ? 0o222 : 0) |
        (value & 0o111 ? 0o111 : 0);
    } else if (change.flag === "x-if-any-x" && ((result & 0o111) !== 0 || options.dir)) {
      value |= 0o111;
    }
    value &= (change.affected ? change.affected : ~options.umask) & ~omit;
    if (change.op === "=") {
      const preserved = (change.affected ? ~change.affected : 0) | omit;
      result = (result & preserved) | value;
    } else if (change.op === "+") {
      result |= value;
    } else {
      result &= ~value;
    }
  }
  return result & ALL;
}

/** The mode facts a policy flags. */
export interface ModeFacts {
  world_writable: boolean;
  setuid: boolean;
  setgid: boolean;
  sticky: boolean;
  [key: string]: boolean;
}

/** The facts of a mode's bits. */
export function bitFacts(bits: number): ModeFacts {
  return {
    world_writable: (bits & 0o002) !== 0,
    setuid: (bits & SUID) !== 0,
    setgid: (bits & SGID) !== 0,
    sticky: (bits & SVTX) !== 0,
  };
}

/**
 * What a chmod MODE does to any file: an octal mode's own bits; for a symbolic one, whether it
 * can add each bit to some file (`o+w`, `a=rwx`, `+s`, `o=u` can; `u+x`, `go-w` cannot).
 */
export function changeFacts(mode: FileMode, umask: number): ModeFacts {
  if (mode.octal !== undefined) return bitFacts(mode.octal);
  const adds = (bit: number) =>
    [0, ALL & ~bit, 0o777 & ~bit].some((base) =>
      [false, true].some((dir) => (applyMode(mode, base, { dir, umask }) & bit) !== 0)
    );
  return {
    world_writable: adds(0o002),
    setuid: adds(SUID),
    setgid: adds(SGID),
    sticky: adds(SVTX),
  };
}

/**
 * This process's umask (the real program inherits it), from /proc; 0 where that cannot be read,
 * which flags the most (Deno's own `umask()` needs a permission the safe commands do not get).
 */
export function readUmask(): number {
  try {
    const match = /^Umask:\s*([0-7]+)$/m.exec(Deno.readTextFileSync("/proc/self/status"));
    return match ? parseInt(match[1]!, 8) : 0;
  } catch {
    return 0;
  }
}

/**
 * A flagged target (world-writable or setuid/setgid mode, change to root) declares itself
 * `restricted`: the decision then shows the raised sensitivity and risk score, and a policy can
 * act on them (`thresholds.approval_min`, or a condition on the flag itself); nothing is denied
 * by this alone.
 */
export function flagRisk(target: Target, flagged: boolean): Target {
  return flagged ? { ...target, sensitivity: "restricted" } : target;
}
