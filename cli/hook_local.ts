/**
 * `wt hook claude-code` deciding in its own process (no decision service, or policy flags): the
 * policy, a guard, the ledger and the approvals, then the hook's answer (core/hooks).
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import { readEnv } from "../core/config.ts";
import { WatchtowerError } from "../core/errors.ts";
import { Guard } from "../core/guard.ts";
import { answerClaudeCode, type EventRead, type HookAnswer } from "../core/hooks/mod.ts";
import { Ledger } from "../core/ledger/writer.ts";
import type { CompiledPolicy } from "../core/policy/compile.ts";
import type { ParsedArgs } from "./args.ts";
import { loadCliPolicy } from "./context.ts";

/** Answers the event read; a policy that does not load denies (the hook's fail-closed path). */
export async function answerLocally(
  read: EventRead,
  env: WatchtowerEnvironment,
  args: ParsedArgs,
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
  const guard = policy instanceof WatchtowerError
    ? Guard.unavailable(policy)
    // GTFOBins only annotates commands: its table is loaded for Bash calls alone.
    : read.ok && read.event.toolName === "Bash" && read.event.hookEventName === "PreToolUse"
    ? (await import("./guard.ts")).createGuard(policy)
    : new Guard(policy);
  const settings = guard.policy?.settings.ledger;
  const ledger = new Ledger(env.stateDir, settings ? settings : {});
  const { answer } = await answerClaudeCode(read, {
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
  });
  return answer;
}
