/**
 * Sessions end to end: `wt session`, and the zone every layer of one agent run shares — `wt exec`,
 * `wt sh`, `wt check` and the egress proxy — with the real binaries and a fresh state directory.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { eventually, ledgerLines, startUpstream } from "./_proxy.ts";
import { cleanEnv, REPO, type RunResult, sandbox, wt } from "./_wt.ts";

type Env = Record<string, string>;
// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

/** Starts a session (`--id` when given) and returns its id. */
async function startSession(env: Env, id?: string): Promise<string> {
  const result = await wt(["session", "start", "--json", ...(id ? ["--id", id] : [])], { env });
  equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout).id;
}

/** `wt session show ID --json`, parsed. */
async function show(env: Env, id: string): Promise<Json> {
  const result = await wt(["session", "show", id, "--json"], { env });
  equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

/** The ledger's events of one type. */
function events(stateDir: string, type: string): Json[] {
  return ledgerLines(stateDir).filter((entry) => entry.data.event?.type === type);
}

/**
 * Asserts a refusal: exit 77, nothing on stdout, one line on stderr naming `id`. `wt check`
 * answers with its decision instead: one DENY line on stdout naming `id` (and recorded).
 */
function refused(result: RunResult, id: string, what: string): void {
  equal(result.code, 77, `${what}: exit ${result.code}\n${result.stdout}${result.stderr}`);
  if (what.startsWith("wt check")) {
    equal(result.stderr, "", what);
    ok(/^DENY .*session/.test(result.stdout) && result.stdout.includes(id), result.stdout);
    return;
  }
  equal(result.stdout, "", what);
  const lines = result.stderr.trimEnd().split("\n");
  equal(lines.length, 1, `${what}: not one line: ${result.stderr}`);
  ok(lines[0]!.includes(id), `${what}: the error does not name ${id}: ${lines[0]}`);
}

const POST_UNKNOWN = ["check", "--domain", "http", "--operation", "post"];

Deno.test("wt session start prints an export line, --json the record; show, list and end report it", async () => {
  const box = sandbox();
  const started = await wt(["session", "start", "--purpose", "SOC_efficiency"], { env: box.env });
  equal(started.code, 0, started.stderr);
  const exported = /^export WATCHTOWER_SESSION=(s-[0-9a-f]{16})\n$/.exec(started.stdout);
  ok(exported, `not an export line: ${started.stdout}`);
  const first = exported[1]!;
  const json = await wt(["session", "start", "--id", "task-7", "--json"], { env: box.env });
  equal(json.code, 0, json.stderr);
  const record = JSON.parse(json.stdout);
  equal(record.id, "task-7");
  equal(record.zone, "SAFE");
  equal(record.purpose, null);
  equal(record.ended, null);
  deepEqual(record.transitions, []);
  match(record.created, /^\d{4}-\d\d-\d\dT/);

  const shown = await show(box.env, first);
  equal(shown.purpose, "SOC_efficiency");
  equal(shown.zone, "SAFE");
  // Without an id: the session in WATCHTOWER_SESSION.
  const text = await wt(["session", "show"], { env: { ...box.env, WATCHTOWER_SESSION: first } });
  equal(text.code, 0, text.stderr);
  match(text.stdout, new RegExp(`session\\s+${first}`));
  match(text.stdout, /zone\s+SAFE/);
  match(text.stdout, /purpose\s+SOC_efficiency/);

  const listed = await wt(["session", "list", "--json"], { env: box.env });
  equal(listed.code, 0, listed.stderr);
  deepEqual(JSON.parse(listed.stdout).map((s: Json) => s.id), ["task-7", first]);

  const ended = await wt(["session", "end", "task-7"], { env: box.env });
  equal(ended.code, 0, ended.stderr);
  match(ended.stdout, /task-7 ended in zone SAFE/);
  const open = await wt(["session", "list", "--json"], { env: box.env });
  deepEqual(JSON.parse(open.stdout).map((s: Json) => s.id), [first]);
  const all = await wt(["session", "list", "--all", "--json"], { env: box.env });
  const endedRecord = JSON.parse(all.stdout).find((s: Json) => s.id === "task-7");
  match(endedRecord.ended, /^\d{4}-/);

  const again = await wt(["session", "start", "--id", "task-7"], { env: box.env });
  equal(again.code, 64, "an id that was used is refused");
  const badId = await wt(["session", "start", "--id", "../escape"], { env: box.env });
  equal(badId.code, 64);

  const starts = events(box.stateDir, "session.start");
  deepEqual(starts.map((e) => e.data.event.session), [first, "task-7"]);
  equal(starts[0]!.data.event.purpose, "SOC_efficiency");
  deepEqual(events(box.stateDir, "session.end").map((e) => e.data.event.session), ["task-7"]);
});

Deno.test("wt session zone moves a zone forward; moving it back exits 77, one line, recorded", async () => {
  const box = sandbox();
  const id = await startSession(box.env, "zones");
  const forward = await wt(["session", "zone", "COMMITMENT", id], { env: box.env });
  equal(forward.code, 0, forward.stderr);
  match(forward.stdout, /SAFE -> COMMITMENT/);
  equal((await show(box.env, id)).zone, "COMMITMENT");

  const back = await wt(["session", "zone", "SAFE", id], { env: box.env });
  refused(back, id, "wt session zone SAFE");
  match(back.stderr, /COMMITMENT/);
  const session = await show(box.env, id);
  equal(session.zone, "COMMITMENT");
  equal(session.transitions.length, 1);
  const refusals = events(box.stateDir, "session.zone_refused");
  equal(refusals.length, 1);
  deepEqual(
    { ...refusals[0]!.data.event },
    { type: "session.zone_refused", session: id, from: "COMMITMENT", to: "SAFE" },
  );

  // The same zone again changes nothing and records no move; a later one moves on.
  const same = await wt(["session", "zone", "COMMITMENT"], {
    env: { ...box.env, WATCHTOWER_SESSION: id },
  });
  equal(same.code, 0, same.stderr);
  const unknownZone = await wt(["session", "zone", "LATER", id], { env: box.env });
  equal(unknownZone.code, 64);
  const last = await wt(["session", "zone", "irreversible", id], { env: box.env });
  equal(last.code, 0, last.stderr);
  const moves = events(box.stateDir, "session.zone").map((
    e,
  ) => [e.data.event.from, e.data.event.to]);
  deepEqual(moves, [["SAFE", "COMMITMENT"], ["COMMITMENT", "IRREVERSIBLE"]]);
  equal((await show(box.env, id)).zone, "IRREVERSIBLE");
});

Deno.test("an ended session is refused: wt exec, wt sh, wt check and wt session zone exit 77", async () => {
  const box = sandbox();
  const id = await startSession(box.env);
  const env = { ...box.env, WATCHTOWER_SESSION: id };
  const live = await wt(["exec", "--", "true"], { env });
  equal(live.code, 0, `a live session must work: ${live.stderr}`);
  equal((await wt(["session", "end", id], { env: box.env })).code, 0);
  const [exec, sh, check, zone, endAgain] = await Promise.all([
    wt(["exec", "--", "true"], { env }),
    wt(["sh", "-c", "true"], { env }),
    wt(["check", "--domain", "filesystem", "--path", "/tmp/x"], { env }),
    wt(["session", "zone", "COMMITMENT", id], { env: box.env }),
    wt(["session", "end", id], { env: box.env }),
  ]);
  refused(exec, id, "wt exec");
  match(exec.stderr, /ended/);
  refused(sh, id, "wt sh");
  refused(check, id, "wt check");
  refused(zone, id, "wt session zone");
  refused(endAgain, id, "wt session end (twice)");
  equal((await show(box.env, id)).zone, "SAFE");
  equal(events(box.stateDir, "session.end").length, 1);
});

Deno.test("an unknown or corrupt WATCHTOWER_SESSION makes wt exec, wt sh and wt check exit 77", async () => {
  const box = sandbox();
  const good = await startSession(box.env);
  const corrupt = await startSession(box.env, "corrupt-1");
  Deno.writeTextFileSync(`${box.stateDir}/sessions/${corrupt}.json`, '{"version": 1, "id": "corr');
  const behind = await startSession(box.env, "behind-1");
  // A zone its transitions say it left: someone edited it back.
  const file = `${box.stateDir}/sessions/${behind}.json`;
  equal((await wt(["session", "zone", "COMMITMENT", behind], { env: box.env })).code, 0);
  Deno.writeTextFileSync(
    file,
    Deno.readTextFileSync(file).replace('"zone": "COMMITMENT"', '"zone": "SAFE"'),
  );
  const okRuns = await Promise.all([
    wt(["exec", "--", "true"], { env: { ...box.env, WATCHTOWER_SESSION: good } }),
    wt(["sh", "-c", "true"], { env: { ...box.env, WATCHTOWER_SESSION: good } }),
  ]);
  for (const result of okRuns) equal(result.code, 0, `a good session must work: ${result.stderr}`);
  for (const id of ["s-00000000deadbeef", corrupt, behind]) {
    const env = { ...box.env, WATCHTOWER_SESSION: id };
    const [exec, sh, check] = await Promise.all([
      wt(["exec", "--", "true"], { env }),
      wt(["sh", "-c", "true"], { env }),
      wt(["check", "--domain", "filesystem", "--path", "/tmp/x"], { env }),
    ]);
    refused(exec, id, `wt exec in ${id}`);
    refused(sh, id, `wt sh in ${id}`);
    refused(check, id, `wt check in ${id}`);
    if (id !== "s-00000000deadbeef") match(exec.stderr, /corrupt/);
  }
});

Deno.test("a malformed WATCHTOWER_SESSION (../x) is refused as an unusable session: exit 77", async () => {
  // A session id from the environment that is not an id names no usable session: deny, as an
  // unknown one is (today it is a usage error, exit 64).
  const box = sandbox();
  const env = { ...box.env, WATCHTOWER_SESSION: "../x" };
  const [exec, sh, check] = await Promise.all([
    wt(["exec", "--", "true"], { env }),
    wt(["sh", "-c", "true"], { env }),
    wt(["check", "--domain", "filesystem", "--path", "/tmp/x"], { env }),
  ]);
  refused(exec, "../x", "wt exec");
  refused(sh, "../x", "wt sh");
  refused(check, "../x", "wt check");
});

Deno.test("wt check --batch decides a line in an ended session as deny, reason session_unavailable", async () => {
  const box = sandbox();
  const id = await startSession(box.env);
  equal((await wt(["session", "end", id], { env: box.env })).code, 0);
  const line = { domain: "filesystem", operation: "read", target: { path: "/tmp/x" } };
  const result = await wt(["check", "--batch"], {
    env: { ...box.env, WATCHTOWER_SESSION: id },
    stdin: `${JSON.stringify(line)}\n`,
  });
  const answer = JSON.parse(result.stdout.trim().split("\n")[0]!);
  // The line is a good intent: the session is what cannot be used, and the answer is deny.
  equal(answer.decision?.verdict, "deny", `batch answered ${result.stdout}`);
  equal(answer.decision?.reason, "session_unavailable");
});

/** A home with a salary file in it. */
function salaryBox() {
  const box = sandbox();
  Deno.mkdirSync(`${box.home}/hr`, { recursive: true });
  const salary = `${box.home}/hr/salary_2024.csv`;
  Deno.writeTextFileSync(salary, "alice,100\n");
  const notes = `${box.home}/notes.txt`;
  Deno.writeTextFileSync(notes, "hello\n");
  return { ...box, salary, notes };
}

Deno.test("a salary read moves the session to SENSITIVE; then an unknown POST is denied, in a fresh session escalated", async () => {
  const box = salaryBox();
  const chain = await startSession(box.env, "chain");
  const fresh = await startSession(box.env, "fresh");
  const inChain = { ...box.env, WATCHTOWER_SESSION: chain };
  const inFresh = { ...box.env, WATCHTOWER_SESSION: fresh };

  // An ordinary read leaves a session SAFE.
  const notes = await wt(["exec", "--", "cat", box.notes], { env: inFresh });
  equal(notes.code, 0, notes.stderr);
  equal((await show(box.env, fresh)).zone, "SAFE");

  const read = await wt(["exec", "--", "cat", box.salary], { env: inChain });
  equal(read.code, 0, read.stderr);
  equal(read.stdout, "alice,100\n");
  const session = await show(box.env, chain);
  equal(session.zone, "SENSITIVE");
  equal(session.transitions.length, 1);
  equal(session.transitions[0].from, "SAFE");
  equal(session.transitions[0].to, "SENSITIVE");
  match(session.transitions[0].cause, /salary_2024\.csv/);
  // The ledger has the decision, then the move it caused.
  const entries = ledgerLines(box.stateDir);
  const decided = entries.findIndex((e) =>
    e.data.context?.session === chain && String(e.data.intent?.target?.command).includes("salary")
  );
  ok(decided >= 0, "the salary read was not recorded");
  equal(entries[decided]!.data.decision.verdict, "allow");
  const moved = entries.findIndex((e) =>
    e.data.event?.type === "session.zone" && e.data.event.session === chain
  );
  ok(moved > decided, "no session.zone event after the decision");
  deepEqual(
    [entries[moved]!.data.event.from, entries[moved]!.data.event.to],
    ["SAFE", "SENSITIVE"],
  );

  const url = ["--url", "https://unknown.example/x"];
  const denied = await wt([...POST_UNKNOWN, ...url, "--json"], { env: inChain });
  equal(denied.code, 77, denied.stdout + denied.stderr);
  const deny = JSON.parse(denied.stdout).decision;
  equal(deny.verdict, "deny");
  equal(deny.reason, "rule");
  deepEqual(deny.matched_rules, ["deny-unknown-egress-after-sensitive-read"]);
  equal(deny.annotations.zone, "SENSITIVE");
  equal(deny.annotations.action_zone, "COMMITMENT");

  const escalated = await wt([...POST_UNKNOWN, ...url, "--json"], { env: inFresh });
  equal(escalated.code, 75, escalated.stdout + escalated.stderr);
  const escalate = JSON.parse(escalated.stdout).decision;
  equal(escalate.verdict, "escalate");
  equal(escalate.reason, "default");
  equal(escalate.annotations.zone, "SAFE");

  // wt check decides in a zone but never moves it: it is not an action.
  const checkRead = await wt(["check", "--domain", "filesystem", "--path", box.salary], {
    env: inFresh,
  });
  ok([0, 75, 77].includes(checkRead.code), checkRead.stderr);
  equal((await show(box.env, fresh)).zone, "SAFE");
  equal((await show(box.env, chain)).zone, "SENSITIVE");
});

Deno.test("a rule that allows a host still allows a POST to it after a sensitive read", async () => {
  const box = salaryBox();
  Deno.mkdirSync(box.stateDir, { recursive: true });
  Deno.writeTextFileSync(
    `${box.stateDir}/policy.yaml`,
    [
      'version: "2.0.0"',
      "sensitivity:",
      '  - { pattern: "*salary*", level: confidential }',
      "policies:",
      "  - { name: allow-api, priority: 10, match: { domain: http, host: api.example }, action: allow }",
      "  - name: allow-local-reads",
      "    priority: 10",
      "    match: { domain: [command, filesystem], operation: [exec, read] }",
      "    action: allow",
      "",
    ].join("\n"),
  );
  const id = await startSession(box.env);
  const env = { ...box.env, WATCHTOWER_SESSION: id };
  const read = await wt(["exec", "--", "cat", box.salary], { env });
  equal(read.code, 0, read.stderr);
  equal((await show(box.env, id)).zone, "SENSITIVE");
  const allowed = await wt([...POST_UNKNOWN, "--url", "https://api.example/upload", "--json"], {
    env,
  });
  equal(allowed.code, 0, allowed.stdout + allowed.stderr);
  const allow = JSON.parse(allowed.stdout).decision;
  equal(allow.verdict, "allow");
  deepEqual(allow.matched_rules, ["allow-api"]);
  equal(allow.annotations.zone, "SENSITIVE");
  const denied = await wt([...POST_UNKNOWN, "--url", "https://unknown.example/x", "--json"], {
    env,
  });
  equal(denied.code, 77, denied.stdout + denied.stderr);
  deepEqual(
    JSON.parse(denied.stdout).decision.matched_rules,
    ["deny-unknown-egress-after-sensitive-read"],
  );
});

interface Proxy {
  url: string;
  stderr(): string;
  stop(): Promise<number>;
}

/** Starts the real wt-proxy (as its launcher does) in `box`'s state directory. */
async function proxyIn(box: { home: string; env: Env }, env: Env): Promise<Proxy | RunResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--no-prompt",
      "--config",
      `${REPO}/deno.json`,
      "-P=wt-proxy",
      `--allow-write=${box.home}`,
      `${REPO}/proxy/main.ts`,
      "--port",
      "0",
      "--allow-loopback",
    ],
    cwd: box.home,
    clearEnv: true,
    env: cleanEnv({ ...box.env, ...env }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let errText = "";
  const errDone = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) errText += decoder.decode(chunk, { stream: true });
  })();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  const timer = setTimeout(() => child.kill(), 20_000);
  while (!first.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    first += value;
  }
  clearTimeout(timer);
  reader.releaseLock();
  const port = /listening on 127\.0\.0\.1:(\d+)/.exec(first)?.[1];
  if (port === undefined) {
    const status = await child.status;
    await errDone;
    await child.stdout.cancel().catch(() => {});
    return { code: status.code, stdout: first, stderr: errText };
  }
  const drain = child.stdout.pipeTo(new WritableStream()).catch(() => {});
  return {
    url: `http://127.0.0.1:${port}`,
    stderr: () => errText,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      const status = await child.status;
      await Promise.all([errDone, drain]);
      return status.code;
    },
  };
}

/** `curl -x PROXY`: the status and body of the last response head. */
async function curl(proxy: Proxy, url: string, args: string[] = []) {
  const out = await new Deno.Command("curl", {
    args: ["-s", "-i", "--max-time", "20", "-x", proxy.url, ...args, url],
    env: { NO_PROXY: "", no_proxy: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const parts = new TextDecoder().decode(out.stdout).split("\r\n\r\n");
  let index = 0;
  while (index + 1 < parts.length && /^HTTP\/1\.1 1\d\d/.test(parts[index]!)) index++;
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(parts[index] ?? "")?.[1] ?? 0);
  return { status, body: parts.slice(index + 1).join("\r\n\r\n") };
}

Deno.test("the proxy decides in the shared session: GET stays SAFE, a sensitive read blocks unknown POSTs, an allowed POST moves to COMMITMENT, an ended session is refused", async () => {
  const box = salaryBox();
  Deno.mkdirSync(box.stateDir, { recursive: true });
  Deno.writeTextFileSync(
    `${box.stateDir}/policy.yaml`,
    [
      'version: "2.0.0"',
      "sensitivity:",
      '  - { pattern: "*salary*", level: confidential }',
      "policies:",
      "  - { name: allow-reads, priority: 10, match: { domain: http, method: [GET, HEAD] }, action: allow }",
      "  - { name: allow-api, priority: 10, match: { domain: http, host: api.localhost }, action: allow }",
      "  - name: allow-local-reads",
      "    priority: 10",
      "    match: { domain: [command, filesystem], operation: [exec, read] }",
      "    action: allow",
      "",
    ].join("\n"),
  );
  const id = await startSession(box.env, "agent-run");
  const env = { ...box.env, WATCHTOWER_SESSION: id };
  const upstream = startUpstream();
  const proxy = await proxyIn(box, { WATCHTOWER_SESSION: id });
  if ("code" in proxy) throw new Error(`wt-proxy did not start: ${proxy.code} ${proxy.stderr}`);
  try {
    const get = await curl(proxy, `http://docs.localhost:${upstream.port}/guide`);
    equal(get.status, 200, get.body);
    equal((await show(box.env, id)).zone, "SAFE");

    // Another layer (wt exec) reads a salary file in the same session: the proxy sees it.
    const read = await wt(["exec", "--", "cat", box.salary], { env });
    equal(read.code, 0, read.stderr);
    equal((await show(box.env, id)).zone, "SENSITIVE");
    const seen = upstream.seen.length;
    const exfil = await curl(proxy, `http://unknown.localhost:${upstream.port}/upload`, [
      "-X",
      "POST",
      "--data",
      "alice,100",
    ]);
    equal(exfil.status, 403, exfil.body);
    equal(JSON.parse(exfil.body).rule, "deny-unknown-egress-after-sensitive-read");
    equal(upstream.seen.length, seen, "the refused POST reached the upstream");

    const post = await curl(proxy, `http://api.localhost:${upstream.port}/submit`, [
      "-X",
      "POST",
      "--data",
      "report",
    ]);
    equal(post.status, 200, post.body);
    equal(post.body, "POST /submit 6\n");
    const session = await show(box.env, id);
    equal(session.zone, "COMMITMENT");
    deepEqual(
      session.transitions.map((t: Json) => [t.from, t.to]),
      [["SAFE", "SENSITIVE"], ["SENSITIVE", "COMMITMENT"]],
    );
    match(session.transitions[1].cause, /^http post /);
    await eventually(() =>
      events(box.stateDir, "session.zone").some((e) =>
        e.data.event.session === id && e.data.event.to === "COMMITMENT"
      )
    );

    equal((await wt(["session", "end", id], { env: box.env })).code, 0);
    const after = await curl(proxy, `http://docs.localhost:${upstream.port}/guide`);
    equal(after.status, 403, after.body);
    const body = JSON.parse(after.body);
    equal(body.verdict, "deny");
    equal(body.rule, "session-unavailable");
    await eventually(() =>
      ledgerLines(box.stateDir).some((e) => e.data.decision?.reason === "session_unavailable")
    );
  } finally {
    const code = await proxy.stop();
    await upstream.close();
    equal(code, 0, `wt-proxy stopped with ${code}: ${proxy.stderr()}`);
  }
  // wt session, wt exec and the proxy all wrote one ledger: its chain still verifies.
  const verified = await wt(["verify"], { env: box.env });
  equal(verified.code, 0, verified.stdout + verified.stderr);
});

Deno.test("the proxy refuses to start in a session that is unknown or ended (exit 78)", async () => {
  const box = sandbox();
  Deno.mkdirSync(box.stateDir, { recursive: true });
  const unknown = await proxyIn(box, { WATCHTOWER_SESSION: "s-00000000deadbeef" });
  if (!("code" in unknown)) {
    await unknown.stop();
    throw new Error("wt-proxy started in an unknown session");
  }
  equal(unknown.code, 78, unknown.stderr);
  match(unknown.stderr, /s-00000000deadbeef/);
  const id = await startSession(box.env);
  equal((await wt(["session", "end", id], { env: box.env })).code, 0);
  const ended = await proxyIn(box, { WATCHTOWER_SESSION: id });
  if (!("code" in ended)) {
    await ended.stop();
    throw new Error("wt-proxy started in an ended session");
  }
  equal(ended.code, 78, ended.stderr);
  match(ended.stderr, /ended/);
});
