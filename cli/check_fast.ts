/**
 * `wt check --shell LINE` through the decision service (core/decider), when one listens: the
 * line is decided and recorded there and printed here, without loading the policy, the
 * analysis or the guard. Anything else (another form of `wt check`, policy flags, no service,
 * no answer) returns undefined and the full command (cli/check.ts) runs as usual.
 * @module
 */
import { readEnv, resolveEnvironment } from "../core/config.ts";
import { DeciderClient } from "../core/decider/client.ts";
import type { LineDecision } from "../core/shell_guard/decide.ts";
import { parseArgs, stringFlag } from "./args.ts";
import { CHECK_FLAGS, defaultsFrom } from "./check_flags.ts";
import { exitForVerdict } from "./exit.ts";
import { describeLine, lineEnvironment, lineJson } from "./line_view.ts";
import { out, printJson } from "./output.ts";

/** Flags that make the command decide itself (its own policy, or another kind of check). */
const LOCAL_ONLY = ["help", "batch", "policy", "profile", "mode", "set", "domain", "target"];

/** Decides `argv` through the service and returns the exit code, or undefined to run locally. */
export async function checkShellFast(argv: readonly string[]): Promise<number | undefined> {
  let line: string | undefined;
  let args;
  try {
    args = parseArgs(argv, CHECK_FLAGS);
    line = stringFlag(args, "shell");
  } catch {
    return undefined; // the full command reports it
  }
  if (line === undefined || args.positionals.length > 0) return undefined;
  if (LOCAL_ONLY.some((flag) => args.flags[flag] !== undefined)) return undefined;
  const env = resolveEnvironment(readEnv, Deno.cwd());
  const defaults = defaultsFrom(env, args);
  const client = await DeciderClient.connect(env.stateDir);
  if (!client) return undefined;
  try {
    const answer = await client.call({
      op: "line",
      // The line is decided in the environment the flags give (identity, cwd).
      env: lineEnvironment(env, defaults),
      line,
      tool: defaults.tool ?? "wt-check",
      record: args.flags["dry-run"] !== true,
    });
    const decided = answer?.decided as LineDecision | undefined;
    if (!decided || typeof decided.verdict !== "string" || !Array.isArray(decided.parts)) {
      return undefined;
    }
    if (args.flags.json === true) printJson(lineJson(decided));
    else out(`${describeLine(decided)}\n`);
    return exitForVerdict(decided.verdict);
  } finally {
    client.close();
  }
}
