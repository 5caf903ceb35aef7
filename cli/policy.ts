/**
 * `wt policy init|check|show|test`: write, validate, inspect and test policies; `keygen`, `sign`,
 * `trust` and `pull` (central policy) are in cli/policy_bundle.ts.
 * @module
 */
import yaml from "js-yaml";
import { WatchtowerError } from "../core/errors.ts";
import {
  checkExamples,
  type CompiledPolicy,
  DEFAULT_POLICY_YAML,
  type LoadOptions,
  loadPolicy,
  userPolicyPath,
} from "../core/policy/mod.ts";
import { type FlagSpec, parseArgs, type ParsedArgs, stringFlag, usage } from "./args.ts";
import { cliEnvironment, loadCliPolicy, loadOptionsFrom, POLICY_FLAGS } from "./context.ts";
import { EXIT, exitForError } from "./exit.ts";
import { err, out, paint, printJson } from "./output.ts";

/** Help text. */
export const POLICY_USAGE = `wt policy — write, validate, inspect and test policies

Usage:
  wt policy init [--write FILE] [--force]   print the default policy (YAML, every key explained)
                                            or write it to FILE (alias: wt init-policy)
  wt policy check [FILE] [--json]           validate FILE (default: the policy in force), with the
                                            profiles it names, its conditions and its examples
  wt policy show [--json]                   the effective merged policy and where each rule is from
  wt policy test [FILE] [--json]            run every example of every rule and profile

Central policy (docs/scale.md):
  wt policy keygen NAME [--json]            make a policy signing key pair in the operator
                                            directory (policy-NAME.key, mode 0600) and print the
                                            verifier key that hosts pin
  wt policy sign FILE [--key NAME|FILE] [--serial N] [--expires 30d|DATE] [--out BUNDLE]
                     [--no-check] [--json]  check FILE and sign it into a bundle (stdout without
                                            --out); serial default: the time in seconds
  wt policy trust add KEY|FILE | list | remove NAME|ID|KEY
                                            the signer keys pull accepts (STATE/policy-keys)
  wt policy pull URL|FILE [--timeout 10s] [--dry-run] [--json]
                                            fetch a bundle (one attempt), verify it against the
                                            pinned keys, refuse an expired one or one older than
                                            the installed bundle, check its policy, install it;
                                            every install and refusal is recorded in the ledger

Policy flags (check, show, test): --policy FILE --profile NAME --mode M --set key=value
Exit: 0 ok, 64 bad usage, 65 an example failed (test) or a bundle was refused (unsigned, bad
signature, unknown key, expired, older, malformed), 69 the bundle cannot be fetched or read,
78 the policy is invalid or no signer key is pinned.`;

/** Subcommands of cli/policy_bundle.ts, loaded only when one of them runs. */
const BUNDLE_COMMANDS = new Set(["keygen", "sign", "trust", "pull"]);

const FLAGS: Record<string, FlagSpec> = {
  ...POLICY_FLAGS,
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  write: { type: "string" },
  force: { type: "boolean" },
};

/** Runs `wt policy SUBCOMMAND`. */
export async function runPolicy(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  // The network is kept (cli/main.ts) for pull alone.
  if (sub !== "pull") Deno.permissions.revokeSync({ name: "net" });
  if (sub !== undefined && BUNDLE_COMMANDS.has(sub)) {
    if (rest.includes("--help") || rest.includes("-h")) {
      out(`${POLICY_USAGE}\n`);
      return EXIT.ok;
    }
    return await (await import("./policy_bundle.ts")).runPolicyBundle(sub, rest);
  }
  const args = parseArgs(rest, FLAGS);
  if (sub === undefined || sub === "help" || sub === "--help" || sub === "-h" || args.flags.help) {
    out(`${POLICY_USAGE}\n`);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  switch (sub) {
    case "init":
      return policyInit(args);
    case "check":
      return await policyCheck(args);
    case "show":
      return await policyShow(args);
    case "test":
      return await policyTest(args);
    default:
      throw usage(
        `unknown policy command '${sub}': expected init, check, show, test, keygen, sign, trust or pull`,
      );
  }
}

/** `wt policy init` / `wt init-policy`. */
export function policyInit(args: ParsedArgs): number {
  const file = stringFlag(args, "write") ?? args.positionals[0];
  if (file === undefined) {
    out(DEFAULT_POLICY_YAML);
    return EXIT.ok;
  }
  try {
    Deno.writeTextFileSync(file, DEFAULT_POLICY_YAML, {
      createNew: !args.flags.force,
      mode: 0o600,
    });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      err(`Cannot write ${file}: it exists; use --force to overwrite it`);
      return EXIT.config;
    }
    throw error;
  }
  out(`wrote the default policy to ${file}\n`);
  return EXIT.ok;
}

async function optionsFor(args: ParsedArgs): Promise<{ file: string; options: LoadOptions }> {
  const env = cliEnvironment();
  const options = await loadOptionsFrom(env, args);
  const file = args.positionals[0];
  if (args.positionals.length > 1) throw usage(`unexpected argument '${args.positionals[1]}'`);
  if (file !== undefined) options.policyFile = file;
  return { file: file ?? userPolicyPath(options), options };
}

async function load(args: ParsedArgs, checkExamples: boolean) {
  const { file, options } = await optionsFor(args);
  return { file, policy: await loadPolicy({ ...options, checkExamples }) };
}

async function policyCheck(args: ParsedArgs): Promise<number> {
  let result;
  try {
    result = await load(args, true);
  } catch (error) {
    if (!(error instanceof WatchtowerError)) throw error;
    if (args.flags.json) {
      printJson({
        ok: false,
        error: error.message,
        problems: error.details.length ? error.details : [error.message],
      });
    } else {
      for (const line of error.details.length ? error.details : [error.message]) err(line);
    }
    return exitForError(error.code);
  }
  const { file, policy } = result;
  const summary = {
    ok: true,
    file,
    sources: policy.merged.sources,
    rules: policy.rules.filter((rule) => rule.kind === "policy").length,
    boundaries: policy.rules.filter((rule) => rule.kind === "boundary").length,
    examples: checkExamples(policy).examples,
  };
  if (args.flags.json) printJson(summary);
  else {
    out(
      `${
        paint("green", "ok")
      }: ${file} (${summary.rules} rules, ${summary.boundaries} boundaries, ${summary.examples} examples pass; layers: ${
        summary.sources.join(" < ")
      })\n`,
    );
  }
  return EXIT.ok;
}

/** A plain description of the effective policy (what `show` prints). */
export function describePolicy(policy: CompiledPolicy): Record<string, unknown> {
  const { settings, merged } = policy;
  return {
    sources: merged.sources,
    profiles: merged.profiles,
    mode: settings.mode,
    default: settings.defaultVerdict,
    thresholds: settings.thresholds,
    sensitivity_weights: settings.sensitivityWeights,
    operation_weights: settings.operationWeights,
    ledger: { sync: settings.ledger.sync, segment_bytes: settings.ledger.segmentBytes },
    sensitivity: merged.sensitivity.map((entry) => ({
      pattern: entry.pattern,
      level: entry.level,
      ...(entry.domains ? { domain: entry.domains } : {}),
      from: `${entry.origin.file}:${entry.origin.line}`,
    })),
    rules: policy.rules.map((rule) => {
      const d = rule.definition;
      return {
        name: d.name,
        kind: d.kind,
        ...(d.kind === "policy" ? { priority: d.priority } : {}),
        match: d.match,
        ...(d.condition !== undefined ? { condition: d.condition } : {}),
        ...(d.textPattern !== undefined ? { text_pattern: d.textPattern } : {}),
        action: d.action,
        audit: d.audit,
        ...(d.riskLevel ? { risk_level: d.riskLevel } : {}),
        ...(d.reason ? { reason: d.reason } : {}),
        ...(d.approvalKey ? { approval_key: d.approvalKey } : {}),
        from: `${d.origin.file}:${d.origin.line}:${d.origin.column}`,
      };
    }),
  };
}

async function policyShow(args: ParsedArgs): Promise<number> {
  if (args.positionals.length > 0) throw usage(`unexpected argument '${args.positionals[0]}'`);
  let policy: CompiledPolicy;
  try {
    policy = await loadCliPolicy(cliEnvironment(), args);
  } catch (error) {
    if (!(error instanceof WatchtowerError)) throw error;
    err(error.message);
    return exitForError(error.code);
  }
  const description = describePolicy(policy);
  if (args.flags.json) printJson(description);
  else out(yaml.dump(description, { lineWidth: 100, noRefs: true }));
  return EXIT.ok;
}

async function policyTest(args: ParsedArgs): Promise<number> {
  let policy: CompiledPolicy;
  try {
    policy = (await load(args, false)).policy;
  } catch (error) {
    if (!(error instanceof WatchtowerError)) throw error;
    err(error.message);
    return exitForError(error.code);
  }
  const report = checkExamples(policy);
  if (args.flags.json) {
    printJson(report);
  } else {
    const failing = new Set(report.failures.map((failure) => failure.rule));
    for (const rule of policy.rules) {
      const examples = rule.definition.examples;
      if (!examples) continue;
      const count = examples.match.length + examples.not_match.length;
      if (!failing.has(rule.name)) {
        out(`${paint("green", "PASS")} ${rule.name} (${count} example${count === 1 ? "" : "s"})\n`);
      }
    }
    for (const failure of report.failures) {
      out(
        `${paint("red", "FAIL")} ${failure.rule} ${failure.expectation}[${failure.index}] ${
          JSON.stringify(failure.example)
        }: ${failure.message} (${failure.where})\n`,
      );
    }
    const skipped = report.skipped ? `, ${report.skipped} skipped (unknown variable)` : "";
    out(
      `${
        report.examples - report.failures.length - report.skipped
      } passed, ${report.failures.length} failed${skipped}\n`,
    );
  }
  return report.failures.length > 0 ? EXIT.dataError : EXIT.ok;
}
