import { deepEqual, equal, match, ok } from "node:assert/strict";
import { DEFAULT_POLICY_YAML } from "../../core/policy/mod.ts";
import { sandbox, wt } from "./_wt.ts";

const CHECKOUT = ["check", "--json", "--domain", "http", "--operation", "get", "--url"];
const URL = "https://shop.example/checkout";

function write(path: string, text: string): void {
  Deno.mkdirSync(path.replace(/\/[^/]+$/, ""), { recursive: true });
  Deno.writeTextFileSync(path, text);
}

Deno.test("wt profile list shows the three built-in profiles, where each is from and whether it applies", async () => {
  const { env } = sandbox();
  const text = await wt(["profile", "list"], { env });
  equal(text.code, 0, text.stderr);
  for (const name of ["clawbot", "coding-agent", "research-agent"]) {
    match(text.stdout, new RegExp(`^${name}\\s+built-in\\s+-\\s+Safety profile`, "m"));
  }
  const json = await wt(["profile", "list", "--json"], { env });
  equal(json.code, 0, json.stderr);
  const listed = JSON.parse(json.stdout);
  equal(listed.policy.exists, false);
  deepEqual(
    listed.profiles.map((p: { name: string; profile_name: string; applied: boolean }) => [
      p.name,
      p.profile_name,
      p.applied,
    ]),
    [
      ["clawbot", "clawbot-safety", false],
      ["coding-agent", "coding-agent", false],
      ["research-agent", "research-agent", false],
    ],
  );
});

Deno.test("wt profile show clawbot prints its url boundaries; --json lists rules with their origin", async () => {
  const { env } = sandbox();
  const shown = await wt(["profile", "show", "clawbot"], { env });
  equal(shown.code, 0, shown.stderr);
  match(shown.stdout, /^clawbot \(clawbot-safety\) — Safety profile for browser-automation/);
  match(shown.stdout, /clawbot\.yaml \(built-in\)/);
  for (const pattern of ["*/checkout*", "*/payment*", "stripe.com/*", "paypal.com/*"]) {
    match(shown.stdout, new RegExp(`^\\s+url\\s+${pattern.replace(/[*.]/g, "\\$&")}$`, "m"));
  }
  const json = JSON.parse(
    (await wt(["profile", "show", "research-agent", "--json"], { env })).stdout,
  );
  const rule = json.rules.find((r: { name: string }) => r.name === "deny-web-writes");
  equal(rule.action, "deny");
  match(rule.from, /research-agent\.yaml:\d+:\d+$/);
  ok(
    json.boundaries.some((b: { kind: string; pattern: string }) =>
      b.kind === "file" && b.pattern === "~/.ssh/**"
    ),
  );
});

Deno.test("wt profile check passes the built-in profiles; wt check-profile is the same command", async () => {
  const { env } = sandbox();
  const checked = await wt(["profile", "check", "research-agent"], { env });
  equal(checked.code, 0, checked.stderr);
  match(
    checked.stdout,
    /^ok: profile research-agent \(.*research-agent\.yaml\): 7 rules, 11 boundaries, \d+ examples pass$/m,
  );
  const alias = await wt(["check-profile", "clawbot", "--json"], { env });
  equal(alias.code, 0, alias.stderr);
  const result = JSON.parse(alias.stdout);
  equal(result.ok, true);
  equal(result.boundaries, 17);
});

Deno.test("a broken user profile fails the check with file:line:col (exit 78), and apply refuses it", async () => {
  const { stateDir, env } = sandbox();
  write(
    `${stateDir}/profiles/broken.yaml`,
    "name: broken\npolicies:\n  - name: a\n    action: allow\n    match: {domian: http}\n",
  );
  const checked = await wt(["profile", "check", "broken"], { env });
  equal(checked.code, 78);
  equal(checked.stdout, "");
  match(checked.stderr, /profiles\/broken\.yaml:5:13: policies\[0\]\.match: unknown key 'domian'/);
  const applied = await wt(["apply-profile", "broken"], { env });
  equal(applied.code, 78);
  match(applied.stderr, /Cannot apply profile 'broken': it does not check/);
  equal([...Deno.readDirSync(stateDir)].map((entry) => entry.name).join(), "profiles");
});

Deno.test("apply adds the profile to the user's policy keeping its comments, once; the boundary then denies", async () => {
  const { stateDir, env } = sandbox();
  const file = `${stateDir}/policy.yaml`;
  write(
    file,
    `# my own comment: keep me
version: "2.0.0"
profiles: []  # none yet
default: escalate
policies:
  - { name: web-reads, match: { domain: http, method: GET }, action: allow }
`,
  );
  const before = await wt([...CHECKOUT, URL], { env });
  equal(before.code, 0, before.stderr);
  equal(JSON.parse(before.stdout).decision.verdict, "allow");

  const dry = await wt(["profile", "apply", "clawbot", "--dry-run"], { env });
  equal(dry.code, 0, dry.stderr);
  ok(dry.stdout.includes("\nprofiles: [clawbot]  # none yet\n"));
  ok(
    Deno.readTextFileSync(file).includes("\nprofiles: []  # none yet\n"),
    "a dry run writes nothing",
  );

  const applied = await wt(["profile", "apply", "clawbot"], { env });
  equal(applied.code, 0, applied.stderr);
  match(applied.stdout, /applied profile 'clawbot' in .*policy\.yaml; profiles: clawbot/);
  const text = Deno.readTextFileSync(file);
  equal(
    text,
    `# my own comment: keep me
version: "2.0.0"
profiles: [clawbot]  # none yet
default: escalate
policies:
  - { name: web-reads, match: { domain: http, method: GET }, action: allow }
`,
  );
  const again = await wt(["apply-profile", "clawbot"], { env });
  equal(again.code, 0, again.stderr);
  match(again.stdout, /already applied/);
  equal(Deno.readTextFileSync(file), text);
  ok(![...Deno.readDirSync(stateDir)].some((entry) => entry.name.includes(".tmp-")));

  const after = await wt([...CHECKOUT, URL], { env });
  equal(after.code, 77, after.stderr);
  const { decision } = JSON.parse(after.stdout);
  equal(decision.verdict, "deny");
  equal(decision.reason, "boundary");
  ok(decision.matched_rules.includes("clawbot-safety/url:*/checkout*"));
});

Deno.test("with no policy file, apply writes the default policy with the profile; remove takes it out", async () => {
  const { stateDir, env } = sandbox();
  const applied = await wt(["profile", "apply", "research-agent", "--json"], { env });
  equal(applied.code, 0, applied.stderr);
  const result = JSON.parse(applied.stdout);
  equal(result.created, true);
  deepEqual(result.profiles, ["research-agent"]);
  const file = `${stateDir}/policy.yaml`;
  equal(Deno.statSync(file).mode! & 0o777, 0o600);
  equal(
    Deno.readTextFileSync(file),
    DEFAULT_POLICY_YAML.replace(/^profiles: \[\]$/m, "profiles: [research-agent]"),
  );
  const listed = JSON.parse((await wt(["profile", "list", "--json"], { env })).stdout);
  deepEqual(
    listed.profiles.filter((p: { applied: boolean }) => p.applied).map((p: { name: string }) =>
      p.name
    ),
    ["research-agent"],
  );
  const removed = await wt(["profile", "remove", "research-agent"], { env });
  equal(removed.code, 0, removed.stderr);
  equal(Deno.readTextFileSync(file), DEFAULT_POLICY_YAML);
});

Deno.test("apply edits a JSON policy as JSON", async () => {
  const { stateDir, env } = sandbox();
  const file = `${stateDir}/policy.json`;
  write(file, '{\n  "version": "2.0.0",\n  "default": "allow"\n}\n');
  const applied = await wt(["apply-profile", "clawbot"], { env });
  equal(applied.code, 0, applied.stderr);
  equal(
    Deno.readTextFileSync(file),
    '{\n  "profiles": ["clawbot"],\n  "version": "2.0.0",\n  "default": "allow"\n}\n',
  );
});

Deno.test("apply writes nothing when the new policy would not load", async () => {
  const { stateDir, env } = sandbox();
  const file = `${stateDir}/policy.yaml`;
  const text = `policies:
  - name: tmp-only
    match: { domain: filesystem, path: "/tmp/**" }
    action: allow
    examples: { not_match: [/tmp/a] }
`;
  write(file, text);
  const applied = await wt(["profile", "apply", "clawbot"], { env });
  equal(applied.code, 78);
  match(applied.stderr, /policy\.yaml:2:\d+: rule 'tmp-only' not_match\[0\]/);
  equal(Deno.readTextFileSync(file), text);
  deepEqual([...Deno.readDirSync(stateDir)].map((entry) => entry.name), ["policy.yaml"]);
});

Deno.test("an unknown profile is a usage error with a suggestion", async () => {
  const { stateDir, env } = sandbox();
  const apply = await wt(["apply-profile", "clawbt"], { env });
  equal(apply.code, 64);
  match(apply.stderr, /Cannot find profile 'clawbt' \(did you mean 'clawbot'\?\)/);
  const check = await wt(["profile", "check", "reserch-agent"], { env });
  equal(check.code, 64);
  match(check.stderr, /did you mean 'research-agent'\?/);
  const sub = await wt(["profile", "aply", "clawbot"], { env });
  equal(sub.code, 64);
  match(sub.stderr, /unknown profile command 'aply' \(did you mean 'apply'\?\)/);
  let exists = true;
  try {
    Deno.statSync(stateDir);
  } catch {
    exists = false;
  }
  equal(exists, false, "nothing was written");
});

Deno.test("every profile command has --help", async () => {
  const { env } = sandbox();
  const commands = [
    ["profile", "--help"],
    ...["list", "show", "check", "apply", "remove"].map((sub) => ["profile", sub, "--help"]),
    ["apply-profile", "--help"],
    ["check-profile", "--help"],
  ];
  for (const args of commands) {
    const result = await wt(args, { env });
    equal(result.code, 0, args.join(" "));
    match(result.stdout, /Usage:/, args.join(" "));
  }
  const top = await wt(["--help"], { env });
  match(top.stdout, /^\s+profile\s+list \| show/m);
  match(top.stdout, /^\s+apply-profile\s/m);
});
