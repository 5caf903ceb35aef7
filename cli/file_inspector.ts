/**
 * Finds the executable a command names and inspects it for GTFOBins contexts: the setuid bit,
 * where its symlinks lead, and file capabilities (through libc's getxattr where FFI is
 * permitted; otherwise reported as unknown — never as absent).
 * @module
 */
import type { FileFacts, FileInspector } from "../core/gtfobins/mod.ts";
import { type CapabilityCheck, capabilityCheck } from "./xattr.ts";

/** Where commands are looked up (the agent's PATH is not Watchtower's to read). */
export const SYSTEM_PATH = [
  "/usr/local/sbin",
  "/usr/local/bin",
  "/usr/sbin",
  "/usr/bin",
  "/sbin",
  "/bin",
];

/** Inspects executables on this system, caching per command name. */
export class SystemInspector implements FileInspector {
  readonly #cache = new Map<string, FileFacts>();
  readonly #path: readonly string[];
  readonly #capabilities: CapabilityCheck | undefined;

  constructor(path: readonly string[] = SYSTEM_PATH) {
    this.#path = path;
    this.#capabilities = capabilityCheck();
  }

  inspect(command: string): FileFacts {
    let facts = this.#cache.get(command);
    if (!facts) {
      facts = inspectFile(this.#resolve(command), this.#capabilities);
      if (this.#cache.size < 1024) this.#cache.set(command, facts);
    }
    return facts;
  }

  #resolve(command: string): string | undefined {
    if (command.includes("/")) return command;
    for (const dir of this.#path) {
      const candidate = `${dir}/${command}`;
      try {
        if (Deno.statSync(candidate).isFile) return candidate;
      } catch {
        // not in this directory
      }
    }
    return undefined;
  }
}

/** Facts about one file; each check that cannot run is `unknown`. */
export function inspectFile(path: string | undefined, capabilities?: CapabilityCheck): FileFacts {
  if (path === undefined) return { setuid: "unknown", capabilities: "unknown" };
  const facts: FileFacts = { path, setuid: "unknown", capabilities: "unknown" };
  try {
    const real = Deno.realPathSync(path);
    if (real !== path) facts.realPath = real;
    const mode = Deno.statSync(real).mode;
    if (mode !== null) facts.setuid = (mode & 0o4000) !== 0;
    if (capabilities) facts.capabilities = capabilities(real);
  } catch {
    // missing or unreadable: setuid stays unknown
  }
  return facts;
}
