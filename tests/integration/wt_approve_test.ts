/**
 * wt approve, wt deny and wt pending as users run them: requests are made in this process
 * through the store (as an adapter does), then resolved by the spawned `wt`.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { ApprovalStore } from "../../core/approvals/mod.ts";
import { approvalKeyFor } from "../../core/guard.ts";
import type { Decision, Intent } from "../../core/intent.ts";
import { sandbox, wt } from "./_wt.ts";

function intent(path: string, session?: string): Intent {
  return {
    identity: { principal: "agent:clawbot", capabilities: [] },
    domain: "filesystem",
    operation: "delete",
    target: { path },
    context: session === undefined ? {} : { session },
  };
}

function escalation(of: Intent): Decision {
  return {
    verdict: "escalate",
    mode: "enforce",
    reason: "rule",
    detail: "rule ask-deletes: deletes need a human",
    matched_rules: ["ask-deletes"],
    risk_score: 8,
    risk_level: "high",
    sensitivity: "internal",
    approval_key: approvalKeyFor(of, of.target),
  };
}

/** A sandbox with one pending request for deleting `path`; returns its key too. */
function withRequest(path = "/srv/app/data.db", session?: string) {
  const box = sandbox();
  const ask = intent(path, session);
  const key = new ApprovalStore(box.stateDir).request(ask, escalation(ask), { zone: "SAFE" });
  return { ...box, ask, key };
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

async function ledgerEvents(env: Record<string, string>) {
  const tail = await wt(["tail", "--json", "-n", "100"], { env });
  equal(tail.code, 0, tail.stderr);
  return tail.stdout.trimEnd().split("\n").filter(Boolean).map((line) => JSON.parse(line))
    .map((entry) => entry.data.event);
}

Deno.test("approve, deny and pending have --help, are listed by wt --help, and refuse unknown flags", async () => {
  const help = await wt(["--help"]);
  for (const command of ["approve", "deny", "pending"]) {
    match(help.stdout, new RegExp(`\\n  ${command} `), command);
  }
  await Promise.all(["approve", "deny", "pending"].map(async (command) => {
    const result = await wt([command, "--help"]);
    equal(result.code, 0, command);
    match(result.stdout, /^wt \S+ — .*\n\nUsage: wt /, command);
    const bad = await wt([command, "--bogus"]);
    equal(bad.code, 64, command);
    equal(bad.stderr.trim().split("\n").length, 1, `${command}: ${bad.stderr}`);
  }));
});

Deno.test("wt pending lists requests (JSON and a table) and flags corrupt files", async () => {
  const { stateDir, env, key } = withRequest("/srv/app/data.db", "s1");
  Deno.writeTextFileSync(`${stateDir}/pending/wt-ffffffffffffffff.json`, "{not json");
  const [json, text, empty] = await Promise.all([
    wt(["pending", "--json"], { env }),
    wt(["pending"], { env }),
    wt(["pending"], { env: sandbox().env }),
  ]);
  equal(json.code, 0, json.stderr);
  const items = JSON.parse(json.stdout);
  equal(items.length, 2);
  const [request, corrupt] = items;
  equal(request.key, key);
  equal(request.corrupt, false);
  equal(request.session, "s1");
  equal(request.principal, "agent:clawbot");
  equal(request.resource, "/srv/app/data.db");
  equal(request.reason, "rule ask-deletes: deletes need a human");
  ok(request.age_seconds >= 0);
  deepEqual(corrupt, {
    key: "wt-ffffffffffffffff",
    file: `${stateDir}/pending/wt-ffffffffffffffff.json`,
    corrupt: true,
    problem: "not JSON",
  });
  equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split("\n");
  match(lines[0]!, /^KEY +AGE +PRINCIPAL +DOMAIN +OPERATION +RESOURCE +REASON$/);
  match(
    lines[1]!,
    new RegExp(`^${key} +\\d+s +agent:clawbot +filesystem +delete +/srv/app/data\\.db +rule ask-`),
  );
  match(lines[2]!, /^corrupt {2}.*wt-ffffffffffffffff\.json: not JSON$/);
  equal(empty.code, 0);
  equal(empty.stdout, "no pending requests\n");
});

Deno.test("wt approve KEY writes a one-time grant, removes the request and records it in the ledger", async () => {
  const { stateDir, env, key, ask } = withRequest();
  const result = await wt(["approve", key, "--approver", "alice"], { env });
  equal(result.code, 0, result.stderr);
  equal(
    result.stdout,
    `approved ${key} once by alice: agent:clawbot filesystem delete /srv/app/data.db\n`,
  );
  ok(!exists(`${stateDir}/pending/${key}.json`));
  const grant = JSON.parse(Deno.readTextFileSync(`${stateDir}/approvals/${key}.json`));
  equal(grant.scope, "once");
  equal(grant.approver, "alice");
  equal(grant.expires, null);
  const [event] = await ledgerEvents(env);
  equal(event.type, "approval.grant");
  equal(event.key, key);
  equal(event.approver, "alice");
  deepEqual(event.operation.target, { path: "/srv/app/data.db" });
  // The grant lets exactly that operation through, once.
  const store = new ApprovalStore(stateDir);
  equal(store.check(ask, escalation(ask))?.approved, true);
  equal(store.check(ask, escalation(ask)), undefined);
  // Approving it again: nothing is pending.
  const again = await wt(["approve", key], { env });
  equal(again.code, 64);
  match(
    again.stderr,
    /^wt approve: Cannot approve wt-[0-9a-f]{16}: no request with this key is pending in .*; wt pending lists them\n$/,
  );
});

Deno.test("wt approve --duration and --session, and the approver from USER", async () => {
  const timed = withRequest();
  const result = await wt(["approve", timed.key, "--duration", "5m", "--json"], {
    env: { ...timed.env, USER: "carol" },
  });
  equal(result.code, 0, result.stderr);
  const { grant, ledger } = JSON.parse(result.stdout);
  equal(grant.scope, "duration");
  equal(grant.approver, "carol");
  const minutes = (Date.parse(grant.expires) - Date.parse(grant.created)) / 60_000;
  equal(minutes, 5);
  equal(ledger.seq, 1);

  const session = withRequest("/srv/x", "run-7");
  const held = await wt(["approve", session.key, "--session"], { env: session.env });
  equal(held.code, 0, held.stderr);
  match(held.stdout, /^approved wt-[0-9a-f]{16} for session run-7 by operator: /);
  equal(
    JSON.parse(Deno.readTextFileSync(`${session.stateDir}/approvals/${session.key}.json`)).scope,
    "session",
  );
});

Deno.test("bad durations, bad keys and unknown keys are usage errors (64), one line each", async () => {
  const { stateDir, env, key } = withRequest();
  const cases: Array<[string[], RegExp]> = [
    [["approve", key, "--duration", "0s"], /more than zero/],
    [["approve", key, "--duration", "31d"], /longest grant is 30 days/],
    [["approve", key, "--duration", "soon"], /Cannot read duration "soon"/],
    [["approve", key, "--duration", "5m", "--session"], /not both/],
    [["approve", key, "--session"], /the request has no session/],
    [["approve"], /needs the KEY/],
    [["approve", "../policy.yaml"], /Cannot use approval key "\.\.\/policy\.yaml"/],
    [["deny", "a/b"], /Cannot use approval key/],
    [["approve", "wt-0000000000000000"], /no request with this key is pending/],
    [["deny", "wt-0000000000000000"], /no request with this key is pending/],
  ];
  const results = await Promise.all(cases.map(([args]) => wt(args, { env })));
  results.forEach((result, i) => {
    const [args, pattern] = cases[i]!;
    equal(result.code, 64, `${args.join(" ")}: ${result.stderr}`);
    equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    match(result.stderr, pattern);
  });
  ok(exists(`${stateDir}/pending/${key}.json`), "nothing was approved");
  ok(!exists(`${stateDir}/approvals`));
  deepEqual(await ledgerEvents(env), []);
});

Deno.test("wt approve on a corrupt request is a data error (65); wt deny removes it", async () => {
  const { stateDir, env, key } = withRequest();
  Deno.writeTextFileSync(`${stateDir}/pending/${key}.json`, "[]");
  const approve = await wt(["approve", key], { env });
  equal(approve.code, 65, approve.stderr);
  match(approve.stderr, /is not a valid pending request .*; wt deny wt-[0-9a-f]{16} removes it/);
  const deny = await wt(["deny", key], { env });
  equal(deny.code, 0, deny.stderr);
  match(deny.stdout, /^denied wt-[0-9a-f]{16}: a corrupt request/);
  ok(!exists(`${stateDir}/pending/${key}.json`));
});

Deno.test("wt deny KEY removes the request and records who refused and why", async () => {
  const { stateDir, env, key } = withRequest();
  const result = await wt(["deny", key, "--reason", "not in prod", "--approver", "bob", "--json"], {
    env,
  });
  equal(result.code, 0, result.stderr);
  const denied = JSON.parse(result.stdout);
  equal(denied.key, key);
  equal(denied.request.target.path, "/srv/app/data.db");
  ok(!exists(`${stateDir}/pending/${key}.json`));
  ok(!exists(`${stateDir}/approvals/${key}.json`));
  const [event] = await ledgerEvents(env);
  deepEqual(
    [event.type, event.key, event.approver, event.reason],
    ["approval.deny", key, "bob", "not in prod"],
  );
  equal(JSON.parse((await wt(["pending", "--json"], { env })).stdout).length, 0);
});

Deno.test("when the ledger cannot be written, wt approve fails and leaves no grant", async () => {
  const { stateDir, env, key } = withRequest();
  Deno.mkdirSync(`${stateDir}/ledger.lock`); // the lock file cannot be opened
  const result = await wt(["approve", key], { env });
  equal(result.code, 78, result.stderr);
  match(result.stderr, /^wt approve: Cannot write ledger in /);
  ok(!exists(`${stateDir}/approvals/${key}.json`));
  ok(exists(`${stateDir}/pending/${key}.json`), "the request is still pending");
  const deny = await wt(["deny", key], { env });
  equal(deny.code, 78);
  ok(exists(`${stateDir}/pending/${key}.json`));
});
