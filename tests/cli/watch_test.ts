import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { textWidth } from "../../cli/ledger_view.ts";
import { Dashboard, parseInterval } from "../../cli/watch.ts";
import { WatchtowerError } from "../../core/errors.ts";
import { decision } from "./_entries.ts";

Deno.env.set("NO_COLOR", "1");

const NOW = Date.parse("2024-01-15T12:00:00Z");
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

Deno.test("Dashboard rates are entries per minute over the last 1, 5 and 15 minutes", () => {
  const dashboard = new Dashboard("/state");
  const seconds = [3600, 800, 200, 100, 30, 10];
  seconds.forEach((s, i) => dashboard.add(decision({ seq: i + 1, timestamp: ago(s) }), NOW));
  deepEqual(dashboard.rates(NOW), { "1m": 2, "5m": 0.8, "15m": 0.33 });
  deepEqual(dashboard.rates(NOW + 3600_000), { "1m": 0, "5m": 0, "15m": 0 });
});

Deno.test("Dashboard keeps the latest denials and fits its frame to the terminal", () => {
  const dashboard = new Dashboard("/state");
  for (let seq = 1; seq <= 60; seq++) {
    dashboard.add(decision({ seq, verdict: seq % 2 ? "deny" : "allow", timestamp: ago(5) }), NOW);
  }
  const snapshot = dashboard.snapshot(NOW);
  equal(snapshot.total, 60);
  deepEqual(snapshot.by_verdict, { allow: 30, deny: 30 });
  const latest = snapshot.latest_denials as Array<{ seq: number }>;
  deepEqual(latest.slice(0, 2).map((row) => row.seq), [59, 57]);
  const frame = dashboard.frame(NOW, { size: { columns: 60, rows: 20 }, hint: "q quits" });
  ok(frame.length <= 20, `${frame.length} lines`);
  for (const line of frame) ok(textWidth(line) <= 60, line);
  match(frame.join("\n"), /#59 DENY/);
});

Deno.test("parseInterval takes seconds from 0.2 to 3600", () => {
  equal(parseInterval(undefined), 2);
  equal(parseInterval("0.5"), 0.5);
  for (const bad of ["0", "0.1", "abc", "-1", "1e3", "3601"]) {
    throws(
      () => parseInterval(bad),
      (e) => e instanceof WatchtowerError && e.code === "usage",
      bad,
    );
  }
});
