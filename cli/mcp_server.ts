/**
 * The MCP server of `wt mcp`: lists the safe commands as tools and answers each call through
 * the guard and the ledger (cli/mcp_calls.ts, loaded on the first call so that start-up and
 * `tools/list` stay cheap).
 *
 * Uses the SDK's low-level `Server`, not `McpServer`: the input schemas are JSON Schemas from the
 * tool manifest (core/tool_inputs.ts), not zod schemas, and arguments are checked by `argvFor`
 * strictly, so that a bad call is a tool error that names the input.
 * @module
 */
// @modelcontextprotocol/sdk 1.32.2 (pinned in deno.json): the protocol's reference
// implementation, so that `wt mcp` speaks what MCP clients expect; it takes zod ^3.25 || ^4 and
// shares the project's zod 4.6.7.
// The SDK's "./*" export maps `types.js` to a missing `types.js.d.ts`; @ts-types names the
// subpath whose types it does map.
import { Server } from "@modelcontextprotocol/sdk/server";
// @ts-types="@modelcontextprotocol/sdk/types"
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { mcpTools, type ToolResult } from "../core/mcp/mod.ts";
import type { ClientInfo } from "./mcp_calls.ts";
import { VERSION } from "./version.ts";

/** Answers tool calls (cli/mcp_calls.ts's McpRunner). */
export interface ToolCaller {
  call(name: string, args: unknown, client?: ClientInfo): Promise<ToolResult>;
}

/** What the server needs. */
export interface McpServerOptions {
  /** The caller, made on the first call. */
  caller: () => Promise<ToolCaller>;
  /** The directory relative paths resolve against (the server's working directory). */
  cwd: string;
}

/** What the server tells the client about its tools, for the model's context. */
export function instructions(cwd: string): string {
  return "Watchtower's safe commands (rm, cp, mv, mkdir, touch, chown, chmod, ln, ssh reads, " +
    "kubectl reads, rg, jq). Every call is decided by the user's policy and recorded in a " +
    `tamper-evident ledger before it runs. Relative paths resolve against ${cwd}. No tool ` +
    "reads standard input. A 'denied' tool error will be denied again if retried; an " +
    "'approval required' one carries a key: ask the user to run `wt approve KEY`, then call " +
    "the tool again with the same arguments.";
}

/** A server, and how to wait for the calls it is answering. */
export interface McpService {
  server: Server;
  /**
   * Resolves once every call received so far has been answered (its program done, its effect
   * recorded, its answer handed to the transport): closing the server earlier drops answers.
   */
  settled(): Promise<void>;
}

// One macrotask: the SDK starts handlers and writes answers in promise continuations.
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A server ready to connect to a transport. */
export function createMcpServer(options: McpServerOptions): McpService {
  const server = new Server(
    { name: "watchtower", title: "Watchtower safe commands", version: VERSION },
    { capabilities: { tools: {} }, instructions: instructions(options.cwd) },
  );
  const tools = mcpTools();
  let caller: Promise<ToolCaller> | undefined;
  const running = new Set<Promise<ToolResult>>();
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, (request) => {
    const call = (async () => {
      caller ??= options.caller();
      const client = server.getClientVersion();
      const info = client ? { name: client.name, version: client.version } : undefined;
      return await (await caller).call(request.params.name, request.params.arguments, info);
    })();
    running.add(call);
    call.finally(() => running.delete(call)).catch(() => {});
    return call;
  });
  const settled = async () => {
    await tick();
    while (running.size > 0) await Promise.allSettled([...running]);
    await tick();
  };
  return { server, settled };
}
