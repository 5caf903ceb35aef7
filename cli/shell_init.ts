/**
 * `wt shell-init`: shell functions with the Watchtower 2.0 names (`wt_tail`, `wt_verify`, …),
 * so that its users keep their habits: `eval "$(wt shell-init bash)"`.
 * @module
 */
import { type FlagSpec, parseArgs, usage } from "./args.ts";
import { EXIT } from "./exit.ts";
import { out } from "./output.ts";

/** Help text. */
export const SHELL_INIT_USAGE = `wt shell-init — wt_* shell functions, as Watchtower 2.0 had

Usage: wt shell-init bash|zsh

Add to ~/.bashrc or ~/.zshrc:
  eval "$(wt shell-init bash)"      (or zsh)

Defines wt_init wt_clean wt_stats wt_watch wt_tail wt_alert wt_gtfo wt_export wt_report
wt_recent wt_status wt_verify, each calling the wt subcommand of the same name with its
arguments (wt_tail -n 5 = wt tail -n 5). Aliases of those names are removed first.`;

const FLAGS: Record<string, FlagSpec> = { help: { type: "boolean", short: "h" } };

/** The Watchtower 2.0 shell commands, each the `wt` subcommand after `wt_`. */
export const SHELL_FUNCTIONS = [
  "init",
  "clean",
  "stats",
  "watch",
  "tail",
  "alert",
  "gtfo",
  "export",
  "report",
  "recent",
  "status",
  "verify",
] as const;

const SHELLS = ["bash", "zsh"] as const;

/**
 * The script for `shell` (bash and zsh read the same function syntax).
 *
 * @example
 * ```ts
 * import { shellInit } from "./shell_init.ts";
 * import { match } from "node:assert/strict";
 * match(shellInit("bash"), /^wt_tail\(\) \{ command wt tail "\$@"; \}$/m);
 * ```
 */
export function shellInit(shell: typeof SHELLS[number]): string {
  const lines = [
    `# Watchtower shell functions (${shell}): eval "$(wt shell-init ${shell})"`,
    // An alias would be expanded inside the definitions below (a syntax error): drop any.
    `unalias ${SHELL_FUNCTIONS.map((name) => `wt_${name}`).join(" ")} 2>/dev/null || true`,
    // `command wt` skips any alias or function named wt.
    ...SHELL_FUNCTIONS.map((name) => `wt_${name}() { command wt ${name} "$@"; }`),
  ];
  return `${lines.join("\n")}\n`;
}

/** Runs `wt shell-init`. */
export function runShellInit(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${SHELL_INIT_USAGE}\n`);
    return Promise.resolve(EXIT.ok);
  }
  const [shell, extra] = args.positionals;
  if (extra !== undefined) throw usage(`unexpected argument '${extra}'`);
  if (shell === undefined) throw usage("name the shell: wt shell-init bash|zsh");
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw usage(`wt shell-init supports ${SHELLS.join(" and ")}, not '${shell}'`);
  }
  out(shellInit(shell as typeof SHELLS[number]));
  return Promise.resolve(EXIT.ok);
}
