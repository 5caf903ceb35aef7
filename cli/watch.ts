/**
 * `wt watch`: a live dashboard of the ledger — entry rates, verdict counts, latest denials —
 * redrawn every few seconds until `q`, Ctrl-C or SIGTERM.
 * @module
 */
import { VERDICTS } from "../core/intent.ts";
import type { LedgerEntry } from "../core/ledger/entry.ts";
import { followEntries } from "../core/ledger/reader.ts";
import { type FlagSpec, parseArgs, stringFlag, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { EXIT } from "./exit.ts";
import {
  clean,
  entryLine,
  type EntryView,
  jsonText,
  plural,
  scanLedger,
  shortTime,
  sortedCounts,
  terminalSize,
  verdictColour,
  viewOf,
} from "./ledger_view.ts";
import { out, paint } from "./output.ts";
import { LedgerTally, verdictColumns } from "./stats.ts";
import { stopOnSignals, untilPipeCloses } from "./tail.ts";

/** Help text. */
export const WATCH_USAGE = `wt watch — live ledger dashboard

Usage: wt watch [--interval S] [--once] [--json]

  --interval S   seconds between refreshes (default 2; 0.2 to 3600)
  --once         draw one frame from the ledger as it is and exit
  --json         each frame as one line of JSON instead of text

Shows entries per minute (over the last 1, 5 and 15 minutes), counts by verdict and domain, and
the latest denials and escalations. On a terminal it uses the alternate screen and quits on q
or Ctrl-C; otherwise it prints a frame per refresh until SIGINT or SIGTERM.`;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  once: { type: "boolean" },
  interval: { type: "string" },
};

const WINDOWS_MIN = [1, 5, 15] as const;
const DENIALS_KEPT = 50;

/** What the dashboard shows, kept up to date entry by entry. */
export class Dashboard {
  readonly tally = new LedgerTally();
  skipped = 0;
  /** Entry times (epoch ms) within the longest rate window, oldest first. */
  #times: number[] = [];
  /** Latest deny and escalate decisions, oldest first. */
  readonly denials: EntryView[] = [];

  constructor(readonly stateDir: string) {}

  /** Counts one entry; `now` bounds which times are kept for rates. */
  add(entry: LedgerEntry, now = Date.now()): void {
    this.tally.add(entry);
    const view = viewOf(entry);
    const time = Date.parse(view.timestamp);
    if (!Number.isNaN(time) && time >= now - WINDOWS_MIN.at(-1)! * 60_000) this.#times.push(time);
    if (view.kind === "decision" && (view.verdict === "deny" || view.verdict === "escalate")) {
      this.denials.push(view);
      if (this.denials.length > DENIALS_KEPT) this.denials.shift();
    }
  }

  /** Entries per minute over each window ending at `now`. */
  rates(now: number): Record<string, number> {
    const longest = now - WINDOWS_MIN.at(-1)! * 60_000;
    while (this.#times.length > 0 && this.#times[0]! < longest) this.#times.shift();
    return Object.fromEntries(WINDOWS_MIN.map((minutes) => {
      const since = now - minutes * 60_000;
      const count = this.#times.filter((time) => time >= since).length;
      return [`${minutes}m`, Math.round((count / minutes) * 100) / 100];
    }));
  }

  /** The frame's data, for `--json`. */
  snapshot(now: number): Record<string, unknown> {
    const tally = this.tally;
    return {
      time: new Date(now).toISOString(),
      total: tally.total,
      decisions: tally.decisions,
      events: tally.events,
      last_seq: tally.lastSeq,
      last: tally.last ?? null,
      per_minute: this.rates(now),
      by_verdict: sortedCounts(tally.byVerdict),
      by_domain: sortedCounts(tally.byDomain),
      latest_denials: this.denials.slice(-10).reverse().map((view) => ({
        seq: view.seq,
        timestamp: view.timestamp,
        verdict: view.verdict,
        domain: view.domain,
        operation: view.operation,
        resource: view.resource,
        principal: view.principal,
        matched_rules: view.matched_rules,
      })),
      skipped_lines: this.skipped,
    };
  }

  /** The frame as lines, fitted to `size` when given. */
  frame(now: number, options: { size?: { columns: number; rows: number }; hint?: string } = {}) {
    const width = options.size?.columns;
    const tally = this.tally;
    const rates = this.rates(now);
    const lines = [
      this.#title(now, width, options.hint),
      fit(
        `entries   ${tally.total} (${plural(tally.decisions, "decision")}, ${
          plural(tally.events, "event")
        })${tally.total > 0 ? `, last #${tally.lastSeq} at ${shortTime(tally.last ?? "")}` : ""}`,
        width,
      ),
      fit(
        `per min   ${
          Object.entries(rates).map(([window, rate]) => `${window} ${rate}`).join("   ")
        }`,
        width,
      ),
    ];
    if (this.skipped > 0) {
      lines.push(
        paint("yellow", fit(`skipped   ${this.skipped} unreadable lines (run wt verify)`, width)),
      );
    }
    lines.push("");
    const verdicts = verdictColumns(tally.byVerdict);
    const most = Math.max(1, ...tally.byVerdict.values());
    const barRoom = Math.max(10, Math.min(50, (width ?? 80) - 22));
    for (const verdict of verdicts) {
      const count = tally.byVerdict.get(verdict) ?? 0;
      if (count === 0 && !(VERDICTS as readonly string[]).includes(verdict)) continue;
      const bar = "█".repeat(count === 0 ? 0 : Math.max(1, Math.round((count / most) * barRoom)));
      const label = `${paint(verdictColour(verdict), clean(verdict).padEnd(9))} ${
        String(count).padStart(8)
      }`;
      lines.push(bar ? `${label}  ${paint(verdictColour(verdict), bar)}` : label);
    }
    const domains = Object.entries(sortedCounts(tally.byDomain));
    if (domains.length > 0) {
      const text = domains.map(([domain, count]) => `${clean(domain)} ${count}`).join(" · ");
      lines.push("", fit(`domains   ${text}`, width));
    }
    lines.push("", paint("bold", fit("Latest denials and escalations", width)));
    const room = options.size ? Math.max(1, options.size.rows - lines.length - 1) : 10;
    const latest = this.denials.slice(-room).reverse();
    if (latest.length === 0) lines.push("  none");
    for (const view of latest) lines.push(entryLine(view, width));
    return lines;
  }

  #title(now: number, width: number | undefined, hint: string | undefined): string {
    const title = `Watchtower — ${clean(this.stateDir)} — ${
      shortTime(new Date(now).toISOString())
    }`;
    const hinted = hint !== undefined &&
      (width === undefined || [...title].length + 2 + hint.length <= width);
    return paint("bold", fit(title, width)) + (hinted ? paint("dim", `  ${hint}`) : "");
  }
}

function fit(line: string, width: number | undefined): string {
  return width === undefined || [...line].length <= width
    ? line
    : `${[...line].slice(0, width - 1).join("")}…`;
}

/** Parses `--interval`: seconds, 0.2 to 3600. */
export function parseInterval(text: string | undefined): number {
  if (text === undefined) return 2;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds < 0.2 || seconds > 3600) {
    throw usage(`--interval takes seconds from 0.2 to 3600, got '${text}'`);
  }
  return seconds;
}

const ALT_SCREEN_ON = "\x1b[?1049h\x1b[?25l";
const ALT_SCREEN_OFF = "\x1b[?25h\x1b[?1049l";
const HOME_CLEAR = "\x1b[H";
const CLEAR_LINE_END = "\x1b[K";
const CLEAR_BELOW = "\x1b[J";

/** Runs `wt watch`. */
export async function runWatch(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${WATCH_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw usage(`unexpected argument '${args.positionals[0]}'`);
  const interval = parseInterval(stringFlag(args, "interval"));
  const json = args.flags.json === true;
  const dashboard = new Dashboard(cliEnvironment().stateDir);
  dashboard.skipped = scanLedger(dashboard.stateDir, (entry) => dashboard.add(entry));
  if (args.flags.once) {
    const now = Date.now();
    return await untilPipeCloses(() => {
      out(json ? `${jsonText(dashboard.snapshot(now))}\n` : `${dashboard.frame(now).join("\n")}\n`);
      return Promise.resolve();
    });
  }
  const screen = !json && Deno.stdout.isTerminal();
  const keys = Deno.stdin.isTerminal();
  const controller = new AbortController();
  const signals = stopOnSignals();
  signals.signal.addEventListener("abort", () => controller.abort(), { once: true });
  const stop = controller.signal;
  if (screen) out(ALT_SCREEN_ON);
  if (keys) {
    Deno.stdin.setRaw(true);
    readKeys(controller);
  }
  try {
    return await untilPipeCloses(async () => {
      const following = (async () => {
        const options = { afterSeq: dashboard.tally.lastSeq, intervalMs: 250, signal: stop };
        for await (const entry of followEntries(dashboard.stateDir, options)) dashboard.add(entry);
      })();
      while (!stop.aborted) {
        const now = Date.now();
        if (json) out(`${jsonText(dashboard.snapshot(now))}\n`);
        else if (screen) {
          const lines = dashboard.frame(now, {
            size: terminalSize() ?? { columns: 80, rows: 24 },
            hint: keys ? "q quits" : "Ctrl-C quits",
          });
          out(`${HOME_CLEAR}${lines.join(`${CLEAR_LINE_END}\n`)}${CLEAR_LINE_END}${CLEAR_BELOW}`);
        } else out(`${dashboard.frame(now).join("\n")}\n\n`);
        await sleep(interval * 1000, stop);
      }
      await following;
    });
  } finally {
    signals.dispose();
    if (keys) {
      try {
        Deno.stdin.setRaw(false);
      } catch {
        // the terminal went away
      }
    }
    if (screen) out(ALT_SCREEN_OFF);
  }
}

/** Aborts `controller` on q, Q, Ctrl-C or Ctrl-D typed on the terminal (stdin in raw mode). */
function readKeys(controller: AbortController): void {
  (async () => {
    const buffer = new Uint8Array(64);
    while (!controller.signal.aborted) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) break;
      if (buffer.subarray(0, n).some((byte) => [0x71, 0x51, 0x03, 0x04].includes(byte))) break;
    }
    controller.abort();
  })().catch(() => controller.abort());
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
