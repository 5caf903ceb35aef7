/**
 * File moves the approval workflow relies on to be safe between processes: whole-file writes
 * (temporary file, then rename or link), and claiming a file by renaming it away, which exactly
 * one of several racing processes can win.
 * @module
 */
import { toHex } from "../ledger/sha256.ts";

/** The directories of the workflow inside a state directory. */
export interface ApprovalDirs {
  /** `pending/`: requests waiting for a human. */
  pending: string;
  /** `approvals/`: grants. */
  approvals: string;
  /** `used/`: files claimed by one process (consumed or expired grants, resolved requests). */
  used: string;
}

/** The approval directories of `stateDir`. */
export function approvalDirs(stateDir: string): ApprovalDirs {
  const base = stateDir.replace(/\/+$/, "") || "/";
  const join = (name: string) => `${base === "/" ? "" : base}/${name}`;
  return { pending: join("pending"), approvals: join("approvals"), used: join("used") };
}

/** A random suffix for temporary and claimed file names. */
export function nonce(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(8)));
}

/** What reading a record file found: its text, or why it cannot be used. */
export type ReadResult = { text: string } | { problem: string };

/**
 * Reads a record file; undefined when it does not exist. Only regular files of at most `maxBytes`
 * are read (a FIFO planted there would block the guard; a link could point anywhere); any other
 * failure is returned as a problem, never thrown.
 */
export function readRecordFile(path: string, maxBytes: number): ReadResult | undefined {
  try {
    const info = Deno.lstatSync(path);
    if (!info.isFile) return { problem: "not a regular file" };
    if (info.size > maxBytes) return { problem: `larger than ${maxBytes} bytes` };
    return { text: Deno.readTextFileSync(path) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    return { problem: `unreadable: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Writes a temporary file (mode 0600) beside `path` and returns its name. */
function writeTemp(path: string, text: string, durable: boolean): string {
  const dir = path.slice(0, path.lastIndexOf("/"));
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = `${dir}/.${path.slice(dir.length + 1)}.${nonce()}.tmp`;
  const file = Deno.openSync(temp, { write: true, createNew: true, mode: 0o600 });
  let written = false;
  try {
    const bytes = new TextEncoder().encode(text);
    let offset = 0;
    while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
    if (durable) file.syncDataSync();
    written = true;
  } finally {
    file.close();
    if (!written) removeQuietly(temp);
  }
  return temp;
}

/**
 * Creates `path` with `text` unless it exists, atomically: readers never see half a file and of
 * two racing writers exactly one creates it. Returns whether this call created it.
 */
export function createExclusive(path: string, text: string): boolean {
  const temp = writeTemp(path, text, false);
  try {
    Deno.linkSync(temp, path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw error;
  } finally {
    removeQuietly(temp);
  }
}

/**
 * A whole-file replacement of `path`, prepared but not yet in place: `commit()` renames it over
 * `path` (atomic), `discard()` removes it. Lets a caller record an event before the file counts.
 */
export function prepareReplace(path: string, text: string): { commit(): void; discard(): void } {
  const temp = writeTemp(path, text, true);
  return {
    commit: () => {
      try {
        Deno.renameSync(temp, path);
      } catch (error) {
        removeQuietly(temp);
        throw error;
      }
    },
    discard: () => removeQuietly(temp),
  };
}

/** A file claimed by this process: where it now lies and what it holds (or why it is unusable). */
export type Claimed = { path: string } & ReadResult;

/**
 * Claims `path` by renaming it into `usedDir`: of several processes racing for the same file,
 * exactly one rename succeeds. Returns undefined when the file is gone (another process claimed
 * it, or it never existed); other failures throw.
 */
export function claim(
  path: string,
  usedDir: string,
  tag: string,
  maxBytes: number,
): Claimed | undefined {
  Deno.mkdirSync(usedDir, { recursive: true, mode: 0o700 });
  const name = path.slice(path.lastIndexOf("/") + 1).replace(/\.json$/, "");
  const claimed = `${usedDir}/${name}.${nonce()}.${tag}.json`;
  try {
    Deno.renameSync(path, claimed);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  // Read it back: what was claimed is what counts, not what was read before the rename.
  return { path: claimed, ...(readRecordFile(claimed, maxBytes) ?? { problem: "vanished" }) };
}

/** Puts a claimed file back where it was, unless a newer file took its place; best effort. */
export function restore(claimed: { path: string }, path: string): void {
  try {
    Deno.linkSync(claimed.path, path);
  } catch {
    // a newer file is there (it wins), or the directory is gone
  }
  removeQuietly(claimed.path);
}

/** Removes a file, ignoring failures (it may already be gone). */
export function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // gone already, or not ours to remove: nothing depends on it
  }
}
