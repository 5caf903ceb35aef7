/**
 * The egress proxy end to end, with real clients (curl -x, Deno fetch through a proxied client,
 * raw sockets for tunnels), a real upstream on 127.0.0.1 and the real `wt approve`.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { eventually, ledgerLines, type RunningProxy, startProxy, startUpstream } from "./_proxy.ts";
import { run, toolArgs, wt } from "./_wt.ts";

interface CurlResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** `curl -x PROXY ARGS URL`: status, headers (lower-case names) and body. */
async function curl(proxy: RunningProxy, url: string, args: string[] = []): Promise<CurlResult> {
  const out = await new Deno.Command("curl", {
    args: ["-s", "-i", "--max-time", "20", "-x", proxy.url, ...args, url],
    env: { NO_PROXY: "", no_proxy: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  // The last head: a CONNECT or 100-continue may come first.
  const parts = text.split("\r\n\r\n");
  let index = 0;
  while (
    index + 1 < parts.length && /^HTTP\/1\.1 (1\d\d|200 Connection Established)/.test(parts[index]!)
  ) index++;
  const head = parts[index] ?? "";
  const [statusLine, ...fields] = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const field of fields) {
    const colon = field.indexOf(":");
    headers[field.slice(0, colon).toLowerCase()] = field.slice(colon + 1).trim();
  }
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1] ?? 0),
    headers,
    body: parts.slice(index + 1).join("\r\n\r\n"),
  };
}

async function withProxy(
  args: string[],
  fn: (proxy: RunningProxy, upstream: ReturnType<typeof startUpstream>) => Promise<void>,
  policy?: string,
): Promise<void> {
  const upstream = startUpstream();
  const proxy = await startProxy(args, policy === undefined ? {} : { policy });
  try {
    await fn(proxy, upstream);
  } finally {
    const code = await proxy.stop();
    await upstream.close();
    equal(code, 0, `wt-proxy stopped with ${code}: ${proxy.stderr()}`);
  }
}

function decisions(stateDir: string) {
  return ledgerLines(stateDir).filter((entry) => entry.data.intent?.domain === "http");
}

Deno.test("wt-proxy: GET to a docs host passes, and its one ledger entry has the trace and no secrets", async () => {
  await withProxy(["--allow-loopback"], async (proxy, upstream) => {
    const url = `http://docs.localhost:${upstream.port}/guide/intro?token=s3cr3t-value&page=2`;
    const result = await curl(proxy, url, ["-H", "Authorization: Bearer top-secret-header"]);
    equal(result.status, 200, result.body);
    equal(result.body, "GET /guide/intro 0\n");
    // The upstream got the request in origin form, with the credentials the client sent it
    // (the proxy decides; it does not strip the client's own headers to the server).
    equal(upstream.seen.at(-1)!.path, "/guide/intro?token=s3cr3t-value&page=2");
    equal(upstream.seen.at(-1)!.headers.host, `docs.localhost:${upstream.port}`);
    await eventually(() => decisions(proxy.stateDir).length === 1);
    const [entry] = decisions(proxy.stateDir);
    const target = entry!.data.intent.target;
    equal(entry!.data.intent.operation, "get");
    equal(target.method, "GET");
    equal(target.host, "docs.localhost");
    equal(target.port, upstream.port);
    equal(target.path, "/guide/intro");
    deepEqual(target.query_keys, ["token", "page"]);
    equal(
      target.url,
      `http://docs.localhost:${upstream.port}/guide/intro?token=REDACTED&page=REDACTED`,
    );
    equal(entry!.data.decision.verdict, "allow");
    deepEqual(entry!.data.decision.matched_rules, ["allow-web-reads"]);
    const effect = entry!.data.effect;
    equal(effect.status, 200);
    equal(effect.bytes_out, "GET /guide/intro 0\n".length);
    equal(effect.bytes_in, 0);
    ok(typeof effect.duration_ms === "number");
    equal(effect.address_class, "loopback");
    const ledgerText = ledgerLines(proxy.stateDir).map((line) => JSON.stringify(line)).join("\n");
    ok(!ledgerText.includes("s3cr3t-value"), "a query value reached the ledger");
    ok(!ledgerText.includes("top-secret-header"), "a header reached the ledger");
  });
});

Deno.test("wt-proxy: payment URLs and credential endpoints are blocked with 403 and a JSON reason", async () => {
  await withProxy(["--allow-loopback", "--profile", "clawbot"], async (proxy, upstream) => {
    const before = upstream.seen.length;
    for (
      const url of [
        `http://shop.localhost:${upstream.port}/checkout/cart`,
        `http://shop.localhost:${upstream.port}/api/payment/submit`,
        `http://api.stripe.com/v1/charges`,
        `http://www.paypal.com/cgi-bin/webscr`,
        `http://shop.localhost:${upstream.port}/%63heckout`,
      ]
    ) {
      const result = await curl(proxy, url);
      equal(result.status, 403, url);
      const body = JSON.parse(result.body);
      equal(body.verdict, "deny", url);
      ok(typeof body.rule === "string" && body.rule.length > 0, url);
      ok(body.reason.length > 0);
      equal(result.headers["x-watchtower-verdict"], "deny");
    }
    const token = await curl(proxy, `http://auth.localhost:${upstream.port}/oauth/token`, [
      "-X",
      "POST",
      "-d",
      "grant_type=client_credentials",
    ]);
    equal(token.status, 403);
    equal(JSON.parse(token.body).verdict, "deny");
    equal(upstream.seen.length, before, "a blocked request reached the upstream");
    await eventually(() => decisions(proxy.stateDir).length === 6);
    ok(decisions(proxy.stateDir).every((entry) => entry.data.decision.verdict === "deny"));
  });
});

Deno.test("wt-proxy: POST to an unknown host escalates; after wt approve it passes once, --duration repeats", async () => {
  await withProxy(["--allow-loopback"], async (proxy, upstream) => {
    const url = `http://api.localhost:${upstream.port}/v1/items`;
    const post = () => curl(proxy, url, ["-X", "POST", "-d", "name=widget"]);
    const first = await post();
    equal(first.status, 403);
    const body = JSON.parse(first.body);
    equal(body.verdict, "escalate");
    match(body.approval_key, /^wt-[0-9a-f]{16}$/);
    equal(first.headers["x-watchtower-approval"], body.approval_key);
    equal(upstream.seen.length, 0);
    // The retry before approval gets the same key (the same request), and still 403.
    const again = await post();
    equal(again.status, 403);
    equal(again.headers["x-watchtower-approval"], body.approval_key);
    // A different request is a different key.
    const other = await curl(proxy, `http://api.localhost:${upstream.port}/v1/other`, [
      "-X",
      "POST",
      "-d",
      "x",
    ]);
    ok(other.headers["x-watchtower-approval"] !== body.approval_key);

    const pending = await wt(["pending", "--json"], { env: proxy.env });
    equal(pending.code, 0, pending.stderr);
    ok(pending.stdout.includes(body.approval_key));
    const approved = await wt(["approve", body.approval_key], { env: proxy.env });
    equal(approved.code, 0, approved.stderr);

    const passed = await post();
    equal(passed.status, 200, passed.body);
    equal(passed.body, "POST /v1/items 11\n");
    equal(upstream.seen.length, 1);
    equal(upstream.seen[0]!.bodyBytes, "name=widget".length);
    // Once: the next one escalates again.
    equal((await post()).status, 403);

    const timed = await wt(["approve", body.approval_key, "--duration", "5m"], { env: proxy.env });
    equal(timed.code, 0, timed.stderr);
    equal((await post()).status, 200);
    equal((await post()).status, 200);
    const items = () =>
      decisions(proxy.stateDir).filter((e) => e.data.intent.target.path === "/v1/items");
    await eventually(() => items().length === 6);
    const entries = items();
    deepEqual(
      entries.map((e) => e.data.decision.verdict),
      ["escalate", "escalate", "allow", "escalate", "allow", "allow"],
    );
    equal(entries[2]!.data.decision.reason, "approved");
  });
});

Deno.test("wt-proxy: Deno fetch through a proxied client; large bodies stream both ways; keep-alive", async () => {
  const policy = `policies:
  - {name: allow-uploads, priority: 100, match: {domain: http, host: upload.localhost}, action: allow}
  - {name: allow-reads, priority: 50, match: {domain: http, method: GET}, action: allow}
`;
  await withProxy(["--allow-loopback"], async (proxy, upstream) => {
    const client = Deno.createHttpClient({ proxy: { url: proxy.url } });
    try {
      const small = await fetch(`http://docs.localhost:${upstream.port}/a`, { client });
      equal(small.status, 200);
      equal(await small.text(), "GET /a 0\n");
      const big = await fetch(`http://docs.localhost:${upstream.port}/big/6000000`, { client });
      equal(big.status, 200);
      equal((await big.arrayBuffer()).byteLength, 6_000_000);
      const upload = new Uint8Array(5_000_000).fill(7);
      const sent = await fetch(`http://upload.localhost:${upstream.port}/files`, {
        client,
        method: "PUT",
        body: upload,
      });
      equal(sent.status, 200);
      equal(await sent.text(), "PUT /files 5000000\n");
      // A chunked upload (a stream body has no length).
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(100_000).fill(i));
          controller.close();
        },
      });
      const chunked = await fetch(`http://upload.localhost:${upstream.port}/stream`, {
        client,
        method: "POST",
        body: stream,
      });
      equal(chunked.status, 200);
      equal(await chunked.text(), "POST /stream 1000000\n");
    } finally {
      client.close();
    }
    // curl reuses one proxy connection for several URLs.
    const out = await new Deno.Command("curl", {
      args: [
        "-s",
        "-v",
        "-x",
        proxy.url,
        `http://docs.localhost:${upstream.port}/one`,
        `http://docs.localhost:${upstream.port}/two`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    equal(new TextDecoder().decode(out.stdout), "GET /one 0\nGET /two 0\n");
    match(stderr, /Re-using existing connection/);
    await eventually(() => decisions(proxy.stateDir).length === 6);
    const put = decisions(proxy.stateDir).find((e) => e.data.intent.target.path === "/files")!;
    equal(put.data.effect.bytes_in, 5_000_000);
    const bigEntry = decisions(proxy.stateDir).find((e) =>
      e.data.intent.target.path === "/big/6000000"
    )!;
    equal(bigEntry.data.effect.bytes_out, 6_000_000);
  }, policy);
});

/** An echo server on 127.0.0.1: what a tunnel carries comes back upper-cased. */
function startEcho(): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        const buffer = new Uint8Array(4096);
        try {
          while (true) {
            const n = await conn.read(buffer);
            if (n === null) break;
            await conn.write(
              new TextEncoder().encode(
                new TextDecoder().decode(buffer.subarray(0, n)).toUpperCase(),
              ),
            );
          }
        } catch {
          // client gone
        } finally {
          try {
            conn.close();
          } catch {
            // closed
          }
        }
      })();
    }
  })().catch(() => {});
  return { port: (listener.addr as Deno.NetAddr).port, close: () => listener.close() };
}

async function rawExchange(
  port: number,
  text: string,
  readUntil: RegExp,
): Promise<{ text: string; conn: Deno.Conn }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(text));
  let received = "";
  const buffer = new Uint8Array(4096);
  while (!readUntil.test(received)) {
    const n = await conn.read(buffer);
    if (n === null) break;
    received += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return { text: received, conn };
}

Deno.test("wt-proxy: CONNECT tunnels bytes both ways to an allowed host, and is refused for a blocked one", async () => {
  const echo = startEcho();
  const policy =
    "policies:\n  - {name: allow-echo-tunnel, priority: 100, match: {domain: http, method: CONNECT, host: echo.localhost}, action: allow}\n";
  try {
    await withProxy(["--allow-loopback", "--profile", "clawbot"], async (proxy) => {
      const { text, conn } = await rawExchange(
        proxy.port,
        `CONNECT echo.localhost:${echo.port} HTTP/1.1\r\nHost: echo.localhost:${echo.port}\r\n\r\nhello `,
        /HELLO $/,
      );
      match(text, /^HTTP\/1\.1 200 Connection Established\r\n\r\nHELLO $/);
      await conn.write(new TextEncoder().encode("tunnel"));
      const buffer = new Uint8Array(100);
      const n = await conn.read(buffer);
      equal(new TextDecoder().decode(buffer.subarray(0, n!)), "TUNNEL");
      conn.close();
      await eventually(() =>
        decisions(proxy.stateDir).some((e) => e.data.effect?.bytes_out === 12)
      );
      const entry = decisions(proxy.stateDir).find((e) => e.data.intent.operation === "connect")!;
      equal(entry.data.decision.verdict, "allow");
      equal(entry.data.effect.bytes_in, 12);
      equal(entry.data.intent.target.port, echo.port);

      // Blocked host: refused before any connection or DNS query.
      const blocked = await rawExchange(
        proxy.port,
        "CONNECT api.stripe.com:443 HTTP/1.1\r\nHost: api.stripe.com:443\r\n\r\n",
        /\r\n\r\n[\s\S]*\}\n$/,
      );
      match(blocked.text, /^HTTP\/1\.1 403 Forbidden/);
      equal(JSON.parse(blocked.text.split("\r\n\r\n")[1]!).verdict, "deny");
      blocked.conn.close();
      // An unknown port is escalated (only 443 tunnels are allowed by the default policy).
      const odd = await curl(proxy, `https://unknown.localhost:8443/`, ["-p"]);
      equal(odd.status, 403);
    }, policy);
  } finally {
    echo.close();
  }
});

Deno.test("wt-proxy: metadata, link-local and private addresses are refused; loopback only when allowed", async () => {
  const upstream = startUpstream();
  try {
    await withProxy([], async (proxy) => {
      const cases: Array<[string, string]> = [
        ["http://169.254.169.254/latest/meta-data/", "egress-metadata"],
        ["http://[fd00:ec2::254]/latest/meta-data/", "egress-metadata"],
        ["http://[::ffff:169.254.169.254]/", "egress-metadata"],
        ["http://2852039166/", "egress-metadata"],
        ["http://169.254.10.1/", "egress-link-local"],
        ["http://10.1.2.3/", "egress-private"],
        ["http://192.168.1.1/admin", "egress-private"],
        [`http://127.0.0.1:${upstream.port}/docs`, "egress-loopback"],
        // A name that resolves to loopback is checked on the address it resolves to.
        [`http://docs.localhost:${upstream.port}/docs`, "egress-loopback"],
      ];
      for (const [url, rule] of cases) {
        const result = await curl(proxy, url);
        equal(result.status, 403, url);
        const body = JSON.parse(result.body);
        equal(body.rule, rule, url);
        equal(body.verdict, "deny");
      }
      const tunnel = await curl(proxy, "https://169.254.169.254/", ["-p"]);
      equal(tunnel.status, 403);
      equal(upstream.seen.length, 0);
    });
    // Allowed by the policy's egress settings instead of a flag: loopback passes, metadata never.
    await withProxy(
      [],
      async (proxy) => {
        equal((await curl(proxy, `http://127.0.0.1:${upstream.port}/docs`)).status, 200);
        equal((await curl(proxy, "http://169.254.169.254/")).status, 403);
      },
      "egress:\n  allow_loopback: true\npolicies:\n  - {name: reads, match: {domain: http, method: GET}, action: allow}\n",
    );
  } finally {
    await upstream.close();
  }
});

Deno.test("wt-proxy: --denylist adds patterns; a bad denylist or policy stops it with exit 78", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-deny-" });
  Deno.writeTextFileSync(
    `${dir}/deny.yaml`,
    'urls:\n  - "*.pastebin.localhost*/raw/*"\n  - "*/upload*"\n',
  );
  await withProxy(
    ["--allow-loopback", "--denylist", `${dir}/deny.yaml`],
    async (proxy, upstream) => {
      const result = await curl(proxy, `http://x.pastebin.localhost:${upstream.port}/raw/1`);
      equal(result.status, 403);
      equal(JSON.parse(result.body).rule, "denylist:*.pastebin.localhost*/raw/*");
      equal((await curl(proxy, `http://docs.localhost:${upstream.port}/UPLOAD/x`)).status, 403);
      equal((await curl(proxy, `http://docs.localhost:${upstream.port}/fine`)).status, 200);
    },
  );
  Deno.writeTextFileSync(`${dir}/bad.yaml`, "urls: {not: a list}\n");
  const bad = await run(
    toolArgs("wt-proxy", "proxy/main.ts", [`--allow-read=${dir}`], [
      "--denylist",
      `${dir}/bad.yaml`,
    ]),
    { env: { WATCHTOWER_DIR: `${dir}/state`, HOME: dir } },
  );
  equal(bad.code, 78, bad.stderr);
  match(bad.stderr, /denylist .*bad\.yaml/);
  Deno.writeTextFileSync(`${dir}/policy.yaml`, "default: perhaps\n");
  const policy = await run(
    toolArgs("wt-proxy", "proxy/main.ts", [`--allow-read=${dir}`], [
      "--policy",
      `${dir}/policy.yaml`,
    ]),
    { env: { WATCHTOWER_DIR: `${dir}/state`, HOME: dir } },
  );
  equal(policy.code, 78, policy.stderr);
  match(policy.stderr, /policy\.yaml:1/);
  const usage = await run(toolArgs("wt-proxy", "proxy/main.ts", [], ["--port", "http"]), {
    env: { HOME: dir },
  });
  equal(usage.code, 64);
});

Deno.test("wt-proxy: stops cleanly on SIGINT with the ledger verifying; wt proxy --help", async () => {
  const upstream = startUpstream();
  const proxy = await startProxy(["--allow-loopback"]);
  try {
    equal((await curl(proxy, `http://docs.localhost:${upstream.port}/x`)).status, 200);
  } finally {
    equal(await proxy.stop("SIGINT"), 0, proxy.stderr());
    await upstream.close();
  }
  const types = ledgerLines(proxy.stateDir).map((e) => e.data.event?.type ?? e.data.intent.domain);
  deepEqual(types, ["proxy.start", "http", "proxy.stop"]);
  const verified = await wt(["verify"], { env: proxy.env });
  equal(verified.code, 0, verified.stderr);
  const help = await wt(["proxy", "--help"]);
  equal(help.code, 0);
  match(help.stdout, /--allow-loopback/);
});

Deno.test("wt-proxy refuses to run when its ledger cannot be written (exit 78)", async () => {
  // The launcher grants writing the state directory; without it nothing can be recorded.
  const dir = Deno.makeTempDirSync({ prefix: "wt-noledger-" });
  Deno.mkdirSync(`${dir}/state`);
  const result = await run(toolArgs("wt-proxy", "proxy/main.ts", [], ["--port", "0"]), {
    env: { WATCHTOWER_DIR: `${dir}/state`, HOME: dir },
  });
  equal(result.code, 78, result.stderr);
  match(result.stderr, /cannot write the ledger in .*state/);
  equal(result.stdout, "", "it must not say it is listening");
});
