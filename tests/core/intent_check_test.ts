import { equal } from "node:assert/strict";
import fc from "fast-check";
import { checkIntent } from "../../core/intent_check.ts";
import { DOMAINS, RESOURCE_FIELD } from "../../core/intent.ts";
import { IntentSchema } from "../../core/intent_schema.ts";

const RESOURCE: Record<string, string> = RESOURCE_FIELD;

/** Valid intents... */
const validIntent = fc.constantFrom(...DOMAINS).chain((domain) =>
  fc.record({
    identity: fc.record({
      principal: fc.string({ minLength: 1, maxLength: 20 }),
      capabilities: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
      purpose: fc.string({ maxLength: 10 }),
    }, { requiredKeys: ["principal"] }),
    domain: fc.constant(domain),
    operation: fc.constantFrom("read", "write", "exec", "get", "x.y:z-1"),
    target: fc.record({
      [RESOURCE[domain]!]: fc.string({ maxLength: 20 }),
      extra: fc.oneof(
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }),
      ),
    }, { requiredKeys: [RESOURCE[domain]!] }),
    context: fc.record({
      session: fc.string({ maxLength: 10 }),
      tool: fc.string({ maxLength: 10 }),
      cwd: fc.string({ maxLength: 10 }),
      pid: fc.nat(),
      workspace: fc.string({ maxLength: 10 }),
    }, { requiredKeys: [] }),
  }, { requiredKeys: ["identity", "domain", "operation", "target"] })
);

/** ...and the same with one part replaced by something subtly or grossly wrong. */
const junk = fc.oneof(
  fc.jsonValue(),
  fc.constant(""),
  fc.constant("READ"),
  fc.constant("x".repeat(300)),
  fc.constant({ principal: "" }),
  fc.constant({ principal: "a", extra: 1 }),
  fc.constant({ pid: -1 }),
  fc.constant({ pid: 1.5 }),
  fc.constant({ path: { nested: 1 } }),
  fc.constant({ path: [true] }),
  fc.constant({ ["k".repeat(65)]: "v", path: "/x" }),
);
const arbitraryIntent = fc.tuple(validIntent, fc.integer({ min: 0, max: 9 }), junk).map(
  ([intent, which, bad]) => {
    const copy: Record<string, unknown> = { ...intent };
    const keys = ["identity", "domain", "operation", "target", "context", "surprise"];
    if (which < keys.length) copy[keys[which]!] = bad;
    return copy;
  },
);

Deno.test("checkIntent accepts and rejects exactly what the zod schema does (property)", () => {
  let accepted = 0;
  fc.assert(
    fc.property(arbitraryIntent, (value) => {
      const ours = checkIntent(value);
      const theirs = IntentSchema.safeParse(value);
      if (theirs.success) accepted++;
      equal(ours.ok, theirs.success, JSON.stringify(value).slice(0, 300));
      if (ours.ok && theirs.success) {
        equal(JSON.stringify(ours.intent), JSON.stringify(theirs.data));
      }
    }),
    { numRuns: 5000 },
  );
  // The generator must reach both sides of the line, or the comparison proves little.
  equal(accepted > 50, true, `only ${accepted} valid intents generated`);
});

Deno.test("checkIntent names the field at fault", () => {
  const result = checkIntent({
    identity: { principal: "a" },
    domain: "http",
    operation: "get",
    target: {},
  });
  equal(result.ok, false);
  if (!result.ok) equal(result.path, "target.url");
});
