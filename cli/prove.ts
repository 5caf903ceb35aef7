/**
 * `wt prove SEQ`: an inclusion proof that entry SEQ is in the ledger's Merkle tree (of the
 * current size, or of a checkpoint's), which a third party checks against a signed checkpoint.
 * @module
 */
import { WatchtowerError } from "../core/errors.ts";
import { proveInclusion } from "../core/ledger/checkpoints.ts";
import { readLedgerLines } from "../core/ledger/reader.ts";
import { verifyLedger } from "../core/ledger/verify.ts";
import { type FlagSpec, parseArgs, stringFlag, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { bestDigest } from "./native_digest.ts";
import { EXIT } from "./exit.ts";
import { out, printJson } from "./output.ts";

/** Help text. */
export const PROVE_USAGE = `wt prove — inclusion proof of one ledger entry

Usage: wt prove SEQ [--size N] [--json]

Prints the entry, its leaf hash (RFC 6962: SHA-256 of 0x00 and the entry's 32-byte hash), the
audit path and the root of the tree of the first N entries (default: all; give a checkpoint's
size to check against it). docs/ledger.md shows how to check a proof independently.

Exit: 0 proved, 65 the ledger is not intact, 64 usage (SEQ or N out of range).`;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  size: { type: "string" },
};

/** Runs `wt prove`. */
export function runProve(argv: readonly string[]): number {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${PROVE_USAGE}\n`);
    return EXIT.ok;
  }
  const [seqText, extra] = args.positionals;
  if (seqText === undefined || extra !== undefined) {
    throw usage("give exactly one SEQ; see wt prove --help");
  }
  const seq = positiveInteger(seqText, "SEQ");
  const sizeText = stringFlag(args, "size");
  const env = cliEnvironment();
  const leaves: Uint8Array[] = [];
  const report = verifyLedger(env.stateDir, { leaves, digest: bestDigest() });
  if (!report.ok) {
    throw new WatchtowerError(
      "ledger_corrupt",
      `Cannot prove seq ${seq}: the ledger is not intact (${report.fault?.kind} at seq ${report.fault?.seq}); run wt verify`,
    );
  }
  const size = sizeText === undefined ? leaves.length : positiveInteger(sizeText, "--size");
  let line: string | undefined;
  for (const record of readLedgerLines(env.stateDir)) {
    if (record.entry?.seq === seq) {
      line = new TextDecoder().decode(record.bytes);
      break;
    }
  }
  const entryHash = line ? JSON.parse(line).hash as string : "";
  const proof = proveInclusion(seq, leaves, entryHash, size);
  if (args.flags.json) printJson({ ...proof, entry: line ? JSON.parse(line) : null });
  else {
    out(`entry ${seq}: ${line}\n`);
    out(`leaf ${proof.leaf_hash}\ntree size ${proof.tree_size}, root ${proof.root}\n`);
    out(`audit path (${proof.proof.length}):\n${proof.proof.map((h) => `  ${h}`).join("\n")}\n`);
  }
  return EXIT.ok;
}

function positiveInteger(text: string, what: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(text)) {
    throw usage(`${what} must be a positive whole number, got '${text}'`);
  }
  return Number(text);
}
