import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { compilePolicy, needsRegex } from "../../../core/policy/compile.ts";
import { layerFromDocument, mergeLayers } from "../../../core/policy/layer.ts";
import { PreparedIntent } from "../../../core/policy/prepare.ts";
import { parseDocument } from "../../../core/policy/source.ts";
import type { Intent } from "../../../core/intent.ts";

const merged = (text: string) => mergeLayers([layerFromDocument(parseDocument(text, "p.yaml"))]);
const intent = (
  domain: Intent["domain"],
  target: Intent["target"],
  operation = "read",
): Intent => ({
  identity: { principal: "agent:t", capabilities: [] },
  domain,
  operation,
  target,
  context: {},
});

Deno.test("rules are indexed by domain and sorted by descending priority", () => {
  const policy = compilePolicy(
    merged(`policies:
  - { name: low, priority: 1, match: { domain: filesystem }, action: allow }
  - { name: any-domain, priority: 5, action: deny }
  - { name: high, priority: 9, match: { domain: [filesystem, http] }, action: allow }
`),
    { vars: {} },
  );
  deepEqual(policy.rulesByDomain.get("filesystem")!.map((r) => r.name), [
    "high",
    "any-domain",
    "low",
  ]);
  deepEqual(policy.rulesByDomain.get("http")!.map((r) => r.name), ["high", "any-domain"]);
  deepEqual(policy.rulesByDomain.get("command")!.map((r) => r.name), ["any-domain"]);
});

Deno.test("a path pattern naming an unknown variable never matches", () => {
  const policy = compilePolicy(
    merged("policies:\n  - { name: ws, match: { path: '${workspace}/**' }, action: allow }\n"),
    { vars: {} },
  );
  const rule = policy.rules[0]!;
  equal(rule.test(new PreparedIntent(intent("filesystem", { path: "/anything" }), {})), false);
});

Deno.test("variables are filled in and their values escaped for globs", () => {
  const policy = compilePolicy(
    merged("policies:\n  - { name: ws, match: { path: '${workspace}/**' }, action: allow }\n"),
    { vars: { workspace: "/w/[x]*" } },
  );
  const vars = { workspace: "/w/[x]*" };
  const rule = policy.rules[0]!;
  equal(rule.test(new PreparedIntent(intent("filesystem", { path: "/w/[x]*/a" }), vars)), true);
  equal(rule.test(new PreparedIntent(intent("filesystem", { path: "/w/xyz/a" }), vars)), false);
});

Deno.test("match keys each narrow the rule", () => {
  const policy = compilePolicy(
    merged(`policies:
  - name: r
    match: { domain: http, method: post, host: "*.example", principal: "agent:*", url: "*/v1/*" }
    action: deny
`),
    { vars: {} },
  );
  const rule = policy.rules[0]!;
  const test = (target: Intent["target"], principal = "agent:x") =>
    rule.test(
      new PreparedIntent({
        ...intent("http", target, "post"),
        identity: { principal, capabilities: [] },
      }, {}),
    );
  equal(test({ url: "https://api.example/v1/x", method: "POST" }), true);
  equal(test({ url: "https://api.example/v2/x", method: "POST" }), false);
  equal(test({ url: "https://api.example/v1/x", method: "GET" }), false);
  equal(test({ url: "https://api.other/v1/x", method: "POST" }), false);
  equal(test({ url: "https://api.example/v1/x", method: "POST" }, "user:me"), false);
});

Deno.test("needsRegex is true only for regex() conditions and authority boundaries", () => {
  equal(
    needsRegex(
      merged("policies:\n  - {name: a, condition: \"target.path == 'x'\", action: deny}\n"),
    ),
    false,
  );
  equal(
    needsRegex(
      merged("policies:\n  - {name: a, condition: \"regex(target.path, 'x+')\", action: deny}\n"),
    ),
    true,
  );
  equal(needsRegex(merged("name: p\nauthority_boundaries: [{pattern: 'x'}]\n")), true);
});

Deno.test("compiling without the regex engine when it is needed is a clear error", () => {
  throws(
    () => compilePolicy(merged("name: p\nauthority_boundaries: [{pattern: 'x'}]\n"), { vars: {} }),
    /need the regex engine/,
  );
});

Deno.test("a bad glob in a rule is reported at the rule", () => {
  throws(
    () =>
      compilePolicy(merged("policies:\n  - {name: a, match: {path: '/x/[z-a]'}, action: deny}\n"), {
        vars: {},
      }),
    (error: Error) =>
      /p\.yaml:2:5: policies\[0\]: match\.path '\/x\/\[z-a\]': range z-a is backwards/.test(
        error.message,
      ),
  );
  ok(true);
});

Deno.test("lazy conditions compile on first use, and a broken one keeps failing closed", () => {
  const lazy = compilePolicy(
    merged(`policies:
  - { name: d, match: { domain: filesystem }, condition: "target.path.startswith('/x')", action: deny }
`),
    { vars: {}, lazyConditions: true },
  );
  const rule = lazy.rules[0]!;
  equal(rule.test(new PreparedIntent(intent("filesystem", { path: "/x/y" }), {})), true);
  equal(rule.test(new PreparedIntent(intent("filesystem", { path: "/z" }), {})), false);
  // A cached policy is validated; were a condition broken, the rule fails (restrictive: applies).
  const broken = compilePolicy(
    {
      ...merged("policies:\n  - { name: d, match: { domain: filesystem }, action: deny }\n"),
    },
    { vars: {}, lazyConditions: true },
  );
  const definition = { ...broken.rules[0]!.definition, condition: "target.path.startswith(" };
  const recompiled = compilePolicy({ ...broken.merged, rules: [definition] }, {
    vars: {},
    lazyConditions: true,
  });
  for (let i = 0; i < 2; i++) {
    const outcome = recompiled.rules[0]!.test(
      new PreparedIntent(intent("filesystem", { path: "/a" }), {}),
    );
    ok(typeof outcome === "object" && outcome.error.startsWith("applied: "));
  }
});

Deno.test("lazy globs compile on first use; a broken one never widens access", () => {
  const text = `policies:
  - { name: d, match: { path: '/x/**' }, action: deny }
  - { name: a, match: { path: '/y/*' }, action: allow }
`;
  const lazy = compilePolicy(merged(text), { vars: {}, lazyConditions: true });
  const [deny, allow] = lazy.rules;
  const at = (path: string) => new PreparedIntent(intent("filesystem", { path }), {});
  equal(deny!.test(at("/x/a/b")), true);
  equal(deny!.test(at("/z")), false);
  equal(allow!.test(at("/y/a")), true);
  // Were a cached pattern broken, the deny rule applies and the allow rule is skipped.
  const broken = compilePolicy(
    {
      ...lazy.merged,
      rules: lazy.merged.rules.map((rule) => ({ ...rule, match: { path: "/x/[z-a]" } })),
    },
    { vars: {}, lazyConditions: true },
  );
  for (const rule of broken.rules) {
    const outcome = rule.test(at("/x/a"));
    ok(typeof outcome === "object", `${rule.name} reports the broken glob`);
    ok(outcome.error.startsWith(rule.action === "deny" ? "applied: " : "skipped: "));
    ok(outcome.error.includes("range z-a is backwards"));
  }
  // Compiled eagerly, the same pattern is refused at load.
  throws(() => compilePolicy(broken.merged, { vars: {} }), /range z-a is backwards/);
});
