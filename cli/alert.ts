/**
 * `wt alert`: reports every filesystem mutation recorded in the ledger as it is appended, and
 * optionally hands each to a command.
 * @module
 */
import type { LedgerEntry } from "../core/ledger/entry.ts";
import { followEntries } from "../core/ledger/reader.ts";
import { type FlagSpec, parseArgs, stringFlag, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { EXIT } from "./exit.ts";
import {
  entryLine,
  type EntryView,
  isFilesystemMutation,
  jsonText,
  lastLedgerEntries,
  noteSkipped,
  scanLedger,
  terminalSize,
  viewOf,
} from "./ledger_view.ts";
import { err, out } from "./output.ts";
import { parseCount, stopOnSignals, untilPipeCloses } from "./tail.ts";

/** Help text. */
export const ALERT_USAGE = `wt alert — report filesystem mutations as they are recorded

Usage: wt alert [--since SEQ] [--once] [--json] [--exec CMD]

  --since SEQ   start after entry SEQ (0: from the beginning); default: only new entries
                (with --once: every entry)
  --once        report what the ledger holds now, then exit
  --json        one entry per line as JSON (JSONL), exactly as stored
  --exec CMD    run sh -c CMD for each alert, one at a time, with the entry as JSON on its
                stdin and WT_ALERT_SEQ, WT_ALERT_OPERATION, WT_ALERT_PATH, WT_ALERT_VERDICT and
                WT_ALERT_PRINCIPAL in its environment; a failing CMD is reported on stderr.
                Needs permission to run sh (the 'wt' permission set gives it); without it,
                pipe instead: wt alert --json | while read -r entry; do …; done

A mutation is a filesystem decision whose operation is not read, list, stat or search, whatever
its verdict. Follows until Ctrl-C or SIGTERM (exit 0).`;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  once: { type: "boolean" },
  since: { type: "string" },
  exec: { type: "string" },
};

/** The environment an `--exec` command gets for one alert. */
export function alertEnv(view: EntryView): Record<string, string> {
  return {
    WT_ALERT_SEQ: String(view.seq),
    WT_ALERT_OPERATION: view.operation,
    WT_ALERT_PATH: view.resource,
    WT_ALERT_VERDICT: view.verdict,
    WT_ALERT_PRINCIPAL: view.principal,
  };
}

/** Runs `wt alert`. */
export async function runAlert(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${ALERT_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw usage(`unexpected argument '${args.positionals[0]}'`);
  const command = stringFlag(args, "exec");
  if (command === undefined) {
    // Only --exec runs anything: give the permission up for the rest of this process.
    Deno.permissions.revokeSync({ name: "run" });
  } else if (!mayRunShell()) {
    err(
      "wt alert: Cannot use --exec: this wt may not run sh (start it with the 'wt' permission set, or --allow-run=sh); or pipe wt alert --json into your handler",
    );
    return EXIT.config;
  }
  const since = stringFlag(args, "since");
  const { stateDir } = cliEnvironment();
  const afterSeq = since !== undefined
    ? parseCount(since, 0, "--since")
    : args.flags.once
    ? 0
    : lastLedgerEntries(stateDir, 1).entries.at(-1)?.seq ?? 0;
  const json = args.flags.json === true;
  const report = async (entry: LedgerEntry) => {
    const view = viewOf(entry);
    if (view.seq <= afterSeq || !isFilesystemMutation(view)) return;
    out(json ? `${jsonText(entry)}\n` : `${entryLine(view, terminalSize()?.columns)}\n`);
    if (command !== undefined) await runHandler(command, entry, view);
  };
  return await untilPipeCloses(async () => {
    if (args.flags.once) {
      const found: LedgerEntry[] = [];
      noteSkipped("alert", scanLedger(stateDir, (entry) => found.push(entry)));
      for (const entry of found) await report(entry);
      return;
    }
    const stop = stopOnSignals();
    try {
      for await (const entry of followEntries(stateDir, { afterSeq, signal: stop.signal })) {
        await report(entry);
      }
    } finally {
      stop.dispose();
    }
  });
}

function mayRunShell(): boolean {
  try {
    // `sh` as found on PATH, as the permission set names it (`/bin/sh` may be another path).
    return Deno.permissions.querySync({ name: "run", command: "sh" }).state === "granted";
  } catch {
    return false;
  }
}

async function runHandler(command: string, entry: LedgerEntry, view: EntryView): Promise<void> {
  try {
    const child = new Deno.Command("sh", {
      args: ["-c", command],
      env: alertEnv(view),
      stdin: "piped",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    const writer = child.stdin.getWriter();
    try {
      await writer.write(new TextEncoder().encode(`${JSON.stringify(entry)}\n`));
      await writer.close();
    } catch {
      // The handler need not read its stdin.
    }
    const status = await child.status;
    if (!status.success) {
      err(`wt alert: --exec command exited with ${status.code} for seq ${view.seq}`);
    }
  } catch (error) {
    err(
      `wt alert: Cannot run --exec command for seq ${view.seq}: ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
}
