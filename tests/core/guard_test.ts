import { deepEqual, equal, match, ok } from "node:assert/strict";
import { WatchtowerError } from "../../core/errors.ts";
import { type Annotator, type ApprovalHook, Guard } from "../../core/guard.ts";
import { effectiveVerdict, type Intent } from "../../core/intent.ts";
import { DecisionSchema } from "../../core/intent_schema.ts";
import { loadPolicyFromText } from "../../core/policy/mod.ts";

function intent(
  domain: Intent["domain"],
  operation: string,
  target: Intent["target"],
  identity: Partial<Intent["identity"]> = {},
): Intent {
  return {
    identity: { principal: "agent:test", capabilities: [], ...identity },
    domain,
    operation,
    target,
    context: {},
  };
}

const POLICY = `
default: escalate
sensitivity:
  - { pattern: "*payroll*", level: restricted }
policies:
  - { name: deny-etc, priority: 100, match: { domain: filesystem, path: "/etc/**" }, action: deny, reason: system files }
  - { name: allow-etc-hosts, priority: 200, match: { domain: filesystem, operation: read, path: /etc/hosts }, action: allow }
  - { name: allow-tmp, priority: 100, match: { domain: filesystem, path: "/tmp/**" }, action: allow }
  - { name: shadow-logs, priority: 150, match: { domain: filesystem, path: "/var/log/**" }, action: shadow }
  - { name: allow-data, priority: 100, match: { domain: filesystem, path: "/data/**" }, action: allow }
  - name: broken-deny
    priority: 300
    match: { domain: filesystem, path: "/broken/deny/**" }
    condition: "target.path.startswith(1)"
    action: deny
  - name: broken-allow
    priority: 300
    match: { domain: filesystem, path: "/broken/allow/**" }
    condition: "target.path.startswith(1)"
    action: allow
  - name: salary-needs-approval
    priority: 100
    match: { domain: filesystem, path: "/hr/**" }
    condition: "identity.purpose == 'SOC_efficiency'"
    action: require_approval
    approval_key: soc_salary_access
`;

const guard = new Guard(await loadPolicyFromText(POLICY, { vars: {} }));

const TABLE: Array<
  [name: string, intent: Intent, verdict: string, reason: string, rules?: string[]]
> = [
  [
    "a higher-priority allow beats a lower-priority deny",
    intent("filesystem", "read", { path: "/etc/hosts" }),
    "allow",
    "rule",
    ["allow-etc-hosts"],
  ],
  [
    "a path is matched after .. is resolved",
    intent("filesystem", "read", { path: "/tmp/../etc/passwd" }),
    "deny",
    "rule",
    ["deny-etc"],
  ],
  [
    "no rule matching gives the default",
    intent("filesystem", "read", { path: "/srv/x" }),
    "escalate",
    "default",
    [],
  ],
  [
    "shadow is reported as shadow",
    intent("filesystem", "read", { path: "/var/log/syslog" }),
    "shadow",
    "rule",
    ["shadow-logs"],
  ],
  [
    "the risk threshold floors an allow: a restricted file deleted escalates",
    intent("filesystem", "delete", { path: "/data/payroll.csv" }),
    "escalate",
    "risk_threshold",
    ["allow-data"],
  ],
  [
    "the risk threshold redacts a restricted read the rules allow",
    intent("filesystem", "read", { path: "/data/payroll.csv" }),
    "redact",
    "risk_threshold",
    ["allow-data"],
  ],
  [
    "a deny rule whose condition fails still applies",
    intent("filesystem", "read", { path: "/broken/deny/x" }),
    "deny",
    "rule",
    ["broken-deny"],
  ],
  [
    "an allow rule whose condition fails does not apply",
    intent("filesystem", "read", { path: "/broken/allow/x" }),
    "escalate",
    "default",
    [],
  ],
  [
    "a purpose-bound rule escalates for its purpose",
    intent("filesystem", "read", { path: "/hr/salary.csv" }, { purpose: "SOC_efficiency" }),
    "escalate",
    "rule",
    ["salary-needs-approval"],
  ],
];

for (const [name, input, verdict, reason, rules] of TABLE) {
  Deno.test(`decide(): ${name}`, () => {
    const decision = guard.decide(input);
    DecisionSchema.parse(decision);
    equal(decision.verdict, verdict, decision.detail);
    equal(decision.reason, reason, decision.detail);
    if (rules) deepEqual(decision.matched_rules, rules);
  });
}

Deno.test("decide() records a failing condition and never widens access", () => {
  const decision = guard.decide(intent("filesystem", "read", { path: "/broken/allow/x" }));
  equal(decision.errors?.[0]?.rule, "broken-allow");
  match(decision.errors![0]!.message, /^skipped: /);
  const deny = guard.decide(intent("filesystem", "read", { path: "/broken/deny/x" }));
  match(deny.errors![0]!.message, /^applied: /);
});

Deno.test("decide() carries the approval key of the deciding rule", () => {
  const decision = guard.decide(
    intent("filesystem", "read", { path: "/hr/salary.csv" }, { purpose: "SOC_efficiency" }),
  );
  equal(decision.approval_key, "soc_salary_access");
});

Deno.test("decide() scores risk from sensitivity and operation weights", () => {
  const decision = guard.decide(intent("filesystem", "delete", { path: "/data/payroll.csv" }));
  equal(decision.risk_score, 6 + 5);
  equal(decision.sensitivity, "restricted");
  equal(decision.risk_level, "high");
  const read = guard.decide(intent("filesystem", "read", { path: "/tmp/a" }));
  equal(read.risk_score, 3);
  equal(read.risk_level, "low");
});

Deno.test("a declared sensitivity can raise the score but never lower it", () => {
  const raised = guard.decide(
    intent("filesystem", "read", { path: "/tmp/a", sensitivity: "restricted" }),
  );
  equal(raised.sensitivity, "restricted");
  const lowered = guard.decide(
    intent("filesystem", "read", { path: "/data/payroll.csv", sensitivity: "public" }),
  );
  equal(lowered.sensitivity, "restricted");
});

Deno.test("boundaries beat any policy rule", async () => {
  const policy = await loadPolicyFromText(
    `name: p
execution_boundaries:
  urls: ["stripe.com/*"]
policies:
  - { name: allow-all-http, priority: 1000000, match: { domain: http }, action: allow }
`,
    { vars: {} },
  );
  const g = new Guard(policy);
  const decision = g.decide(intent("http", "get", { url: "https://API.stripe.com/v1/charges" }));
  equal(decision.verdict, "deny");
  equal(decision.reason, "boundary");
  deepEqual(decision.matched_rules, ["p/url:stripe.com/*", "allow-all-http"]);
  equal(g.decide(intent("http", "get", { url: "https://docs.deno.com/" })).verdict, "allow");
});

Deno.test("observe mode records what would be enforced and blocks nothing", async () => {
  const policy = await loadPolicyFromText(
    "mode: observe\npolicies:\n  - {name: d, match: {domain: filesystem}, action: deny}\n",
    { vars: {} },
  );
  const decision = new Guard(policy).decide(intent("filesystem", "read", { path: "/x" }));
  equal(decision.verdict, "deny");
  equal(decision.mode, "observe");
  equal(effectiveVerdict(decision), "shadow");
});

Deno.test("a guard without a policy denies everything, saying why", () => {
  const g = Guard.unavailable(
    new WatchtowerError("policy_invalid", "Cannot load policy p.yaml:1:1: bad"),
  );
  const decision = g.decide(intent("filesystem", "read", { path: "/tmp/x" }));
  equal(decision.verdict, "deny");
  equal(decision.reason, "policy_unavailable");
  match(decision.detail, /p\.yaml:1:1/);
});

Deno.test("decide() denies instead of throwing on a malformed intent", () => {
  const broken = {
    identity: null,
    domain: "filesystem",
    operation: "read",
    target: {},
  } as unknown as Intent;
  const decision = guard.decide(broken);
  equal(decision.verdict, "deny");
  equal(decision.reason, "invalid_intent");
});

Deno.test("annotators add risk, annotations and a verdict floor", async () => {
  const annotator: Annotator = {
    name: "test",
    annotate: (i) =>
      i.target.path === "/tmp/vim"
        ? {
          annotations: { gtfo_alerts: [{ binary: "vim" }] },
          risk: 2,
          level: "critical",
          floor: { verdict: "escalate", detail: "critical GTFOBin" },
        }
        : undefined,
  };
  const g = new Guard(await loadPolicyFromText(POLICY, { vars: {} }), { annotators: [annotator] });
  const decision = g.decide(intent("filesystem", "read", { path: "/tmp/vim" }));
  equal(decision.verdict, "escalate");
  equal(decision.reason, "annotation");
  equal(decision.risk_score, 5);
  equal(decision.risk_level, "critical");
  deepEqual(decision.annotations.gtfo_alerts, [{ binary: "vim" }]);
  equal(g.decide(intent("filesystem", "read", { path: "/tmp/other" })).verdict, "allow");
});

Deno.test("an approval hook turns an escalation into an allow, and only an escalation", async () => {
  const approvals: ApprovalHook = {
    check: (_intent, decision) =>
      decision.approval_key === "soc_salary_access"
        ? { approved: true, detail: "approved by alice" }
        : undefined,
  };
  const g = new Guard(await loadPolicyFromText(POLICY, { vars: {} }), { approvals });
  const decision = g.decide(
    intent("filesystem", "read", { path: "/hr/salary.csv" }, { purpose: "SOC_efficiency" }),
  );
  equal(decision.verdict, "allow");
  equal(decision.reason, "approved");
  equal(g.decide(intent("filesystem", "read", { path: "/etc/passwd" })).verdict, "deny");
});

Deno.test("conditions see zone and risk", async () => {
  const policy = await loadPolicyFromText(
    `policies:
  - { name: post-after-sensitive, match: { domain: http }, condition: "zone != 'SAFE' and risk >= 3", action: escalate }
  - { name: allow-http, priority: -1, match: { domain: http }, action: allow }
`,
    { vars: {} },
  );
  const g = new Guard(policy);
  const post = intent("http", "post", { url: "https://hooks.example/x" });
  equal(g.decide(post, { id: "s1", zone: "SAFE" }).verdict, "allow");
  equal(g.decide(post, { id: "s1", zone: "SENSITIVE" }).verdict, "escalate");
  ok(g.decide(post, { id: "s1", zone: "SENSITIVE" }).annotations.zone === "SENSITIVE");
});

Deno.test({
  name: "decide() needs no permissions at all (it runs inside every binary's set)",
  permissions: {
    read: false,
    write: false,
    net: false,
    run: false,
    env: false,
    ffi: false,
    sys: false,
  },
  fn() {
    equal(guard.decide(intent("filesystem", "read", { path: "/etc/hosts" })).verdict, "allow");
  },
});

Deno.test("approval keys name the exact request: another mode is another key", async () => {
  const g = new Guard(await loadPolicyFromText("default: escalate\n", { vars: {} }));
  const key = (mode: string) =>
    g.decide(intent("filesystem", "chmod", { path: "/srv/f", mode })).approval_key;
  equal(key("u+x"), key("u+x"));
  ok(key("u+x") !== key("o+w"));
  match(key("u+x")!, /^wt-[0-9a-f]{16}$/);
});
