/**
 * `wt policy keygen|sign|trust|pull`: central policy. An operator signs a policy into a bundle
 * (core/policy/bundle.ts); each host pins the signer's key and pulls the bundle, which is
 * verified, checked and installed, or refused with the last good policy left in force.
 * @module
 */
import { operatorDir } from "../core/approvals/signing.ts";
import { WatchtowerError } from "../core/errors.ts";
import { CheckpointError } from "../core/ledger/checkpoint.ts";
import { Ledger } from "../core/ledger/writer.ts";
import {
  type BundleRefusal,
  bundleTime,
  PolicyBundleError,
  signPolicyBundle,
} from "../core/policy/bundle.ts";
import { loadPolicyFast } from "../core/policy/cache.ts";
import { loadPolicy } from "../core/policy/loader.ts";
import { DEFAULT_PULL_TIMEOUT_MS, pullPolicy, type PullResult } from "../core/policy/pull.ts";
import { createPolicySigner, findPolicySigner, readPolicySigner } from "../core/policy/signer.ts";
import { policyKeysPath, readTrustedKeys, trustKey, untrustKey } from "../core/policy/trust.ts";
import { policyOptions } from "../core/config.ts";
import { type FlagSpec, parseArgs, type ParsedArgs, stringFlag, usage } from "./args.ts";
import { builtinProfilesDir, cliEnvironment, loadOptionsFrom, readEnv } from "./context.ts";
import { EXIT, exitForError } from "./exit.ts";
import { err, out, printJson } from "./output.ts";

/** The exit code of each refusal: 69 unreachable, 78 configuration, 65 a bad bundle. */
export const REFUSAL_EXIT: Record<BundleRefusal, number> = {
  unavailable: EXIT.unavailable,
  too_large: EXIT.dataError,
  not_a_bundle: EXIT.dataError,
  truncated: EXIT.dataError,
  malformed: EXIT.dataError,
  unsigned: EXIT.dataError,
  unknown_key: EXIT.dataError,
  bad_signature: EXIT.dataError,
  expired: EXIT.dataError,
  rollback: EXIT.dataError,
  serial_reused: EXIT.dataError,
  invalid_policy: EXIT.config,
  no_trusted_keys: EXIT.config,
  current_unreadable: EXIT.config,
  unrecorded: EXIT.config,
};

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  key: { type: "string" },
  serial: { type: "string" },
  expires: { type: "string" },
  out: { type: "string" },
  "no-check": { type: "boolean" },
  timeout: { type: "string" },
  "dry-run": { type: "boolean" },
};

/** Runs `wt policy SUB` for SUB `keygen`, `sign`, `trust` or `pull`. */
export async function runPolicyBundle(sub: string, argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  switch (sub) {
    case "keygen":
      return await keygen(args);
    case "sign":
      return await sign(args);
    case "trust":
      return trust(args);
    case "pull":
      return await pull(args);
    default:
      throw usage(`unknown policy command '${sub}'`);
  }
}

function only(args: ParsedArgs, count: number, what: string): string[] {
  if (args.positionals.length < count) throw usage(`name ${what}`);
  if (args.positionals.length > count) {
    throw usage(`unexpected argument '${args.positionals[count]}'`);
  }
  return args.positionals;
}

async function keygen(args: ParsedArgs): Promise<number> {
  const [name] = only(args, 1, "the key (wt policy keygen NAME)");
  const made = await createPolicySigner(operatorDir(readEnv), name!);
  if (args.flags.json) {
    printJson({
      name,
      verifier_key: made.verifierKey,
      signer: made.signer,
      verifier: made.verifier,
    });
  } else {
    out(`${made.verifierKey}\n`);
    err(
      `wrote ${made.signer} (keep it secret) and ${made.verifier}; on each host: wt policy trust add KEY`,
    );
  }
  return EXIT.ok;
}

const SPAN_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `30s`, `5m`, `12h`, `30d`, `2w` in milliseconds, else undefined. */
function span(text: string): number | undefined {
  const match = /^(\d{1,6})([smhdw])$/.exec(text);
  return match ? Number(match[1]) * SPAN_MS[match[2]!]! : undefined;
}

/** `--expires`: a span from `now`, or a date (`2025-12-31`, RFC 3339), after `now`. */
function expiryOf(text: string, now: Date): Date {
  const ms = span(text);
  const date = ms !== undefined
    ? new Date(now.getTime() + ms)
    : new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(date.getTime())) {
    throw usage(`--expires takes a span (30d, 12h) or a date (2025-12-31), got '${text}'`);
  }
  if (date.getTime() <= now.getTime()) throw usage(`--expires ${text} is not in the future`);
  return date;
}

async function sign(args: ParsedArgs): Promise<number> {
  const [file] = only(args, 1, "the policy file to sign (wt policy sign FILE)");
  const text = Deno.readTextFileSync(file!);
  if (!args.flags["no-check"]) {
    try {
      const options = await loadOptionsFrom(cliEnvironment(), { flags: {}, positionals: [] });
      await loadPolicy({ ...options, policyFile: file!, checkExamples: true });
    } catch (error) {
      if (!(error instanceof WatchtowerError)) throw error;
      for (const line of error.details.length ? error.details : [error.message]) err(line);
      err(`wt policy sign: not signed (fix the policy, or --no-check if hosts have its profiles)`);
      return exitForError(error.code);
    }
  }
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const serialText = stringFlag(args, "serial");
  const serial = serialText === undefined ? now.getTime() / 1000 : Number(serialText);
  if (
    (serialText !== undefined && !/^(0|[1-9]\d{0,15})$/.test(serialText)) ||
    !Number.isSafeInteger(serial)
  ) {
    throw usage(`--serial takes a whole number from 0 to 2^53 - 1, got '${serialText}'`);
  }
  const expires = expiryOf(stringFlag(args, "expires") ?? "30d", now);
  const keyFile = findPolicySigner(operatorDir(readEnv), stringFlag(args, "key"));
  const key = await readPolicySigner(keyFile);
  let bundle: string;
  try {
    bundle = await signPolicyBundle(text, key, { serial, issued: now, expires });
  } catch (error) {
    if (!(error instanceof PolicyBundleError)) throw error;
    err(`wt policy sign: ${error.message}`);
    return EXIT.dataError;
  }
  const target = stringFlag(args, "out");
  if (target !== undefined) {
    const temp = `${target}.tmp-${Deno.pid}`;
    Deno.writeTextFileSync(temp, bundle, { mode: 0o644 });
    Deno.renameSync(temp, target);
  }
  const keyId = key.keyId.toString(16).padStart(8, "0");
  const summary = {
    file: target ?? null,
    serial,
    issued: bundleTime(now),
    expires: bundleTime(expires),
    key: key.name,
    key_id: keyId,
  };
  if (args.flags.json) printJson(target === undefined ? { ...summary, bundle } : summary);
  else if (target === undefined) out(bundle);
  if (target !== undefined && !args.flags.json) {
    out(
      `signed ${file} into ${target}: serial ${serial}, expires ${summary.expires}, key ${key.name}+${keyId}\n`,
    );
  }
  return EXIT.ok;
}

function record(stateDir: string, event: { type: string } & Record<string, unknown>): void {
  new Ledger(stateDir).appendSync([{ data: { event } }]);
}

function trust(args: ParsedArgs): number {
  const [action, ...rest] = args.positionals;
  const { stateDir } = cliEnvironment();
  const operand = () => {
    if (rest.length !== 1) throw usage(`wt policy trust ${action} takes one key`);
    return rest[0]!;
  };
  switch (action) {
    case "list": {
      if (rest.length > 0) throw usage(`unexpected argument '${rest[0]}'`);
      const keys = readTrustedKeys(stateDir);
      if (args.flags.json) {
        printJson(keys.map((key) => ({ name: key.name, key_id: key.keyId, key: key.text })));
      } else if (keys.length === 0) {
        err(`no policy signer is pinned (${policyKeysPath(stateDir)}); wt policy trust add KEY`);
      } else {
        for (const key of keys) out(`${key.name}\t${key.keyId}\t${key.text}\n`);
      }
      return EXIT.ok;
    }
    case "add": {
      const given = operand();
      let added;
      try {
        added = trustKey(stateDir, keyText(given));
      } catch (error) {
        if (!(error instanceof CheckpointError)) throw error;
        err(`wt policy trust: ${error.message}`);
        return EXIT.usage;
      }
      const { key } = added;
      if (added.added) {
        record(stateDir, { type: "policy.trust", action: "add", key: key.name, key_id: key.keyId });
      }
      out(`${added.added ? "pinned" : "already pinned"}: ${key.name}+${key.keyId}\n`);
      return EXIT.ok;
    }
    case "remove": {
      const selector = operand();
      const removed = untrustKey(stateDir, selector);
      if (removed.length === 0) {
        err(`wt policy trust: no pinned key is named '${selector}' or has that ID`);
        return EXIT.usage;
      }
      for (const key of removed) {
        record(stateDir, {
          type: "policy.trust",
          action: "remove",
          key: key.name,
          key_id: key.keyId,
        });
        out(`removed: ${key.name}+${key.keyId}\n`);
      }
      return EXIT.ok;
    }
    default:
      throw usage("wt policy trust takes add KEY, list, or remove NAME|ID|KEY");
  }
}

/** A key given on the command line, or the first key line of a file (e.g. policy-NAME.pub). */
function keyText(given: string): string {
  if (/^[^\s+]+\+[0-9a-fA-F]{8}\+/.test(given)) return given;
  const lines = Deno.readTextFileSync(given).split("\n").map((line) => line.trim());
  return lines.find((line) => line !== "" && !line.startsWith("#")) ?? "";
}

async function pull(args: ParsedArgs): Promise<number> {
  const [source] = only(args, 1, "the bundle to pull (wt policy pull URL|FILE)");
  const timeoutText = stringFlag(args, "timeout");
  const timeoutMs = timeoutText === undefined ? DEFAULT_PULL_TIMEOUT_MS : span(timeoutText);
  if (timeoutMs === undefined || timeoutMs <= 0 || timeoutMs > 600_000) {
    throw usage(`--timeout takes a span from 1s to 10m, got '${timeoutText}'`);
  }
  const env = cliEnvironment();
  const options = policyOptions(env, builtinProfilesDir());
  let result: PullResult;
  try {
    result = await pullPolicy(source!, {
      stateDir: env.stateDir,
      profileDirs: options.profileDirs,
      vars: options.vars,
      timeoutMs,
      dryRun: args.flags["dry-run"] === true,
      record: (event) => record(env.stateDir, event),
    });
  } catch (error) {
    if (!(error instanceof PolicyBundleError)) throw error;
    if (args.flags.json) {
      printJson({ ok: false, reason: error.code, error: error.message, details: error.details });
    }
    err(`wt policy pull: ${error.message} [${error.code}]; the policy in force is unchanged`);
    for (const line of error.details.slice(1)) err(`  ${line}`);
    if (error.unrecorded) {
      err(`wt policy pull: the ledger did not record this: ${error.unrecorded}`);
    }
    return REFUSAL_EXIT[error.code];
  }
  const { header, signer } = result;
  if (result.outcome === "installed") {
    // Warm the policy cache: the next decision need not pay for a full load.
    await loadPolicyFast(options).catch(() => {});
  }
  if (args.flags.json) {
    printJson({
      ok: true,
      outcome: result.outcome,
      source: result.source,
      serial: header.serial,
      previous_serial: result.previousSerial,
      key: signer.name,
      key_id: signer.keyId,
      issued: header.issued,
      expires: header.expires,
      policy: result.policy,
      file: result.file,
      ...(result.backup ? { backup: result.backup } : {}),
    });
  } else {
    const what =
      `serial ${header.serial} from ${result.source} (key ${signer.name}+${signer.keyId}, ` +
      `expires ${header.expires})`;
    const was = result.previousSerial === null ? "" : `, replacing serial ${result.previousSerial}`;
    out(
      result.outcome === "installed"
        ? `installed ${what} as ${result.file}${was}; policy ${result.policy}\n`
        : result.outcome === "unchanged"
        ? `already in force: ${what}\n`
        : `verified ${what}: it would be installed as ${result.file}\n`,
    );
    if (result.backup) out(`the policy it replaced is kept as ${result.backup}\n`);
  }
  if (env.policyFile !== undefined) {
    err(`note: WATCHTOWER_POLICY=${env.policyFile} is used instead of ${result.file}`);
  }
  return EXIT.ok;
}
