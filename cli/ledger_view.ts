/**
 * How the ledger looks to the operator commands (tail, recent, stats, report, export, watch,
 * alert): reading it without trusting it, flattening an entry to the fields people ask about,
 * choosing entries (filters), and rendering them as lines, tables or JSON.
 *
 * Ledger lines are hostile input as far as a terminal is concerned: an agent chose the paths and
 * commands in them. Human output escapes control and bidi characters ({@link clean}); JSON output
 * escapes the few that `JSON.stringify` leaves raw ({@link jsonText}).
 * @module
 */
import { DOMAINS, RESOURCE_FIELD, VERDICTS } from "../core/intent.ts";
import type { LedgerEntry } from "../core/ledger/entry.ts";
import { readLedgerLines } from "../core/ledger/reader.ts";
import { usage } from "./args.ts";
import { err, paint, useColour } from "./output.ts";

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Calls `visit` with every readable entry of the ledger in `stateDir`, in order, and returns
 * how many lines could not be read (a missing ledger has none). `wt verify` says why.
 */
export function scanLedger(stateDir: string, visit: (entry: LedgerEntry) => void): number {
  let skipped = 0;
  for (const line of readLedgerLines(stateDir)) {
    if (line.entry) visit(line.entry);
    else skipped++;
  }
  return skipped;
}

/** The last `count` readable entries (oldest first) and the number of unreadable lines. */
export function lastLedgerEntries(
  stateDir: string,
  count: number,
): { entries: LedgerEntry[]; skipped: number } {
  let entries: LedgerEntry[] = [];
  const skipped = scanLedger(stateDir, (entry) => {
    if (count <= 0) return;
    entries.push(entry);
    if (entries.length >= 2 * count) entries = entries.slice(-count);
  });
  return { entries: count <= 0 ? [] : entries.slice(-count), skipped };
}

/** Says on stderr that `count` ledger lines were skipped (nothing when there were none). */
export function noteSkipped(command: string, count: number): void {
  if (count === 0) return;
  err(
    `wt ${command}: skipped ${
      plural(count, "unreadable ledger line")
    }; run wt verify to check the ledger`,
  );
}

/** `1 entry`, `2 entries`: a count and a noun in the right number. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------
// Flattening

/** The fields of an entry that the views show, as plain strings and numbers. */
export interface EntryView {
  seq: number;
  timestamp: string;
  kind: "decision" | "event" | "other";
  principal: string;
  purpose: string;
  domain: string;
  operation: string;
  /** The target field named by the domain (path, url, command, …); for events, its fields. */
  resource: string;
  verdict: string;
  mode: string;
  reason: string;
  detail: string;
  risk_score: number | undefined;
  risk_level: string;
  sensitivity: string;
  matched_rules: string[];
  session: string;
  tool: string;
  /** The event type, for event entries. */
  event: string;
  hash: string;
}

type Json = Record<string, unknown>;

const objectAt = (value: unknown): Json =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? value as Json : {};
const textAt = (value: unknown): string => typeof value === "string" ? value : "";

/**
 * Flattens an entry. Fields of the wrong type read as empty: the views show what is there and
 * leave judging the entry to `wt verify`.
 *
 * @example
 * ```ts
 * import { viewOf } from "./ledger_view.ts";
 * import { equal } from "node:assert/strict";
 * const view = viewOf({
 *   seq: 1, timestamp: "2024-01-15T10:30:00Z", annotations: {}, prev_hash: "", hash: "",
 *   data: { event: { type: "repair" } },
 * });
 * equal(view.kind, "event");
 * equal(view.event, "repair");
 * ```
 */
export function viewOf(entry: LedgerEntry): EntryView {
  const data = objectAt(entry.data);
  const view: EntryView = {
    seq: entry.seq,
    timestamp: textAt(entry.timestamp),
    kind: "other",
    principal: "",
    purpose: "",
    domain: "",
    operation: "",
    resource: "",
    verdict: "",
    mode: "",
    reason: "",
    detail: "",
    risk_score: undefined,
    risk_level: "",
    sensitivity: "",
    matched_rules: [],
    session: "",
    tool: "",
    event: "",
    hash: textAt(entry.hash),
  };
  if ("decision" in data) {
    const identity = objectAt(data.identity);
    const intent = objectAt(data.intent);
    const decision = objectAt(data.decision);
    const context = objectAt(data.context);
    const domain = textAt(intent.domain);
    const field = (RESOURCE_FIELD as Record<string, string | undefined>)[domain];
    view.kind = "decision";
    view.principal = textAt(identity.principal);
    view.purpose = textAt(identity.purpose);
    view.domain = domain;
    view.operation = textAt(intent.operation);
    view.resource = field === undefined ? "" : textAt(objectAt(intent.target)[field]);
    view.verdict = textAt(decision.verdict);
    view.mode = textAt(decision.mode);
    view.reason = textAt(decision.reason);
    view.detail = textAt(decision.detail);
    view.risk_score = typeof decision.risk_score === "number" ? decision.risk_score : undefined;
    view.risk_level = textAt(decision.risk_level);
    view.sensitivity = textAt(decision.sensitivity);
    view.matched_rules = Array.isArray(decision.matched_rules)
      ? decision.matched_rules.filter((rule): rule is string => typeof rule === "string")
      : [];
    view.session = textAt(context.session);
    view.tool = textAt(context.tool);
  } else if ("event" in data) {
    const event = objectAt(data.event);
    view.kind = "event";
    view.event = textAt(event.type) || "?";
    view.resource = Object.entries(event)
      .filter(([key, value]) => key !== "type" && value !== null && typeof value !== "object")
      .map(([key, value]) => `${key}=${value}`)
      .join(" ");
  }
  return view;
}

/** Whether a decision view is a filesystem mutation (not read, list, stat or search). */
export function isFilesystemMutation(view: EntryView): boolean {
  return view.kind === "decision" && view.domain === "filesystem" &&
    !["read", "list", "stat", "search"].includes(view.operation);
}

// ---------------------------------------------------------------------------------------------
// Filters (shared by report and export)

/** Which entries a report or an export covers. Times are epoch milliseconds, both inclusive. */
export interface EntryFilter {
  since?: number;
  until?: number;
  domains?: ReadonlySet<string>;
  verdicts?: ReadonlySet<string>;
  sessions?: ReadonlySet<string>;
}

/** The filter flags, for a command's flag spec. */
export const FILTER_FLAGS = {
  since: { type: "string" as const },
  until: { type: "string" as const },
  domain: { type: "string" as const, multiple: true },
  verdict: { type: "string" as const, multiple: true },
  session: { type: "string" as const, multiple: true },
};

/** Help text for {@link FILTER_FLAGS}. */
export const FILTER_HELP = `Filters (an entry must pass all given; list flags repeat or take a,b,c):
  --since T      at or after T: an ISO time (2024-01-15, 2024-01-15T10:30:00Z; UTC when
                 no offset is given) or a time ago: 30s, 15m, 1h, 2d, 1w, 1h30m
  --until T      at or before T (same forms)
  --domain D     filesystem, ssh, kubernetes, search, command, http, permission, process,
                 instruction; or event (ledger events such as clean and repair)
  --verdict V    allow, shadow, redact, escalate, deny (the policy's verdict, also in observe mode)
  --session S    context.session`;

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Parses a relative duration (`30s`, `15m`, `1h`, `2d`, `1w`, `1h30m`) into milliseconds;
 * undefined when `text` is not one.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./ledger_view.ts";
 * import { equal } from "node:assert/strict";
 * equal(parseDuration("1h30m"), 5_400_000);
 * equal(parseDuration("soon"), undefined);
 * ```
 */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d{1,9}[smhdw])+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhdw])/g)) {
    total += Number(amount) * UNIT_MS[unit!]!;
  }
  return total;
}

const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Parses a time bound: an ISO date or date-time (UTC when it has no offset) or a duration ago
 * from `now`. Throws a usage error naming `flag` otherwise.
 */
export function parseTimeBound(text: string, now: number, flag = "--since"): number {
  const ago = parseDuration(text);
  if (ago !== undefined) return now - ago;
  const match = ISO_TIME.exec(text);
  if (match) {
    let iso = text.replace(" ", "T");
    if (iso.includes("T") && match[1] === undefined) iso += "Z";
    const time = Date.parse(iso);
    if (!Number.isNaN(time)) return time;
  }
  throw usage(
    `${flag} takes an ISO time (2024-01-15T10:30:00Z) or a time ago (30m, 1h, 2d), got '${text}'`,
  );
}

/** The raw filter options, as given on the command line. */
export interface FilterOptions {
  since?: string | undefined;
  until?: string | undefined;
  domain?: readonly string[];
  verdict?: readonly string[];
  session?: readonly string[];
}

/** Builds a filter from command-line values; throws usage errors for bad values. */
export function parseFilter(options: FilterOptions, now: number): EntryFilter {
  const filter: EntryFilter = {};
  if (options.since !== undefined) filter.since = parseTimeBound(options.since, now, "--since");
  if (options.until !== undefined) filter.until = parseTimeBound(options.until, now, "--until");
  const list = (values: readonly string[] | undefined) =>
    (values ?? []).flatMap((value) => value.split(",")).map((value) => value.trim()).filter(
      Boolean,
    );
  const domains = list(options.domain);
  const known = [...DOMAINS, "event"];
  for (const domain of domains) {
    if (!known.includes(domain)) throw usage(`--domain must be one of ${known.join(", ")}`);
  }
  if (domains.length > 0) filter.domains = new Set(domains);
  const verdicts = list(options.verdict);
  for (const verdict of verdicts) {
    if (!(VERDICTS as readonly string[]).includes(verdict)) {
      throw usage(`--verdict must be one of ${VERDICTS.join(", ")}`);
    }
  }
  if (verdicts.length > 0) filter.verdicts = new Set(verdicts);
  const sessions = list(options.session);
  if (sessions.length > 0) filter.sessions = new Set(sessions);
  return filter;
}

/** Whether `view` passes `filter`. Events pass a domain filter only as `event`. */
export function matchesFilter(view: EntryView, filter: EntryFilter): boolean {
  if (filter.since !== undefined || filter.until !== undefined) {
    const time = Date.parse(view.timestamp);
    if (Number.isNaN(time)) return false;
    if (filter.since !== undefined && time < filter.since) return false;
    if (filter.until !== undefined && time > filter.until) return false;
  }
  if (filter.domains && !filter.domains.has(view.kind === "event" ? "event" : view.domain)) {
    return false;
  }
  if (filter.verdicts && !filter.verdicts.has(view.verdict)) return false;
  if (filter.sessions && !filter.sessions.has(view.session)) return false;
  return true;
}

/** The filter as JSON, for `--json` outputs that say what they cover. */
export function filterJson(filter: EntryFilter): Record<string, unknown> {
  return {
    since: filter.since === undefined ? null : new Date(filter.since).toISOString(),
    until: filter.until === undefined ? null : new Date(filter.until).toISOString(),
    domains: filter.domains ? [...filter.domains] : null,
    verdicts: filter.verdicts ? [...filter.verdicts] : null,
    sessions: filter.sessions ? [...filter.sessions] : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Text

// C0 and C1 controls, DEL, and the bidi controls that can make text read other than it is.
const UNSAFE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Makes text from the ledger safe to print on a terminal: control and bidi characters become
 * visible escapes.
 *
 * @example
 * ```ts
 * import { clean } from "./ledger_view.ts";
 * import { equal } from "node:assert/strict";
 * equal(clean("a\x1b[2Jb\n"), "a\\x1b[2Jb\\n");
 * ```
 */
export function clean(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const named = NAMED[char];
    if (named) return named;
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
  });
}

// JSON.stringify escapes U+0000–U+001F but leaves DEL, C1 (U+009B is a CSI on some terminals)
// and bidi controls raw; inside a JSON string their \u escapes mean the same value.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `JSON.stringify` with the characters a terminal could act on escaped (same JSON value). */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    JSON_UNSAFE,
    (char) => `\\u${hex(char.charCodeAt(0), 4)}`,
  );
}

function hex(code: number, digits: number): string {
  return code.toString(16).padStart(digits, "0");
}

/** Shortens text to `width` characters, with `…` at the end (or in the middle). */
export function truncate(text: string, width: number, where: "end" | "middle" = "end"): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return "…".slice(0, Math.max(width, 0));
  if (where === "middle") {
    const head = Math.ceil((width - 1) / 2);
    return `${chars.slice(0, head).join("")}…${
      chars.slice(chars.length - (width - 1 - head)).join("")
    }`;
  }
  return `${chars.slice(0, width - 1).join("")}…`;
}

/** Visible length of text (code points; wide characters count as one). */
export function textWidth(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** An ISO timestamp to the second (`2024-01-15T10:30:00Z`); anything else escaped as is. */
export function shortTime(timestamp: string): string {
  const time = Date.parse(timestamp);
  if (Number.isNaN(time)) return clean(timestamp);
  return `${new Date(time).toISOString().slice(0, 19)}Z`;
}

/** Shortens 64-hex-digit hashes inside text to their first 12 digits. */
export function shortHashes(text: string): string {
  return text.replace(/\b([0-9a-f]{12})[0-9a-f]{52}\b/g, "$1…");
}

/** The terminal's size when stdout is one, else undefined (then nothing is truncated). */
export function terminalSize(): { columns: number; rows: number } | undefined {
  try {
    if (!Deno.stdout.isTerminal()) return undefined;
    const size = Deno.consoleSize();
    // A terminal that does not know its size (a bare pty) says 0 × 0.
    return size.columns > 0 && size.rows > 0 ? size : undefined;
  } catch {
    return undefined;
  }
}

type Colour = Parameters<typeof paint>[0];

/** The colour a verdict is shown in. */
export function verdictColour(verdict: string): Colour {
  if (verdict === "deny") return "red";
  if (verdict === "escalate") return "yellow";
  if (verdict === "allow") return "green";
  return "cyan";
}

/** A verdict as shown in lines: upper case, `~` in front when only observed. */
export function verdictLabel(view: EntryView): string {
  if (view.kind === "event") return "EVENT";
  const label = clean(view.verdict.toUpperCase()) || "?";
  return view.mode === "observe" ? `~${label}` : label;
}

// ---------------------------------------------------------------------------------------------
// Lines and tables

/**
 * One line for an entry: time, seq, verdict, domain, operation, resource, principal, rule.
 * With `width`, the resource (then the rest) is shortened so that the line fits.
 */
export function entryLine(view: EntryView, width?: number): string {
  const time = shortTime(view.timestamp);
  const seq = `#${view.seq}`.padStart(6);
  const label = verdictLabel(view);
  const verdict = label.padEnd(9);
  const head = view.kind === "event"
    ? `${clean(view.event).padEnd(11)} `
    : `${clean(view.domain || "?").padEnd(11)} ${clean(view.operation).padEnd(7)} `;
  const rule = view.matched_rules.length > 0
    ? view.matched_rules.join(",")
    : view.reason
    ? `(${view.reason})`
    : "";
  const after = view.kind === "event" ? "" : `  ${clean(view.principal)}  ${clean(rule)}`;
  let resource = clean(view.kind === "event" ? shortHashes(view.resource) : view.resource);
  const fixed = `${time} ${seq} ${verdict} ${head}`;
  if (width !== undefined) {
    const room = width - textWidth(fixed) - textWidth(after);
    resource = truncate(resource, Math.max(room, 12), "middle");
  }
  let line = `${fixed}${resource}${after}`;
  if (width !== undefined) line = truncate(line, width);
  if (!useColour()) return line;
  // Colour after layout so that escape codes do not count towards the width.
  const colour = view.kind === "event" ? "magenta" : verdictColour(view.verdict);
  return line.replace(label, paint(colour, label)).replace(time, paint("dim", time));
}

/** A column of a {@link renderTable} table. */
export interface Column {
  header: string;
  align?: "left" | "right";
  /** Shrinks (cells truncated) when the table is wider than the terminal. */
  flex?: boolean;
  /** Colour for a cell, from its raw text. */
  colour?: (cell: string) => Colour | undefined;
}

/**
 * Lays out rows under headers, columns two spaces apart. With `width`, flexible columns shrink
 * (their cells truncated in the middle) until the table fits. Cells must already be
 * {@link clean}; colour is applied after padding.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly string[][],
  width?: number,
): string[] {
  const widths = columns.map((column, i) =>
    Math.max(textWidth(column.header), ...rows.map((row) => textWidth(row[i] ?? "")))
  );
  if (width !== undefined) {
    const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (columns.length - 1);
    const flexible = columns.flatMap((column, i) => column.flex ? [i] : []);
    while (total() > width && flexible.length > 0) {
      // Shrink the widest flexible column one step at a time, not below its header or 8.
      const i = flexible.reduce((a, b) => widths[b]! > widths[a]! ? b : a);
      const floor = Math.max(textWidth(columns[i]!.header), 8);
      if (widths[i]! <= floor) {
        flexible.splice(flexible.indexOf(i), 1);
        continue;
      }
      widths[i] = Math.max(floor, widths[i]! - Math.max(1, total() - width));
    }
  }
  const cell = (text: string, i: number, header = false) => {
    const column = columns[i]!;
    const fitted = truncate(text, widths[i]!, "middle");
    const padded = i === last && column.align !== "right"
      ? fitted
      : column.align === "right"
      ? fitted.padStart(widths[i]! - textWidth(fitted) + fitted.length)
      : fitted.padEnd(widths[i]! - textWidth(fitted) + fitted.length);
    if (header) return paint("bold", padded);
    const colour = column.colour?.(text);
    return colour ? paint(colour, padded) : padded;
  };
  const last = columns.length - 1;
  // The last column is not padded when left-aligned, so that lines carry no trailing blanks.
  const line = (cells: string[]) => cells.join("  ");
  return [
    line(columns.map((column, i) => cell(column.header, i, true))),
    ...rows.map((row) => line(columns.map((_, i) => cell(row[i] ?? "", i)))),
  ];
}

/** Counts keyed by name, as a plain object sorted by count (then name). */
export function sortedCounts(counts: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries(
    [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  );
}

/** Adds one to `key` in `counts`. */
export function bump(counts: Map<string, number>, key: string, by = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}
