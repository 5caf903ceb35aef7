/**
 * `wt tail`: the last entries of the ledger, one line each, and with `-f` the entries appended
 * after them until interrupted.
 * @module
 */
import type { LedgerEntry } from "../core/ledger/entry.ts";
import { followEntries } from "../core/ledger/reader.ts";
import { type FlagSpec, parseArgs, stringFlag, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { EXIT } from "./exit.ts";
import {
  entryLine,
  jsonText,
  lastLedgerEntries,
  noteSkipped,
  terminalSize,
  viewOf,
} from "./ledger_view.ts";
import { out } from "./output.ts";

/** Help text. */
export const TAIL_USAGE = `wt tail — the last ledger entries, one line each

Usage: wt tail [-n N] [-f|--follow] [--json]

  -n, --lines N   how many entries (default 10; 0 with -f shows only new ones)
  -f, --follow    keep printing entries as they are appended, until Ctrl-C or SIGTERM
  --json          one entry per line as JSON (JSONL), exactly as stored

Columns: time (UTC), seq, verdict (~ = observe mode, not enforced), domain, operation,
resource, principal, matched rules (or the reason). Unreadable lines are skipped and counted on
stderr; wt verify checks the ledger.`;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  lines: { type: "string", short: "n" },
  follow: { type: "boolean", short: "f" },
};

/** Reads a count flag or operand: a non-negative integer. */
export function parseCount(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text)) throw usage(`${name} takes a whole number, got '${text}'`);
  return Number(text);
}

/** Runs `wt tail`. */
export async function runTail(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${TAIL_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw usage(`unexpected argument '${args.positionals[0]}'`);
  const count = parseCount(stringFlag(args, "lines"), 10, "-n");
  const json = args.flags.json === true;
  const { stateDir } = cliEnvironment();
  const { entries, skipped } = lastLedgerEntries(stateDir, count);
  noteSkipped("tail", skipped);
  const print = (entry: LedgerEntry) =>
    json ? `${jsonText(entry)}\n` : `${entryLine(viewOf(entry), terminalSize()?.columns)}\n`;
  // Listen before printing, so that a signal sent once output appears ends the command cleanly.
  const stop = args.flags.follow ? stopOnSignals() : undefined;
  return await untilPipeCloses(async () => {
    try {
      out(entries.map(print).join(""));
      if (!stop) return;
      const afterSeq = entries.at(-1)?.seq ?? lastSeqOf(stateDir);
      for await (const entry of followEntries(stateDir, { afterSeq, signal: stop.signal })) {
        out(print(entry));
      }
    } finally {
      stop?.dispose();
    }
  });
}

function lastSeqOf(stateDir: string): number {
  // With -n 0 nothing was printed: start after the entry that is last now.
  return lastLedgerEntries(stateDir, 1).entries.at(-1)?.seq ?? 0;
}

/**
 * An abort signal raised by SIGINT or SIGTERM, so that following ends cleanly (exit 0);
 * `dispose` removes the listeners.
 */
export function stopOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const name of signals) Deno.addSignalListener(name, stop);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const name of signals) Deno.removeSignalListener(name, stop);
    },
  };
}

/** Runs `body`; a reader that went away (`wt tail -f | head`) ends the command with 0. */
export async function untilPipeCloses(body: () => Promise<void>): Promise<number> {
  try {
    await body();
  } catch (error) {
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
  }
  return EXIT.ok;
}
