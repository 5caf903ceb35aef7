import { deepEqual, equal, ok } from "node:assert/strict";
import {
  entryAttributes,
  MAX_EVENT_FIELDS,
  MAX_TEXT,
  type RecordedEntry,
  targetText,
  TELEMETRY_SCHEMA,
} from "../../../core/telemetry/attributes.ts";

const HASH = "c".repeat(64);

function decision(overrides: Record<string, unknown> = {}, domain = "filesystem"): RecordedEntry {
  return {
    seq: 12,
    hash: HASH,
    data: {
      identity: {
        principal: "agent:clawbot",
        capabilities: ["fs:read"],
        purpose: "SOC_efficiency",
      },
      intent: { domain, operation: "write", target: { path: "/etc/passwd" } },
      decision: {
        verdict: "deny",
        mode: "enforce",
        reason: "rule",
        detail: "rule deny-system-writes: System locations are read-only for agents",
        matched_rules: ["deny-system-writes", "audit-all"],
        risk_score: 5,
        risk_level: "high",
        sensitivity: "internal",
        ...overrides,
      },
      context: { session: "s-1", tool: "safe-touch", cwd: "/w" },
    } as RecordedEntry["data"],
    annotations: { zone: "SENSITIVE", audit: "heavy" },
  };
}

Deno.test("entryAttributes() gives a decision every documented attribute, named as docs/telemetry.md says", () => {
  deepEqual(entryAttributes(decision(), { host: "build-7", ledgerDir: "/home/a/.watchtower" }), {
    "watchtower.schema": TELEMETRY_SCHEMA,
    "watchtower.record": "decision",
    "watchtower.verdict": "deny",
    "watchtower.mode": "enforce",
    "watchtower.domain": "filesystem",
    "watchtower.operation": "write",
    "watchtower.target": "/etc/passwd",
    "watchtower.rule": "deny-system-writes",
    "watchtower.rules": ["deny-system-writes", "audit-all"],
    "watchtower.reason": "rule",
    "watchtower.detail": "rule deny-system-writes: System locations are read-only for agents",
    "watchtower.risk": 5,
    "watchtower.risk_level": "high",
    "watchtower.sensitivity": "internal",
    "watchtower.zone": "SENSITIVE",
    "watchtower.audit": "heavy",
    "watchtower.principal": "agent:clawbot",
    "watchtower.purpose": "SOC_efficiency",
    "watchtower.session": "s-1",
    "watchtower.tool": "safe-touch",
    "host.name": "build-7",
    "watchtower.ledger.seq": 12,
    "watchtower.ledger.hash": HASH,
    "watchtower.ledger.dir": "/home/a/.watchtower",
  });
});

Deno.test("docs/telemetry.md's table of decision attributes is exactly what a full decision exports", () => {
  const doc = Deno.readTextFileSync(new URL("../../../docs/telemetry.md", import.meta.url));
  const section = doc.split("### Decision attributes")[1]!.split("\n### ")[0]!;
  const documented = [...section.matchAll(/^\| `([a-z_.]+)`/gm)].map((m) => m[1]!).sort();
  const full = entryAttributes(decision({ approval_key: "wt-1" }), { host: "h", ledgerDir: "/d" });
  deepEqual(documented, Object.keys(full).sort());
});

Deno.test("entryAttributes() leaves out what a decision does not have, never exporting empty values", () => {
  const attributes = entryAttributes(
    decision({ matched_rules: [], verdict: "escalate", approval_key: "wt-1234" }),
  );
  equal(attributes["watchtower.rule"], undefined, "no rule matched");
  equal(attributes["watchtower.rules"], undefined);
  equal(attributes["watchtower.approval_key"], "wt-1234");
  equal(attributes["host.name"], undefined, "host unknown");
  equal(attributes["watchtower.ledger.dir"], undefined);
  ok(Object.values(attributes).every((value) => value !== ""));
});

Deno.test("entryAttributes() exports an event's type and its scalar fields, and skips nested ones", () => {
  const attributes = entryAttributes({
    seq: 3,
    hash: HASH,
    data: {
      event: {
        type: "effect",
        tool: "safe-rm",
        exit_code: 0,
        decision_seqs: [1, 2],
        timed_out: false,
        redactions: { jwt: 1 },
        session: "s-9",
      },
    },
  });
  deepEqual(attributes, {
    "watchtower.schema": TELEMETRY_SCHEMA,
    "watchtower.record": "event",
    "watchtower.event.type": "effect",
    "watchtower.event.tool": "safe-rm",
    "watchtower.event.exit_code": 0,
    "watchtower.event.decision_seqs": [1, 2],
    "watchtower.event.timed_out": false,
    "watchtower.event.session": "s-9",
    "watchtower.session": "s-9",
    "watchtower.ledger.seq": 3,
    "watchtower.ledger.hash": HASH,
  });
});

Deno.test("entryAttributes() bounds what an event can add and how long a text can be", () => {
  const event: Record<string, unknown> = { type: "x" };
  for (let i = 0; i < MAX_EVENT_FIELDS + 10; i++) event[`f${i}`] = i;
  const attributes = entryAttributes({ seq: 1, hash: HASH, data: { event } as never });
  equal(Object.keys(attributes).filter((k) => /^watchtower\.event\.f/.test(k)).length, 32);
  const long = entryAttributes(decision({ detail: "d".repeat(MAX_TEXT * 3) }));
  equal((long["watchtower.detail"] as string).length, MAX_TEXT);
  ok((long["watchtower.detail"] as string).endsWith("…"));
});

Deno.test("targetText() takes the domain's resource field and strips a URL's credentials and query", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["filesystem", { path: "/tmp/a" }, "/tmp/a"],
    ["command", { command: "git status", argv: ["git", "status"] }, "git status"],
    ["ssh", { host: "db-1", command: "uptime" }, "db-1"],
    [
      "http",
      { url: "https://u:secret@api.example/v1/x?token=abc#frag" },
      "https://api.example/v1/x?…",
    ],
    ["http", { url: "https://api.example/v1/x" }, "https://api.example/v1/x"],
    ["http", { url: "not a url?key=1" }, "not a url?…"],
    ["kubernetes", { resource: "pods", namespace: "prod" }, "pods"],
    ["filesystem", { other: "x" }, ""],
    ["nonsense", { path: "/x" }, ""],
  ];
  for (const [domain, target, expected] of cases) {
    equal(targetText(domain, target), expected, `${domain} ${JSON.stringify(target)}`);
  }
});

Deno.test("entryAttributes() survives records that are not what a ledger writes", () => {
  for (const data of [{}, { decision: null }, { decision: "x" }, { event: [] }]) {
    const attributes = entryAttributes({ seq: 1, hash: HASH, data: data as never });
    equal(attributes["watchtower.ledger.seq"], 1);
    ok(typeof attributes["watchtower.record"] === "string");
  }
});
