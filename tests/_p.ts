import { type AppendRecord, Ledger } from "../core/ledger/writer.ts";
function record(i: number): AppendRecord {
  return {
    data: {
      identity: {
        principal: "agent:bench",
        capabilities: ["fs:read", "fs:write"],
        purpose: "coding",
      },
      intent: {
        domain: "filesystem",
        operation: "write",
        target: { path: `/home/dev/project/src/module_${i}.ts` },
      },
      decision: {
        verdict: "allow",
        mode: "enforce",
        reason: "rule",
        detail: "rule allow-workspace: Inside the workspace",
        matched_rules: ["allow-workspace"],
        risk_score: 5,
        risk_level: "low",
        sensitivity: "internal",
      },
      context: {
        session: "s-bench",
        tool: "Write",
        cwd: "/home/dev/project",
        pid: 4242,
        workspace: "/home/dev/project",
      },
    },
    annotations: { zone: "SAFE", audit: "standard", gtfo_alerts: [] },
  };
}
for (let k = 0; k < 3; k++) {
  const ledger = new Ledger(Deno.makeTempDirSync(), { sync: "batch" });
  const t = performance.now();
  await Promise.all(Array.from({ length: 20000 }, (_, i) => ledger.append(record(i))));
  console.log("entries/s", 20000 / ((performance.now() - t) / 1000));
}
