/**
 * The decision service's socket: listen on `STATE_DIR/decider.sock` (mode 0600, refusing to
 * start when another service answers there, replacing only a stale socket), answer each JSON
 * line with the service's answer, and stop when told or after being idle.
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import { MAX_MESSAGE_BYTES, socketPath } from "./protocol.ts";
import type { DecisionService } from "./service.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** How the server runs. */
export interface ServeOptions {
  stateDir: string;
  service: DecisionService;
  /** Stop after this long without a request (ms); 0 never. */
  idleMs: number;
  /** Called once the socket listens. */
  onReady?(path: string): void;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
}

/** Serves until stopped (signal, idle time); removes its socket on the way out. */
export async function serveDecisions(options: ServeOptions): Promise<void> {
  const path = socketPath(options.stateDir);
  await clearStaleSocket(path);
  let listener: Deno.UnixListener;
  try {
    listener = Deno.listen({ transport: "unix", path });
  } catch (error) {
    throw new WatchtowerError(
      "internal",
      `cannot listen on ${path}: ${error instanceof Error ? error.message : error}`,
    );
  }
  Deno.chmodSync(path, 0o600);
  const ours = Deno.lstatSync(path).ino;
  let lastActivity = Date.now();
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      listener.close();
    } catch {
      // already closed
    }
  };
  options.signal?.addEventListener("abort", stop);
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  if (options.idleMs > 0) {
    const check = () => {
      if (Date.now() - lastActivity >= options.idleMs) stop();
      else idleTimer = setTimeout(check, Math.min(options.idleMs, 60_000));
    };
    idleTimer = setTimeout(check, Math.min(options.idleMs, 60_000));
  }
  options.onReady?.(path);
  const connections = new Map<Deno.Conn, Promise<void>>();
  try {
    for await (const conn of listener) {
      const served = serveConnection(conn, options.service, () => lastActivity = Date.now())
        .finally(() => connections.delete(conn));
      connections.set(conn, served);
    }
  } catch (error) {
    if (!stopped) throw error;
  } finally {
    stop();
    // Clients still connected are cut off (each decides itself from there).
    for (const conn of connections.keys()) {
      try {
        conn.close();
      } catch {
        // closed meanwhile
      }
    }
    clearTimeout(idleTimer);
    options.signal?.removeEventListener("abort", stop);
    // Remove the socket only if it is still the one this server made.
    try {
      if (Deno.lstatSync(path).ino === ours) Deno.removeSync(path);
    } catch {
      // gone already
    }
  }
  await Promise.allSettled(connections.values());
}

/**
 * Makes way for a new socket at `path`: nothing there, or a socket no service answers on
 * (removed). Another live service, or anything that is not a socket, is an error.
 */
async function clearStaleSocket(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch {
    return;
  }
  if (!info.isSocket) {
    throw new WatchtowerError(
      "internal",
      `${path} exists and is not a socket; remove it, then start the service again`,
    );
  }
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
  } catch {
    Deno.removeSync(path);
    return;
  }
  throw new WatchtowerError("internal", `a decision service already answers on ${path}`);
}

async function serveConnection(
  conn: Deno.Conn,
  service: DecisionService,
  touch: () => void,
): Promise<void> {
  let pending = new Uint8Array(0);
  const chunk = new Uint8Array(64 * 1024);
  const answer = async (value: unknown) => {
    const bytes = encoder.encode(`${JSON.stringify(value)}\n`);
    let offset = 0;
    while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
  };
  try {
    for (;;) {
      const end = pending.indexOf(10);
      if (end < 0) {
        if (pending.length > MAX_MESSAGE_BYTES) {
          await answer({ ok: false, error: `a request is at most ${MAX_MESSAGE_BYTES} bytes` });
          return;
        }
        const n = await conn.read(chunk);
        if (n === null) return;
        const joined = new Uint8Array(pending.length + n);
        joined.set(pending);
        joined.set(chunk.subarray(0, n), pending.length);
        pending = joined;
        continue;
      }
      const line = pending.subarray(0, end);
      pending = pending.slice(end + 1);
      touch();
      let request: unknown;
      try {
        request = JSON.parse(decoder.decode(line));
      } catch {
        // Not the protocol: say so once and hang up.
        await answer({ ok: false, error: "a request is one JSON object per line" });
        return;
      }
      await answer(await service.handle(request));
    }
  } catch {
    // The client went away mid-request; its adapter decides itself.
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}
