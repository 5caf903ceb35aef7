/**
 * decide() on a 200-rule policy, in process (target: p50 ≤ 20 µs), against the raw cost of
 * parsing the same intent from JSON as a baseline.
 */
import { Guard } from "../../core/guard.ts";
import type { Intent } from "../../core/intent.ts";
import { loadPolicyFromText } from "../../core/policy/mod.ts";
import { BENCH_INTENTS, policy200 } from "./_policy200.ts";

const policy = await loadPolicyFromText(policy200(), {
  vars: { home: "/home/u", workspace: "/home/u/p" },
});
const own = policy.rules.filter((rule) => rule.origin.file !== "<built-in rules>").length;
if (own !== 200) throw new Error(`expected 200 rules, got ${own}`);
const guard = new Guard(policy);
const intents: Intent[] = BENCH_INTENTS.map((i) => ({
  identity: { principal: "agent:bench", capabilities: ["fs:read"] },
  ...i,
  target: { ...i.target },
  context: {},
}));
const texts = intents.map((i) => JSON.stringify(i));
let n = 0;

Deno.bench({ name: "baseline: JSON.parse of one intent", group: "decide", baseline: true }, () => {
  JSON.parse(texts[n++ % texts.length]!);
});

Deno.bench({ name: "decide() on a 200-rule policy", group: "decide" }, () => {
  guard.decide(intents[n++ % intents.length]!);
});
