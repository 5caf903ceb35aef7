import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import fc from "fast-check";
import { generateSigner, openNote, signNote } from "../../../core/ledger/checkpoint.ts";
import { sha256, toHex } from "../../../core/ledger/sha256.ts";
import {
  type BundleRefusal,
  decodeBundle,
  MAX_BUNDLE_BYTES,
  openPolicyBundle,
  PolicyBundleError,
  readBundle,
  signPolicyBundle,
} from "../../../core/policy/bundle.ts";

const POLICY = "# central policy\ndefault: deny\npolicies:\n  - name: allow-tmp # a\ttab\r\n" +
  "    priority: 10\n    match: { domain: filesystem, path: /tmp/** }\n    action: allow";
const ISSUED = new Date("2025-01-01T00:00:00Z");
const EXPIRES = new Date("2025-02-01T00:00:00Z");
const NOW = new Date("2025-01-15T00:00:00Z");
const signer = await generateSigner("policy.example");
const other = await generateSigner("policy.example");
const stranger = await generateSigner("someone.else");
const encoder = new TextEncoder();

async function bundle(
  options: { policy?: string; serial?: number; key?: string; expires?: Date } = {},
): Promise<string> {
  return await signPolicyBundle(options.policy ?? POLICY, options.key ?? signer.signerKey, {
    serial: options.serial ?? 42,
    issued: ISSUED,
    expires: options.expires ?? EXPIRES,
  });
}

async function refusal(
  text: string,
  keys: string[] = [signer.verifierKey],
  now = NOW,
): Promise<BundleRefusal> {
  try {
    await openPolicyBundle(text, keys, { now, source: "b" });
  } catch (error) {
    ok(error instanceof PolicyBundleError, String(error));
    return error.code;
  }
  throw new Error("the bundle was accepted");
}

Deno.test("a signed bundle opens with its header, its exact policy and its signer", async () => {
  const text = await bundle();
  const opened = await openPolicyBundle(text, [signer.verifierKey], { now: NOW });
  equal(opened.policy, POLICY);
  deepEqual(opened.header, {
    serial: 42,
    issued: "2025-01-01T00:00:00Z",
    expires: "2025-02-01T00:00:00Z",
    bytes: encoder.encode(POLICY).length,
    sha256: toHex(sha256(encoder.encode(POLICY))),
  });
  equal(opened.signer.name, "policy.example");
  equal(opened.signer.keyId, signer.verifierKey.split("+")[1]);
  ok(text.endsWith(`\n\n${POLICY}`));
  deepEqual(readBundle(text, "b"), { header: opened.header, policy: POLICY });
});

Deno.test("a bundle's note is a C2SP signed checkpoint note that the ledger's note code opens", async () => {
  const text = await bundle();
  const opened = await openPolicyBundle(text, [signer.verifierKey], { now: NOW });
  const note = await openNote(opened.note, [signer.verifierKey]);
  equal(note.checkpoint.origin, "watchtower/policy/v1");
  equal(note.checkpoint.size, 42);
  deepEqual(note.checkpoint.extensions, [
    "issued 2025-01-01T00:00:00Z",
    "expires 2025-02-01T00:00:00Z",
    `bytes ${encoder.encode(POLICY).length}`,
  ]);
});

Deno.test("a bundle signed by two keys opens with either pinned", async () => {
  const text = await bundle();
  const split = text.indexOf("\n\n", text.indexOf("\u2014 "));
  const note = text.slice(0, split + 1);
  const body = note.slice(0, note.indexOf("\n\n") + 1);
  const cosigned = (await signNote(body, stranger.signerKey)).slice(body.length + 1);
  const both = `${note}${cosigned}${text.slice(split + 1)}`;
  equal(
    (await openPolicyBundle(both, [stranger.verifierKey], { now: NOW })).signer.name,
    "someone.else",
  );
  equal((await openPolicyBundle(both, [signer.verifierKey], { now: NOW })).policy, POLICY);
});

Deno.test("openPolicyBundle refuses every bad bundle with its reason", async () => {
  const good = await bundle();
  const [note, policy] = [good.slice(0, good.length - POLICY.length), POLICY];
  const header = note.slice(0, note.indexOf("\n\n") + 2);
  const cases: Array<[string, string, BundleRefusal, (string[] | undefined)?, Date?]> = [
    ["unsigned", `${header}${policy}`, "unsigned"],
    ["a tampered serial", good.replace("\n42\n", "\n43\n"), "bad_signature"],
    ["a tampered policy byte", good.replace("allow-tmp", "allow-tmq"), "bad_signature"],
    ["a policy cut short", good.slice(0, -10), "truncated"],
    ["cut inside the header", good.slice(0, 30), "truncated"],
    ["cut inside the signature", good.slice(0, header.length + 20), "truncated"],
    ["cut after the signature", good.slice(0, note.length - 1), "truncated"],
    ["bytes after the policy", `${good}\nextra: 1\n`, "malformed"],
    ["no blank line before the policy", good.replace(`\n\n${POLICY}`, `\n${POLICY}`), "malformed"],
    [
      "signed by another key of the same name",
      await bundle({ key: other.signerKey }),
      "unknown_key",
    ],
    ["signed by a stranger", await bundle({ key: stranger.signerKey }), "unknown_key"],
    ["no pinned key", good, "no_trusted_keys", []],
    ["expired", good, "expired", undefined, new Date("2025-02-01T00:00:00Z")],
    ["another document", "version: '2.0.0'\npolicies: []\n", "not_a_bundle"],
    ["a forged signature", forge(good), "bad_signature"],
  ];
  for (const [name, text, code, keys, now] of cases) {
    equal(await refusal(text, keys, now), code, name);
  }
});

Deno.test("decodeBundle refuses HTML, text that is not UTF-8 and a bundle that is too large", () => {
  const refuse = (bytes: Uint8Array): BundleRefusal | undefined => {
    try {
      decodeBundle(bytes, "b");
      return undefined;
    } catch (error) {
      ok(error instanceof PolicyBundleError);
      return error.code;
    }
  };
  equal(
    refuse(encoder.encode("\n  <!DOCTYPE html><html><body>Sign in</body></html>")),
    "not_a_bundle",
  );
  equal(refuse(Uint8Array.of(0x77, 0xff, 0x0a)), "malformed");
  equal(refuse(new Uint8Array(MAX_BUNDLE_BYTES + 1).fill(0x61)), "too_large");
  equal(refuse(encoder.encode("watchtower/policy/v1\n")), undefined);
});

Deno.test("signPolicyBundle refuses an expiry before the issue time and a bad serial", async () => {
  await rejects(bundle({ expires: ISSUED }), PolicyBundleError);
  await rejects(bundle({ serial: -1 }), PolicyBundleError);
  await rejects(bundle({ serial: 1.5 }), PolicyBundleError);
});

Deno.test("any change to one byte of the note is refused (every position)", async () => {
  const text = await bundle();
  const bytes = encoder.encode(text);
  const noteEnd = bytes.length - encoder.encode(POLICY).length;
  for (let i = 0; i < noteEnd; i++) {
    const changed = bytes.slice();
    changed[i] = changed[i] === 0x41 ? 0x42 : 0x41;
    ok(await refused(changed), `byte ${i} changed to ${changed[i]} was accepted`);
  }
});

Deno.test("property: any single-byte change, insertion or deletion anywhere is refused", async () => {
  const bytes = encoder.encode(await bundle());
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: bytes.length - 1 }),
      fc.integer({ min: 1, max: 255 }),
      fc.constantFrom("replace", "insert", "delete"),
      async (at, delta, how) => {
        let changed: Uint8Array;
        if (how === "replace") {
          changed = bytes.slice();
          changed[at] = (changed[at]! + delta) & 0xff;
        } else if (how === "insert") {
          changed = new Uint8Array(bytes.length + 1);
          changed.set(bytes.subarray(0, at));
          changed[at] = delta;
          changed.set(bytes.subarray(at), at + 1);
        } else {
          changed = new Uint8Array(bytes.length - 1);
          changed.set(bytes.subarray(0, at));
          changed.set(bytes.subarray(at + 1), at);
        }
        return await refused(changed);
      },
    ),
    { numRuns: 2000 },
  );
});

/** The bundle with one signature byte changed (the key ID kept: the 8th base64 digit). */
function forge(text: string): string {
  const at = text.indexOf("\u2014 policy.example ") + "\u2014 policy.example ".length + 7;
  return `${text.slice(0, at)}${text[at] === "A" ? "B" : "A"}${text.slice(at + 1)}`;
}

async function refused(bytes: Uint8Array): Promise<boolean> {
  try {
    await openPolicyBundle(decodeBundle(bytes, "b"), [signer.verifierKey], { now: NOW });
    return false;
  } catch (error) {
    if (error instanceof PolicyBundleError) return true;
    throw error;
  }
}
