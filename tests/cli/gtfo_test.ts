import { deepEqual, equal, match, ok, rejects, throws } from "node:assert/strict";
import { WatchtowerError } from "../../core/errors.ts";
import { GTFO_TABLE, GtfoDetector } from "../../core/gtfobins/mod.ts";
import type { LedgerEntry } from "../../core/ledger/entry.ts";
import {
  addToSummary,
  alertLine,
  alertRecord,
  alertsOf,
  binaryJson,
  binaryLine,
  GTFO_CONTEXTS,
  GTFO_FUNCTIONS,
  listBinaries,
  listFooter,
  newSummary,
  parseTableFilter,
  runGtfo,
  summaryJson,
  summaryText,
} from "../../cli/gtfo.ts";
import { parseFilter } from "../../cli/ledger_view.ts";
import { decision, event } from "./_entries.ts";

const detector = new GtfoDetector(GTFO_TABLE);
const names = (filter: Parameters<typeof listBinaries>[1]) =>
  listBinaries(GTFO_TABLE, filter).map(([name]) => name);
const isUsage = (error: unknown) => error instanceof WatchtowerError && error.code === "usage";

/** A command decision; `alerts` becomes annotations.gtfo_alerts unless undefined (older entries). */
function command(
  seq: number,
  line: string,
  verdict: string,
  alerts: Array<Record<string, unknown>> | undefined,
  extra: { session?: string; principal?: string } = {},
): LedgerEntry {
  const entry = decision({
    seq,
    domain: "command",
    operation: "exec",
    target: { command: line },
    verdict,
    ...extra,
  });
  if (alerts !== undefined) entry.annotations = { zone: "SAFE", gtfo_alerts: alerts };
  return entry;
}

const FIND = { binary: "find", risk: "critical", score: 1, flags: ["shell:-exec"] };
const PYTHON = { binary: "python", risk: "high", score: 0.85, flags: ["shell:-c", "file-read:-c"] };
const GIT = { binary: "git", risk: "low", score: 0.4, flags: ["command:interactive"] };

Deno.test("listBinaries lists every executable of the table when no filter is given", () => {
  equal(names({}).length, GTFO_TABLE.count);
  equal(GTFO_TABLE.count, Object.keys(GTFO_TABLE.binaries).length);
});

Deno.test("listBinaries keeps executables with a function of the kind asked that works in the context asked", () => {
  const suidShells = names(parseTableFilter({ functions: ["shell"], contexts: ["suid"] }));
  const shells = names(parseTableFilter({ functions: ["shell"] }));
  ok(suidShells.length > 0 && suidShells.length < shells.length);
  ok(shells.length < GTFO_TABLE.count);
  ok(suidShells.includes("find"));
  ok(!suidShells.includes("sudo"), "sudo's shell works under sudo only");
  ok(!suidShells.includes("7z"), "7z only reads files");
  ok(suidShells.every((name) => shells.includes(name)));
});

Deno.test("listBinaries judges an alias by the program it names and ignores inherited functions", () => {
  ok(names({ functions: new Set(["shell"]), contexts: new Set(["sudo"]) }).includes("c89"));
  ok(!names({ functions: new Set(["shell"]), contexts: new Set(["suid"]) }).includes("c89"));
  ok(names({ functions: new Set(["bind-shell"]) }).includes("nawk"));
  // aws reaches a shell only through less, which it inherits.
  ok(GTFO_TABLE.binaries.aws!.inherits.includes("less"));
  ok(!names({ functions: new Set(["shell"]) }).includes("aws"));
});

Deno.test("repeated or comma-separated values are alternatives", () => {
  const either = names(parseTableFilter({ functions: ["bind-shell,reverse-shell"] }));
  const bind = names(parseTableFilter({ functions: ["bind-shell"] }));
  const reverse = names(parseTableFilter({ functions: ["reverse-shell"] }));
  deepEqual(new Set(either), new Set([...bind, ...reverse]));
  deepEqual(
    parseTableFilter({ contexts: ["sudo", "suid"] }),
    parseTableFilter({ contexts: ["sudo,suid"] }),
  );
});

Deno.test("parseTableFilter rejects an unknown function or context, naming the valid ones", () => {
  throws(() => parseTableFilter({ functions: ["shel"] }), (error: Error) => {
    ok(isUsage(error));
    match(
      error.message,
      /^--function must be one of shell, command, .*privilege-escalation; got 'shel'$/,
    );
    return true;
  });
  throws(() => parseTableFilter({ contexts: ["root"] }), (error: Error) => {
    ok(isUsage(error));
    match(error.message, new RegExp(`--context must be one of ${GTFO_CONTEXTS.join(", ")}`));
    return true;
  });
  equal(GTFO_FUNCTIONS.length, 10);
});

Deno.test("binaryLine groups functions by their contexts and names aliases and inherited binaries", () => {
  equal(
    binaryLine("find", GTFO_TABLE.binaries.find!),
    "find  file-read,file-write,shell[unpriv,sudo,suid]",
  );
  equal(binaryLine("c89", GTFO_TABLE.binaries.c89!, 6), "c89     = gcc");
  match(binaryLine("bash", GTFO_TABLE.binaries.bash!), / {2}aliases: ksh$/);
  match(binaryLine("git", GTFO_TABLE.binaries.git!), / {2}inherits: less$/);
  equal(listFooter(3, GTFO_TABLE), `3 of 478 executables (data: ${GTFO_TABLE.source})`);
  match(listFooter(3, GTFO_TABLE), /GTFOBins.*GPL-3\.0/);
});

Deno.test("binaryJson carries the table facts, with alias_of and aliases only when set", () => {
  const find = binaryJson("find", GTFO_TABLE.binaries.find!);
  deepEqual(Object.keys(find), ["name", "functions", "inherits"]);
  deepEqual(find.functions, GTFO_TABLE.binaries.find!.functions);
  deepEqual(binaryJson("c89", GTFO_TABLE.binaries.c89!), {
    name: "c89",
    alias_of: "gcc",
    functions: {},
    inherits: [],
  });
  deepEqual(binaryJson("bash", GTFO_TABLE.binaries.bash!).aliases, ["ksh"]);
});

Deno.test("alertsOf reads the alerts the guard recorded", () => {
  const found = alertsOf(command(1, "find . -exec /bin/sh \\;", "escalate", [FIND]), detector);
  ok(found);
  equal(found.detectedNow, false);
  equal(found.command, "find . -exec /bin/sh \\;");
  deepEqual(found.alerts.map((a) => [a.binary, a.risk, a.flags]), [["find", "critical", [
    "shell:-exec",
  ]]]);
  deepEqual(found.alerts[0]!.alert, FIND);
  equal(alertsOf(command(2, "ls", "allow", []), detector)?.alerts.length, 0);
});

Deno.test("alertsOf detects alerts now for entries recorded without them, from the command or argv", () => {
  const found = alertsOf(command(1, "find . -exec /bin/sh \\;", "allow", undefined), detector);
  ok(found);
  equal(found.detectedNow, true);
  equal(found.alerts[0]?.binary, "find");
  equal(found.alerts[0]?.risk, "critical");
  const entry = command(2, "", "allow", undefined);
  (entry.data as { intent: { target: unknown } }).intent.target = {
    argv: ["python3", "-c", "import os; os.system('sh')"],
  };
  const byArgv = alertsOf(entry, detector);
  equal(byArgv?.command, "python3 -c import os; os.system('sh')");
  equal(byArgv?.alerts[0]?.binary, "python");
  const withEnv = alertsOf(
    command(3, "PAGER='sh -c id' git -p help", "allow", undefined),
    detector,
  );
  ok(withEnv?.alerts[0]?.flags.includes("shell:env:PAGER"), JSON.stringify(withEnv?.alerts));
});

Deno.test("alertsOf skips other entries and malformed alerts", () => {
  equal(alertsOf(decision({ seq: 1 }), detector), undefined);
  equal(alertsOf(event(2, "repair"), detector), undefined);
  const odd = alertsOf(command(3, "x", "allow", ["junk" as never, { flags: "no" }]), detector);
  deepEqual(odd?.alerts.map((a) => [a.binary, a.risk, a.flags]), [["?", "?", []]]);
});

function summaryOf(entries: LedgerEntry[], verdicts: string[] = []) {
  const summary = newSummary();
  const filter = parseFilter({ verdict: verdicts }, Date.now());
  for (const entry of entries) addToSummary(summary, entry, { filter, detector });
  return summary;
}

const ENTRIES = [
  command(1, "find . -exec /bin/sh \\;", "escalate", [FIND], { principal: "agent:clawbot" }),
  command(2, "python3 -c 'print(1)'", "shadow", [PYTHON]),
  command(3, "git status", "allow", [GIT]),
  command(4, "git log", "allow", [GIT]),
  command(5, "ls", "allow", []),
  decision({ seq: 6, target: { path: "/etc/passwd" } }),
];

Deno.test("a summary counts alerts by binary, risk and verdict, and lists the critical and high ones", () => {
  const json = summaryJson(summaryOf(ENTRIES), 2);
  equal(json.decisions, 5);
  equal(json.flagged, 4);
  equal(json.alerts, 4);
  equal(json.detected_now, 0);
  deepEqual(json.by_risk, { critical: 1, high: 1, medium: 0, low: 2 });
  deepEqual(json.binaries, [
    {
      binary: "git",
      total: 2,
      by_risk: { critical: 0, high: 0, medium: 0, low: 2 },
      by_verdict: { allow: 2 },
    },
    {
      binary: "find",
      total: 1,
      by_risk: { critical: 1, high: 0, medium: 0, low: 0 },
      by_verdict: { escalate: 1 },
    },
    {
      binary: "python",
      total: 1,
      by_risk: { critical: 0, high: 1, medium: 0, low: 0 },
      by_verdict: { shadow: 1 },
    },
  ]);
  deepEqual(json.top_flags, [{ flag: "command:interactive", count: 2 }, {
    flag: "file-read:-c",
    count: 1,
  }]);
  deepEqual(json.critical_and_high, [
    {
      seq: 1,
      timestamp: "2024-01-15T10:30:00.000Z",
      principal: "agent:clawbot",
      binary: "find",
      risk: "critical",
      flags: ["shell:-exec"],
      verdict: "escalate",
      mode: "enforce",
      command: "find . -exec /bin/sh \\;",
    },
    {
      seq: 2,
      timestamp: "2024-01-15T10:30:00.000Z",
      principal: "user:alice",
      binary: "python",
      risk: "high",
      flags: ["shell:-c", "file-read:-c"],
      verdict: "shadow",
      mode: "enforce",
      command: "python3 -c 'print(1)'",
    },
  ]);
});

Deno.test("a summary honours the ledger filters", () => {
  const json = summaryJson(summaryOf(ENTRIES, ["escalate,shadow"]), 10);
  equal(json.decisions, 2);
  deepEqual((json.binaries as Array<{ binary: string }>).map((row) => row.binary), [
    "find",
    "python",
  ]);
});

Deno.test("summaryText shows totals, tables and the serious alerts, escaped", () => {
  const hostile = command(7, "find . -exec sh \x1b[2J\\;", "escalate", [FIND]);
  const text = summaryText(summaryOf([...ENTRIES, hostile]), 10).join("\n");
  match(
    text,
    /^6 command and process decisions, 5 with GTFOBins alerts \(5 alerts: 2 critical, 1 high, 0 medium, 2 low\)/,
  );
  match(text, /\n {2}binary +alerts +critical +high +medium +low +allow +shadow +escalate\n/);
  match(text, /\n {2}git +2 +0 +0 +0 +2 +2 +0 +0\n/);
  match(text, /Critical and high alerts \(3\)/);
  match(
    text,
    /#1 CRITICAL find +shell:-exec +ESCALATE +agent:clawbot +find \. -exec \/bin\/sh \\;/,
  );
  match(text, /#7 CRITICAL .*find \. -exec sh \\x1b\[2J\\;$/);
  ok(!text.includes("\x1b"));
  equal(
    summaryText(summaryOf([]), 10).join("\n"),
    "0 command and process decisions, 0 with GTFOBins alerts (0 alerts: 0 critical, 0 high, 0 medium, 0 low)",
  );
});

Deno.test("alertLine fits the width by shortening the command, and alertRecord is the JSONL shape", () => {
  const found = alertsOf(
    command(9, `find . -exec /bin/sh -c '${"x".repeat(200)}' \\;`, "escalate", [FIND]),
    detector,
  )!;
  const line = alertLine(found, found.alerts[0]!, 100);
  equal([...line].length, 100);
  match(line, /^\S+ +#9 CRITICAL find +shell:-exec +ESCALATE +user:alice +find \. -exec .*…$/);
  deepEqual(alertRecord(found, found.alerts[0]!), {
    seq: 9,
    timestamp: "2024-01-15T10:30:00.000Z",
    alert: FIND,
    verdict: "escalate",
    command: found.command,
  });
});

Deno.test("runGtfo rejects flags of another mode and mixed modes as usage errors", async () => {
  for (
    const argv of [
      ["--list", "--monitor"],
      ["--once"],
      ["--function", "shell"],
      ["--list", "--since", "1h"],
      ["--monitor", "--verdict", "deny"],
      ["--list", "--top", "3"],
      ["stray"],
    ]
  ) {
    await rejects(runGtfo(argv), isUsage, argv.join(" "));
  }
});
