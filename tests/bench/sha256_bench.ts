/**
 * The pure-TypeScript SHA-256 against node:crypto's createHash in the same run, on a 200-byte
 * message (a typical ledger line) and on 1 MiB. Throughput = bytes / (time per iteration).
 */
import { createHash } from "node:crypto";
import { sha256 } from "../../core/ledger/sha256.ts";

const small = new Uint8Array(200).map((_, i) => i);
const large = new Uint8Array(1 << 20).map((_, i) => i * 7);

for (const [label, bytes] of [["200 B", small], ["1 MiB", large]] as const) {
  Deno.bench({ name: `node:crypto createHash, ${label}`, group: label, baseline: true }, () => {
    createHash("sha256").update(bytes).digest();
  });
  Deno.bench({ name: `sha256() in TypeScript, ${label}`, group: label }, () => {
    sha256(bytes);
  });
}
