/**
 * A safe command deciding in its own process: the policy (from the cache when current), a guard,
 * the ledger and the approval store. Loaded only when no decision service answers.
 * @module
 */
import { type EnvReader, policyOptions, type WatchtowerEnvironment } from "../core/config.ts";
import { WatchtowerError } from "../core/errors.ts";
import { Guard } from "../core/guard.ts";
import { Ledger } from "../core/ledger/writer.ts";
import { loadPolicyFast } from "../core/policy/cache.ts";
import { LocalBackend } from "../core/shim/backend.ts";

/** The local backend for `env`; a policy that does not load gives a guard that denies all. */
export async function localBackend(
  env: WatchtowerEnvironment,
  read: EnvReader,
): Promise<LocalBackend> {
  const builtinProfiles = decodeURIComponent(new URL("../profiles", import.meta.url).pathname);
  let guard: Guard;
  let ledger: Ledger;
  try {
    const policy = await loadPolicyFast(policyOptions(env, builtinProfiles));
    guard = new Guard(policy);
    const { sync, segmentBytes } = policy.settings.ledger;
    ledger = new Ledger(env.stateDir, { sync, segmentBytes });
  } catch (error) {
    if (!(error instanceof WatchtowerError)) throw error;
    guard = Guard.unavailable(error);
    ledger = new Ledger(env.stateDir);
  }
  return new LocalBackend({
    env,
    guard,
    ledger,
    approvals: async () =>
      (await import("../core/approvals/mod.ts")).adapterApprovals(
        env,
        read,
        (event) => ledger.appendSync([{ data: { event } }]),
        guard.policy,
      ),
  });
}
