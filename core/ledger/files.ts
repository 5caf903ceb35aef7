/**
 * Where the ledger lives in the state directory: segments `ledger-000001.jsonl`, …, the head
 * file `ledger.head`, the lock file `ledger.lock` and the archive folder.
 * @module
 */

/** Paths of one ledger. */
export interface LedgerFiles {
  dir: string;
  head: string;
  lock: string;
  archive: string;
  checkpoints: string;
}

/** The ledger files in `stateDir`. */
export function ledgerFiles(stateDir: string): LedgerFiles {
  return {
    dir: stateDir,
    head: `${stateDir}/ledger.head`,
    lock: `${stateDir}/ledger.lock`,
    archive: `${stateDir}/archive`,
    checkpoints: `${stateDir}/checkpoints`,
  };
}

/** The file name of segment `index` (1-based). */
export function segmentName(index: number): string {
  return `ledger-${String(index).padStart(6, "0")}.jsonl`;
}

/** The path of segment `index`. */
export function segmentPath(files: LedgerFiles, index: number): string {
  return `${files.dir}/${segmentName(index)}`;
}

const SEGMENT = /^ledger-(\d{6,})\.jsonl$/;

/** The segment indexes present, ascending. */
export function listSegments(files: LedgerFiles): number[] {
  const indexes: number[] = [];
  try {
    for (const entry of Deno.readDirSync(files.dir)) {
      const match = SEGMENT.exec(entry.name);
      if (match && entry.isFile) indexes.push(Number(match[1]));
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return indexes.sort((a, b) => a - b);
}
