/**
 * The safe commands as MCP tools, without the protocol: the tool list, a call's command line,
 * and the answer to a call. `wt mcp` (cli/mcp.ts) serves them over stdio.
 * @module
 */
export { MCP_LIMITS, type McpCall, mcpCall, type McpTool, mcpTools, shownName } from "./tools.ts";
export { type CallOutcome, callResult, rejectedResult, type ToolResult } from "./results.ts";
