/**
 * How a profile merges with the user's policy (docs/policy.md, "How profiles merge"): the
 * profile is the base and the user's file the override; scalars replace, maps merge key by key,
 * classification entries and boundaries add up, rules merge by name, and `enabled: false`
 * removes a rule of its name.
 */
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { Guard } from "../../../core/guard.ts";
import type { Intent } from "../../../core/intent.ts";
import { builtinLayer, compileMerged, loadPolicy } from "../../../core/policy/loader.ts";
import { layerFromDocument, mergeLayers, type PolicyLayer } from "../../../core/policy/layer.ts";
import { PreparedIntent } from "../../../core/policy/prepare.ts";
import { classify } from "../../../core/policy/risk.ts";
import { parseDocument } from "../../../core/policy/source.ts";

const vars = { home: "/home/tester", workspace: "/w" };
const layer = (text: string, file: string): PolicyLayer =>
  layerFromDocument(parseDocument(text, file));
/** Built-ins, then a profile, then the user's file: the order the loader uses. */
const merge = (profile: string, user: string) =>
  mergeLayers([builtinLayer(), layer(profile, "profile.yaml"), layer(user, "policy.yaml")]);
const compile = async (profile: string, user: string) =>
  await compileMerged(merge(profile, user), vars, { checkExamples: false });

function intent(domain: Intent["domain"], operation: string, target: Intent["target"]): Intent {
  return {
    identity: { principal: "agent:test", capabilities: [] },
    domain,
    operation,
    target,
    context: {},
  };
}

function tempState(files: Record<string, string>): string {
  const dir = Deno.makeTempDirSync({ prefix: "wt-profile-merge-" });
  for (const [name, text] of Object.entries(files)) {
    Deno.mkdirSync(`${dir}/${name}`.replace(/\/[^/]+$/, ""), { recursive: true });
    Deno.writeTextFileSync(`${dir}/${name}`, text);
  }
  return dir;
}

Deno.test("scalars: the user's mode and default replace the profile's; unset ones fall through", () => {
  const merged = merge("name: p\nmode: observe\ndefault: deny\n", "default: allow\n");
  equal(merged.settings.defaultVerdict, "allow");
  equal(merged.settings.mode, "observe");
});

Deno.test("maps merge key by key: the user's entry replaces the profile's, the rest stay", () => {
  const merged = merge(
    `name: p
operation_weights: { delete: 9, post: 7 }
sensitivity_weights: { secret: 8 }
egress: { allow_private: true }
ledger: { sync: batch }
`,
    `operation_weights: { post: 1 }
egress: { allow_loopback: true }
`,
  );
  equal(merged.settings.operationWeights.delete, 9);
  equal(merged.settings.operationWeights.post, 1);
  equal(merged.settings.operationWeights.read, 0, "built-in entries stay too");
  equal(merged.settings.sensitivityWeights.secret, 8);
  deepEqual(merged.settings.egress, { allowLoopback: true, allowPrivate: true });
  equal(merged.settings.ledger.sync, "batch");
});

Deno.test("thresholds merge key by key, but each layer is checked against the built-in values", async () => {
  const profile = "name: p\nthresholds: { allow_max: 2, redact_max: 4, approval_min: 6 }\n";
  deepEqual(merge(profile, "thresholds: { approval_min: 11 }\n").settings.thresholds, {
    allow_max: 2,
    redact_max: 4,
    approval_min: 11,
  });
  // {approval_min: 5} alone sits under the built-in redact_max 10, so the file is refused even
  // though the merged {2, 4, 5} would be consistent: restate the other thresholds with it.
  throws(
    () => layer("thresholds: { approval_min: 5 }\n", "policy.yaml"),
    /policy\.yaml:1:\d+: thresholds: expected allow_max <= redact_max < approval_min, got 5, 10, 5/,
  );
  // Each layer consistent on its own, the merged {2, 9, 6} is not: refused when compiled.
  await rejects(
    compile(profile, "thresholds: { redact_max: 9 }\n"),
    /merged thresholds must satisfy allow_max <= redact_max < approval_min, got 2, 9, 6/,
  );
});

Deno.test("classification lists add up, and the heaviest match wins: a user entry cannot lower a profile's", async () => {
  const policy = await compile(
    'name: p\nsensitivity: [{ pattern: "*report*", level: restricted }]\n',
    `sensitivity:
  - { pattern: "*report*", level: confidential }
  - { pattern: "*notes*", level: confidential }
`,
  );
  deepEqual(policy.merged.sensitivity.map((entry) => [entry.pattern, entry.level]), [
    ["*report*", "restricted"],
    ["*report*", "confidential"],
    ["*notes*", "confidential"],
  ]);
  const level = (path: string) =>
    classify(policy, new PreparedIntent(intent("filesystem", "read", { path }), vars)).level;
  equal(level("/w/report.md"), "restricted");
  equal(level("/w/notes.md"), "confidential");
});

Deno.test("boundaries add up, each named after its document's name", () => {
  const merged = merge(
    'name: shop\nexecution_boundaries: { urls: ["*/checkout*"] }\n',
    'execution_boundaries: { urls: ["*/payment*"], commands: ["sudo*"] }\n',
  );
  deepEqual(
    merged.rules.filter((rule) => rule.kind === "boundary").map((rule) => rule.name),
    ["shop/url:*/checkout*", "policy/url:*/payment*", "policy/command:sudo*"],
  );
  deepEqual(merged.profiles, ["shop"]);
});

Deno.test("rules merge by name: the user's rule replaces the profile's whole, in its place", () => {
  const merged = merge(
    `name: p
policies:
  - name: a
    priority: 500
    match: { domain: http }
    action: deny
    reason: From the profile
    examples: { match: ["https://x.example/"] }
  - { name: b, match: { domain: http }, action: deny }
`,
    `policies:
  - { name: c, match: { domain: http }, action: allow }
  - { name: a, match: { domain: http, method: POST }, action: escalate }
`,
  );
  const rules = merged.rules.filter((rule) => ["a", "b", "c"].includes(rule.name));
  deepEqual(rules.map((rule) => [rule.name, rule.action, rule.origin.file]), [
    ["a", "escalate", "policy.yaml"],
    ["b", "deny", "profile.yaml"],
    ["c", "allow", "policy.yaml"],
  ]);
  const a = rules[0]!;
  // Nothing of the profile's rule is kept: not its priority, reason or examples.
  equal(a.priority, 0);
  equal(a.reason, undefined);
  equal(a.examples, undefined);
  deepEqual(a.match, { domain: "http", method: "POST" });
});

Deno.test("enabled: false removes the profile's rule of that name, and a boundary too", async () => {
  const profile = `name: shop
execution_boundaries: { urls: ["stripe.com/*"] }
policies:
  - { name: deny-posts, priority: 500, match: { domain: http, method: POST }, action: deny }
`;
  const user = `default: allow
policies:
  - { name: deny-posts, action: deny, enabled: false }
  - { name: "shop/url:stripe.com/*", action: deny, enabled: false }
  - { name: never-existed, action: deny, enabled: false }
`;
  const policy = await compile(profile, user);
  const names = policy.rules.map((rule) => rule.name);
  ok(!names.includes("deny-posts"));
  ok(!names.includes("shop/url:stripe.com/*"));
  ok(!names.includes("never-existed"), "a disabled rule never enters the policy");
  const guard = new Guard(policy);
  const post = guard.decide(intent("http", "post", { url: "https://stripe.com/v1/charges" }));
  equal(post.verdict, "allow");
  equal(post.reason, "default");
});

Deno.test("a profile can remove a built-in rule by name, and a later layer can bring it back", () => {
  const gone = merge(
    "name: p\npolicies: [{ name: gtfobins-high, action: shadow, enabled: false }]\n",
    "{}\n",
  );
  ok(!gone.rules.some((rule) => rule.name === "gtfobins-high"));
  const back = merge(
    "name: p\npolicies: [{ name: gtfobins-high, action: shadow, enabled: false }]\n",
    "policies: [{ name: gtfobins-high, priority: 640, action: escalate }]\n",
  );
  const rule = back.rules.find((rule) => rule.name === "gtfobins-high")!;
  equal(rule.action, "escalate");
  equal(back.rules.at(-1)!.name, "gtfobins-high", "a rule brought back comes last");
});

Deno.test("a boundary is lifted only by a rule of its own name, which then decides as a rule", async () => {
  const profile = 'name: shop\nexecution_boundaries: { urls: ["*/checkout*"] }\n';
  const url = "https://shop.example/checkout";
  const outranked = await compile(
    profile,
    "policies: [{ name: allow-shop, priority: 999999, match: { domain: http }, action: allow }]\n",
  );
  const denied = new Guard(outranked).decide(intent("http", "get", { url }));
  equal(denied.verdict, "deny");
  equal(denied.reason, "boundary");
  const replaced = await compile(
    profile,
    `policies:
  - name: "shop/url:*/checkout*"
    priority: 900
    match: { domain: http, url: "*/checkout*" }
    action: escalate
`,
  );
  const rule = replaced.rules.find((rule) => rule.name === "shop/url:*/checkout*")!;
  equal(rule.kind, "policy");
  const escalated = new Guard(replaced).decide(intent("http", "get", { url }));
  equal(escalated.verdict, "escalate");
  equal(escalated.reason, "rule");
});

Deno.test("profiles apply in order (the file's, then --profile's, each once); a later one overrides", async () => {
  const state = tempState({
    "profiles/one.yaml": `name: one
default: deny
policies: [{ name: shared, match: { domain: http }, action: deny }]
`,
    "profiles/two.yaml": `name: two
default: shadow
policies: [{ name: shared, match: { domain: http }, action: escalate }]
`,
    "policy.yaml": "profiles: [one, two, one]\n",
  });
  const options = { stateDir: state, profileDirs: [`${state}/profiles`], vars };
  const policy = await loadPolicy(options);
  deepEqual(policy.merged.profiles, ["one", "two"]);
  equal(policy.settings.defaultVerdict, "shadow");
  const shared = policy.rules.find((rule) => rule.name === "shared")!;
  equal(shared.action, "escalate");
  equal(shared.origin.file, `${state}/profiles/two.yaml`);
  const again = await loadPolicy({ ...options, profiles: ["two", "one"] });
  deepEqual(again.merged.profiles, ["one", "two"], "a name already applied is not applied twice");
});

Deno.test("the profile list names profiles by their name: key; a profile without one is not listed", () => {
  const merged = mergeLayers([
    builtinLayer(),
    layer("description: anonymous\n", "anon.yaml"),
    layer("name: clawbot-safety\n", "clawbot.yaml"),
  ]);
  deepEqual(merged.profiles, ["clawbot-safety"]);
});

Deno.test("a profile cannot include profiles, and a user file with a name: counts as one", async () => {
  const nested = tempState({
    "profiles/x.yaml": "name: x\nprofiles: [y]\n",
    "policy.yaml": "profiles: [x]\n",
  });
  await rejects(
    loadPolicy({ stateDir: nested, profileDirs: [`${nested}/profiles`], vars }),
    /x\.yaml: a profile cannot include other profiles/,
  );
  const named = tempState({
    "profiles/x.yaml": "name: x\n",
    "policy.yaml": "name: me\nprofiles: [x]\n",
  });
  await rejects(
    loadPolicy({ stateDir: named, profileDirs: [`${named}/profiles`], vars }),
    /policy\.yaml: a profile cannot include other profiles/,
  );
});
