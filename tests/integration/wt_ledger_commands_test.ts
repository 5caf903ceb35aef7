/**
 * The ledger views as users run them: wt tail, recent, stats, report, export, watch, alert and
 * shell-init, spawned under the `wt` permission set against ledgers written in this process.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import type { AppendRecord } from "../../core/ledger/writer.ts";
import { Ledger } from "../../core/ledger/writer.ts";
import { cleanEnv, REPO, run, sandbox, wt, wtArgs } from "./_wt.ts";

function decision(
  domain: string,
  operation: string,
  target: Record<string, string>,
  verdict: string,
  extra: { principal?: string; session?: string } = {},
): AppendRecord {
  return {
    data: {
      identity: { principal: extra.principal ?? "agent:clawbot", capabilities: [] },
      intent: { domain, operation, target },
      decision: {
        verdict: verdict as "allow",
        mode: "enforce",
        reason: "rule",
        detail: `rule ${verdict}-rule matched`,
        matched_rules: [`${verdict}-rule`],
        risk_score: 0.5,
        risk_level: "medium",
        sensitivity: "internal",
      },
      ...(extra.session ? { context: { session: extra.session } } : {}),
    },
    annotations: { zone: "SAFE" },
  };
}

/** Seven entries: reads, writes, commands (one a spreadsheet formula), http, and an event. */
const RECORDS: AppendRecord[] = [
  decision("filesystem", "read", { path: "/tmp/a.txt" }, "allow", { session: "s1" }),
  decision("filesystem", "write", { path: "/tmp/b.txt" }, "allow", { session: "s1" }),
  decision("filesystem", "delete", { path: "/etc/passwd" }, "deny", { session: "s2" }),
  decision("command", "exec", { command: "git status" }, "allow", { session: "s1" }),
  decision("command", "exec", { command: '=HYPERLINK("http://evil","x")' }, "escalate", {
    principal: "agent:other",
    session: "s2",
  }),
  decision("http", "get", { url: "https://example.com/a,b" }, "shadow"),
  { data: { event: { type: "repair", fault: "torn", truncated_bytes: 3 } } },
];

function ledgerWith(records = RECORDS) {
  const box = sandbox();
  new Ledger(box.stateDir).appendSync(records);
  return box;
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.trimEnd().split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

const COMMANDS = ["tail", "recent", "stats", "report", "export", "watch", "alert", "shell-init"];

Deno.test("each ledger command has --help, is listed by wt --help, and rejects unknown flags with 64", async () => {
  const help = await wt(["--help"]);
  for (const command of COMMANDS) match(help.stdout, new RegExp(`\\n  ${command} `), command);
  await Promise.all(COMMANDS.map(async (command) => {
    const result = await wt([command, "--help"]);
    equal(result.code, 0, command);
    match(result.stdout, /^wt \S+ — .*\n\nUsage: wt /, command);
    const bad = await wt([command, "--bogus"]);
    equal(bad.code, 64, command);
    equal(bad.stderr.trim().split("\n").length, 1, `${command}: ${bad.stderr}`);
  }));
});

Deno.test("an empty or missing ledger prints nothing or zero counts and exits 0", async () => {
  const { env } = sandbox();
  const results = await Promise.all([
    wt(["tail"], { env }),
    wt(["recent", "--json"], { env }),
    wt(["stats", "--json"], { env }),
    wt(["report", "--json"], { env }),
    wt(["export"], { env }),
    wt(["alert", "--once"], { env }),
    wt(["watch", "--once", "--json"], { env }),
  ]);
  for (const result of results) equal(result.code, 0, result.stderr);
  const [tail, recent, stats, report, exported, alert, watch] = results;
  equal(tail!.stdout, "");
  deepEqual(JSON.parse(recent!.stdout), []);
  equal(JSON.parse(stats!.stdout).total, 0);
  equal(JSON.parse(report!.stdout).total, 0);
  deepEqual(JSON.parse(exported!.stdout), []);
  equal(alert!.stdout, "");
  equal(JSON.parse(watch!.stdout).total, 0);
});

Deno.test("wt tail shows the last N entries one per line, as JSONL with --json, and counts bad lines", async () => {
  const { stateDir, env } = ledgerWith();
  Deno.writeTextFileSync(`${stateDir}/ledger-000001.jsonl`, "{not json\n", { append: true });
  const [text, json, bad] = await Promise.all([
    wt(["tail", "-n", "3"], { env }),
    wt(["tail", "--json"], { env }),
    wt(["tail", "-n", "x"], { env }),
  ]);
  equal(text.code, 0);
  const lines = text.stdout.trimEnd().split("\n");
  equal(lines.length, 3);
  match(
    lines[0]!,
    /#5 ESCALATE +command +exec +=HYPERLINK\("http:\/\/evil","x"\) +agent:other +escalate-rule$/,
  );
  match(lines[2]!, /#7 EVENT +repair +fault=torn truncated_bytes=3$/);
  match(text.stderr, /^wt tail: skipped 1 unreadable ledger line; run wt verify/);
  deepEqual(jsonLines(json.stdout).map((entry) => entry.seq), [1, 2, 3, 4, 5, 6, 7]);
  equal(bad.code, 64);
  match(bad.stderr, /-n takes a whole number/);
});

Deno.test("wt recent shows reasons and risk, and --json is an array of the last N entries", async () => {
  const { env } = ledgerWith();
  const [text, json] = await Promise.all([
    wt(["recent", "5"], { env }),
    wt(["recent", "2", "--json"], { env }),
  ]);
  equal(text.code, 0);
  match(text.stdout, /#4 +\S+ +ALLOW +command exec git status\n +by agent:clawbot · session s1\n/);
  match(text.stdout, /rule deny-rule; reason rule: rule deny-rule matched/);
  match(text.stdout, /risk 0\.5 medium · sensitivity internal · zone SAFE/);
  deepEqual(JSON.parse(json.stdout).map((entry: { seq: number }) => entry.seq), [6, 7]);
});

Deno.test("wt stats counts by domain, verdict, both, and events by type", async () => {
  const { env } = ledgerWith();
  const [json, text] = await Promise.all([
    wt(["stats", "--json"], { env }),
    wt(["stats"], { env }),
  ]);
  const stats = JSON.parse(json.stdout);
  equal(stats.total, 7);
  equal(stats.decisions, 6);
  deepEqual(stats.by_domain, { filesystem: 3, command: 2, http: 1 });
  deepEqual(stats.by_verdict, { allow: 3, deny: 1, escalate: 1, shadow: 1 });
  deepEqual(stats.by_domain_verdict.filesystem, { allow: 2, deny: 1 });
  deepEqual(stats.events_by_type, { repair: 1 });
  equal(stats.skipped_lines, 0);
  match(text.stdout, /filesystem +3 +2 +0 +0 +0 +1\n/);
  match(text.stdout, /events +repair 1/);
});

Deno.test("wt report ranks commands, denied targets, principals and sessions, with filters", async () => {
  const { env } = ledgerWith();
  const [all, denied, none, badSince, badDomain] = await Promise.all([
    wt(["report", "--json"], { env }),
    wt(["report", "--json", "--verdict", "deny,escalate", "--session", "s2", "--since", "1h"], {
      env,
    }),
    wt(["report", "--json", "--until", "2000-01-01"], { env }),
    wt(["report", "--since", "yesterday"], { env }),
    wt(["report", "--domain", "files"], { env }),
  ]);
  const report = JSON.parse(all.stdout);
  equal(report.total, 7);
  deepEqual(report.top_commands.map((row: { command: string }) => row.command), [
    '=HYPERLINK("http://evil","x")',
    "git status",
  ]);
  deepEqual(
    report.top_denied.map((
      row: { domain: string; resource: string },
    ) => [row.domain, row.resource]),
    [["command", '=HYPERLINK("http://evil","x")'], ["filesystem", "/etc/passwd"]],
  );
  deepEqual(report.principals[0], {
    principal: "agent:clawbot",
    count: 5,
    by_verdict: { allow: 3, deny: 1, shadow: 1 },
    first: report.principals[0].first,
    last: report.principals[0].last,
  });
  deepEqual(report.sessions.map((row: { session: string }) => row.session), ["s1", "s2", "(none)"]);
  const filtered = JSON.parse(denied.stdout);
  equal(filtered.total, 2);
  deepEqual(filtered.filter.verdicts, ["deny", "escalate"]);
  equal(JSON.parse(none.stdout).total, 0);
  equal(badSince.code, 64);
  match(badSince.stderr, /^wt report: --since takes an ISO time/);
  equal(badDomain.code, 64);
});

Deno.test("wt export writes JSON, JSONL and CSV with quoting and formula cells defused", async () => {
  const { env } = ledgerWith();
  const [json, jsonl, csv, commands] = await Promise.all([
    wt(["export"], { env }),
    wt(["export", "-", "--format", "jsonl"], { env }),
    wt(["export", "--format", "csv"], { env }),
    wt(["export", "--format", "jsonl", "--domain", "command", "--verdict", "escalate"], { env }),
  ]);
  const entries = JSON.parse(json.stdout);
  equal(entries.length, 7);
  match(json.stdout, /^\[\n {2}\{\n {4}"seq": 1,/);
  deepEqual(jsonLines(jsonl.stdout), entries);
  const rows = csv.stdout.split("\r\n");
  equal(
    rows[0],
    "seq,timestamp,principal,purpose,domain,operation,resource,verdict,reason,risk_score,risk_level,matched_rules,session,hash",
  );
  equal(rows.length, 9); // header, 7 rows, and the empty string after the last CRLF
  match(
    rows[5]!,
    /^5,[^,]+,agent:other,,command,exec,"'=HYPERLINK\(""http:\/\/evil"",""x""\)",escalate,/,
  );
  match(
    rows[6]!,
    /,http,get,"https:\/\/example\.com\/a,b",shadow,rule,0\.5,medium,shadow-rule,,[0-9a-f]{64}$/,
  );
  match(rows[7]!, /^7,[^,]+,,,event,repair,fault=torn truncated_bytes=3,/);
  deepEqual(jsonLines(commands.stdout).map((entry) => entry.seq), [5]);
});

Deno.test("wt export FILE writes a private file, refuses to overwrite without --force (78)", async () => {
  const { home, env } = ledgerWith();
  const file = `${home}/audit.csv`;
  const first = await wt(["export", file], { env });
  equal(first.code, 0, first.stderr);
  match(first.stderr, /wrote 7 entries to .*audit\.csv \(csv\)/);
  match(Deno.readTextFileSync(file), /^seq,timestamp,/);
  equal(Deno.statSync(file).mode! & 0o777, 0o600);
  Deno.writeTextFileSync(file, "mine");
  const again = await wt(["export", file, "--format", "json"], { env });
  equal(again.code, 78);
  match(again.stderr, /^wt export: Cannot export to .*: it exists; use --force/);
  equal(Deno.readTextFileSync(file), "mine");
  const forced = await wt(["export", file, "--format", "json", "--force"], { env });
  equal(forced.code, 0);
  equal(JSON.parse(Deno.readTextFileSync(file)).length, 7);
  deepEqual([...Deno.readDirSync(home)].map((entry) => entry.name).sort(), [
    ".watchtower",
    "audit.csv",
  ]);
  const badFormat = await wt(["export", "--format", "xml"], { env });
  equal(badFormat.code, 64);
  const noDir = await wt(["export", `${home}/missing/out.json`], { env });
  equal(noDir.code, 78);
  match(noDir.stderr, /^wt export: Cannot write .*missing\/out\.json: /);
});

Deno.test("wt alert --once reports filesystem mutations only, from --since, as lines or JSONL", async () => {
  const { env } = ledgerWith();
  const [text, json, since] = await Promise.all([
    wt(["alert", "--once"], { env }),
    wt(["alert", "--once", "--json"], { env }),
    wt(["alert", "--once", "--since", "2"], { env }),
  ]);
  equal(text.code, 0);
  const lines = text.stdout.trimEnd().split("\n");
  equal(lines.length, 2);
  match(lines[0]!, /#2 ALLOW +filesystem +write +\/tmp\/b\.txt/);
  match(lines[1]!, /#3 DENY +filesystem +delete +\/etc\/passwd/);
  deepEqual(jsonLines(json.stdout).map((entry) => entry.seq), [2, 3]);
  deepEqual(since.stdout.trimEnd().split("\n").length, 1);
});

Deno.test("wt alert --exec hands each alert to sh -c CMD, and says so (78) when it may not run sh", async () => {
  const { env } = ledgerWith();
  const handler = 'printf "%s %s %s %s " "$WT_ALERT_SEQ" "$WT_ALERT_OPERATION" "$WT_ALERT_PATH" ' +
    '"$WT_ALERT_VERDICT"; head -c 9; echo';
  // Explicit permissions, so that the test does not depend on what the wt set grants.
  const base = ["run", "-q", "--no-prompt", "--allow-read", "--allow-write", "--allow-env"];
  const args = [`${REPO}/cli/main.ts`, "alert", "--once", "--json", "--exec", handler];
  const [allowed, denied] = await Promise.all([
    run([...base, "--allow-run=sh", ...args], { env }),
    run([...base, ...args], { env }),
  ]);
  equal(allowed.code, 0, allowed.stderr);
  match(allowed.stdout, /^2 write \/tmp\/b\.txt allow \{"seq":2,$/m);
  match(allowed.stdout, /^3 delete \/etc\/passwd deny \{"seq":3,$/m);
  equal(denied.code, 78);
  equal(denied.stdout, "");
  match(denied.stderr, /^wt alert: Cannot use --exec: this wt may not run sh .*\n$/);
  const failing = await run([...base, "--allow-run=sh", ...args.slice(0, -1), "exit 3"], { env });
  equal(failing.code, 0);
  match(failing.stderr, /--exec command exited with 3 for seq 2\n.*exited with 3 for seq 3\n$/);
});

Deno.test("wt watch --once draws one frame of counts and denials, or its data with --json", async () => {
  const { env } = ledgerWith();
  const [text, json, bad] = await Promise.all([
    wt(["watch", "--once"], { env }),
    wt(["watch", "--once", "--json"], { env }),
    wt(["watch", "--interval", "0"], { env }),
  ]);
  equal(text.code, 0);
  ok(!text.stdout.includes("\x1b"), "no escape codes off a terminal");
  match(text.stdout, /^Watchtower — .*\.watchtower — /);
  match(text.stdout, /entries +7 \(6 decisions, 1 event\)/);
  match(text.stdout, /per min +1m 7 +5m 1\.4 +15m 0\.47/);
  match(text.stdout, /deny +1 {2}█+/);
  match(text.stdout, /Latest denials and escalations\n.*#5 ESCALATE.*\n.*#3 DENY/);
  const snapshot = JSON.parse(json.stdout);
  equal(snapshot.total, 7);
  deepEqual(snapshot.latest_denials.map((row: { seq: number }) => row.seq), [5, 3]);
  equal(bad.code, 64);
});

Deno.test("wt shell-init bash prints wt_* functions that bash can eval", async () => {
  const { env } = sandbox();
  const script = await wt(["shell-init", "bash"], { env });
  equal(script.code, 0);
  for (
    const name of [
      "init",
      "clean",
      "stats",
      "watch",
      "tail",
      "alert",
      "gtfo",
      "export",
      "report",
      "recent",
      "status",
      "verify",
    ]
  ) {
    match(script.stdout, new RegExp(`^wt_${name}\\(\\) \\{ command wt ${name} "\\$@"; \\}$`, "m"));
  }
  // A stand-in `wt` on PATH shows what the functions pass on.
  const bin = Deno.makeTempDirSync({ prefix: "wt-bin-" });
  Deno.writeTextFileSync(`${bin}/wt`, '#!/bin/sh\necho "wt $*"\n', { mode: 0o755 });
  const bash = await new Deno.Command("bash", {
    args: ["-c", 'eval "$1" && type wt_tail && wt_tail -n 5 "two words"', "bash", script.stdout],
    env: { PATH: `${bin}:/usr/bin:/bin` },
    clearEnv: true,
  }).output();
  const stdout = new TextDecoder().decode(bash.stdout);
  equal(bash.code, 0, new TextDecoder().decode(bash.stderr));
  match(stdout, /^wt_tail is a function/);
  match(stdout, /^wt tail -n 5 two words$/m);
  const zsh = await wt(["shell-init", "zsh"], { env });
  equal(zsh.code, 0);
  match(zsh.stdout, /^wt_verify\(\) \{ command wt verify "\$@"; \}$/m);
  const fish = await wt(["shell-init", "fish"], { env });
  equal(fish.code, 64);
  match(fish.stderr, /supports bash and zsh, not 'fish'/);
});

/** A running `wt` whose stdout is read as it comes. */
function spawnWt(args: string[], env: Record<string, string>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: wtArgs(args),
    cwd: REPO,
    clearEnv: true,
    env: cleanEnv(env),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  /** Reads until `pattern` matches what was printed so far (or fails after 8 s). */
  const waitFor = async (pattern: RegExp) => {
    const deadline = setTimeout(() => child.kill("SIGKILL"), 8000);
    try {
      while (!pattern.test(seen)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`wt exited before printing ${pattern}; printed:\n${seen}`);
        seen += value;
      }
    } finally {
      clearTimeout(deadline);
    }
    return seen;
  };
  const stop = async () => {
    child.kill("SIGTERM");
    await reader.cancel();
    const status = await child.status;
    await child.stderr.cancel();
    return status;
  };
  return { waitFor, stop };
}

Deno.test("wt tail -f prints entries appended after it started and exits 0 on SIGTERM", async () => {
  const { stateDir, env } = ledgerWith();
  const tail = spawnWt(["tail", "-n", "1", "-f"], env);
  await tail.waitFor(/#7 EVENT/);
  new Ledger(stateDir).appendSync([decision("filesystem", "write", { path: "/tmp/new" }, "allow")]);
  match(await tail.waitFor(/#8 /), /#8 ALLOW +filesystem +write +\/tmp\/new/);
  const status = await tail.stop();
  equal(status.code, 0);
  equal(status.signal, null);
});

Deno.test("wt alert follows new mutations after --since and wt watch redraws, both ending on SIGTERM", async () => {
  const { stateDir, env } = ledgerWith();
  const alert = spawnWt(["alert", "--since", "7", "--json"], env);
  const watch = spawnWt(["watch", "--interval", "0.2"], env);
  await watch.waitFor(/entries +7 /);
  new Ledger(stateDir).appendSync([
    decision("filesystem", "read", { path: "/tmp/quiet" }, "allow"),
    decision("filesystem", "chmod", { path: "/tmp/loud" }, "deny"),
  ]);
  const alerted = jsonLines(await alert.waitFor(/\n/));
  deepEqual(alerted.map((entry) => entry.seq), [9]);
  await watch.waitFor(/#9 DENY +filesystem +chmod/);
  const [alertStatus, watchStatus] = await Promise.all([alert.stop(), watch.stop()]);
  equal(alertStatus.code, 0);
  equal(watchStatus.code, 0);
});
