import { equal, throws } from "node:assert/strict";
import fc from "fast-check";
import { WatchtowerError } from "../../core/errors.ts";
import { parseIntent } from "../../core/intent_parse.ts";

const DEFAULTS = {
  principal: "agent:default",
  capabilities: ["fs:read"],
  purpose: "p",
  cwd: "/w",
  workspace: "/w",
  session: "s1",
};

Deno.test("parseIntent fills identity and context from defaults and the operation from the domain", () => {
  const intent = parseIntent({ domain: "command", target: { command: "ls" } }, DEFAULTS);
  equal(intent.operation, "exec");
  equal(intent.identity.principal, "agent:default");
  equal(intent.identity.purpose, "p");
  equal(intent.context.session, "s1");
  equal(intent.context.cwd, "/w");
});

Deno.test("parseIntent keeps what the input gives over the defaults", () => {
  const intent = parseIntent(
    {
      identity: { principal: "user:alice" },
      domain: "filesystem",
      operation: "write",
      target: { path: "/x" },
      context: { cwd: "/y" },
    },
    DEFAULTS,
  );
  equal(intent.identity.principal, "user:alice");
  equal(intent.context.cwd, "/y");
  equal(intent.context.workspace, "/w");
});

Deno.test("parseIntent accepts the ledger's nested shape", () => {
  const intent = parseIntent(
    {
      identity: { principal: "user:alice", capabilities: ["fs:read"] },
      intent: { domain: "filesystem", operation: "read", target: { path: "/tmp/test.txt" } },
    },
    DEFAULTS,
  );
  equal(intent.target.path, "/tmp/test.txt");
});

Deno.test("parseIntent names the field at fault", () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /expected a JSON object/],
    [[], /expected a JSON object/],
    [{ domain: "disk" }, /domain: expected one of/],
    [{ domain: "http", target: {} }, /target\.url: a http intent needs target\.url/],
    [
      { domain: "filesystem", operation: "READ", target: { path: "/x" } },
      /operation: operation must be a lower-case word/,
    ],
    [{ domain: "filesystem", target: { path: "/x", nested: { a: 1 } } }, /target\.nested/],
    [{ domain: "filesystem", target: { path: "x".repeat(70_000) } }, /target\.path/],
    [
      { domain: "filesystem", target: { path: "/x" }, identity: { principal: "" } },
      /identity\.principal/,
    ],
    [{ domain: "filesystem", target: { path: "/x" }, surprise: true }, /unknown key surprise/],
  ];
  for (const [value, message] of cases) {
    throws(() => parseIntent(value, DEFAULTS), (error: WatchtowerError) => {
      equal(error.code, "invalid_intent");
      return message.test(error.message);
    }, JSON.stringify(value).slice(0, 80));
  }
});

Deno.test("parseIntent throws only WatchtowerError on arbitrary JSON (property)", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.jsonValue(),
        fc.record({ domain: fc.string(), target: fc.jsonValue(), operation: fc.jsonValue() }),
      ),
      (value) => {
        try {
          parseIntent(value, DEFAULTS);
        } catch (error) {
          if (!(error instanceof WatchtowerError)) throw error;
        }
      },
    ),
    { numRuns: 2000 },
  );
});
