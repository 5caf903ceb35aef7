import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { WatchtowerError } from "../../../core/errors.ts";
import { readEntries } from "../../../core/ledger/reader.ts";
import { repairLedger } from "../../../core/ledger/maintenance.ts";
import { verifyLedger } from "../../../core/ledger/verify.ts";
import { Ledger } from "../../../core/ledger/writer.ts";

const WRITER = new URL("../../testdata/append_entries.ts", import.meta.url).pathname;
const ev = (i: number) => ({ data: { event: { type: "test", i } } });

function spawnWriter(dir: string, name: string, count: number, mode = "") {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", WRITER, dir, name, String(count), ...(mode ? [mode] : [])],
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

Deno.test("appends chain from the genesis hash with consecutive seqs", () => {
  const dir = Deno.makeTempDirSync();
  const ledger = new Ledger(dir);
  const appended = ledger.appendSync([ev(1), ev(2), ev(3)]);
  deepEqual(appended.map((a) => a.seq), [1, 2, 3]);
  const entries = [...readEntries(dir)];
  equal(entries[0]!.prev_hash, "0".repeat(64));
  equal(entries[1]!.prev_hash, entries[0]!.hash);
  equal(verifyLedger(dir).ok, true);
  equal(Deno.statSync(`${dir}/ledger-000001.jsonl`).mode! & 0o777, 0o600);
});

Deno.test("segments rotate by size and the chain continues across them", () => {
  const dir = Deno.makeTempDirSync();
  const ledger = new Ledger(dir, { segmentBytes: 1024 });
  for (let i = 0; i < 30; i++) ledger.appendSync([ev(i)]);
  const report = verifyLedger(dir);
  equal(report.ok, true);
  ok(report.segments > 3, `${report.segments} segments`);
  equal(report.entries, 30);
});

Deno.test("4 processes x 500 appends: no interleaving, no duplicate, no gap", async () => {
  const dir = Deno.makeTempDirSync();
  const writers = ["a", "b", "c", "d"].map((name) => spawnWriter(dir, name, 500));
  for (const child of writers) {
    const { code, stderr } = await child.output();
    equal(code, 0, new TextDecoder().decode(stderr));
  }
  const report = verifyLedger(dir);
  equal(report.ok, true, JSON.stringify(report.fault));
  equal(report.entries, 2000);
  const perWriter = new Map<string, number[]>();
  for (const entry of readEntries(dir)) {
    const event = (entry.data as unknown as { event: { writer: string; i: number } }).event;
    perWriter.set(event.writer, [...(perWriter.get(event.writer) ?? []), event.i]);
  }
  for (const name of ["a", "b", "c", "d"]) {
    deepEqual(perWriter.get(name), Array.from({ length: 500 }, (_, i) => i), name);
  }
});

Deno.test("a writer killed mid-stream leaves at most a torn tail, which repair mends", async () => {
  const dir = Deno.makeTempDirSync();
  let torn = 0;
  for (let round = 0; round < 8; round++) {
    const child = spawnWriter(dir, `w${round}`, 100_000, round % 2 ? "batch" : "");
    await new Promise((resolve) => setTimeout(resolve, 150 + round * 37));
    child.kill("SIGKILL");
    await child.status;
    const report = verifyLedger(dir);
    if (!report.ok) {
      equal(report.fault?.kind, "torn_tail", JSON.stringify(report.fault));
      torn++;
      throws(
        () => new Ledger(dir).appendSync([ev(0)]),
        (e: WatchtowerError) => e.code === "ledger_corrupt",
      );
      const repaired = repairLedger(new Ledger(dir));
      equal(repaired.after.ok, true);
    }
    // The ledger takes appends again, whatever state the kill left the head in.
    new Ledger(dir).appendSync([ev(round)]);
    equal(verifyLedger(dir).ok, true);
  }
  // Whether a kill lands mid-write is up to timing; the deterministic case is tested below.
  console.log(`crash rounds with a torn tail: ${torn} of 8`);
});

Deno.test("repair truncates a torn tail, rebuilds the head and records itself", () => {
  const dir = Deno.makeTempDirSync();
  const ledger = new Ledger(dir);
  ledger.appendSync([ev(1), ev(2)]);
  const file = Deno.openSync(`${dir}/ledger-000001.jsonl`, { append: true });
  file.writeSync(new TextEncoder().encode('{"seq":3,"timestamp":"2026-'));
  file.close();
  const repaired = repairLedger(ledger);
  equal(repaired.fault?.kind, "torn_tail");
  equal(repaired.truncatedBytes, 27);
  equal(repaired.recorded?.seq, 3);
  equal(repaired.after.ok, true);
  const last = [...readEntries(dir)].at(-1)!;
  equal((last.data as { event: { type: string } }).event.type, "repair");
  equal(repairLedger(ledger).recorded, undefined);
});

Deno.test("repair refuses a ledger with damage other than a crash's", () => {
  const dir = Deno.makeTempDirSync();
  const ledger = new Ledger(dir);
  ledger.appendSync([ev(1), ev(2), ev(3)]);
  const path = `${dir}/ledger-000001.jsonl`;
  Deno.writeTextFileSync(path, Deno.readTextFileSync(path).replace('"i":2', '"i":9'));
  throws(() => repairLedger(ledger), /hash_mismatch at seq 2 .* is damage/);
});

Deno.test("batched appends resolve once durable and keep order", async () => {
  const dir = Deno.makeTempDirSync();
  const ledger = new Ledger(dir, { sync: "batch", batchMs: 1 });
  const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => ledger.append(ev(i))));
  deepEqual(results.map((r) => r.seq), Array.from({ length: 1000 }, (_, i) => i + 1));
  equal(verifyLedger(dir).entries, 1000);
});

Deno.test("a head that is behind whole, chained entries is caught up; one ahead is refused", () => {
  const dir = Deno.makeTempDirSync();
  const ledger = new Ledger(dir);
  ledger.appendSync([ev(1)]);
  const staleHead = Deno.readTextFileSync(`${dir}/ledger.head`);
  ledger.appendSync([ev(2), ev(3)]);
  Deno.writeTextFileSync(`${dir}/ledger.head`, staleHead);
  equal(verifyLedger(dir).headBehind, 2);
  equal(ledger.appendSync([ev(4)])[0]!.seq, 4);
  equal(verifyLedger(dir).ok, true);
  // Truncate the segment below what the head records: refused, not forked.
  const path = `${dir}/ledger-000001.jsonl`;
  const text = Deno.readTextFileSync(path).split("\n");
  Deno.writeTextFileSync(path, text.slice(0, 2).join("\n") + "\n");
  throws(() => ledger.appendSync([ev(5)]), /shorter .* than the head records/);
});

Deno.test("an unwritable state directory is ledger_unavailable", () => {
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/file`, "x");
  throws(
    () => new Ledger(`${dir}/file/sub`).appendSync([ev(1)]),
    (e: WatchtowerError) => e.code === "ledger_unavailable",
  );
});
