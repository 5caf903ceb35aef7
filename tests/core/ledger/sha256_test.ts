import { deepEqual, equal, throws } from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { fromHex, Sha256, sha256, toHex } from "../../../core/ledger/sha256.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const reference = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

// FIPS 180-4 examples (NIST CSRC "SHA-256" example values) and the one-million-'a' vector.
const NIST_VECTORS: Array<[name: string, message: Uint8Array, digest: string]> = [
  [
    "the empty string",
    text(""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  ],
  ["'abc'", text("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  [
    "the 448-bit message",
    text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  ],
  [
    "the 896-bit message",
    text(
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
    ),
    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
  ],
  [
    "one million 'a'",
    new Uint8Array(1_000_000).fill(0x61),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  ],
];

Deno.test("sha256 matches the NIST example vectors, one-shot and incrementally", () => {
  for (const [name, message, digest] of NIST_VECTORS) {
    equal(toHex(sha256(message)), digest, name);
    const hasher = new Sha256();
    for (let i = 0; i < message.length; i += 1000) hasher.update(message.subarray(i, i + 1000));
    equal(toHex(hasher.digest()), digest, `${name}, in 1000-byte chunks`);
  }
});

Deno.test("sha256 agrees with node:crypto for every length from 0 to 300 bytes", () => {
  for (let n = 0; n <= 300; n++) {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = (i * 151 + n * 7) & 0xff;
    const expected = reference(bytes);
    equal(toHex(sha256(bytes)), expected, `length ${n}`);
    // Odd chunk sizes cross the 64-byte block boundary at every offset.
    const hasher = new Sha256();
    for (let i = 0; i < n; i += 13) hasher.update(bytes.subarray(i, i + 13));
    equal(toHex(hasher.digest()), expected, `length ${n} in 13-byte chunks`);
  }
});

Deno.test("sha256 agrees with node:crypto on random data in random chunks", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 1500 }),
      fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 20 }),
      (bytes, cuts) => {
        const expected = reference(bytes);
        equal(toHex(sha256(bytes)), expected);
        const hasher = new Sha256();
        let at = 0;
        for (const cut of cuts) {
          hasher.update(bytes.subarray(at, at + cut));
          at = Math.min(bytes.length, at + cut);
        }
        hasher.update(bytes.subarray(at));
        equal(toHex(hasher.digest()), expected);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("sha256 hashes a subarray view, not its whole buffer", () => {
  const buffer = text("xxabcxx");
  equal(toHex(sha256(buffer.subarray(2, 5))), NIST_VECTORS[1]![2]);
});

Deno.test("Sha256.digest leaves the hasher usable and reset starts over", () => {
  const hasher = new Sha256().update(text("ab"));
  equal(toHex(hasher.digest()), reference(text("ab")));
  equal(toHex(hasher.update(text("c")).digest()), NIST_VECTORS[1]![2]);
  equal(toHex(hasher.reset().digest()), NIST_VECTORS[0]![2]);
});

Deno.test("toHex writes lowercase pairs and fromHex reads them back", () => {
  const bytes = new Uint8Array(32).map((_, i) => i * 8 + 3);
  const hex = toHex(bytes);
  equal(hex, "030b131b232b333b434b535b636b737b838b939ba3abb3bbc3cbd3dbe3ebf3fb");
  deepEqual(fromHex(hex), bytes);
  equal(toHex(new Uint8Array(0)), "");
  deepEqual(fromHex("", { bytes: 0 }), new Uint8Array(0));
  deepEqual(fromHex("ff00", { bytes: 2 }), new Uint8Array([255, 0]));
});

const BAD_HEX: Array<[why: string, input: unknown]> = [
  ["is too short", "ab".repeat(31)],
  ["is too long", "ab".repeat(33)],
  ["is empty", ""],
  ["has uppercase digits", "AB".repeat(32)],
  ["has a non-hex letter", "g" + "0".repeat(63)],
  ["has a space", " " + "0".repeat(63)],
  ["has a trailing newline", "0".repeat(63) + "\n"],
  ["has a 0x prefix", "0x" + "0".repeat(62)],
  ["has a sign", "-" + "0".repeat(63)],
  ["is not a string", 42],
];

Deno.test("fromHex refuses anything but exactly 64 lowercase hex digits", () => {
  for (const [why, input] of BAD_HEX) {
    throws(() => fromHex(input as string), TypeError, `input that ${why}`);
  }
  throws(() => fromHex("00", { bytes: 2 }), TypeError);
});
