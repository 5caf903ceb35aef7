/**
 * The `wt` binary: operator and agent-facing subcommands. Each subcommand lives in its own
 * module, loaded only when it runs (start-up cost is paid by every call); this one dispatches
 * and turns errors into one line and a sysexits code.
 * @module
 */
import { WatchtowerError } from "../core/errors.ts";
import { closest } from "../core/suggest.ts";
import { EXIT, exitForError } from "./exit.ts";
import { err, out } from "./output.ts";
import { VERSION } from "./version.ts";

/** A subcommand: its one-line summary and how to run it. */
interface Command {
  summary: string;
  /** Runs the command with its arguments (after the command name) and returns the exit code. */
  run(argv: readonly string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  init: {
    summary: "create the state directory and the default policy",
    run: async (argv) => (await import("./init.ts")).runInit(argv),
  },
  status: {
    summary: "show the state directory, policy in force and identity",
    run: async (argv) => await (await import("./status.ts")).runStatus(argv),
  },
  check: {
    summary: "decide an intent (flags, JSON, or a JSONL batch)",
    run: async (argv) => await (await import("./check.ts")).runCheck(argv),
  },
  policy: {
    summary: "init | check | show | test policies",
    run: async (argv) => await (await import("./policy.ts")).runPolicy(argv),
  },
  "init-policy": {
    summary: "print or write the default policy (= wt policy init)",
    run: async (argv) => await (await import("./policy.ts")).runPolicy(["init", ...argv]),
  },
  version: {
    summary: "print the version",
    run: async (argv) => (await import("./version_command.ts")).runVersion(argv),
  },
};

/** The top-level help text. */
export function mainUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) =>
    `  ${name.padEnd(width)}  ${command.summary}`
  );
  return `wt ${VERSION} — Watchtower, a policy-driven guard and audit system for AI agents

Usage: wt COMMAND [options]      (wt COMMAND --help for each command)

Commands:
${lines.join("\n")}

Environment: WATCHTOWER_DIR (state directory, default ~/.watchtower), WATCHTOWER_POLICY,
WATCHTOWER_PRINCIPAL, WATCHTOWER_PURPOSE, WATCHTOWER_SESSION, WATCHTOWER_WORKSPACE,
WATCHTOWER_CAPABILITIES, NO_COLOR.

Exit codes: 0 ok, 64 usage, 65 bad data, 69 missing program, 70 internal error,
75 approval required, 77 denied by policy, 78 configuration error.`;
}

/** Runs `wt` with `argv` and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  if (brokerIsSet()) {
    err(
      "Cannot start wt: DENO_PERMISSION_BROKER_PATH is set, which would override its permissions; unset it",
    );
    return EXIT.config;
  }
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic !== undefined && COMMANDS[topic]) return await COMMANDS[topic].run(["--help"]);
    out(`${mainUsage()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = name === "--version" ? COMMANDS.version : COMMANDS[name];
  if (!command) {
    const suggestion = closest(name, Object.keys(COMMANDS));
    err(
      `wt: unknown command '${name}'${
        suggestion ? ` (did you mean '${suggestion}'?)` : ""
      }; see wt --help`,
    );
    return EXIT.usage;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof WatchtowerError) {
      err(`wt ${name}: ${error.message}`);
      return exitForError(error.code);
    }
    if (isFileSystemError(error)) {
      // The state directory or a file the user named is unusable: say which, without a stack.
      err(`wt ${name}: ${error.message}`);
      return EXIT.config;
    }
    err(
      `wt ${name}: internal error: ${
        error instanceof Error ? error.stack ?? error.message : error
      }`,
    );
    return EXIT.internal;
  }
}

function isFileSystemError(error: unknown): error is Error {
  const errors = Deno.errors;
  return [
    errors.NotFound,
    errors.PermissionDenied,
    errors.AlreadyExists,
    errors.NotADirectory,
    errors.IsADirectory,
    errors.NotCapable,
  ].some((kind) => error instanceof kind);
}

function brokerIsSet(): boolean {
  try {
    return (Deno.env.get("DENO_PERMISSION_BROKER_PATH") ?? "") !== "";
  } catch {
    // Not allowed to read it: we cannot tell, so refuse rather than run unfenced.
    return true;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
