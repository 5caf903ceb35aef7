/**
 * `wt status`: is Watchtower set up here, and which policy is in force.
 * @module
 */
import { WatchtowerError } from "../core/errors.ts";
import { keyPaths } from "../core/ledger/checkpoints.ts";
import { ledgerFiles, listSegments } from "../core/ledger/files.ts";
import { readHead } from "../core/ledger/head.ts";
import { DEFAULT_POLICY_LABEL, userPolicyPath } from "../core/policy/mod.ts";
import { type FlagSpec, parseArgs } from "./args.ts";
import { cliEnvironment, loadCliPolicy, loadOptionsFrom, POLICY_FLAGS } from "./context.ts";
import { EXIT, exitForError } from "./exit.ts";
import { out, paint, printJson } from "./output.ts";

/** Help text. */
export const STATUS_USAGE =
  `wt status — state directory, policy in force, workspace, identity and ledger

Usage: wt status [--json] [--policy FILE] [--profile NAME]

Exit: 0 when the policy loads, 78 when it does not (every decision is then deny).`;

const FLAGS: Record<string, FlagSpec> = {
  ...POLICY_FLAGS,
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
};

/** Runs `wt status`. */
export async function runStatus(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${STATUS_USAGE}\n`);
    return EXIT.ok;
  }
  const env = cliEnvironment();
  const options = await loadOptionsFrom(env, args);
  let initialized = true;
  try {
    Deno.statSync(env.stateDir);
  } catch {
    initialized = false;
  }
  const status: Record<string, unknown> = {
    state_dir: env.stateDir,
    initialized,
    workspace: env.workspace,
    principal: env.principal,
    purpose: env.purpose ?? null,
    session: env.session ?? null,
  };
  let code: number = EXIT.ok;
  try {
    const policy = await loadCliPolicy(env, args);
    const sources = policy.merged.sources;
    const userFile = sources.at(-1) === "<command line>" ? sources.at(-2) : sources.at(-1);
    status.policy = {
      ok: true,
      file: userFile === DEFAULT_POLICY_LABEL ? null : userFile,
      using_default: userFile === DEFAULT_POLICY_LABEL,
      sources,
      profiles: policy.merged.profiles,
      mode: policy.settings.mode,
      default: policy.settings.defaultVerdict,
      rules: policy.rules.filter((rule) => rule.kind === "policy").length,
      boundaries: policy.rules.filter((rule) => rule.kind === "boundary").length,
    };
  } catch (error) {
    if (!(error instanceof WatchtowerError)) throw error;
    code = exitForError(error.code);
    status.policy = { ok: false, file: userPolicyPath(options), error: error.message };
  }
  status.ledger = ledgerFacts(env.stateDir);
  if (args.flags.json) {
    printJson(status);
    return code;
  }
  const policy = status.policy as Record<string, unknown>;
  const lines = [
    `state directory  ${env.stateDir}${
      initialized ? "" : paint("yellow", " (missing: run wt init)")
    }`,
    `workspace        ${env.workspace}`,
    `principal        ${env.principal}${env.purpose ? ` (purpose ${env.purpose})` : ""}`,
    `session          ${env.session ?? "-"}`,
  ];
  if (policy.ok) {
    lines.push(
      `policy           ${
        policy.using_default ? "built-in default (no policy file)" : String(policy.file)
      }`,
      `profiles         ${(policy.profiles as string[]).join(", ") || "-"}`,
      `mode             ${policy.mode}; default ${policy.default}; ${policy.rules} rules, ${policy.boundaries} boundaries`,
    );
  } else {
    lines.push(
      `policy           ${paint("red", "INVALID")}: ${policy.error}`,
      "                 every decision is deny until it is fixed",
    );
  }
  const ledger = status.ledger as LedgerFacts;
  lines.push(
    ledger.error
      ? `ledger           ${paint("red", "UNREADABLE")}: ${ledger.error}`
      : `ledger           ${ledger.entries} entries in ${ledger.segments} segment(s)${
        ledger.last_checkpoint
          ? `; last checkpoint at ${ledger.last_checkpoint}`
          : "; no checkpoint yet"
      }${
        ledger.signing_key ? "" : paint("yellow", "; no signing key (run wt init)")
      } (wt verify checks it all)`,
  );
  out(`${lines.join("\n")}\n`);
  return code;
}

/** What `wt status` says about the ledger, from its head (`wt verify` reads everything). */
interface LedgerFacts {
  entries: number;
  segments: number;
  last_hash: string | null;
  signing_key: boolean;
  last_checkpoint: number | null;
  error?: string;
}

function ledgerFacts(stateDir: string): LedgerFacts {
  const files = ledgerFiles(stateDir);
  const facts: LedgerFacts = {
    entries: 0,
    segments: listSegments(files).length,
    last_hash: null,
    signing_key: exists(keyPaths(stateDir).signer),
    last_checkpoint: null,
  };
  try {
    const head = readHead(files);
    if (head) {
      facts.entries = head.seq;
      facts.last_hash = head.hash;
    }
  } catch (error) {
    facts.error = error instanceof Error ? error.message : String(error);
  }
  const note = readIfExists(`${stateDir}/checkpoints/latest.note`);
  const size = note?.split("\n")[1];
  if (size && /^\d+$/.test(size)) facts.last_checkpoint = Number(size);
  return facts;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}
