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
  /**
   * Powers of the `wt` set this command uses beyond reading and writing files; every command runs
   * with the others revoked (see {@link dropPermissions}).
   */
  needs?: ReadonlyArray<Power>;
  /**
   * Whether the command may ask the decision service (core/decider): its socket is connected
   * before the network permission is revoked, and that connection is the only one it gets.
   */
  decider?: boolean;
}

/** Powers of the `wt` permission set that only some commands keep. */
type Power = "run" | "net" | "ffi";

/**
 * Revokes the powers of the `wt` permission set that a command does not need, before it runs:
 * the set allows spawning `sh` and the network (publishing checkpoints, alert hooks) and loading
 * libcrypto (fast hashing of the whole ledger) and libc (reading file capabilities), and no
 * other command keeps them.
 */
export function dropPermissions(needs: ReadonlyArray<Power> = []): void {
  for (const name of ["run", "net", "ffi"] as const) {
    if (!needs.includes(name)) Deno.permissions.revokeSync({ name });
  }
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
    // A shell line goes to the decision service when one listens (cli/check_fast.ts).
    run: async (argv) =>
      await (await import("./check_fast.ts")).checkShellFast(argv) ??
        await (await import("./check.ts")).runCheck(argv),
    needs: ["ffi"],
    decider: true,
  },
  admit: {
    summary: "check an instruction against authority patterns before the agent takes it",
    run: async (argv) => await (await import("./admit.ts")).runAdmit(argv),
  },
  hook: {
    summary: "agents' hooks: wt hook claude-code, and install | uninstall | test them",
    run: async (argv) => await (await import("./hook.ts")).runHook(argv),
    // run: wt hook test starts the installed hook command (deciding revokes it first).
    needs: ["run"],
    decider: true,
  },
  policy: {
    summary: "init | check | show | test policies; keygen | sign | trust | pull central policy",
    run: async (argv) => await (await import("./policy.ts")).runPolicy(argv),
    // net: wt policy pull URL (every other policy command revokes it first).
    needs: ["net"],
  },
  "init-policy": {
    summary: "print or write the default policy (= wt policy init)",
    run: async (argv) => await (await import("./policy.ts")).runPolicy(["init", ...argv]),
  },
  profile: {
    summary: "list | show | check | apply | remove safety profiles",
    run: async (argv) => await (await import("./profile.ts")).runProfile(argv),
  },
  "apply-profile": {
    summary: "add a profile to your policy (= wt profile apply)",
    run: async (argv) => await (await import("./profile.ts")).runProfile(["apply", ...argv]),
  },
  "check-profile": {
    summary: "validate a profile and run its examples (= wt profile check)",
    run: async (argv) => await (await import("./profile.ts")).runProfile(["check", ...argv]),
  },
  verify: {
    summary: "check the ledger's integrity (--checkpoint, --repair)",
    run: async (argv) => await (await import("./verify.ts")).runVerify(argv),
    needs: ["ffi"],
  },
  checkpoint: {
    summary: "sign a checkpoint of the ledger and publish it",
    run: async (argv) => await (await import("./checkpoint.ts")).runCheckpoint(argv),
    needs: ["run", "net", "ffi"],
  },
  prove: {
    summary: "inclusion proof of one ledger entry",
    run: async (argv) => (await import("./prove.ts")).runProve(argv),
    needs: ["ffi"],
  },
  clean: {
    summary: "archive (or delete) the ledger and start a new chain",
    run: async (argv) => (await import("./clean.ts")).runClean(argv),
    needs: ["ffi"],
  },
  tail: {
    summary: "the last ledger entries, one line each (-f follows)",
    run: async (argv) => await (await import("./tail.ts")).runTail(argv),
  },
  recent: {
    summary: "the last ledger entries in detail",
    run: async (argv) => await (await import("./recent.ts")).runRecent(argv),
  },
  stats: {
    summary: "ledger counts by domain and verdict",
    run: async (argv) => await (await import("./stats.ts")).runStats(argv),
  },
  report: {
    summary: "frequency report: top commands, denied targets, principals, sessions",
    run: async (argv) => await (await import("./report.ts")).runReport(argv),
  },
  export: {
    summary: "export the ledger as JSON, JSON Lines, CSV or OCSF events for SIEMs",
    run: async (argv) => await (await import("./export.ts")).runExport(argv),
  },
  watch: {
    summary: "live ledger dashboard",
    run: async (argv) => await (await import("./watch.ts")).runWatch(argv),
  },
  alert: {
    summary: "report filesystem mutations as they are recorded",
    run: async (argv) => await (await import("./alert.ts")).runAlert(argv),
    needs: ["run"],
  },
  exec: {
    summary: "decide a program and its arguments, then run it (wt exec -- PROG ARGS...)",
    run: async (argv) => await (await import("./exec.ts")).runExec(argv),
    // ffi only while deciding (file capabilities for GTFOBins), revoked before the program runs.
    needs: ["run", "ffi"],
    decider: true,
  },
  sh: {
    summary: "a guarded shell: decide a command line, then run it (wt sh -c 'LINE')",
    run: async (argv) => await (await import("./sh.ts")).runSh(argv),
    needs: ["run", "ffi"],
    decider: true,
  },
  approve: {
    summary: "approve a pending escalation (once, --duration D or --session)",
    run: async (argv) => await (await import("./approve.ts")).runApprove(argv),
  },
  deny: {
    summary: "refuse a pending escalation",
    run: async (argv) => await (await import("./approve.ts")).runDeny(argv),
  },
  pending: {
    summary: "list escalations waiting for approval",
    run: async (argv) => await (await import("./approve.ts")).runPending(argv),
  },
  session: {
    summary: "start | show | list | end sessions, and move their zone forward",
    run: async (argv) => await (await import("./session.ts")).runSession(argv),
  },
  daemon: {
    summary: "the decision service: the same decisions without each call's start-up cost",
    run: async (argv) => await (await import("./daemon.ts")).runDaemon(argv),
    needs: ["net", "run"],
  },
  proxy: {
    summary: "the egress proxy: decide every HTTP request an agent makes (= wt-proxy)",
    run: async (argv) => await (await import("../proxy/main.ts")).runProxy(argv, "wt proxy"),
    needs: ["net"],
  },
  mcp: {
    summary: "serve the safe commands as MCP tools over stdio (decided and recorded per call)",
    run: async (argv) => await (await import("./mcp.ts")).runMcp(argv),
    needs: ["run"],
  },
  run: {
    summary: "start an agent with every layer around it (wt run -- AGENT ARGS…)",
    run: async (argv) => await (await import("./run.ts")).runRun(argv),
    // run: the layers and the agent; net: the permission broker's Unix socket.
    needs: ["run", "net"],
  },
  monitor: {
    summary: "watch a process tree and stop root-level operations at exec (= wt-monitor)",
    run: async (argv) => await (await import("../monitor/main.ts")).runMonitor(argv, "wt monitor"),
    needs: ["ffi"],
  },
  "root-monitor": {
    summary: "the same as wt monitor",
    run: async (argv) =>
      await (await import("../monitor/main.ts")).runMonitor(argv, "wt root-monitor"),
    needs: ["ffi"],
  },
  gtfo: {
    summary: "GTFOBins: list the database, scan the ledger, or monitor it live",
    run: async (argv) => await (await import("./gtfo.ts")).runGtfo(argv),
  },
  "shell-init": {
    summary: 'print the wt_* shell functions (eval "$(wt shell-init bash)")',
    run: async (argv) => await (await import("./shell_init.ts")).runShellInit(argv),
  },
  version: {
    summary: "print the version, the build target and how it runs",
    run: async (argv) => (await import("./version_command.ts")).runVersion(argv),
  },
  doctor: {
    summary: "what this machine supports and what to fix: kernel, state, policy, programs",
    run: async (argv) => await (await import("./doctor.ts")).runDoctor(argv),
    // ffi: libc reads /proc and asks Landlock its version, libcrypto verifies a small ledger;
    // the decision service's socket is connected first (to ping it).
    needs: ["ffi"],
    decider: true,
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
    if (command.decider && !command.needs?.includes("net")) await preconnect();
    dropPermissions(command.needs);
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

/** Connects to the decision service of this process's state directory, if one listens. */
async function preconnect(): Promise<void> {
  const [{ readEnv, resolveEnvironment }, { DeciderClient }] = await Promise.all([
    import("../core/config.ts"),
    import("../core/decider/client.ts"),
  ]);
  DeciderClient.preconnect(resolveEnvironment(readEnv, Deno.cwd()).stateDir);
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
