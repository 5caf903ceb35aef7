/**
 * The tamper matrix: each way of damaging a ledger is detected, with the right kind and place.
 */
import { equal, ok } from "node:assert/strict";
import { Ledger } from "../../../core/ledger/writer.ts";
import { type FaultKind, verifyLedger } from "../../../core/ledger/verify.ts";
import { sealEntry } from "../../../core/ledger/entry.ts";

const encoder = new TextEncoder();

/** A ledger of `count` entries over several segments. */
function ledger(count = 40): string {
  const dir = Deno.makeTempDirSync({ prefix: "wt-tamper-" });
  const writer = new Ledger(dir, { segmentBytes: 2048 });
  for (let i = 1; i <= count; i++) {
    writer.appendSync([{ data: { event: { type: "test", i, note: `entry ${i}` } } }]);
  }
  return dir;
}

const seg = (dir: string, n: number) => `${dir}/ledger-${String(n).padStart(6, "0")}.jsonl`;
const lines = (dir: string, n: number) =>
  Deno.readTextFileSync(seg(dir, n)).split("\n").slice(0, -1);
const write = (dir: string, n: number, ls: string[]) =>
  Deno.writeTextFileSync(seg(dir, n), ls.map((l) => `${l}\n`).join(""));

const CASES: Array<[name: string, damage: (dir: string) => void, kind: FaultKind, seq?: number]> = [
  [
    "a byte of data edited",
    (dir) => {
      const ls = lines(dir, 1);
      ls[2] = ls[2]!.replace('"entry 3"', '"entry X"');
      write(dir, 1, ls);
    },
    "hash_mismatch",
    3,
  ],
  [
    "a hash edited",
    (dir) => {
      const ls = lines(dir, 1);
      ls[1] = ls[1]!.replace(/"hash":"([0-9a-f])/, (_, c) => `"hash":"${c === "0" ? "1" : "0"}`);
      write(dir, 1, ls);
    },
    "hash_mismatch",
    2,
  ],
  [
    "a line deleted",
    (dir) => {
      const ls = lines(dir, 1);
      ls.splice(3, 1);
      write(dir, 1, ls);
    },
    "seq_gap",
    4,
  ],
  [
    "two lines swapped",
    (dir) => {
      const ls = lines(dir, 1);
      [ls[1], ls[2]] = [ls[2]!, ls[1]!];
      write(dir, 1, ls);
    },
    "seq_gap",
    2,
  ],
  [
    "a forged line inserted (its own hash right, its link wrong)",
    (dir) => {
      const ls = lines(dir, 1);
      const forged = sealEntry({
        seq: 3,
        timestamp: new Date().toISOString(),
        data: { event: { type: "forged" } },
        annotations: {},
        prev_hash: "f".repeat(64),
      });
      ls.splice(2, 0, new TextDecoder().decode(forged.line));
      write(dir, 1, ls);
    },
    "broken_link",
    3,
  ],
  [
    "an entry rewritten with a recomputed hash",
    (dir) => {
      const ls = lines(dir, 1);
      const old = JSON.parse(ls[2]!);
      const forged = sealEntry({ ...old, data: { event: { type: "forged" } } });
      ls[2] = new TextDecoder().decode(forged.line);
      write(dir, 1, ls);
    },
    "broken_link",
    4,
  ],
  ["the tail truncated (whole lines)", (dir) => {
    const last = [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("ledger-")).length;
    const ls = lines(dir, last);
    write(dir, last, ls.slice(0, -2));
  }, "truncated_tail"],
  ["a whole middle segment deleted", (dir) => Deno.removeSync(seg(dir, 2)), "missing_segment"],
  ["the first segment deleted", (dir) => Deno.removeSync(seg(dir, 1)), "missing_segment"],
  ["the last segment deleted", (dir) => {
    const last = [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("ledger-")).length;
    Deno.removeSync(seg(dir, last));
  }, "truncated_tail"],
  [
    "a line replaced by garbage",
    (dir) => {
      const ls = lines(dir, 1);
      ls[1] = "this is not json";
      write(dir, 1, ls);
    },
    "unparsable_line",
    2,
  ],
  [
    "a line with invalid UTF-8",
    (dir) => {
      const bytes = Deno.readFileSync(seg(dir, 1));
      const at = bytes.indexOf(10) + 10;
      bytes[at] = 0xff;
      Deno.writeFileSync(seg(dir, 1), bytes);
    },
    "non_utf8",
    2,
  ],
  ["a torn line in the middle of the chain", (dir) => {
    const text = Deno.readTextFileSync(seg(dir, 1));
    Deno.writeTextFileSync(seg(dir, 1), text.slice(0, -30));
  }, "torn_line"],
  ["the head file deleted", (dir) => Deno.removeSync(`${dir}/ledger.head`), "head_missing"],
  [
    "the head file garbled",
    (dir) => Deno.writeTextFileSync(`${dir}/ledger.head`, "{"),
    "head_corrupt",
  ],
  ["the head's hash changed", (dir) => {
    const head = JSON.parse(Deno.readTextFileSync(`${dir}/ledger.head`));
    head.hash = "a".repeat(64);
    Deno.writeTextFileSync(`${dir}/ledger.head`, JSON.stringify(head));
  }, "head_mismatch"],
];

for (const [name, damage, kind, seq] of CASES) {
  Deno.test(`verify detects ${name} as ${kind}`, () => {
    const dir = ledger();
    equal(verifyLedger(dir).ok, true);
    damage(dir);
    const report = verifyLedger(dir);
    equal(report.ok, false);
    equal(report.fault?.kind, kind, JSON.stringify(report.fault));
    if (seq !== undefined) equal(report.fault?.seq, seq, JSON.stringify(report.fault));
    ok(report.fault!.detail.length > 0);
  });
}

Deno.test("a crash's torn last line is reported as a torn tail, not as tampering", () => {
  const dir = ledger(5);
  const file = Deno.openSync(seg(dir, 1), { append: true });
  file.writeSync(encoder.encode('{"seq":6,"timestamp":"20'));
  file.close();
  const report = verifyLedger(dir);
  equal(report.fault?.kind, "torn_tail");
  equal(report.fault?.seq, 6);
  equal(report.entries, 5);
});

Deno.test("a rewrite of the whole chain with recomputed hashes passes the chain check alone", () => {
  // This is what checkpoints are for (see checkpoint tests): the chain by itself cannot tell.
  const dir = ledger(5);
  const ls = lines(dir, 1);
  let prev = "0".repeat(64);
  const rewritten = ls.map((line) => {
    const entry = JSON.parse(line);
    const sealed = sealEntry({ ...entry, data: { event: { type: "rewritten" } }, prev_hash: prev });
    prev = sealed.hash;
    return new TextDecoder().decode(sealed.line);
  });
  write(dir, 1, rewritten);
  const head = JSON.parse(Deno.readTextFileSync(`${dir}/ledger.head`));
  head.hash = prev;
  head.segment_bytes = Deno.statSync(seg(dir, 1)).size;
  Deno.writeTextFileSync(`${dir}/ledger.head`, JSON.stringify(head));
  equal(verifyLedger(dir).ok, true);
});
