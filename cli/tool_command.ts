/**
 * How `wt` starts Watchtower's other tools (the proxy, the monitor, the agent launcher, the
 * decision service) the way it was itself installed: the binaries beside a compiled `wt`, the
 * launchers `deno task install` wrote (it leaves `launchers.json` beside the bundles, naming
 * their directory), or, run from the sources, `deno run` with the tool's permission set from
 * this checkout's deno.json.
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

/** Where this process runs from: what {@link toolCommandFor} needs to know. */
export interface Origin {
  /** A compiled binary (`deno compile`): the other tools are its siblings. */
  standalone: boolean;
  /** This program (the compiled binary, or deno). */
  execPath: string;
  /** The installed launchers, when running from an installed bundle. */
  launchers: InstalledLaunchers | undefined;
}

/**
 * The command that runs tool `name` with `args`, writing its ledger under `stateDir`: a sibling
 * of a compiled binary, an installed launcher, or `deno run` of the sources with the tool's
 * permission set (the state directory flags added here; a launcher or binary has its own).
 *
 * @example
 * ```ts
 * import { toolCommandFor } from "./tool_command.ts";
 * import { deepEqual } from "node:assert/strict";
 * const compiled = { standalone: true, execPath: "/opt/wt/bin/wt", launchers: undefined };
 * deepEqual(toolCommandFor("wt-proxy", "/s", ["--port", "0"], compiled), {
 *   program: "/opt/wt/bin/wt-proxy",
 *   args: ["--port", "0"],
 * });
 * const installed = { standalone: false, execPath: "/usr/bin/deno", launchers: { bin: "/u/bin" } };
 * deepEqual(toolCommandFor("wt", "/s", ["daemon"], installed).program, "/u/bin/wt");
 * ```
 */
export function toolCommandFor(
  name: string,
  stateDir: string,
  args: readonly string[],
  origin: Origin,
): ToolCommand {
  const tool = TOOLS.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool named ${name}`);
  if (origin.standalone) {
    const dir = origin.execPath.slice(0, origin.execPath.lastIndexOf("/"));
    return { program: `${dir}/${name}`, args: [...args] };
  }
  if (origin.launchers) return { program: `${origin.launchers.bin}/${name}`, args: [...args] };
  return {
    program: origin.execPath,
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

/** {@link toolCommandFor} from where this process runs. */
export function toolCommand(name: string, stateDir: string, args: readonly string[]): ToolCommand {
  return toolCommandFor(name, stateDir, args, {
    standalone: Deno.build.standalone === true,
    execPath: Deno.execPath(),
    launchers: installedLaunchers(),
  });
}
