import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { formatCheckpoint, generateSigner, signNote } from "../../../core/ledger/checkpoint.ts";
import { parseCosignerKey } from "../../../core/ledger/cosignature.ts";
import { consistencyProof, leafHash, merkleRoot } from "../../../core/ledger/merkle.ts";
import {
  addCheckpointBody,
  addCheckpointUrl,
  type Submission,
  submitCheckpoint,
  type WitnessOutcome,
} from "../../../core/ledger/witness.ts";
import { startWitness, witnessKey } from "../../integration/_witness.ts";

const leaves = Array.from({ length: 9 }, (_, i) => leafHash(new TextEncoder().encode(`e${i}`)));

async function log() {
  const { signerKey, verifierKey } = await generateSigner("log.example");
  const note = async (size: number) =>
    await signNote(
      formatCheckpoint({ origin: "log.example/l", size, root: merkleRoot(leaves.slice(0, size)) }),
      signerKey,
    );
  return { verifierKey, note };
}

function submission(note: string, url: string, vkey: string, oldSize = 0): Submission {
  return {
    witness: { url, key: parseCosignerKey(vkey) },
    note,
    oldSize,
    proof: (old) => consistencyProof(old, leaves.slice(0, Number(note.split("\n")[1]))),
    timeoutMs: 2000,
  };
}

/** A fetch that answers each request with the next of `answers` and counts requests. */
function scripted(...answers: Array<() => Response>) {
  const bodies: string[] = [];
  const fake: typeof fetch = async (_url, init) => {
    bodies.push(String(init?.body));
    const next = answers.shift();
    if (!next) throw new Error("no more answers");
    return await Promise.resolve(next());
  };
  return { fake, bodies };
}

const failure = (outcome: WitnessOutcome) => outcome.ok ? "ok" : outcome.reason;

Deno.test("addCheckpointBody() is the old size line, proof lines, a blank line and the note", () => {
  const hash = new Uint8Array(32).fill(1);
  equal(
    addCheckpointBody(3, [hash], "o\n5\nR\n\n— o S\n"),
    `old 3\n${btoa(String.fromCharCode(...hash))}\n\no\n5\nR\n\n— o S\n`,
  );
  throws(() => addCheckpointBody(1, Array(64).fill(hash), ""), RangeError);
});

Deno.test("addCheckpointUrl() appends add-checkpoint to the prefix and refuses other schemes", () => {
  const cases: Array<[string, string]> = [
    ["https://w.example", "https://w.example/add-checkpoint"],
    ["https://w.example/", "https://w.example/add-checkpoint"],
    ["https://w.example/prefix/", "https://w.example/prefix/add-checkpoint"],
    ["http://127.0.0.1:8/add-checkpoint", "http://127.0.0.1:8/add-checkpoint"],
  ];
  for (const [given, expected] of cases) equal(addCheckpointUrl(given), expected);
  for (const bad of ["ftp://w.example/", "not a url", "https://u:p@w.example/"]) {
    throws(() => addCheckpointUrl(bad), TypeError, bad);
  }
});

Deno.test("submitCheckpoint() gets a cosignature from an honest witness, then one for a larger tree with a proof", async () => {
  const { verifierKey, note } = await log();
  const witness = await startWitness(verifierKey);
  try {
    const first = await submitCheckpoint(submission(await note(4), witness.url, witness.vkey));
    equal(first.ok, true, JSON.stringify(first));
    const second = await submitCheckpoint(submission(await note(9), witness.url, witness.vkey, 4));
    equal(second.ok, true, JSON.stringify(second));
    deepEqual(witness.requests.map((r) => [r.oldSize, r.size, r.status]), [[0, 4, 200], [
      4,
      9,
      200,
    ]]);
    ok(witness.requests[1]!.proofLines > 0);
    // The same tree again: old size = size, no proof, cosigned anew.
    const same = await submitCheckpoint(submission(await note(9), witness.url, witness.vkey, 9));
    equal(same.ok, true);
  } finally {
    await witness.stop();
  }
});

Deno.test("submitCheckpoint() retries once after a 409 naming the witness's size", async () => {
  const { verifierKey, note } = await log();
  const witness = await startWitness(verifierKey);
  try {
    await submitCheckpoint(submission(await note(4), witness.url, witness.vkey));
    const outcome = await submitCheckpoint(submission(await note(9), witness.url, witness.vkey, 0));
    equal(outcome.ok, true, JSON.stringify(outcome));
    equal(outcome.requests, 2);
    equal(outcome.old_size, 4);
  } finally {
    await witness.stop();
  }
});

Deno.test("submitCheckpoint() maps every other answer to one failure, never retrying", async () => {
  const { note } = await log();
  const signed = await note(5);
  const size = (n: number) => () =>
    new Response(`${n}\n`, { status: 409, headers: { "content-type": "text/x.tlog.size" } });
  const cases: Array<[string, Array<() => Response>, string, RegExp, number]> = [
    ["403", [() => new Response("no", { status: 403 })], "not_trusted", /answered 403: no/, 1],
    ["404", [() => new Response("", { status: 404 })], "unknown_log", /answered 404$/, 1],
    ["422", [() => new Response("", { status: 422 })], "inconsistent", /422/, 1],
    ["400", [() => new Response("", { status: 400 })], "rejected", /400/, 1],
    ["a redirect", [() => new Response("", { status: 302 })], "rejected", /302/, 1],
    ["503", [() => new Response("busy", { status: 503 })], "server_error", /503: busy/, 1],
    ["409 without a size", [() => new Response("x", { status: 409 })], "conflict", /without/, 1],
    ["409 above our size", [size(7)], "conflict", /already cosigned 7 entries/, 1],
    ["409 twice", [size(3), size(4)], "conflict", /another tree of 4/, 2],
    ["409 naming the size sent", [size(0)], "conflict", /another tree of 0/, 1],
    ["an empty 200", [() => new Response("")], "bad_response", /not signature lines/, 1],
    ["HTML", [() => new Response("<html>\x1b[31m")], "bad_response", /<html>\?\[31m/, 1],
    [
      "no line by the witness",
      [() => new Response("— other AAAAAAA=\n")],
      "bad_response",
      /no cosignature by/,
      1,
    ],
    [
      "a huge answer",
      [() => new Response("x".repeat(70_000))],
      "bad_response",
      /longer than 65536/,
      1,
    ],
    [
      "bytes that are not UTF-8",
      [() => new Response(new Uint8Array([0xff, 0x0a]))],
      "bad_response",
      /not UTF-8/,
      1,
    ],
  ];
  const { vkey } = await witnessKey("witness.test/w1");
  for (const [what, answers, reason, detail, requests] of cases) {
    const { fake, bodies } = scripted(...answers);
    const outcome = await submitCheckpoint({
      ...submission(signed, "https://w.example/", vkey),
      fetch: fake,
    });
    equal(failure(outcome), reason, what);
    if (!outcome.ok) match(outcome.detail, detail, what);
    equal(bodies.length, requests, what);
  }
});

Deno.test("submitCheckpoint() reports an unreachable witness and one that does not answer in time", async () => {
  const { verifierKey, note } = await log();
  const signed = await note(5);
  const witness = await startWitness(verifierKey, { behaviour: "hang" });
  try {
    const started = Date.now();
    const hung = await submitCheckpoint({
      ...submission(signed, witness.url, witness.vkey),
      timeoutMs: 300,
    });
    equal(failure(hung), "timeout");
    ok(Date.now() - started < 2000);
    const refused: typeof fetch = () => Promise.reject(new TypeError("connection refused"));
    const down = await submitCheckpoint({
      ...submission(signed, witness.url, witness.vkey),
      fetch: refused,
    });
    equal(failure(down), "unreachable");
    if (!down.ok) match(down.detail, /connection refused/);
  } finally {
    await witness.stop();
  }
});

Deno.test("the log key the stand-in trusts decides: a checkpoint by another key gets 403", async () => {
  const { note } = await log();
  const stranger = await generateSigner("log.example");
  const witness = await startWitness(stranger.verifierKey);
  try {
    const outcome = await submitCheckpoint(submission(await note(3), witness.url, witness.vkey));
    equal(failure(outcome), "not_trusted");
  } finally {
    await witness.stop();
  }
});
