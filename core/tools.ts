/**
 * The tool manifest: every binary Watchtower ships, its entry module, its permission set in
 * deno.json and the real program it wraps. `deno task install`, `deno task compile`, the UTCP
 * manual and the MCP tool list are generated from it, so they cannot drift apart.
 * @module
 */

/** One binary. */
export interface ToolSpec {
  /** The command name users type. */
  name: string;
  /** Entry module, relative to the repository root. */
  entry: string;
  /** Name of the permission set in deno.json (`deno run -P=<set>`). */
  permissionSet: string;
  /** One-line description. */
  summary: string;
  /** The real program a safe command wraps, when it wraps one. */
  wraps?: string;
  /** Files and folders a compiled binary must embed (relative to the repository root). */
  include?: string[];
}

/** Every binary, in the order they are installed. */
export const TOOLS: readonly ToolSpec[] = [
  {
    name: "wt",
    entry: "cli/main.ts",
    permissionSet: "wt",
    summary: "Watchtower: operator and agent-facing commands",
    include: ["profiles"],
  },
];
