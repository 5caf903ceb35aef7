/**
 * What every `wt` subcommand shares: the environment, the policy flags (`--policy`, `--profile`,
 * `--mode`, `--set`) and loading the effective policy from them.
 * @module
 */
import {
  policyOptions,
  readEnv,
  resolveEnvironment,
  type WatchtowerEnvironment,
} from "../core/config.ts";
import { WatchtowerError } from "../core/errors.ts";
import { loadPolicyFast } from "../core/policy/cache.ts";
import type { CompiledPolicy } from "../core/policy/compile.ts";
import type { SettingsPatch } from "../core/policy/layer.ts";
import type { LoadOptions } from "../core/policy/loader.ts";
import { listFlag, type ParsedArgs, POLICY_FLAGS, stringFlag, usage } from "./args.ts";

export { POLICY_FLAGS };

/** Reads an environment variable, treating one we may not read as unset. */
export { readEnv };

/** The environment of this process. */
export function cliEnvironment(): WatchtowerEnvironment {
  return resolveEnvironment(readEnv, Deno.cwd());
}

/** The built-in profiles shipped beside the CLI. */
export function builtinProfilesDir(): string {
  return decodeURIComponent(new URL("../profiles", import.meta.url).pathname);
}

/** Load options for `env` and the policy flags in `args`. */
export async function loadOptionsFrom(
  env: WatchtowerEnvironment,
  args: ParsedArgs,
): Promise<LoadOptions> {
  const policyFlag = stringFlag(args, "policy");
  const policyFile = policyFlag ?? env.policyFile;
  const overrides = await parseOverrides(listFlag(args, "set"), stringFlag(args, "mode"));
  const options: LoadOptions = {
    ...policyOptions(env, builtinProfilesDir()),
    profiles: listFlag(args, "profile"),
  };
  if (policyFile !== undefined) options.policyFile = policyFile;
  if (overrides) options.overrides = overrides;
  return options;
}

/**
 * Loads the effective policy for `env` and `args` (from the policy cache when it is current);
 * throws a {@link WatchtowerError}.
 */
export async function loadCliPolicy(
  env: WatchtowerEnvironment,
  args: ParsedArgs,
): Promise<CompiledPolicy> {
  return await loadPolicyFast(await loadOptionsFrom(env, args));
}

/**
 * Turns `--mode M` and `--set key=value` (e.g. `thresholds.allow_max=3`, `default=deny`) into a
 * settings patch, validated by the same schema as a policy file.
 */
export async function parseOverrides(
  sets: readonly string[],
  mode?: string,
): Promise<SettingsPatch | undefined> {
  if (sets.length === 0 && mode === undefined) return undefined;
  const doc: Record<string, unknown> = {};
  if (mode !== undefined) doc.mode = mode;
  for (const item of sets) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw usage(`--set takes key=value, got '${item}'`);
    const key = item.slice(0, eq);
    const raw = item.slice(eq + 1);
    const value = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    const parts = key.split(".");
    if (parts.length === 1 && ["mode", "default"].includes(key)) {
      doc[key] = value;
    } else if (
      parts.length === 2 &&
      ["thresholds", "sensitivity_weights", "operation_weights", "ledger", "egress"].includes(
        parts[0]!,
      )
    ) {
      const section = (doc[parts[0]!] ??= {}) as Record<string, unknown>;
      section[parts[1]!] = raw === "true" ? true : raw === "false" ? false : value;
    } else {
      throw usage(
        `--set cannot change '${key}': use mode, default, thresholds.X, sensitivity_weights.X, operation_weights.X, ledger.X or egress.X`,
      );
    }
  }
  // Validated by the policy schema itself: loaded only when there are overrides.
  const [{ layerFromDocument }, { parseDocument }] = await Promise.all([
    import("../core/policy/layer.ts"),
    import("../core/policy/source.ts"),
  ]);
  try {
    return layerFromDocument(parseDocument(JSON.stringify(doc), "<command line>")).settings;
  } catch (error) {
    if (error instanceof WatchtowerError) throw usage(error.message.replace(/:1:\d+:/, ":"));
    throw error;
  }
}
