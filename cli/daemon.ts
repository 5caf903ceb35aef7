/**
 * `wt daemon [serve]|start|stop|status`: the decision service (core/decider). It keeps the
 * policy compiled and the guard warm, and answers the safe commands, `wt check --shell`,
 * `wt sh` and the hooks over `STATE_DIR/decider.sock`, so that each of them skips loading and
 * compiling the policy in its own fresh process. It changes no decision: an adapter that cannot
 * reach it decides itself. docs/decider.md.
 * @module
 */
import { DeciderClient } from "../core/decider/client.ts";
import { socketPath } from "../core/decider/protocol.ts";
import { serveDecisions } from "../core/decider/server.ts";
import { DecisionService } from "../core/decider/service.ts";
import { WatchtowerError } from "../core/errors.ts";
import { parseArgs, type ParsedArgs, stringFlag, usage } from "./args.ts";
import { builtinProfilesDir, cliEnvironment, readEnv } from "./context.ts";
import { EXIT } from "./exit.ts";
import { createGuard } from "./guard.ts";
import { parseDuration } from "./ledger_view.ts";
import { err, out, printJson } from "./output.ts";
import { toolCommand } from "./tool_command.ts";

/** Help text of `wt daemon`. */
export const DAEMON_USAGE =
  `wt daemon — the decision service: the same decisions, without the start-up cost

Usage:
  wt daemon [serve] [--idle DURATION]   serve in the foreground (stops on SIGTERM or Ctrl-C)
  wt daemon start [--idle DURATION]     start it in the background; returns once it listens
  wt daemon stop                        stop the service of this state directory
  wt daemon status [--json]             whether it answers, its pid and socket

The service listens on STATE_DIR/decider.sock (mode 0600). The safe commands, wt check
--shell, wt sh and the agent hooks send it their intents; it decides them with the policy kept
compiled (loaded again as soon as a policy or profile file changes), records them in the
ledger, and answers. Whatever cannot reach it decides in its own process, as without it:
the service is only faster, never needed. --idle 30m stops it after 30 minutes without a
request (default: never).

Exit: 0 ok, 64 usage, 69 status/stop: no service answers, 70 it could not start.`;

/** Runs `wt daemon`. */
export async function runDaemon(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, {
    help: { type: "boolean", short: "h" },
    json: { type: "boolean" },
    idle: { type: "string" },
  });
  if (args.flags.help) {
    out(`${DAEMON_USAGE}\n`);
    return EXIT.ok;
  }
  const [sub = "serve", ...extra] = args.positionals;
  if (extra.length > 0) throw usage(`unexpected argument '${extra[0]}'`);
  switch (sub) {
    case "serve":
      return await serve(idleOf(args));
    case "start":
      return await start(idleOf(args));
    case "stop":
      return await stop();
    case "status":
      return await status(args.flags.json === true);
    default:
      throw usage(`unknown daemon command '${sub}' (serve, start, stop, status)`);
  }
}

function idleOf(args: ParsedArgs): number {
  const text = stringFlag(args, "idle");
  if (text === undefined || text === "0") return 0;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw usage(`--idle takes a duration such as 30m or 8h`);
  return ms;
}

async function serve(idleMs: number): Promise<number> {
  const env = cliEnvironment();
  Deno.mkdirSync(env.stateDir, { recursive: true, mode: 0o700 });
  const service = new DecisionService({
    stateDir: env.stateDir,
    builtinProfiles: builtinProfilesDir(),
    read: readEnv,
    lineGuard: createGuard,
  });
  const stopping = new AbortController();
  const onSignal = () => stopping.abort();
  for (const signal of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(signal, onSignal);
  try {
    await serveDecisions({
      stateDir: env.stateDir,
      service,
      idleMs,
      signal: stopping.signal,
      onReady: (path) => out(`wt daemon: listening on ${path}\n`),
    });
  } finally {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      Deno.removeSignalListener(signal, onSignal);
    }
  }
  try {
    err(`wt daemon: stopped after ${service.requests} requests`);
  } catch {
    // Started by `wt daemon start`, whose end of stderr is long closed: nobody is listening.
  }
  return EXIT.ok;
}

async function start(idleMs: number): Promise<number> {
  const env = cliEnvironment();
  const running = await ping(env);
  if (running) {
    out(`wt daemon: already running (pid ${running.pid}) on ${socketPath(env.stateDir)}\n`);
    return EXIT.ok;
  }
  const command = toolCommand("wt", env.stateDir, [
    "daemon",
    "serve",
    ...(idleMs > 0 ? ["--idle", `${Math.ceil(idleMs / 1000)}s`] : []),
  ]);
  const child = new Deno.Command(command.program, {
    args: command.args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    text += value;
  }
  if (!text.includes("listening on")) {
    const problem = new TextDecoder().decode((await child.output()).stderr).trim();
    throw new WatchtowerError("internal", `the decision service did not start: ${problem}`);
  }
  await lines.cancel().catch(() => {});
  await child.stderr.cancel().catch(() => {});
  child.unref();
  out(`wt daemon: started (pid ${child.pid}) on ${socketPath(env.stateDir)}\n`);
  return EXIT.ok;
}

async function stop(): Promise<number> {
  const env = cliEnvironment();
  const running = await ping(env);
  if (!running) {
    err(`wt daemon: no service answers on ${socketPath(env.stateDir)}`);
    return EXIT.unavailable;
  }
  Deno.kill(running.pid, "SIGTERM");
  for (let i = 0; i < 100 && await ping(env); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  out(`wt daemon: stopped (pid ${running.pid})\n`);
  return EXIT.ok;
}

async function status(json: boolean): Promise<number> {
  const env = cliEnvironment();
  const running = await ping(env);
  const socket = socketPath(env.stateDir);
  if (json) {
    printJson({
      running: running !== undefined,
      socket,
      pid: running?.pid ?? null,
      requests: running?.requests ?? null,
    });
  } else if (running) {
    out(`wt daemon: running (pid ${running.pid}, ${running.requests} requests) on ${socket}\n`);
  } else {
    out(`wt daemon: not running (no service answers on ${socket})\n`);
  }
  return running ? EXIT.ok : EXIT.unavailable;
}

async function ping(
  env: ReturnType<typeof cliEnvironment>,
): Promise<{ pid: number; requests: number } | undefined> {
  const client = await DeciderClient.connect(env.stateDir);
  if (!client) return undefined;
  try {
    const answer = await client.call({ op: "ping", env }, 2000);
    if (typeof answer?.pid !== "number") return undefined;
    return { pid: answer.pid, requests: Number(answer.requests) || 0 };
  } finally {
    client.close();
  }
}
