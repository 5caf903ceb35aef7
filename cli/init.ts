/**
 * `wt init`: create the state directory and the default, commented policy. Idempotent; never
 * overwrites a user's policy without `--force` (and then keeps a backup).
 * @module
 */
import { ensureKeys, keyPaths } from "../core/ledger/checkpoints.ts";
import { DEFAULT_POLICY_YAML, POLICY_FILE_NAMES } from "../core/policy/mod.ts";
import { type FlagSpec, parseArgs, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { EXIT } from "./exit.ts";
import { out, printJson } from "./output.ts";

/** Help text. */
export const INIT_USAGE = `wt init — create the state directory and the default policy

Usage: wt init [--force] [--json]

Creates $WATCHTOWER_DIR (default ~/.watchtower, mode 0700), policy.yaml in it, and the Ed25519
key that signs ledger checkpoints (keys/ledger.key, mode 0600; keys/ledger.pub to share). Running
it again changes nothing. --force rewrites policy.yaml with the default, keeping the old file as
policy.yaml.bak-<time>.`;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  force: { type: "boolean" },
  json: { type: "boolean" },
};

/** Runs `wt init`. */
export async function runInit(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${INIT_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw usage(`unexpected argument '${args.positionals[0]}'`);
  const env = cliEnvironment();
  const actions: string[] = [];
  let createdDir = false;
  try {
    Deno.statSync(env.stateDir);
  } catch {
    Deno.mkdirSync(env.stateDir, { recursive: true, mode: 0o700 });
    createdDir = true;
    actions.push(`created ${env.stateDir}`);
  }
  const existing = POLICY_FILE_NAMES.map((name) => `${env.stateDir}/${name}`).find(exists);
  const target = `${env.stateDir}/policy.yaml`;
  let policyAction: "created" | "kept" | "replaced";
  if (existing && !args.flags.force) {
    policyAction = "kept";
    actions.push(`kept ${existing} (use --force to replace it with the default)`);
  } else {
    if (existing) {
      const backup = `${existing}.bak-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      Deno.renameSync(existing, backup);
      actions.push(`moved ${existing} to ${backup}`);
      policyAction = "replaced";
    } else {
      policyAction = "created";
    }
    Deno.writeTextFileSync(target, DEFAULT_POLICY_YAML, { mode: 0o600, createNew: true });
    actions.push(`wrote the default policy to ${target}`);
  }
  const keys = await ensureKeys(env.stateDir);
  const paths = keyPaths(env.stateDir);
  actions.push(
    keys.created
      ? `created the ledger signing key ${paths.signer} (verifier key in ${paths.verifier})`
      : `kept the ledger signing key ${paths.signer}`,
  );
  if (args.flags.json) {
    printJson({
      state_dir: env.stateDir,
      created_dir: createdDir,
      policy: existing ?? target,
      policy_action: policyAction,
      verifier_key: keys.verifierKey,
      key_created: keys.created,
    });
  } else {
    out(`${actions.join("\n")}\n`);
  }
  return EXIT.ok;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
