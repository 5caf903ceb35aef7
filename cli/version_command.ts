/**
 * `wt version`: the version, the build target, how this `wt` runs (a compiled binary, an
 * installed launcher running the bundle, or the sources) and the Deno inside it.
 * @module
 */
import { type FlagSpec, parseArgs } from "./args.ts";
import { EXIT } from "./exit.ts";
import { out, printJson } from "./output.ts";
import { VERSION } from "./version.ts";

/** Help text. */
export const VERSION_USAGE = `wt version — version, build target, how wt runs, and its Deno

Usage: wt version [--json]

"runs" is one of: compiled (a standalone binary from deno task compile or a release), bundle
(a launcher from deno task install running the bundled modules), sources (deno run on a checkout).`;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
};

/** How this `wt` runs. */
export type RunMode = "compiled" | "bundle" | "sources";

/** What `wt version --json` prints. */
export interface BuildInfo {
  version: string;
  /** The target triple this Deno was built for (`Deno.build.target`). */
  target: string;
  runs: RunMode;
  /** The program running: the compiled binary, or the deno a launcher starts. */
  executable: string;
  /** The modules running: a file: URL of this module's folder (inside the binary when compiled). */
  modules: string;
  deno: string;
  v8: string;
  typescript: string;
}

/**
 * How code at `moduleUrl` runs: compiled when Deno says it is standalone, bundle when the module
 * is bundled JavaScript (`deno task install` writes `.js` bundles), else the TypeScript sources.
 *
 * @example
 * ```ts
 * import { runMode } from "./version_command.ts";
 * import { equal } from "node:assert/strict";
 * equal(runMode(false, "file:///home/a/.local/lib/watchtower/js/chunk-X.js"), "bundle");
 * equal(runMode(false, "file:///src/watchtower/cli/version_command.ts"), "sources");
 * equal(runMode(true, "file:///tmp/deno-compile-wt/cli/version_command.ts"), "compiled");
 * ```
 */
export function runMode(standalone: boolean, moduleUrl: string): RunMode {
  if (standalone) return "compiled";
  return /\.m?js$/.test(new URL(moduleUrl).pathname) ? "bundle" : "sources";
}

/** The facts of this `wt`. */
export function buildInfo(): BuildInfo {
  let executable = "";
  try {
    executable = Deno.execPath();
  } catch {
    // not allowed to know it: left empty
  }
  return {
    version: VERSION,
    target: Deno.build.target,
    runs: runMode(Deno.build.standalone === true, import.meta.url),
    executable,
    modules: new URL(".", import.meta.url).href,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
  };
}

/** One line on how `info` runs, for people. */
export function describeRun(info: BuildInfo): string {
  const modules = info.modules.startsWith("file://")
    ? decodeURIComponent(new URL(info.modules).pathname).replace(/\/$/, "")
    : info.modules;
  switch (info.runs) {
    case "compiled":
      return `a compiled binary (${info.executable})`;
    case "bundle":
      return `an installed launcher running the bundle in ${modules.replace(/\/js(\/.*)?$/, "")}`;
    case "sources":
      return `the sources in ${modules.replace(/\/cli$/, "")}, with ${info.executable}`;
  }
}

/** Runs `wt version`. */
export function runVersion(argv: readonly string[]): number {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${VERSION_USAGE}\n`);
    return EXIT.ok;
  }
  const info = buildInfo();
  if (args.flags.json) {
    printJson(info);
    return EXIT.ok;
  }
  out(
    [
      `wt ${info.version}`,
      `target  ${info.target}`,
      `runs    ${describeRun(info)}`,
      `deno    ${info.deno} (v8 ${info.v8}, typescript ${info.typescript})`,
      "",
    ].join("\n"),
  );
  return EXIT.ok;
}
