/**
 * Run by exporter_test.ts in a process of its own (with or without OTEL_DENO): appends a
 * decision, an event and, inside a traced run, a second decision to a ledger in Deno.args[0],
 * then prints what the ledger returned, so that the test can compare on and off.
 */
import { Ledger } from "../../../core/ledger/writer.ts";
import { telemetry } from "../../../core/telemetry/mod.ts";
import type { EntryData } from "../../../core/ledger/entry.ts";

const decision = (verdict: string, path: string): EntryData => ({
  identity: { principal: "agent:test", capabilities: [] },
  intent: { domain: "filesystem", operation: "write", target: { path } },
  decision: {
    verdict: verdict as "deny",
    mode: "enforce",
    reason: "rule",
    detail: `rule r-${verdict}`,
    matched_rules: [`r-${verdict}`],
    risk_score: 2.5,
    risk_level: "medium",
    sensitivity: "internal",
  },
  context: { tool: "exporter-test" },
});

const ledger = new Ledger(Deno.args[0]!, { now: () => new Date("2024-01-15T10:30:00.000Z") });
const first = ledger.appendSync([
  { data: decision("deny", "/etc/passwd"), annotations: { zone: "SAFE" } },
  { data: { event: { type: "approval.grant", key: "wt-1", uses: 1 } } },
]);
const run = () => Promise.resolve(ledger.appendSync([{ data: decision("allow", "/tmp/x") }]));
const second = telemetry
  ? await telemetry.traceRun(
    { tool: "exporter-test", program: "true" },
    run,
    (appended) => ({ verdict: "allow", exitCode: 0, seqs: appended.map((a) => a.seq) }),
  )
  : await run();
console.log(
  JSON.stringify({ telemetry: telemetry !== undefined, appended: [...first, ...second] }),
);
