/**
 * `wt hook claude-code` and `wt hook opencode` deciding in their own process (no decision
 * service, or policy flags): the policy, a guard, the ledger and the approvals, then the hook's
 * answer in the agent's format (core/hooks).
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import { readEnv } from "../core/config.ts";
import { WatchtowerError } from "../core/errors.ts";
import { Guard } from "../core/guard.ts";
import {
  answerClaudeCode,
  answerOpencode,
  type EventRead,
  type HookAnswer,
  isOpencodeShellCall,
} from "../core/hooks/mod.ts";
import { Ledger } from "../core/ledger/writer.ts";
import type { CompiledPolicy } from "../core/policy/compile.ts";
import type { ParsedArgs } from "./args.ts";
import { loadCliPolicy } from "./context.ts";
import type { HookAgentName } from "./hook.ts";

/** Answers the event read; a policy that does not load denies (the hook's fail-closed path). */
export async function answerLocally(
  read: EventRead,
  env: WatchtowerEnvironment,
  args: ParsedArgs,
  agent: HookAgentName = "claude-code",
): Promise<HookAnswer> {
  let policy: CompiledPolicy | WatchtowerError;
  try {
    policy = await loadCliPolicy(env, args);
  } catch (error) {
    policy = error instanceof WatchtowerError ? error : new WatchtowerError(
      "policy_unreadable",
      `Cannot load the policy: ${error instanceof Error ? error.message : error}`,
    );
  }
  // GTFOBins only annotates commands: its table is loaded for shell lines alone.
  const shellLine = agent === "opencode"
    ? isOpencodeShellCall(read)
    : read.ok && read.event.toolName === "Bash" && read.event.hookEventName === "PreToolUse";
  const guard = policy instanceof WatchtowerError
    ? Guard.unavailable(policy)
    : shellLine
    ? (await import("./guard.ts")).createGuard(policy)
    : new Guard(policy);
  const settings = guard.policy?.settings.ledger;
  const ledger = new Ledger(env.stateDir, settings ? settings : {});
  const options = {
    guard,
    env,
    ledger,
    approvals: async () => {
      const { adapterApprovals } = await import("../core/approvals/mod.ts");
      return adapterApprovals(
        env,
        readEnv,
        (event) => ledger.appendSync([{ data: { event } }]),
        guard.policy,
      );
    },
  };
  const { answer } = agent === "opencode"
    ? await answerOpencode(read, options)
    : await answerClaudeCode(read, options);
  return answer;
}
