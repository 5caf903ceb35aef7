/**
 * `wt gtfo` as users run it: the database, a scan of a ledger whose entries `wt check` wrote
 * (so the GTFOBins annotations are the guard's own), and the monitor.
 */
import { SessionStore } from "../../core/session/store.ts";
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { GTFO_TABLE } from "../../core/gtfobins/mod.ts";
import { Ledger } from "../../core/ledger/writer.ts";
import { cleanEnv, REPO, sandbox, wt, wtArgs } from "./_wt.ts";

/** Intents for `wt check --batch`: a critical, a high and a low GTFOBins alert. */
const INTENTS = [
  {
    domain: "command",
    target: { command: "find . -exec /bin/sh \\;" },
    identity: { principal: "agent:clawbot" },
    context: { session: "s1" },
  },
  { domain: "command", target: { command: "python3 -c 'print(1)'" }, context: { session: "s2" } },
  { domain: "command", target: { command: "git status" }, context: { session: "s1" } },
  { domain: "filesystem", operation: "read", target: { path: "/tmp/a.txt" } },
];

let shared: Promise<ReturnType<typeof sandbox>> | undefined;

/** One ledger for the tests that only read it: four entries from wt check, one older entry. */
function ledger(): Promise<ReturnType<typeof sandbox>> {
  shared ??= (async () => {
    const box = sandbox();
    // The sessions the intents name must exist (an unknown session is refused); made directly,
    // so that the ledger holds only the entries the tests count.
    for (const id of ["s1", "s2"]) new SessionStore(box.stateDir).start({ id, principal: "p" });
    const checked = await wt(["check", "--batch"], {
      env: box.env,
      stdin: INTENTS.map((intent) => JSON.stringify(intent)).join("\n"),
    });
    equal(checked.code, 0, checked.stderr);
    // An entry written before GTFOBins annotations existed: wt gtfo detects its alerts itself.
    new Ledger(box.stateDir).appendSync([{
      data: {
        identity: { principal: "agent:old", capabilities: [] },
        intent: { domain: "command", operation: "exec", target: { command: "sudo vim -c ':!sh'" } },
        decision: {
          verdict: "allow",
          mode: "enforce",
          reason: "default",
          detail: "no rule matched",
          matched_rules: [],
          risk_score: 0.1,
          risk_level: "low",
          sensitivity: "internal",
        },
      },
      annotations: { zone: "SAFE" },
    }]);
    return box;
  })();
  return shared;
}

const lines = (text: string) => text.trimEnd().split("\n").filter(Boolean);

Deno.test("wt gtfo has --help, is listed by wt --help, and rejects bad flags with 64 and one line", async () => {
  const [top, help, ...bad] = await Promise.all([
    wt(["--help"]),
    wt(["gtfo", "--help"]),
    wt(["gtfo", "--bogus"]),
    wt(["gtfo", "--list", "--function", "shel"]),
    wt(["gtfo", "--list", "--context", "root"]),
    wt(["gtfo", "--list", "--monitor"]),
    wt(["gtfo", "--once"]),
    wt(["gtfo", "--since", "yesterday"]),
    wt(["gtfo", "--monitor", "--since", "x"]),
  ]);
  match(
    top.stdout,
    /\n {2}gtfo +GTFOBins: list the database, scan the ledger, or monitor it live\n/,
  );
  equal(help.code, 0);
  match(help.stdout, /^wt gtfo — .*\n\nUsage:\n {2}wt gtfo /);
  for (const result of bad) {
    equal(result.code, 64, result.stderr);
    equal(lines(result.stderr).length, 1, result.stderr);
    match(result.stderr, /^wt gtfo: /);
    equal(result.stdout, "");
  }
  match(bad[1]!.stderr, /--function must be one of shell, command, reverse-shell, bind-shell, /);
  match(bad[2]!.stderr, /--context must be one of unprivileged, sudo, suid, capabilities/);
});

Deno.test("wt gtfo --list prints the whole database, or the executables that pass the filters", async () => {
  const { env } = sandbox();
  const [all, suid, json, none] = await Promise.all([
    wt(["gtfo", "--list"], { env }),
    wt(["gtfo", "--list", "--function", "shell", "--context", "suid"], { env }),
    wt(["gtfo", "--list", "--json", "--function", "shell", "--context", "suid"], { env }),
    wt(["gtfo", "--list", "--function", "bind-shell", "--context", "capabilities"], { env }),
  ]);
  for (const result of [all, suid, json, none]) equal(result.code, 0, result.stderr);
  const allLines = lines(all.stdout);
  // Piped, there is no closing count: every line is an executable.
  equal(allLines.length, 478);
  equal(allLines.length, GTFO_TABLE.count);
  ok(allLines.some((line) => /^c89 {3,}= gcc$/.test(line)));
  const names = (text: string) => lines(text).map((line) => line.split(" ")[0]);
  const suidNames = names(suid.stdout);
  ok(suidNames.length > 0 && suidNames.length < 478);
  ok(suidNames.includes("find"));
  ok(!suidNames.includes("sudo") && !suidNames.includes("7z"));
  match(lines(suid.stdout).find((line) => line.startsWith("find "))!, /shell\[[a-z,]*suid/);
  const parsed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
  deepEqual(parsed.map((binary) => binary.name), suidNames);
  const find = parsed.find((binary) => binary.name === "find")!;
  deepEqual(Object.keys(find), ["name", "functions", "inherits"]);
  const shell = (find.functions as Record<string, Record<string, unknown>>).shell!;
  for (const key of ["contexts", "options", "env", "shapes", "bare", "interactive", "setup"]) {
    ok(key in shell, key);
  }
  ok((shell.contexts as string[]).includes("suid"));
  equal(none.stdout, "");
});

Deno.test("wt gtfo summarises the ledger's GTFOBins alerts by binary, risk and verdict", async () => {
  const { env } = await ledger();
  const [text, json, escalated] = await Promise.all([
    wt(["gtfo"], { env }),
    wt(["gtfo", "--json"], { env }),
    wt(["gtfo", "--json", "--verdict", "escalate", "--session", "s1"], { env }),
  ]);
  for (const result of [text, json, escalated]) equal(result.code, 0, result.stderr);
  const summary = JSON.parse(json.stdout);
  equal(summary.decisions, 4);
  equal(summary.flagged, 4);
  equal(summary.detected_now, 1);
  equal(summary.skipped_lines, 0);
  const rows = new Map(
    (summary.binaries as Array<Record<string, unknown>>).map((row) => [row.binary, row]),
  );
  deepEqual(rows.get("find"), {
    binary: "find",
    total: 1,
    by_risk: { critical: 1, high: 0, medium: 0, low: 0 },
    by_verdict: { escalate: 1 },
  });
  deepEqual((rows.get("python") as { by_verdict: unknown }).by_verdict, { shadow: 1 });
  deepEqual((rows.get("git") as { by_risk: unknown }).by_risk, {
    critical: 0,
    high: 0,
    medium: 0,
    low: 1,
  });
  // The older entry: sudo and the vim it runs, both detected now.
  equal((rows.get("vim") as { by_risk: { critical: number } }).by_risk.critical, 1);
  ok(rows.has("sudo"));
  const serious = summary.critical_and_high as Array<Record<string, unknown>>;
  deepEqual(serious[0], {
    seq: 1,
    timestamp: serious[0]!.timestamp,
    principal: "agent:clawbot",
    binary: "find",
    risk: "critical",
    flags: serious[0]!.flags,
    verdict: "escalate",
    mode: "enforce",
    command: "find . -exec /bin/sh \\;",
  });
  ok((serious[0]!.flags as string[]).includes("shell:-exec"));
  deepEqual(serious.slice(0, 2).map((alert) => [alert.binary, alert.risk]), [
    ["find", "critical"],
    ["python", "high"],
  ]);
  ok(serious.some((alert) => alert.binary === "vim" && alert.principal === "agent:old"));
  ok(!serious.some((alert) => alert.binary === "git"));

  match(text.stdout, /^4 command and process decisions, 4 with GTFOBins alerts/);
  match(text.stdout, /\n {2}find +1 +1 +0 +0 +0 /);
  match(text.stdout, /#1 CRITICAL find +\S*shell:-exec\S* +ESCALATE +agent:clawbot +find \. -exec/);
  match(text.stdout, /#2 HIGH +python +.* SHADOW +user:\S+ +python3 -c 'print\(1\)'/);

  const only = JSON.parse(escalated.stdout);
  equal(only.decisions, 1);
  deepEqual(only.filter.verdicts, ["escalate"]);
  deepEqual(only.binaries.map((row: { binary: string }) => row.binary), ["find"]);
});

Deno.test("wt gtfo --monitor --once prints every alert in the ledger, as lines or JSONL", async () => {
  const { env } = await ledger();
  const [text, json, after] = await Promise.all([
    wt(["gtfo", "--monitor", "--once"], { env }),
    wt(["gtfo", "--monitor", "--once", "--json"], { env }),
    wt(["gtfo", "--monitor", "--once", "--json", "--since", "3"], { env }),
  ]);
  for (const result of [text, json, after]) equal(result.code, 0, result.stderr);
  const shown = lines(text.stdout);
  match(
    shown[0]!,
    /^\S+Z +#1 CRITICAL find +\S+ +ESCALATE +agent:clawbot +find \. -exec \/bin\/sh \\;$/,
  );
  match(shown[2]!, /#3 LOW +git +.* ALLOW +user:\S+ +git status$/);
  const records = lines(json.stdout).map((line) => JSON.parse(line));
  deepEqual(records.map((record) => [record.seq, record.alert.binary]), [
    [1, "find"],
    [2, "python"],
    [3, "git"],
    [5, "sudo"],
    [5, "vim"],
  ]);
  deepEqual(Object.keys(records[0]), ["seq", "timestamp", "alert", "verdict", "command"]);
  equal(records[0].verdict, "escalate");
  equal(records[0].alert.risk, "critical");
  deepEqual(lines(after.stdout).map((line) => JSON.parse(line).seq), [5, 5]);
});

Deno.test("wt gtfo --monitor follows alerts as wt check records them and exits 0 on SIGTERM", async () => {
  const box = sandbox();
  const child = new Deno.Command(Deno.execPath(), {
    args: wtArgs(["gtfo", "--monitor", "--since", "0", "--json"]),
    cwd: REPO,
    clearEnv: true,
    env: cleanEnv(box.env),
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const deadline = setTimeout(() => child.kill("SIGKILL"), 8000);
  try {
    const checked = await wt(["check", "--domain", "command", "--command", "env /bin/sh"], {
      env: box.env,
    });
    equal(checked.code, 75, checked.stderr);
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    const record = JSON.parse(lines(seen)[0]!);
    equal(record.seq, 1);
    equal(record.alert.binary, "env");
    equal(record.command, "env /bin/sh");
    child.kill("SIGTERM");
    await reader.cancel();
    const status = await child.status;
    equal(status.code, 0);
    equal(status.signal, null);
  } finally {
    clearTimeout(deadline);
  }
});
