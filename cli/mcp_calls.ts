/**
 * One `wt mcp` tool call, done as the safe command's own binary does it: the command's planner
 * works out the targets from the arguments, each target is decided and recorded (the policy kept
 * loaded, and loaded again when its files change), and the real program runs with the same clean
 * environment, timeout and output cap (core/shim/runner.ts). Intents keep the command's name in
 * `context.tool` (`safe-rm`), so every rule written for the binaries, such as the default
 * policy's `tool:` redaction rule, applies to MCP calls too; an `mcp.call` event after the run
 * marks that it came through MCP and links its seqs.
 *
 * Imports the safe commands' planners (shims/): like the proxy and monitor entry points, the CLI
 * may run another adapter's code.
 * @module
 */
import {
  policyOptions,
  readEnv,
  resolveEnvironment,
  type WatchtowerEnvironment,
} from "../core/config.ts";
import { WatchtowerError } from "../core/errors.ts";
import { Guard } from "../core/guard.ts";
import { Ledger } from "../core/ledger/writer.ts";
import {
  callResult,
  mcpCall,
  rejectedResult,
  shownName,
  type ToolResult,
} from "../core/mcp/mod.ts";
import { type KeptPolicy, loadPolicyKept } from "../core/policy/cache.ts";
import { LocalBackend } from "../core/shim/backend.ts";
import { runPlan, type ShimPlan } from "../core/shim/runner.ts";
import { childEnv, type ShimSpec } from "../shims/_entry.ts";

export { childEnv };
import { builtinProfilesDir } from "./context.ts";

/** Each safe command's spec, loaded on its first call (literal imports, so bundles keep them). */
export const SHIMS: Readonly<Record<string, () => Promise<ShimSpec>>> = {
  "safe-rm": async () => (await import("../shims/safe_rm.ts")).SAFE_RM,
  "safe-cp": async () => (await import("../shims/safe_cp.ts")).SAFE_CP,
  "safe-mv": async () => (await import("../shims/safe_mv.ts")).SAFE_MV,
  "safe-mkdir": async () => (await import("../shims/safe_mkdir.ts")).SAFE_MKDIR,
  "safe-touch": async () => (await import("../shims/safe_touch.ts")).SAFE_TOUCH,
  "safe-chown": async () => (await import("../shims/safe_chown.ts")).SAFE_CHOWN,
  "safe-chmod": async () => (await import("../shims/safe_chmod.ts")).SAFE_CHMOD,
  "safe-ln": async () => (await import("../shims/safe_ln.ts")).SAFE_LN,
  "ssh-ls": async () => (await import("../shims/ssh_ls.ts")).SSH_LS,
  "ssh-cat": async () => (await import("../shims/ssh_cat.ts")).SSH_CAT,
  "ssh-ps": async () => (await import("../shims/ssh_ps.ts")).SSH_PS,
  "kubectl-exec-read": async () =>
    (await import("../shims/kubectl_exec_read.ts")).KUBECTL_EXEC_READ,
  "kubectl-get-yaml": async () => (await import("../shims/kubectl_get_yaml.ts")).KUBECTL_GET_YAML,
  "kubectl-logs": async () => (await import("../shims/kubectl_logs.ts")).KUBECTL_LOGS,
  "rg-search": async () => {
    // The server's stdin is the protocol: rg never searches it (no /dev/stdin intent either).
    const { RG_SEARCH, planRg } = await import("../shims/rg_search.ts");
    return { ...RG_SEARCH, plan: (argv, env) => planRg(argv, env, { stdinMayBeSearched: no }) };
  },
  "jq-query": async () => (await import("../shims/jq_query.ts")).JQ_QUERY,
};

const no = () => false;

/** The MCP client, as it named itself in `initialize`. */
export interface ClientInfo {
  name: string;
  version: string;
}

/** Runs tool calls; keeps the policy between them. */
export class McpRunner {
  #kept: { policy: KeptPolicy; guard: Guard } | undefined;

  /** Answers a call of tool `name` with `args`. Never throws: a fault is a tool error. */
  async call(name: string, args: unknown, client?: ClientInfo): Promise<ToolResult> {
    try {
      return await this.#call(name, args, client);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return rejectedResult(
        name,
        new WatchtowerError(
          "internal",
          `Cannot call ${shownName(name)}: internal error: ${detail}`,
        ),
      );
    }
  }

  async #call(name: string, args: unknown, client: ClientInfo | undefined): Promise<ToolResult> {
    const env = resolveEnvironment(readEnv, Deno.cwd());
    const { guard, ledger } = await this.#decider(env);
    const record = (event: Record<string, unknown>) => {
      try {
        const by = client ? { client: `${client.name} ${client.version}`.slice(0, 256) } : {};
        ledger.appendSync([{ data: { event: { type: "mcp.call", ...event, ...by } } }], {
          durable: false,
        });
      } catch {
        // Best effort, as the effect entry: any decision of the call is already recorded.
      }
    };
    let spec: ShimSpec;
    let plan: ShimPlan;
    let tool: string;
    try {
      const call = mcpCall(name, args);
      tool = call.tool;
      spec = await SHIMS[call.command]!();
      // No standard input: the server's is the protocol (jq without files reads nothing).
      plan = { ...(await spec.plan(call.argv, env)), stdin: false };
    } catch (error) {
      const code = error instanceof WatchtowerError ? error.code : "internal";
      const detail = error instanceof Error ? error.message : String(error);
      record({ tool: shownName(name), rejected: code, detail: detail.slice(0, 512) });
      return rejectedResult(name, error);
    }
    const stdout: Uint8Array[] = [];
    const stderr: Uint8Array[] = [];
    const backend = new LocalBackend({
      env,
      guard,
      ledger,
      approvals: async () =>
        (await import("../core/approvals/mod.ts")).adapterApprovals(
          env,
          readEnv,
          (event) => ledger.appendSync([{ data: { event } }]),
          guard.policy,
        ),
    });
    const result = await runPlan(plan, {
      env,
      backend,
      io: { stdout: (bytes) => stdout.push(bytes), stderr: (bytes) => stderr.push(bytes) },
      childEnv: childEnv(spec),
      redactor: async () => new (await import("../core/redact.ts")).StreamRedactor(),
    });
    record({
      tool,
      command: spec.name,
      verdict: result.verdict,
      exit_code: result.exitCode,
      seqs: result.seqs,
    });
    return callResult({
      command: spec.name,
      result,
      stdout: decode(stdout),
      stderr: decode(stderr),
    });
  }

  /** A guard over the policy in force, and the ledger; a policy that does not load denies all. */
  async #decider(env: WatchtowerEnvironment): Promise<{ guard: Guard; ledger: Ledger }> {
    try {
      if (!this.#kept || !this.#kept.policy.isCurrent()) {
        this.#kept = undefined;
        const policy = await loadPolicyKept(policyOptions(env, builtinProfilesDir()));
        this.#kept = { policy, guard: new Guard(policy.policy) };
      }
      const { sync, segmentBytes } = this.#kept.policy.policy.settings.ledger;
      return { guard: this.#kept.guard, ledger: new Ledger(env.stateDir, { sync, segmentBytes }) };
    } catch (error) {
      if (!(error instanceof WatchtowerError)) throw error;
      return { guard: Guard.unavailable(error), ledger: new Ledger(env.stateDir) };
    }
  }
}

function decode(chunks: readonly Uint8Array[]): string {
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}
