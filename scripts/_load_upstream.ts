/**
 * The origin server for `scripts/proxy_load.ts`: answers `GET /docs/page` on 127.0.0.1 with a fixed
 * 1 KiB body (keep-alive), prints `upstream: listening on 127.0.0.1:PORT` once ready, and exits when
 * its stdin closes, so it never outlives the load test that started it.
 *
 * Run: `deno run -q --allow-net=127.0.0.1 scripts/_load_upstream.ts`
 */

const PAGE = new TextEncoder().encode(
  "watchtower load-test page\n".padEnd(1023, ".") + "\n",
);
const HEADERS = { "content-type": "text/plain; charset=utf-8" };

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(`upstream: listening on 127.0.0.1:${port}`),
}, (request) => {
  // The path starts after "http://host:port"; no URL parse on the hot path.
  const path = request.url.slice(request.url.indexOf("/", 8));
  if (request.method === "GET" && path === "/docs/page") {
    return new Response(PAGE, { headers: HEADERS });
  }
  return new Response("not found\n", { status: 404, headers: HEADERS });
});

for await (const _ of Deno.stdin.readable) {
  // Nothing is expected on stdin; end of file means the parent is gone.
}
await server.shutdown();
