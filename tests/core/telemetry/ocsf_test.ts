import { deepEqual, equal } from "node:assert/strict";
import type { LedgerEntry } from "../../../core/ledger/entry.ts";
import { OCSF_VERSION, ocsfEvent } from "../../../core/telemetry/ocsf.ts";
import { decision, event } from "../../cli/_entries.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const OPTIONS = { version: "0.1.0", host: "build-7" };

function withDecision(entry: LedgerEntry, fields: Record<string, unknown>): LedgerEntry {
  const data = entry.data as Json;
  return { ...entry, data: { ...data, decision: { ...data.decision, ...fields } } };
}

Deno.test("a decision's verdict and mode give the OCSF action, disposition, status and severity (docs/telemetry.md table)", () => {
  const cases: Array<
    [string, Record<string, unknown>, [number, number, number, number]]
  > = [
    // verdict / mode / reason / risk            action, disposition, status, severity
    ["allow", {}, [1, 1, 1, 1]],
    ["allow after an approval", { reason: "approved" }, [1, 8, 1, 1]],
    ["shadow", { verdict: "shadow" }, [1, 17, 1, 2]],
    ["redact", { verdict: "redact" }, [1, 1, 1, 2]],
    ["escalate", { verdict: "escalate" }, [2, 14, 2, 3]],
    ["deny, low risk", { verdict: "deny" }, [2, 2, 2, 3]],
    ["deny, high risk", { verdict: "deny", risk_level: "high" }, [2, 2, 2, 4]],
    ["deny, critical risk", { verdict: "deny", risk_level: "critical" }, [2, 2, 2, 5]],
    ["deny in observe mode", { verdict: "deny", mode: "observe" }, [1, 15, 1, 3]],
    ["escalate in observe mode", { verdict: "escalate", mode: "observe" }, [1, 15, 1, 3]],
    [
      "deny, policy did not load",
      { verdict: "deny", reason: "policy_unavailable" },
      [2, 2, 2, 4],
    ],
  ];
  for (const [what, fields, expected] of cases) {
    const out = ocsfEvent(withDecision(decision({ seq: 1 }), fields), OPTIONS);
    deepEqual(
      [out.action_id, out.disposition_id, out.status_id, out.severity_id],
      expected,
      what,
    );
  }
});

Deno.test("a decision's operation gives the API Activity's activity and type_uid", () => {
  const cases: Array<[string, string, number, string]> = [
    ["filesystem", "read", 2, "Read"],
    ["filesystem", "write", 3, "Update"],
    ["filesystem", "touch", 1, "Create"],
    ["filesystem", "mkdir", 1, "Create"],
    ["filesystem", "delete", 4, "Delete"],
    ["filesystem", "chmod", 3, "Update"],
    ["search", "search", 2, "Read"],
    ["kubernetes", "logs", 2, "Read"],
    ["http", "POST", 1, "Create"],
    ["http", "get", 2, "Read"],
    ["command", "exec", 99, "Other"],
    ["instruction", "admit", 99, "Other"],
  ];
  for (const [domain, operation, activity, name] of cases) {
    const out = ocsfEvent(decision({ seq: 1, domain, operation }), OPTIONS);
    deepEqual(
      [out.class_uid, out.category_uid, out.activity_id, out.activity_name, out.type_uid],
      [6003, 6, activity, name, 600300 + activity],
      `${domain} ${operation}`,
    );
  }
});

Deno.test("a decision's event names who, what, where and which rule, and keeps Watchtower's fields unmapped", () => {
  const entry = decision({
    seq: 9,
    verdict: "deny",
    principal: "agent:clawbot",
    session: "s-1",
    rules: ["deny-secrets", "audit"],
    target: { path: "/home/a/.ssh/id_ed25519" },
  });
  const out = ocsfEvent(entry, OPTIONS) as Json;
  deepEqual(out.actor, {
    user: { name: "agent:clawbot", uid: "agent:clawbot" },
    session: { uid: "s-1" },
  });
  deepEqual(out.api, { operation: "read", service: { name: "filesystem" } });
  deepEqual(out.resources, [{
    type: "filesystem",
    name: "/home/a/.ssh/id_ed25519",
    data: { path: "/home/a/.ssh/id_ed25519" },
  }]);
  deepEqual(out.src_endpoint, { hostname: "build-7" });
  equal(out.device.hostname, "build-7");
  deepEqual(out.policy, {
    name: "deny-secrets",
    uid: "deny-secrets",
    desc: "matched a rule",
    is_applied: true,
  });
  equal(out.time, Date.parse("2024-01-15T10:30:00.000Z"));
  deepEqual(out.metadata, {
    version: OCSF_VERSION,
    product: { name: "Watchtower", vendor_name: "Watchtower", version: "0.1.0" },
    uid: "a".repeat(64),
    sequence: 9,
    log_name: "ledger",
    original_time: "2024-01-15T10:30:00.000Z",
    profiles: ["host", "security_control"],
    correlation_uid: "s-1",
  });
  deepEqual(out.unmapped.watchtower.matched_rules, ["deny-secrets", "audit"]);
  equal(out.unmapped.watchtower.prev_hash, "0".repeat(64));
  equal(out.message, "deny filesystem read /home/a/.ssh/id_ed25519");
});

Deno.test("an HTTP decision carries the request, the endpoint and (from the proxy) the response", () => {
  const entry = decision({
    seq: 2,
    domain: "http",
    operation: "post",
    target: { url: "https://api.example/v1/items?x=1" },
  });
  (entry.data as Json).effect = { status: 201, bytes_out: 10 };
  const out = ocsfEvent(entry, OPTIONS) as Json;
  deepEqual(out.http_request, {
    http_method: "POST",
    url: { url_string: "https://api.example/v1/items?x=1" },
  });
  deepEqual(out.dst_endpoint, { hostname: "api.example" });
  deepEqual(out.http_response, { code: 201 });
  deepEqual(out.unmapped.watchtower.effect, { status: 201, bytes_out: 10 });
});

Deno.test("a program's effect is a Process Activity: Terminate with its exit code", () => {
  const out = ocsfEvent(
    event(5, "effect", { tool: "safe-rm", program: "rm", exit_code: 1, decision_seqs: [4] }),
    OPTIONS,
  ) as Json;
  deepEqual(
    [out.class_uid, out.category_uid, out.activity_id, out.type_uid, out.status_id],
    [1007, 1, 2, 100702, 2],
  );
  deepEqual(out.process, { name: "rm" });
  deepEqual(out.actor, { app_name: "safe-rm" });
  equal(out.exit_code, 1);
  deepEqual(out.unmapped.watchtower.decision_seqs, [4]);
});

Deno.test("any other event is a Base Event named by its type; a repair or a failed witness is worth a look", () => {
  const cases: Array<[string, number]> = [
    ["approval.grant", 1],
    ["session.start", 1],
    ["repair", 3],
    ["approval.corrupt", 3],
    ["witness.fail", 3],
  ];
  for (const [type, severity] of cases) {
    const out = ocsfEvent(event(6, type, { key: "k" }), OPTIONS) as Json;
    deepEqual(
      [out.class_uid, out.category_uid, out.activity_id, out.activity_name, out.type_uid],
      [0, 0, 99, type, 99],
    );
    equal(out.severity_id, severity, type);
    deepEqual(out.unmapped.watchtower.event, { type, key: "k" });
  }
});

Deno.test("every event has the OCSF base attributes a SIEM requires", () => {
  const entries = [
    decision({ seq: 1 }),
    decision({ seq: 2, verdict: "deny", domain: "command", operation: "exec" }),
    event(3, "effect", { tool: "wt-sh", program: "/bin/sh", exit_code: 0 }),
    event(4, "clean"),
  ];
  for (const entry of entries) {
    const out = ocsfEvent(entry, OPTIONS) as Json;
    for (
      const key of [
        "class_uid",
        "category_uid",
        "activity_id",
        "type_uid",
        "severity_id",
        "time",
        "metadata",
      ]
    ) {
      equal(out[key] !== undefined, true, `${key} in seq ${entry.seq}`);
    }
    equal(out.type_uid, out.class_uid === 0 ? 99 : out.class_uid * 100 + out.activity_id);
    equal(out.metadata.version, OCSF_VERSION);
    equal(JSON.parse(JSON.stringify(out)).class_uid, out.class_uid, "plain JSON");
  }
});
