/**
 * Whether the ledger is covered by a witnessed checkpoint: the newest stored checkpoint that
 * carries valid cosignatures by a quorum of pinned witnesses, signed by the ledger's key, and of
 * which the ledger is a consistent extension. A cosignature by a pinned witness's name that does
 * not verify, on any checkpoint looked at, fails the check: it is a forgery or a key mix-up.
 * @module
 */
import { CheckpointError, splitNote } from "./checkpoint.ts";
import { checkCheckpoint, ledgerOrigin } from "./checkpoints.ts";
import { checkCosignatures, type CosignerKey } from "./cosignature.ts";
import type { VerifyReport } from "./verify.ts";
import { readWitnessed } from "./witnesses.ts";

/** The outcome of {@linkcode checkWitnessed}. */
export interface WitnessedCheck {
  ok: boolean;
  detail: string;
  /** How many distinct pinned witnesses must have cosigned. */
  quorum: number;
  ledger_size: number;
  /** The witnessed checkpoint relied on. */
  file?: string;
  checkpoint_size?: number;
  /** Ledger entries after the witnessed checkpoint (not yet witnessed). */
  unwitnessed?: number;
  /** The witnesses whose cosignatures verified, with when they cosigned (ISO 8601). */
  cosigned_by?: Array<{ name: string; time: string }>;
}

/** What {@linkcode checkWitnessed} needs. */
export interface WitnessedOptions {
  stateDir: string;
  /** The ledger's verifier key(s), for the checkpoint's own signature. */
  ledgerKeys: readonly string[];
  /** The pinned witness keys. */
  witnesses: readonly CosignerKey[];
  /** Distinct witnesses needed (default 1). */
  quorum?: number;
  /** A checkpoint note file to check instead of searching `checkpoints/`. */
  file?: string;
  /** Fail when more ledger entries than this follow the witnessed checkpoint. */
  maxUnwitnessed?: number;
  /** From `verifyLedger` with `leaves`. */
  report: VerifyReport;
  leaves: readonly Uint8Array[];
}

/** Checkpoint notes examined at most when searching. */
const MAX_EXAMINED = 256;

/** Finds the newest checkpoint witnessed by a quorum and checks the ledger against it. */
export async function checkWitnessed(options: WitnessedOptions): Promise<WitnessedCheck> {
  const quorum = options.quorum ?? 1;
  const base = { quorum, ledger_size: options.report.entries };
  const failed = (detail: string, more: Partial<WitnessedCheck> = {}): WitnessedCheck => ({
    ...base,
    ok: false,
    detail,
    ...more,
  });
  const origin = options.report.firstHash ? ledgerOrigin(options.report.firstHash) : "";
  for (const file of candidates(options, origin)) {
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch (error) {
      if (file === options.file) {
        return failed(`cannot read the checkpoint ${file}: ${(error as Error).message}`);
      }
      continue;
    }
    let cosigned;
    try {
      const split = splitNote(text);
      // wt clean starts a new chain; the old chain's checkpoints stay beside the new ones.
      if (split.checkpoint.origin !== origin && file !== options.file) continue;
      const check = await checkCosignatures(split, options.witnesses);
      // Another key under a witness's name beside that witness's valid line is ignored, as
      // signed-note says (a witness may add, say, an ML-DSA line); alone, it is a forgery.
      const problem = check.problems.find((p) =>
        p.problem !== "wrong_key" || !check.valid.some((v) => v.name === p.name)
      );
      if (problem) {
        return failed(`${file}: ${problem.detail} (${problem.problem}): a forged cosignature`, {
          file,
          checkpoint_size: split.checkpoint.size,
        });
      }
      cosigned = check.valid;
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      return failed(`${file} is not a checkpoint note (${error.code}): ${error.message}`, { file });
    }
    const names = [...new Set(cosigned.map((c) => c.name))];
    if (names.length < quorum) continue;
    const cosignedBy = names.map((name) => ({
      name,
      time: new Date(cosigned.find((c) => c.name === name)!.timestamp * 1000).toISOString(),
    }));
    const consistent = await checkCheckpoint(
      text,
      options.ledgerKeys,
      options.report,
      options.leaves,
    );
    const size = consistent.checkpoint_size ?? 0;
    const found = {
      file,
      checkpoint_size: size,
      unwitnessed: Math.max(0, options.report.entries - size),
      cosigned_by: cosignedBy,
    };
    if (!consistent.ok) return failed(`${file}: ${consistent.detail}`, found);
    if (options.maxUnwitnessed !== undefined && found.unwitnessed > options.maxUnwitnessed) {
      return failed(
        `the newest witnessed checkpoint (${size} entries) leaves ${found.unwitnessed} entries unwitnessed, more than ${options.maxUnwitnessed}: run wt checkpoint --witnessed`,
        found,
      );
    }
    return {
      ...base,
      ...found,
      ok: true,
      detail:
        `the ledger (${options.report.entries} entries) consistently extends the checkpoint of ${size} entries cosigned by ${
          names.join(", ")
        }${found.unwitnessed ? `; ${found.unwitnessed} later entries are not yet witnessed` : ""}`,
    };
  }
  const who = options.witnesses.map((key) => key.name).join(", ");
  return failed(
    options.file
      ? `${options.file} carries no valid cosignature by ${quorum} of the pinned witnesses (${who})`
      : `no stored checkpoint carries valid cosignatures by ${quorum} of the pinned witnesses (${who}): run wt checkpoint --witness URL`,
  );
}

/** Notes to look at, newest first: latest, the sizes witnesses last cosigned, then the rest. */
function candidates(options: WitnessedOptions, origin: string): string[] {
  if (options.file !== undefined) return [options.file];
  const dir = `${options.stateDir}/checkpoints`;
  const hinted = Object.entries(readWitnessed(options.stateDir))
    .filter(([key]) => key.startsWith(`${origin} `))
    .map(([, state]) => state.size)
    .filter((size) => Number.isSafeInteger(size));
  let stored: number[] = [];
  try {
    stored = [...Deno.readDirSync(dir)]
      .map((entry) => /^(0|[1-9][0-9]*)\.note$/.exec(entry.name)?.[1])
      .filter((size): size is string => size !== undefined)
      .map(Number);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  // The sizes witnesses last cosigned are always looked at, however many notes there are.
  const newest = stored.sort((a, b) => b - a).slice(0, MAX_EXAMINED);
  const sizes = [...new Set([...newest, ...hinted])].sort((a, b) => b - a);
  return [`${dir}/latest.note`, ...sizes.map((size) => `${dir}/${size}.note`)];
}
