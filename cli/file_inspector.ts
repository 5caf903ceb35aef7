/**
 * Finds the executable a command names and inspects it for GTFOBins contexts: the setuid bit
 * and where its symlinks lead. File capabilities (`security.capability`) need an extended
 * attribute call Deno does not offer, so they are reported as unknown — never as absent.
 * @module
 */
import type { FileFacts, FileInspector } from "../core/gtfobins/mod.ts";

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

  constructor(path: readonly string[] = SYSTEM_PATH) {
    this.#path = path;
  }

  inspect(command: string): FileFacts {
    let facts = this.#cache.get(command);
    if (!facts) {
      facts = inspectFile(this.#resolve(command));
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
export function inspectFile(path: string | undefined): FileFacts {
  if (path === undefined) return { setuid: "unknown", capabilities: "unknown" };
  const facts: FileFacts = { path, setuid: "unknown", capabilities: "unknown" };
  try {
    const real = Deno.realPathSync(path);
    if (real !== path) facts.realPath = real;
    const mode = Deno.statSync(real).mode;
    if (mode !== null) facts.setuid = (mode & 0o4000) !== 0;
  } catch {
    // missing or unreadable: setuid stays unknown
  }
  return facts;
}
