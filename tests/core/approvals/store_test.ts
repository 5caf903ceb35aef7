import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import {
  type ApprovalEvent,
  ApprovalStore,
  type ApprovalStoreOptions,
  derivedKey,
  isApprovalKey,
  MAX_GRANT_MS,
  parseGrantDuration,
} from "../../../core/approvals/mod.ts";
import { WatchtowerError } from "../../../core/errors.ts";
import { approvalKeyFor, Guard } from "../../../core/guard.ts";
import type { Decision, Intent } from "../../../core/intent.ts";
import { loadPolicyFromText } from "../../../core/policy/mod.ts";

const T0 = Date.parse("2025-03-01T12:00:00.000Z");

function intent(
  target: Intent["target"] = { path: "/srv/app/data.db" },
  options: { session?: string; operation?: string; cwd?: string } = {},
): Intent {
  return {
    identity: { principal: "agent:test", capabilities: [] },
    domain: "filesystem",
    operation: options.operation ?? "delete",
    target,
    context: {
      ...(options.session === undefined ? {} : { session: options.session }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    },
  };
}

function escalation(of: Intent, key = approvalKeyFor(of, of.target)): Decision {
  return {
    verdict: "escalate",
    mode: "enforce",
    reason: "rule",
    detail: "rule ask-deletes: deletes need a human",
    matched_rules: ["ask-deletes"],
    risk_score: 8,
    risk_level: "high",
    sensitivity: "internal",
    approval_key: key,
  };
}

/** A store on a fresh directory, its events, and a clock the test moves. */
function setup(options: ApprovalStoreOptions = {}) {
  const dir = Deno.makeTempDirSync({ prefix: "wt-approvals-" });
  const events: ApprovalEvent[] = [];
  const clock = { now: T0 };
  const store = new ApprovalStore(dir, {
    record: (event) => events.push(event),
    now: () => clock.now,
    ...options,
  });
  const types = () => events.map((event) => event.type);
  return { dir, store, events, clock, types };
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function rejects(fn: () => unknown, code: string, pattern: RegExp): void {
  throws(fn, (error: unknown) => {
    ok(error instanceof WatchtowerError, String(error));
    equal(error.code, code);
    match(error.message, pattern);
    return true;
  });
}

Deno.test("request() writes the pending request once, mode 0600, and a repeat changes nothing", () => {
  const { dir, store, clock, types, events } = setup();
  const ask = intent({ path: "/srv/app/data.db" }, { session: "s1" });
  const key = store.request(ask, escalation(ask), { zone: "SENSITIVE", policy: "sha256:abc" });
  match(key, /^wt-[0-9a-f]{16}$/);
  const file = `${dir}/pending/${key}.json`;
  equal(Deno.statSync(file).mode! & 0o777, 0o600);
  const first = Deno.readTextFileSync(file);
  deepEqual(JSON.parse(first), {
    version: 1,
    key,
    created: "2025-03-01T12:00:00.000Z",
    session: "s1",
    zone: "SENSITIVE",
    principal: "agent:test",
    domain: "filesystem",
    operation: "delete",
    target: { path: "/srv/app/data.db" },
    reason: "rule ask-deletes: deletes need a human",
    matched_rules: ["ask-deletes"],
    policy: "sha256:abc",
  });
  const inode = Deno.statSync(file).ino;
  clock.now += 60_000;
  equal(store.request(ask, escalation(ask)), key);
  equal(Deno.readTextFileSync(file), first, "the original created time is kept");
  equal(Deno.statSync(file).ino, inode, "the file is not rewritten");
  deepEqual(types(), ["approval.request"]);
  deepEqual(events[0]!.operation, {
    principal: "agent:test",
    domain: "filesystem",
    operation: "delete",
    target: { path: "/srv/app/data.db" },
  });
  deepEqual(
    [...Deno.readDirSync(`${dir}/pending`)].map((entry) => entry.name),
    [`${key}.json`],
    "no temporary files are left",
  );
});

Deno.test("a one-time grant approves the first check only and is used up", () => {
  const { dir, store, types } = setup();
  const ask = intent();
  const key = store.request(ask, escalation(ask));
  const grant = store.grant(key, { scope: "once", approver: "alice" });
  equal(grant.expires, null);
  ok(!exists(`${dir}/pending/${key}.json`), "approving removes the request");
  equal(Deno.statSync(`${dir}/approvals/${key}.json`).mode! & 0o777, 0o600);
  const first = store.check(ask, escalation(ask));
  equal(first?.approved, true);
  match(first!.detail, /^approved by alice \(once, key wt-/);
  equal(store.check(ask, escalation(ask)), undefined);
  ok(!exists(`${dir}/approvals/${key}.json`));
  deepEqual([...Deno.readDirSync(`${dir}/used`)], [], "claimed files are removed after use");
  deepEqual(types(), ["approval.request", "approval.grant", "approval.use"]);
});

Deno.test("the guard with a store allows exactly the approved retry (reason approved)", async () => {
  const { store } = setup({ workspace: "/work/p" });
  const policy = await loadPolicyFromText(
    "policies:\n  - {name: ask-deletes, match: {domain: filesystem, operation: delete}, action: escalate}\n",
    { vars: { workspace: "/work/p" } },
  );
  const guard = new Guard(policy, { approvals: store });
  const ask = intent({ path: "build/../out.bin" }, { cwd: "/work/p/src" });
  const held = guard.decide(ask);
  equal(held.verdict, "escalate");
  const key = store.request(ask, held);
  equal(key, held.approval_key);
  const [pending] = store.pending();
  equal(pending?.status === "ok" && pending.request.target.path, "/work/p/src/out.bin");
  store.grant(key, { scope: "once", approver: "alice" });
  // The same file named another way is the same operation; another file is not.
  const other = guard.decide(intent({ path: "/work/p/src/other.bin" }));
  equal(other.verdict, "escalate");
  const retry = guard.decide(intent({ path: "/work/p/src/out.bin" }));
  equal(retry.verdict, "allow");
  equal(retry.reason, "approved");
  match(
    retry.detail,
    /^approved by alice \(once, key wt-[0-9a-f]{16}\) \(was: rule ask-deletes\)$/,
  );
  equal(guard.decide(ask).verdict, "escalate", "used up");
});

Deno.test("racing processes consume a one-time grant exactly once", async () => {
  const { dir, store } = setup();
  const ask = intent();
  const decision = escalation(ask);
  const WORKERS = 8;
  const ROUNDS = 5;
  // Each worker checks once per round, released together by a go-N file it spins on.
  const module = new URL("../../../core/approvals/mod.ts", import.meta.url).href;
  const code = `
    import { ApprovalStore } from ${JSON.stringify(module)};
    const dir = Deno.env.get("DIR");
    const store = new ApprovalStore(dir);
    const [intent, decision] = JSON.parse(Deno.env.get("ASK"));
    Deno.writeTextFileSync(dir + "/ready-" + Deno.pid, "");
    for (let round = 0; round < ${ROUNDS}; round++) {
      for (;;) { try { Deno.statSync(dir + "/go-" + round); break; } catch { /* spin */ } }
      const answer = store.check(intent, decision)?.approved ? "approved" : "refused";
      Deno.writeTextFileSync(dir + "/done-" + round + "-" + Deno.pid, answer);
    }
  `;
  const workers = Array.from({ length: WORKERS }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", code],
      env: { DIR: dir, ASK: JSON.stringify([ask, decision]) },
      stdout: "null",
      stderr: "piped",
    }).spawn());
  const files = (prefix: string) =>
    [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith(prefix)).map((e) => e.name);
  const waitFor = async (prefix: string) => {
    const deadline = Date.now() + 60_000;
    while (files(prefix).length < WORKERS) {
      ok(Date.now() < deadline, `waiting for ${prefix}: ${files(prefix).length}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  try {
    await waitFor("ready-");
    for (let round = 0; round < ROUNDS; round++) {
      store.grant(store.request(ask, decision), { scope: "once", approver: "alice" });
      Deno.writeTextFileSync(`${dir}/go-${round}`, "");
      await waitFor(`done-${round}-`);
      const answers = files(`done-${round}-`).map((name) =>
        Deno.readTextFileSync(`${dir}/${name}`)
      );
      equal(answers.filter((a) => a === "approved").length, 1, `round ${round}: ${answers}`);
    }
  } finally {
    for (let round = 0; round < ROUNDS; round++) Deno.writeTextFileSync(`${dir}/go-${round}`, "");
    const outputs = await Promise.all(workers.map((worker) => worker.output()));
    for (const output of outputs) equal(output.code, 0, new TextDecoder().decode(output.stderr));
  }
});

Deno.test("many stores on one directory, checking in a tight loop, approve exactly once per grant", () => {
  const { dir, store } = setup();
  const ask = intent();
  const decision = escalation(ask);
  const stores = Array.from({ length: 16 }, () => new ApprovalStore(dir));
  for (let round = 0; round < 10; round++) {
    store.grant(store.request(ask, decision), { scope: "once", approver: "alice" });
    let approved = 0;
    for (let i = 0; i < 64; i++) if (stores[i % 16]!.check(ask, decision)) approved++;
    equal(approved, 1, `round ${round}`);
  }
});

Deno.test("a duration grant approves until it expires, then is removed and reported", () => {
  const { dir, store, clock, events, types } = setup();
  const ask = intent();
  const key = store.request(ask, escalation(ask));
  const grant = store.grant(key, {
    scope: "duration",
    durationMs: parseGrantDuration("5m"),
    approver: "alice",
  });
  equal(grant.expires, "2025-03-01T12:05:00.000Z");
  for (const offset of [0, 60_000, 299_999]) {
    clock.now = T0 + offset;
    equal(store.check(ask, escalation(ask))?.approved, true, `at +${offset} ms`);
  }
  clock.now = T0 + 300_000;
  equal(store.check(ask, escalation(ask)), undefined);
  ok(!exists(`${dir}/approvals/${key}.json`));
  equal(store.check(ask, escalation(ask)), undefined);
  deepEqual(types(), [
    "approval.request",
    "approval.grant",
    "approval.use",
    "approval.use",
    "approval.use",
    "approval.expire",
  ]);
  equal(events.at(-1)!.expires, "2025-03-01T12:05:00.000Z");
  equal(events.at(-1)!.key, key);
});

Deno.test("a grant applies only in its own session (none only to none)", () => {
  const { store } = setup();
  const inA = intent(undefined, { session: "A" });
  const key = store.request(inA, escalation(inA));
  store.grant(key, { scope: "session", approver: "alice" });
  const inB = intent(undefined, { session: "B" });
  equal(store.check(inB, escalation(inB)), undefined);
  equal(store.check(intent(), escalation(intent())), undefined);
  equal(store.check(inA, escalation(inA))?.approved, true);
  equal(store.check(inA, escalation(inA))?.approved, true, "a session grant is not used up");

  const { store: other } = setup();
  const bare = intent();
  other.grant(other.request(bare, escalation(bare)), { scope: "once", approver: "alice" });
  equal(other.check(inA, escalation(inA)), undefined, "a request without session");
  const empty = intent(undefined, { session: "" }); // an empty session is none
  equal(other.check(empty, escalation(empty))?.approved, true);
});

Deno.test("the store derives the guard's keys exactly (approvalKeyFor)", () => {
  const targets: Intent["target"][] = [
    { path: "/srv/app/data.db" },
    { path: "/srv/f", mode: "u+x" },
    { mode: "u+x", path: "/srv/f" },
    { command: "rm -rf /", argv: ["rm", "-rf", "/"], n: 3, flag: true, none: null },
    {},
  ];
  for (const target of targets) {
    const ask = intent(target);
    equal(
      derivedKey({ principal: "agent:test", domain: "filesystem", operation: "delete", target }),
      approvalKeyFor(ask, target),
    );
  }
});

Deno.test("an edited grant does not approve the operation it was edited to", () => {
  const { dir, store, events } = setup();
  const ask = intent({ path: "/srv/app/data.db" });
  const key = store.request(ask, escalation(ask));
  store.grant(key, { scope: "duration", durationMs: 60_000, approver: "alice" });
  const file = `${dir}/approvals/${key}.json`;
  const grant = JSON.parse(Deno.readTextFileSync(file));
  // Someone points the grant at another target and asks for that under the approved key
  // (as a hash collision would): the key is the hash of what was approved, so it is refused.
  grant.operation.target.path = "/etc/shadow";
  Deno.writeTextFileSync(file, JSON.stringify(grant));
  const shadow = intent({ path: "/etc/shadow" });
  equal(store.check(shadow, escalation(shadow, key)), undefined);
  equal(events.at(-1)!.type, "approval.corrupt");
  match(String(events.at(-1)!.problem), /not the one its key was derived from/);
  equal(store.check(ask, escalation(ask)), undefined, "nor the original");
  // Put back, the grant works again.
  grant.operation.target.path = "/srv/app/data.db";
  Deno.writeTextFileSync(file, JSON.stringify(grant));
  equal(store.check(ask, escalation(ask))?.approved, true);
  // A grant file that names another key is corrupt.
  grant.key = "wt-0000000000000000";
  Deno.writeTextFileSync(file, JSON.stringify(grant));
  equal(store.check(ask, escalation(ask)), undefined);
  match(String(events.at(-1)!.problem), /names key 'wt-0000000000000000'/);
  // An edited pending request cannot be approved either.
  const other = intent({ path: "/srv/other" });
  const otherKey = store.request(other, escalation(other));
  const pendingFile = `${dir}/pending/${otherKey}.json`;
  const request = JSON.parse(Deno.readTextFileSync(pendingFile));
  Deno.writeTextFileSync(pendingFile, JSON.stringify({ ...request, principal: "agent:root" }));
  rejects(
    () => store.grant(otherKey, { scope: "once", approver: "alice" }),
    "invalid_intent",
    /not the one its key was derived from/,
  );
});

Deno.test("a grant under a rule's own key approves only the operation that was approved", () => {
  const { store } = setup();
  const salary = intent({ path: "/hr/alice.csv" }, { operation: "read" });
  const key = store.request(salary, escalation(salary, "soc_salary_access"));
  store.grant(key, { scope: "duration", durationMs: 60_000, approver: "alice" });
  const cases: Array<[string, Intent, boolean]> = [
    ["the approved read", salary, true],
    ["another file", intent({ path: "/hr/bob.csv" }, { operation: "read" }), false],
    ["another operation", intent({ path: "/hr/alice.csv" }, { operation: "write" }), false],
    ["another principal", {
      ...salary,
      identity: { principal: "agent:other", capabilities: [] },
    }, false],
    [
      "an extra target field",
      intent({ path: "/hr/alice.csv", dest: "/tmp/x" }, {
        operation: "read",
      }),
      false,
    ],
  ];
  for (const [name, ask, approved] of cases) {
    equal(store.check(ask, escalation(ask, key))?.approved ?? false, approved, name);
  }
});

Deno.test("corrupt or unreadable grants fail closed and are reported with their file", () => {
  const cases: Array<[string, (file: string) => void, RegExp]> = [
    ["not JSON", (file) => Deno.writeTextFileSync(file, "{oops"), /^not JSON$/],
    ["an unknown key", (file) => {
      const grant = JSON.parse(Deno.readTextFileSync(file));
      Deno.writeTextFileSync(file, JSON.stringify({ ...grant, extra: 1 }));
    }, /unknown key 'extra'/],
    ["a bad scope", (file) => {
      const grant = JSON.parse(Deno.readTextFileSync(file));
      Deno.writeTextFileSync(file, JSON.stringify({ ...grant, scope: "forever" }));
    }, /'scope': expected one of once, duration, session/],
    ["a directory", (file) => {
      Deno.removeSync(file);
      Deno.mkdirSync(file);
    }, /not a regular file/],
  ];
  for (const [name, spoil, problem] of cases) {
    const { dir, store, events } = setup();
    const ask = intent();
    const key = store.request(ask, escalation(ask));
    store.grant(key, { scope: "once", approver: "alice" });
    const file = `${dir}/approvals/${key}.json`;
    spoil(file);
    equal(store.check(ask, escalation(ask)), undefined, name);
    const event = events.at(-1)!;
    equal(event.type, "approval.corrupt", name);
    equal(event.file, file, name);
    match(String(event.problem), problem, name);
  }
});

Deno.test("a grant created more than 5 minutes in the future is refused", () => {
  const { dir, store, clock, events } = setup();
  const ask = intent();
  const key = store.request(ask, escalation(ask));
  store.grant(key, {
    scope: "duration",
    durationMs: 3_600_000,
    approver: "alice",
    now: T0 + 6 * 60_000,
  });
  equal(store.check(ask, escalation(ask)), undefined);
  equal(events.at(-1)!.type, "approval.corrupt");
  match(String(events.at(-1)!.problem), /in the future/);
  ok(exists(`${dir}/approvals/${key}.json`));
  clock.now = T0 + 2 * 60_000; // now only 4 minutes ahead: within the allowed skew
  equal(store.check(ask, escalation(ask))?.approved, true);
});

Deno.test("bad keys are refused before they touch a path", () => {
  const { dir, store } = setup();
  for (const key of ["../policy", "a/b", "..", ".hidden", "", "x".repeat(129), "a\u0000b", "a b"]) {
    equal(isApprovalKey(key), false, JSON.stringify(key));
    rejects(
      () => store.grant(key, { scope: "once", approver: "a" }),
      "usage",
      /Cannot use approval key/,
    );
    rejects(() => store.deny(key, { approver: "a" }), "usage", /Cannot use approval key/);
    const ask = intent();
    rejects(() => store.request(ask, escalation(ask, key)), "usage", /Cannot use approval key/);
    equal(store.check(ask, escalation(ask, key)), undefined);
  }
  for (const key of ["wt-0123456789abcdef", "soc_salary_access", "db:prod.read-1"]) {
    equal(isApprovalKey(key), true, key);
  }
  deepEqual([...Deno.readDirSync(dir)], []);
});

Deno.test("grant() refuses what it cannot do, and leaves the request in place", () => {
  const { dir, store } = setup();
  const ask = intent();
  const key = store.request(ask, escalation(ask));
  rejects(
    () => store.grant("wt-1111111111111111", { scope: "once", approver: "a" }),
    "usage",
    /no request with this key is pending/,
  );
  rejects(() => store.grant(key, { scope: "session", approver: "a" }), "usage", /has no session/);
  rejects(
    () => store.grant(key, { scope: "duration", durationMs: 0, approver: "a" }),
    "usage",
    /more than zero/,
  );
  rejects(
    () => store.grant(key, { scope: "duration", durationMs: MAX_GRANT_MS + 1, approver: "a" }),
    "usage",
    /30 days/,
  );
  rejects(
    () => store.grant(key, { scope: "once", durationMs: 5, approver: "a" }),
    "usage",
    /only to scope 'duration'/,
  );
  rejects(() => store.grant(key, { scope: "once", approver: "" }), "usage", /approver/);
  ok(exists(`${dir}/pending/${key}.json`));
  Deno.writeTextFileSync(`${dir}/pending/${key}.json`, "[]");
  rejects(
    () => store.grant(key, { scope: "once", approver: "a" }),
    "invalid_intent",
    /is not a valid pending request .*wt deny/,
  );
  ok(exists(`${dir}/pending/${key}.json`), "a corrupt request stays for wt deny");
  ok(!exists(`${dir}/approvals/${key}.json`));
});

Deno.test("grant durations: 30s 5m 2h 1d; zero, negative, garbage and more than 30 days are refused", () => {
  deepEqual(["30s", "5m", "2h", "1d", "30d"].map(parseGrantDuration), [
    30_000,
    300_000,
    7_200_000,
    86_400_000,
    MAX_GRANT_MS,
  ]);
  for (const text of ["0s", "-5m", "5", "m", "1h30m", "31d", "5 m", "1w", ""]) {
    rejects(() => parseGrantDuration(text), "usage", /Cannot (read duration|grant for)/);
  }
});

Deno.test("deny() removes the request (a corrupt one too) and records who refused and why", () => {
  const { dir, store, events } = setup();
  const ask = intent(undefined, { session: "s1" });
  const key = store.request(ask, escalation(ask));
  const denied = store.deny(key, { approver: "bob", reason: "not today" });
  equal(denied.request?.key, key);
  ok(!exists(`${dir}/pending/${key}.json`));
  ok(!exists(`${dir}/approvals/${key}.json`));
  const event = events.at(-1)!;
  deepEqual(
    {
      type: event.type,
      key: event.key,
      approver: event.approver,
      reason: event.reason,
      session: event.session,
    },
    { type: "approval.deny", key, approver: "bob", reason: "not today", session: "s1" },
  );
  deepEqual((event.operation as { target: unknown }).target, { path: "/srv/app/data.db" });
  equal(store.check(ask, escalation(ask)), undefined);
  rejects(
    () => store.deny(key, { approver: "bob" }),
    "usage",
    /no request with this key is pending/,
  );
  // Escalating again makes a new request.
  equal(store.request(ask, escalation(ask)), key);
  Deno.writeTextFileSync(`${dir}/pending/${key}.json`, "garbage");
  const corrupt = store.deny(key, { approver: "bob" });
  equal(corrupt.request, null);
  equal(corrupt.problem, "not JSON");
  ok(!exists(`${dir}/pending/${key}.json`));
});

Deno.test("when the event cannot be recorded nothing changes", () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-approvals-" });
  let fail = false;
  const store = new ApprovalStore(dir, {
    record: () => {
      if (fail) throw new WatchtowerError("ledger_unavailable", "Cannot write ledger: disk full");
    },
  });
  const ask = intent();
  fail = true;
  throws(() => store.request(ask, escalation(ask)), /disk full/);
  ok(!exists(`${dir}/pending/${approvalKeyFor(ask, ask.target)}.json`), "request rolled back");
  fail = false;
  const key = store.request(ask, escalation(ask));
  fail = true;
  throws(() => store.grant(key, { scope: "once", approver: "alice" }), /disk full/);
  ok(exists(`${dir}/pending/${key}.json`), "the request stays");
  ok(!exists(`${dir}/approvals/${key}.json`), "no grant without its ledger event");
  deepEqual([...Deno.readDirSync(`${dir}/approvals`)], [], "no temporary grant is left");
  throws(() => store.deny(key, { approver: "alice" }), /disk full/);
  ok(exists(`${dir}/pending/${key}.json`), "a refusal that is not recorded did not happen");
});

Deno.test("pending() lists requests oldest first and flags corrupt files without failing", () => {
  const { dir, store, clock } = setup();
  equal(store.pending().length, 0, "no directory yet");
  const first = intent({ path: "/srv/a" });
  const second = intent({ path: "/srv/b" });
  const older = store.request(first, escalation(first));
  clock.now += 1000;
  const newer = store.request(second, escalation(second));
  Deno.writeTextFileSync(`${dir}/pending/wt-ffffffffffffffff.json`, "{");
  Deno.writeTextFileSync(`${dir}/pending/bad name.json`, "{}");
  Deno.writeTextFileSync(`${dir}/pending/.partial.tmp`, "");
  const items = store.pending();
  deepEqual(
    items.map((item) => item.status === "ok" ? item.request.key : item.file.split("/").pop()),
    [
      older,
      newer,
      "bad name.json",
      "wt-ffffffffffffffff.json",
    ],
  );
  const corrupt = items[3]!;
  ok(corrupt.status === "corrupt");
  equal(corrupt.key, "wt-ffffffffffffffff");
  equal(corrupt.problem, "not JSON");
  equal(items[2]!.status === "corrupt" && items[2]!.key, null);
});

Deno.test("a corrupt pending request is replaced by the next escalation, reported", () => {
  const { dir, store, types } = setup();
  const ask = intent();
  const key = approvalKeyFor(ask, ask.target);
  Deno.mkdirSync(`${dir}/pending`);
  Deno.writeTextFileSync(`${dir}/pending/${key}.json`, "{");
  equal(store.request(ask, escalation(ask)), key);
  equal(JSON.parse(Deno.readTextFileSync(`${dir}/pending/${key}.json`)).key, key);
  deepEqual(types(), ["approval.corrupt", "approval.request"]);
});
