import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import {
  clean,
  entryLine,
  isFilesystemMutation,
  jsonText,
  matchesFilter,
  parseDuration,
  parseFilter,
  parseTimeBound,
  renderTable,
  textWidth,
  truncate,
  viewOf,
} from "../../cli/ledger_view.ts";
import { WatchtowerError } from "../../core/errors.ts";
import type { LedgerEntry } from "../../core/ledger/entry.ts";
import { decision, event } from "./_entries.ts";

// Rendering is compared as plain text, also when the tests run on a terminal.
Deno.env.set("NO_COLOR", "1");

const NOW = Date.parse("2024-01-15T12:00:00Z");

const isUsage = (pattern: RegExp) => (error: unknown) =>
  error instanceof WatchtowerError && error.code === "usage" && pattern.test(error.message);

Deno.test("parseDuration reads s, m, h, d, w and combinations, and nothing else", () => {
  const cases: Array<[string, number | undefined]> = [
    ["30s", 30_000],
    ["15m", 900_000],
    ["1h", 3_600_000],
    ["2d", 172_800_000],
    ["1w", 604_800_000],
    ["1h30m", 5_400_000],
    ["0m", 0],
    ["", undefined],
    ["1", undefined],
    ["h", undefined],
    ["1.5h", undefined],
    ["-1h", undefined],
    ["1y", undefined],
    ["1h 30m", undefined],
  ];
  for (const [text, expected] of cases) equal(parseDuration(text), expected, text);
});

Deno.test("parseTimeBound takes ISO times (UTC without an offset) and times ago", () => {
  const cases: Array<[string, string]> = [
    ["1h", "2024-01-15T11:00:00.000Z"],
    ["2d", "2024-01-13T12:00:00.000Z"],
    ["2024-01-15", "2024-01-15T00:00:00.000Z"],
    ["2024-01-15T10:30:00Z", "2024-01-15T10:30:00.000Z"],
    ["2024-01-15T10:30:00", "2024-01-15T10:30:00.000Z"],
    ["2024-01-15 10:30", "2024-01-15T10:30:00.000Z"],
    ["2024-01-15T10:30:00+02:00", "2024-01-15T08:30:00.000Z"],
    ["2024-01-15T10:30:00.250Z", "2024-01-15T10:30:00.250Z"],
  ];
  for (const [text, iso] of cases) {
    equal(new Date(parseTimeBound(text, NOW)).toISOString(), iso, text);
  }
  for (const bad of ["yesterday", "March 7", "2024-13-45", "1704067200", "2024-01-15T25:00"]) {
    throws(() => parseTimeBound(bad, NOW, "--until"), isUsage(/--until takes an ISO time/), bad);
  }
});

Deno.test("parseFilter splits lists and refuses unknown domains and verdicts", () => {
  const filter = parseFilter(
    { domain: ["filesystem,command", "event"], verdict: ["deny"], session: ["s1"], since: "1h" },
    NOW,
  );
  deepEqual([...filter.domains!], ["filesystem", "command", "event"]);
  deepEqual([...filter.verdicts!], ["deny"]);
  deepEqual([...filter.sessions!], ["s1"]);
  equal(filter.since, NOW - 3_600_000);
  equal(filter.until, undefined);
  deepEqual(parseFilter({}, NOW), {});
  throws(() => parseFilter({ domain: ["files"] }, NOW), isUsage(/--domain must be one of/));
  throws(() => parseFilter({ verdict: ["block"] }, NOW), isUsage(/--verdict must be one of/));
});

Deno.test("matchesFilter applies time bounds inclusively and every filter given", () => {
  const at = (timestamp: string) => viewOf(decision({ seq: 1, timestamp, session: "s1" }));
  const filter = parseFilter({ since: "2024-01-15T10:00:00Z", until: "2024-01-15T11:00:00Z" }, NOW);
  const cases: Array<[string, boolean]> = [
    ["2024-01-15T09:59:59.999Z", false],
    ["2024-01-15T10:00:00Z", true],
    ["2024-01-15T11:00:00Z", true],
    ["2024-01-15T11:00:00.001Z", false],
    ["not a time", false],
  ];
  for (const [timestamp, expected] of cases) {
    equal(matchesFilter(at(timestamp), filter), expected, timestamp);
  }
  const denied = viewOf(
    decision({
      seq: 2,
      verdict: "deny",
      domain: "command",
      session: "s2",
      target: { command: "ls" },
    }),
  );
  equal(matchesFilter(denied, parseFilter({ verdict: ["deny,escalate"] }, NOW)), true);
  equal(matchesFilter(denied, parseFilter({ verdict: ["allow"] }, NOW)), false);
  equal(matchesFilter(denied, parseFilter({ domain: ["command"], session: ["s2"] }, NOW)), true);
  equal(matchesFilter(denied, parseFilter({ domain: ["command"], session: ["s1"] }, NOW)), false);
});

Deno.test("matchesFilter lets events through a domain filter only as 'event', and never a verdict filter", () => {
  const repair = viewOf(event(3, "repair"));
  equal(matchesFilter(repair, {}), true);
  equal(matchesFilter(repair, parseFilter({ domain: ["event"] }, NOW)), true);
  equal(matchesFilter(repair, parseFilter({ domain: ["filesystem"] }, NOW)), false);
  equal(matchesFilter(repair, parseFilter({ verdict: ["allow"] }, NOW)), false);
});

Deno.test("viewOf flattens decisions by the domain's resource field and events by their fields", () => {
  const http = viewOf(
    decision({
      seq: 4,
      domain: "http",
      operation: "get",
      target: { url: "https://x.test/", path: "/p" },
      session: "s9",
    }),
  );
  equal(http.kind, "decision");
  equal(http.resource, "https://x.test/");
  equal(http.session, "s9");
  deepEqual(http.matched_rules, ["allow-tmp-read"]);
  const clean = viewOf(event(5, "clean", { archive: "/a", archived_seq: 9, nested: { x: 1 } }));
  equal(clean.kind, "event");
  equal(clean.event, "clean");
  equal(clean.resource, "archive=/a archived_seq=9");
});

Deno.test("viewOf reads malformed entry data as empty fields instead of throwing", () => {
  const odd = [
    { data: {} },
    { data: { decision: null, intent: 5, identity: "x" } },
    {
      data: {
        decision: { verdict: 7, matched_rules: "r" },
        intent: { domain: "nope", target: null },
      },
    },
    { data: { event: "repair" } },
  ];
  for (const partial of odd) {
    const entry = {
      seq: 1,
      timestamp: "t",
      annotations: {},
      prev_hash: "",
      hash: "",
      ...partial,
    } as unknown as LedgerEntry;
    const view = viewOf(entry);
    equal(view.resource, "");
    equal(view.verdict, "");
    deepEqual(view.matched_rules, []);
  }
});

Deno.test("isFilesystemMutation is true for filesystem operations other than read, list, stat and search", () => {
  const cases: Array<[string, string, boolean]> = [
    ["filesystem", "write", true],
    ["filesystem", "delete", true],
    ["filesystem", "chmod", true],
    ["filesystem", "read", false],
    ["filesystem", "list", false],
    ["filesystem", "stat", false],
    ["filesystem", "search", false],
    ["command", "write", false],
  ];
  for (const [domain, operation, expected] of cases) {
    equal(
      isFilesystemMutation(viewOf(decision({ seq: 1, domain, operation }))),
      expected,
      `${domain} ${operation}`,
    );
  }
  equal(isFilesystemMutation(viewOf(event(1, "clean"))), false);
});

Deno.test("clean escapes terminal controls and bidi overrides; jsonText keeps the same JSON value", () => {
  equal(clean("a\x1b[2Jb"), "a\\x1b[2Jb");
  equal(clean("x\ny\tz\r"), "x\\ny\\tz\\r");
  equal(clean("\u009b31m\u007f"), "\\x9b31m\\x7f");
  equal(clean("abc\u202edcba"), "abc\\u202edcba");
  equal(clean("plain /tmp/ü"), "plain /tmp/ü");
  const value = { s: "\u009b\u202e\x1b\u007f" };
  const text = jsonText(value);
  ok(![..."\u007f\u009b\u202e\x1b"].some((char) => text.includes(char)), text);
  deepEqual(JSON.parse(text), value);
});

Deno.test("truncate shortens at the end or in the middle to exactly the width", () => {
  equal(truncate("abcdefghij", 20), "abcdefghij");
  equal(truncate("abcdefghij", 5), "abcd…");
  equal(truncate("abcdefghij", 5, "middle"), "ab…ij");
  equal(textWidth(truncate("/very/long/path/to/a/file.txt", 12, "middle")), 12);
});

Deno.test("renderTable aligns columns and shrinks flexible ones to fit a width", () => {
  const columns = [
    { header: "count", align: "right" as const },
    { header: "name", flex: true },
  ];
  const rows = [["3", "short"], ["12", "a-very-long-name-that-does-not-fit-anywhere"]];
  deepEqual(renderTable(columns, rows), [
    "count  name",
    "    3  short",
    "   12  a-very-long-name-that-does-not-fit-anywhere",
  ]);
  const narrow = renderTable(columns, rows, 30);
  for (const line of narrow) ok(textWidth(line) <= 30, line);
  match(narrow[2]!, /^ {3}12 {2}a-very-lon.*….*anywhere$/);
});

Deno.test("entryLine shows time, seq, verdict, intent, principal and rule, and fits a width", () => {
  const line = entryLine(
    viewOf(
      decision({
        seq: 7,
        operation: "delete",
        verdict: "deny",
        rules: ["no-rm"],
        target: { path: "/etc/passwd" },
      }),
    ),
  );
  match(
    line,
    /^2024-01-15T10:30:00Z +#7 DENY +filesystem +delete +\/etc\/passwd +user:alice +no-rm$/,
  );
  match(entryLine(viewOf(decision({ seq: 1, mode: "observe", verdict: "deny" }))), / ~DENY /);
  match(entryLine(viewOf(event(8, "repair", { fault: "torn" }))), /#8 EVENT +repair +fault=torn$/);
  const long = viewOf(decision({ seq: 9, target: { path: `/${"x".repeat(300)}` } }));
  const fitted = entryLine(long, 100);
  equal(textWidth(fitted), 100);
  match(fitted, /filesystem +read +\/x+…x+ +user:alice +allow-tmp-read$/);
  equal(textWidth(entryLine(long, 60)), 60);
});
