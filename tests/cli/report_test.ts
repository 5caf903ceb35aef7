import { deepEqual, equal } from "node:assert/strict";
import { parseFilter } from "../../cli/ledger_view.ts";
import { addToReport, deniedTarget, newReport } from "../../cli/report.ts";
import { decision, event } from "./_entries.ts";

const ENTRIES = [
  decision({ seq: 1, domain: "command", target: { command: "git status" }, session: "s1" }),
  decision({ seq: 2, domain: "command", target: { command: "git status" }, session: "s1" }),
  decision({
    seq: 3,
    domain: "command",
    target: { command: "rm -rf /" },
    verdict: "deny",
    session: "s2",
    principal: "agent:bot",
  }),
  decision({
    seq: 4,
    operation: "delete",
    target: { path: "/etc/passwd" },
    verdict: "escalate",
    principal: "agent:bot",
  }),
  decision({
    seq: 5,
    operation: "delete",
    target: { path: "/etc/passwd" },
    verdict: "deny",
    principal: "agent:bot",
  }),
  event(6, "repair"),
];

Deno.test("the report ranks commands, denied targets, principals and sessions by count", () => {
  const report = newReport();
  for (const entry of ENTRIES) addToReport(report, entry, {});
  equal(report.total, 6);
  equal(report.decisions, 5);
  deepEqual(
    report.commands.top(10).map((row) => [row.name, row.count, row.by_verdict]),
    [["git status", 2, { allow: 2 }], ["rm -rf /", 1, { deny: 1 }]],
  );
  deepEqual(
    report.denied.top(10).map((row) => [deniedTarget(row.name), row.count, row.by_verdict]),
    [
      [["filesystem", "/etc/passwd"], 2, { deny: 1, escalate: 1 }],
      [["command", "rm -rf /"], 1, { deny: 1 }],
    ],
  );
  deepEqual(
    report.principals.top(10).map((row) => [row.name, row.by_verdict]),
    [["agent:bot", { deny: 2, escalate: 1 }], ["user:alice", { allow: 2 }]],
  );
  deepEqual(report.sessions.top(1).map((row) => [row.name, row.count]), [["(none)", 2]]);
});

Deno.test("the report counts only entries that pass the filter", () => {
  const report = newReport();
  const filter = parseFilter({ session: ["s1", "s2"] }, Date.now());
  for (const entry of ENTRIES) addToReport(report, entry, filter);
  equal(report.total, 3);
  deepEqual(report.sessions.top(10).map((row) => row.name), ["s1", "s2"]);
  deepEqual(report.denied.top(10).map((row) => deniedTarget(row.name)), [["command", "rm -rf /"]]);
});
