/**
 * `wt gtfo`: GTFOBins from the operator's side — the database itself (`--list`), a summary of
 * the GTFOBins use the ledger records (the default), and each alert as it is recorded
 * (`--monitor`).
 * @module
 */
import {
  type BinaryFacts,
  GTFO_TABLE,
  GtfoDetector,
  type GtfoTable,
  splitCommandLine,
} from "../core/gtfobins/mod.ts";
import { RISK_LEVELS } from "../core/intent.ts";
import type { LedgerEntry } from "../core/ledger/entry.ts";
import { followEntries } from "../core/ledger/reader.ts";
import { type FlagSpec, listFlag, parseArgs, type ParsedArgs, stringFlag, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { EXIT } from "./exit.ts";
import {
  bump,
  clean,
  type EntryFilter,
  type EntryView,
  FILTER_FLAGS,
  filterJson,
  jsonText,
  lastLedgerEntries,
  matchesFilter,
  noteSkipped,
  parseFilter,
  plural,
  renderTable,
  scanLedger,
  shortTime,
  sortedCounts,
  terminalSize,
  textWidth,
  truncate,
  verdictColour,
  verdictLabel,
  viewOf,
} from "./ledger_view.ts";
import { out, paint, useColour } from "./output.ts";
import { verdictColumns } from "./stats.ts";
import { parseCount, stopOnSignals, untilPipeCloses } from "./tail.ts";

/** The GTFOBins functions, as `--function` takes them. */
export const GTFO_FUNCTIONS = [
  "shell",
  "command",
  "reverse-shell",
  "bind-shell",
  "file-read",
  "file-write",
  "upload",
  "download",
  "library-load",
  "privilege-escalation",
] as const;

/** The contexts a function works in, as `--context` takes them. */
export const GTFO_CONTEXTS = ["unprivileged", "sudo", "suid", "capabilities"] as const;

/** Help text. */
export const GTFO_USAGE =
  `wt gtfo — GTFOBins: list the database, scan the ledger, or monitor it live

Usage:
  wt gtfo [--top N] [--json] [filters]                   summarise GTFOBins use in the ledger
  wt gtfo --list [--function F] [--context C] [--json]   the GTFOBins database
  wt gtfo --monitor [--since SEQ] [--once] [--json]      each alert as it is recorded

Scan (the default) reads every command and process decision in the ledger with the GTFOBins
alerts the guard recorded (annotations.gtfo_alerts; entries written without them are checked
now, from the command alone, without file checks) and prints alerts by binary (by risk and by
the decision's verdict), the most frequent flags, and the critical and high alerts.
  --top N        rows of the binaries and flags tables (default 10; --json lists every binary)
  --json         the summary as JSON
  --since T      at or after T: an ISO time (2024-01-15, 2024-01-15T10:30:00Z; UTC when no
                 offset is given) or a time ago: 30s, 15m, 1h, 2d, 1w, 1h30m
  --until T      at or before T (same forms)
  --verdict V    allow, shadow, redact, escalate, deny (the policy's verdict)
  --session S    context.session
  (--verdict and --session repeat or take a,b,c)

List prints one line per executable: its functions grouped by the contexts they work in
(unpriv, sudo, suid, caps), its aliases, and the binaries whose functions it can reach (git
pages through less); an alias reads "= PROGRAM".
  --function F   ${GTFO_FUNCTIONS.slice(0, 5).join(", ")},
                 ${GTFO_FUNCTIONS.slice(5).join(", ")}
  --context C    ${GTFO_CONTEXTS.join(", ")}
  --json         an array of {name, alias_of?, aliases?, functions, inherits}
With filters, an executable is listed when one of its own functions is one of F and works in
one of C (an alias when the program it names is); both repeat or take a,b,c.

Monitor prints each alert as it is recorded, until Ctrl-C or SIGTERM (exit 0): time (UTC), seq,
risk, binary, flags (function:what was seen), verdict (~ = observe mode, not enforced),
principal, command.
  --since SEQ    start after entry SEQ (0: from the beginning); default: only new entries
                 (with --once: every entry)
  --once         report what the ledger holds now, then exit
  --json         one alert per line: {seq, timestamp, alert, verdict, command}

Data: ${GTFO_TABLE.source}.`;

const SCAN_FLAGS = ["since", "until", "verdict", "session", "top"];
const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  list: { type: "boolean" },
  monitor: { type: "boolean" },
  once: { type: "boolean" },
  function: { type: "string", multiple: true },
  context: { type: "string", multiple: true },
  top: { type: "string" },
  since: FILTER_FLAGS.since,
  until: FILTER_FLAGS.until,
  verdict: FILTER_FLAGS.verdict,
  session: FILTER_FLAGS.session,
};
/** The flags each mode takes besides --help and --json. */
const MODE_FLAGS: Record<"list" | "monitor" | "scan", readonly string[]> = {
  list: ["list", "function", "context"],
  monitor: ["monitor", "since", "once"],
  scan: SCAN_FLAGS,
};

/** Runs `wt gtfo`. */
export async function runGtfo(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${GTFO_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw usage(`unexpected argument '${args.positionals[0]}'`);
  if (args.flags.list && args.flags.monitor) throw usage("--list and --monitor do not combine");
  const mode = args.flags.list ? "list" : args.flags.monitor ? "monitor" : "scan";
  for (const name of Object.keys(args.flags)) {
    if (name === "help" || name === "json" || MODE_FLAGS[mode].includes(name)) continue;
    const owner = MODE_FLAGS.list.includes(name) ? "--list" : "--monitor";
    throw usage(
      mode === "scan" ? `--${name} needs ${owner}` : `--${name} does not apply to --${mode}`,
    );
  }
  const json = args.flags.json === true;
  if (mode === "list") return runList(args, json);
  if (mode === "monitor") return await runMonitor(args, json);
  return runScan(args, json);
}

// ---------------------------------------------------------------------------------------------
// --list

/** Which executables `--list` shows: one of these functions, in one of these contexts. */
export interface TableFilter {
  functions?: ReadonlySet<string>;
  contexts?: ReadonlySet<string>;
}

/** Builds a table filter from `--function` and `--context` values; throws usage errors. */
export function parseTableFilter(
  options: { functions?: readonly string[]; contexts?: readonly string[] },
): TableFilter {
  const filter: TableFilter = {};
  const functions = splitList(options.functions);
  const contexts = splitList(options.contexts);
  for (
    const [flag, values, known] of [
      ["--function", functions, GTFO_FUNCTIONS],
      ["--context", contexts, GTFO_CONTEXTS],
    ] as const
  ) {
    const bad = values.find((value) => !(known as readonly string[]).includes(value));
    if (bad !== undefined) {
      throw usage(`${flag} must be one of ${known.join(", ")}; got '${clean(bad)}'`);
    }
  }
  if (functions.length > 0) filter.functions = new Set(functions);
  if (contexts.length > 0) filter.contexts = new Set(contexts);
  return filter;
}

/**
 * The executables of `table` that pass `filter`, in table order. An alias is judged by the
 * program it names; inherited functions do not count (they are only reachable through another
 * program's interface).
 *
 * @example
 * ```ts
 * import { GTFO_TABLE } from "../core/gtfobins/mod.ts";
 * import { listBinaries } from "./gtfo.ts";
 * import { ok } from "node:assert/strict";
 * const names = listBinaries(GTFO_TABLE, { functions: new Set(["shell"]) }).map(([n]) => n);
 * ok(names.includes("find") && !names.includes("7z"));
 * ```
 */
export function listBinaries(table: GtfoTable, filter: TableFilter): Array<[string, BinaryFacts]> {
  return Object.entries(table.binaries).filter(([, facts]) => {
    if (!filter.functions && !filter.contexts) return true;
    const own = facts.alias_of ? table.binaries[facts.alias_of] ?? facts : facts;
    return Object.entries(own.functions).some(([fn, f]) =>
      (!filter.functions || filter.functions.has(fn)) &&
      (!filter.contexts || f.contexts.some((context) => filter.contexts!.has(context)))
    );
  });
}

const CONTEXT_SHORT: Record<string, string> = {
  unprivileged: "unpriv",
  sudo: "sudo",
  suid: "suid",
  capabilities: "caps",
};

/**
 * One executable as a line: its name padded to `nameWidth`, its functions grouped by the
 * contexts they work in, its aliases and what it inherits.
 *
 * @example
 * ```ts
 * import { GTFO_TABLE } from "../core/gtfobins/mod.ts";
 * import { binaryLine } from "./gtfo.ts";
 * import { equal } from "node:assert/strict";
 * equal(binaryLine("c89", GTFO_TABLE.binaries.c89!), "c89  = gcc");
 * ```
 */
export function binaryLine(name: string, facts: BinaryFacts, nameWidth = 0): string {
  const parts = [name.padEnd(nameWidth)];
  if (facts.alias_of) parts.push(`= ${facts.alias_of}`);
  const groups = new Map<string, string[]>();
  for (const [fn, f] of Object.entries(facts.functions)) {
    const key = GTFO_CONTEXTS.filter((c) => f.contexts.includes(c))
      .map((c) => CONTEXT_SHORT[c]).join(",");
    groups.set(key, [...groups.get(key) ?? [], fn]);
  }
  for (const [contexts, fns] of groups) parts.push(`${fns.join(",")}[${contexts}]`);
  if (facts.aliases?.length) parts.push(`aliases: ${facts.aliases.join(",")}`);
  if (facts.inherits.length > 0) parts.push(`inherits: ${facts.inherits.join(",")}`);
  return clean(parts.join("  "));
}

/** One executable as `--list --json` prints it: its name and its table facts. */
export function binaryJson(name: string, facts: BinaryFacts): Record<string, unknown> {
  return {
    name,
    ...(facts.alias_of ? { alias_of: facts.alias_of } : {}),
    ...(facts.aliases ? { aliases: facts.aliases } : {}),
    functions: facts.functions,
    inherits: facts.inherits,
  };
}

function runList(args: ParsedArgs, json: boolean): number {
  const filter = parseTableFilter({
    functions: listFlag(args, "function"),
    contexts: listFlag(args, "context"),
  });
  const found = listBinaries(GTFO_TABLE, filter);
  if (json) {
    out(`${jsonText(found.map(([name, facts]) => binaryJson(name, facts)), 2)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(0, ...found.map(([name]) => textWidth(name)));
  const lines = found.map(([name, facts]) => binaryLine(name, facts, width));
  // The count and the credit only on a terminal: piped, every line is an executable.
  if (Deno.stdout.isTerminal()) lines.push(paint("dim", listFooter(found.length, GTFO_TABLE)));
  out(lines.length > 0 ? `${lines.join("\n")}\n` : "");
  return EXIT.ok;
}

/** The closing line of `--list` on a terminal. */
export function listFooter(shown: number, table: GtfoTable): string {
  return `${shown} of ${table.count} executables (data: ${table.source})`;
}

// ---------------------------------------------------------------------------------------------
// Alerts of ledger entries

/** An alert as read from an entry: the fields the views use, and the alert itself. */
export interface SeenAlert {
  binary: string;
  risk: string;
  flags: string[];
  /** The alert as stored (or as detected now). */
  alert: Record<string, unknown>;
}

/** The alerts of one command or process decision. */
export interface EntryAlerts {
  view: EntryView;
  /** The command as recorded (`target.command`, else the argv joined). */
  command: string;
  alerts: SeenAlert[];
  /** The entry had no `gtfo_alerts` annotation: the alerts were detected now. */
  detectedNow: boolean;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);
const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/**
 * The GTFOBins alerts of `entry` when it is a command or process decision (else undefined):
 * `annotations.gtfo_alerts` as recorded, or, for entries written without them, what `detector`
 * finds in `target.argv` (else the words of `target.command`) now.
 */
export function alertsOf(entry: LedgerEntry, detector: GtfoDetector): EntryAlerts | undefined {
  const view = viewOf(entry);
  if (view.kind !== "decision" || (view.domain !== "command" && view.domain !== "process")) {
    return undefined;
  }
  const data: Json = isObject(entry.data) ? entry.data : {};
  const intent: Json = isObject(data.intent) ? data.intent : {};
  const target: Json = isObject(intent.target) ? intent.target : {};
  const argv = isStrings(target.argv) ? target.argv : undefined;
  const command = typeof target.command === "string" ? target.command : argv?.join(" ") ?? "";
  const stored = isObject(entry.annotations) ? entry.annotations.gtfo_alerts : undefined;
  const detectedNow = !Array.isArray(stored);
  const raw: unknown[] = Array.isArray(stored) ? stored : detect(detector, target, argv);
  const alerts = raw.filter(isObject).map((alert) => ({
    binary: typeof alert.binary === "string" ? alert.binary : "?",
    risk: typeof alert.risk === "string" ? alert.risk : "?",
    flags: isStrings(alert.flags) ? alert.flags : [],
    alert,
  }));
  return { view, command, alerts, detectedNow };
}

function detect(detector: GtfoDetector, target: Json, argv: string[] | undefined): unknown[] {
  let env: Record<string, string> = {};
  if (argv === undefined) {
    if (typeof target.command !== "string") return [];
    ({ argv, env } = splitCommandLine(target.command));
  }
  if (isStrings(target.env)) {
    for (const pair of target.env) {
      const eq = pair.indexOf("=");
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return detector.detect({ argv, env });
}

const RISK_COLOUR: Record<string, Parameters<typeof paint>[0]> = {
  critical: "red",
  high: "yellow",
  medium: "cyan",
  low: "dim",
};

/**
 * One alert as a line: time, seq, risk, binary, flags, verdict, principal, command. With
 * `width`, the command (then the line) is shortened to fit.
 */
export function alertLine(found: EntryAlerts, alert: SeenAlert, width?: number): string {
  const { view } = found;
  const risk = clean(alert.risk.toUpperCase());
  const verdict = verdictLabel(view);
  const cells = [
    shortTime(view.timestamp),
    `#${view.seq}`.padStart(6),
    risk.padEnd(8),
    clean(alert.binary).padEnd(8),
    clean(alert.flags.join(",")) || "-",
    verdict.padEnd(9),
    clean(view.principal) || "?",
  ];
  let command = clean(found.command);
  const fixed = cells.join(" ");
  if (width !== undefined) command = truncate(command, Math.max(width - textWidth(fixed) - 2, 12));
  const line = `${fixed}  ${command}`;
  if (width !== undefined && textWidth(line) > width) return truncate(line, width);
  if (!useColour()) return line;
  // Colour after layout, cell by cell, so that escape codes neither count nor land in text.
  cells[0] = paint("dim", cells[0]!);
  cells[2] = paint(RISK_COLOUR[alert.risk] ?? "bold", cells[2]!);
  cells[5] = paint(verdictColour(view.verdict), cells[5]!);
  return `${cells.join(" ")}  ${command}`;
}

/** One alert as `--monitor --json` prints it. */
export function alertRecord(found: EntryAlerts, alert: SeenAlert): Record<string, unknown> {
  return {
    seq: found.view.seq,
    timestamp: found.view.timestamp,
    alert: alert.alert,
    verdict: found.view.verdict,
    command: found.command,
  };
}

// ---------------------------------------------------------------------------------------------
// Scan

/** GTFOBins use in a ledger, counted by {@link addToSummary}. */
export interface GtfoSummary {
  /** Command and process decisions that passed the filter. */
  decisions: number;
  /** Of those, how many have at least one alert. */
  flagged: number;
  alerts: number;
  /** Decisions recorded without alerts annotations, detected now. */
  detectedNow: number;
  byRisk: Map<string, number>;
  binaries: Map<
    string,
    { total: number; byRisk: Map<string, number>; byVerdict: Map<string, number> }
  >;
  flags: Map<string, number>;
  /** The critical and high alerts, in ledger order. */
  serious: Array<{ found: EntryAlerts; alert: SeenAlert }>;
}

/** An empty summary. */
export function newSummary(): GtfoSummary {
  return {
    decisions: 0,
    flagged: 0,
    alerts: 0,
    detectedNow: 0,
    byRisk: riskCounts(),
    binaries: new Map(),
    flags: new Map(),
    serious: [],
  };
}

function riskCounts(): Map<string, number> {
  return new Map(RISK_LEVELS.toReversed().map((level) => [level, 0]));
}

/** Counts `entry` in `summary` when it is a command or process decision that passes `filter`. */
export function addToSummary(
  summary: GtfoSummary,
  entry: LedgerEntry,
  options: { filter: EntryFilter; detector: GtfoDetector },
): void {
  const found = alertsOf(entry, options.detector);
  if (!found || !matchesFilter(found.view, options.filter)) return;
  summary.decisions++;
  if (found.detectedNow) summary.detectedNow++;
  if (found.alerts.length > 0) summary.flagged++;
  for (const alert of found.alerts) {
    summary.alerts++;
    bump(summary.byRisk, alert.risk);
    const row = summary.binaries.get(alert.binary) ??
      { total: 0, byRisk: riskCounts(), byVerdict: new Map<string, number>() };
    row.total++;
    bump(row.byRisk, alert.risk);
    bump(row.byVerdict, found.view.verdict || "?");
    summary.binaries.set(alert.binary, row);
    for (const flag of new Set(alert.flags)) bump(summary.flags, flag);
    if (alert.risk === "critical" || alert.risk === "high") summary.serious.push({ found, alert });
  }
}

/** The summary as `wt gtfo --json` prints it (every binary, the top `top` flags). */
export function summaryJson(summary: GtfoSummary, top: number): Record<string, unknown> {
  return {
    decisions: summary.decisions,
    flagged: summary.flagged,
    alerts: summary.alerts,
    detected_now: summary.detectedNow,
    by_risk: Object.fromEntries(summary.byRisk),
    binaries: ranked(summary.binaries).map(([binary, row]) => ({
      binary,
      total: row.total,
      by_risk: Object.fromEntries(row.byRisk),
      by_verdict: sortedCounts(row.byVerdict),
    })),
    top_flags: Object.entries(sortedCounts(summary.flags)).slice(0, top)
      .map(([flag, count]) => ({ flag, count })),
    critical_and_high: summary.serious.map(({ found, alert }) => ({
      seq: found.view.seq,
      timestamp: found.view.timestamp,
      principal: found.view.principal,
      binary: alert.binary,
      risk: alert.risk,
      flags: alert.flags,
      verdict: found.view.verdict,
      mode: found.view.mode,
      command: found.command,
    })),
  };
}

/** How many critical and high alerts the text summary shows (the latest); --json has all. */
const SERIOUS_SHOWN = 20;

/** The summary as text: totals, then tables of binaries and flags, then the serious alerts. */
export function summaryText(summary: GtfoSummary, top: number, width?: number): string[] {
  const risks = [...summary.byRisk].map(([risk, n]) => `${n} ${clean(risk)}`).join(", ");
  const lines = [
    `${
      plural(summary.decisions, "command or process decision", "command and process decisions")
    }, ${summary.flagged} with GTFOBins alerts (${plural(summary.alerts, "alert")}: ${risks})`,
  ];
  if (summary.detectedNow > 0) {
    lines.push(
      `${
        plural(summary.detectedNow, "decision")
      } recorded without alerts were checked now (without file checks)`,
    );
  }
  if (summary.alerts === 0) return lines;
  const inner = width === undefined ? undefined : width - 2;
  const rows = ranked(summary.binaries);
  const allVerdicts = new Map(
    rows.flatMap(([, row]) => [...row.byVerdict.keys()].map((v) => [v, 1])),
  );
  const verdicts = verdictColumns(allVerdicts).filter((verdict) => allVerdicts.has(verdict));
  const riskColumns = [...summary.byRisk.keys()];
  lines.push("", paint("bold", `Binaries (${Math.min(top, rows.length)} of ${rows.length})`));
  const table = renderTable(
    [
      { header: "binary", flex: true },
      { header: "alerts", align: "right" },
      ...riskColumns.map((risk) => ({
        header: clean(risk),
        align: "right" as const,
        colour: (cell: string) => cell === "0" ? undefined : RISK_COLOUR[risk],
      })),
      ...verdicts.map((verdict) => ({
        header: clean(verdict),
        align: "right" as const,
        colour: (cell: string) => cell === "0" ? undefined : verdictColour(verdict),
      })),
    ],
    rows.slice(0, top).map(([binary, row]) => [
      clean(binary),
      String(row.total),
      ...riskColumns.map((risk) => String(row.byRisk.get(risk) ?? 0)),
      ...verdicts.map((verdict) => String(row.byVerdict.get(verdict) ?? 0)),
    ]),
    inner,
  );
  lines.push(...table.map((line) => `  ${line}`));
  const flags = Object.entries(sortedCounts(summary.flags));
  lines.push("", paint("bold", `Top flags (${Math.min(top, flags.length)} of ${flags.length})`));
  const flagTable = renderTable(
    [{ header: "alerts", align: "right" }, { header: "flag", flex: true }],
    flags.slice(0, top).map(([flag, count]) => [String(count), clean(flag)]),
    inner,
  );
  lines.push(...flagTable.map((line) => `  ${line}`));
  const serious = summary.serious;
  const shown = serious.slice(-SERIOUS_SHOWN);
  lines.push(
    "",
    paint(
      "bold",
      `Critical and high alerts (${
        serious.length > shown.length ? `the last ${shown.length} of ` : ""
      }${serious.length})`,
    ),
  );
  if (serious.length === 0) lines.push("  none");
  for (const { found, alert } of shown) lines.push(`  ${alertLine(found, alert, inner)}`);
  return lines;
}

function ranked<T extends { total: number }>(rows: ReadonlyMap<string, T>): Array<[string, T]> {
  return [...rows].sort((a, b) =>
    b[1].total - a[1].total || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
  );
}

function runScan(args: ParsedArgs, json: boolean): number {
  const top = parseCount(stringFlag(args, "top"), 10, "--top");
  const filter = parseFilter({
    since: stringFlag(args, "since"),
    until: stringFlag(args, "until"),
    verdict: listFlag(args, "verdict"),
    session: listFlag(args, "session"),
  }, Date.now());
  const options = { filter, detector: new GtfoDetector(GTFO_TABLE) };
  const summary = newSummary();
  const skipped = scanLedger(
    cliEnvironment().stateDir,
    (entry) => addToSummary(summary, entry, options),
  );
  noteSkipped("gtfo", skipped);
  if (json) {
    const { domains: _, ...covered } = filterJson(filter);
    const value = { filter: covered, ...summaryJson(summary, top), skipped_lines: skipped };
    out(`${jsonText(value, 2)}\n`);
  } else {
    out(`${summaryText(summary, top, terminalSize()?.columns).join("\n")}\n`);
  }
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------
// --monitor

async function runMonitor(args: ParsedArgs, json: boolean): Promise<number> {
  const since = stringFlag(args, "since");
  const { stateDir } = cliEnvironment();
  const afterSeq = since !== undefined
    ? parseCount(since, 0, "--since")
    : args.flags.once
    ? 0
    : lastLedgerEntries(stateDir, 1).entries.at(-1)?.seq ?? 0;
  const detector = new GtfoDetector(GTFO_TABLE);
  const report = (entry: LedgerEntry) => {
    if (entry.seq <= afterSeq) return;
    const found = alertsOf(entry, detector);
    if (!found) return;
    out(
      found.alerts.map((alert) =>
        json
          ? `${jsonText(alertRecord(found, alert))}\n`
          : `${alertLine(found, alert, terminalSize()?.columns)}\n`
      ).join(""),
    );
  };
  return await untilPipeCloses(async () => {
    if (args.flags.once) {
      noteSkipped("gtfo", scanLedger(stateDir, report));
      return;
    }
    const stop = stopOnSignals();
    try {
      for await (const entry of followEntries(stateDir, { afterSeq, signal: stop.signal })) {
        report(entry);
      }
    } finally {
      stop.dispose();
    }
  });
}

function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(",")).map((value) => value.trim())
    .filter(Boolean);
}
