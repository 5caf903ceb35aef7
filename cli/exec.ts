/**
 * `wt exec -- PROG ARGS…`: decide a program and its arguments as the command guard decides a
 * shell line (wrappers and the strings given to shells are seen into), record the decisions,
 * then run it without a shell, with a clean environment, passing its exit code on.
 * @module
 */
import { quoteArgv } from "../core/shell/quote.ts";
import { readEnv } from "../core/config.ts";
import { type FlagSpec, parseArgs, POLICY_FLAGS, usage } from "./args.ts";
import { EXIT } from "./exit.ts";
import { guardedRun } from "./guarded_run.ts";
import { out } from "./output.ts";

/** Help text. */
export const EXEC_USAGE = `wt exec — decide a program and its arguments, then run it (no shell)

Usage: wt exec [--policy FILE] [--profile NAME] [--mode M] [--set k=v] -- PROG [ARGS...]

The argv is decided as the shell line that quotes it (docs/command-guard.md): sudo, env,
timeout and the other wrappers, and the strings given to sh -c or python -c, are seen into.
Every decision is recorded first; then PROG runs with a clean environment (PATH, HOME, LANG,
LC_ALL, LC_CTYPE, TZ, TERM, USER, LOGNAME and the WATCHTOWER_* variables) and the terminal.

Exit: PROG's own code (128+N after signal N); 77 denied, 75 approval required (one line on
stderr says why), 64 bad usage, 69 PROG not found, 78 policy cannot be loaded.`;

const FLAGS: Record<string, FlagSpec> = { ...POLICY_FLAGS, help: { type: "boolean", short: "h" } };

/** Variables the program may see (when set): nothing else crosses over. */
export const EXEC_ENV = [
  "HOME",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TZ",
  "TERM",
  "USER",
  "LOGNAME",
  "NO_COLOR",
  "WATCHTOWER_DIR",
  "WATCHTOWER_POLICY",
  "WATCHTOWER_SESSION",
  "WATCHTOWER_PRINCIPAL",
  "WATCHTOWER_PURPOSE",
  "WATCHTOWER_WORKSPACE",
  "WATCHTOWER_CAPABILITIES",
];
/** The PATH programs are found on when ours cannot be read. */
const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Runs `wt exec`. */
export async function runExec(argv: readonly string[]): Promise<number> {
  const [own, command] = splitCommand(argv);
  const args = parseArgs(own, FLAGS);
  if (args.flags.help) {
    out(`${EXEC_USAGE}\n`);
    return EXIT.ok;
  }
  if (command.length === 0 || command[0] === "") {
    throw usage("give the program to run: wt exec -- PROG [ARGS...]");
  }
  const childEnv: Record<string, string> = { PATH: readEnv("PATH") || SYSTEM_PATH };
  for (const name of EXEC_ENV) {
    const value = readEnv(name);
    if (value !== undefined) childEnv[name] = value;
  }
  // Decided as the line that quotes it (what decideArgv does).
  return await guardedRun("wt-exec", args, quoteArgv(command), {
    program: command[0]!,
    args: command.slice(1),
    env: childEnv,
    stdin: "inherit",
  });
}

/** Our options, and the command after `--` (or from the first word that is not an option). */
export function splitCommand(argv: readonly string[]): [string[], string[]] {
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    if (arg === "--") return [argv.slice(0, i), argv.slice(i + 1)];
    if (!arg.startsWith("-") || arg === "-") return [argv.slice(0, i), argv.slice(i)];
    const name = arg.startsWith("--") ? arg.slice(2) : arg.slice(1);
    i += FLAGS[name]?.type === "string" ? 2 : 1;
  }
  return [[...argv], []];
}
