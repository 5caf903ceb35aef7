/**
 * `wt report`: a frequency report — the commands run most, the targets denied most, and
 * verdicts per principal and per session.
 * @module
 */
import type { LedgerEntry } from "../core/ledger/entry.ts";
import { type FlagSpec, listFlag, parseArgs, stringFlag, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { EXIT } from "./exit.ts";
import {
  bump,
  clean,
  type EntryFilter,
  FILTER_FLAGS,
  FILTER_HELP,
  filterJson,
  matchesFilter,
  noteSkipped,
  parseFilter,
  plural,
  renderTable,
  scanLedger,
  shortTime,
  sortedCounts,
  terminalSize,
  verdictColour,
  viewOf,
} from "./ledger_view.ts";
import { out, paint, printJson } from "./output.ts";
import { verdictColumns } from "./stats.ts";
import { parseCount } from "./tail.ts";

/** Help text. */
export const REPORT_USAGE = `wt report — usage frequency report

Usage: wt report [--top N] [--json] [filters]

  --top N   rows per section (default 10)
  --json    the report as JSON

Sections: top commands (command-domain decisions), top denied targets (deny or escalate),
verdicts per principal, verdicts per session (context.session).

${FILTER_HELP}`;

const FLAGS: Record<string, FlagSpec> = {
  ...FILTER_FLAGS,
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  top: { type: "string" },
};

/** A name with its count and counts by verdict. */
export interface Ranked {
  name: string;
  count: number;
  by_verdict: Record<string, number>;
  first: string;
  last: string;
}

/** Counts per name (a command, a target, a principal, a session), with verdicts and times. */
export class Ranking {
  readonly #rows = new Map<
    string,
    { count: number; verdicts: Map<string, number>; first: string; last: string }
  >();

  /** Counts one decision for `name`. */
  add(name: string, verdict: string, timestamp: string): void {
    const row = this.#rows.get(name) ??
      { count: 0, verdicts: new Map<string, number>(), first: timestamp, last: timestamp };
    row.count++;
    row.last = timestamp;
    bump(row.verdicts, verdict || "?");
    this.#rows.set(name, row);
  }

  /** The `n` names counted most (ties by name). */
  top(n: number): Ranked[] {
    return [...this.#rows]
      .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, n)
      .map(([name, row]) => ({
        name,
        count: row.count,
        by_verdict: sortedCounts(row.verdicts),
        first: row.first,
        last: row.last,
      }));
  }

  /** How many names were counted. */
  get size(): number {
    return this.#rows.size;
  }
}

/** The report's data. */
export interface Report {
  total: number;
  decisions: number;
  commands: Ranking;
  denied: Ranking;
  principals: Ranking;
  sessions: Ranking;
}

/** An empty report. */
export function newReport(): Report {
  return {
    total: 0,
    decisions: 0,
    commands: new Ranking(),
    denied: new Ranking(),
    principals: new Ranking(),
    sessions: new Ranking(),
  };
}

/** Counts `entry` in `report` when it passes `filter`. */
export function addToReport(report: Report, entry: LedgerEntry, filter: EntryFilter): void {
  const view = viewOf(entry);
  if (!matchesFilter(view, filter)) return;
  report.total++;
  if (view.kind !== "decision") return;
  report.decisions++;
  const { verdict, timestamp } = view;
  if (view.domain === "command") report.commands.add(view.resource, verdict, timestamp);
  if (verdict === "deny" || verdict === "escalate") {
    // Keyed as JSON so that the domain and resource come apart again whatever they contain.
    report.denied.add(JSON.stringify([view.domain, view.resource]), verdict, timestamp);
  }
  report.principals.add(view.principal || "?", verdict, timestamp);
  report.sessions.add(view.session || "(none)", verdict, timestamp);
}

/** Runs `wt report`. */
export function runReport(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${REPORT_USAGE}\n`);
    return Promise.resolve(EXIT.ok);
  }
  if (args.positionals.length > 0) throw usage(`unexpected argument '${args.positionals[0]}'`);
  const top = parseCount(stringFlag(args, "top"), 10, "--top");
  const filter = parseFilter({
    since: stringFlag(args, "since"),
    until: stringFlag(args, "until"),
    domain: listFlag(args, "domain"),
    verdict: listFlag(args, "verdict"),
    session: listFlag(args, "session"),
  }, Date.now());
  const report = newReport();
  const skipped = scanLedger(
    cliEnvironment().stateDir,
    (entry) => addToReport(report, entry, filter),
  );
  noteSkipped("report", skipped);
  if (args.flags.json) {
    const denied = report.denied.top(top).map(({ name, ...rest }) => {
      const [domain, resource] = deniedTarget(name);
      return { domain, resource, ...rest };
    });
    printJson({
      filter: filterJson(filter),
      total: report.total,
      decisions: report.decisions,
      top_commands: report.commands.top(top).map(({ name, ...rest }) => ({
        command: name,
        ...rest,
      })),
      top_denied: denied,
      principals: report.principals.top(top).map(({ name, ...rest }) => ({
        principal: name,
        ...rest,
      })),
      sessions: report.sessions.top(top).map(({ name, ...rest }) => ({ session: name, ...rest })),
      skipped_lines: skipped,
    });
    return Promise.resolve(EXIT.ok);
  }
  out(`${reportText(report, top, terminalSize()?.columns).join("\n")}\n`);
  return Promise.resolve(EXIT.ok);
}

/** The report as text: one table per section. */
export function reportText(report: Report, top: number, width?: number): string[] {
  const lines = [
    `${plural(report.total, "entry", "entries")}, ${plural(report.decisions, "decision")}`,
  ];
  const section = (
    title: string,
    ranking: Ranking,
    label: string,
    show: (name: string) => string = (name) => name,
  ) => {
    lines.push("", paint("bold", `${title} (${Math.min(top, ranking.size)} of ${ranking.size})`));
    if (ranking.size === 0) {
      lines.push("  none");
      return;
    }
    const rows = ranking.top(top);
    // Only the verdicts that occur in the section, in order of restrictiveness.
    const present = new Map(rows.flatMap((row) => Object.keys(row.by_verdict).map((v) => [v, 1])));
    const verdicts = verdictColumns(present).filter((verdict) => present.has(verdict));
    const table = renderTable(
      [
        { header: "count", align: "right" },
        ...verdicts.map((verdict) => ({
          header: clean(verdict),
          align: "right" as const,
          colour: (cell: string) => cell === "0" ? undefined : verdictColour(verdict),
        })),
        { header: "last", align: "left" },
        { header: label, flex: true },
      ],
      rows.map((row) => [
        String(row.count),
        ...verdicts.map((verdict) => String(row.by_verdict[verdict] ?? 0)),
        shortTime(row.last),
        clean(show(row.name)),
      ]),
      width === undefined ? undefined : width - 2,
    );
    lines.push(...table.map((line) => `  ${line}`));
  };
  section("Top commands", report.commands, "command");
  section(
    "Top denied targets",
    report.denied,
    "domain and resource",
    (name) => deniedTarget(name).join(" "),
  );
  section("Principals", report.principals, "principal");
  section("Sessions", report.sessions, "session");
  return lines;
}

/** The domain and resource of a denied-target key. */
export function deniedTarget(key: string): [string, string] {
  const [domain, resource] = JSON.parse(key) as [string, string];
  return [domain, resource];
}
