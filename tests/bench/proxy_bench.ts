/**
 * The egress proxy's own work per request, in process: parsing the request head and deciding it
 * under the default policy (URL forms, rules, risk), against the baseline of only parsing the URL
 * with `new URL()`. The end-to-end comparison with tinyproxy and a direct connection is
 * `deno task bench:proxy` (scripts/proxy_load.ts), which needs wrk and tinyproxy.
 *
 * `deno bench -A tests/bench/proxy_bench.ts`
 */
import { resolveEnvironment } from "../../core/config.ts";
import { Guard } from "../../core/guard.ts";
import { loadPolicyFromText } from "../../core/policy/mod.ts";
import { DEFAULT_POLICY_YAML } from "../../core/policy/default_policy.ts";
import { ProxyDecider } from "../../proxy/decide.ts";
import { parseRequestHead } from "../../proxy/http1.ts";
import { parseTarget } from "../../proxy/server.ts";

const env = resolveEnvironment((name) => ({ HOME: "/home/bench" })[name], "/home/bench/project");
const policy = await loadPolicyFromText(DEFAULT_POLICY_YAML, {
  vars: { home: "/home/bench", workspace: "/home/bench/project", stateDir: "/home/bench/.wt" },
});
const decider = new ProxyDecider({
  guard: new Guard(policy),
  env,
  egress: { allowLoopback: false, allowPrivate: false },
});
const head = new TextEncoder().encode(
  "GET http://docs.example.com/guide/intro?page=2&lang=en HTTP/1.1\r\n" +
    "Host: docs.example.com\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n" +
    "Proxy-Connection: Keep-Alive\r\n\r\n",
);
const post = new TextEncoder().encode(
  "POST http://api.unknown.example/v1/items HTTP/1.1\r\nHost: api.unknown.example\r\n" +
    "Content-Type: application/json\r\nContent-Length: 17\r\n\r\n",
);

Deno.bench(
  "baseline: new URL() of the request target",
  { group: "request", baseline: true },
  () => {
    new URL("http://docs.example.com/guide/intro?page=2&lang=en");
  },
);

Deno.bench("parse head + decide (GET, allowed)", { group: "request" }, async () => {
  await decider.decide(parseTarget(parseRequestHead(head)));
});

Deno.bench(
  "parse head + decide (POST to an unknown host, escalated)",
  { group: "request" },
  async () => {
    await decider.decide(parseTarget(parseRequestHead(post)));
  },
);
