/**
 * `wt run` with a real agent (a bash script): every layer is around it — safe commands under the
 * real names, the guarded shell as SHELL, the egress proxy, the root monitor and no_new_privs —
 * and its exit code and a session summary come back.
 */
import { equal, match, ok } from "node:assert/strict";
import { sandbox, wt } from "./_wt.ts";
import { ledgerEntries, shim, shimBox } from "./_shims.ts";

const AGENT = `#!/bin/bash
echo agent-start
echo "SHELL=$SHELL"
command -v rm
grep NoNewPrivs /proc/self/status
sudo id && echo SUDO-RAN
echo hello > notes.txt && cat notes.txt
"$SHELL" -c 'sudo ls'; echo "shell-exit=$?"
rm notes.txt && echo removed
curl -s -o /dev/null -w 'metadata=%{http_code}\\n' http://169.254.169.254/latest/meta-data/
exit 7
`;

Deno.test("wt run puts every layer around the agent and returns its exit code", async () => {
  const box = sandbox();
  const work = `${box.home}/project`;
  const bin = `${box.home}/bin`;
  Deno.mkdirSync(`${work}/.git`, { recursive: true });
  Deno.mkdirSync(bin, { recursive: true });
  Deno.copyFileSync("/bin/echo", `${bin}/sudo`);
  Deno.chmodSync(`${bin}/sudo`, 0o755);
  Deno.writeTextFileSync(`${work}/agent.sh`, AGENT, { mode: 0o755 });
  const result = await wt(["run", "--json", "--", "./agent.sh"], {
    env: { ...box.env, PATH: `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` },
    cwd: work,
  });
  equal(result.code, 7, result.stderr);
  const out = result.stdout;
  match(out, /^agent-start\n/);
  match(out, new RegExp(`SHELL=${box.stateDir}/agent-bin/wt-sh\n`));
  match(out, new RegExp(`${box.stateDir}/agent-bin/rm\n`));
  match(out, /NoNewPrivs:\s+1\n/);
  ok(!out.includes("SUDO-RAN"), out);
  match(out, /hello\n/);
  match(out, /shell-exit=77\n/);
  match(out, /removed\n/);
  match(out, /metadata=403\n/);
  match(result.stderr, /wt run: killed sudo id/);
  const summary = JSON.parse(result.stderr.trim().split("\n").at(-1)!);
  equal(summary.exit_code, 7);
  equal(summary.killed, 1);
  equal(summary.zone, "IRREVERSIBLE"); // the rm moved the session on
  ok(summary.refused >= 3);
  const session = await wt(["session", "show", summary.session, "--json"], { env: box.env });
  equal(JSON.parse(session.stdout).zone, "IRREVERSIBLE");
});

Deno.test("wt run refuses an agent that does not exist, and a first exec the policy denies", async () => {
  const box = sandbox();
  Deno.mkdirSync(`${box.home}/project`, { recursive: true });
  const missing = await wt(["run", "--", "no-such-agent-program"], {
    env: box.env,
    cwd: `${box.home}/project`,
  });
  equal(missing.code, 127, missing.stderr);
  match(missing.stderr, /cannot run no-such-agent-program: not found/);
  const denied = await wt(["run", "--", "bash", "-c", "sudo id"], {
    env: box.env,
    cwd: `${box.home}/project`,
  });
  equal(denied.code, 137, denied.stderr);
  match(denied.stderr, /wt run: killed bash -c sudo id/);
  const usage = await wt(["run"], { env: box.env });
  equal(usage.code, 64);
});

const DENO_AGENT = `
const home = Deno.env.get("HOME");
console.log("readme:", Deno.readTextFileSync("README.md").trim());
try {
  console.log("KEY:", Deno.readTextFileSync(home + "/.ssh/id_rsa"));
} catch (error) {
  console.log("key refused:", error.name, error.message);
}
try {
  console.log("SECRET:", Deno.env.get("AWS_SECRET_ACCESS_KEY"));
} catch (error) {
  console.log("env refused:", error.name);
}
Deno.writeTextFileSync("out.txt", "written");
console.log("wrote");
`;

Deno.test("a Deno agent under wt run --profile coding-agent: its permissions are the policy's", async () => {
  const box = sandbox();
  const work = `${box.home}/project`;
  Deno.mkdirSync(`${work}/.git`, { recursive: true });
  Deno.mkdirSync(`${box.home}/.ssh`, { recursive: true });
  Deno.writeTextFileSync(`${box.home}/.ssh/id_rsa`, "PRIVATE KEY");
  Deno.writeTextFileSync(`${work}/README.md`, "hello project\n");
  Deno.writeTextFileSync(`${work}/agent.js`, DENO_AGENT);
  const result = await wt([
    "run",
    "--profile",
    "coding-agent",
    "--json",
    "--",
    "deno",
    "run",
    "agent.js",
  ], {
    env: { ...box.env, AWS_SECRET_ACCESS_KEY: "shh" },
    cwd: work,
  });
  equal(result.code, 0, result.stderr);
  match(result.stdout, /readme: hello project\n/);
  match(
    result.stdout,
    /key refused: NotCapable Watchtower: boundary coding-agent\/file:~\/\.ssh\/\*\*/,
  );
  match(result.stdout, /env refused: NotCapable/);
  ok(!result.stdout.includes("PRIVATE KEY") && !result.stdout.includes("shh"), result.stdout);
  match(result.stdout, /wrote\n/);
  equal(Deno.readTextFileSync(`${work}/out.txt`), "written");
  const summary = JSON.parse(result.stderr.trim().split("\n").at(-1)!);
  equal(summary.refused, 2);
  equal(summary.zone, "COMMITMENT");
  const ledger = Deno.readTextFileSync(`${box.stateDir}/ledger-000001.jsonl`);
  match(ledger, /"tool":"deno-broker"/);
});

Deno.test("an agent that kills the monitor dies with it; wt run says so and exits 70", async () => {
  const box = sandbox();
  const work = `${box.home}/project`;
  Deno.mkdirSync(work, { recursive: true });
  Deno.writeTextFileSync(
    `${work}/agent.sh`,
    `#!/bin/bash
echo started
kill -9 $(pgrep -f "monitor/main.ts --pid $$ ")
sleep 2
echo STILL-RUNNING
`,
    { mode: 0o755 },
  );
  const result = await wt(["run", "--", "./agent.sh"], { env: box.env, cwd: work });
  equal(result.code, 70, result.stderr);
  match(result.stdout, /started/);
  ok(!result.stdout.includes("STILL-RUNNING"), result.stdout);
  match(result.stderr, /WARNING: the root monitor stopped .* nothing ran unwatched/);
});

Deno.test("ordinary work under wt run: reading, writing, and a GET through its proxy", async () => {
  const { DEFAULT_POLICY_YAML } = await import("../../core/policy/default_policy.ts");
  const { startUpstream } = await import("./_proxy.ts");
  const upstream = startUpstream();
  try {
    const box = sandbox();
    const work = `${box.home}/project`;
    Deno.mkdirSync(`${work}/.git`, { recursive: true });
    Deno.mkdirSync(box.stateDir, { recursive: true });
    // The default policy, with loopback reachable for the test's upstream.
    Deno.writeTextFileSync(
      `${box.stateDir}/policy.yaml`,
      DEFAULT_POLICY_YAML.replace("allow_loopback: false", "allow_loopback: true"),
    );
    Deno.writeTextFileSync(`${work}/README.md`, "read me\n");
    Deno.writeTextFileSync(
      `${work}/agent.sh`,
      `#!/bin/bash
cat README.md
echo notes > notes.txt && cat notes.txt
curl -s http://127.0.0.1:${upstream.port}/docs/page
`,
      { mode: 0o755 },
    );
    const result = await wt(["run", "--", "./agent.sh"], { env: box.env, cwd: work });
    equal(result.code, 0, result.stderr);
    equal(result.stdout, "read me\nnotes\nGET /docs/page 0\n");
    equal(upstream.seen.length, 1);
    match(result.stderr, /0 programs killed/);
  } finally {
    await upstream.close();
  }
});

Deno.test("wt run from the installed launchers: the layers are the installed tools", async () => {
  const box = await shimBox();
  Deno.writeTextFileSync(
    `${box.work}/agent.sh`,
    [
      "#!/bin/bash",
      "command -v rm",
      "touch made.txt && echo touched",
      `"$SHELL" -c 'rm -rf /'; echo "shell-exit=$?"`,
      // The state directory is fenced: the ledger and the policy cannot be touched from the tree.
      `echo 'default: allow' >> "$WATCHTOWER_DIR/policy.yaml" 2>/dev/null || echo policy-fenced`,
      `: > "$WATCHTOWER_DIR/ledger-000001.jsonl" 2>/dev/null || echo ledger-fenced`,
      "exit 3",
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  const result = await shim(box, "wt", ["run", "--json", "--", "./agent.sh"]);
  equal(result.code, 3, result.stderr);
  match(result.stdout, new RegExp(`${box.stateDir}/agent-bin/rm\n`));
  match(result.stdout, /touched\n/);
  match(result.stdout, /shell-exit=77\n/);
  match(result.stdout, /policy-fenced\nledger-fenced\n/);
  Deno.statSync(`${box.work}/made.txt`);
  // Yet the safe command's decision (through the decision service) is in the ledger.
  ok(
    ledgerEntries(box).some((e) =>
      e.data.context?.tool === "safe-touch" && e.data.decision?.verdict === "allow"
    ),
  );
  // The real-name commands run the installed launchers, not a copy made from the sources.
  match(
    Deno.readTextFileSync(`${box.stateDir}/agent-bin/touch`),
    new RegExp(`${box.bin}/safe-touch`),
  );
  const summary = JSON.parse(result.stderr.trim().split("\n").at(-1)!);
  equal(summary.exit_code, 3);
  // The decision service ran for the session and stopped with it.
  const status = await shim(box, "wt", ["daemon", "status"]);
  equal(status.code, 69);
});
