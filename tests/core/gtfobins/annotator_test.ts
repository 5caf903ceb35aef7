import { deepEqual, equal, ok } from "node:assert/strict";
import { GTFO_TABLE, gtfoAnnotator, GtfoDetector } from "../../../core/gtfobins/mod.ts";
import { Guard } from "../../../core/guard.ts";
import type { Intent } from "../../../core/intent.ts";
import { loadPolicyFromText } from "../../../core/policy/mod.ts";

const annotators = [gtfoAnnotator(new GtfoDetector(GTFO_TABLE))];
const command = (line: string, argv?: string[]): Intent => ({
  identity: { principal: "agent:t", capabilities: [] },
  domain: "command",
  operation: "exec",
  target: { command: line, ...(argv ? { argv } : {}) },
  context: {},
});

Deno.test("alerts go into the decision, raise its risk, and the built-in rules act on them", async () => {
  const guard = new Guard(await loadPolicyFromText("default: allow\n", { vars: {} }), {
    annotators,
  });
  const critical = guard.decide(command("find . -exec /bin/sh \\;"));
  equal(critical.verdict, "escalate");
  deepEqual(critical.matched_rules, ["gtfobins-critical"]);
  equal(critical.risk_level, "critical");
  const alerts = critical.annotations.gtfo_alerts as Array<{ binary: string }>;
  equal(alerts[0]!.binary, "find");
  equal(guard.decide(command("python3 -c 'print(1)'")).verdict, "shadow");
  const harmless = guard.decide(command("git status"));
  equal(harmless.verdict, "allow");
  deepEqual((harmless.annotations.gtfo_alerts as unknown[]).length, 1);
  deepEqual(guard.decide(command("ls")).annotations.gtfo_alerts, []);
});

Deno.test("an argv given with the intent is used instead of splitting the command", async () => {
  const guard = new Guard(await loadPolicyFromText("default: allow\n", { vars: {} }), {
    annotators,
  });
  equal(guard.decide(command("harmless words", ["vim", "-c", ":!sh"])).verdict, "escalate");
});

Deno.test("a policy decides otherwise with a higher-priority rule or by disabling the built-in", async () => {
  const exception = await loadPolicyFromText(
    `default: allow
policies:
  - { name: allow-find-exec, priority: 700, match: { domain: command, command: "find * -exec *" }, action: allow }
`,
    { vars: {} },
  );
  equal(
    new Guard(exception, { annotators }).decide(command("find . -exec /bin/sh \\;")).verdict,
    "allow",
  );
  const disabled = await loadPolicyFromText(
    "default: allow\npolicies:\n  - { name: gtfobins-critical, action: escalate, enabled: false }\n",
    { vars: {} },
  );
  equal(new Guard(disabled, { annotators }).decide(command("vim -c ':!sh'")).verdict, "allow");
});

Deno.test("conditions can read the alerts", async () => {
  const policy = await loadPolicyFromText(
    `default: allow
policies:
  - name: no-tar-shells
    priority: 900
    match: { domain: command }
    condition: "any(a['binary'] == 'tar' and 'shell' in a['functions'] for a in annotations.gtfo_alerts)"
    action: deny
`,
    { vars: {} },
  );
  const guard = new Guard(policy, { annotators });
  equal(guard.decide(command("tar cf x y --checkpoint-action=exec=sh")).verdict, "deny");
  ok(guard.decide(command("tar -xf a.tar")).verdict !== "deny");
});

Deno.test("other domains are not annotated", async () => {
  const guard = new Guard(await loadPolicyFromText("default: allow\n", { vars: {} }), {
    annotators,
  });
  const decision = guard.decide({
    ...command("x"),
    domain: "filesystem",
    operation: "read",
    target: { path: "/usr/bin/vim" },
  });
  equal(decision.annotations.gtfo_alerts, undefined);
});
