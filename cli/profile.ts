/**
 * `wt profile list|show|check|apply|remove`: the safety profiles there are (built-in, and the
 * user's in `$WATCHTOWER_DIR/profiles`), what each holds, whether it loads, and applying one by
 * adding it to the `profiles:` list of the user's policy file (cli/profile_apply.ts).
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import { WatchtowerError } from "../core/errors.ts";
import { readPolicyFile, type RuleDefinition, userPolicyPath } from "../core/policy/mod.ts";
import { closest } from "../core/suggest.ts";
import { type FlagSpec, parseArgs, type ParsedArgs, stringFlag, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { EXIT, exitForError } from "./exit.ts";
import { err, out, paint, printJson } from "./output.ts";
import { profileApply, type ProfileContext, profileRemove } from "./profile_apply.ts";
import {
  catalogue,
  checkProfile,
  type LoadedProfile,
  loadProfile,
  type ProfileEntry,
  resolveEntry,
} from "./profile_catalogue.ts";

const HELP: Record<string, string> = {
  list: `  wt profile list [--json]
      The built-in profiles and your own ($WATCHTOWER_DIR/profiles/NAME.yaml, found first), each
      with its description, where it is from and whether your policy applies it.`,
  show: `  wt profile show NAME|FILE [--json]
      The profile as loaded: its file, boundaries (always deny), rules (priority, action, match)
      and settings.`,
  check: `  wt profile check NAME|FILE [--json]          (alias: wt check-profile)
      Validate the profile (errors as file:line:col), compile it on top of the built-in rules and
      run its examples. Exit 0 valid, 78 invalid.`,
  apply: `  wt profile apply NAME [--dry-run] [--json]   (alias: wt apply-profile)
      Add NAME to the profiles: list of your policy file, keeping its comments and layout. With
      no policy file, the default policy is written first. Refuses a profile that does not
      check, and writes nothing unless the new policy loads. --dry-run prints the new file.`,
  remove: `  wt profile remove NAME [--dry-run] [--json]
      Take NAME out of your policy's profiles: list again.`,
};

/** Help text. */
export const PROFILE_USAGE = `wt profile — list, inspect, validate and apply safety profiles

Usage:
${Object.values(HELP).join("\n")}

Your policy file is --policy FILE, else $WATCHTOWER_POLICY, else $WATCHTOWER_DIR/policy.yaml (or
.yml, .json). A profile is the base and your file the override (docs/policy.md, "Profiles").
Exit: 0 ok, 64 bad usage or an unknown profile, 78 a profile or policy that does not load.`;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  "dry-run": { type: "boolean" },
  policy: { type: "string" },
};

const SUBCOMMANDS = ["list", "show", "check", "apply", "remove"];

/** Runs `wt profile SUBCOMMAND`. */
export async function runProfile(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const args = parseArgs(rest, FLAGS);
  if (sub === undefined || sub === "help" || sub === "--help" || sub === "-h") {
    out(`${PROFILE_USAGE}\n`);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (!SUBCOMMANDS.includes(sub)) {
    const suggestion = closest(sub, SUBCOMMANDS);
    throw usage(
      `unknown profile command '${sub}'${
        suggestion ? ` (did you mean '${suggestion}'?)` : ""
      }: expected ${SUBCOMMANDS.join(", ")}`,
    );
  }
  if (args.flags.help) {
    out(`wt profile ${sub}\n\nUsage:\n${HELP[sub]}\n`);
    return EXIT.ok;
  }
  const context: ProfileContext = { env: cliEnvironment(), args };
  if (sub === "list") {
    if (args.positionals.length > 0) throw usage(`unexpected argument '${args.positionals[0]}'`);
    return profileList(context);
  }
  const [name, extra] = args.positionals;
  if (name === undefined) throw usage(`wt profile ${sub} needs a profile name`);
  if (extra !== undefined) throw usage(`unexpected argument '${extra}'`);
  switch (sub) {
    case "show":
      return profileShow(name, context);
    case "check":
      return await profileCheck(name, context);
    case "apply":
      return await profileApply(name, context);
    default:
      return await profileRemove(name, context);
  }
}

/** The profiles the user's policy file applies (the default policy applies none). */
interface UserPolicy {
  file: string;
  exists: boolean;
  /** Null when the file does not load (then nobody can say). */
  profiles: string[] | null;
  error?: string;
}

function userPolicy(env: WatchtowerEnvironment, args: ParsedArgs): UserPolicy {
  const named = stringFlag(args, "policy") ?? env.policyFile;
  const file = userPolicyPath({ stateDir: env.stateDir, ...(named ? { policyFile: named } : {}) });
  const result = readPolicyFile(file);
  if (result.status === "ok") return { file, exists: true, profiles: result.layer.profiles };
  if (result.status === "missing") {
    return named === undefined
      ? { file, exists: false, profiles: [] }
      : { file, exists: false, profiles: null, error: `Cannot load policy ${file}: no such file` };
  }
  return { file, exists: true, profiles: null, error: result.error.message };
}

function profileList({ env, args }: ProfileContext): number {
  const policy = userPolicy(env, args);
  const rows = [...catalogue(env).values()].map((entry) => {
    let loaded: LoadedProfile | undefined;
    let error: string | undefined;
    try {
      loaded = loadProfile(entry);
    } catch (caught) {
      if (!(caught instanceof WatchtowerError)) throw caught;
      error = caught.message;
    }
    return {
      name: entry.name,
      profile_name: loaded?.layer.name ?? null,
      description: loaded?.description ?? null,
      source: entry.source,
      file: entry.file,
      ...(entry.shadows ? { shadows: entry.shadows } : {}),
      applied: policy.profiles === null ? null : policy.profiles.includes(entry.name),
      valid: error === undefined,
      ...(error !== undefined ? { error } : {}),
    };
  });
  const unknown = (policy.profiles ?? []).filter((name) => !rows.some((row) => row.name === name));
  if (args.flags.json) {
    printJson({ policy: { ...policy, unknown_profiles: unknown }, profiles: rows });
    return EXIT.ok;
  }
  const width = Math.max(4, ...rows.map((row) => row.name.length));
  out(`${"NAME".padEnd(width)}  FROM      APPLIED  DESCRIPTION\n`);
  for (const row of rows) {
    const applied = row.applied === null ? "?" : row.applied ? "yes" : "-";
    const about = row.error !== undefined
      ? paint("red", `INVALID: ${row.error}`)
      : [row.description, row.shadows ? `(hides the built-in ${row.name})` : undefined]
        .filter(Boolean).join(" ");
    const mark = row.applied ? paint("green", applied.padEnd(7)) : applied.padEnd(7);
    out(`${row.name.padEnd(width)}  ${row.source.padEnd(8)}  ${mark}  ${about}\n`);
  }
  if (policy.error !== undefined) err(`warning: ${policy.error}`);
  for (const name of unknown) err(`warning: ${policy.file} applies '${name}', which is not found`);
  const where = policy.exists
    ? policy.file
    : `${policy.file} (none yet: the default policy applies, with no profiles)`;
  out(
    `\nYour policy: ${where}\nApply one with wt profile apply NAME; see one with wt profile show NAME.\n`,
  );
  return EXIT.ok;
}

/** What `wt profile show` prints. */
interface ProfileDescription {
  name: string;
  profile_name: string | null;
  description: string | null;
  file: string;
  source: ProfileEntry["source"];
  boundaries: Array<
    { kind: string; pattern: string; rule: string; action: string; reason?: string; from: string }
  >;
  rules: Array<{
    name: string;
    priority: number;
    action: string;
    match: RuleDefinition["match"];
    condition?: string;
    reason?: string;
    enabled?: false;
    examples: number;
    from: string;
  }>;
  settings: Record<string, unknown>;
  sensitivity: Array<{ pattern: string; level: string }>;
}

/** What a boundary rule guards, from its name `OWNER/KIND:PATTERN`. */
function boundaryOf(rule: RuleDefinition): { kind: string; pattern: string } {
  const match = /\/(authority|url|command|file):([\s\S]*)$/.exec(rule.name);
  return match ? { kind: match[1]!, pattern: match[2]! } : { kind: "?", pattern: rule.name };
}

function describeProfile(entry: ProfileEntry, loaded: LoadedProfile): ProfileDescription {
  const { layer } = loaded;
  const from = (rule: RuleDefinition) =>
    `${rule.origin.file}:${rule.origin.line}:${rule.origin.column}`;
  const settings = layer.settings;
  return {
    name: entry.name,
    profile_name: layer.name ?? null,
    description: loaded.description ?? null,
    file: entry.file,
    source: entry.source,
    boundaries: layer.rules.filter((rule) => rule.kind === "boundary").map((rule) => ({
      ...boundaryOf(rule),
      rule: rule.name,
      action: rule.action,
      ...(rule.reason ? { reason: rule.reason } : {}),
      from: from(rule),
    })),
    rules: layer.rules.filter((rule) => rule.kind === "policy").map((rule) => ({
      name: rule.name,
      priority: rule.priority,
      action: rule.action,
      match: rule.match,
      ...(rule.condition !== undefined ? { condition: rule.condition } : {}),
      ...(rule.reason ? { reason: rule.reason } : {}),
      ...(rule.disabled ? { enabled: false as const } : {}),
      examples: rule.examples ? rule.examples.match.length + rule.examples.not_match.length : 0,
      from: from(rule),
    })),
    settings: {
      ...(settings.mode ? { mode: settings.mode } : {}),
      ...(settings.defaultVerdict ? { default: settings.defaultVerdict } : {}),
      ...(settings.thresholds ? { thresholds: settings.thresholds } : {}),
      ...(settings.sensitivityWeights ? { sensitivity_weights: settings.sensitivityWeights } : {}),
      ...(settings.operationWeights ? { operation_weights: settings.operationWeights } : {}),
      ...(settings.ledger ? { ledger: settings.ledger } : {}),
      ...(settings.egress ? { egress: settings.egress } : {}),
    },
    sensitivity: layer.sensitivity.map((entry) => ({ pattern: entry.pattern, level: entry.level })),
  };
}

/** A rule's match in one short line: `domain=http method=GET,POST`, long lists cut after 3. */
function summary(match: RuleDefinition["match"]): string {
  return Object.entries(match).map(([key, value]) => {
    const values = [value].flat();
    const shown = values.length > 4 ? [...values.slice(0, 3), `… (${values.length})`] : values;
    return `${key}=${shown.join(",")}`;
  }).join(" ");
}

function profileShow(name: string, { env, args }: ProfileContext): number {
  const entry = resolveEntry(name, { env, files: true });
  let loaded: LoadedProfile;
  try {
    loaded = loadProfile(entry);
  } catch (error) {
    if (!(error instanceof WatchtowerError)) throw error;
    for (const line of error.details.length ? error.details : [error.message]) err(line);
    return exitForError(error.code);
  }
  const shown = describeProfile(entry, loaded);
  if (args.flags.json) {
    printJson(shown);
    return EXIT.ok;
  }
  const title = loaded.layer.name && loaded.layer.name !== entry.name
    ? `${entry.name} (${loaded.layer.name})`
    : entry.name;
  out(`${paint("bold", title)}${loaded.description ? ` — ${loaded.description}` : ""}\n`);
  out(`file: ${entry.file} (${entry.source})\n`);
  out(`\nBoundaries (always deny; only a rule of the same name in a later layer replaces one):\n`);
  if (shown.boundaries.length === 0) out("  (none)\n");
  const kindWidth = Math.max(0, ...shown.boundaries.map((b) => b.kind.length));
  for (const boundary of shown.boundaries) {
    // Authority boundaries carry their own reasons; the others share one per kind.
    const why = boundary.kind === "authority" && boundary.reason ? `  (${boundary.reason})` : "";
    out(`  ${boundary.kind.padEnd(kindWidth)}  ${boundary.pattern}${paint("dim", why)}\n`);
  }
  out(`\nRules (${shown.rules.length}):\n`);
  if (shown.rules.length === 0) out("  (none)\n");
  for (const rule of shown.rules) {
    const flags = [
      rule.condition !== undefined ? "+condition" : "",
      rule.enabled === false ? "(removes a rule of this name)" : "",
    ].filter(Boolean).join(" ");
    out(
      `  ${String(rule.priority).padStart(5)}  ${rule.action.padEnd(8)}  ${
        paint("bold", rule.name)
      }  ${summary(rule.match)}${flags ? ` ${flags}` : ""}\n`,
    );
    const line = `line ${rule.from.split(":").at(-2)}`;
    out(`         ${paint("dim", rule.reason ? `${rule.reason} (${line})` : line)}\n`);
  }
  const settings = Object.entries(shown.settings);
  if (settings.length > 0 || shown.sensitivity.length > 0) {
    out(`\nSettings:\n`);
    for (const [key, value] of settings) out(`  ${key}: ${JSON.stringify(value)}\n`);
    for (const item of shown.sensitivity) out(`  sensitivity: ${item.pattern} → ${item.level}\n`);
  }
  return EXIT.ok;
}

async function profileCheck(name: string, { env, args }: ProfileContext): Promise<number> {
  const entry = resolveEntry(name, { env, files: true });
  const result = await checkProfile(entry, env);
  if (args.flags.json) {
    printJson({
      ok: result.ok,
      name: entry.name,
      profile_name: result.loaded?.layer.name ?? null,
      file: entry.file,
      source: entry.source,
      ...(result.counts ?? {}),
      problems: result.problems,
      warnings: result.warnings,
    });
    return result.code;
  }
  for (const line of result.problems) err(line);
  for (const line of result.warnings) err(`warning: ${entry.file}: ${line}`);
  if (result.ok && result.counts) {
    const { rules, boundaries, examples } = result.counts;
    out(
      `${
        paint("green", "ok")
      }: profile ${entry.name} (${entry.file}): ${rules} rules, ${boundaries} boundaries, ${examples} examples pass\n`,
    );
  }
  return result.code;
}
