/**
 * Lexical path normalisation: what a policy matches is the path with `.`, `..` and repeated
 * slashes resolved, so `/tmp/../etc/passwd` is matched as `/etc/passwd`. Symlinks are resolved by
 * the adapters that touch the file system; this module never does I/O.
 * @module
 */

/**
 * Normalises `path`, resolving it against `cwd` when it is relative and `cwd` is absolute.
 *
 * @example
 * ```ts
 * import { normalizePath } from "./path.ts";
 * import { equal } from "node:assert/strict";
 * equal(normalizePath("/tmp/../etc//passwd"), "/etc/passwd");
 * equal(normalizePath("src/./a.ts", "/work/p"), "/work/p/src/a.ts");
 * equal(normalizePath("/../../x"), "/x");
 * ```
 */
export function normalizePath(path: string, cwd?: string): string {
  let full = path;
  if (!full.startsWith("/") && cwd?.startsWith("/")) full = `${cwd}/${full}`;
  const absolute = full.startsWith("/");
  const parts: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts.at(-1) !== "..") parts.pop();
      else if (!absolute) parts.push("..");
    } else {
      parts.push(part);
    }
  }
  const joined = parts.join("/");
  if (absolute) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** Expands a leading `~` or `~/` to `home` (other `~user` forms are left as they are). */
export function expandHome(path: string, home: string | undefined): string {
  if (home === undefined) return path;
  if (path === "~") return home;
  if (path.startsWith("~/")) return `${home.replace(/\/+$/, "")}${path.slice(1)}`;
  return path;
}
