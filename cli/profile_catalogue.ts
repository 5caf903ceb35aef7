/**
 * The profiles there are (the user's in `$WATCHTOWER_DIR/profiles`, then the built-in ones),
 * found by name as the policy loader finds them, read, and checked on top of the built-in rules.
 * @module
 */
import { policyOptions, type WatchtowerEnvironment } from "../core/config.ts";
import { WatchtowerError } from "../core/errors.ts";
import {
  checkExamples,
  compileMerged,
  layerFromDocument,
  mergeLayers,
  parseDocument,
  type PolicyLayer,
} from "../core/policy/mod.ts";
// builtinLayer is not re-exported by core/policy/mod.ts; cli/context.ts reaches into the policy
// folder the same way for the loader's types.
import { builtinLayer } from "../core/policy/loader.ts";
import { closest } from "../core/suggest.ts";
import { usage } from "./args.ts";
import { builtinProfilesDir } from "./context.ts";
import { EXIT, exitForError } from "./exit.ts";

/** What a profile name may be (the loader's rule): what `profiles:` lists. */
export const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const EXTENSIONS = [".yaml", ".yml", ".json"];

/** Where a profile file is, and what it hides. */
export interface ProfileEntry {
  /** What `profiles:` lists: the file name without its extension. */
  name: string;
  file: string;
  /** `file`: named by its path on the command line, not found by name. */
  source: "built-in" | "user" | "file";
  /** A built-in profile of the same name that this user profile hides. */
  shadows?: string;
}

/** Every profile by name, as the loader finds them: first directory, then extension order. */
export function catalogue(env: WatchtowerEnvironment): Map<string, ProfileEntry> {
  const dirs = [
    { dir: `${env.stateDir}/profiles`, source: "user" as const },
    { dir: builtinProfilesDir(), source: "built-in" as const },
  ];
  const found = new Map<string, ProfileEntry>();
  for (const { dir, source } of dirs) {
    let names: string[];
    try {
      names = [...Deno.readDirSync(dir)].filter((entry) => !entry.isDirectory).map((entry) =>
        entry.name
      );
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    const here = new Map<string, string>();
    for (const extension of EXTENSIONS) {
      for (const file of names.filter((file) => file.endsWith(extension)).sort()) {
        const name = file.slice(0, -extension.length);
        if (!here.has(name)) here.set(name, `${dir}/${file}`);
      }
    }
    for (const [name, file] of here) {
      const earlier = found.get(name);
      if (earlier) earlier.shadows ??= file;
      else found.set(name, { name, file, source });
    }
  }
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The profile `name` stands for (with `files`, a path such as `./mine.yaml` is taken as the
 * file itself). Throws a usage error, with a "did you mean", when there is none.
 */
export function resolveEntry(
  name: string,
  options: { env: WatchtowerEnvironment; files?: boolean },
): ProfileEntry {
  const path = name.includes("/") || EXTENSIONS.some((extension) => name.endsWith(extension));
  if (options.files && path) {
    const base = name.slice(name.lastIndexOf("/") + 1).replace(/\.(ya?ml|json)$/, "");
    return { name: base, file: name, source: "file" };
  }
  if (!PROFILE_NAME.test(name)) {
    throw usage(`'${name}' is not a profile name (lower-case letters, digits, - and _)`);
  }
  const all = catalogue(options.env);
  const entry = all.get(name);
  if (entry) return entry;
  const suggestion = closest(name, [...all.keys()]);
  throw usage(
    `Cannot find profile '${name}'${
      suggestion ? ` (did you mean '${suggestion}'?)` : ""
    }; see wt profile list`,
  );
}

/** A profile file read and validated: its layer and what the layer does not keep. */
export interface LoadedProfile {
  layer: PolicyLayer;
  description: string | undefined;
}

/** Reads a profile as the loader does. Throws a {@link WatchtowerError} (located) on failure. */
export function loadProfile(entry: ProfileEntry): LoadedProfile {
  let text: string;
  try {
    text = Deno.readTextFileSync(entry.file);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new WatchtowerError(
      error instanceof Deno.errors.NotFound ? "policy_missing" : "policy_unreadable",
      `Cannot read profile ${entry.file}: ${reason}`,
      { cause: error, location: { file: entry.file } },
    );
  }
  const doc = parseDocument(text, entry.file);
  const layer = layerFromDocument(doc);
  if (layer.profiles.length > 0) {
    throw new WatchtowerError(
      "policy_invalid",
      `Cannot load profile ${entry.file}: a profile cannot include other profiles`,
      { location: { file: entry.file, ...doc.locate(["profiles"]) } },
    );
  }
  const description = (doc.value as Record<string, unknown>).description;
  return { layer, description: typeof description === "string" ? description : undefined };
}

/** What checking a profile found; `code` is the exit code (0, or 78 for a profile that fails). */
export interface CheckResult {
  ok: boolean;
  code: number;
  /** One line each, `file:line:col` first. */
  problems: string[];
  warnings: string[];
  loaded?: LoadedProfile;
  /** The profile's own rules, boundaries and examples run (skipped ones not counted). */
  counts?: { rules: number; boundaries: number; examples: number };
}

/**
 * Reads the profile, compiles it on top of the built-in rules (as it would be applied, without
 * the user's file) and runs the examples of its own rules.
 */
export async function checkProfile(
  entry: ProfileEntry,
  env: WatchtowerEnvironment,
): Promise<CheckResult> {
  try {
    const loaded = loadProfile(entry);
    const vars = policyOptions(env, builtinProfilesDir()).vars;
    const policy = await compileMerged(mergeLayers([builtinLayer(), loaded.layer]), vars, {
      checkExamples: false,
    });
    const own = policy.rules.filter((rule) => rule.origin.file === loaded.layer.file);
    const report = checkExamples({ ...policy, rules: own });
    const counts = {
      rules: own.filter((rule) => rule.kind === "policy").length,
      boundaries: own.filter((rule) => rule.kind === "boundary").length,
      examples: report.examples - report.skipped,
    };
    const warnings = loaded.layer.name !== undefined ? [] : [
      "it has no name: key, so its boundaries are named policy/… as your own file's are, and it is not listed among the applied profiles",
    ];
    const problems = report.failures.map((failure) =>
      `Cannot load profile ${failure.where}: rule '${failure.rule}' ${failure.expectation}[${failure.index}] ${
        JSON.stringify(failure.example)
      }: ${failure.message}`
    );
    const ok = problems.length === 0;
    return { ok, code: ok ? EXIT.ok : EXIT.config, problems, warnings, loaded, counts };
  } catch (error) {
    if (!(error instanceof WatchtowerError)) throw error;
    return {
      ok: false,
      code: exitForError(error.code),
      problems: error.details.length ? [...error.details] : [error.message],
      warnings: [],
    };
  }
}
