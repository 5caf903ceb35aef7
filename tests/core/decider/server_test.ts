/**
 * The decision service's socket and its client: a real Unix socket on a temporary state
 * directory. Garbage, oversize lines and hang-ups are handled; the socket is private, replaced
 * only when stale, never taken from a live service; a client that gets no good answer returns
 * undefined, and the remote backend then decides locally.
 */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { createGuard } from "../../../cli/guard.ts";
import { resolveEnvironment, type WatchtowerEnvironment } from "../../../core/config.ts";
import { DeciderClient } from "../../../core/decider/client.ts";
import { MAX_MESSAGE_BYTES, socketPath } from "../../../core/decider/protocol.ts";
import { serveDecisions } from "../../../core/decider/server.ts";
import { DecisionService } from "../../../core/decider/service.ts";
import { failClosed, type GuardDecision } from "../../../core/guard.ts";
import type { Intent } from "../../../core/intent.ts";
import type { Decided, DecisionBackend, EffectEvent } from "../../../core/shim/backend.ts";
import { RemoteBackend } from "../../../core/shim/remote.ts";
import type { LineDecision } from "../../../core/shell_guard/decide.ts";
import { intentFor } from "../../../core/shim/runner.ts";

const profiles = decodeURIComponent(new URL("../../../profiles", import.meta.url).pathname);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Running {
  env: WatchtowerEnvironment;
  /** Settles when the server has stopped (by itself, or told to). */
  done: Promise<void>;
  stop(): Promise<void>;
}

async function start(options: { idleMs?: number; stateDir?: string } = {}): Promise<Running> {
  const home = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-sock-" }));
  const env = resolveEnvironment(
    (name) => ({ HOME: home, WATCHTOWER_DIR: options.stateDir ?? `${home}/.wt` })[name],
    home,
  );
  Deno.mkdirSync(env.stateDir, { recursive: true });
  const service = new DecisionService({
    stateDir: env.stateDir,
    builtinProfiles: profiles,
    read: () => undefined,
    lineGuard: createGuard,
  });
  const stopping = new AbortController();
  let ready!: () => void;
  const listening = new Promise<void>((resolve) => ready = resolve);
  const served = serveDecisions({
    stateDir: env.stateDir,
    service,
    idleMs: options.idleMs ?? 0,
    signal: stopping.signal,
    onReady: () => ready(),
  });
  await Promise.race([listening, served]);
  return {
    env,
    done: served,
    stop: async () => {
      stopping.abort();
      await served;
    },
  };
}

/** Sends raw bytes on a new connection and returns everything the service answered. */
async function raw(path: string, bytes: Uint8Array): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path });
  let offset = 0;
  try {
    while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
  } catch {
    // the service may hang up before reading it all
  }
  let text = "";
  const buffer = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) break;
    text += decoder.decode(buffer.subarray(0, n));
  }
  conn.close();
  return text;
}

Deno.test("a client asks and gets answers on one connection; the socket is private", async () => {
  const running = await start();
  try {
    const path = socketPath(running.env.stateDir);
    equal(Deno.statSync(path).mode! & 0o777, 0o600);
    const client = await DeciderClient.connect(running.env.stateDir);
    ok(client);
    const ping = await client.call({ op: "ping", env: running.env });
    equal(ping?.pid, Deno.pid);
    const line = await client.call({
      op: "line",
      env: running.env,
      line: "sudo rm -rf /",
      tool: "wt-check",
      record: true,
    });
    // deno-lint-ignore no-explicit-any
    equal((line?.decided as any).verdict, "deny");
    client.close();
  } finally {
    await running.stop();
  }
  // Stopping removes the socket.
  await rejects(async () => await Deno.lstat(socketPath(running.env.stateDir)));
});

Deno.test("garbage is answered once and the connection closed; the service keeps serving", async () => {
  const running = await start();
  try {
    const path = socketPath(running.env.stateDir);
    const garbage = await raw(path, encoder.encode('\x00\xff not json\n{"v":1}\n'));
    const answers = garbage.trim().split("\n").map((l) => JSON.parse(l));
    equal(answers.length, 1);
    equal(answers[0].ok, false);
    match(answers[0].error, /one JSON object per line/);
    const huge = await raw(path, new Uint8Array(MAX_MESSAGE_BYTES + 100_000).fill(0x20));
    match(huge, /at most/);
    const client = (await DeciderClient.connect(running.env.stateDir))!;
    equal((await client.call({ op: "ping", env: running.env }))?.ok, true);
    client.close();
  } finally {
    await running.stop();
  }
});

Deno.test("a refused request comes back from the client as undefined, and the connection is done", async () => {
  const running = await start();
  try {
    const client = (await DeciderClient.connect(running.env.stateDir))!;
    equal(
      await client.call({ op: "ping", env: { ...running.env, stateDir: "/elsewhere" } }),
      undefined,
    );
    equal(await client.call({ op: "ping", env: running.env }), undefined);
  } finally {
    await running.stop();
  }
});

Deno.test("no service, a stale socket, a live one, a file in the way", async () => {
  const home = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-sock-" }));
  const stateDir = `${home}/.wt`;
  equal(await DeciderClient.connect(stateDir), undefined); // nothing there
  Deno.mkdirSync(stateDir);
  // A stale socket (its process killed) is replaced.
  const holder = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `Deno.listen({ transport: "unix", path: ${
        JSON.stringify(socketPath(stateDir))
      } }); console.log("up"); setInterval(() => {}, 1000);`,
    ],
    stdout: "piped",
  }).spawn();
  const reader = holder.stdout.getReader();
  await reader.read();
  holder.kill("SIGKILL");
  await holder.status;
  reader.releaseLock();
  await holder.stdout.cancel();
  ok(Deno.lstatSync(socketPath(stateDir)).isSocket);
  equal(await DeciderClient.connect(stateDir), undefined);
  const running = await start({ stateDir });
  try {
    // A second service on a live socket refuses to start and leaves the first alone.
    await rejects(() => start({ stateDir }), /already answers/);
    const client = (await DeciderClient.connect(stateDir))!;
    equal((await client.call({ op: "ping", env: running.env }))?.ok, true);
    client.close();
  } finally {
    await running.stop();
  }
  Deno.writeTextFileSync(socketPath(stateDir), "not a socket");
  await rejects(() => start({ stateDir }), /not a socket/);
  equal(Deno.readTextFileSync(socketPath(stateDir)), "not a socket");
});

Deno.test("an idle service stops by itself", async () => {
  const running = await start({ idleMs: 150 });
  await running.done; // nobody asks: it stops on its own
  await rejects(async () => await Deno.lstat(socketPath(running.env.stateDir)));
});

Deno.test("a hung service: the client gives up after its timeout", async () => {
  const home = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-sock-" }));
  const listener = Deno.listen({ transport: "unix", path: socketPath(home) });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn); // reads nothing, answers nothing
  })();
  try {
    const client = (await DeciderClient.connect(home))!;
    const started = performance.now();
    const env = resolveEnvironment((name) => ({ HOME: home, WATCHTOWER_DIR: home })[name], home);
    equal(await client.call({ op: "ping", env }, 200), undefined);
    ok(performance.now() - started < 2000);
  } finally {
    listener.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});

/** A local backend that says what it was asked. */
class Recording implements DecisionBackend {
  calls: string[] = [];
  decide(intents: Intent[]): Promise<Decided> {
    this.calls.push("decide");
    return Promise.resolve({
      decisions: intents.map(() => failClosed("builtin_refusal", "local")),
      seqs: [],
    });
  }
  advance(): Promise<void> {
    this.calls.push("advance");
    return Promise.resolve();
  }
  effect(_event: EffectEvent): Promise<number | undefined> {
    this.calls.push("effect");
    return Promise.resolve(undefined);
  }
  line(line: string): Promise<LineDecision> {
    this.calls.push("line");
    const decision = failClosed("builtin_refusal", "local");
    return Promise.resolve({
      line,
      verdict: "deny",
      decision,
      deciding: -1,
      parts: [],
      parsed: true,
    });
  }
}

Deno.test("the remote backend falls back to the local one from the first unanswered request", async () => {
  const running = await start();
  const local = new Recording();
  const env = { ...running.env, session: "s-1" };
  const intents = [intentFor(
    { domain: "filesystem", operation: "touch", target: { path: `${env.workspace}/f` } },
    env,
    "safe-touch",
  )];
  try {
    const client = (await DeciderClient.connect(env.stateDir))!;
    const backend = new RemoteBackend(client, env, () => Promise.resolve(local));
    // The service decides in an unknown session: a deny it recorded itself, no fallback.
    const decided = await backend.decide(intents, undefined);
    equal(decided.decisions[0]!.reason, "session_unavailable");
    deepEqual(local.calls, []);
    // The service goes away: the local backend takes over, and stays.
    await running.stop();
    await backend.advance(intents, decided.decisions as GuardDecision[]);
    await backend.decide(intents, undefined);
    await backend.effect({ type: "effect" });
    await backend.line("ls", "wt-sh");
    deepEqual(local.calls, ["advance", "decide", "effect", "line"]);
    equal(backend.fellBack, true);
  } finally {
    await running.stop();
  }
});
