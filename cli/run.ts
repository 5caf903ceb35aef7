/**
 * `wt run [--profile P] [--session S] -- AGENT ARGS…`: starts an agent with every layer on — a
 * session; PATH led by the safe commands under the real programs' names; SHELL the guarded shell;
 * HTTP(S)_PROXY an egress proxy started for the session; the root monitor on the agent's tree
 * from its first exec (it kills the tree if it stops); and `no_new_privs`, applied by the
 * launcher before it becomes the agent. Returns the agent's exit code and prints a summary.
 * @module
 */
import { DeciderClient } from "../core/decider/client.ts";
import { WatchtowerError } from "../core/errors.ts";
import { Ledger } from "../core/ledger/writer.ts";
import { readEntries } from "../core/ledger/reader.ts";
import { SessionStore } from "../core/session/store.ts";
import { listFlag, parseArgs, stringFlag, usage } from "./args.ts";
import { cliEnvironment, readEnv } from "./context.ts";
import { EXIT } from "./exit.ts";
import { installedLaunchers, type ToolCommand, toolCommand } from "./tool_command.ts";
import { REAL_NAMES } from "../core/tools.ts";
import type { Broker } from "./broker.ts";
import { out } from "./output.ts";

/** Help text of `wt run`. */
export const RUN_USAGE = `wt run — start an agent with every Watchtower layer around it

Usage: wt run [--profile P]… [--session S] [--purpose P] [--principal P] [--shims DIR]
              [--broker] [--json] -- AGENT [ARGS…]

What the agent gets:
  WATCHTOWER_SESSION   a new session (or --session S, which must be usable)
  PATH                 the safe commands under the real names first (rm is safe-rm, …; --shims
                       DIR, default STATE_DIR/agent-bin, installed on first use)
  SHELL                the guarded shell (wt sh)
  HTTP(S)_PROXY        an egress proxy started for the session on 127.0.0.1
  the decision service  for the safe commands and the guarded shell (wt daemon), started for
                       the session unless one already runs for the state directory
  the root monitor     on its whole process tree from its first exec; if the monitor stops, the
                       tree is killed (nothing runs unwatched)
  no_new_privs         set before the agent starts: setuid programs (sudo) gain nothing
  the permission broker  for a Deno agent (deno …, or --broker): every read, write, net, env,
                       run, ffi and sys check its Deno makes is decided by the policy and recorded
With --profile, every layer decides under your policy plus the profile (a copy of your policy is
written to STATE_DIR/sessions/ID.policy.yaml and passed as WATCHTOWER_POLICY).

On exit: the agent's exit code, and a summary on stderr (decisions, refusals, programs killed,
zone); --json prints the summary as JSON instead.

Exit: the agent's code (128+N when a signal ended it), 64 usage, 69 a layer cannot start here,
70 a layer failed (the agent was not started, or was stopped), 78 configuration error.`;

const repo = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");

/** A spawned layer and the first line it printed. */
interface Layer {
  child: Deno.ChildProcess;
  ready: string;
  lines: ReadableStreamDefaultReader<string>;
}

async function startLayer(
  name: string,
  command: ToolCommand,
  env: Record<string, string>,
  ready: RegExp,
): Promise<Layer> {
  const child = new Deno.Command(command.program, {
    args: command.args,
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    text += value;
  }
  if (!ready.test(text)) {
    const status = await child.status;
    throw new WatchtowerError("internal", `${name} did not start (exit ${status.code})`);
  }
  return { child, ready: text, lines };
}

async function serviceAnswers(stateDir: string): Promise<boolean> {
  const client = await DeciderClient.connect(stateDir);
  client?.close();
  return client !== undefined;
}

function stopLayer(layer: Layer | undefined): Promise<unknown> {
  if (!layer) return Promise.resolve();
  try {
    layer.child.kill("SIGTERM");
  } catch {
    // gone already
  }
  return Promise.all([layer.child.status, layer.lines.cancel().catch(() => {})]);
}

/** Runs `wt run`. */
export async function runRun(argv: readonly string[]): Promise<number> {
  const dash = argv.indexOf("--");
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const agent = dash >= 0 ? argv.slice(dash + 1) : [];
  const args = parseArgs(own, {
    help: { type: "boolean", short: "h" },
    json: { type: "boolean" },
    profile: { type: "string", multiple: true },
    session: { type: "string" },
    purpose: { type: "string" },
    principal: { type: "string" },
    shims: { type: "string" },
    broker: { type: "boolean" },
  });
  if (args.flags.help) {
    out(`${RUN_USAGE}\n`);
    return EXIT.ok;
  }
  if (agent.length === 0 || args.positionals.length > 0) {
    throw usage("give the agent after --: wt run -- AGENT ARGS…");
  }
  const env = cliEnvironment();
  const stateDir = env.stateDir;
  Deno.mkdirSync(`${stateDir}/sessions`, { recursive: true, mode: 0o700 });
  const ledger = new Ledger(stateDir);
  const store = new SessionStore(stateDir);

  // The session (new, or one that is still usable).
  const given = stringFlag(args, "session");
  const principal = stringFlag(args, "principal") ?? env.principal;
  const purpose = stringFlag(args, "purpose") ?? env.purpose;
  const session = given !== undefined ? store.current(given) : store.start({ principal, purpose });
  if (given === undefined) {
    ledger.appendSync([{
      data: {
        event: { type: "session.start", session: session.id, principal, purpose: purpose ?? null },
      },
    }]);
  }

  // The policy every layer uses: the user's, plus the profiles asked for.
  const layerEnv: Record<string, string> = {
    WATCHTOWER_DIR: stateDir,
    WATCHTOWER_SESSION: session.id,
    WATCHTOWER_PRINCIPAL: principal,
    ...(purpose !== undefined ? { WATCHTOWER_PURPOSE: purpose } : {}),
    ...(env.home !== undefined ? { HOME: env.home } : {}),
    ...copyEnv(["PATH", "LANG", "TERM", "USER", "LOGNAME", "DENO_DIR", "WATCHTOWER_OPERATOR_DIR"]),
  };
  const profiles = listFlag(args, "profile");
  if (profiles.length > 0) {
    layerEnv.WATCHTOWER_POLICY = await sessionPolicy(env, session.id, profiles);
  } else if (env.policyFile !== undefined) {
    layerEnv.WATCHTOWER_POLICY = env.policyFile;
  }

  const shims = stringFlag(args, "shims") ?? `${stateDir}/agent-bin`;
  await ensureShims(shims, stateDir, layerEnv);

  let proxy: Layer | undefined;
  let decider: Layer | undefined;
  let monitor: Layer | undefined;
  let launcher: Deno.ChildProcess | undefined;
  let broker: Broker | undefined;
  const blocks: string[] = [];
  try {
    // The decision service for the session's safe commands and shell, unless one already runs.
    if (!(await serviceAnswers(stateDir))) {
      decider = await startLayer(
        "the decision service",
        toolCommand("wt", stateDir, ["daemon", "serve"]),
        layerEnv,
        /listening on /,
      );
    }
    proxy = await startLayer(
      "the egress proxy",
      toolCommand("wt-proxy", stateDir, ["--port", "0", "--host", "127.0.0.1"]),
      layerEnv,
      /listening on /,
    );
    const proxyUrl = `http://${/listening on (\S+)/.exec(proxy.ready)![1]}`;
    const gate = `${stateDir}/sessions/${session.id}.gate`;
    try {
      Deno.removeSync(gate);
    } catch {
      // none yet
    }
    const made = await new Deno.Command("mkfifo", { args: ["-m", "600", gate] }).output();
    if (!made.success) throw new WatchtowerError("internal", `cannot make the gate ${gate}`);
    const agentEnv: Record<string, string> = {
      ...layerEnv,
      PATH: `${shims}:${layerEnv.PATH ?? "/usr/bin:/bin"}`,
      SHELL: `${shims}/wt-sh`,
      HTTP_PROXY: proxyUrl,
      HTTPS_PROXY: proxyUrl,
      http_proxy: proxyUrl,
      https_proxy: proxyUrl,
      NO_PROXY: "",
      no_proxy: "",
    };
    // A Deno agent: every permission check it makes is decided by the policy (the broker).
    const deno = args.flags.broker === true || /(^|\/)deno$/.test(agent[0]!);
    const socket = `${stateDir}/sessions/${session.id}.broker.sock`;
    if (deno) {
      broker = await startSessionBroker(socket, layerEnv, session.id);
    }
    // The state directory is fenced off too: the agent's tree records only through the decision
    // service (outside the tree), so it cannot touch the ledger, the policy or the approvals.
    const launch = toolCommand("wt-launch", stateDir, [
      gate,
      ...(deno ? ["--broker", socket] : []),
      "--protect",
      stateDir,
      "--",
      ...agent,
    ]);
    launcher = new Deno.Command(launch.program, {
      args: launch.args,
      clearEnv: true,
      env: agentEnv,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    monitor = await startLayer(
      "the root monitor",
      toolCommand("wt-monitor", stateDir, [
        "--pid",
        String(launcher.pid),
        "--exit-kill",
        "--json",
      ]),
      layerEnv,
      /"watching"/,
    );
    const watching = monitor;
    // Blocks as they happen, for the operator (stderr; the agent's own output is untouched).
    const following = (async () => {
      while (true) {
        const { value, done } = await watching.lines.read();
        if (done) return;
        for (const line of value.split("\n").filter(Boolean)) {
          try {
            const event = JSON.parse(line);
            if (event.blocked) {
              blocks.push(event.blocked.join(" "));
              console.error(`wt run: killed ${event.blocked.join(" ").slice(0, 200)}`);
            }
          } catch {
            // not a JSON line
          }
        }
      }
    })();
    await Deno.writeTextFile(gate, "go\n");
    // If the monitor stops first, the tree dies with it (exit-kill): say so, loudly.
    const agentDone = launcher.status.then((status) => ({ who: "agent" as const, status }));
    const monitorDone = watching.child.status.then((status) => ({
      who: "monitor" as const,
      status,
    }));
    let first = await Promise.race([agentDone, monitorDone]);
    if (first.who === "agent" && first.status.signal === "SIGKILL") {
      // Killed: by the monitor's exit-kill if the monitor died (its exit may be seen second).
      const monitorFirst = await Promise.race([
        monitorDone,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 200)),
      ]);
      if (monitorFirst && (monitorFirst.status.signal || monitorFirst.status.code !== 0)) {
        first = monitorFirst;
      }
    }
    if (first.who === "monitor") {
      console.error(
        `wt run: WARNING: the root monitor stopped (exit ${first.status.code}) while the agent ran; the agent was stopped with it, so nothing ran unwatched`,
      );
      await agentDone;
      launcher = undefined;
      monitor = undefined;
      await following.catch(() => {});
      await stopLayer(proxy);
      await stopLayer(decider);
      proxy = undefined;
      await broker?.close();
      broker = undefined;
      report(stateDir, session.id, store, EXIT.internal, blocks, args.flags.json === true);
      return EXIT.internal;
    }
    const status = first.status;
    launcher = undefined;
    // Descendants still running get a moment; then the monitor stops and takes them with it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await stopLayer(monitor);
    monitor = undefined;
    await following.catch(() => {});
    await stopLayer(proxy);
    await stopLayer(decider);
    proxy = undefined;
    await broker?.close();
    broker = undefined;
    const code = status.signal ? 128 + signalNumber(status.signal) : status.code;
    report(stateDir, session.id, store, code, blocks, args.flags.json === true);
    return code;
  } catch (error) {
    if (launcher) {
      try {
        launcher.kill("SIGKILL");
      } catch {
        // gone
      }
      await launcher.status;
    }
    await stopLayer(monitor);
    await stopLayer(proxy);
    await stopLayer(decider);
    await broker?.close();
    if (error instanceof WatchtowerError) {
      throw new WatchtowerError(
        error.code,
        `${error.message}; the agent was not left running unwatched`,
      );
    }
    throw error;
  }
}

/** The broker for a Deno agent, deciding under the policy the layers use. */
async function startSessionBroker(
  socket: string,
  layerEnv: Record<string, string>,
  id: string,
): Promise<Broker> {
  const { startBroker } = await import("./broker.ts");
  const { loadPolicyFast } = await import("../core/policy/cache.ts");
  const { policyOptions, resolveEnvironment } = await import("../core/config.ts");
  const { builtinProfilesDir } = await import("./context.ts");
  const { Guard } = await import("../core/guard.ts");
  const env = resolveEnvironment((name) => layerEnv[name] ?? readEnv(name), Deno.cwd());
  const policy = await loadPolicyFast(policyOptions(env, builtinProfilesDir()));
  const store = new SessionStore(env.stateDir);
  const { SessionTracker } = await import("../core/session/mod.ts");
  const tracker = new SessionTracker(env.stateDir, id);
  try {
    Deno.removeSync(socket);
  } catch {
    // none yet
  }
  return startBroker({
    socket,
    guard: new Guard(policy),
    env,
    ledger: new Ledger(env.stateDir, { sync: "batch" }),
    session: () => {
      const session = store.current(id);
      return { id: session.id, zone: session.zone };
    },
    advance: (intent, decision) => tracker.advance(intent, decision),
  });
}

function copyEnv(names: readonly string[]): Record<string, string> {
  const copied: Record<string, string> = {};
  for (const name of names) {
    const value = readEnv(name);
    if (value !== undefined) copied[name] = value;
  }
  return copied;
}

/** The user's policy plus `profiles`, written for the session; returns its path. */
async function sessionPolicy(
  env: ReturnType<typeof cliEnvironment>,
  id: string,
  profiles: readonly string[],
): Promise<string> {
  const { userPolicyPath } = await import("../core/policy/loader.ts");
  const { DEFAULT_POLICY_YAML } = await import("../core/policy/default_policy.ts");
  const { addProfile } = await import("./profile_edit.ts");
  const userFile = userPolicyPath({
    stateDir: env.stateDir,
    ...(env.policyFile !== undefined ? { policyFile: env.policyFile } : {}),
  });
  let text: string;
  let file = userFile;
  try {
    text = Deno.readTextFileSync(userFile);
  } catch {
    text = DEFAULT_POLICY_YAML;
    file = "policy.yaml";
  }
  for (const profile of profiles) text = addProfile(text, profile, { file }).text;
  const path = `${env.stateDir}/sessions/${id}.policy${file.endsWith(".json") ? ".json" : ".yaml"}`;
  Deno.writeTextFileSync(path, text, { mode: 0o600 });
  // It must load, with the profiles: fail before anything starts.
  const { loadPolicyFast } = await import("../core/policy/cache.ts");
  const { policyOptions } = await import("../core/config.ts");
  const { builtinProfilesDir } = await import("./context.ts");
  await loadPolicyFast(policyOptions(env, builtinProfilesDir(), { policyFile: path }));
  return path;
}

/**
 * The safe commands under the real names, and `wt-sh`, in `dir` (made on first use): scripts
 * that run the installed launchers, or, from the sources, launchers installed into the state
 * directory first.
 */
async function ensureShims(dir: string, stateDir: string, env: Record<string, string>) {
  const shell = `${dir}/wt-sh`;
  try {
    if (Deno.statSync(`${dir}/rm`).isFile && Deno.statSync(shell).isFile) return;
  } catch {
    // not made yet
  }
  let bin = installedLaunchers()?.bin;
  if (bin === undefined) {
    bin = `${stateDir}/prefix/bin`;
    const install = await new Deno.Command(Deno.execPath(), {
      args: [
        "task",
        "-q",
        "--config",
        `${repo}/deno.json`,
        "install",
        "--root",
        `${stateDir}/prefix`,
      ],
      clearEnv: true,
      env,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!install.success) {
      throw new WatchtowerError(
        "internal",
        `cannot install the safe commands into ${bin}: ${new TextDecoder().decode(install.stderr)}`,
      );
    }
  }
  Deno.mkdirSync(dir, { recursive: true });
  const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
  const script = (comment: string, command: string) =>
    `#!/bin/sh\n# ${comment}\nexec ${command} "$@"\n`;
  for (const [name, tool] of Object.entries(REAL_NAMES)) {
    Deno.writeTextFileSync(
      `${dir}/${name}`,
      script(`${name} for wt run: the safe command ${tool}.`, quote(`${bin}/${tool}`)),
      { mode: 0o755 },
    );
  }
  Deno.writeTextFileSync(
    shell,
    script(
      "The guarded shell for wt run: SHELL -c LINE decides LINE before it runs.",
      `${quote(`${bin}/wt`)} sh`,
    ),
    { mode: 0o755 },
  );
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGTERM: 15,
};

function signalNumber(signal: string): number {
  return SIGNALS[signal] ?? 0;
}

/** The session's summary on stderr: decisions, refusals, programs killed, zone. */
function report(
  stateDir: string,
  id: string,
  store: SessionStore,
  code: number,
  blocks: readonly string[],
  json: boolean,
): void {
  let decisions = 0;
  let refused = 0;
  let escalated = 0;
  for (const entry of readEntries(stateDir)) {
    const data = entry.data as { context?: { session?: string }; decision?: { verdict: string } };
    if (data.context?.session !== id || !data.decision) continue;
    decisions++;
    if (data.decision.verdict === "deny") refused++;
    if (data.decision.verdict === "escalate") escalated++;
  }
  const zone = store.read(id).zone;
  const summary = {
    session: id,
    exit_code: code,
    decisions,
    refused,
    escalated,
    killed: blocks.length,
    zone,
  };
  console.error(
    json
      ? JSON.stringify(summary)
      : `wt run: session ${id}: ${decisions} decisions, ${refused} refused, ${escalated} escalated, ${blocks.length} programs killed; zone ${zone}; exit ${code}`,
  );
}
