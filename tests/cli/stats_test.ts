import { deepEqual, equal, match } from "node:assert/strict";
import { LedgerTally, statsText } from "../../cli/stats.ts";
import { decision, event } from "./_entries.ts";

Deno.test("LedgerTally counts decisions by domain, verdict and both, and events by type", () => {
  const tally = new LedgerTally();
  for (
    const entry of [
      decision({ seq: 1 }),
      decision({ seq: 2, verdict: "deny" }),
      decision({
        seq: 3,
        domain: "command",
        target: { command: "ls" },
        verdict: "deny",
        mode: "observe",
      }),
      event(4, "repair"),
      decision({ seq: 5, domain: "http", target: { url: "u" }, timestamp: "2024-01-16T00:00:00Z" }),
    ]
  ) tally.add(entry);
  const json = tally.toJSON();
  equal(json.total, 5);
  equal(json.decisions, 4);
  equal(json.events, 1);
  equal(json.first, "2024-01-15T10:30:00.000Z");
  equal(json.last, "2024-01-16T00:00:00Z");
  equal(json.last_seq, 5);
  deepEqual(json.by_domain, { filesystem: 2, command: 1, http: 1 });
  deepEqual(json.by_verdict, { allow: 2, deny: 2 });
  deepEqual(json.by_domain_verdict, {
    filesystem: { allow: 1, deny: 1 },
    command: { deny: 1 },
    http: { allow: 1 },
  });
  deepEqual(json.by_mode, { enforce: 3, observe: 1 });
  deepEqual(json.events_by_type, { repair: 1 });
});

Deno.test("statsText shows a domain × verdict table with totals, and only counts for an empty ledger", () => {
  Deno.env.set("NO_COLOR", "1");
  const tally = new LedgerTally();
  tally.add(decision({ seq: 1 }));
  tally.add(decision({ seq: 2, verdict: "deny" }));
  const text = statsText(tally, "/state").join("\n");
  match(text, /domain +total +allow +shadow +redact +escalate +deny/);
  match(text, /filesystem +2 +1 +0 +0 +0 +1/);
  match(text, /total +2 +1 +0 +0 +0 +1/);
  deepEqual(statsText(new LedgerTally(), "/state"), [
    "ledger   /state",
    "entries  0 (0 decisions, 0 events)",
  ]);
});
