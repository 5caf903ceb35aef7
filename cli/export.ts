/**
 * `wt export`: the ledger (or the entries passing filters) as a JSON array, JSON Lines, CSV or
 * OCSF events (core/telemetry/ocsf.ts), to stdout or to a file written whole or not at all
 * (temporary file, then rename).
 * @module
 */
import type { LedgerEntry } from "../core/ledger/entry.ts";
// The OCSF mapping and the host name are their own modules, not core/telemetry/mod.ts: that
// entry sits on every decision's path and must stay free of them.
import { hostName } from "../core/telemetry/host.ts";
import { OCSF_VERSION, ocsfEvent } from "../core/telemetry/ocsf.ts";
import { type FlagSpec, listFlag, parseArgs, stringFlag, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { EXIT } from "./exit.ts";
import {
  type EntryView,
  FILTER_FLAGS,
  FILTER_HELP,
  jsonText,
  matchesFilter,
  noteSkipped,
  parseFilter,
  plural,
  scanLedger,
  viewOf,
} from "./ledger_view.ts";
import { err, out } from "./output.ts";
import { VERSION } from "./version.ts";

/** The CSV header, in order. */
export const CSV_COLUMNS = [
  "seq",
  "timestamp",
  "principal",
  "purpose",
  "domain",
  "operation",
  "resource",
  "verdict",
  "reason",
  "risk_score",
  "risk_level",
  "matched_rules",
  "session",
  "hash",
] as const;

/** Help text. */
export const EXPORT_USAGE = `wt export — export the ledger as JSON, JSON Lines, CSV or OCSF

Usage: wt export [FILE] [--format json|jsonl|csv|ocsf] [--force] [filters]

  FILE       where to write; '-' or none: stdout. An existing FILE is kept unless --force.
  --format   json: a pretty JSON array of entries as stored (default; also for FILE.json)
             jsonl: one entry per line as stored (default for FILE.jsonl)
             csv: one row per entry (default for FILE.csv) with the columns seq,timestamp,
             principal,purpose,domain,operation,resource,verdict,reason,risk_score,risk_level,
             matched_rules (separated by ;),session,hash,
             quoted as RFC 4180 says; cells starting with = + - @ tab or CR get a leading '
             so that spreadsheets do not run them as formulas. Events have domain 'event',
             their type as operation and their fields as resource.
             ocsf: one OCSF ${OCSF_VERSION} event per line, for SIEMs (default for FILE.ocsf.jsonl):
             decisions as API Activity (6003) with action and disposition, program runs as
             Process Activity (1007), other events as Base Event (0); docs/telemetry.md
  --force    replace an existing FILE

${FILTER_HELP}`;

const FLAGS: Record<string, FlagSpec> = {
  ...FILTER_FLAGS,
  help: { type: "boolean", short: "h" },
  format: { type: "string" },
  force: { type: "boolean" },
};

const FORMATS = ["json", "jsonl", "csv", "ocsf"] as const;
type Format = typeof FORMATS[number];

/**
 * One CSV cell: text that a spreadsheet would run as a formula gets a leading `'`, then the
 * cell is quoted when it holds a quote, comma or line break (RFC 4180).
 *
 * @example
 * ```ts
 * import { csvCell } from "./export.ts";
 * import { equal } from "node:assert/strict";
 * equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
 * equal(csvCell("-0.5"), "-0.5");
 * ```
 */
export function csvCell(value: string | number | undefined): string {
  let text = value === undefined ? "" : String(value);
  // A plain number is data in every spreadsheet; anything else starting so may be a formula.
  if (/^[=+\-@\t\r]/.test(text) && !/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) {
    text = `'${text}`;
  }
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The CSV row (without line end) for an entry. */
export function csvRow(view: EntryView): string {
  const event = view.kind === "event";
  const cells: Record<typeof CSV_COLUMNS[number], string | number | undefined> = {
    seq: view.seq,
    timestamp: view.timestamp,
    principal: view.principal,
    purpose: view.purpose,
    domain: event ? "event" : view.domain,
    operation: event ? view.event : view.operation,
    resource: view.resource,
    verdict: view.verdict,
    reason: view.reason,
    risk_score: view.risk_score,
    risk_level: view.risk_level,
    matched_rules: view.matched_rules.join(";"),
    session: view.session,
    hash: view.hash,
  };
  return CSV_COLUMNS.map((column) => csvCell(cells[column])).join(",");
}

/** Turns entries into the text of one format, piece by piece. */
export interface Encoder {
  start: string;
  entry(entry: LedgerEntry, index: number): string;
  end(count: number): string;
}

/** The encoder for `format`. */
export function encoderFor(format: Format): Encoder {
  switch (format) {
    case "json":
      return {
        start: "[",
        entry: (entry, index) => `${index === 0 ? "\n" : ",\n"}${indent(jsonText(entry, 2))}`,
        end: (count) => count === 0 ? "]\n" : "\n]\n",
      };
    case "jsonl":
      return { start: "", entry: (entry) => `${jsonText(entry)}\n`, end: () => "" };
    case "csv":
      return {
        start: `${CSV_COLUMNS.join(",")}\r\n`,
        entry: (entry) => `${csvRow(viewOf(entry))}\r\n`,
        end: () => "",
      };
    case "ocsf": {
      // One event per line, like jsonl, so that log shippers can tail the file.
      const options = { version: VERSION, host: hostName() };
      return {
        start: "",
        entry: (entry) => `${JSON.stringify(ocsfEvent(entry, options))}\n`,
        end: () => "",
      };
    }
  }
}

function indent(text: string): string {
  return text.split("\n").map((line) => `  ${line}`).join("\n");
}

/** Runs `wt export`. */
export function runExport(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${EXPORT_USAGE}\n`);
    return Promise.resolve(EXIT.ok);
  }
  if (args.positionals.length > 1) throw usage(`unexpected argument '${args.positionals[1]}'`);
  const file = args.positionals[0] === "-" ? undefined : args.positionals[0];
  const format = formatOf(stringFlag(args, "format"), file);
  const filter = parseFilter({
    since: stringFlag(args, "since"),
    until: stringFlag(args, "until"),
    domain: listFlag(args, "domain"),
    verdict: listFlag(args, "verdict"),
    session: listFlag(args, "session"),
  }, Date.now());
  if (file !== undefined && !args.flags.force && exists(file)) {
    err(`wt export: Cannot export to ${file}: it exists; use --force to replace it`);
    return Promise.resolve(EXIT.config);
  }
  let sink: Sink;
  try {
    sink = file === undefined ? new Sink(out) : FileSink.open(file);
  } catch (error) {
    err(`wt export: Cannot write ${file}: ${error instanceof Error ? error.message : error}`);
    return Promise.resolve(EXIT.config);
  }
  const encoder = encoderFor(format);
  let count = 0;
  try {
    sink.write(encoder.start);
    const skipped = scanLedger(cliEnvironment().stateDir, (entry) => {
      if (matchesFilter(viewOf(entry), filter)) sink.write(encoder.entry(entry, count++));
    });
    sink.write(encoder.end(count));
    sink.flush();
    if (sink instanceof FileSink) {
      if (!sink.commit(args.flags.force === true)) {
        err(
          `wt export: Cannot export to ${file}: it appeared while exporting; use --force to replace it`,
        );
        return Promise.resolve(EXIT.config);
      }
      err(`wt export: wrote ${plural(count, "entry", "entries")} to ${file} (${format})`);
    }
    noteSkipped("export", skipped);
  } catch (error) {
    if (sink instanceof FileSink) sink.abandon();
    if (error instanceof Deno.errors.BrokenPipe) return Promise.resolve(EXIT.ok);
    throw error;
  }
  return Promise.resolve(EXIT.ok);
}

function formatOf(flag: string | undefined, file: string | undefined): Format {
  if (flag !== undefined) {
    if (!(FORMATS as readonly string[]).includes(flag)) {
      throw usage(`--format must be one of ${FORMATS.join(", ")}, got '${flag}'`);
    }
    return flag as Format;
  }
  if (file?.toLowerCase().endsWith(".ocsf.jsonl")) return "ocsf";
  const extension = file?.toLowerCase().match(/\.(jsonl|csv)$/)?.[1];
  return (extension as Format | undefined) ?? "json";
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Collects text and writes it in large pieces. */
class Sink {
  #parts: string[] = [];
  #size = 0;
  constructor(readonly emit: (text: string) => void) {}

  write(text: string): void {
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= 1 << 16) this.flush();
  }

  flush(): void {
    if (this.#parts.length > 0) this.emit(this.#parts.join(""));
    this.#parts = [];
    this.#size = 0;
  }
}

const encoder = new TextEncoder();

/** A sink into a temporary file beside the target, renamed over it by {@link commit}. */
class FileSink extends Sink {
  private constructor(
    readonly handle: Deno.FsFile,
    readonly temp: string,
    readonly target: string,
  ) {
    super((text) => {
      const bytes = encoder.encode(text);
      let offset = 0;
      while (offset < bytes.length) offset += handle.writeSync(bytes.subarray(offset));
    });
  }

  static open(target: string): FileSink {
    const slash = target.lastIndexOf("/");
    const dir = slash < 0 ? "." : target.slice(0, slash + 1);
    const base = target.slice(slash + 1);
    const temp = `${dir}${slash < 0 ? "/" : ""}.${base}.tmp-${Deno.pid}-${
      crypto.randomUUID().slice(0, 8)
    }`;
    // An audit export is private by default, like the ledger it comes from.
    const handle = Deno.openSync(temp, { write: true, createNew: true, mode: 0o600 });
    return new FileSink(handle, temp, target);
  }

  /** Syncs and moves the file into place; false when `target` appeared and may not be replaced. */
  commit(force: boolean): boolean {
    this.handle.syncSync();
    this.handle.close();
    if (force) {
      Deno.renameSync(this.temp, this.target);
      return true;
    }
    // A hard link fails if the target exists, so a file created meanwhile is never replaced.
    try {
      Deno.linkSync(this.temp, this.target);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        Deno.removeSync(this.temp);
        return false;
      }
      // Some file systems have no hard links: fall back to a check and a rename.
      if (exists(this.target)) {
        Deno.removeSync(this.temp);
        return false;
      }
      Deno.renameSync(this.temp, this.target);
      return true;
    }
    Deno.removeSync(this.temp);
    return true;
  }

  /** Closes and removes the temporary file after a failure. */
  abandon(): void {
    try {
      this.handle.close();
    } catch {
      // already closed
    }
    try {
      Deno.removeSync(this.temp);
    } catch {
      // never created or already gone
    }
  }
}
