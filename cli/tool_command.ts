/**
 * How `wt` starts Watchtower's other tools (the proxy, the monitor, the agent launcher, the
 * decision service) the way it was itself installed: through the launchers `deno task install`
 * wrote (it leaves `launchers.json` beside the bundles, naming their directory), or, run from
 * the sources, with `deno run` and the tool's permission set from this checkout's deno.json.
 * @module
 */
import { stateDirFlags, TOOLS } from "../core/tools.ts";

/** A program and its arguments. */
export interface ToolCommand {
  program: string;
  args: string[];
}

/** What `deno task install` records beside the bundles. */
export interface InstalledLaunchers {
  /** The directory holding a launcher per tool. */
  bin: string;
}

/** The file name of {@link InstalledLaunchers} (beside the bundled modules). */
export const LAUNCHERS_FILE = "launchers.json";

const repo = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");

/** The installed launchers, when this module runs from an installed bundle. */
export function installedLaunchers(): InstalledLaunchers | undefined {
  for (const relative of [`./${LAUNCHERS_FILE}`, `../${LAUNCHERS_FILE}`]) {
    const path = decodeURIComponent(new URL(relative, import.meta.url).pathname);
    try {
      const value = JSON.parse(Deno.readTextFileSync(path));
      if (typeof value?.bin === "string" && value.bin.startsWith("/")) return { bin: value.bin };
    } catch {
      // not installed here
    }
  }
  return undefined;
}

/**
 * The command that runs tool `name` with `args`, writing its ledger under `stateDir` (from the
 * sources, the state directory flag is added here; an installed launcher has its own).
 */
export function toolCommand(name: string, stateDir: string, args: readonly string[]): ToolCommand {
  const tool = TOOLS.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool named ${name}`);
  const installed = installedLaunchers();
  if (installed) return { program: `${installed.bin}/${name}`, args: [...args] };
  return {
    program: Deno.execPath(),
    args: [
      "run",
      "-q",
      "--no-prompt",
      "--config",
      `${repo}/deno.json`,
      `-P=${tool.permissionSet}`,
      ...stateDirFlags(tool, stateDir),
      `${repo}/${tool.entry}`,
      ...args,
    ],
  };
}
