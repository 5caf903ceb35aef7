import { deepEqual, match } from "node:assert/strict";
import { entryBlock } from "../../cli/recent.ts";
import { textWidth } from "../../cli/ledger_view.ts";
import { decision, event } from "./_entries.ts";

Deno.env.set("NO_COLOR", "1");

Deno.test("entryBlock details who, which rule and why, risk, mode and annotations", () => {
  const entry = decision({
    seq: 3,
    verdict: "deny",
    mode: "observe",
    session: "s1",
    rules: ["r1"],
  });
  entry.annotations = { zone: "SENSITIVE", gtfo_alerts: [{ binary: "bash", risk: "critical" }] };
  deepEqual(entryBlock(entry), [
    "#3  2024-01-15T10:30:00Z  ~DENY  filesystem read /tmp/test.txt",
    "    by user:alice · session s1",
    "    rule r1; reason rule: matched a rule",
    "    risk 0.15 low · sensitivity public · observe mode (not enforced) · zone SENSITIVE · GTFOBins bash (critical)",
  ]);
});

Deno.test("entryBlock shows an event's fields and fits every line to a width", () => {
  const lines = entryBlock(event(9, "clean", { archive: "/a", archived_hash: "c".repeat(64) }));
  deepEqual(lines, [
    "#9  2024-01-15T10:31:00Z  EVENT  clean",
    "    archive=/a archived_hash=cccccccccccc…",
  ]);
  for (const line of entryBlock(decision({ seq: 1, target: { path: "/x".repeat(100) } }), 40)) {
    match(line, /./);
    if (textWidth(line) > 40) throw new Error(`too wide: ${line}`);
  }
});
