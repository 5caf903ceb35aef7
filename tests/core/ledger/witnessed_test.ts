import { equal, match, ok } from "node:assert/strict";
import { addSignatures, ensureKeys, makeCheckpoint } from "../../../core/ledger/checkpoints.ts";
import { parseCosignerKey } from "../../../core/ledger/cosignature.ts";
import { verifyLedger } from "../../../core/ledger/verify.ts";
import { checkWitnessed, type WitnessedOptions } from "../../../core/ledger/witnessed.ts";
import { Ledger } from "../../../core/ledger/writer.ts";
import { cosignLine, witnessKey } from "../../integration/_witness.ts";

async function ledger(entries: number) {
  const stateDir = Deno.makeTempDirSync();
  const { verifierKey } = await ensureKeys(stateDir);
  const writer = new Ledger(stateDir);
  const grow = (n: number) =>
    writer.appendSync(
      Array.from({ length: n }, (_, i) => ({ data: { event: { type: `t${i}` } } })),
    );
  grow(entries);
  return { stateDir, verifierKey, grow };
}

function options(
  stateDir: string,
  ledgerKey: string,
  witnesses: string[],
  more: Partial<WitnessedOptions> = {},
): WitnessedOptions {
  const leaves: Uint8Array[] = [];
  const report = verifyLedger(stateDir, { leaves });
  return {
    stateDir,
    ledgerKeys: [ledgerKey],
    witnesses: witnesses.map(parseCosignerKey),
    report,
    leaves,
    ...more,
  };
}

Deno.test("checkWitnessed() falls back from an unwitnessed latest checkpoint to the newest witnessed one", async () => {
  const { stateDir, verifierKey, grow } = await ledger(3);
  const w = await witnessKey("witness.test/w1");
  const first = await makeCheckpoint(stateDir);
  addSignatures(stateDir, first, [await cosignLine(w.name, w, first.body, 1_700_000_000)]);
  grow(4);
  await makeCheckpoint(stateDir); // latest: 7 entries, no cosignature
  const check = await checkWitnessed(options(stateDir, verifierKey, [w.vkey]));
  equal(check.ok, true, check.detail);
  equal(check.checkpoint_size, 3);
  equal(check.unwitnessed, 4);
  equal(check.cosigned_by?.[0]?.time, "2023-11-14T22:13:20.000Z");
  match(check.detail, /4 later entries are not yet witnessed/);
  const strict = await checkWitnessed(
    options(stateDir, verifierKey, [w.vkey], { maxUnwitnessed: 3 }),
  );
  equal(strict.ok, false);
});

Deno.test("checkWitnessed() counts distinct witnesses for the quorum", async () => {
  const { stateDir, verifierKey } = await ledger(2);
  const a = await witnessKey("witness.test/a");
  const b = await witnessKey("witness.test/b");
  const made = await makeCheckpoint(stateDir);
  addSignatures(stateDir, made, [await cosignLine(a.name, a, made.body, 1)]);
  const two = options(stateDir, verifierKey, [a.vkey, b.vkey], { quorum: 2 });
  equal((await checkWitnessed(two)).ok, false);
  addSignatures(stateDir, made, [await cosignLine(b.name, b, made.body, 2)]);
  const check = await checkWitnessed(
    options(stateDir, verifierKey, [a.vkey, b.vkey], { quorum: 2 }),
  );
  equal(check.ok, true, check.detail);
  equal(check.cosigned_by?.length, 2);
});

Deno.test("checkWitnessed() fails on a witnessed checkpoint the ledger no longer extends", async () => {
  const { stateDir, verifierKey } = await ledger(4);
  const w = await witnessKey("witness.test/w1");
  const made = await makeCheckpoint(stateDir);
  addSignatures(stateDir, made, [await cosignLine(w.name, w, made.body, 1)]);
  // Cut the last entry and rebuild the head: the chain alone would look intact.
  const segment = `${stateDir}/ledger-000001.jsonl`;
  const lines = Deno.readTextFileSync(segment).split("\n");
  Deno.writeTextFileSync(segment, lines.slice(0, 3).join("\n") + "\n");
  Deno.removeSync(`${stateDir}/ledger.head`);
  const check = await checkWitnessed(options(stateDir, verifierKey, [w.vkey]));
  equal(check.ok, false);
  match(check.detail, /vouches for 4 entries but the ledger has 3: truncated/);
});

Deno.test("checkWitnessed() skips checkpoints of an earlier chain and names the pinned witnesses when none is found", async () => {
  const { stateDir, verifierKey } = await ledger(2);
  const w = await witnessKey("witness.test/w1");
  const other = await ledger(2);
  const made = await makeCheckpoint(other.stateDir);
  addSignatures(other.stateDir, made, [await cosignLine(w.name, w, made.body, 1)]);
  Deno.mkdirSync(`${stateDir}/checkpoints`, { recursive: true });
  Deno.copyFileSync(made.file, `${stateDir}/checkpoints/2.note`);
  const check = await checkWitnessed(options(stateDir, verifierKey, [w.vkey]));
  equal(check.ok, false);
  match(
    check.detail,
    /no stored checkpoint carries valid cosignatures by 1 of the pinned witnesses \(witness\.test\/w1\)/,
  );
  ok(check.file === undefined);
});

Deno.test("checkWitnessed() ignores another key under a witness's name beside its valid line, and fails on it alone", async () => {
  const { stateDir, verifierKey } = await ledger(2);
  const w = await witnessKey("witness.test/w1");
  const other = await witnessKey("witness.test/w1");
  const made = await makeCheckpoint(stateDir);
  const extra = await cosignLine(w.name, other, made.body, 1);
  addSignatures(stateDir, made, [extra]);
  const alone = await checkWitnessed(options(stateDir, verifierKey, [w.vkey]));
  equal(alone.ok, false);
  match(alone.detail, /\(wrong_key\): a forged cosignature/);
  // addSignatures keeps one line per key: the other key's line stays beside the real one.
  addSignatures(stateDir, made, [await cosignLine(w.name, w, made.body, 2)]);
  const beside = await checkWitnessed(options(stateDir, verifierKey, [w.vkey]));
  equal(beside.ok, true, beside.detail);
});
