/**
 * ssh-ls, ssh-cat and ssh-ps through their launchers against a real OpenSSH server on 127.0.0.1
 * (tests/integration/_sshd.ts): allowed runs print what the host has, a denied host is never
 * contacted, escalations print the key, hostile paths and hosts stay inert, and the default
 * policy's redactor masks secrets in ssh-cat output.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { type EntryJson, ledgerEntries, shim, shimBox, writePolicy } from "./_shims.ts";
import { type Sshd, sshdUnavailable, startSshd } from "./_sshd.ts";

const unavailable = sshdUnavailable();
if (unavailable) console.error(`ssh tests ignored: ${unavailable}`);
const box = unavailable ? undefined : await shimBox();
const sshd: Sshd | undefined = unavailable ? undefined : await startSshd();

// The remote side is this machine: files the server's sessions read live here.
const remote = sshd?.remote ?? "";

const exists = (path: string) => {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

/** The connection options every run passes: the test server's port, key and host key. */
const via = () => [
  "-p",
  String(sshd!.port),
  "-i",
  sshd!.identity,
  "-o",
  `UserKnownHostsFile=${sshd!.knownHosts}`,
];

const LAB_POLICY = `default: deny
policies:
  - {name: lab-host, match: {domain: ssh, host: "127.0.0.1"}, action: allow}
  - {name: ps-needs-human, priority: 10, match: {domain: ssh, operation: ps}, action: escalate}
`;

function withPolicy(yaml: string | undefined, body: () => Promise<void>): () => Promise<void> {
  return async () => {
    if (yaml !== undefined) writePolicy(box!, yaml);
    try {
      await body();
    } finally {
      if (yaml !== undefined) Deno.removeSync(`${box!.stateDir}/policy.yaml`);
    }
  };
}

/** Runs a command and returns its result with the ledger entries it added. */
async function run(name: string, args: string[]) {
  const before = exists(box!.stateDir) ? ledgerEntries(box!).length : 0;
  const result = await shim(box!, name, args);
  return { ...result, entries: ledgerEntries(box!).slice(before) as EntryJson[] };
}

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name: unavailable ? `${name} (ignored: ${unavailable})` : name,
    ignore: !!unavailable,
    fn,
  });

test(
  "ssh-cat prints a remote file on an allowed host and records the decision and the effect",
  withPolicy(LAB_POLICY, async () => {
    Deno.writeTextFileSync(`${remote}/motd.txt`, "hello from the host\n");
    const sessions = sshd!.sessions();
    const result = await run("ssh-cat", [
      ...via(),
      "root@127.0.0.1",
      `${remote}/./sub/../motd.txt`,
    ]);
    equal(result.code, 0, result.stderr);
    equal(result.stdout, "hello from the host\n");
    equal(sshd!.sessions(), sessions + 1);
    equal(result.entries.length, 2);
    const [decision, effect] = result.entries;
    deepEqual(decision!.data.intent.domain, "ssh");
    equal(decision!.data.intent.operation, "read");
    deepEqual(decision!.data.intent.target, {
      host: "127.0.0.1",
      port: sshd!.port,
      user: "root",
      identity: sshd!.identity,
      path: `${remote}/motd.txt`,
    });
    equal(decision!.data.decision.verdict, "allow");
    deepEqual(decision!.data.decision.matched_rules, ["lab-host"]);
    equal(effect!.data.event.type, "effect");
    equal(effect!.data.event.program, "ssh");
    equal(effect!.data.event.exit_code, 0);
    deepEqual(effect!.data.event.decision_seqs, [decision!.seq]);
    // A missing file: cat's own message and code pass through.
    const missing = await run("ssh-cat", [...via(), "127.0.0.1", `${remote}/nope`]);
    equal(missing.code, 1);
    match(missing.stderr, /nope: No such file or directory/);
    equal(missing.entries.length, 2);
  }),
);

test(
  "ssh-ls lists a remote directory, and the remote home when no path is given",
  withPolicy(LAB_POLICY, async () => {
    Deno.mkdirSync(`${remote}/dir/inner`, { recursive: true });
    Deno.writeTextFileSync(`${remote}/dir/a.log`, "x".repeat(2048));
    Deno.writeTextFileSync(`${remote}/dir/.hidden`, "");
    const long = await run("ssh-ls", ["-lah", ...via(), "127.0.0.1", `${remote}/dir/`]);
    equal(long.code, 0, long.stderr);
    match(long.stdout, /^-.* 2\.0K .* a\.log$/m);
    match(long.stdout, /^d.* inner$/m);
    match(long.stdout, /\.hidden$/m);
    equal(long.entries[0]!.data.intent.operation, "list");
    equal(long.entries[0]!.data.intent.target.path, `${remote}/dir/`);
    const plain = await run("ssh-ls", ["-1", ...via(), "127.0.0.1", `${remote}/dir`]);
    equal(plain.stdout, "a.log\ninner\n");
    // No path: the remote home directory, recorded as ~.
    const home = await run("ssh-ls", ["-1a", ...via(), "127.0.0.1"]);
    equal(home.code, 0, home.stderr);
    match(home.stdout, /^\.\.$/m);
    equal(home.entries[0]!.data.intent.target.path, "~");
    equal(home.entries.length, 2);
  }),
);

test(
  "ssh-ps waits for approval under a policy that escalates it, and lists processes once allowed",
  withPolicy(LAB_POLICY, async () => {
    const sessions = sshd!.sessions();
    const held = await run("ssh-ps", [...via(), "127.0.0.1"]);
    equal(held.code, 75, held.stderr);
    match(held.stderr, /^ssh-ps: approval required \(key wt-[0-9a-f]{16}\)/);
    equal(held.stdout, "");
    // The escalation becomes a pending request (its event), then the decision is recorded.
    equal(held.entries.length, 2);
    equal(held.entries[0]!.data.event.type, "approval.request");
    equal(held.entries[1]!.data.decision.verdict, "escalate");
    equal(held.entries[1]!.data.intent.operation, "ps");
    equal(held.entries[0]!.data.event.key, held.entries[1]!.data.decision.approval_key);
    equal(sshd!.sessions(), sessions);
    writePolicy(
      box!,
      "default: deny\npolicies:\n  - {name: lab, match: {domain: ssh, host: '127.0.0.1'}, action: allow}\n",
    );
    const listed = await run("ssh-ps", [...via(), "--user", "root", "127.0.0.1"]);
    equal(listed.code, 0, listed.stderr);
    match(listed.stdout, /^USER +PID +PPID +%CPU +%MEM +STAT +STARTED +TIME +COMMAND$/m);
    match(listed.stdout, /^root +\d+ .*sshd/m);
    equal(listed.entries[0]!.data.intent.target.process_user, "root");
    equal(listed.entries[1]!.data.event.exit_code, 0);
  }),
);

test(
  "a denied host exits 77 and is never contacted; the refusal is recorded",
  withPolicy(LAB_POLICY, async () => {
    const connections = sshd!.connections();
    // localhost reaches the same server, so a run that connected would show in its log.
    for (
      const [name, args] of [["ssh-cat", ["LOCALHOST", "/etc/hostname"]], ["ssh-ls", [
        "localhost",
        "/",
      ]]] as const
    ) {
      const result = await run(name, [...via(), ...args]);
      equal(result.code, 77, result.stderr);
      match(result.stderr, new RegExp(`^${name}: denied`));
      equal(result.stdout, "");
      equal(result.entries.length, 1);
      equal(result.entries[0]!.data.intent.target.host, "localhost");
      equal(result.entries[0]!.data.decision.verdict, "deny");
    }
    // Give the server a moment: a connection would be logged as it is accepted.
    await new Promise((resolve) => setTimeout(resolve, 200));
    equal(sshd!.connections(), connections);
    // The check can fail: allowed, the same run does reach the server (and fails its host key
    // check, as the known_hosts file names 127.0.0.1 only).
    writePolicy(box!, "default: allow\n");
    const allowed = await run("ssh-cat", [...via(), "localhost", "/etc/hostname"]);
    equal(allowed.code, 255, allowed.stderr);
    match(allowed.stderr, /Host key verification failed/);
    equal(sshd!.connections(), connections + 1);
  }),
);

test(
  "hostile remote paths stay paths: quotes, $( ), backquotes, ; and newlines run nothing on the host",
  withPolicy(LAB_POLICY, async () => {
    const paths = [
      `${remote}/x'; touch ${remote}/pwned; '`,
      `${remote}/$(touch ${remote}/pwned2)`,
      `${remote}/\`touch ${remote}/pwned3\``,
      `${remote}/a\ntouch ${remote}/pwned4`,
      `'; touch ${remote}/pwned5; '`, // relative: under the remote home
      `x" ; touch ${remote}/pwned6 #`,
      `-n; touch ${remote}/pwned7`,
    ];
    const result = await run("ssh-cat", [...via(), "127.0.0.1", "--", ...paths]);
    equal(result.code, 1, result.stderr);
    equal(result.stdout, "");
    equal(result.stderr.match(/No such file or directory/g)?.length, paths.length, result.stderr);
    for (const n of ["", "2", "3", "4", "5", "6", "7"]) {
      ok(!exists(`${remote}/pwned${n}`), `pwned${n}`);
    }
    deepEqual(
      result.entries.slice(0, -1).map((e) => e.data.intent.target.path),
      paths.map((p) => p.startsWith("/") ? p : `~/${p}`),
    );
    // The same through ssh-ls, whose flags come before the paths.
    const listed = await run("ssh-ls", ["-l", ...via(), "127.0.0.1", paths[0]!, paths[1]!]);
    equal(listed.code, 2, listed.stderr);
    ok(!exists(`${remote}/pwned`) && !exists(`${remote}/pwned2`));
  }),
);

test(
  "hostile hosts and options are usage errors: option injection into ssh never reaches it",
  withPolicy(LAB_POLICY, async () => {
    const marker = `${remote}/proxy-ran`;
    const cases: string[][] = [
      ["--", `-oProxyCommand=touch ${marker}`, "/etc/hostname"],
      [`-oProxyCommand=touch ${marker}`, "127.0.0.1", "/etc/hostname"],
      ["-o", `LocalCommand=touch ${marker}`, "127.0.0.1", "/etc/hostname"],
      ["-o", "StrictHostKeyChecking=no", "127.0.0.1", "/etc/hostname"],
      ["-o", "ForwardAgent=yes", "127.0.0.1", "/etc/hostname"],
      ["-o", `UserKnownHostsFile=${sshd!.knownHosts} /dev/null`, "127.0.0.1", "/etc/hostname"],
      ["-L", "8080:127.0.0.1:80", "127.0.0.1", "/etc/hostname"],
      ["-A", "127.0.0.1", "/etc/hostname"],
      ["ssh://127.0.0.1", "/etc/hostname"],
      ["127.0.0.1:22", "/etc/hostname"],
      ["root@127.0.0.1 -oProxyCommand=x", "/etc/hostname"],
      ["-p", "0", "127.0.0.1", "/etc/hostname"],
      ["127.0.0.1", "~root/.ssh/id_ed25519"],
      ["127.0.0.1", "../../etc/shadow"],
      ["127.0.0.1"],
      [],
    ];
    const connections = sshd!.connections();
    for (const args of cases) {
      const result = await run("ssh-cat", args);
      equal(result.code, 64, `${JSON.stringify(args)}: ${result.stderr}`);
      match(result.stderr, /^ssh-cat: .*; see ssh-cat --help\n$/);
      equal(result.entries.length, 0);
    }
    ok(!exists(marker));
    equal(sshd!.connections(), connections);
  }),
);

test(
  "the host key is checked against the given known_hosts file: a mismatch runs nothing",
  withPolicy(LAB_POLICY, async () => {
    const wrong = `${remote}/wrong_known_hosts`;
    const [type, key] = Deno.readTextFileSync(`${sshd!.identity}.pub`).split(/\s+/);
    Deno.writeTextFileSync(wrong, `[127.0.0.1]:${sshd!.port} ${type} ${key}\n`);
    const sessions = sshd!.sessions();
    const result = await run("ssh-cat", [
      "-p",
      String(sshd!.port),
      "-i",
      sshd!.identity,
      "-o",
      `UserKnownHostsFile=${wrong}`,
      "127.0.0.1",
      "/etc/hostname",
    ]);
    equal(result.code, 255, result.stderr);
    match(result.stderr, /Host key verification failed/);
    equal(result.stdout, "");
    equal(sshd!.sessions(), sessions);
    equal(result.entries.at(-1)!.data.event.exit_code, 255);
  }),
);

const REDACTING_POLICY = `default: escalate
policies:
  - {name: lab-host-redacted, match: {domain: ssh, host: "127.0.0.1", tool: ssh-cat}, action: redact}
`;

test(
  "under the default policy ssh-cat to an unknown host needs approval, and no session starts",
  withPolicy(undefined, async () => {
    const sessions = sshd!.sessions();
    const result = await run("ssh-cat", [...via(), "127.0.0.1", `${remote}/app.env`]);
    equal(result.code, 75, result.stderr);
    equal(sshd!.sessions(), sessions);
  }),
);

test(
  "a policy that redacts ssh-cat output: secrets masked, kinds counted",
  withPolicy(REDACTING_POLICY, async () => {
    Deno.writeTextFileSync(
      `${remote}/app.env`,
      "region=eu-west-1\naws_key AKIAIOSFODNN7EXAMPLE\nok\n",
    );
    const result = await run("ssh-cat", [...via(), "127.0.0.1", `${remote}/app.env`]);
    equal(result.code, 0, result.stderr);
    equal(result.stdout, "region=eu-west-1\naws_key [REDACTED:aws_access_key]\nok\n");
    ok(!result.stdout.includes("AKIA"));
    const [decision, effect] = result.entries;
    equal(decision!.data.decision.verdict, "redact");
    deepEqual(decision!.data.decision.matched_rules, ["lab-host-redacted"]);
    deepEqual(effect!.data.event.redactions, { aws_access_key: 1 });
    ok(!JSON.stringify(result.entries).includes("AKIAIOSFODNN7EXAMPLE"));
  }),
);

Deno.test({
  name: "stop the test sshd",
  ignore: !!unavailable,
  fn: async () => {
    await sshd!.stop();
  },
});
