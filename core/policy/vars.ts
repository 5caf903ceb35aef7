/**
 * Policy variables: `${home}`, `${workspace}`, `${state_dir}` and a leading `~` in patterns and
 * example paths, filled in once when the policy is compiled for a process.
 * @module
 */
import { expandHome } from "../match/path.ts";

/** Values a policy refers to by `${name}` in patterns and `context` in conditions. */
export interface PolicyVars {
  home?: string;
  workspace?: string;
  stateDir?: string;
}

const escapeGlob = (value: string) => value.replace(/[\\*?[\]]/g, "\\$&");

/**
 * Fills in variables. Returns undefined when the text names a variable this process does not
 * know (no workspace, say): such a pattern can never match.
 *
 * @example
 * ```ts
 * import { fillVars } from "./vars.ts";
 * import { equal } from "node:assert/strict";
 * equal(fillVars("~/.ssh/*", { home: "/home/me" }, { glob: true }), "/home/me/.ssh/*");
 * equal(fillVars("${workspace}/**", {}), undefined);
 * ```
 */
export function fillVars(
  text: string,
  vars: PolicyVars,
  options: { glob?: boolean } = {},
): string | undefined {
  const escape = options.glob ? escapeGlob : (value: string) => value;
  let unknown = false;
  const replaced = text.replace(/\$\{(\w+)\}/g, (whole, name: string) => {
    const value = name === "home"
      ? vars.home
      : name === "workspace"
      ? vars.workspace
      : name === "state_dir"
      ? vars.stateDir
      : undefined;
    if (value === undefined) {
      unknown = true;
      return whole;
    }
    return escape(value.replace(/(.)\/+$/, "$1"));
  });
  if (unknown) return undefined;
  if (replaced === "~" || replaced.startsWith("~/")) {
    if (vars.home === undefined) return undefined;
    return expandHome(replaced, escape(vars.home));
  }
  return replaced;
}
