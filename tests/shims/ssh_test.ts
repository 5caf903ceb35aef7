/**
 * The ssh-* plan functions and their shared helpers (shims/_ssh.ts): HOST and remote-path
 * checks, POSIX quoting proven against real shells, the hardened ssh command line proven
 * against ssh's own config parser, the -o allowlist, and a missing ssh (exit 69).
 */
import { LocalBackend } from "../../core/shim/backend.ts";
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { resolveEnvironment } from "../../core/config.ts";
import { WatchtowerError } from "../../core/errors.ts";
import { Guard } from "../../core/guard.ts";
import { Ledger } from "../../core/ledger/writer.ts";
import { loadPolicyFromText } from "../../core/policy/loader.ts";
import { runPlan } from "../../core/shim/runner.ts";
import {
  HARDENING,
  parseDestination,
  remoteCommand,
  remotePath,
  shellQuote,
} from "../../shims/_ssh.ts";
import { planSshCat } from "../../shims/ssh_cat.ts";
import { planSshLs } from "../../shims/ssh_ls.ts";
import { planSshPs } from "../../shims/ssh_ps.ts";

const cwd = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-ssh-unit-" }));
const env = resolveEnvironment(
  (name) => ({ HOME: cwd, WATCHTOWER_DIR: `${cwd}/.watchtower` } as Record<string, string>)[name],
  cwd,
);

const isUsage = (error: unknown) => error instanceof WatchtowerError && error.code === "usage";

const installed = (program: string) => {
  try {
    new Deno.Command(program, { args: ["-V"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
};

Deno.test("parseDestination() takes host and user@host, lower-cases the host, refuses the rest", () => {
  const ok: Array<[string, { host: string; user?: string }]> = [
    ["127.0.0.1", { host: "127.0.0.1" }],
    ["Web-01.Example.COM", { host: "web-01.example.com" }],
    ["deploy@Web-01", { host: "web-01", user: "deploy" }],
    ["::1", { host: "::1" }],
    ["ops@fe80::1", { host: "fe80::1", user: "ops" }],
  ];
  for (const [word, expected] of ok) deepEqual(parseDestination(word), expected, word);
  for (
    const word of [
      "-oProxyCommand=touch /tmp/x",
      "-p",
      "root@-oProxyCommand=x",
      "ssh://host",
      "host:22",
      "127.0.0.1:22",
      "a@b@c",
      "host name",
      "host;id",
      "%h",
      "$(id)",
      "",
      "@host",
      "-user@host",
      "x".repeat(254),
    ]
  ) {
    throws(() => parseDestination(word), isUsage, JSON.stringify(word));
  }
});

Deno.test("remotePath() normalises lexically; relative means the remote home; never resolved here", () => {
  const table: Array<[string, string, string, boolean]> = [
    // word, path decided on, word for the remote command, home-relative
    ["/var/log/syslog", "/var/log/syslog", "/var/log/syslog", false],
    ["/var/log/../../etc//passwd", "/etc/passwd", "/etc/passwd", false],
    ["/../../etc/shadow", "/etc/shadow", "/etc/shadow", false],
    ["/", "/", "/", false],
    ["/var/log/", "/var/log/", "/var/log/", false],
    ["/var/log/.", "/var/log/", "/var/log/", false],
    ["/var/log/x/..", "/var/log/", "/var/log/", false],
    ["~", "~", ".", true],
    ["~/", "~", ".", true],
    [".", "~", ".", true],
    ["app.log", "~/app.log", "app.log", true],
    ["~/logs/./a/../app.log", "~/logs/app.log", "logs/app.log", true],
    ["-rf", "~/-rf", "-rf", true],
    // A local symlink of the same name changes nothing: the path is remote.
    ["tmp-link/x", "~/tmp-link/x", "tmp-link/x", true],
    ["a\nb", "~/a\nb", "a\nb", true],
    ["/x'; touch /tmp/pwned; '", "/x'; touch /tmp/pwned; '", "/x'; touch /tmp/pwned; '", false],
  ];
  Deno.symlinkSync("/etc", `${cwd}/tmp-link`);
  for (const [word, path, arg, fromHome] of table) {
    deepEqual(remotePath(word), { path, arg, fromHome }, JSON.stringify(word));
  }
  for (const word of ["", "a\0b", "~root/.ssh/id_rsa", "../x", "~/../etc/shadow", "a/../../x"]) {
    throws(() => remotePath(word), isUsage, JSON.stringify(word));
  }
});

const HOSTILE = [
  "plain",
  "it's",
  "'",
  "''",
  "'; touch /tmp/wt-pwned; '",
  "$(touch /tmp/wt-pwned2)",
  "`touch /tmp/wt-pwned3`",
  "a\ntouch /tmp/wt-pwned4",
  '"$HOME" ${PATH} \\ \\\\ \\\'',
  "*?[a-z] ~ ! # & | < > ( ) { } ;",
  "\t\r -n --",
  "ünïcødé ✓",
];

for (const shell of ["sh", "bash", "dash", "zsh", "ksh"]) {
  const missing = shell !== "sh" && !installed(shell);
  Deno.test({
    name: `shellQuote() keeps every byte literal under ${shell}${
      missing ? ` (ignored: ${shell} is not installed)` : ""
    }`,
    ignore: missing,
    fn: () => {
      for (const word of HOSTILE) {
        const out = new Deno.Command(shell, {
          args: ["-c", `printf '%s' ${shellQuote(word)}`],
          stdout: "piped",
          stderr: "piped",
        }).outputSync();
        equal(new TextDecoder().decode(out.stdout), word, `${shell}: ${JSON.stringify(word)}`);
      }
    },
  });
}

Deno.test("remoteCommand() quotes every word, puts -- before paths and cd first for home-relative ones", () => {
  equal(
    remoteCommand(["cat", "-n"], [remotePath("/etc/hostname")]),
    "'cat' '-n' '--' '/etc/hostname'",
  );
  equal(
    remoteCommand(["ls"], [remotePath("/tmp"), remotePath("x'y")]),
    `cd && 'ls' '--' '/tmp' 'x'\\''y'`,
  );
  equal(remoteCommand(["ps", "-e"]), "'ps' '-e'");
  // Run it: the words arrive intact, nothing else runs.
  const dir = Deno.makeTempDirSync();
  const command = remoteCommand(["printf", "%s|"], HOSTILE.map(remotePath));
  const out = new Deno.Command("sh", {
    args: ["-c", command],
    env: { HOME: dir },
    stdout: "piped",
  }).outputSync();
  equal(
    new TextDecoder().decode(out.stdout),
    `--|${HOSTILE.map((w) => remotePath(w).arg).join("|")}|`,
  );
  deepEqual([...Deno.readDirSync(dir)], []);
  for (const n of ["", "2", "3", "4"]) {
    throws(() => Deno.statSync(`/tmp/wt-pwned${n}`));
  }
});

Deno.test("planSshCat() runs ssh hardened: options first, -- before the host, the command last", () => {
  const plan = planSshCat(
    ["-n", "-p", "2222", "-i", "key", "-o", "ConnectTimeout=5", "Ops@Web-01", "/var/log/app.log"],
    env,
  );
  equal(plan.program, "ssh");
  equal(plan.tool, "ssh-cat");
  deepEqual(plan.args.slice(0, 4), ["-T", "-n", "-a", "-x"]);
  const options = plan.args.flatMap((arg, i) => plan.args[i - 1] === "-o" ? [arg] : []);
  deepEqual(options, [...HARDENING, "ConnectTimeout=5"]);
  deepEqual(plan.args.slice(-7), [
    "-i",
    `${cwd}/key`,
    "-l",
    "Ops",
    "--",
    "web-01",
    "'cat' '-n' '--' '/var/log/app.log'",
  ]);
  ok(plan.args.includes("2222"));
  deepEqual(plan.intents, [{
    domain: "ssh",
    operation: "read",
    target: {
      host: "web-01",
      port: 2222,
      user: "Ops",
      identity: `${cwd}/key`,
      path: "/var/log/app.log",
    },
  }]);
  // One intent per path.
  equal(planSshCat(["h", "/a", "b"], env).intents.length, 2);
  equal(planSshCat(["h", "/a"], env).intents[0]!.target.port, 22);
});

Deno.test({
  name: `ssh's own parser sees the hardening win over a hostile ssh_config (ssh -G)${
    installed("ssh") ? "" : " (ignored: ssh is not installed)"
  }`,
  ignore: !installed("ssh"),
  fn: () => {
    const config = `${cwd}/hostile_ssh_config`;
    Deno.writeTextFileSync(
      config,
      [
        "Host *",
        "  BatchMode no",
        "  ForwardAgent yes",
        "  ForwardX11 yes",
        "  ForwardX11Trusted yes",
        "  IdentityAgent /tmp/agent.sock",
        "  ControlMaster auto",
        "  ControlPath /tmp/cm-%r@%h:%p",
        "  ControlPersist yes",
        "  LocalForward 8080 127.0.0.1:80",
        "  RemoteForward 9090 127.0.0.1:22",
        "  DynamicForward 1080",
        "  PermitLocalCommand yes",
        "  LocalCommand touch /tmp/wt-local-command",
        "  RequestTTY force",
        "  GSSAPIDelegateCredentials yes",
        "  Port 2200",
        "",
      ].join("\n"),
    );
    const plan = planSshLs(
      ["-o", `UserKnownHostsFile=${cwd}/kh`, "-o", "StrictHostKeyChecking=yes", "web-01", "/"],
      env,
    );
    const out = new Deno.Command("ssh", {
      args: ["-F", config, "-G", ...plan.args],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const seen = new Map(
      new TextDecoder().decode(out.stdout).split("\n").map((line) => {
        const space = line.indexOf(" ");
        return [line.slice(0, space), line.slice(space + 1)] as const;
      }),
    );
    const expected: Record<string, string> = {
      batchmode: "yes",
      forwardagent: "no",
      forwardx11: "no",
      forwardx11trusted: "no",
      identityagent: "none",
      controlmaster: "false",
      clearallforwardings: "yes",
      permitlocalcommand: "no",
      requesttty: "false",
      gssapidelegatecredentials: "no",
      port: "22",
      connecttimeout: "10",
      stricthostkeychecking: "true",
      userknownhostsfile: `${cwd}/kh`,
      updatehostkeys: "false",
    };
    for (const [key, value] of Object.entries(expected)) equal(seen.get(key), value, key);
    for (const key of ["controlpath", "localforward", "remoteforward", "dynamicforward"]) {
      equal(seen.has(key), false, key);
    }
  },
});

Deno.test("-o takes only UserKnownHostsFile, StrictHostKeyChecking=yes and ConnectTimeout", () => {
  const accepted = planSshCat(
    [
      "-ouserknownhostsfile=kh",
      "-o",
      "StrictHostKeyChecking=YES",
      "-o",
      "connecttimeout=120",
      "h",
      "/x",
    ],
    env,
  );
  ok(accepted.args.includes(`UserKnownHostsFile=${cwd}/kh`));
  ok(accepted.args.includes("StrictHostKeyChecking=yes"));
  ok(accepted.args.includes("ConnectTimeout=120"));
  for (
    const option of [
      "StrictHostKeyChecking=no",
      "StrictHostKeyChecking=accept-new",
      "ProxyCommand=touch /tmp/x",
      "ProxyJump=evil",
      "LocalCommand=id",
      "PermitLocalCommand=yes",
      "ForwardAgent=yes",
      "ControlPath=/tmp/cm",
      "LocalForward=8080 localhost:80",
      "UserKnownHostsFile=/a /b",
      "UserKnownHostsFile=%d/kh",
      "UserKnownHostsFile=",
      "UserKnownHostsFile",
      "ConnectTimeout=0",
      "ConnectTimeout=121",
      "ConnectTimeout=5s",
      "IdentityFile=/x",
      "Port=22",
    ]
  ) {
    throws(() => planSshCat(["-o", option, "h", "/x"], env), isUsage, option);
  }
  for (
    const argv of [
      ["-A", "h", "/x"],
      ["-L", "1:h:2", "h", "/x"],
      ["-F", "/dev/null", "h", "/x"],
      ["-J", "jump", "h", "/x"],
      ["-p", "65536", "h", "/x"],
      ["-p", "22x", "h", "/x"],
      ["-i", "a key", "h", "/x"],
      ["h"],
      [],
    ]
  ) {
    throws(() => planSshCat(argv, env), isUsage, argv.join(" "));
  }
});

Deno.test("planSshLs() passes only the ls flags it knows, and lists the remote home by default", () => {
  const plan = planSshLs(["-lah", "--reverse", "-t", "h", "logs", "/srv"], env);
  equal(plan.args.at(-1), "cd && 'ls' '-lahtr' '--' 'logs' '/srv'");
  deepEqual(plan.intents.map((i) => [i.operation, i.target.path]), [
    ["list", "~/logs"],
    ["list", "/srv"],
  ]);
  equal(planSshLs(["h"], env).args.at(-1), "cd && 'ls' '--' '.'");
  equal(planSshLs(["h"], env).intents[0]!.target.path, "~");
  for (const argv of [["-R", "h"], ["--color=always", "h"], ["-X", "h"]]) {
    throws(() => planSshLs(argv, env), isUsage, argv.join(" "));
  }
});

Deno.test("planSshPs() lists every process or one user's, and checks the user name", () => {
  const all = planSshPs(["h"], env);
  equal(all.args.at(-1), "'ps' '-ww' '-o' 'user,pid,ppid,%cpu,%mem,stat,start,time,args' '-e'");
  deepEqual(all.intents, [{ domain: "ssh", operation: "ps", target: { host: "h", port: 22 } }]);
  const one = planSshPs(["--user", "www-data", "h"], env);
  match(one.args.at(-1)!, /'-u' 'www-data'$/);
  equal(one.intents[0]!.target.process_user, "www-data");
  equal(planSshPs(["-u", "1000", "h"], env).intents[0]!.target.process_user, "1000");
  for (
    const argv of [["--user", "-x", "h"], ["--user", "a b", "h"], ["--user", "$(id)", "h"], [
      "h",
      "extra",
    ], []]
  ) {
    throws(() => planSshPs(argv, env), isUsage, argv.join(" "));
  }
});

Deno.test("a missing ssh is exit 69, naming the program, after the decision was recorded", async () => {
  const stateDir = `${cwd}/state-69`;
  const policy = await loadPolicyFromText(
    "default: deny\npolicies:\n  - {name: lab, match: {domain: ssh, host: h}, action: allow}\n",
    { vars: {} },
  );
  const ledger = new Ledger(stateDir);
  const plan = { ...planSshCat(["h", "/etc/hostname"], env), program: "wt-no-such-ssh" };
  const result = await runPlan(plan, {
    env: { ...env, stateDir },
    backend: new LocalBackend({ env: { ...env, stateDir }, guard: new Guard(policy), ledger }),
    io: { stdout: () => {}, stderr: () => {} },
    childEnv: { PATH: "/usr/bin:/bin" },
  });
  equal(result.exitCode, 69);
  equal(result.verdict, "allow");
  match(result.message ?? "", /Cannot run wt-no-such-ssh: it is not installed/);
  equal(result.seqs.length, 2); // the decision, then the effect
});
