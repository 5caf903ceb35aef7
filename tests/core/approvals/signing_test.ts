/**
 * Operator signatures: adapters (a store with a verifier) accept only grants signed with the
 * operator's key; an unsigned, re-signed or edited grant never approves, and is reported.
 */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import {
  type ApprovalEvent,
  ApprovalStore,
  grantStatement,
  GrantVerifier,
  operatorKeyPaths,
  operatorSigner,
} from "../../../core/approvals/mod.ts";
import type { Decision, Intent } from "../../../core/intent.ts";

const intent: Intent = {
  identity: { principal: "agent:demo", capabilities: [] },
  domain: "filesystem",
  operation: "delete",
  target: { path: "/srv/data/old.csv" },
  context: {},
};
const decision: Decision = {
  verdict: "escalate",
  mode: "enforce",
  reason: "rule",
  detail: "rule ask-deletes",
  matched_rules: ["ask-deletes"],
  risk_score: 8,
  risk_level: "high",
  sensitivity: "internal",
  approval_key: "ask-deletes-1",
};

function setup() {
  const dir = Deno.makeTempDirSync({ prefix: "wt-sign-" });
  const events: ApprovalEvent[] = [];
  const paths = operatorKeyPaths(`${dir}/operator`);
  const store = new ApprovalStore(`${dir}/state`, {
    record: (event) => void events.push(event),
    verifier: new GrantVerifier(paths),
  });
  return { dir, paths, store, events };
}

Deno.test("a grant signed by wt approve's key approves once; review writes pending otherwise", async () => {
  const { store, paths, events } = setup();
  // No grant: review files a pending request and keeps the escalation.
  const first = await store.review(intent, decision);
  equal(first.verdict, "escalate");
  equal(store.pending().length, 1);
  const signer = await operatorSigner(paths);
  equal(Deno.statSync(paths.privateKey).mode! & 0o777, 0o600);
  const grant = await store.grantSigned(
    "ask-deletes-1",
    { scope: "once", approver: "alice" },
    signer,
  );
  ok(typeof grant.signature === "string" && grant.signature.length > 40);
  const approved = await store.review(intent, decision);
  equal(approved.verdict, "allow");
  equal(approved.reason, "approved");
  equal((await store.review(intent, decision)).verdict, "escalate", "a once grant is used up");
  deepEqual(
    events.map((e) => e.type),
    ["approval.request", "approval.grant", "approval.use", "approval.request"],
  );
});

Deno.test("unsigned, edited and foreign-signed grants never approve, and are reported", async () => {
  const { dir, store, paths, events } = setup();
  const signer = await operatorSigner(paths);
  store.request(intent, decision);
  // The agent writes a grant itself (no key): unsigned.
  store.grant("ask-deletes-1", { scope: "duration", durationMs: 60_000, approver: "agent" });
  equal((await store.review(intent, decision)).verdict, "escalate");
  equal(events.at(-2)?.type, "approval.forged");

  // A properly signed grant, then edited (a longer duration): the signature no longer holds.
  store.request(intent, decision);
  const grant = await store.grantSigned(
    "ask-deletes-1",
    { scope: "duration", durationMs: 60_000, approver: "alice" },
    signer,
  );
  const path = store.grantPath("ask-deletes-1");
  Deno.writeTextFileSync(path, JSON.stringify({ ...grant, expires: "2099-01-01T00:00:00.000Z" }));
  equal((await store.review(intent, decision)).verdict, "escalate");
  ok(events.some((e) => e.type === "approval.forged" && /does not verify/.test(String(e.problem))));

  // Signed with another key (the agent made its own pair): refused.
  const other = await operatorSigner(operatorKeyPaths(`${dir}/agent-keys`));
  Deno.writeTextFileSync(path, JSON.stringify({ ...grant, signature: await other.sign(grant) }));
  equal((await store.review(intent, decision)).verdict, "escalate");

  // The original file, untouched: approves.
  Deno.writeTextFileSync(path, JSON.stringify(grant));
  equal((await store.review(intent, decision)).verdict, "allow");
});

Deno.test("without the operator's public key nothing verifies; the statement is canonical", async () => {
  const { store, paths } = setup();
  const signer = await operatorSigner(paths);
  store.request(intent, decision);
  const grant = await store.grantSigned("ask-deletes-1", { scope: "once", approver: "a" }, signer);
  Deno.removeSync(paths.publicKey);
  const fresh = new ApprovalStore(store.stateDir, { verifier: new GrantVerifier(paths) });
  equal((await fresh.review(intent, decision)).verdict, "escalate");
  // Field order does not change the signed bytes; any field's value does.
  const reordered = Object.fromEntries(Object.entries(grant).reverse()) as typeof grant;
  deepEqual(grantStatement(reordered), grantStatement(grant));
  ok(
    new TextDecoder().decode(grantStatement({ ...grant, approver: "b" })) !==
      new TextDecoder().decode(grantStatement(grant)),
  );
  // A broken key file is a clear error for wt approve.
  Deno.writeTextFileSync(paths.privateKey, "not a key\n");
  await rejects(() => operatorSigner(paths), /operator key/);
});
