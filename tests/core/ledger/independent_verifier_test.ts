/**
 * A third party can verify a ledger Watchtower wrote with a short script of their own:
 * tests/testdata/verify_ledger.py (Python standard library only) follows docs/ledger.md.
 */
import { equal } from "node:assert/strict";
import { Ledger } from "../../../core/ledger/writer.ts";
import { verifyLedger } from "../../../core/ledger/verify.ts";

const SCRIPT = new URL("../../testdata/verify_ledger.py", import.meta.url).pathname;

async function python(
  dir: string,
): Promise<{ ok: boolean; entries?: number; root?: string; last_hash?: string; error?: string }> {
  const out = await new Deno.Command("python3", {
    args: [SCRIPT, dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("the Python verifier agrees with Watchtower on chain, count and Merkle root", async () => {
  const dir = Deno.makeTempDirSync();
  const ledger = new Ledger(dir, { segmentBytes: 4096 });
  for (let i = 0; i < 57; i++) {
    ledger.appendSync([{
      data: {
        identity: { principal: "user:alice", capabilities: ["fs:read"] },
        intent: {
          domain: "filesystem",
          operation: "read",
          target: { path: `/tmp/ünï/${i}\u2028"q"` },
        },
        decision: {
          verdict: "allow",
          mode: "enforce",
          reason: "rule",
          detail: "rule allow-tmp-read",
          matched_rules: ["allow-tmp-read"],
          risk_score: 0.15 * i,
          risk_level: "low",
          sensitivity: "internal",
        },
      },
      annotations: { gtfo_alerts: [], zone: "SAFE" },
    }]);
  }
  const ours = verifyLedger(dir, { root: true });
  const theirs = await python(dir);
  equal(theirs.ok, true, theirs.error);
  equal(theirs.entries, ours.entries);
  equal(theirs.last_hash, ours.lastHash);
  equal(theirs.root, ours.root);
});

Deno.test("the Python verifier also catches an edit", async () => {
  const dir = Deno.makeTempDirSync();
  const ledger = new Ledger(dir);
  for (let i = 0; i < 5; i++) ledger.appendSync([{ data: { event: { type: "t", i } } }]);
  const path = `${dir}/ledger-000001.jsonl`;
  Deno.writeTextFileSync(path, Deno.readTextFileSync(path).replace('"i":3', '"i":4'));
  const theirs = await python(dir);
  equal(theirs.ok, false);
  equal(theirs.error, "hash mismatch at seq 4");
});
