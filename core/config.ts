/**
 * The environment every Watchtower binary shares: state directory, policy file, workspace and
 * the identity the agent acts as (DESIGN.md, "Shared names").
 * @module
 */
import { normalizePath } from "./match/path.ts";

/** Reads one environment variable (injected so that callers decide what they may read). */
export type EnvReader = (name: string) => string | undefined;

/** Reads an environment variable of this process, treating one it may not read as unset. */
export const readEnv: EnvReader = (name) => {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
};

/** The resolved environment. */
export interface WatchtowerEnvironment {
  /** `$WATCHTOWER_DIR`, default `~/.watchtower`. */
  stateDir: string;
  home: string | undefined;
  /** `$WATCHTOWER_POLICY`: a policy file used instead of the state directory's. */
  policyFile: string | undefined;
  /** `$WATCHTOWER_WORKSPACE`, else the git root of `cwd`, else `cwd`. */
  workspace: string;
  cwd: string;
  principal: string;
  purpose: string | undefined;
  session: string | undefined;
  capabilities: string[];
}

/** The principal used when `WATCHTOWER_PRINCIPAL` is not set. */
export const DEFAULT_PRINCIPAL = "user:local";

/**
 * Resolves the environment from variables and the working directory.
 *
 * @example
 * ```ts
 * import { resolveEnvironment } from "./config.ts";
 * import { equal } from "node:assert/strict";
 * const env = resolveEnvironment((name) => ({ HOME: "/home/me", WATCHTOWER_WORKSPACE: "/w" })[name], "/w/src");
 * equal(env.stateDir, "/home/me/.watchtower");
 * equal(env.workspace, "/w");
 * ```
 */
export function resolveEnvironment(read: EnvReader, cwd: string): WatchtowerEnvironment {
  const nonEmpty = (name: string) => {
    const value = read(name);
    return value === undefined || value === "" ? undefined : value;
  };
  const home = nonEmpty("HOME");
  const dir = nonEmpty("WATCHTOWER_DIR");
  const stateDir = normalizePath(dir ?? `${home ?? "."}/.watchtower`, cwd);
  const policy = nonEmpty("WATCHTOWER_POLICY");
  const workspaceVar = nonEmpty("WATCHTOWER_WORKSPACE");
  return {
    stateDir,
    home,
    policyFile: policy === undefined ? undefined : normalizePath(policy, cwd),
    workspace: workspaceVar !== undefined ? normalizePath(workspaceVar, cwd) : findWorkspace(cwd),
    cwd,
    principal: nonEmpty("WATCHTOWER_PRINCIPAL") ?? DEFAULT_PRINCIPAL,
    purpose: nonEmpty("WATCHTOWER_PURPOSE"),
    session: nonEmpty("WATCHTOWER_SESSION"),
    capabilities: (nonEmpty("WATCHTOWER_CAPABILITIES") ?? "").split(",").map((c) => c.trim())
      .filter(Boolean),
  };
}

/** The git root above `cwd` (a directory holding `.git`), else `cwd` itself. */
export function findWorkspace(cwd: string): string {
  let dir = normalizePath(cwd);
  for (let depth = 0; depth < 256; depth++) {
    try {
      Deno.statSync(`${dir === "/" ? "" : dir}/.git`);
      return dir;
    } catch {
      // not here (or unreadable): keep climbing
    }
    if (dir === "/") break;
    dir = dir.slice(0, dir.lastIndexOf("/")) || "/";
  }
  return normalizePath(cwd);
}

/** Where and how to load the policy for `env` (the loader's and the cache's options). */
export interface PolicyOptions {
  stateDir: string;
  policyFile?: string;
  profiles?: readonly string[];
  profileDirs: readonly string[];
  vars: { home?: string; workspace?: string; stateDir?: string };
}

/**
 * The policy load options for `env`: the state directory's policy (or `$WATCHTOWER_POLICY`, or
 * `extra.policyFile`), profiles from the state directory first, then the built-in ones in
 * `builtinProfiles`; `extra.profiles` are applied on top of those the policy names.
 */
export function policyOptions(
  env: WatchtowerEnvironment,
  builtinProfiles: string,
  extra: { profiles?: readonly string[] | undefined; policyFile?: string | undefined } = {},
): PolicyOptions {
  const options: PolicyOptions = {
    stateDir: env.stateDir,
    profileDirs: [`${env.stateDir}/profiles`, builtinProfiles],
    vars: {
      ...(env.home !== undefined ? { home: env.home } : {}),
      workspace: env.workspace,
      stateDir: env.stateDir,
    },
  };
  const policyFile = extra.policyFile ?? env.policyFile;
  if (policyFile !== undefined) options.policyFile = policyFile;
  if (extra.profiles && extra.profiles.length > 0) options.profiles = extra.profiles;
  return options;
}
