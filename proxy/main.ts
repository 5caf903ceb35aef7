/**
 * `wt-proxy` (also `wt proxy`): the egress proxy. Point an agent's `HTTP_PROXY`/`HTTPS_PROXY` at
 * it and every outbound request is decided by policy before it leaves the machine.
 *
 * Prints one line on stdout when it is ready — `wt-proxy: listening on HOST:PORT` (with `--json`,
 * a JSON object) — and stops gracefully on SIGINT or SIGTERM (exit 0).
 * @module
 */
import { SessionTracker } from "../core/session/mod.ts";
import { parseArgs } from "node:util";
import { adapterApprovals } from "../core/approvals/mod.ts";
import { policyOptions, readEnv, resolveEnvironment } from "../core/config.ts";
import { WatchtowerError } from "../core/errors.ts";
import { Guard } from "../core/guard.ts";
import { loadPolicyFast } from "../core/policy/cache.ts";
import { compileDenylist, type Denylist, ProxyDecider } from "./decide.ts";
import { readDenylist } from "./denylist.ts";
import { hostsResolver } from "./resolve.ts";
import { DEFAULT_LIMITS, ProxyServer } from "./server.ts";
import { Trace, workerWriter } from "./trace.ts";

const USAGE = `Usage: wt-proxy [options]        (also: wt proxy [options])

An HTTP/1.1 forward proxy that decides every request by policy before it leaves the machine.
Plain http requests are decided on method and URL; https goes through CONNECT tunnels, decided
on host and port (TLS is not intercepted). Point agents at it with
  HTTP_PROXY=http://127.0.0.1:8888 HTTPS_PROXY=http://127.0.0.1:8888

Options:
  --port N              port to listen on (default 8888; 0 = any free port)
  --host ADDR           address to listen on (default 127.0.0.1)
  --denylist FILE       YAML list of URL patterns that are always refused
  --profile NAME        apply a profile (repeatable), e.g. clawbot
  --policy FILE         use this policy file instead of the state directory's
  --allow-loopback      let requests reach loopback addresses (127.0.0.0/8, ::1)
  --allow-private       let requests reach private addresses (10/8, 172.16/12, 192.168/16, fc00::/7)
  --max-connections N   most client connections at once (default ${DEFAULT_LIMITS.maxConnections})
  --header-timeout S    seconds a request head may take (default ${
  DEFAULT_LIMITS.headerTimeoutMs / 1000
})
  --idle-timeout S      seconds a connection may sit idle (default ${
  DEFAULT_LIMITS.idleTimeoutMs / 1000
})
  --drain-timeout S     on SIGINT/SIGTERM, seconds requests in flight may take (default ${
  DEFAULT_LIMITS.drainTimeoutMs / 1000
})
  --json                print the ready line as JSON
  -h, --help            show this help

Answers: 403 with {verdict, rule, reason} for a refusal; an escalation also carries approval_key
(and the X-Watchtower-Approval header): after \`wt approve KEY\` the same request passes. 502 when
the upstream fails. Link-local and cloud metadata addresses are always refused.

Exit codes: 0 stopped, 64 usage, 78 configuration error (policy, denylist, port in use).`;

/** Runs the proxy with `argv` until it is stopped; returns the exit code. */
export async function runProxy(argv: readonly string[], name = "wt-proxy"): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        port: { type: "string" },
        host: { type: "string" },
        denylist: { type: "string" },
        profile: { type: "string", multiple: true },
        policy: { type: "string" },
        "allow-loopback": { type: "boolean" },
        "allow-private": { type: "boolean" },
        "max-connections": { type: "string" },
        "header-timeout": { type: "string" },
        "idle-timeout": { type: "string" },
        "drain-timeout": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${name}: ${error instanceof Error ? error.message : error}; see --help`);
    return 64;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const number = (flag: string, text: string | undefined, fallback: number, min: number) => {
    if (text === undefined) return fallback;
    if (!/^\d+(\.\d+)?$/.test(text) || Number(text) < min) {
      throw new WatchtowerError(
        "usage",
        `--${flag} takes a number of at least ${min}, got '${text}'`,
      );
    }
    return Number(text);
  };
  let port: number, maxConnections: number;
  let headerTimeoutMs: number, idleTimeoutMs: number, drainTimeoutMs: number;
  try {
    port = number("port", values.port, 8888, 0);
    if (port > 65_535 || !Number.isInteger(port)) {
      throw new WatchtowerError("usage", `--port takes 0..65535, got '${values.port}'`);
    }
    maxConnections = number("max-connections", values["max-connections"], 1024, 1);
    headerTimeoutMs = number("header-timeout", values["header-timeout"], 10, 0.05) * 1000;
    idleTimeoutMs = number("idle-timeout", values["idle-timeout"], 60, 0.05) * 1000;
    drainTimeoutMs = number("drain-timeout", values["drain-timeout"], 10, 0) * 1000;
  } catch (error) {
    console.error(`${name}: ${(error as Error).message}`);
    return 64;
  }

  const env = resolveEnvironment(readEnv, Deno.cwd());
  let denylist: Denylist | undefined;
  let policy: Awaited<ReturnType<typeof loadPolicyFast>>;
  let allowLoopback: boolean, allowPrivate: boolean;
  try {
    const profilesDir = decodeURIComponent(new URL("../profiles", import.meta.url).pathname);
    policy = await loadPolicyFast(
      policyOptions(env, profilesDir, { profiles: values.profile, policyFile: values.policy }),
    );
    if (values.denylist !== undefined) {
      denylist = compileDenylist(values.denylist, readDenylist(values.denylist));
    }
    allowLoopback = values["allow-loopback"] === true || policy.settings.egress.allowLoopback;
    allowPrivate = values["allow-private"] === true || policy.settings.egress.allowPrivate;
  } catch (error) {
    console.error(`${name}: ${error instanceof Error ? error.message : error}`);
    return 78;
  }

  // Beside this entry module: the source, or the bundle `deno task install` writes.
  const workerUrl = new URL(
    import.meta.url.endsWith(".js") ? "./ledger_worker.js" : "./ledger_worker.ts",
    import.meta.url,
  );
  const trace = new Trace(workerWriter(env.stateDir, workerUrl));
  const approvals = adapterApprovals(
    env,
    readEnv,
    (event) => trace.event(event),
    policy,
  );
  const guard = new Guard(policy);
  const session = new SessionTracker(env.stateDir, env.session);
  try {
    session.view(); // a session named at start must exist and be usable
  } catch (error) {
    console.error(`${name}: ${error instanceof Error ? error.message : error}`);
    await trace.close();
    return 78;
  }
  const egress = { allowLoopback, allowPrivate };
  const server = new ProxyServer({
    hostname: values.host ?? "127.0.0.1",
    port,
    decider: new ProxyDecider({ guard, env, egress, denylist, approvals, session }),
    egress,
    resolve: hostsResolver(),
    trace,
    limits: { maxConnections, headerTimeoutMs, idleTimeoutMs, drainTimeoutMs },
  });
  let address: Deno.NetAddr;
  try {
    address = server.start();
  } catch (error) {
    console.error(
      `${name}: cannot listen on ${values.host ?? "127.0.0.1"}:${port}: ${
        error instanceof Error ? error.message : error
      }`,
    );
    return 78;
  }
  const shown = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  trace.event({ type: "proxy.start", address: `${shown}:${address.port}`, egress });
  const unwritable = await trace.flush();
  if (unwritable) {
    // Nothing may be forwarded unrecorded: refuse to run rather than refuse every request.
    console.error(`${name}: cannot write the ledger in ${env.stateDir}: ${unwritable}`);
    await server.stop();
    await trace.close();
    return 78;
  }
  // Listen for the stop signals before saying we are ready: a stop right after is graceful.
  const stopped = Promise.withResolvers<string>();
  const onSignal = (signal: Deno.Signal) => () => stopped.resolve(signal);
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = onSignal(signal);
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  if (values.json) {
    console.log(
      JSON.stringify({
        listening: `${shown}:${address.port}`,
        host: address.hostname,
        port: address.port,
      }),
    );
  } else {
    console.log(`${name}: listening on ${shown}:${address.port}`);
  }

  const signal = await stopped.promise;
  await server.stop();
  trace.event({ type: "proxy.stop", signal });
  const failure = await trace.close();
  for (const [sig, handler] of handlers) Deno.removeSignalListener(sig, handler);
  if (failure) {
    console.error(`${name}: the ledger could not be written: ${failure}`);
    return 70;
  }
  return 0;
}

if (import.meta.main) {
  if (Deno.env.get("DENO_PERMISSION_BROKER_PATH") !== undefined) {
    console.error(
      "wt-proxy: DENO_PERMISSION_BROKER_PATH is set, which would override its permissions; unset it",
    );
    Deno.exit(78);
  }
  Deno.exit(await runProxy(Deno.args));
}
