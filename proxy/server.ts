/**
 * The egress proxy's server: an HTTP/1.1 forward proxy for absolute-form requests (keep-alive,
 * bodies streamed) and CONNECT tunnels (decided on host and port; TLS is not intercepted). Every
 * request is decided before anything is sent upstream, names are resolved by the proxy and the
 * exact address it checked is the one it connects to, and every request it understood is
 * recorded. Limits: head size and field count, header and idle timeouts, a connection cap; a
 * graceful stop drains the requests in flight.
 * @module
 */
import { type EgressSettings, resolveForEgress } from "../core/egress.ts";
import { effectiveVerdict, permits } from "../core/intent.ts";
import { egressDecision, type ProxyDecider, type ProxyDecision, refusal } from "./decide.ts";
import {
  BufferedReader,
  type ByteSink,
  type ByteStream,
  ConnectionClosed,
  HEAD_LIMITS,
  type HeaderField,
  headerTokens,
  HttpError,
  parseRequestHead,
  parseResponseHead,
  relayBody,
  requestFraming,
  type RequestHead,
  responseFraming,
  type ResponseHead,
  serializeHead,
  withoutHopByHop,
  writeAll,
} from "./http1.ts";
import type { RequestEffect, Trace } from "./trace.ts";

/** Time and size limits of the server. */
export interface ServerLimits {
  /** Most client connections at once; more are answered 503 and closed. */
  maxConnections: number;
  /** A request head must arrive within this time of its first byte (slowloris). */
  headerTimeoutMs: number;
  /** A connection with nothing to do (between requests, or a stalled body) is closed after. */
  idleTimeoutMs: number;
  /** A tunnel with no bytes either way is closed after. */
  tunnelIdleTimeoutMs: number;
  /** Connecting upstream gives up after. */
  connectTimeoutMs: number;
  /** On stop, requests in flight get this long to finish. */
  drainTimeoutMs: number;
}

/** Limits a proxy on a workstation can live with. */
export const DEFAULT_LIMITS: ServerLimits = {
  maxConnections: 1024,
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  tunnelIdleTimeoutMs: 300_000,
  connectTimeoutMs: 10_000,
  drainTimeoutMs: 10_000,
};

/** What the server needs: where to listen, who decides, where requests are recorded. */
export interface ProxyServerOptions {
  hostname: string;
  port: number;
  decider: ProxyDecider;
  egress: EgressSettings;
  /** Resolves a host name to addresses (A and AAAA). */
  resolve: (host: string) => Promise<string[]>;
  trace: Trace;
  limits?: Partial<ServerLimits>;
}

type Phase = "idle" | "head" | "busy" | "tunnel";

/** A client connection and its watchdog state. */
interface Client {
  conn: Deno.Conn;
  phase: Phase;
  /** When the phase began. */
  since: number;
  /** The upstream connection the client's request is using, closed with the client's. */
  upstream?: Deno.Conn | undefined;
  /** Last byte read or written. */
  last: number;
}

interface Upstream {
  key: string;
  conn: Deno.Conn;
  reader: BufferedReader;
}

const JSON_TYPE: HeaderField = ["Content-Type", "application/json"];
const encoder = new TextEncoder();

/** The egress proxy server. */
export class ProxyServer {
  readonly #options: ProxyServerOptions;
  readonly #limits: ServerLimits;
  #listener: Deno.Listener | undefined;
  readonly #clients = new Set<Client>();
  readonly #handlers = new Set<Promise<void>>();
  #stopping = false;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #accepting: Promise<void> | undefined;

  constructor(options: ProxyServerOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  /** Starts listening; returns the address (port 0 picks a free port). */
  start(): Deno.NetAddr {
    const listener = Deno.listen({ hostname: this.#options.hostname, port: this.#options.port });
    this.#listener = listener;
    const shortest = Math.min(this.#limits.headerTimeoutMs, this.#limits.idleTimeoutMs);
    const tick = Math.max(50, Math.min(1000, shortest / 4));
    this.#watchdog = setInterval(() => this.#watch(), tick);
    this.#accepting = this.#acceptLoop(listener);
    return listener.addr as Deno.NetAddr;
  }

  /** Connections open now. */
  get connections(): number {
    return this.#clients.size;
  }

  /**
   * Stops: no new connections, idle ones closed, requests in flight get the drain time, then
   * everything is closed.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    try {
      this.#listener?.close();
    } catch {
      // already closed
    }
    await this.#accepting;
    for (const client of this.#clients) if (client.phase === "idle") closeQuietly(client.conn);
    const drained = Promise.all([...this.#handlers]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), this.#limits.drainTimeoutMs);
    });
    if (await Promise.race([drained.then(() => "done" as const), late]) === "late") {
      for (const client of this.#clients) closeClient(client);
      await drained;
    }
    clearTimeout(timer);
    clearInterval(this.#watchdog);
  }

  async #acceptLoop(listener: Deno.Listener): Promise<void> {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return; // closed by stop()
      }
      if (this.#clients.size >= this.#limits.maxConnections) {
        this.#refuseBusy(conn);
        continue;
      }
      setNoDelay(conn);
      const now = performance.now();
      const client: Client = { conn, phase: "idle", since: now, last: now };
      this.#clients.add(client);
      const handler = this.#serve(client).finally(() => {
        this.#clients.delete(client);
        this.#handlers.delete(handler);
        closeQuietly(conn);
      });
      this.#handlers.add(handler);
    }
  }

  #refuseBusy(conn: Deno.Conn): void {
    const body = encoder.encode(
      `${JSON.stringify({ error: "busy", reason: "too many connections to the proxy" })}\n`,
    );
    writeAll(conn, response(503, "Service Unavailable", body, true))
      .catch(() => {})
      .finally(() => closeQuietly(conn));
  }

  /** Closes connections past their time: slow heads, idle keep-alives, stalled transfers. */
  #watch(): void {
    const now = performance.now();
    const limits = this.#limits;
    for (const client of this.#clients) {
      const expired = client.phase === "head"
        ? now - client.since > limits.headerTimeoutMs
        : client.phase === "tunnel"
        ? now - client.last > limits.tunnelIdleTimeoutMs
        : now - client.last > limits.idleTimeoutMs;
      if (expired) closeClient(client);
    }
  }

  async #serve(client: Client): Promise<void> {
    const stream = {
      read: async (buffer: Uint8Array) => {
        const n = await client.conn.read(buffer);
        client.last = performance.now();
        if (client.phase === "idle" && n !== null && n > 0) {
          client.phase = "head";
          client.since = client.last;
        }
        return n;
      },
      write: async (bytes: Uint8Array) => {
        const n = await client.conn.write(bytes);
        client.last = performance.now();
        return n;
      },
    };
    const reader = new BufferedReader(stream);
    const upstream: { current?: Upstream | undefined } = {};
    try {
      while (!this.#stopping) {
        client.phase = "idle";
        client.since = client.last = performance.now();
        let head: Uint8Array | undefined;
        try {
          head = await reader.readHead(HEAD_LIMITS.headBytes);
        } catch (error) {
          if (error instanceof HttpError) await answerError(stream, error);
          return;
        }
        if (!head) return;
        client.phase = "busy";
        const keepAlive = await this.#exchange(client, stream, reader, head, upstream);
        if (!keepAlive || this.#stopping) return;
      }
    } catch {
      // The client went away or broke the protocol mid-message: nothing more to say to it.
    } finally {
      if (upstream.current) closeQuietly(upstream.current.conn);
    }
  }

  /** Handles one request; returns whether the client connection may carry another. */
  async #exchange(
    client: Client,
    stream: ByteStream,
    reader: BufferedReader,
    rawHead: Uint8Array,
    upstream: { current?: Upstream | undefined },
  ): Promise<boolean> {
    const started = performance.now();
    let head: RequestHead;
    try {
      head = parseRequestHead(rawHead);
    } catch (error) {
      if (error instanceof HttpError) await answerError(stream, error);
      return false;
    }
    // The target: an http URL (absolute form) or, for CONNECT, host:port.
    let parsed: ReturnType<typeof parseTarget>;
    try {
      parsed = parseTarget(head);
    } catch (error) {
      if (error instanceof HttpError) await answerError(stream, error);
      return false;
    }
    const { decider, trace } = this.#options;
    const effect: RequestEffect = { status: 0, bytes_in: 0, bytes_out: 0, duration_ms: 0 };
    const finish = (decided: ProxyDecision, error?: string) => {
      effect.duration_ms = Math.round((performance.now() - started) * 1000) / 1000;
      if (error) effect.error = error;
      trace.record(decided.intent, decided.decision, effect);
    };
    // A body framing that two parsers could read differently is refused before anything else
    // (and before the policy, so that it cannot file a pending approval).
    let framing: ReturnType<typeof requestFraming> = { kind: "none" };
    if (parsed.kind === "forward") {
      try {
        framing = requestFraming(head);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        effect.status = error.status;
        await answerError(stream, error);
        finish({
          intent: decider.intentFor(parsed),
          decision: refusal("invalid_intent", "malformed-request", error.message),
        });
        return false;
      }
    }
    let decided: ProxyDecision;
    if (trace.failure) {
      decided = {
        intent: decider.intentFor(parsed),
        decision: refusal(
          "builtin_refusal",
          "ledger-unavailable",
          `the ledger cannot be written, so nothing is forwarded: ${trace.failure}`,
        ),
      };
    } else {
      decided = await decider.decide(parsed);
    }
    const hasBody = framing.kind !== "none";
    if (!permits(effectiveVerdict(decided.decision))) {
      effect.status = 403;
      await answerRefusal(stream, decided, hasBody || parsed.kind === "tunnel");
      finish(decided);
      return !hasBody && parsed.kind !== "tunnel";
    }
    // Allowed: resolve the name and check the address it resolves to, then connect to exactly it.
    const host = parsed.kind === "tunnel" ? parsed.host : hostname(parsed.url);
    const port = parsed.kind === "tunnel" ? parsed.port : Number(parsed.url.port || 80);
    const resolved = await resolveForEgress(host, this.#options.egress, this.#options.resolve);
    if ("reason" in resolved) {
      decided = { intent: decided.intent, decision: egressDecision(resolved) };
      effect.status = 403;
      await answerRefusal(stream, decided, true);
      finish(decided);
      return false;
    }
    // It goes ahead: the session moves to the request's zone (a POST: COMMITMENT) first.
    try {
      const moved = decider.advance(decided);
      if (moved) trace.event(moved);
    } catch (error) {
      decided = {
        intent: decided.intent,
        decision: refusal("session_unavailable", "session-unavailable", message(error)),
      };
      effect.status = 403;
      await answerRefusal(stream, decided, true);
      finish(decided);
      return false;
    }
    effect.address = resolved.address;
    effect.address_class = resolved.addressClass;
    if (parsed.kind === "tunnel") {
      await this.#tunnel(
        client,
        stream,
        reader,
        resolved.address,
        port,
        effect,
        (error) => finish(decided, error),
      );
      return false;
    }
    return await this.#forward(
      client,
      stream,
      reader,
      head,
      parsed.url,
      framing,
      resolved.address,
      port,
      upstream,
      effect,
      (error) => finish(decided, error),
    );
  }

  async #connect(address: string, port: number): Promise<Deno.Conn> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connecting = Deno.connect({ hostname: address, port });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`connecting to ${address}:${port} timed out`)),
        this.#limits.connectTimeoutMs,
      );
    });
    try {
      const conn = await Promise.race([connecting, timeout]);
      setNoDelay(conn);
      return conn;
    } catch (error) {
      connecting.then((conn) => closeQuietly(conn), () => {});
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async #tunnel(
    client: Client,
    stream: ByteSink,
    reader: BufferedReader,
    address: string,
    port: number,
    effect: RequestEffect,
    finish: (error?: string) => void,
  ): Promise<void> {
    let server: Deno.Conn;
    try {
      server = await this.#connect(address, port);
    } catch (error) {
      effect.status = 502;
      await answerJson(
        stream,
        502,
        "Bad Gateway",
        { error: "upstream", reason: message(error) },
        true,
      )
        .catch(() => {});
      finish(message(error));
      return;
    }
    client.upstream = server;
    try {
      await writeAll(stream, encoder.encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
      effect.status = 200;
      client.phase = "tunnel";
      const early = reader.drain();
      const up = (async () => {
        if (early.length > 0) {
          await writeAll(server, early);
          effect.bytes_in += early.length;
        }
        while (true) {
          const piece = await reader.readSome(16_384);
          if (!piece) break;
          effect.bytes_in += piece.length;
          await writeAll(server, piece);
        }
        await server.closeWrite().catch(() => {});
      })();
      const down = (async () => {
        const buffer = new Uint8Array(16_384);
        while (true) {
          const n = await server.read(buffer);
          if (n === null) break;
          client.last = performance.now();
          effect.bytes_out += n;
          await writeAll(stream, buffer.subarray(0, n));
        }
        // The server is done: half-close towards the client, which then ends its side.
        await client.conn.closeWrite().catch(() => {});
      })();
      // Either side ending ends the tunnel once the other has had its chance to finish.
      const results = await Promise.allSettled([up, down]);
      const failed = results.find((result) => result.status === "rejected");
      finish(failed ? message((failed as PromiseRejectedResult).reason) : undefined);
    } catch (error) {
      finish(message(error));
    } finally {
      client.upstream = undefined;
      closeQuietly(server);
    }
  }

  async #forward(
    client: Client,
    stream: ByteSink,
    reader: BufferedReader,
    head: RequestHead,
    url: URL,
    framing: ReturnType<typeof requestFraming>,
    address: string,
    port: number,
    upstream: { current?: Upstream | undefined },
    effect: RequestEffect,
    finish: (error?: string) => void,
  ): Promise<boolean> {
    const key = `${address}|${port}`;
    const clientKeepAlive = wantsKeepAlive(head.version, head.headers);
    const requestHead = serializeHead(
      `${head.method} ${url.pathname}${url.search} HTTP/1.1`,
      [
        ["Host", url.host],
        ...withoutHopByHop(head.headers).filter(([name]) => name.toLowerCase() !== "host"),
      ],
    );
    const dropUpstream = () => {
      if (upstream.current) closeQuietly(upstream.current.conn);
      upstream.current = client.upstream = undefined;
    };
    let responded = false;
    try {
      // A kept-alive upstream connection may have been closed by the server meanwhile: a
      // request without a body that finds it so is sent once more on a fresh connection.
      let reused = upstream.current?.key === key;
      if (!reused) dropUpstream();
      let target: Upstream;
      let sentBody: Promise<number>;
      let response: ResponseHead;
      while (true) {
        if (!upstream.current) {
          const conn = await this.#connect(address, port);
          upstream.current = { key, conn, reader: new BufferedReader(conn) };
        }
        target = upstream.current;
        client.upstream = target.conn;
        try {
          await writeAll(target.conn, requestHead);
          sentBody = relayBody(reader, framing, async (bytes) => {
            effect.bytes_in += bytes.length;
            await writeAll(target.conn, bytes);
          });
          // A request body that breaks (bad chunk, client gone) ends the exchange at once: the
          // upstream would otherwise wait for the rest of it forever.
          const bodyBroken = sentBody.then(() => new Promise<never>(() => {}));
          response = await Promise.race([this.#readResponse(target, stream), bodyBroken]);
          break;
        } catch (error) {
          if (!(reused && framing.kind === "none" && error instanceof ConnectionClosed)) {
            throw error;
          }
          reused = false;
          dropUpstream();
        }
      }
      const body = { settled: false, ok: false };
      sentBody.then(() => body.ok = true, () => {}).finally(() => body.settled = true);
      const bodyFraming = responseFraming(response, head.method);
      const keepClient = clientKeepAlive && bodyFraming.kind !== "close" && !this.#stopping;
      const keepUpstream = bodyFraming.kind !== "close" &&
        wantsKeepAlive(response.version, response.headers);
      let fields = withoutHopByHop(response.headers);
      if (bodyFraming.kind === "chunked") {
        fields = fields.filter(([name]) => name.toLowerCase() !== "content-length");
      }
      if (!keepClient) fields.push(["Connection", "close"]);
      effect.status = response.status;
      let responseHead: Uint8Array | undefined = serializeHead(
        `HTTP/1.1 ${response.status} ${response.reason}`,
        fields,
      );
      // The head goes out with the first piece of the body when that piece is already here (one
      // write for a small response); otherwise at once (a stream that waits must see its head).
      if (bodyFraming.kind === "none" || target.reader.buffered === 0) {
        responded = true;
        await writeAll(stream, responseHead);
        responseHead = undefined;
      }
      await relayBody(target.reader, bodyFraming, async (bytes) => {
        effect.bytes_out += bytes.length;
        if (responseHead) {
          const both = concat(responseHead, bytes);
          responseHead = undefined;
          responded = true;
          await writeAll(stream, both);
        } else {
          await writeAll(stream, bytes);
        }
      }, 502);
      if (responseHead) {
        responded = true;
        await writeAll(stream, responseHead);
      }
      // The request body must be complete for either connection to carry another request (an
      // upstream that answered early, without reading it all, leaves the rest unread).
      await Promise.resolve(); // let a body relay that has just finished settle
      const bodyOk = body.settled && body.ok;
      if (!keepUpstream || !bodyOk) dropUpstream();
      client.upstream = undefined;
      finish();
      return keepClient && bodyOk;
    } catch (error) {
      dropUpstream();
      if (!responded) {
        const status = error instanceof HttpError && error.status < 500 ? error.status : 502;
        effect.status = status;
        const body = status === 502
          ? { error: "upstream", reason: message(error) }
          : { error: REASONS[status]?.toLowerCase() ?? "bad request", reason: message(error) };
        await answerJson(stream, status, REASONS[status] ?? "Bad Request", body, true)
          .catch(() => {});
      }
      finish(message(error));
      return false;
    }
  }

  /** Reads the final response head, passing interim (1xx) responses on to the client. */
  async #readResponse(target: Upstream, stream: ByteSink): Promise<ResponseHead> {
    while (true) {
      const raw = await target.reader.readHead(HEAD_LIMITS.headBytes);
      if (!raw) {
        throw new ConnectionClosed("the upstream closed the connection without a response");
      }
      const response = parseResponseHead(raw);
      if (response.status >= 200) return response;
      if (response.status === 101) throw new HttpError(502, "the upstream switched protocols");
      await writeAll(
        stream,
        serializeHead(
          `${response.version} ${response.status} ${response.reason}`,
          response.headers,
        ),
      );
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const both = new Uint8Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  return both;
}

function hostname(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "");
}

/** The request's target: an http URL, or host and port for CONNECT. Throws {@link HttpError}. */
export function parseTarget(
  head: RequestHead,
): { kind: "forward"; method: string; url: URL } | { kind: "tunnel"; host: string; port: number } {
  if (head.method === "CONNECT") {
    const match = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/?#@\[\]]+):(\d{1,5})$/.exec(head.target);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65_535) {
      throw new HttpError(400, `CONNECT needs host:port, got ${JSON.stringify(head.target)}`);
    }
    let url: URL;
    try {
      url = new URL(`https://${match[1]}/`);
    } catch {
      throw new HttpError(400, `CONNECT to an invalid host ${JSON.stringify(match[1])}`);
    }
    return { kind: "tunnel", host: hostname(url), port };
  }
  if (head.target.startsWith("/") || head.target === "*") {
    throw new HttpError(
      400,
      "this is a forward proxy: send the absolute URL (http://host/path), or CONNECT for https",
    );
  }
  let url: URL;
  try {
    url = new URL(head.target);
  } catch {
    throw new HttpError(400, `an invalid request URL ${JSON.stringify(head.target)}`);
  }
  if (url.protocol !== "http:") {
    throw new HttpError(
      400,
      `${url.protocol.replace(/:$/, "")} URLs are not forwarded; use CONNECT for https`,
    );
  }
  if (url.hostname === "") throw new HttpError(400, "the request URL has no host");
  return { kind: "forward", method: head.method, url };
}

function wantsKeepAlive(version: string, headers: readonly HeaderField[]): boolean {
  const tokens = headerTokens(headers, "connection");
  if (tokens.includes("close")) return false;
  if (version === "HTTP/1.0") {
    return tokens.includes("keep-alive") ||
      headerTokens(headers, "proxy-connection").includes("keep-alive");
  }
  return true;
}

function response(
  status: number,
  reason: string,
  body: Uint8Array,
  close: boolean,
  extra: HeaderField[] = [],
) {
  const head = serializeHead(`HTTP/1.1 ${status} ${reason}`, [
    JSON_TYPE,
    ["Content-Length", String(body.length)],
    ...extra,
    ...(close ? [["Connection", "close"] as HeaderField] : []),
  ]);
  const bytes = new Uint8Array(head.length + body.length);
  bytes.set(head);
  bytes.set(body, head.length);
  return bytes;
}

async function answerJson(
  stream: ByteSink,
  status: number,
  reason: string,
  body: Record<string, unknown>,
  close: boolean,
  extra: HeaderField[] = [],
): Promise<void> {
  await writeAll(
    stream,
    response(status, reason, encoder.encode(`${JSON.stringify(body)}\n`), close, extra),
  );
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  502: "Bad Gateway",
  505: "HTTP Version Not Supported",
};

async function answerError(
  stream: ByteSink,
  error: HttpError,
): Promise<void> {
  await answerJson(stream, error.status, REASONS[error.status] ?? "Bad Request", {
    error: REASONS[error.status]?.toLowerCase() ?? "bad request",
    reason: error.message,
  }, true).catch(() => {});
}

/** 403 for a refusal: verdict, rule and reason; an escalation also carries its approval key. */
async function answerRefusal(
  stream: ByteSink,
  decided: ProxyDecision,
  close: boolean,
): Promise<void> {
  const { decision } = decided;
  const body: Record<string, unknown> = {
    verdict: decision.verdict,
    rule: decision.matched_rules[0] ?? null,
    reason: decision.detail,
  };
  const extra: HeaderField[] = [["X-Watchtower-Verdict", decision.verdict]];
  if (decision.verdict === "escalate" && decision.approval_key) {
    body.approval_key = decision.approval_key;
    body.approve = `wt approve ${decision.approval_key}`;
    extra.push(["X-Watchtower-Approval", decision.approval_key]);
  }
  await answerJson(stream, 403, "Forbidden", body, close, extra).catch(() => {});
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Sends small writes at once (a proxy's heads are small; Nagle would add 40 ms waits). */
function setNoDelay(conn: Deno.Conn): void {
  try {
    (conn as Deno.TcpConn).setNoDelay(true);
  } catch {
    // not a TCP connection
  }
}

/** Closes a client's connection and the upstream connection it is using. */
function closeClient(client: Client): void {
  closeQuietly(client.conn);
  if (client.upstream) closeQuietly(client.upstream);
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
