import { deepEqual, equal, match, ok } from "node:assert/strict";
import { REPO, sandbox, wt } from "./_wt.ts";

const SOURCES = `${REPO}/tests/testdata/sources`;

Deno.test("wt --help lists the commands; wt alone is a usage error; typos get a suggestion", async () => {
  const help = await wt(["--help"]);
  equal(help.code, 0);
  for (const command of ["init", "status", "check", "policy"]) {
    match(help.stdout, new RegExp(`\\b${command}\\b`));
  }
  equal((await wt([])).code, 64);
  const typo = await wt(["polcy"]);
  equal(typo.code, 64);
  match(typo.stderr, /unknown command 'polcy' \(did you mean 'policy'\?\)/);
  for (const command of ["init", "status", "check", "policy", "init-policy", "version"]) {
    const result = await wt([command, "--help"]);
    equal(result.code, 0, command);
    match(result.stdout, /Usage/);
  }
});

Deno.test("wt init creates the state directory and policy once, and never clobbers an edit", async () => {
  const { stateDir, env } = sandbox();
  const first = await wt(["init", "--json"], { env });
  equal(first.code, 0, first.stderr);
  equal(JSON.parse(first.stdout).policy_action, "created");
  equal(Deno.statSync(stateDir).mode! & 0o777, 0o700);
  equal(Deno.statSync(`${stateDir}/policy.yaml`).mode! & 0o777, 0o600);
  Deno.writeTextFileSync(`${stateDir}/policy.yaml`, "# mine\ndefault: deny\n");
  const second = await wt(["init"], { env });
  equal(second.code, 0);
  match(second.stdout, /kept .*policy\.yaml/);
  equal(Deno.readTextFileSync(`${stateDir}/policy.yaml`), "# mine\ndefault: deny\n");
  const forced = await wt(["init", "--force"], { env });
  equal(forced.code, 0);
  match(Deno.readTextFileSync(`${stateDir}/policy.yaml`), /^# Watchtower policy/);
  ok([...Deno.readDirSync(stateDir)].some((entry) => entry.name.startsWith("policy.yaml.bak-")));
});

Deno.test("wt status reports the policy in force, and exits 78 when it is invalid", async () => {
  const { stateDir, env } = sandbox();
  const before = JSON.parse((await wt(["status", "--json"], { env })).stdout);
  equal(before.initialized, false);
  equal(before.policy.using_default, true);
  await wt(["init"], { env });
  const after = await wt(["status", "--json"], { env });
  equal(after.code, 0);
  const status = JSON.parse(after.stdout);
  equal(status.policy.ok, true);
  equal(status.policy.file, `${stateDir}/policy.yaml`);
  Deno.writeTextFileSync(`${stateDir}/policy.yaml`, "policies: [\n");
  const broken = await wt(["status"], { env });
  equal(broken.code, 78);
  match(broken.stdout, /INVALID/);
});

Deno.test("wt policy init prints a policy that wt policy check accepts; --write refuses to overwrite", async () => {
  const { home, env } = sandbox();
  const printed = await wt(["policy", "init"], { env });
  equal(printed.code, 0);
  match(printed.stdout, /^# Watchtower policy/);
  const file = `${home}/p.yaml`;
  equal((await wt(["init-policy", "--write", file], { env })).code, 0);
  equal(Deno.readTextFileSync(file), printed.stdout);
  const again = await wt(["policy", "init", "--write", file], { env });
  equal(again.code, 78);
  match(again.stderr, /exists; use --force/);
  const check = await wt(["policy", "check", file], { env });
  equal(check.code, 0, check.stderr);
  match(check.stdout, /^ok: /);
});

Deno.test("wt policy check accepts the source documents and rejects a bad file with one located line", async () => {
  const { home, env } = sandbox();
  for (const file of ["watchtower-policy.json", "chainwatch-policy.yaml", "clawbot.yaml"]) {
    const result = await wt(["policy", "check", `${SOURCES}/${file}`], { env });
    equal(result.code, 0, `${file}: ${result.stderr}`);
  }
  const bad = `${home}/bad.yaml`;
  Deno.writeTextFileSync(
    bad,
    "policies:\n  - name: a\n    action: allow\n    match: {domian: filesystem}\n",
  );
  const result = await wt(["policy", "check", bad], { env });
  equal(result.code, 78);
  equal(result.stdout, "");
  equal(result.stderr.trim().split("\n").length, 1);
  match(
    result.stderr,
    /bad\.yaml:4:13: policies\[0\]\.match: unknown key 'domian' \(did you mean 'domain'\?\)/,
  );
  const json = JSON.parse((await wt(["policy", "check", bad, "--json"], { env })).stdout);
  equal(json.ok, false);
});

Deno.test("wt policy show prints the merged policy with the origin of every rule", async () => {
  const { env } = sandbox();
  const result = await wt([
    "policy",
    "show",
    "--json",
    "--profile",
    "clawbot",
    "--set",
    "thresholds.allow_max=4",
  ], { env });
  equal(result.code, 0, result.stderr);
  const shown = JSON.parse(result.stdout);
  deepEqual(shown.profiles, ["clawbot-safety"]);
  equal(shown.thresholds.allow_max, 4);
  ok(
    shown.rules.some((rule: { name: string; from: string }) =>
      rule.name === "clawbot-safety/url:stripe.com/*" && /clawbot\.yaml:\d+:\d+$/.test(rule.from)
    ),
  );
  const yaml = await wt(["policy", "show"], { env });
  match(yaml.stdout, /^sources:/m);
});

Deno.test("wt policy test runs every example and reports failures by rule name", async () => {
  const { home, env } = sandbox();
  const good = await wt(["policy", "test"], { env });
  equal(good.code, 0, good.stderr);
  match(good.stdout, /PASS deny-secrets/);
  match(good.stdout, /^\d+ passed, 0 failed$/m);
  const file = `${home}/p.yaml`;
  Deno.writeTextFileSync(
    file,
    "policies:\n  - name: tmp\n    match: {domain: filesystem, path: '/tmp/**'}\n    action: allow\n    examples: {match: [/tmp/a, /etc/x], not_match: [/var/b]}\n",
  );
  const bad = await wt(["policy", "test", file], { env });
  equal(bad.code, 65);
  match(bad.stdout, /FAIL tmp match\[1\] "\/etc\/x": expected to match but did not/);
  // The built-in rules' examples run too (core/policy/builtin_command_rules.ts).
  match(bad.stdout, /^\d+ passed, 1 failed$/m);
  const failing = await wt(["policy", "check", file], { env });
  equal(failing.code, 78);
});

Deno.test("wt check exits 0, 77 and 75 for allow, deny and escalate", async () => {
  const { home, env } = sandbox();
  const cases: Array<[string[], number, RegExp]> = [
    [
      ["--domain", "filesystem", "--operation", "write", "--path", `${home}/project/src/a.ts`],
      0,
      /^ALLOW filesystem write/,
    ],
    [["--domain", "filesystem", "--path", `${home}/.ssh/id_rsa`], 77, /^DENY .*deny-secrets/],
    [
      ["--domain", "filesystem", "--operation", "delete", "--path", "/srv/data/x"],
      75,
      /^ESCALATE /,
    ],
    [["--domain", "command", "--command", "sudo su"], 77, /deny-privilege-and-remote-code/],
    [["--domain", "http", "--url", "https://docs.deno.com/", "--method", "GET"], 0, /^ALLOW http/],
  ];
  for (const [args, code, output] of cases) {
    const result = await wt(["check", ...args], { env });
    equal(result.code, code, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
    match(result.stdout, output);
  }
});

Deno.test("wt check reads an intent as JSON from stdin, inline, or in the ledger's nested shape", async () => {
  const { env } = sandbox();
  const flat = { domain: "filesystem", operation: "read", target: { path: "/tmp/test.txt" } };
  const stdin = await wt(["check", "--json", "-"], { env, stdin: JSON.stringify(flat) });
  equal(stdin.code, 0, stdin.stderr);
  const parsed = JSON.parse(stdin.stdout);
  equal(parsed.decision.verdict, "allow");
  equal(parsed.intent.identity.principal, "user:local");
  const inline = await wt(["check", JSON.stringify(flat)], { env });
  equal(inline.code, 0);
  const nested = {
    identity: { principal: "user:alice", capabilities: ["fs:read"] },
    intent: { domain: "filesystem", operation: "read", target: { path: "/etc/shadow" } },
  };
  const ledger = await wt(["check", "--json", "-"], { env, stdin: JSON.stringify(nested) });
  equal(ledger.code, 77);
  equal(JSON.parse(ledger.stdout).intent.identity.principal, "user:alice");
});

Deno.test("wt check rejects bad intents with a clear line", async () => {
  const { env } = sandbox();
  const cases: Array<[string[], string | undefined, number, RegExp]> = [
    [["check", "-"], "{not json", 65, /Cannot read intent: not JSON/],
    [
      ["check", "-"],
      JSON.stringify({ domain: "nope", target: {} }),
      65,
      /domain: expected one of filesystem/,
    ],
    [["check", "-"], JSON.stringify({ domain: "filesystem", target: {} }), 65, /target\.path/],
    [
      ["check", "-"],
      JSON.stringify({ domain: "filesystem", target: { path: "/x" }, extra: 1 }),
      65,
      /unknown key extra/,
    ],
    [["check", "--domain", "filesystem"], undefined, 64, /needs --path/],
    [["check", "--bogus"], undefined, 64, /unknown option --bogus/],
  ];
  for (const [args, stdin, code, message] of cases) {
    const result = await wt(args, { env, ...(stdin === undefined ? {} : { stdin }) });
    equal(result.code, code, `${args.join(" ")} ${stdin}: ${result.stderr}`);
    match(result.stderr, message);
    equal(result.stdout, "");
  }
});

Deno.test("with an invalid policy wt check exits 78 with one line and decides nothing", async () => {
  const { stateDir, env } = sandbox();
  Deno.mkdirSync(stateDir, { recursive: true });
  Deno.writeTextFileSync(
    `${stateDir}/policy.yaml`,
    "policies:\n  - name: x\n    action: allow\n    condition: \"open('/etc/passwd')\"\n",
  );
  const result = await wt(["check", "--domain", "filesystem", "--path", "/tmp/x"], { env });
  equal(result.code, 78);
  equal(result.stdout, "");
  equal(result.stderr.trim().split("\n").length, 1);
  match(result.stderr, /policy\.yaml:2:5: policies\[0\]: rule 'x': condition: /);
});

Deno.test("observe mode exits 0 and says what it would have done", async () => {
  const { home, env } = sandbox();
  const result = await wt([
    "check",
    "--mode",
    "observe",
    "--domain",
    "filesystem",
    "--path",
    `${home}/.ssh/id_rsa`,
  ], { env });
  equal(result.code, 0);
  match(result.stdout, /^OBSERVE \(would DENY\)/);
  const json = JSON.parse(
    (await wt([
      "check",
      "--json",
      "--set",
      "mode=observe",
      "--domain",
      "filesystem",
      "--path",
      `${home}/.ssh/id_rsa`,
    ], { env })).stdout,
  );
  equal(json.decision.verdict, "deny");
  equal(json.decision.mode, "observe");
});

Deno.test("WATCHTOWER_POLICY and --policy choose the policy file", async () => {
  const { env } = sandbox();
  const viaEnv = await wt([
    "check",
    "--domain",
    "filesystem",
    "--operation",
    "write",
    "--path",
    "/tmp/x",
  ], {
    env: { ...env, WATCHTOWER_POLICY: `${SOURCES}/watchtower-policy.json` },
  });
  equal(viaEnv.code, 75, viaEnv.stdout);
  const viaFlag = await wt([
    "check",
    "--policy",
    `${SOURCES}/watchtower-policy.json`,
    "--domain",
    "filesystem",
    "--path",
    "/tmp/x",
  ], { env });
  equal(viaFlag.code, 0, viaFlag.stdout);
  match(viaFlag.stdout, /allow-tmp-read/);
});

Deno.test("wt init on a state directory path that is a file fails with one line and exit 78", async () => {
  const { stateDir, env } = sandbox();
  Deno.writeTextFileSync(stateDir, "not a directory");
  const result = await wt(["init"], { env });
  equal(result.code, 78);
  equal(result.stderr.trim().split("\n").length, 1);
  match(result.stderr, /^wt init: /);
});
