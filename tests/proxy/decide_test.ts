/**
 * The proxy's decisions in process: the intent a request becomes (nothing secret in it), the
 * denylist, the egress guard on literal addresses, the policy and the pending approvals.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { resolveEnvironment } from "../../core/config.ts";
import { Guard, type GuardDecision } from "../../core/guard.ts";
import type { Intent } from "../../core/intent.ts";
import { DEFAULT_POLICY_YAML } from "../../core/policy/default_policy.ts";
import { loadPolicyFromText } from "../../core/policy/mod.ts";
import {
  compileDenylist,
  ProxyDecider,
  type ProxyTarget,
  recordedUrl,
  targetFor,
} from "../../proxy/decide.ts";
import { parseDenylist } from "../../proxy/denylist.ts";
import { parseHosts } from "../../proxy/resolve.ts";

const env = resolveEnvironment(
  (name) => ({ HOME: "/home/t", WATCHTOWER_PRINCIPAL: "agent:test" })[name],
  "/home/t/project",
);
const policy = await loadPolicyFromText(DEFAULT_POLICY_YAML, {
  vars: { home: "/home/t", workspace: "/home/t/project", stateDir: "/home/t/.watchtower" },
});

function decider(options: { denylist?: string[]; allowLoopback?: boolean } = {}) {
  const pending: Array<[Intent, GuardDecision]> = [];
  const made = new ProxyDecider({
    guard: new Guard(policy),
    env,
    egress: { allowLoopback: options.allowLoopback ?? false, allowPrivate: false },
    denylist: options.denylist ? compileDenylist("deny.yaml", options.denylist) : undefined,
    approvals: {
      review: (intent: Intent, decision: GuardDecision) => {
        if (decision.verdict === "escalate") pending.push([intent, decision]);
        return Promise.resolve(decision);
      },
    },
  });
  return { decider: made, pending };
}

const get = (url: string): ProxyTarget => ({ kind: "forward", method: "GET", url: new URL(url) });
const post = (url: string): ProxyTarget => ({ kind: "forward", method: "POST", url: new URL(url) });

Deno.test("the recorded URL drops credentials and the fragment and redacts every query value", () => {
  equal(
    recordedUrl(new URL("http://user:pw@Docs.Example.com:8080/a/b?key=abc&empty=&flag#frag")),
    "http://docs.example.com:8080/a/b?key=REDACTED&empty=REDACTED&flag",
  );
  equal(recordedUrl(new URL("http://x.example/")), "http://x.example/");
  deepEqual(targetFor(get("http://x.example/p?a=1&b=2")), {
    url: "http://x.example/p?a=REDACTED&b=REDACTED",
    method: "GET",
    host: "x.example",
    port: 80,
    path: "/p",
    query_keys: ["a", "b"],
  });
  deepEqual(targetFor({ kind: "tunnel", host: "API.Stripe.com", port: 443 }), {
    url: "https://api.stripe.com/",
    method: "CONNECT",
    host: "api.stripe.com",
    port: 443,
  });
  equal(targetFor({ kind: "tunnel", host: "::1", port: 8443 }).url, "https://[::1]:8443/");
});

Deno.test("default policy: reads pass, credential endpoints are denied, unknown writes escalate", async () => {
  const { decider: d, pending } = decider();
  const read = await d.decide(get("http://docs.example.com/guide"));
  equal(read.decision.verdict, "allow");
  equal(read.intent.operation, "get");
  equal(read.intent.context.tool, "wt-proxy");
  equal(read.intent.identity.principal, "agent:test");
  equal((await d.decide(post("http://auth.example.com/oauth/token"))).decision.verdict, "deny");
  const write = await d.decide(post("http://api.unknown.example/v1/items?secret=xyz"));
  equal(write.decision.verdict, "escalate");
  match(write.decision.approval_key!, /^wt-[0-9a-f]{16}$/);
  equal(pending.length, 1);
  ok(!JSON.stringify(pending[0]).includes("xyz"), "a query value reached the pending request");
  // Same request, same key; another query value, same key (values are not part of it).
  equal(
    (await d.decide(post("http://api.unknown.example/v1/items?secret=other"))).decision
      .approval_key,
    write.decision.approval_key,
  );
  ok(
    (await d.decide(post("http://api.unknown.example/v1/other"))).decision.approval_key !==
      write.decision.approval_key,
  );
  equal(
    (await d.decide({ kind: "tunnel", host: "github.com", port: 443 })).decision.verdict,
    "allow",
  );
  equal(
    (await d.decide({ kind: "tunnel", host: "github.com", port: 22 })).decision.verdict,
    "escalate",
  );
});

Deno.test("literal addresses meet the egress guard before the policy; names wait for resolution", async () => {
  const { decider: d, pending } = decider();
  const metadata = await d.decide(post("http://169.254.169.254/latest/api/token"));
  equal(metadata.decision.verdict, "deny");
  deepEqual(metadata.decision.matched_rules, ["egress-metadata"]);
  equal(metadata.decision.reason, "boundary");
  equal(pending.length, 0, "a refused address must not become a pending approval");
  deepEqual((await d.decide(get("http://[::ffff:a9fe:a9fe]/"))).decision.matched_rules, [
    "egress-metadata",
  ]);
  deepEqual((await d.decide(get("http://10.0.0.8/"))).decision.matched_rules, ["egress-private"]);
  deepEqual((await d.decide(get("http://127.0.0.1:9/"))).decision.matched_rules, [
    "egress-loopback",
  ]);
  equal(
    (await decider({ allowLoopback: true }).decider.decide(get("http://127.0.0.1:9/"))).decision
      .verdict,
    "allow",
  );
  // A name is decided by policy here; its addresses are checked when it is resolved.
  equal((await d.decide(get("http://internal.example/"))).decision.verdict, "allow");
});

Deno.test("the denylist refuses first, with the pattern as the rule", async () => {
  const { decider: d } = decider({
    denylist: parseDenylist('urls: ["*.pastebin.com/*", "*/upload*"]', "deny.yaml"),
  });
  const hit = await d.decide(get("http://x.PASTEBIN.com/raw/1"));
  equal(hit.decision.verdict, "deny");
  deepEqual(hit.decision.matched_rules, ["denylist:*.pastebin.com/*"]);
  match(hit.decision.detail, /deny\.yaml/);
  equal((await d.decide(get("http://docs.example.com/%75pload/x"))).decision.verdict, "deny");
  equal((await d.decide(get("http://docs.example.com/guide"))).decision.verdict, "allow");
});

Deno.test("denylist files: a list or urls:, anything else is a located error", () => {
  deepEqual(parseDenylist("- a.example/*\n- '*/x'\n", "f"), ["a.example/*", "*/x"]);
  deepEqual(parseDenylist("urls: [a.example/*]\n", "f"), ["a.example/*"]);
  for (
    const bad of ["urls: {a: 1}\n", "hosts: [a]\n", "- 1\n", "- ''\n", "[unclosed\n", "- '[z-a]'\n"]
  ) {
    let message = "";
    try {
      parseDenylist(bad, "deny.yaml");
    } catch (error) {
      message = (error as Error).message;
    }
    match(message, /^Cannot load the denylist deny\.yaml: /, bad);
  }
});

Deno.test("the hosts file: names to addresses, comments and case ignored", () => {
  const table = parseHosts(
    "127.0.0.1 localhost\n# x\n10.0.0.5  DB.internal db # primary\n::1 localhost\n",
  );
  deepEqual(table.get("localhost"), ["127.0.0.1", "::1"]);
  deepEqual(table.get("db.internal"), ["10.0.0.5"]);
  deepEqual(table.get("db"), ["10.0.0.5"]);
  equal(table.get("primary"), undefined);
});
