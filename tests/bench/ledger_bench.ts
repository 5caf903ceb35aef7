/**
 * Ledger throughput: appends (one process with fdatasync per append, one process with group
 * commit, four processes at once) and whole-ledger verification. Targets on a 2-core machine:
 * ≥ 50,000 entries/s with batched sync from one process; verify ≥ 200 MB/s.
 * Entries/s = entries per run / time per run; MB/s = ledger bytes / time per run (printed below).
 */
import { nativeDigest } from "../../cli/native_digest.ts";
import { verifyLedger } from "../../core/ledger/verify.ts";
import { type AppendRecord, Ledger } from "../../core/ledger/writer.ts";

/** A realistic decision entry (~700 bytes as a line). */
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

const WRITER = new URL("../testdata/append_entries.ts", import.meta.url).pathname;

Deno.bench({
  name: "append 1 entry, fdatasync each (one process)",
  group: "append",
  baseline: true,
}, (b) => {
  const ledger = new Ledger(Deno.makeTempDirSync({ prefix: "wt-bench-" }));
  b.start();
  for (let i = 0; i < 200; i++) ledger.appendSync([record(i)]);
  b.end();
});

Deno.bench(
  { name: "append 200 entries, group commit (one process)", group: "append", n: 20 },
  async (b) => {
    const ledger = new Ledger(Deno.makeTempDirSync({ prefix: "wt-bench-" }), { sync: "batch" });
    b.start();
    await Promise.all(Array.from({ length: 200 }, (_, i) => ledger.append(record(i))));
    b.end();
  },
);

Deno.bench(
  { name: "append 20,000 entries, group commit (one process)", group: "batch", n: 5 },
  async (b) => {
    const ledger = new Ledger(Deno.makeTempDirSync({ prefix: "wt-bench-" }), { sync: "batch" });
    b.start();
    await Promise.all(Array.from({ length: 20_000 }, (_, i) => ledger.append(record(i))));
    b.end();
  },
);

Deno.bench({
  name: "append 4 x 250 entries from four processes, fdatasync each",
  group: "processes",
  n: 3,
}, async (b) => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-bench-" });
  b.start();
  const children = ["a", "b", "c", "d"].map((name) =>
    new Deno.Command(Deno.execPath(), { args: ["run", "-A", "-q", WRITER, dir, name, "250"] })
      .spawn()
  );
  for (const child of children) await child.status;
  b.end();
});

const verifyDir = Deno.makeTempDirSync({ prefix: "wt-bench-verify-" });
{
  const ledger = new Ledger(verifyDir, { sync: "batch", batchMax: 8192 });
  await Promise.all(Array.from({ length: 30_000 }, (_, i) => ledger.append(record(i))));
}
const verifyBytes = verifyLedger(verifyDir).bytes;
console.log(`verify bench ledger: 30,000 entries, ${(verifyBytes / 1e6).toFixed(1)} MB`);

Deno.bench({
  name: `verify a ${(verifyBytes / 1e6).toFixed(1)} MB ledger (30,000 entries)`,
  group: "verify",
  n: 5,
}, () => {
  const report = verifyLedger(verifyDir);
  if (!report.ok) throw new Error("ledger not intact");
});

Deno.bench(
  { name: "baseline: read the same segments", group: "verify", baseline: true, n: 5 },
  () => {
    for (const entry of Deno.readDirSync(verifyDir)) {
      if (entry.name.endsWith(".jsonl")) Deno.readFileSync(`${verifyDir}/${entry.name}`);
    }
  },
);

const native = nativeDigest();
if (native) {
  Deno.bench({
    name: "verify the same ledger with libcrypto's SHA-256 (what wt verify uses)",
    group: "verify",
    n: 5,
  }, () => {
    const report = verifyLedger(verifyDir, { digest: native });
    if (!report.ok) throw new Error("ledger not intact");
  });
  Deno.bench({
    name: "append 20,000 entries, group commit, libcrypto SHA-256 (one process)",
    group: "batch",
    n: 5,
  }, async (b) => {
    const ledger = new Ledger(Deno.makeTempDirSync({ prefix: "wt-bench-" }), {
      sync: "batch",
      digest: native,
    });
    b.start();
    await Promise.all(Array.from({ length: 20_000 }, (_, i) => ledger.append(record(i))));
    b.end();
  });
}
