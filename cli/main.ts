/**
 * The `wt` binary: operator and agent-facing subcommands. Each subcommand lives in its own
 * module; this one dispatches and turns errors into one line and a sysexits code.
 * @module
 */
import { WatchtowerError } from "../core/errors.ts";
import { closest } from "../core/policy/validate.ts";
import { CHECK_USAGE, runCheck } from "./check.ts";
import { EXIT, exitForError } from "./exit.ts";
import { INIT_USAGE, runInit } from "./init.ts";
import { err, out } from "./output.ts";
import { POLICY_USAGE, policyInit, runPolicy } from "./policy.ts";
import { parseArgs } from "./args.ts";
import { runStatus, STATUS_USAGE } from "./status.ts";
import { VERSION } from "./version.ts";

interface Command {
  summary: string;
  usage: string;
  run(argv: readonly string[]): number | Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  init: {
    summary: "create the state directory and the default policy",
    usage: INIT_USAGE,
    run: runInit,
  },
  status: {
    summary: "show the state directory, policy in force and identity",
    usage: STATUS_USAGE,
    run: runStatus,
  },
  check: {
    summary: "decide an intent (flags, JSON, or a JSONL batch)",
    usage: CHECK_USAGE,
    run: runCheck,
  },
  policy: { summary: "init | check | show | test policies", usage: POLICY_USAGE, run: runPolicy },
  "init-policy": {
    summary: "print or write the default policy (= wt policy init)",
    usage: POLICY_USAGE,
    run: (argv) =>
      policyInit(parseArgs(argv, { write: { type: "string" }, force: { type: "boolean" } })),
  },
  version: {
    summary: "print the version",
    usage: "wt version — print the version\n\nUsage: wt version [--json]",
    run: (argv) => {
      const args = parseArgs(argv, { json: { type: "boolean" } });
      out(args.flags.json ? `${JSON.stringify({ version: VERSION })}\n` : `wt ${VERSION}\n`);
      return EXIT.ok;
    },
  },
};

/** The top-level help text. */
export function mainUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) =>
    `  ${name.padEnd(width)}  ${command.summary}`
  );
  return `wt — Watchtower, a policy-driven guard and audit system for AI agents

Usage: wt COMMAND [options]      (wt COMMAND --help for each command)

Commands:
${lines.join("\n")}

Environment: WATCHTOWER_DIR (state directory, default ~/.watchtower), WATCHTOWER_POLICY,
WATCHTOWER_PRINCIPAL, WATCHTOWER_PURPOSE, WATCHTOWER_SESSION, WATCHTOWER_WORKSPACE, NO_COLOR.`;
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
    if (topic !== undefined && COMMANDS[topic]) out(`${COMMANDS[topic].usage}\n`);
    else out(`${mainUsage()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version") return await COMMANDS.version!.run([]);
  const command = COMMANDS[name];
  if (!command) {
    const suggestion = closest(name, Object.keys(COMMANDS));
    err(
      `wt: unknown command '${name}'${
        suggestion ? ` (did you mean '${suggestion}'?)` : ""
      }; see wt --help`,
    );
    return EXIT.usage;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    out(`${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof WatchtowerError) {
      err(`wt ${name}: ${error.message}`);
      return exitForError(error.code);
    }
    err(
      `wt ${name}: internal error: ${
        error instanceof Error ? error.stack ?? error.message : error
      }`,
    );
    return EXIT.internal;
  }
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
