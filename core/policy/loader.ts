/**
 * Finds, reads and compiles the effective policy: built-in defaults, then profiles, then the
 * user's file (or the default policy when there is none), then command-line overrides.
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import { type CompiledPolicy, compilePolicy, needsRegex } from "./compile.ts";
import { BUILTIN_LABEL, BUILTIN_RULES_YAML } from "./builtin_rules.ts";
import {
  BUILTIN_AUTHORITY_RULES_LABEL,
  BUILTIN_AUTHORITY_RULES_YAML,
} from "./builtin_authority_rules.ts";
import {
  BUILTIN_COMMAND_RULES_LABEL,
  BUILTIN_COMMAND_RULES_YAML,
} from "./builtin_command_rules.ts";
import { DEFAULT_POLICY_YAML } from "./default_policy.ts";
import { checkExamples } from "./examples.ts";
import { loadRegexCompiler } from "./expr/mod.ts";
import { layerFromDocument, mergeLayers, type PolicyLayer, type SettingsPatch } from "./layer.ts";
import type { MergedPolicy } from "./model.ts";
import { parseDocument } from "./source.ts";
import type { PolicyVars } from "./vars.ts";

/** The label of the built-in default policy in messages and `sources`. */
export const DEFAULT_POLICY_LABEL = "<default policy>";

/** A read attempt: only `missing` may fall back to defaults. */
export type ReadResult =
  | { status: "ok"; layer: PolicyLayer }
  | { status: "missing"; path: string }
  | { status: "unreadable"; error: WatchtowerError }
  | { status: "invalid"; error: WatchtowerError };

/** Reads and validates one policy or profile file. */
export function readPolicyFile(path: string): ReadResult {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { status: "missing", path };
    const reason = error instanceof Error ? error.message : String(error);
    return {
      status: "unreadable",
      error: new WatchtowerError("policy_unreadable", `Cannot read policy ${path}: ${reason}`, {
        cause: error,
        location: { file: path },
      }),
    };
  }
  try {
    return { status: "ok", layer: layerFromDocument(parseDocument(text, path)) };
  } catch (error) {
    if (error instanceof WatchtowerError) return { status: "invalid", error };
    throw error;
  }
}

/** Where to look for the policy and how to compile it. */
export interface LoadOptions {
  /** The state directory: `policy.yaml` or `policy.json` in it is the user's file. */
  stateDir: string;
  /** A file to use instead (`WATCHTOWER_POLICY`, `--policy`): if it fails, loading fails. */
  policyFile?: string;
  /** Profiles named on the command line, applied after those the file names. */
  profiles?: readonly string[];
  /** Directories searched for `NAME.yaml` profiles, first match wins. */
  profileDirs: readonly string[];
  /** Command-line overrides, applied last. */
  overrides?: SettingsPatch;
  vars: PolicyVars;
  /** Check rule examples while loading (default true); `wt policy test` reports them instead. */
  checkExamples?: boolean;
}

/** Candidate names of the user's policy file in the state directory, in order of preference. */
export const POLICY_FILE_NAMES = ["policy.yaml", "policy.yml", "policy.json"] as const;

/** Finds the user's policy file: the named file, or the first that exists in the state dir. */
export function userPolicyPath(options: Pick<LoadOptions, "stateDir" | "policyFile">): string {
  if (options.policyFile !== undefined) return options.policyFile;
  for (const name of POLICY_FILE_NAMES) {
    const path = `${options.stateDir}/${name}`;
    try {
      Deno.statSync(path);
      return path;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) return path; // let the read report it
    }
  }
  return `${options.stateDir}/${POLICY_FILE_NAMES[0]}`;
}

/** Resolves every layer in merge order. Throws a {@link WatchtowerError} on any failure. */
export function resolveLayers(options: LoadOptions): PolicyLayer[] {
  const path = userPolicyPath(options);
  const user = readPolicyFile(path);
  let userLayer: PolicyLayer;
  if (user.status === "ok") {
    userLayer = user.layer;
  } else if (user.status === "missing" && options.policyFile === undefined) {
    userLayer = layerFromDocument(parseDocument(DEFAULT_POLICY_YAML, DEFAULT_POLICY_LABEL));
  } else if (user.status === "missing") {
    throw new WatchtowerError("policy_missing", `Cannot load policy ${path}: no such file`, {
      location: { file: path },
    });
  } else {
    throw user.error;
  }
  return layersAround(userLayer, options);
}

/**
 * Every layer in merge order around a user layer already read (e.g. from a signed bundle): the
 * built-in rules, the profiles it and `options.profiles` name, it, then the overrides. Throws a
 * {@link WatchtowerError} as {@link resolveLayers} does.
 */
export function layersAround(
  userLayer: PolicyLayer,
  options: Pick<LoadOptions, "profiles" | "profileDirs" | "overrides">,
): PolicyLayer[] {
  if (userLayer.name !== undefined && userLayer.profiles.length > 0) {
    throw new WatchtowerError(
      "policy_invalid",
      `Cannot load policy ${userLayer.file}: a profile cannot include other profiles`,
    );
  }
  const names = [...new Set([...userLayer.profiles, ...(options.profiles ?? [])])];
  const layers = [builtinLayer(), ...names.map((name) => readProfile(name, options.profileDirs))];
  layers.push(userLayer);
  if (options.overrides) {
    layers.push({
      file: "<command line>",
      settings: options.overrides,
      rules: [],
      sensitivity: [],
      profiles: [],
    });
  }
  return layers;
}

/**
 * The built-in rules layer (always first): the GTFOBins rules, then the command guard's, then
 * the authority boundary's.
 */
export function builtinLayer(): PolicyLayer {
  const layer = layerFromDocument(parseDocument(BUILTIN_RULES_YAML, BUILTIN_LABEL));
  const commands = layerFromDocument(
    parseDocument(BUILTIN_COMMAND_RULES_YAML, BUILTIN_COMMAND_RULES_LABEL),
  );
  const authority = layerFromDocument(
    parseDocument(BUILTIN_AUTHORITY_RULES_YAML, BUILTIN_AUTHORITY_RULES_LABEL),
  );
  return { ...layer, rules: [...layer.rules, ...commands.rules, ...authority.rules] };
}

/** Reads profile `name` from the first directory that has it. */
export function readProfile(name: string, dirs: readonly string[]): PolicyLayer {
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name)) {
    throw new WatchtowerError(
      "policy_invalid",
      `Cannot load profile '${name}': not a profile name`,
    );
  }
  for (const dir of dirs) {
    for (const extension of [".yaml", ".yml", ".json"]) {
      const result = readPolicyFile(`${dir}/${name}${extension}`);
      if (result.status === "missing") continue;
      if (result.status !== "ok") throw result.error;
      if (result.layer.profiles.length > 0) {
        throw new WatchtowerError(
          "policy_invalid",
          `Cannot load profile ${result.layer.file}: a profile cannot include other profiles`,
        );
      }
      return result.layer;
    }
  }
  throw new WatchtowerError(
    "policy_missing",
    `Cannot load profile '${name}': not found in ${dirs.join(", ") || "(no profile directories)"}`,
  );
}

/** Compiles merged layers, loading the regex engine only when a rule needs it. */
export async function compileMerged(
  merged: MergedPolicy,
  vars: PolicyVars,
  options: { checkExamples?: boolean } = {},
): Promise<CompiledPolicy> {
  const regex = needsRegex(merged) ? await loadRegexCompiler() : undefined;
  const policy = compilePolicy(merged, regex ? { vars, regex } : { vars });
  if (options.checkExamples ?? true) {
    const report = checkExamples(policy);
    const failures = report.failures.map((failure) =>
      `Cannot load policy ${failure.where}: rule '${failure.rule}' ${failure.expectation}[${failure.index}] ${
        JSON.stringify(failure.example)
      }: ${failure.message}`
    );
    if (failures.length > 0) {
      throw new WatchtowerError("policy_invalid", failures[0]!, { details: failures });
    }
  }
  return policy;
}

/** Loads and compiles the effective policy. Throws a {@link WatchtowerError} on any failure. */
export async function loadPolicy(options: LoadOptions): Promise<CompiledPolicy> {
  const merged = mergeLayers(resolveLayers(options));
  return await compileMerged(merged, options.vars, {
    checkExamples: options.checkExamples ?? true,
  });
}

/**
 * Compiles one policy document given as text (after the built-in defaults and rules), for tests
 * and embedding.
 */
export async function loadPolicyFromText(
  text: string,
  options: { vars: PolicyVars; file?: string; checkExamples?: boolean },
): Promise<CompiledPolicy> {
  const layer = layerFromDocument(parseDocument(text, options.file ?? "<text>"));
  return await compileMerged(mergeLayers([builtinLayer(), layer]), options.vars, {
    checkExamples: options.checkExamples ?? true,
  });
}
