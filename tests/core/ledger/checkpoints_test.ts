import { equal, match, ok, rejects } from "node:assert/strict";
import {
  addSignatures,
  ensureKeys,
  makeCheckpoint,
  publishEnvironment,
  publishToCommand,
} from "../../../core/ledger/checkpoints.ts";
import { WatchtowerError } from "../../../core/errors.ts";
import { Ledger } from "../../../core/ledger/writer.ts";
import { cosignLine, witnessKey } from "../../integration/_witness.ts";

async function checkpointed(entries = 2) {
  const stateDir = Deno.makeTempDirSync();
  await ensureKeys(stateDir);
  new Ledger(stateDir).appendSync(
    Array.from({ length: entries }, () => ({ data: { event: { type: "t" } } })),
  );
  return { stateDir, made: await makeCheckpoint(stateDir) };
}

const signatureLines = (note: string) =>
  note.slice(note.lastIndexOf("\n\n") + 2).trim().split("\n");

Deno.test("addSignatures() stores cosignatures beside the log's signature, one line per witness key", async () => {
  const { stateDir, made } = await checkpointed();
  const w = await witnessKey("witness.test/w1");
  addSignatures(stateDir, made, [await cosignLine(w.name, w, made.body, 1)]);
  const newer = await cosignLine(w.name, w, made.body, 2);
  addSignatures(stateDir, made, [newer]);
  const stored = Deno.readTextFileSync(made.file);
  equal(stored, made.note);
  equal(Deno.readTextFileSync(`${stateDir}/checkpoints/latest.note`), stored);
  const lines = signatureLines(stored);
  equal(lines.length, 2);
  equal(lines[1], newer);
  equal(publishEnvironment(made).WT_CHECKPOINT_COSIGNED_BY, w.name);
});

Deno.test("signing the same tree again keeps the cosignatures it was given", async () => {
  const { stateDir, made } = await checkpointed();
  const w = await witnessKey("witness.test/w1");
  const line = await cosignLine(w.name, w, made.body, 1);
  addSignatures(stateDir, made, [line]);
  const again = await makeCheckpoint(stateDir);
  equal(again.size, made.size);
  equal(again.note, made.note);
  ok(signatureLines(Deno.readTextFileSync(again.file)).includes(line));
});

Deno.test("publishToCommand() gives the command the note and reports how it failed", async () => {
  const { stateDir, made } = await checkpointed();
  const out = `${stateDir}/received`;
  await publishToCommand(made, `cat > ${out}`);
  equal(Deno.readTextFileSync(out), made.note);
  const failed = (e: unknown, pattern: RegExp) =>
    e instanceof WatchtowerError && e.code === "ledger_unavailable" && pattern.test(e.message);
  await rejects(
    publishToCommand(made, "echo first >&2; echo 'disk full' >&2; exit 5"),
    (e) => failed(e, /'echo first.*' exited 5: disk full$/),
  );
  await rejects(publishToCommand(made, "kill -9 $$"), (e) => failed(e, /killed by SIGKILL/));
});

Deno.test("publishToCommand() kills a command that does not finish in time, even one whose children hold its pipes", async () => {
  const { made } = await checkpointed();
  const started = Date.now();
  await rejects(
    publishToCommand(made, "sleep 7.31 & sleep 7.31; true", 300),
    (e) => e instanceof WatchtowerError && /did not finish within 0.3 s/.test(e.message),
  );
  ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  // The whole process group went: no sleep of ours is left.
  const left = new Deno.Command("pgrep", { args: ["-f", "^sleep 7\\.31$"] }).outputSync();
  equal(new TextDecoder().decode(left.stdout).trim(), "");
  match(made.note, /\n\n\u2014 /);
});
