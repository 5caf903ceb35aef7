import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import {
  CheckpointError,
  type CheckpointErrorCode,
  formatCheckpoint,
  formatVerifierKey,
  generateSigner,
  keyId,
  MAX_NOTE_BYTES,
  openNote,
  parseCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from "../../../core/ledger/checkpoint.ts";
import { fromHex, toHex } from "../../../core/ledger/sha256.ts";

const b64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const unb64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const ROOT = Uint8Array.from({ length: 32 }, (_, i) => i);
const ROOT_B64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const OTHER_ROOT_B64 = b64(new Uint8Array(32).fill(0xee));

// The example of Go's golang.org/x/mod/sumdb/note documentation: Ed25519 is deterministic, so
// signing the same text with the same key must give the same note byte for byte.
const GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT = "If you think cryptography is the answer to your problem,\n" +
  "then you don't know what your problem is.\n";
const GO_NOTE = GO_TEXT + "\n\u2014 PeterNeumann " +
  "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

// RFC 8032 §7.1, TEST 1: an Ed25519 seed and its public key.
const RFC8032_SEED = fromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

async function run(program: string, args: string[], input: unknown): Promise<unknown> {
  const child = new Deno.Command(program, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(input)));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) throw new Error(`${program} failed: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

/** Key IDs and checkpoint bodies computed by Python's hashlib and base64, not by our code. */
const PYTHON = `
import base64, hashlib, json, sys
req = json.load(sys.stdin)
ids = {}
for text in req["verifierKeys"]:
    name, key_id, key = text.split("+", 2)
    raw = base64.b64decode(key, validate=True)
    ids[text] = hashlib.sha256(name.encode() + b"\\n" + raw).digest()[:4].hex()
bodies = [c["origin"] + "\\n" + str(c["size"]) + "\\n" + base64.b64encode(bytes.fromhex(c["root"])).decode()
          + "\\n" + "".join(e + "\\n" for e in c["extensions"]) for c in req["checkpoints"]]
json.dump({"ids": ids, "bodies": bodies}, sys.stdout)
`;

/** Verifies our notes with Node's crypto and signs bodies with Node-generated keys. */
const NODE = `
const crypto = require("node:crypto");
const req = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
const verified = req.verify.map(({ verifierKey, note }) => {
  const [name, id] = verifierKey.split("+", 2);
  const raw = Buffer.from(verifierKey.slice(name.length + id.length + 2), "base64");
  const publicKey = crypto.createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: raw.subarray(1).toString("base64url") },
    format: "jwk",
  });
  const split = note.lastIndexOf("\\n\\n");
  const body = Buffer.from(note.slice(0, split + 1), "utf8");
  const prefix = "\\u2014 " + name + " ";
  const line = note.slice(split + 2, -1);
  const blob = Buffer.from(line.slice(prefix.length), "base64");
  return {
    type: raw[0],
    prefixOk: line.startsWith(prefix),
    idOk: blob.subarray(0, 4).toString("hex") === id,
    signatureOk: crypto.verify(null, body, publicKey, blob.subarray(4)),
  };
});
const signed = req.sign.map((body) => {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
  return {
    x: publicKey.export({ format: "jwk" }).x,
    signature: crypto.sign(null, Buffer.from(body, "utf8"), privateKey).toString("base64"),
  };
});
console.log(JSON.stringify({ verified, signed }));
`;

const keyA = await generateSigner("wt.example/ledger-a");
const keyB = await generateSigner("wt.example/ledger-b");
const keyA2 = await generateSigner("wt.example/ledger-a"); // same name, different key
const RFC8032_VERIFIER = formatVerifierKey("rfc8032", fromHex(RFC8032_PUBLIC));

const CHECKPOINTS = [
  { origin: "wt.example/ledger", size: 0, root: ROOT, extensions: [] },
  { origin: "wt.example/ledger", size: 12345, root: ROOT, extensions: ["ext one", "ext — two"] },
  { origin: "ünïcode.example/log", size: Number.MAX_SAFE_INTEGER, root: ROOT, extensions: [] },
];
const notesA = await Promise.all(
  CHECKPOINTS.map((c) => signNote(formatCheckpoint(c), keyA.signerKey)),
);
const NODE_BODIES = CHECKPOINTS.map((c) => formatCheckpoint(c));

const python = await run("python3", ["-c", PYTHON], {
  verifierKeys: [
    keyA.verifierKey,
    keyB.verifierKey,
    keyA2.verifierKey,
    GO_VERIFIER,
    RFC8032_VERIFIER,
  ],
  checkpoints: CHECKPOINTS.map((c) => ({ ...c, root: toHex(c.root) })),
}) as { ids: Record<string, string>; bodies: string[] };
const node = await run("node", ["-e", NODE], {
  verify: [
    ...notesA.map((note) => ({ verifierKey: keyA.verifierKey, note })),
    { verifierKey: GO_VERIFIER, note: GO_NOTE },
  ],
  sign: NODE_BODIES,
}) as {
  verified: Array<{ type: number; prefixOk: boolean; idOk: boolean; signatureOk: boolean }>;
  signed: Array<{ x: string; signature: string }>;
};

/** Awaits `promise` and checks that it fails with a CheckpointError of `code`. */
async function refuses(promise: Promise<unknown>, code: CheckpointErrorCode, why: string) {
  await rejects(promise, (error: unknown) => {
    ok(error instanceof CheckpointError, `${why}: not a CheckpointError: ${error}`);
    equal(error.code, code, `${why}: ${error.message}`);
    return true;
  });
}

function throwsCode(fn: () => unknown, code: CheckpointErrorCode, why: string): void {
  throws(fn, (error: unknown) => {
    ok(error instanceof CheckpointError, `${why}: not a CheckpointError: ${error}`);
    equal(error.code, code, `${why}: ${error.message}`);
    return true;
  });
}

Deno.test("formatCheckpoint writes the tlog-checkpoint body byte for byte as Python does", () => {
  equal(
    formatCheckpoint(CHECKPOINTS[1]!),
    `wt.example/ledger\n12345\n${ROOT_B64}\next one\next — two\n`,
  );
  CHECKPOINTS.forEach((c, i) => equal(formatCheckpoint(c), python.bodies[i], `checkpoint ${i}`));
});

Deno.test("a signed checkpoint opens with its verifier key and gives back every field", async () => {
  for (const [i, note] of notesA.entries()) {
    const opened = await openNote(note, [keyA.verifierKey]);
    const expected = CHECKPOINTS[i]!;
    equal(opened.body, python.bodies[i]);
    equal(opened.checkpoint.origin, expected.origin);
    equal(opened.checkpoint.size, expected.size);
    deepEqual(opened.checkpoint.root, expected.root);
    deepEqual(opened.checkpoint.extensions, expected.extensions);
    deepEqual(opened.verifiedBy, ["wt.example/ledger-a"]);
    equal(note, `${python.bodies[i]}\n\u2014 wt.example/ledger-a ${note.split(" ").at(-1)}`);
  }
  deepEqual(parseCheckpoint(python.bodies[1]!), { ...CHECKPOINTS[1], root: ROOT });
});

Deno.test("key IDs match SHA-256(name || 0x0A || 0x01 || key) computed by Python", () => {
  for (const [text, id] of Object.entries(python.ids)) {
    const key = parseVerifierKey(text);
    equal(key.keyId.toString(16).padStart(8, "0"), id, text);
    equal(text.split("+")[1], id, `the ID written in ${text}`);
    equal(keyId(key.name, key.publicKey), key.keyId);
  }
});

Deno.test("Node's crypto verifies our Ed25519 signatures and key IDs independently", () => {
  equal(node.verified.length, notesA.length + 1);
  for (const [i, result] of node.verified.entries()) {
    deepEqual(result, { type: 1, prefixOk: true, idOk: true, signatureOk: true }, `note ${i}`);
  }
});

Deno.test("openNote accepts checkpoints signed by Node's crypto with Node's keys", async () => {
  for (const [i, { x, signature }] of node.signed.entries()) {
    const publicKey = unb64(x.replaceAll("-", "+").replaceAll("_", "/") + "=");
    const verifierKey = formatVerifierKey("node.example", publicKey);
    const id = new Uint8Array(4);
    new DataView(id.buffer).setUint32(0, keyId("node.example", publicKey));
    const blob = new Uint8Array([...id, ...unb64(signature)]);
    const note = `${NODE_BODIES[i]}\n\u2014 node.example ${b64(blob)}\n`;
    const opened = await openNote(note, [verifierKey]);
    equal(opened.checkpoint.size, CHECKPOINTS[i]!.size);
  }
});

Deno.test("signNote reproduces the signed note of Go's sumdb/note example byte for byte", async () => {
  equal(await signNote(GO_TEXT, GO_SIGNER), GO_NOTE);
  const signer = await parseSignerKey(GO_SIGNER);
  equal(formatVerifierKey(signer.name, signer.publicKey), GO_VERIFIER);
  equal(signer.keyId, 0xc74f20a3);
  const body = formatCheckpoint({ origin: "go.example", size: 7, root: ROOT });
  const opened = await openNote(await signNote(body, signer), [GO_VERIFIER]);
  deepEqual(opened.verifiedBy, ["PeterNeumann"]);
});

Deno.test("a raw Ed25519 seed imports through PKCS#8 and yields RFC 8032's public key", async () => {
  const id = python.ids[RFC8032_VERIFIER]!;
  const signerKey = `PRIVATE+KEY+rfc8032+${id}+${b64(new Uint8Array([1, ...RFC8032_SEED]))}`;
  const signer = await parseSignerKey(signerKey);
  equal(toHex(signer.publicKey), RFC8032_PUBLIC);
  equal(signer.privateKey.extractable, false);
  const note = await signNote(formatCheckpoint({ origin: "o", size: 1, root: ROOT }), signer);
  deepEqual((await openNote(note, [RFC8032_VERIFIER])).verifiedBy, ["rfc8032"]);
});

Deno.test("generated key pairs parse back and the signer's ID matches its verifier's", async () => {
  for (const { signerKey, verifierKey } of [keyA, keyB, keyA2]) {
    const signer = await parseSignerKey(signerKey);
    const verifier = parseVerifierKey(verifierKey);
    equal(signer.name, verifier.name);
    equal(signer.keyId, verifier.keyId);
    deepEqual(signer.publicKey, verifier.publicKey);
    equal(signerKey.split("+")[3], verifierKey.split("+")[1]);
  }
  ok(keyA.verifierKey !== keyA2.verifierKey, "two generated keys differ");
});

Deno.test("notes with several signatures verify by each known key and ignore unknown ones", async () => {
  const body = python.bodies[1]!;
  const byA = await signNote(body, keyA.signerKey);
  const lineB = (await signNote(body, keyB.signerKey)).slice(body.length + 1);
  const both = byA + lineB;
  deepEqual((await openNote(both, [keyA.verifierKey, keyB.verifierKey])).verifiedBy, [
    "wt.example/ledger-a",
    "wt.example/ledger-b",
  ]);
  deepEqual((await openNote(both, [keyB.verifierKey])).verifiedBy, ["wt.example/ledger-b"]);
  deepEqual((await openNote(both + lineB, [keyB.verifierKey])).verifiedBy, ["wt.example/ledger-b"]);
  const foreign = "\u2014 someone.else " + b64(new Uint8Array(68).fill(7)) + "\n";
  deepEqual((await openNote(byA + foreign, [keyA.verifierKey])).verifiedBy, [
    "wt.example/ledger-a",
  ]);
  deepEqual(
    (await openNote(byA, [keyA.verifierKey, keyA.verifierKey, parseVerifierKey(keyB.verifierKey)]))
      .verifiedBy,
    ["wt.example/ledger-a"],
  );
});

/** Rewrites the signature blob of the first signature line. */
function editSignature(note: string, edit: (blob: Uint8Array) => Uint8Array): string {
  const split = note.lastIndexOf("\n\n");
  const line = note.slice(split + 2, -1);
  const space = line.lastIndexOf(" ");
  const blob = edit(unb64(line.slice(space + 1)));
  return `${note.slice(0, split + 2)}${line.slice(0, space + 1)}${b64(blob)}\n`;
}

const NOTE = notesA[1]!; // wt.example/ledger, 12345, two extensions
const SPLIT = NOTE.lastIndexOf("\n\n");
const BODY = NOTE.slice(0, SPLIT + 1);
const SIGNATURE_LINE = NOTE.slice(SPLIT + 2);

const TAMPERED: Array<[why: string, note: string, code: CheckpointErrorCode]> = [
  ["a changed tree size", NOTE.replace("\n12345\n", "\n12346\n"), "bad_signature"],
  ["a changed root", NOTE.replace(ROOT_B64, OTHER_ROOT_B64), "bad_signature"],
  ["a changed origin", NOTE.replace("wt.example/ledger\n", "wt.example/ledgex\n"), "bad_signature"],
  ["an extra extension line", `${BODY}extra\n\n${SIGNATURE_LINE}`, "bad_signature"],
  ["a dropped extension line", NOTE.replace("ext one\n", ""), "bad_signature"],
  [
    "a flipped signature byte",
    editSignature(NOTE, (blob) => blob.map((b, i) => i === 20 ? b ^ 0x10 : b)),
    "bad_signature",
  ],
  ["a truncated signature", editSignature(NOTE, (blob) => blob.subarray(0, 67)), "bad_signature"],
  [
    "a signature with a byte appended",
    editSignature(NOTE, (blob) => new Uint8Array([...blob, 0])),
    "bad_signature",
  ],
  ["no signature lines", `${BODY}\n`, "no_signature"],
  ["the blank line missing", BODY + SIGNATURE_LINE, "malformed"],
  ["CRLF line endings", NOTE.replaceAll("\n", "\r\n"), "malformed"],
  ["no final newline", NOTE.slice(0, -1), "malformed"],
  ["malformed base64 in the signature", NOTE.replace(/.\n$/, "!\n"), "malformed"],
  ["base64 without its padding", NOTE.replace(/=\n$/, "\n"), "malformed"],
  [
    "a hyphen instead of the em dash",
    `${BODY}\n${SIGNATURE_LINE.replace("\u2014", "-")}`,
    "malformed",
  ],
  [
    "an en dash instead of the em dash",
    `${BODY}\n${SIGNATURE_LINE.replace("\u2014", "\u2013")}`,
    "malformed",
  ],
  ["a signature line without a space", NOTE.replace(/ (\S+)\n$/, "$1\n"), "malformed"],
  ["a key name with '+'", `${BODY}\n${SIGNATURE_LINE.replace("-a ", "+a ")}`, "malformed"],
  ["a signature of four bytes", editSignature(NOTE, (blob) => blob.subarray(0, 4)), "malformed"],
  ["a note over 1 MiB", "x".repeat(MAX_NOTE_BYTES) + NOTE, "malformed"],
  ["a NUL byte", NOTE.replace("ext one", "ext\u0000one"), "malformed"],
  ["a lone surrogate", NOTE.replace("ext one", "ext \ud800"), "malformed"],
  ["an empty note", "", "malformed"],
  [
    "more than 100 signature lines",
    NOTE + `\u2014 x ${b64(new Uint8Array(68))}\n`.repeat(100),
    "malformed",
  ],
];

Deno.test("tampered notes are refused with the right error code", async () => {
  for (const [why, note, code] of TAMPERED) {
    await refuses(openNote(note, [keyA.verifierKey]), code, why);
  }
});

Deno.test("a note signed by no known key is refused as unknown_key", async () => {
  await refuses(openNote(NOTE, [keyB.verifierKey]), "unknown_key", "another key");
  await refuses(openNote(NOTE, [keyA2.verifierKey]), "unknown_key", "same name, another key");
  await refuses(openNote(NOTE, []), "unknown_key", "no keys at all");
});

// Bodies that break the checkpoint format, signed as plain notes: the signature is good, so only
// the checkpoint parser stands between them and the caller.
const BAD_BODIES: Array<[why: string, body: string]> = [
  ["a non-canonical size '01'", `o\n01\n${ROOT_B64}\n`],
  ["a size of 2^53", `o\n9007199254740992\n${ROOT_B64}\n`],
  ["a 17-digit size", `o\n10000000000000000\n${ROOT_B64}\n`],
  ["a negative size", `o\n-1\n${ROOT_B64}\n`],
  ["a size with a plus sign", `o\n+1\n${ROOT_B64}\n`],
  ["a size in exponent notation", `o\n1e3\n${ROOT_B64}\n`],
  ["a size with a space", `o\n 5\n${ROOT_B64}\n`],
  ["an empty size", `o\n\n${ROOT_B64}\n`],
  ["an empty origin", `\n5\n${ROOT_B64}\n`],
  ["a 31-byte root", `o\n5\n${b64(new Uint8Array(31))}\n`],
  ["a 33-byte root", `o\n5\n${b64(new Uint8Array(33))}\n`],
  ["a root in base64url", `o\n5\n${b64(new Uint8Array(32).fill(0xfb)).replaceAll("+", "-")}\n`],
  ["a root with non-zero padding bits", `o\n5\n${ROOT_B64.replace("h8=", "h9=")}\n`],
  ["a root in hex", `o\n5\n${toHex(ROOT)}\n`],
  ["no root line", `o\n5\n`],
  ["an empty extension line", `o\n5\n${ROOT_B64}\n\n`],
];

Deno.test("validly signed notes whose body breaks the checkpoint format are malformed", async () => {
  for (const [why, body] of BAD_BODIES) {
    throwsCode(() => parseCheckpoint(body), "malformed", why);
    await refuses(
      openNote(await signNote(body, keyA.signerKey), [keyA.verifierKey]),
      "malformed",
      why,
    );
  }
});

const BAD_CHECKPOINTS: Array<[why: string, checkpoint: Record<string, unknown>]> = [
  ["an empty origin", { origin: "", size: 1, root: ROOT }],
  ["an origin with a newline", { origin: "a\nb", size: 1, root: ROOT }],
  ["an origin with a carriage return", { origin: "a\r", size: 1, root: ROOT }],
  ["a negative size", { origin: "o", size: -1, root: ROOT }],
  ["a fractional size", { origin: "o", size: 1.5, root: ROOT }],
  ["a NaN size", { origin: "o", size: NaN, root: ROOT }],
  ["a size of 2^53", { origin: "o", size: 2 ** 53, root: ROOT }],
  ["a 31-byte root", { origin: "o", size: 1, root: new Uint8Array(31) }],
  ["a root that is not bytes", { origin: "o", size: 1, root: toHex(ROOT) }],
  ["an empty extension", { origin: "o", size: 1, root: ROOT, extensions: [""] }],
  ["an extension with a newline", { origin: "o", size: 1, root: ROOT, extensions: ["a\nb"] }],
];

Deno.test("formatCheckpoint refuses fields that would not parse back", () => {
  for (const [why, checkpoint] of BAD_CHECKPOINTS) {
    throwsCode(() => formatCheckpoint(checkpoint as never), "malformed", why);
  }
});

Deno.test("signNote refuses bodies that no note may carry", async () => {
  await refuses(signNote("o\n1\nx", keyA.signerKey), "malformed", "no final newline");
  await refuses(signNote("o\r\n1\n", keyA.signerKey), "malformed", "a carriage return");
  await refuses(signNote("o\u0007\n", keyA.signerKey), "malformed", "a bell character");
  await refuses(signNote("x".repeat(MAX_NOTE_BYTES) + "\n", keyA.signerKey), "malformed", "size");
  await refuses(signNote(BODY, keyA.verifierKey), "bad_key", "a verifier key used to sign");
});

const [GO_NAME, GO_ID, GO_KEY] = GO_VERIFIER.split("+") as [string, string, string];
const BAD_VERIFIER_KEYS: Array<[why: string, text: string]> = [
  ["is empty", ""],
  ["has no '+'", "PeterNeumann"],
  ["has no key", `${GO_NAME}+${GO_ID}`],
  ["has an empty key", `${GO_NAME}+${GO_ID}+`],
  ["has an empty name", `+${GO_ID}+${GO_KEY}`],
  ["has a space in the name", `Peter Neumann+${GO_ID}+${GO_KEY}`],
  ["has a 7-digit ID", `${GO_NAME}+c74f20a+${GO_KEY}`],
  ["has a 9-digit ID", `${GO_NAME}+c74f20a30+${GO_KEY}`],
  ["has a non-hex ID", `${GO_NAME}+c74f20ag+${GO_KEY}`],
  ["has an ID that does not match", `${GO_NAME}+c74f20a4+${GO_KEY}`],
  ["is for another name", `PeterNeumanm+${GO_ID}+${GO_KEY}`],
  ["has a key that is not base64", `${GO_NAME}+${GO_ID}+${GO_KEY.replace("/", "!")}`],
  ["has a key without padding", `${GO_NAME}+${GO_ID}+${GO_KEY.slice(0, -1)}`],
  ["has a key of another type", `${GO_NAME}+${GO_ID}+${b64(new Uint8Array([2, ...ROOT]))}`],
  ["has a key without a type byte", `${GO_NAME}+${GO_ID}+${b64(ROOT)}`],
  ["has a key one byte long", `${GO_NAME}+${GO_ID}+${b64(new Uint8Array([1, ...ROOT, 0]))}`],
  ["ends in a newline", `${GO_VERIFIER}\n`],
  ["starts with a space", ` ${GO_VERIFIER}`],
  ["is a signer key", GO_SIGNER],
];

Deno.test("parseVerifierKey refuses malformed keys with bad_key and accepts Go's", () => {
  for (const [why, text] of BAD_VERIFIER_KEYS) {
    throwsCode(() => parseVerifierKey(text), "bad_key", `a verifier key that ${why}`);
  }
  equal(parseVerifierKey(GO_VERIFIER).keyId, 0xc74f20a3);
  equal(parseVerifierKey(`${GO_NAME}+C74F20A3+${GO_KEY}`).keyId, 0xc74f20a3, "Go reads any case");
});

Deno.test("parseSignerKey refuses malformed keys with bad_key and never echoes the secret", async () => {
  const secret = GO_SIGNER.split("+").slice(4).join("+");
  const cases: Array<[why: string, text: string]> = [
    ["lacks the PRIVATE+KEY prefix", GO_SIGNER.slice("PRIVATE+KEY+".length)],
    ["is a verifier key", GO_VERIFIER],
    ["has an ID that does not match", GO_SIGNER.replace("c74f20a3", "c74f20a4")],
    ["names another key", GO_SIGNER.replace("PeterNeumann", "PeterNeumanm")],
    ["has a short seed", `PRIVATE+KEY+${GO_NAME}+${GO_ID}+${b64(new Uint8Array(32).fill(1))}`],
    ["has a seed of another type", GO_SIGNER.replace("+AYEK", "+AoEK")],
    ["has a trailing newline", `${GO_SIGNER}\n`],
  ];
  for (const [why, text] of cases) {
    await rejects(parseSignerKey(text), (error: unknown) => {
      ok(error instanceof CheckpointError, why);
      equal(error.code, "bad_key", `a signer key that ${why}: ${error.message}`);
      ok(!error.message.includes(secret), `the message for a key that ${why} shows the secret`);
      return true;
    });
  }
});

Deno.test("generateSigner refuses names with whitespace, '+' or nothing", async () => {
  for (const name of ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\u0085b", "a\nb"]) {
    await refuses(generateSigner(name), "bad_key", JSON.stringify(name));
  }
});
