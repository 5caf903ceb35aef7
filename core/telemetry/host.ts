/**
 * This host's name, for `host.name` and OCSF `device.hostname`, without asking for a permission
 * the binaries do not have: every permission set may read files, none may call `hostname()`.
 * @module
 */

let cached: string | null | undefined;

/**
 * The host's name: `Deno.hostname()` where this process may call it, else the first line of
 * `/etc/hostname` (Deno refuses `/proc/sys/kernel/hostname` to anything short of
 * `--allow-all`); undefined when neither works. Looked up once per process, and never with a
 * permission prompt.
 *
 * @example
 * ```ts
 * import { hostName } from "./host.ts";
 * import { ok } from "node:assert/strict";
 * const name = hostName();
 * ok(name === undefined || (name.length > 0 && !name.includes("\n")));
 * ```
 */
export function hostName(): string | undefined {
  if (cached === undefined) cached = lookUp() ?? null;
  return cached ?? undefined;
}

const ETC_HOSTNAME = "/etc/hostname";

// Each step asks querySync first: it never prompts, where hostname() or a read in a run that
// may prompt would stop and ask the user.
function lookUp(): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state === "granted") {
      const name = Deno.hostname().trim();
      if (name) return name;
    }
  } catch {
    // fall through to the file
  }
  try {
    if (Deno.permissions.querySync({ name: "read", path: ETC_HOSTNAME }).state === "granted") {
      const name = Deno.readTextFileSync(ETC_HOSTNAME).split("\n")[0]!.trim();
      if (name) return name;
    }
  } catch {
    // no such file (macOS, some containers)
  }
  return undefined;
}
