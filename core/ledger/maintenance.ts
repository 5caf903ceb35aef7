/**
 * Ledger maintenance that changes files: repairing a crash's torn tail or a lost head, and
 * cleaning (archiving or deleting) the ledger so that a new chain starts. Each records what it
 * did as the next entry, so the ledger tells its own history.
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import type { Appended, Ledger } from "./writer.ts";
import { listSegments, segmentName, segmentPath } from "./files.ts";
import { writeHead } from "./head.ts";
import { MerkleFrontier } from "./merkle.ts";
import { sha256, toHex } from "./sha256.ts";
import { verifyLedger, type VerifyOptions, type VerifyReport } from "./verify.ts";

/** Faults `repair` may mend: crash artefacts and a lost head, never damage to entries. */
export const REPAIRABLE = new Set(["torn_tail", "head_missing", "head_corrupt"]);

/** What a repair did. */
export interface RepairResult {
  /** What was wrong before (undefined when nothing was). */
  fault?: VerifyReport["fault"];
  /** Bytes cut from the end of the last segment. */
  truncatedBytes: number;
  headRebuilt: boolean;
  /** The repair's own entry. */
  recorded?: Appended;
  after: VerifyReport;
}

/**
 * Repairs the ledger: truncates a torn last line and rebuilds a missing, corrupt or stale head,
 * then records the repair as an entry. Refuses (`ledger_corrupt`) when the fault is damage.
 */
export function repairLedger(
  ledger: Ledger,
  options: Pick<VerifyOptions, "digest"> = {},
): RepairResult {
  return ledger.exclusive((session) => {
    const before = verifyLedger(ledger.files.dir, options);
    if (before.ok && !before.headBehind) {
      return { truncatedBytes: 0, headRebuilt: false, after: before };
    }
    const fault = before.fault;
    if (fault && !REPAIRABLE.has(fault.kind)) {
      throw new WatchtowerError(
        "ledger_corrupt",
        `Cannot repair the ledger: ${fault.kind} at seq ${fault.seq} (${
          segmentName(fault.segment ?? 1)
        } line ${fault.line}) is damage, not a crash artefact; keep the ledger as evidence and start a new one with wt clean`,
      );
    }
    let truncatedBytes = 0;
    let removedSha256: string | undefined;
    if (fault?.kind === "torn_tail") {
      const path = segmentPath(ledger.files, fault.segment!);
      const bytes = Deno.readFileSync(path);
      const removed = bytes.subarray(fault.offset!);
      truncatedBytes = removed.length;
      removedSha256 = toHex(sha256(removed));
      Deno.truncateSync(path, fault.offset!);
      if (fault.offset === 0 && fault.segment! > 1) Deno.removeSync(path);
    }
    const leaves: Uint8Array[] = [];
    const state = verifyLedger(ledger.files.dir, { ...options, leaves });
    if (
      !state.ok && state.fault &&
      !["head_missing", "head_corrupt", "head_mismatch", "truncated_tail"].includes(
        state.fault.kind,
      )
    ) {
      throw new WatchtowerError(
        "ledger_corrupt",
        `Cannot repair the ledger: after removing the torn line it still has ${state.fault.kind} at seq ${state.fault.seq}`,
      );
    }
    const frontier = new MerkleFrontier();
    for (const leaf of leaves) frontier.append(leaf);
    writeHead(ledger.files, {
      version: 1,
      seq: state.lastSeq,
      hash: state.lastHash,
      segment: state.end.segment,
      segment_bytes: state.end.bytes,
      tree: frontier.toJSON(),
    });
    const [recorded] = session.append([{
      data: {
        event: {
          type: "repair",
          fault: fault?.kind ?? "head_behind",
          ...(fault?.segment !== undefined ? { segment: segmentName(fault.segment) } : {}),
          ...(fault?.offset !== undefined ? { offset: fault.offset } : {}),
          truncated_bytes: truncatedBytes,
          ...(removedSha256 ? { removed_sha256: removedSha256 } : {}),
          head_rebuilt: true,
        },
      },
    }]);
    const after = verifyLedger(ledger.files.dir, options);
    return {
      ...(fault ? { fault } : {}),
      truncatedBytes,
      headRebuilt: true,
      recorded: recorded!,
      after,
    };
  });
}

/** What a clean did. */
export interface CleanResult {
  /** Where the old segments went (undefined when deleted). */
  archive?: string;
  archivedSeq: number;
  archivedHash: string;
  segments: number;
  /** The new chain's first entry. */
  recorded: Appended;
}

/**
 * Ends the current chain: moves its segments and head into `archive/<time>/` (or deletes them
 * with `remove`), then starts a new chain whose first entry records the old head.
 */
export function cleanLedger(
  ledger: Ledger,
  options: { remove?: boolean; now?: Date } & Pick<VerifyOptions, "digest"> = {},
): CleanResult {
  return ledger.exclusive((session) => {
    const report = verifyLedger(ledger.files.dir, {
      root: true,
      ...(options.digest ? { digest: options.digest } : {}),
    });
    const segments = listSegments(ledger.files);
    const stamp = (options.now ?? new Date()).toISOString().replace(/[:.]/g, "-");
    let archive: string | undefined;
    if (options.remove) {
      for (const index of segments) Deno.removeSync(segmentPath(ledger.files, index));
    } else {
      archive = `${ledger.files.archive}/${stamp}`;
      Deno.mkdirSync(archive, { recursive: true, mode: 0o700 });
      for (const index of segments) {
        Deno.renameSync(segmentPath(ledger.files, index), `${archive}/${segmentName(index)}`);
      }
    }
    try {
      if (archive) Deno.renameSync(ledger.files.head, `${archive}/ledger.head`);
      else Deno.removeSync(ledger.files.head);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const [recorded] = session.append([{
      data: {
        event: {
          type: "clean",
          ...(archive ? { archive } : { deleted: true }),
          archived_seq: report.lastSeq,
          archived_hash: report.lastHash,
          archived_root: report.root,
          archived_segments: segments.length,
          archived_intact: report.ok,
          ...(report.fault ? { archived_fault: report.fault.kind } : {}),
        },
      },
    }]);
    return {
      ...(archive ? { archive } : {}),
      archivedSeq: report.lastSeq,
      archivedHash: report.lastHash,
      segments: segments.length,
      recorded: recorded!,
    };
  });
}
