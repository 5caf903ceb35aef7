import { deepEqual, equal } from "node:assert/strict";
import { compilePolicy } from "../../../core/policy/compile.ts";
import { checkExamples, exampleIntent, SKIPPED } from "../../../core/policy/examples.ts";
import { layerFromDocument, mergeLayers } from "../../../core/policy/layer.ts";
import { parseDocument } from "../../../core/policy/source.ts";

const compile = (text: string, vars = {}) =>
  compilePolicy(mergeLayers([layerFromDocument(parseDocument(text, "p.yaml"))]), { vars });

Deno.test("a string example becomes the resource of the rule's domain with its operation", () => {
  const policy = compile(`policies:
  - { name: c, match: { domain: command, command: "git push*" }, action: escalate }
  - { name: h, match: { url: "*/x" }, action: deny }
  - { name: p, match: { purpose: SOC, resource: "*salary*" }, action: escalate }
`);
  const [c, h, p] = policy.rules;
  const command = exampleIntent(c!, "git push -f", {});
  equal(typeof command === "object" && command.domain, "command");
  equal(typeof command === "object" && command.operation, "exec");
  const http = exampleIntent(h!, "https://a.example/x", {});
  deepEqual(typeof http === "object" && http.target, { url: "https://a.example/x", method: "GET" });
  equal(
    exampleIntent(p!, "/hr/salary.csv", {}),
    "cannot tell the example's domain: give it as an intent with a domain",
  );
  const withDomain = exampleIntent(
    p!,
    { domain: "filesystem", target: { path: "/hr/salary.csv" } },
    {},
  );
  equal(typeof withDomain === "object" && withDomain.identity.purpose, "SOC");
});

Deno.test("checkExamples reports failures and skips examples with unknown variables", () => {
  const policy = compile(`policies:
  - name: ws
    match: { domain: filesystem, path: "\${workspace}/**" }
    action: allow
    examples: { match: ["\${workspace}/a"], not_match: ["/etc/x", "\${workspace}/b"] }
`);
  const report = checkExamples(policy);
  equal(report.examples, 3);
  equal(report.skipped, 2);
  equal(report.failures.length, 0);
  const known = checkExamples(compile(
    `policies:
  - name: ws
    match: { domain: filesystem, path: "\${workspace}/**" }
    action: allow
    examples: { match: ["\${workspace}/a"], not_match: ["\${workspace}/b"] }
`,
    { workspace: "/w" },
  ));
  equal(known.failures.length, 1);
  equal(known.failures[0]!.expectation, "not_match");
  equal(SKIPPED.toString(), "Symbol(skipped)");
});
