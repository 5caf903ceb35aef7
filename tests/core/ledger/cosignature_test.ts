import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { CheckpointError, formatCheckpoint, splitNote } from "../../../core/ledger/checkpoint.ts";
import {
  checkCosignatures,
  cosign,
  cosignedMessage,
  type CosignerKey,
  formatCosignerKey,
  parseCosignerKey,
} from "../../../core/ledger/cosignature.ts";

const BODY = formatCheckpoint({ origin: "example.com/log", size: 7, root: new Uint8Array(32) });
// A log signature line of some other key: witnesses' checks must skip it.
const LOG_LINE = `\u2014 example.com/log ${btoa("\x01\x02\x03\x04" + "s".repeat(64))}`;
const note = (...lines: string[]) => splitNote(`${BODY}\n${[LOG_LINE, ...lines].join("\n")}\n`);

async function witness(name: string) {
  const pair = await crypto.subtle.generateKey("Ed25519", true, ["sign"]) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const vkey = formatCosignerKey(name, publicKey);
  return { name, publicKey, privateKey: pair.privateKey, vkey, key: parseCosignerKey(vkey) };
}

Deno.test("parseCosignerKey() reads type 0x04 keys and converts plain Ed25519 note keys, as Go's formats/note does", () => {
  // Key texts from transparency-dev/formats note/note_cosigv1_test.go.
  const native = parseCosignerKey(
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
  );
  equal(native.name, "remora.n621.de");
  equal(native.keyId, 0xda77ade7);
  const converted = parseCosignerKey("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6");
  equal(converted.name, "TEST");
  // The 0x01 key's ID is 7997405c; as a cosigner it signs under the type 0x04 ID.
  ok(converted.keyId !== 0x7997405c);
  equal(formatCosignerKey("TEST", converted.publicKey).split("+")[1], converted.keyId.toString(16));
});

Deno.test("parseCosignerKey() refuses wrong IDs, other algorithms and junk with bad_key", () => {
  const refused: Array<[string, RegExp]> = [
    ["remora.n621.de+da77ade8+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2", /does not match/],
    // An ML-DSA-44 (0x06) key is not an Ed25519 cosigner.
    ["w+12345678+Bg" + "A".repeat(42), /only Ed25519 keys \(type 0x04 or 0x01\)/],
    ["no-plus-signs", /expected <name>\+<key ID>\+<key>/],
    [" w+12345678+BA==", /surrounding whitespace/],
  ];
  for (const [text, message] of refused) {
    throws(
      () => parseCosignerKey(text),
      (e: unknown) =>
        e instanceof CheckpointError && e.code === "bad_key" && message.test(e.message),
      text,
    );
  }
});

Deno.test("checkCosignatures() accepts a cosignature by the pinned key and reports its time", async () => {
  const w = await witness("witness.example/w1");
  const line = await cosign(BODY, w, 1_700_000_000);
  const check = await checkCosignatures(note(line), [w.key]);
  deepEqual(check.problems, []);
  equal(check.valid.length, 1);
  equal(check.valid[0]!.timestamp, 1_700_000_000);
  equal(check.valid[0]!.line, line);
  // The same line twice counts once.
  equal((await checkCosignatures(note(line, line), [w.key])).valid.length, 1);
});

Deno.test("checkCosignatures() names each forgery: an edited byte, another key, a short blob, another tree", async () => {
  const w = await witness("witness.example/w1");
  const impostor = await witness("witness.example/w1");
  const line = await cosign(BODY, w, 1_700_000_000);
  const blob = Uint8Array.from(atob(line.split(" ")[2]!), (c) => c.charCodeAt(0));
  const edit = (i: number) => {
    const copy = blob.slice();
    copy[i]! ^= 1;
    return `\u2014 ${w.name} ${btoa(String.fromCharCode(...copy))}`;
  };
  const otherTree = formatCheckpoint({
    origin: "example.com/log",
    size: 8,
    root: new Uint8Array(32),
  });
  const cases: Array<[string, string, string]> = [
    ["a signature byte", edit(40), "bad_signature"],
    ["the timestamp", edit(11), "bad_signature"],
    ["the key ID", edit(0), "wrong_key"],
    ["another key", await cosign(BODY, impostor, 1), "wrong_key"],
    [
      "a short blob",
      `\u2014 ${w.name} ${btoa(String.fromCharCode(...blob.slice(0, 68)))}`,
      "malformed",
    ],
    ["another tree", await cosign(otherTree, w, 1), "bad_signature"],
  ];
  for (const [what, forged, problem] of cases) {
    const check = await checkCosignatures(note(forged), [w.key]);
    equal(check.valid.length, 0, what);
    equal(check.problems[0]?.problem, problem, what);
  }
});

Deno.test("checkCosignatures() ignores lines by names nobody pinned", async () => {
  const w = await witness("witness.example/w1");
  const stranger = await witness("witness.example/w2");
  const check = await checkCosignatures(note(await cosign(BODY, stranger)), [w.key]);
  deepEqual(check, { valid: [], problems: [] });
});

Deno.test("cosign() output verifies with Node's crypto over the message built from the spec", async () => {
  const w = await witness("witness.example/w1");
  const line = await cosign(BODY, w, 1_712_345_678);
  const script = `
const crypto = require("node:crypto");
const { publicKey, body, line } = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
const blob = Buffer.from(line.split(" ")[2], "base64");
const key = crypto.createPublicKey({
  key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKey, "base64").toString("base64url") },
  format: "jwk",
});
const time = blob.readBigUInt64BE(4);
const message = Buffer.from("cosignature/v1\\ntime " + time + "\\n" + body, "utf8");
const id = crypto.createHash("sha256")
  .update(Buffer.concat([Buffer.from(line.split(" ")[1] + "\\n"), Buffer.from([4]), Buffer.from(publicKey, "base64")]))
  .digest().subarray(0, 4);
console.log(JSON.stringify({
  length: blob.length,
  time: Number(time),
  id: id.equals(blob.subarray(0, 4)),
  ok: crypto.verify(null, message, key, blob.subarray(12)),
}));
`;
  const child = new Deno.Command("node", { args: ["-e", script], stdin: "piped", stdout: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  const publicKey = btoa(String.fromCharCode(...w.publicKey));
  await writer.write(new TextEncoder().encode(JSON.stringify({ publicKey, body: BODY, line })));
  await writer.close();
  const result = JSON.parse(new TextDecoder().decode((await child.output()).stdout));
  deepEqual(result, { length: 76, time: 1_712_345_678, id: true, ok: true });
});

Deno.test("cosignedMessage() is the header, the time line and the body", () => {
  equal(
    new TextDecoder().decode(cosignedMessage("o\n1\nR\n", 5)),
    "cosignature/v1\ntime 5\no\n1\nR\n",
  );
});

Deno.test("a CosignerKey with a stray key ID never verifies anything", async () => {
  const w = await witness("witness.example/w1");
  const bent: CosignerKey = { ...w.key, keyId: (w.key.keyId + 1) >>> 0 };
  const check = await checkCosignatures(note(await cosign(BODY, w)), [bent]);
  equal(check.valid.length, 0);
  equal(check.problems[0]?.problem, "wrong_key");
});
