import { deepEqual, equal } from "node:assert/strict";
import { CSV_COLUMNS, csvCell, csvRow, encoderFor } from "../../cli/export.ts";
import { viewOf } from "../../cli/ledger_view.ts";
import { decision, event } from "./_entries.ts";

Deno.test("csvCell quotes per RFC 4180 and defuses cells a spreadsheet would run", () => {
  const cases: Array<[string | number | undefined, string]> = [
    ["plain", "plain"],
    [undefined, ""],
    [0.15, "0.15"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["=1+1", "'=1+1"],
    ["+1+1", "'+1+1"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tTAB", "'\tTAB"],
    ["\rCR", '"\'\rCR"'],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ["-0.5", "-0.5"],
    ["+3", "+3"],
    ["1e-3", "1e-3"],
    ["a=b", "a=b"],
  ];
  for (const [value, expected] of cases) equal(csvCell(value), expected, JSON.stringify(value));
});

Deno.test("csvRow gives every column, joins rules with ; and shows events as domain 'event'", () => {
  const row = csvRow(
    viewOf(decision({ seq: 3, verdict: "deny", rules: ["a", "b"], session: "s1" })),
  );
  deepEqual(row.split(","), [
    "3",
    "2024-01-15T10:30:00.000Z",
    "user:alice",
    "",
    "filesystem",
    "read",
    "/tmp/test.txt",
    "deny",
    "rule",
    "0.15",
    "low",
    "a;b",
    "s1",
    "a".repeat(64),
  ]);
  equal(CSV_COLUMNS.length, 14);
  const eventRow = csvRow(viewOf(event(4, "clean", { archive: "/x" }))).split(",");
  deepEqual(eventRow.slice(4, 7), ["event", "clean", "archive=/x"]);
});

Deno.test("encoderFor json writes a pretty array that parses, for 0, 1 and 2 entries", () => {
  const entries = [decision({ seq: 1 }), event(2, "repair")];
  for (const count of [0, 1, 2]) {
    const json = encoderFor("json");
    const text = json.start + entries.slice(0, count).map(json.entry).join("") + json.end(count);
    deepEqual(JSON.parse(text), entries.slice(0, count));
    equal(text.endsWith("\n"), true);
  }
  const jsonl = encoderFor("jsonl");
  const lines = entries.map(jsonl.entry).join("").trimEnd().split("\n");
  deepEqual(lines.map((line) => JSON.parse(line)), entries);
  equal(encoderFor("csv").start, `${CSV_COLUMNS.join(",")}\r\n`);
});
