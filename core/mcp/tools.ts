/**
 * The safe commands as MCP tools: the tool list (names, descriptions and input schemas from
 * core/tool_inputs.ts, the table the UTCP manual is built from too) and, for one call, the safe
 * command and the arguments it runs with. No protocol here: cli/mcp_server.ts speaks MCP.
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import { closest } from "../suggest.ts";
import { argvFor, inputSchema, TOOL_INPUTS, toolInputs } from "../tool_inputs.ts";
import { TOOLS } from "../tools.ts";

/** One tool as `tools/list` describes it. */
export interface McpTool {
  /** `safe_rm`: the command name with `_` for `-`, as in the UTCP manual. */
  name: string;
  /** The command's one-line summary from the tool manifest. */
  title: string;
  description: string;
  /** A JSON Schema object: the tool's inputs and nothing else. */
  inputSchema: { type: "object" } & Record<string, unknown>;
}

/** Bounds on one call, so that a call cannot flood the ledger or pass the kernel's limits. */
export const MCP_LIMITS = {
  /** Words on the command line the call becomes (each operand is one decision). */
  words: 4096,
  /** Bytes of those words together (Linux refuses a command line past ~2 MiB). */
  bytes: 1024 * 1024,
  /** Characters of a tool name repeated in an answer or the ledger. */
  name: 128,
} as const;

const encoder = new TextEncoder();
const SUMMARIES = new Map(TOOLS.map((tool) => [tool.name, tool.summary] as const));

/** The tools `wt mcp` serves: one per safe command of the manifest, in manifest order. */
export function mcpTools(): McpTool[] {
  return TOOL_INPUTS.map((tool) => {
    const summary = SUMMARIES.get(tool.command) ?? tool.command;
    return {
      name: tool.tool,
      title: summary,
      description: `${summary}. Runs ${tool.command} through Watchtower: each target is ` +
        "decided by policy and recorded in its ledger before anything runs. A refusal is a " +
        "tool error: 'denied' with the reason, or 'approval required' with a key that a human " +
        "approves with `wt approve KEY` (then call again with the same arguments). Otherwise " +
        "the program's output (secrets masked as [REDACTED:kind] when the policy says so); a " +
        "non-zero exit code is a tool error.",
      inputSchema: { ...inputSchema(tool), type: "object" },
    };
  });
}

/** A call worked out: the tool, the safe command it runs and that command's arguments. */
export interface McpCall {
  tool: string;
  command: string;
  argv: string[];
}

/** `name` cut to {@link MCP_LIMITS}.name characters, for answers and the ledger. */
export function shownName(name: string): string {
  return name.length > MCP_LIMITS.name ? `${name.slice(0, MCP_LIMITS.name)}…` : name;
}

/**
 * The safe command and its arguments for a call of tool `name` with `args` (the call's
 * `arguments`; absent means none). An unknown tool, an input the schema does not allow, or a
 * call past {@link MCP_LIMITS} is a `usage` error, and nothing may run.
 *
 * @example
 * ```ts
 * import { mcpCall } from "./tools.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 * deepEqual(mcpCall("safe_rm", { paths: ["-rf"] }), {
 *   tool: "safe_rm",
 *   command: "safe-rm",
 *   argv: ["--", "-rf"],
 * });
 * throws(() => mcpCall("safe-rm", {}), /no such tool \(did you mean safe_rm\?\)/);
 * ```
 */
export function mcpCall(name: string, args: unknown): McpCall {
  const tool = toolInputs(name);
  if (!tool) {
    const suggestion = closest(name, TOOL_INPUTS.map((t) => t.tool));
    throw new WatchtowerError(
      "usage",
      `Cannot call ${shownName(name)}: no such tool${
        suggestion ? ` (did you mean ${suggestion}?)` : ""
      }`,
    );
  }
  const argv = argvFor(tool.tool, args ?? {});
  if (argv.length > MCP_LIMITS.words) {
    throw new WatchtowerError(
      "usage",
      `Cannot call ${tool.tool}: ${argv.length} words on its command line, at most ${MCP_LIMITS.words}; split the call`,
    );
  }
  const bytes = argv.reduce((sum, word) => sum + encoder.encode(word).length + 1, 0);
  if (bytes > MCP_LIMITS.bytes) {
    throw new WatchtowerError(
      "usage",
      `Cannot call ${tool.tool}: its command line would be ${bytes} bytes, at most ${MCP_LIMITS.bytes}; split the call`,
    );
  }
  return { tool: tool.tool, command: tool.command, argv };
}
