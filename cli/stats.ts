/**
 * `wt stats`: how much the ledger holds — entries by domain and verdict, events by type, and
 * the time span they cover.
 * @module
 */
import { VERDICTS } from "../core/intent.ts";
import type { LedgerEntry } from "../core/ledger/entry.ts";
import { type FlagSpec, parseArgs, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { EXIT } from "./exit.ts";
import {
  bump,
  clean,
  noteSkipped,
  plural,
  renderTable,
  scanLedger,
  shortTime,
  sortedCounts,
  terminalSize,
  verdictColour,
  viewOf,
} from "./ledger_view.ts";
import { out, printJson } from "./output.ts";

/** Help text. */
export const STATS_USAGE = `wt stats — ledger statistics by domain and verdict

Usage: wt stats [--json]

  --json   the counts as JSON: total, decisions, events, first, last, by_domain, by_verdict,
           by_domain_verdict, by_mode, events_by_type, skipped_lines

Verdicts are the policy's (in observe mode: what it would have enforced). An empty or missing
ledger has zero counts.`;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
};

/** Running counts over ledger entries (also the base of `wt watch`). */
export class LedgerTally {
  total = 0;
  decisions = 0;
  events = 0;
  first: string | undefined;
  last: string | undefined;
  lastSeq = 0;
  readonly byDomain = new Map<string, number>();
  readonly byVerdict = new Map<string, number>();
  readonly byDomainVerdict = new Map<string, Map<string, number>>();
  readonly byMode = new Map<string, number>();
  readonly eventsByType = new Map<string, number>();

  /** Counts one entry. */
  add(entry: LedgerEntry): void {
    const view = viewOf(entry);
    this.total++;
    this.first ??= view.timestamp;
    this.last = view.timestamp;
    this.lastSeq = view.seq;
    if (view.kind === "event") {
      this.events++;
      bump(this.eventsByType, view.event);
      return;
    }
    if (view.kind !== "decision") return;
    this.decisions++;
    const domain = view.domain || "?";
    const verdict = view.verdict || "?";
    bump(this.byDomain, domain);
    bump(this.byVerdict, verdict);
    bump(this.byMode, view.mode || "?");
    const row = this.byDomainVerdict.get(domain) ?? new Map<string, number>();
    bump(row, verdict);
    this.byDomainVerdict.set(domain, row);
  }

  /** The counts as plain JSON. */
  toJSON(): Record<string, unknown> {
    return {
      total: this.total,
      decisions: this.decisions,
      events: this.events,
      first: this.first ?? null,
      last: this.last ?? null,
      last_seq: this.lastSeq,
      by_domain: sortedCounts(this.byDomain),
      by_verdict: sortedCounts(this.byVerdict),
      by_domain_verdict: Object.fromEntries(
        Object.keys(sortedCounts(this.byDomain)).map((domain) => [
          domain,
          sortedCounts(this.byDomainVerdict.get(domain)!),
        ]),
      ),
      by_mode: sortedCounts(this.byMode),
      events_by_type: sortedCounts(this.eventsByType),
    };
  }
}

/** Runs `wt stats`. */
export function runStats(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${STATS_USAGE}\n`);
    return Promise.resolve(EXIT.ok);
  }
  if (args.positionals.length > 0) throw usage(`unexpected argument '${args.positionals[0]}'`);
  const { stateDir } = cliEnvironment();
  const tally = new LedgerTally();
  const skipped = scanLedger(stateDir, (entry) => tally.add(entry));
  noteSkipped("stats", skipped);
  if (args.flags.json) printJson({ ...tally.toJSON(), skipped_lines: skipped });
  else out(`${statsText(tally, stateDir, terminalSize()?.columns).join("\n")}\n`);
  return Promise.resolve(EXIT.ok);
}

/** The verdict columns shown: the known verdicts, then any others found. */
export function verdictColumns(byVerdict: ReadonlyMap<string, number>): string[] {
  return [
    ...VERDICTS,
    ...[...byVerdict.keys()].filter((v) => !(VERDICTS as readonly string[]).includes(v)).sort(),
  ];
}

/** The human-readable statistics. */
export function statsText(tally: LedgerTally, stateDir: string, width?: number): string[] {
  const lines = [
    `ledger   ${clean(stateDir)}`,
    `entries  ${tally.total} (${plural(tally.decisions, "decision")}, ${
      plural(tally.events, "event")
    })`,
  ];
  if (tally.total === 0) return lines;
  lines.push(
    `span     ${shortTime(tally.first ?? "")} … ${
      shortTime(tally.last ?? "")
    } (last seq ${tally.lastSeq})`,
  );
  const observed = tally.byMode.get("observe") ?? 0;
  if (observed > 0) lines.push(`observe  ${observed} decisions only observed (not enforced)`);
  if (tally.decisions > 0) {
    const verdicts = verdictColumns(tally.byVerdict);
    const domains = Object.keys(sortedCounts(tally.byDomain));
    const row = (name: string, counts: ReadonlyMap<string, number>, total: number) => [
      clean(name),
      String(total),
      ...verdicts.map((verdict) => String(counts.get(verdict) ?? 0)),
    ];
    const rows = domains.map((domain) =>
      row(domain, tally.byDomainVerdict.get(domain)!, tally.byDomain.get(domain)!)
    );
    rows.push(row("total", tally.byVerdict, tally.decisions));
    lines.push(
      "",
      ...renderTable(
        [
          { header: "domain", flex: true },
          { header: "total", align: "right" },
          ...verdicts.map((verdict) => ({
            header: clean(verdict),
            align: "right" as const,
            colour: (cell: string) => cell === "0" ? undefined : verdictColour(verdict),
          })),
        ],
        rows,
        width,
      ),
    );
  }
  if (tally.events > 0) {
    const events = Object.entries(sortedCounts(tally.eventsByType));
    lines.push("", `events   ${events.map(([type, n]) => `${clean(type)} ${n}`).join(", ")}`);
  }
  return lines;
}
