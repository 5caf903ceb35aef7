/**
 * `wt verify`: check the whole ledger (and optionally a checkpoint), or repair a crash's torn
 * tail or a lost head.
 * @module
 */
import { WatchtowerError } from "../core/errors.ts";
import { Ledger } from "../core/ledger/writer.ts";
import { repairLedger } from "../core/ledger/maintenance.ts";
import { segmentName } from "../core/ledger/files.ts";
import { verifyLedger, type VerifyReport } from "../core/ledger/verify.ts";
import { type FlagSpec, listFlag, parseArgs, stringFlag, usage } from "./args.ts";
import { checkCheckpoint, keyPaths } from "../core/ledger/checkpoints.ts";
import { checkWitnessed } from "../core/ledger/witnessed.ts";
import { witnessPaths } from "../core/ledger/witnesses.ts";
import { pinnedWitnesses, witnessKeyArgument } from "./witness_flags.ts";
import { cliEnvironment } from "./context.ts";
import { bestDigest } from "./native_digest.ts";
import { EXIT, exitForError } from "./exit.ts";
import { err, out, paint, printJson } from "./output.ts";

/** Help text. */
export const VERIFY_USAGE = `wt verify — check the ledger's integrity

Usage: wt verify [--checkpoint FILE [--key PUBKEY_FILE]] [--repair] [--json]
       wt verify --witnessed [--witness-key KEY ...] [--witnesses N] [--max-unwitnessed K]
                 [--checkpoint FILE] [--key PUBKEY_FILE] [--json]

Checks every segment, line, hash, link and seq, and the head. With --checkpoint, also proves
that the ledger is a consistent extension of that signed checkpoint (catching truncation and
rewrites); the key defaults to the state directory's keys/ledger.pub. --repair truncates a torn
last line (left by a crash) or rebuilds a lost head, and records the repair as an entry; it
refuses to touch a ledger with any other fault.

--witnessed also requires a witnessed checkpoint: the newest one in checkpoints/ (or FILE) that
carries valid C2SP cosignatures by N (--witnesses, default 1) of the pinned witnesses
(--witness-key KEY, repeatable, else the keys in witnesses.json), and of which the ledger is a
consistent extension. A cosignature bearing a pinned witness's name that does not verify, or
was made with another key, fails the check. Entries after that checkpoint are reported as not
yet witnessed; --max-unwitnessed K fails when there are more than K.

Exit: 0 intact, 65 not intact (the first fault is named: kind, seq, segment, line) or not
witnessed, 64 usage, 78 no witness pinned or witnesses.json invalid.`;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  repair: { type: "boolean" },
  checkpoint: { type: "string" },
  key: { type: "string" },
  witnessed: { type: "boolean" },
  "witness-key": { type: "string", multiple: true },
  witnesses: { type: "string" },
  "max-unwitnessed": { type: "string" },
};

/** Runs `wt verify`. */
export async function runVerify(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${VERIFY_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw usage(`unexpected argument '${args.positionals[0]}'`);
  const env = cliEnvironment();
  const digest = bestDigest();
  const result: Record<string, unknown> = {};
  if (args.flags.repair) {
    try {
      const repaired = repairLedger(new Ledger(env.stateDir), { digest });
      result.repair = {
        fault: repaired.fault?.kind ?? null,
        truncated_bytes: repaired.truncatedBytes,
        head_rebuilt: repaired.headRebuilt,
        recorded_seq: repaired.recorded?.seq ?? null,
      };
      if (!args.flags.json) {
        out(
          repaired.recorded
            ? `repaired ${
              repaired.fault?.kind ?? "a stale head"
            }: cut ${repaired.truncatedBytes} bytes, rebuilt the head, recorded as seq ${repaired.recorded.seq}\n`
            : "nothing to repair\n",
        );
      }
    } catch (error) {
      if (!(error instanceof WatchtowerError)) throw error;
      err(error.message);
      return exitForError(error.code);
    }
  }
  const leaves: Uint8Array[] = [];
  const checkpointFile = stringFlag(args, "checkpoint");
  const witnessed = args.flags.witnessed === true ? witnessOptions(args, env.stateDir) : undefined;
  // The Merkle tree is needed only to check a checkpoint: skipping it halves the hashing.
  const report = verifyLedger(
    env.stateDir,
    checkpointFile === undefined && !witnessed ? { digest } : { leaves, digest },
  );
  Object.assign(result, describeReport(report));
  let ok = report.ok;
  const keyFile = stringFlag(args, "key") ?? keyPaths(env.stateDir).verifier;
  if (checkpointFile !== undefined && !witnessed) {
    const note = readText(checkpointFile, "checkpoint");
    const key = readText(keyFile, "verifier key").trim();
    const checked = await checkCheckpoint(note, [key], report, leaves);
    result.checkpoint = checked;
    if (!checked.ok) ok = false;
  }
  if (witnessed) {
    const checked = await checkWitnessed({
      ...witnessed,
      stateDir: env.stateDir,
      ledgerKeys: [readText(keyFile, "verifier key").trim()],
      report,
      leaves,
      ...(checkpointFile !== undefined ? { file: checkpointFile } : {}),
    });
    result.witnessed = checked;
    if (!checked.ok) ok = false;
  }
  result.ok = ok;
  if (args.flags.json) printJson(result);
  else {
    const checks = [
      ["checkpoint", result.checkpoint],
      ["witnessed", result.witnessed],
    ] as const;
    out(`${summary(report, checks.filter(([, c]) => c !== undefined) as Check[])}\n`);
  }
  return ok ? EXIT.ok : EXIT.dataError;
}

type Check = readonly [string, { ok: boolean; detail: string }];

/** The witness keys and quorum of --witnessed: flags, else witnesses.json (none: exit 78). */
function witnessOptions(args: ReturnType<typeof parseArgs>, stateDir: string) {
  const given = listFlag(args, "witness-key").map(witnessKeyArgument);
  const witnesses = given.length > 0 ? given : pinnedWitnesses(stateDir).map((pin) => pin.key);
  if (witnesses.length === 0) {
    throw new WatchtowerError(
      "ledger_unavailable",
      `Cannot check for a witnessed checkpoint: no witness is pinned; give --witness-key KEY or list witnesses in ${
        witnessPaths(stateDir).pins
      }`,
    );
  }
  const names = new Set(witnesses.map((key) => key.name)).size;
  const quorum = count(stringFlag(args, "witnesses") ?? "1", "--witnesses", 1);
  if (quorum > names) {
    throw usage(`--witnesses ${quorum} needs that many pinned witnesses; ${names} are pinned`);
  }
  const max = stringFlag(args, "max-unwitnessed");
  return {
    witnesses,
    quorum,
    ...(max !== undefined ? { maxUnwitnessed: count(max, "--max-unwitnessed", 0) } : {}),
  };
}

function count(text: string, what: string, min: number): number {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text) || Number(text) < min) {
    throw usage(`${what} must be a whole number of at least ${min}, got '${text}'`);
  }
  return Number(text);
}

function readText(path: string, what: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new WatchtowerError("usage", `Cannot read the ${what} ${path}: ${reason}`);
  }
}

function describeReport(report: VerifyReport): Record<string, unknown> {
  return {
    intact: report.ok,
    entries: report.entries,
    segments: report.segments,
    bytes: report.bytes,
    last_seq: report.lastSeq,
    last_hash: report.lastHash,
    root: report.root || null,
    ...(report.headBehind ? { head_behind: report.headBehind } : {}),
    fault: report.fault
      ? {
        kind: report.fault.kind,
        seq: report.fault.seq ?? null,
        segment: report.fault.segment !== undefined ? segmentName(report.fault.segment) : null,
        line: report.fault.line ?? null,
        detail: report.fault.detail,
      }
      : null,
  };
}

function summary(report: VerifyReport, checks: readonly Check[]): string {
  const lines: string[] = [];
  if (report.ok) {
    const root = report.root ? `, Merkle root ${report.root.slice(0, 16)}…` : "";
    const counts = `${report.entries} entries in ${report.segments} segment(s)`;
    lines.push(`${paint("green", "intact")}: ${counts}, last seq ${report.lastSeq}${root}`);
    if (report.headBehind) {
      lines.push(
        `note: the head is ${report.headBehind} entries behind (a crash before its update); the next append or wt verify --repair catches it up`,
      );
    }
  } else {
    const f = report.fault!;
    const where = [
      f.seq !== undefined ? `seq ${f.seq}` : undefined,
      f.segment !== undefined ? segmentName(f.segment) : undefined,
      f.line !== undefined ? `line ${f.line}` : undefined,
    ].filter(Boolean).join(", ");
    const label = f.kind === "torn_tail"
      ? paint("yellow", "TORN TAIL")
      : paint("red", "NOT INTACT");
    lines.push(`${label}: ${f.kind}${where ? ` at ${where}` : ""}: ${f.detail}`);
    if (f.kind === "torn_tail") {
      lines.push(
        "a crash cut off the last write; wt verify --repair truncates it and records the repair",
      );
    }
    lines.push(`${report.entries} entries verified before the fault`);
  }
  for (const [name, check] of checks) {
    const label = check.ok
      ? paint("green", `${name} ok`)
      : paint("red", `${name.toUpperCase()} FAILED`);
    lines.push(`${label}: ${check.detail}`);
  }
  return lines.join("\n");
}
