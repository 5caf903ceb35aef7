/**
 * `wt mcp`: serves the 16 safe commands as MCP tools over stdio. Standard output carries the
 * protocol and nothing else; diagnostics go to standard error.
 * @module
 */
import process from "node:process";
import { parseArgs, usage } from "./args.ts";
import { EXIT } from "./exit.ts";
import { err, out } from "./output.ts";

/** Help text. */
export const MCP_USAGE = `wt mcp — the safe commands as MCP tools, over stdio

Usage: wt mcp

Serves safe_rm, safe_cp, safe_mv, safe_mkdir, safe_touch, safe_chown, safe_chmod, safe_ln,
ssh_ls, ssh_cat, ssh_ps, kubectl_exec_read, kubectl_get_yaml, kubectl_logs, rg_search and
jq_query to an MCP client that starts it (JSON-RPC on stdin and stdout). Each call is checked
against the tool's input schema, decided per target by the policy in force and recorded in the
ledger as the safe command's binary would, then the real program runs with a clean environment,
a timeout (120 s) and an output cap (64 MiB). Denied calls and calls that need approval are
tool errors with the reason (and the key for wt approve). Relative paths resolve against the
directory wt mcp runs in. The policy is reloaded when its files change.

Register it, e.g. for Claude Code:  claude mcp add watchtower -- wt mcp
Environment: as every wt command (WATCHTOWER_DIR, WATCHTOWER_SESSION, WATCHTOWER_PRINCIPAL, …).
Exit: 0 when the client closes the connection; 64 bad usage.`;

/** Runs `wt mcp` until the client closes stdin; returns the exit code. */
export async function runMcp(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { help: { type: "boolean", short: "h" } });
  if (args.flags.help) {
    out(`${MCP_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw usage("wt mcp takes no arguments; see wt mcp --help");
  const [{ StdioServerTransport }, { createMcpServer }] = await Promise.all([
    // @ts-types="@modelcontextprotocol/sdk/server/stdio" (see cli/mcp_server.ts)
    import("@modelcontextprotocol/sdk/server/stdio.js"),
    import("./mcp_server.ts"),
  ]);
  const { server, settled } = createMcpServer({
    cwd: Deno.cwd(),
    caller: async () => new (await import("./mcp_calls.ts")).McpRunner(),
  });
  server.onerror = (error) => err(`wt mcp: ${error.message}`);
  const closed = new Promise<void>((resolve) => server.onclose = resolve);
  await server.connect(new StdioServerTransport());
  // The client closed its end: answer the calls already received (their programs finish and
  // are recorded), then stop.
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      await settled();
      await server.close();
    })();
  process.stdin.once("end", stop);
  process.stdin.once("close", stop);
  await closed;
  return EXIT.ok;
}
