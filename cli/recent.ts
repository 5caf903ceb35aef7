/**
 * `wt recent`: the last entries with their reasons — who, what, which rule, why, how risky.
 * @module
 */
import type { LedgerEntry } from "../core/ledger/entry.ts";
import { type FlagSpec, parseArgs, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { EXIT } from "./exit.ts";
import {
  clean,
  type EntryView,
  jsonText,
  lastLedgerEntries,
  noteSkipped,
  shortHashes,
  shortTime,
  terminalSize,
  truncate,
  verdictColour,
  verdictLabel,
  viewOf,
} from "./ledger_view.ts";
import { out, paint } from "./output.ts";
import { parseCount, untilPipeCloses } from "./tail.ts";

/** Help text. */
export const RECENT_USAGE = `wt recent — the last ledger entries in detail

Usage: wt recent [N] [--json]

  N        how many entries (default 20)
  --json   a JSON array of the entries, as stored

Each entry shows its time (UTC), seq, verdict, intent, identity, session, matched rules, the
reason and detail, risk and sensitivity, and annotations such as GTFOBins alerts and zone.`;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
};

/** Runs `wt recent`. */
export async function runRecent(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${RECENT_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.positionals.length > 1) throw usage(`unexpected argument '${args.positionals[1]}'`);
  const count = parseCount(args.positionals[0], 20, "N");
  const { entries, skipped } = lastLedgerEntries(cliEnvironment().stateDir, count);
  noteSkipped("recent", skipped);
  if (args.flags.json) {
    out(`${jsonText(entries, 2)}\n`);
    return EXIT.ok;
  }
  const width = terminalSize()?.columns;
  return await untilPipeCloses(() => {
    out(entries.map((entry) => `${entryBlock(entry, width).join("\n")}\n`).join("\n"));
    return Promise.resolve();
  });
}

/** The lines describing one entry in detail; with `width`, each is shortened to fit. */
export function entryBlock(entry: LedgerEntry, width?: number): string[] {
  const view = viewOf(entry);
  const label = verdictLabel(view);
  const colour = view.kind === "event" ? "magenta" : verdictColour(view.verdict);
  const fit = (line: string) => width === undefined ? line : truncate(line, width);
  const title = view.kind === "event"
    ? `#${view.seq}  ${shortTime(view.timestamp)}  ${label}  ${clean(view.event)}`
    : `#${view.seq}  ${shortTime(view.timestamp)}  ${label}  ${clean(view.domain)} ${
      clean(view.operation)
    } ${clean(view.resource)}`;
  const lines = [fit(title).replace(label, paint(colour, label))];
  const detail = (text: string) => lines.push(fit(`    ${text}`));
  if (view.kind === "event") {
    if (view.resource) detail(clean(shortHashes(view.resource)));
    return lines;
  }
  detail(describeWho(view));
  const rules = view.matched_rules.length > 0 ? view.matched_rules.map(clean).join(", ") : "-";
  detail(`rule ${rules}; reason ${clean(view.reason || "-")}: ${clean(view.detail)}`);
  const risk = view.risk_score === undefined ? "-" : String(view.risk_score);
  const facts = [
    `risk ${risk} ${clean(view.risk_level)}`.trimEnd(),
    view.sensitivity ? `sensitivity ${clean(view.sensitivity)}` : "",
    view.mode === "observe" ? "observe mode (not enforced)" : "",
    ...annotationFacts(entry.annotations),
  ].filter(Boolean);
  detail(facts.join(" · "));
  // Colour after fitting, so that escape codes are never cut or counted.
  lines[lines.length - 1] = lines.at(-1)!.replace("GTFOBins", paint("red", "GTFOBins"));
  return lines;
}

function describeWho(view: EntryView): string {
  const parts = [`by ${clean(view.principal || "?")}`];
  if (view.purpose) parts.push(`for ${clean(view.purpose)}`);
  if (view.session) parts.push(`session ${clean(view.session)}`);
  if (view.tool) parts.push(`tool ${clean(view.tool)}`);
  return parts.join(" · ");
}

function annotationFacts(annotations: unknown): string[] {
  if (annotations === null || typeof annotations !== "object") return [];
  const { zone, gtfo_alerts: gtfo } = annotations as Record<string, unknown>;
  const facts: string[] = [];
  if (typeof zone === "string") facts.push(`zone ${clean(zone)}`);
  if (Array.isArray(gtfo) && gtfo.length > 0) {
    const names = gtfo.map((alert) => {
      const { binary, risk } = (alert ?? {}) as Record<string, unknown>;
      return `${clean(String(binary ?? "?"))}${
        typeof risk === "string" ? ` (${clean(risk)})` : ""
      }`;
    });
    facts.push(`GTFOBins ${names.join(", ")}`);
  }
  return facts;
}
