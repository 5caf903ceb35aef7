/**
 * Resolving the paths a safe command is given, the way the kernel will: component by component
 * from the working directory, `..` and symlinks as they come, so that the path the guard decides
 * on is the path the real program then acts on (passed to it absolute, after `--`).
 * @module
 */
import { WatchtowerError } from "../errors.ts";

/** Follow every symlink (`all`), or all but the last component (`parent`: rm, mv, ln). */
export type Follow = "all" | "parent";

const MAX_LINKS = 40; // as the kernel's ELOOP limit

/**
 * Resolves `path` against `cwd`. Components that do not exist are kept as written (after
 * `.`/`..`), so new files resolve too.
 *
 * @example
 * ```ts
 * import { resolvePath } from "./paths.ts";
 * import { equal } from "node:assert/strict";
 * const dir = Deno.realPathSync(Deno.makeTempDirSync());
 * Deno.symlinkSync("/etc", `${dir}/link`);
 * equal(resolvePath("link/hosts", dir, "all"), "/etc/hosts");
 * equal(resolvePath("link", dir, "parent"), `${dir}/link`);
 * equal(resolvePath("new/../file", dir, "all"), `${dir}/file`);
 * ```
 */
export function resolvePath(path: string, cwd: string, follow: Follow): string {
  if (path.includes("\0")) {
    throw new WatchtowerError("usage", "Cannot use a path that contains a NUL byte");
  }
  if (path === "") throw new WatchtowerError("usage", "Cannot use an empty path");
  const start = path.startsWith("/") ? "/" : cwd;
  const components = path.split("/").filter((c) => c !== "" && c !== ".");
  return walk(start, components, follow, 0);
}

function walk(start: string, components: string[], follow: Follow, links: number): string {
  let current = start === "/" ? "/" : start.replace(/\/+$/, "");
  let exists = true;
  for (const [i, component] of components.entries()) {
    const last = i === components.length - 1;
    if (component === "..") {
      current = parentOf(current);
      continue;
    }
    const next = current === "/" ? `/${component}` : `${current}/${component}`;
    if (!exists || (last && follow === "parent")) {
      current = next;
      continue;
    }
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(next);
    } catch {
      // From here on nothing exists: keep the rest as written.
      exists = false;
      current = next;
      continue;
    }
    if (!info.isSymlink) {
      current = next;
      continue;
    }
    if (links >= MAX_LINKS) {
      throw new WatchtowerError(
        "usage",
        `Cannot resolve ${next}: too many levels of symbolic links`,
      );
    }
    const target = Deno.readLinkSync(next);
    const rest = target.split("/").filter((c) => c !== "" && c !== ".");
    current = walk(target.startsWith("/") ? "/" : current, rest, "all", links + 1);
  }
  return current;
}

function parentOf(path: string): string {
  if (path === "/") return "/";
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}
