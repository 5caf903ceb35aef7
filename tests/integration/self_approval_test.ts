/**
 * An agent must not approve its own escalation: running `wt approve` through a guarded layer is
 * refused, reading or replacing the operator's key is refused, and a grant file it writes itself
 * (unsigned, or signed with its own key) is not accepted. The operator's `wt approve` works.
 */
import { equal, match, ok } from "node:assert/strict";
import { sandbox, wt } from "./_wt.ts";

const POLICY = `default: allow
policies:
  - {name: ask-deletes, priority: 100, match: {domain: filesystem, operation: delete}, action: escalate}
`;

function ledgerEvents(stateDir: string): Array<Record<string, unknown>> {
  return Deno.readTextFileSync(`${stateDir}/ledger-000001.jsonl`).split("\n").filter(Boolean)
    .map((line) => JSON.parse(line).data.event).filter(Boolean);
}

Deno.test("the self-approval attempts fail; the operator's approval passes", async () => {
  const box = sandbox();
  Deno.mkdirSync(box.stateDir, { recursive: true });
  Deno.writeTextFileSync(`${box.stateDir}/policy.yaml`, POLICY);
  const project = `${box.home}/project`;
  Deno.mkdirSync(project, { recursive: true });
  const victim = `${project}/data.csv`;
  Deno.writeTextFileSync(victim, "a,b\n");
  const operatorDir = `${box.home}/.config/watchtower-operator`;
  const agent = { env: box.env, cwd: project };

  const held = await wt(["exec", "--", "rm", victim], agent);
  equal(held.code, 75, held.stderr);
  const key = /key (\S+)\)/.exec(held.stderr)![1]!;

  // 1. The agent runs wt approve through the guarded shell.
  const selfApprove = await wt(["sh", "-c", `wt approve ${key}`], agent);
  equal(selfApprove.code, 77, selfApprove.stderr);
  match(selfApprove.stderr, /deny-operator-commands/);

  // 2. It writes the grant file itself, as wt approve would have, but without the key.
  const pending = JSON.parse(Deno.readTextFileSync(`${box.stateDir}/pending/${key}.json`));
  // The request names the policy it was escalated under (evidence for the approval).
  match(pending.policy, /^sha256:[0-9a-f]{64}$/);
  Deno.mkdirSync(`${box.stateDir}/approvals`, { recursive: true });
  const forged = {
    version: 1,
    key,
    scope: "duration",
    session: null,
    created: new Date().toISOString(),
    expires: new Date(Date.now() + 3_600_000).toISOString(),
    approver: "operator",
    operation: {
      principal: pending.principal,
      domain: pending.domain,
      operation: pending.operation,
      target: pending.target,
    },
    policy: null,
    signature: btoa("x".repeat(64)),
  };
  Deno.writeTextFileSync(`${box.stateDir}/approvals/${key}.json`, JSON.stringify(forged));
  const afterForgery = await wt(["exec", "--", "rm", victim], agent);
  equal(afterForgery.code, 75, afterForgery.stderr);
  ok(Deno.statSync(victim).isFile);
  ok(ledgerEvents(box.stateDir).some((e) => e.type === "approval.forged" && e.key === key));

  // 3. It tries to read or replace the operator's key through the guarded shell.
  for (
    const line of [
      `cat ${operatorDir}/operator.key`,
      `echo AAAA > ${operatorDir}/operator.pub`,
      "cp /tmp/mine.pub ~/.config/watchtower-operator/operator.pub",
    ]
  ) {
    const attempt = await wt(["sh", "-c", line], agent);
    equal(attempt.code, 77, `${line}: ${attempt.stderr}`);
  }

  // The operator approves (outside the agent's layers): the key pair is made, the grant signed.
  Deno.removeSync(`${box.stateDir}/approvals/${key}.json`);
  const again = await wt(["exec", "--", "rm", victim], agent);
  equal(again.code, 75);
  const approved = await wt(["approve", key], { env: box.env });
  equal(approved.code, 0, approved.stderr);
  const grantEvent = ledgerEvents(box.stateDir).findLast((e) => e.type === "approval.grant")!;
  match(String(grantEvent.policy), /^sha256:[0-9a-f]{64}$/);
  equal(grantEvent.approver !== undefined, true);
  equal(Deno.statSync(`${operatorDir}/operator.key`).mode! & 0o777, 0o600);
  const done = await wt(["exec", "--", "rm", victim], agent);
  equal(done.code, 0, done.stderr);
  let gone = false;
  try {
    Deno.statSync(victim);
  } catch {
    gone = true;
  }
  ok(gone, "the approved delete ran");
});
