/**
 * The real `wt-proxy` under bad input, over raw TCP: malformed heads, nonsense CONNECT targets,
 * request smuggling shapes, oversized heads, clients that vanish or trickle, idle connections
 * and the connection cap. Each refusal carries the right status and closes the connection; a
 * request the proxy understood is recorded as denied; nothing malformed reaches the upstream;
 * and the proxy keeps serving and stops gracefully afterwards.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { eventually, ledgerLines, type RunningProxy, startProxy, startUpstream } from "./_proxy.ts";

/** Allows every http request, so that the framing checks are what is exercised. */
const ALLOW_ALL =
  "policies:\n  - {name: allow-all-http, priority: 5000, match: {domain: http}, action: allow}\n";

/** One byte per char, so that NUL, CR and bytes over 0x7f are sent as written. */
function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0) & 0xff);
}

function fromLatin1(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

/** How a read ended: the peer closed (EOF), reset the connection, or the time ran out. */
type End = "eof" | "reset" | "timeout";

/** A raw TCP client of the proxy. `close()` may be called any number of times. */
class RawClient {
  readonly #conn: Deno.Conn;
  #closed = false;
  #pending = "";

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  static async open(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async send(data: string): Promise<void> {
    const bytes = latin1(data);
    let offset = 0;
    while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
  }

  /** Reads until the proxy closes the connection or `ms` pass (then closes it here). */
  async readToEnd(ms = 3000): Promise<{ text: string; end: End }> {
    const until = performance.now() + ms;
    let text = this.#pending;
    this.#pending = "";
    while (true) {
      const got = await this.#read(until);
      if ("end" in got) return { text, end: got.end };
      text += got.data;
    }
  }

  /** Reads one response with a Content-Length body; undefined when the connection ends first. */
  async readResponse(
    ms = 3000,
  ): Promise<{ status: number; head: string; body: string } | undefined> {
    const until = performance.now() + ms;
    while (true) {
      const end = this.#pending.indexOf("\r\n\r\n");
      if (end >= 0) {
        const head = this.#pending.slice(0, end + 4);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (this.#pending.length >= end + 4 + length) {
          const body = this.#pending.slice(end + 4, end + 4 + length);
          this.#pending = this.#pending.slice(end + 4 + length);
          return { status: statusOf(head) ?? 0, head, body };
        }
      }
      const got = await this.#read(until);
      if ("end" in got) return undefined;
      this.#pending += got.data;
    }
  }

  /** One read before `until` (a `performance.now()` time): bytes, or how the connection ended. */
  async #read(until: number): Promise<{ data: string } | { end: End }> {
    if (this.#closed) return { end: "timeout" };
    const buffer = new Uint8Array(65_536);
    const reading = this.#conn.read(buffer);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, until - performance.now()));
    });
    try {
      const got = await Promise.race([reading, late]);
      if (got === "timeout") {
        this.close();
        await reading.catch(() => {});
        return { end: "timeout" };
      }
      return got === null ? { end: "eof" } : { data: fromLatin1(buffer.subarray(0, got)) };
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) return { end: "reset" };
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

function statusOf(text: string): number | undefined {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Sends `request` on a fresh connection and reads until the proxy closes it. */
async function exchange(port: number, request: string, ms = 3000) {
  const client = await RawClient.open(port);
  try {
    await client.send(request);
    return await client.readToEnd(ms);
  } finally {
    client.close();
  }
}

/** Stops the proxy with SIGTERM; "hung" (and a SIGKILL) when the graceful stop takes over `ms`. */
async function stopWithin(proxy: RunningProxy, ms = 5000): Promise<number | "hung"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((resolve) => {
    timer = setTimeout(() => resolve("hung"), ms);
  });
  const stopping = proxy.stop();
  const result = await Promise.race([stopping, hung]);
  clearTimeout(timer);
  if (result === "hung") {
    await proxy.stop("SIGKILL");
    await stopping;
  }
  return result;
}

/** Waits `ms`, or less when `until` settles first (the timer is cleared either way). */
async function delay(ms: number, until?: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race(until ? [waited, until] : [waited]);
  clearTimeout(timer);
}

/** The ledger entry of the request for `path`, if there is one. */
function entryFor(proxy: RunningProxy, path: string) {
  return ledgerLines(proxy.stateDir).find((line) => line.data?.intent?.target?.path === path);
}

/** An upstream that accepts connections, reads everything and never answers. */
class SilentUpstream {
  readonly port: number;
  readonly conns: Array<{ conn: Deno.Conn; received: string; closed: boolean }> = [];
  readonly #listener: Deno.Listener;
  readonly #reading: Promise<void>[] = [];
  readonly #accepting: Promise<void>;

  constructor() {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#accepting = this.#accept();
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        const seen = { conn, received: "", closed: false };
        this.conns.push(seen);
        this.#reading.push((async () => {
          const buffer = new Uint8Array(65_536);
          try {
            while (true) {
              const n = await conn.read(buffer);
              if (n === null) break;
              seen.received += fromLatin1(buffer.subarray(0, n));
            }
          } catch {
            // reset or closed here
          }
          seen.closed = true;
        })());
      }
    } catch {
      // the listener was closed
    }
  }

  /** The connection whose request names `path`. */
  connFor(path: string) {
    return this.conns.find((seen) => seen.received.includes(` ${path} HTTP/1.1\r\n`));
  }

  async close(): Promise<void> {
    this.#listener.close();
    for (const { conn } of this.conns) {
      try {
        conn.close();
      } catch {
        // closed by the proxy already
      }
    }
    await this.#accepting;
    await Promise.all(this.#reading);
  }
}

/** Malformed requests: what is sent, the status expected, and whether it is recorded denied. */
function malformedCases(base: string, port: number) {
  const host = `Host: 127.0.0.1:${port}\r\n`;
  const line = (path: string, version = "HTTP/1.1") => `GET ${base}${path} ${version}\r\n`;
  const fields = (count: number, size: number) =>
    Array.from({ length: count }, (_, i) => `X-F${i}: ${"a".repeat(size)}\r\n`).join("");
  const cases: Array<{ name: string; send: string; status: number; recorded?: string }> = [
    { name: "a garbage request line", send: "HELLO THERE\r\n\r\n", status: 400 },
    { name: "a request line of four parts", send: `${line("/m1")}x y\r\n\r\n`, status: 400 },
    { name: "binary garbage", send: "\x16\x03\x01\x02\x00\x01\x00\r\n\r\n", status: 400 },
    {
      name: "a header without a colon",
      send: `${line("/m2")}${host}Bad header\r\n\r\n`,
      status: 400,
    },
    { name: "a space before the colon", send: `${line("/m3")}Host : x\r\n\r\n`, status: 400 },
    {
      name: "a NUL in a header value",
      send: `${line("/m4")}${host}X-A: a\x00b\r\n\r\n`,
      status: 400,
    },
    { name: "obs-fold", send: `${line("/m5")}${host}X-A: a\r\n folded\r\n\r\n`, status: 400 },
    { name: "a bare LF", send: `${line("/m6")}${host}X-A: b\n\r\n\r\n`, status: 400 },
    { name: "CONNECT to nothing", send: "CONNECT nothing HTTP/1.1\r\n\r\n", status: 400 },
    {
      name: "CONNECT to port 99999",
      send: `CONNECT 127.0.0.1:99999 HTTP/1.1\r\n\r\n`,
      status: 400,
    },
    { name: "CONNECT to port 0", send: `CONNECT 127.0.0.1:0 HTTP/1.1\r\n\r\n`, status: 400 },
    { name: "CONNECT to [zz]:443", send: "CONNECT [zz]:443 HTTP/1.1\r\n\r\n", status: 400 },
    { name: "an origin-form request", send: `GET / HTTP/1.1\r\n${host}\r\n`, status: 400 },
    { name: "an asterisk-form request", send: `OPTIONS * HTTP/1.1\r\n${host}\r\n`, status: 400 },
    {
      name: "an https absolute-form request",
      send: `GET https://127.0.0.1:${port}/m7 HTTP/1.1\r\n${host}\r\n`,
      status: 400,
    },
    { name: "HTTP/2.0", send: `${line("/m8", "HTTP/2.0")}${host}\r\n`, status: 505 },
    { name: "the HTTP/2 preface", send: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", status: 505 },
    { name: "a garbage version", send: `${line("/m9", "HTTP/1.1x")}${host}\r\n`, status: 400 },
    {
      name: "a head without an end, over 32 KiB",
      send: `${line("/m10")}${host}${fields(40, 1000)}`,
      status: 431,
    },
    {
      name: "more than 100 header fields",
      send: `${line("/m11")}${host}${fields(101, 1)}\r\n`,
      status: 431,
    },
    {
      name: "a header line over 8 KiB",
      send: `${line("/m12")}${host}${fields(1, 8200)}\r\n`,
      status: 431,
    },
    {
      // Each line and the field count are within limits; the whole head (40 KiB) is not.
      name: "a complete head over 32 KiB",
      send: `${line("/m13")}${host}${fields(5, 8000)}Connection: close\r\n\r\n`,
      status: 431,
    },
    {
      name: "Content-Length with Transfer-Encoding (smuggling)",
      send: `POST ${base}/s1 HTTP/1.1\r\n${host}Content-Length: 4\r\n` +
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      status: 400,
      recorded: "/s1",
    },
    {
      name: "two different Content-Length fields (smuggling)",
      send: `POST ${base}/s2 HTTP/1.1\r\n${host}Content-Length: 3\r\nContent-Length: 4\r\n\r\n` +
        "abcd",
      status: 400,
      recorded: "/s2",
    },
    {
      name: "Transfer-Encoding: chunked, identity",
      send: `POST ${base}/s3 HTTP/1.1\r\n${host}Transfer-Encoding: chunked, identity\r\n\r\n` +
        "0\r\n\r\n",
      status: 501,
      recorded: "/s3",
    },
    {
      name: "Transfer-Encoding in HTTP/1.0",
      send: `POST ${base}/s4 HTTP/1.0\r\n${host}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      status: 400,
      recorded: "/s4",
    },
    {
      name: "Content-Length: -1",
      send: `POST ${base}/s5 HTTP/1.1\r\n${host}Content-Length: -1\r\n\r\n`,
      status: 400,
      recorded: "/s5",
    },
  ];
  return cases;
}

Deno.test("wt-proxy refuses malformed requests with the right status and keeps serving", async (t) => {
  const upstream = startUpstream();
  const base = `http://127.0.0.1:${upstream.port}`;
  const proxy = await startProxy(["--allow-loopback"], { policy: ALLOW_ALL });
  let stopped: number | "hung" | undefined;
  try {
    const cases = malformedCases(base, upstream.port);
    for (const { name, send, status, recorded } of cases) {
      await t.step(`${name} is answered ${status} and the connection closed`, async () => {
        const { text, end } = await exchange(proxy.port, send);
        equal(statusOf(text), status, `${name}: ${JSON.stringify(text.slice(0, 200))}`);
        ok(/\r\nConnection: close\r\n/i.test(text), `${name}: ${text.slice(0, 200)}`);
        equal(end, "eof", name);
        if (recorded) {
          await eventually(() => entryFor(proxy, recorded) !== undefined);
          const { decision, effect } = entryFor(proxy, recorded)!.data;
          equal(decision.verdict, "deny", name);
          deepEqual(decision.matched_rules, ["malformed-request"], name);
          equal(effect.status, status, name);
        }
      });
    }

    await t.step("a client that sends half a head and vanishes is let go", async () => {
      const client = await RawClient.open(proxy.port);
      try {
        await client.send(`GET ${base}/half-head HTTP/1.1\r\nHost: 127.0.0.1:`);
        await delay(50);
      } finally {
        client.close();
      }
      // Nothing was understood, so nothing is recorded (the next steps show it keeps serving).
      await delay(100);
      equal(entryFor(proxy, "/half-head"), undefined);
    });

    await t.step("nothing malformed reached the upstream", () => {
      deepEqual(upstream.seen.map((seen) => seen.path), []);
    });

    await t.step("a normal request through the proxy still works", async () => {
      const client = Deno.createHttpClient({ proxy: { url: proxy.url } });
      try {
        const response = await fetch(`${base}/after?x=1`, { client });
        equal(response.status, 200);
        equal(await response.text(), "GET /after 0\n");
      } finally {
        client.close();
      }
      await eventually(() => entryFor(proxy, "/after") !== undefined);
      const { decision, effect } = entryFor(proxy, "/after")!.data;
      equal(decision.verdict, "allow");
      equal(effect.status, 200);
    });
  } finally {
    stopped = await stopWithin(proxy);
    await upstream.close();
  }
  equal(stopped, 0, `graceful stop: ${proxy.stderr()}`);
});

Deno.test("wt-proxy forwards no request smuggled through Connection-listed framing fields", async () => {
  // A proxy drops the fields `Connection` names; dropping Content-Length while relaying the body
  // would let the body be read upstream as a second request that no policy decided.
  const upstream = startUpstream();
  const base = `http://127.0.0.1:${upstream.port}`;
  const proxy = await startProxy(["--allow-loopback"], { policy: ALLOW_ALL });
  const client = await RawClient.open(proxy.port);
  let stopped: number | "hung" | undefined;
  try {
    const smuggled = `GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1:${upstream.port}\r\n\r\n`;
    await client.send(
      `POST ${base}/front HTTP/1.1\r\nHost: 127.0.0.1:${upstream.port}\r\n` +
        `Connection: Content-Length\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
    );
    const first = await client.readResponse();
    await delay(100);
    const paths = upstream.seen.map((seen) => seen.path);
    ok(!paths.includes("/smuggled"), `the upstream saw ${paths.join(", ")}`);
    if (first?.status === 200) {
      // Forwarded: the body must have gone as a body. A second request on the same connection
      // must get its own response, not the smuggled one's.
      equal(first.body, `POST /front ${smuggled.length}\n`);
      await client.send(`GET ${base}/second HTTP/1.1\r\nHost: 127.0.0.1:${upstream.port}\r\n\r\n`);
      const second = await client.readResponse();
      equal(second?.body, "GET /second 0\n");
    } else {
      equal(first?.status, 400, `refused as malformed: ${first?.head}`);
    }
    // Whatever reached the upstream was decided and recorded.
    for (const { path } of upstream.seen) {
      await eventually(() => entryFor(proxy, path) !== undefined);
    }
  } finally {
    client.close();
    stopped = await stopWithin(proxy);
    await upstream.close();
  }
  equal(stopped, 0, `graceful stop: ${proxy.stderr()}`);
});

Deno.test("wt-proxy aborts the upstream request when the client's body breaks", async (t) => {
  const silent = new SilentUpstream();
  const upstream = startUpstream();
  const proxy = await startProxy(["--allow-loopback"], { policy: ALLOW_ALL });
  const base = `http://127.0.0.1:${silent.port}`;
  const host = `Host: 127.0.0.1:${silent.port}\r\n`;
  let stopped: number | "hung" | undefined;
  try {
    await t.step("an invalid chunk size is answered 400 and the upstream aborted", async () => {
      const { text, end } = await exchange(
        proxy.port,
        `POST ${base}/bad-chunk HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\n` +
          "5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n",
        2000,
      );
      equal(statusOf(text), 400, JSON.stringify(text.slice(0, 200)));
      equal(end, "eof");
      await eventually(() => silent.connFor("/bad-chunk")?.closed === true, 2000);
      await eventually(() => entryFor(proxy, "/bad-chunk")?.data.effect.status === 400, 2000);
    });

    const vanishing: Array<[string, string, string]> = [
      ["a Content-Length body", "/vanish-length", "Content-Length: 100\r\n\r\n0123456789"],
      ["a chunked body", "/vanish-chunked", "Transfer-Encoding: chunked\r\n\r\n64\r\n0123456789"],
    ];
    for (const [what, path, rest] of vanishing) {
      await t.step(
        `a client that vanishes inside ${what} leaves no hung upstream request`,
        async () => {
          const client = await RawClient.open(proxy.port);
          try {
            await client.send(`POST ${base}${path} HTTP/1.1\r\n${host}${rest}`);
            await eventually(() => silent.connFor(path)?.received.endsWith("0123456789") === true);
          } finally {
            client.close();
          }
          await eventually(() => silent.connFor(path)?.closed === true, 2000);
          await eventually(
            () => typeof entryFor(proxy, path)?.data.effect.error === "string",
            2000,
          );
        },
      );
    }

    await t.step("the proxy keeps serving", async () => {
      const { text } = await exchange(
        proxy.port,
        `GET http://127.0.0.1:${upstream.port}/still HTTP/1.1\r\nConnection: close\r\n\r\n`,
      );
      equal(statusOf(text), 200, text);
      ok(text.endsWith("\r\n\r\nGET /still 0\n"), text);
    });
  } finally {
    // Closing the silent upstream first releases any request the proxy is still waiting on.
    await silent.close();
    stopped = await stopWithin(proxy);
    await upstream.close();
  }
  equal(stopped, 0, `graceful stop: ${proxy.stderr()}`);
});

Deno.test("wt-proxy gives up on an upstream that never answers once the exchange is idle", async () => {
  const silent = new SilentUpstream();
  const proxy = await startProxy(
    ["--allow-loopback", "--idle-timeout", "0.3", "--header-timeout", "0.3"],
    { policy: ALLOW_ALL },
  );
  let stopped: number | "hung" | undefined;
  try {
    const started = performance.now();
    const { text, end } = await exchange(
      proxy.port,
      `GET http://127.0.0.1:${silent.port}/never HTTP/1.1\r\nHost: x\r\n\r\n`,
      3000,
    );
    const elapsed = performance.now() - started;
    equal(end, "eof");
    ok(text === "" || [502, 504].includes(statusOf(text) ?? 0), text);
    ok(elapsed < 2000, `the client was let go after ${elapsed.toFixed(0)} ms`);
    // The proxy's side of the exchange must end too: no upstream connection left waiting.
    await eventually(() => silent.connFor("/never")?.closed === true, 1500);
    await eventually(() => typeof entryFor(proxy, "/never")?.data.effect.error === "string", 1500);
  } finally {
    await silent.close();
    stopped = await stopWithin(proxy);
  }
  equal(stopped, 0, `graceful stop: ${proxy.stderr()}`);
});

Deno.test("wt-proxy's graceful stop ends an exchange still waiting after the drain time", async () => {
  const silent = new SilentUpstream();
  const proxy = await startProxy(["--allow-loopback", "--drain-timeout", "0.5"], {
    policy: ALLOW_ALL,
  });
  const client = await RawClient.open(proxy.port);
  let stopped: number | "hung" | undefined;
  try {
    await client.send(`GET http://127.0.0.1:${silent.port}/stalled HTTP/1.1\r\nHost: x\r\n\r\n`);
    await eventually(() => silent.connFor("/stalled") !== undefined);
    const started = performance.now();
    stopped = await stopWithin(proxy, 3000);
    const elapsed = performance.now() - started;
    equal(stopped, 0, `graceful stop after ${elapsed.toFixed(0)} ms: ${proxy.stderr()}`);
    equal((await client.readToEnd(1000)).end, "eof");
    equal(silent.connFor("/stalled")?.closed, true);
  } finally {
    client.close();
    await silent.close();
    if (stopped === undefined) stopped = await stopWithin(proxy);
  }
});

Deno.test("wt-proxy closes a slowloris connection after --header-timeout", async () => {
  const upstream = startUpstream();
  const proxy = await startProxy(["--allow-loopback", "--header-timeout", "0.3"], {
    policy: ALLOW_ALL,
  });
  const client = await RawClient.open(proxy.port);
  let stopped: number | "hung" | undefined;
  try {
    const head = `GET http://127.0.0.1:${upstream.port}/slow HTTP/1.1\r\nHost: x\r\n\r\n`;
    const started = performance.now();
    let ended: { text: string; end: End } | undefined;
    const reading = client.readToEnd(3000).then((result) => ended = result);
    let sent = 0;
    while (!ended && sent < head.length) {
      try {
        await client.send(head[sent]!);
      } catch {
        break; // the proxy has closed the connection
      }
      sent++;
      await delay(100, reading);
    }
    await reading;
    const elapsed = performance.now() - started;
    equal(ended?.end, "eof");
    ok(ended?.text === "" || statusOf(ended!.text) === 408, ended?.text);
    // 0.3 s from the first byte, plus the watchdog's tick and a loaded machine's slack.
    ok(elapsed >= 250 && elapsed < 1500, `closed after ${elapsed.toFixed(0)} ms`);
    ok(sent < head.length, `the whole head went through (${sent} bytes)`);
    deepEqual(upstream.seen, []);
  } finally {
    client.close();
    stopped = await stopWithin(proxy);
    await upstream.close();
  }
  equal(stopped, 0, `graceful stop: ${proxy.stderr()}`);
});

Deno.test("wt-proxy closes idle connections after --idle-timeout", async () => {
  const upstream = startUpstream();
  const proxy = await startProxy(["--allow-loopback", "--idle-timeout", "0.3"], {
    policy: ALLOW_ALL,
  });
  const fresh = await RawClient.open(proxy.port);
  const used = await RawClient.open(proxy.port);
  let stopped: number | "hung" | undefined;
  try {
    const freshSince = performance.now();
    await used.send(`GET http://127.0.0.1:${upstream.port}/kept HTTP/1.1\r\nHost: x\r\n\r\n`);
    const response = await used.readResponse();
    equal(response?.status, 200);
    equal(response?.body, "GET /kept 0\n");
    ok(!/\r\nConnection: close\r\n/i.test(response!.head), "kept alive");
    const usedSince = performance.now();
    const [freshEnd, usedEnd] = await Promise.all([
      fresh.readToEnd(3000).then((result) => ({ ...result, ms: performance.now() - freshSince })),
      used.readToEnd(3000).then((result) => ({ ...result, ms: performance.now() - usedSince })),
    ]);
    for (const [name, result] of [["a fresh", freshEnd], ["a kept-alive", usedEnd]] as const) {
      deepEqual([result.end, result.text], ["eof", ""], name);
      ok(result.ms >= 250 && result.ms < 2000, `${name} connection closed after ${result.ms} ms`);
    }
  } finally {
    fresh.close();
    used.close();
    stopped = await stopWithin(proxy);
    await upstream.close();
  }
  equal(stopped, 0, `graceful stop: ${proxy.stderr()}`);
});

Deno.test("wt-proxy answers 503 past --max-connections and serves again once below", async () => {
  const upstream = startUpstream();
  const proxy = await startProxy(["--allow-loopback", "--max-connections", "2"], {
    policy: ALLOW_ALL,
  });
  const held = [await RawClient.open(proxy.port), await RawClient.open(proxy.port)];
  let stopped: number | "hung" | undefined;
  try {
    const third = await RawClient.open(proxy.port);
    let refused;
    try {
      refused = await third.readToEnd(2000);
    } finally {
      third.close();
    }
    equal(statusOf(refused.text), 503, refused.text);
    equal(refused.end, "eof");
    for (const client of held) client.close();
    const request =
      `GET http://127.0.0.1:${upstream.port}/again HTTP/1.1\r\nConnection: close\r\n\r\n`;
    let status: number | undefined;
    const until = Date.now() + 2000;
    while (status !== 200 && Date.now() < until) {
      status = statusOf((await exchange(proxy.port, request)).text);
      if (status !== 200) await delay(50);
    }
    equal(status, 200);
  } finally {
    for (const client of held) client.close();
    stopped = await stopWithin(proxy);
    await upstream.close();
  }
  equal(stopped, 0, `graceful stop: ${proxy.stderr()}`);
});
