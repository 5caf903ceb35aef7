/**
 * `wt profile apply|remove`: adds a profile to (or takes it out of) the `profiles:` list of the
 * user's policy file. The new text is loaded as the policy, with every profile it names, before it
 * replaces the file (written beside it, then renamed over it), so a bad edit never takes effect.
 * @module
 */
import { policyOptions, type WatchtowerEnvironment } from "../core/config.ts";
import { WatchtowerError } from "../core/errors.ts";
import { DEFAULT_POLICY_YAML, loadPolicy, userPolicyPath } from "../core/policy/mod.ts";
import { type ParsedArgs, stringFlag, usage } from "./args.ts";
import { builtinProfilesDir } from "./context.ts";
import { EXIT } from "./exit.ts";
import { err, out, printJson } from "./output.ts";
import { checkProfile, PROFILE_NAME, resolveEntry } from "./profile_catalogue.ts";
import { addProfile, type ProfileEdit, removeProfile } from "./profile_edit.ts";

/** What the commands run with: the environment and the parsed flags. */
export interface ProfileContext {
  env: WatchtowerEnvironment;
  args: ParsedArgs;
}

/** `wt profile apply NAME` (and `wt apply-profile NAME`). */
export async function profileApply(name: string, context: ProfileContext): Promise<number> {
  const { env, args } = context;
  const checked = await checkProfile(resolveEntry(name, { env }), env);
  if (!checked.ok) {
    for (const line of checked.problems) err(line);
    err(`Cannot apply profile '${name}': it does not check (see wt profile check ${name})`);
    return checked.code;
  }
  const target = policyText(context);
  const created = target.text === undefined;
  const edit = addProfile(target.text ?? DEFAULT_POLICY_YAML, name, { file: target.file });
  if (edit.changed || created) await writePolicy(context, target, edit);
  const dryRun = args.flags["dry-run"] === true;
  const message = edit.changed
    ? `${dryRun ? "would apply" : "applied"} profile '${name}' in ${target.file}${
      created ? " (created from the default policy)" : ""
    }; profiles: ${edit.profiles.join(", ")}`
    : `profile '${name}' is already applied in ${target.file}`;
  report(args, {
    file: target.file,
    profile: name,
    changed: edit.changed,
    created: created && !dryRun,
    profiles: edit.profiles,
  }, { message, text: edit.text });
  return EXIT.ok;
}

/** `wt profile remove NAME`: a name that is not listed changes nothing (exit 0). */
export async function profileRemove(name: string, context: ProfileContext): Promise<number> {
  const { args } = context;
  // The profile need not exist any more: removing a deleted or broken one is what this is for.
  if (!PROFILE_NAME.test(name)) {
    throw usage(`'${name}' is not a profile name (lower-case letters, digits, - and _)`);
  }
  const target = policyText(context);
  if (target.text === undefined) {
    const message = `profile '${name}' is not applied: there is no policy file (${target.file})`;
    report(args, { file: target.file, profile: name, changed: false, profiles: [] }, { message });
    return EXIT.ok;
  }
  const edit = removeProfile(target.text, name, { file: target.file });
  if (edit.changed) await writePolicy(context, target, edit);
  const verb = args.flags["dry-run"] ? "would remove" : "removed";
  const message = edit.changed
    ? `${verb} profile '${name}' from ${target.file}; profiles: ${
      edit.profiles.join(", ") || "(none)"
    }`
    : `profile '${name}' is not applied in ${target.file}`;
  report(args, {
    file: target.file,
    profile: name,
    changed: edit.changed,
    profiles: edit.profiles,
  }, { message, text: edit.text });
  return EXIT.ok;
}

interface PolicyTarget {
  file: string;
  /** Undefined: the state directory has no policy file yet. */
  text: string | undefined;
  mode: number;
}

/**
 * The user's policy file (`--policy`, `$WATCHTOWER_POLICY`, else the state directory's) and its
 * text. A file the user named must exist; the state directory's may not yet.
 */
function policyText({ env, args }: ProfileContext): PolicyTarget {
  const named = stringFlag(args, "policy") ?? env.policyFile;
  const file = userPolicyPath({ stateDir: env.stateDir, ...(named ? { policyFile: named } : {}) });
  try {
    const text = Deno.readTextFileSync(file);
    return { file, text, mode: (Deno.statSync(file).mode ?? 0o600) & 0o777 };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    if (named !== undefined) {
      throw new WatchtowerError("policy_missing", `Cannot load policy ${file}: no such file`, {
        location: { file },
      });
    }
    return { file, text: undefined, mode: 0o600 };
  }
}

/** Loads the edited text as the policy, then (unless a dry run) renames it over the file. */
async function writePolicy(
  { env, args }: ProfileContext,
  target: PolicyTarget,
  edit: ProfileEdit,
): Promise<void> {
  const dryRun = args.flags["dry-run"] === true;
  const dir = target.file.slice(0, target.file.lastIndexOf("/")) || "/";
  if (!dryRun) Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A dry run may have no state directory to write in: its trial file goes to the temp dir.
  const temp = dryRun
    ? Deno.makeTempFileSync({ prefix: "wt-policy-" })
    : `${dir}/.${target.file.slice(dir.length + 1)}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(temp, edit.text, { mode: target.mode });
  try {
    await loadPolicy({
      ...policyOptions(env, builtinProfilesDir()),
      policyFile: temp,
      profiles: [],
    });
    if (!dryRun) Deno.renameSync(temp, target.file);
  } catch (error) {
    Deno.removeSync(temp);
    if (error instanceof WatchtowerError) {
      // Name the user's file, not the trial copy.
      throw new WatchtowerError(error.code, error.message.replaceAll(temp, target.file), {
        cause: error,
        details: error.details.map((line) => line.replaceAll(temp, target.file)),
      });
    }
    throw error;
  }
  if (dryRun) Deno.removeSync(temp);
}

/** Prints the outcome: the message, or the new file on a dry run, or JSON. */
function report(
  args: ParsedArgs,
  result: Record<string, unknown>,
  shown: { message: string; text?: string },
): void {
  const dryRun = args.flags["dry-run"] === true;
  if (args.flags.json) {
    printJson({
      ...result,
      dry_run: dryRun,
      ...(dryRun && shown.text ? { text: shown.text } : {}),
    });
  } else if (dryRun && shown.text !== undefined) {
    out(shown.text);
    err(`(dry run) ${shown.message}`);
  } else {
    out(`${shown.message}\n`);
  }
}
