import { deepEqual, equal, match, ok } from "node:assert/strict";
import { CONTAINER_FILES, FAKE_AWS_SECRET, FAKE_GITHUB_TOKEN, startKubeApi } from "./_kube_api.ts";
import { ledgerEntries, shim, shimBox, writePolicy } from "./_shims.ts";
import { REPO } from "./_wt.ts";

const box = await shimBox();
const api = startKubeApi();
const kubeconfig = `${box.home}/kubeconfig.yaml`;
api.writeKubeconfig(kubeconfig, [{ name: "dev", namespace: "team" }, { name: "other" }]);

/** Runs a kubectl-* launcher against the stand-in. */
const kube = (name: string, args: string[], env: Record<string, string> = {}) =>
  shim(box, name, args, { env: { KUBECONFIG: kubeconfig, ...env } });

/** Requests the stand-in saw from `from` on, discovery left out. */
const seenSince = (from: number) =>
  api.requests.slice(from).filter((r) => !/^\/(version|api|apis)(\/[^/]+){0,2}$/.test(r.path));

const withPolicy = async (yaml: string, body: () => Promise<void>) => {
  writePolicy(box, yaml);
  try {
    await body();
  } finally {
    Deno.removeSync(`${box.stateDir}/policy.yaml`);
  }
};

Deno.test("kubectl-get-yaml prints what the API returned, redacted, and records decision and effect", async () => {
  const from = api.requests.length;
  const result = await kube("kubectl-get-yaml", ["pod", "web"]);
  equal(result.code, 0, result.stderr);
  match(result.stdout, /kind: Pod/);
  match(result.stdout, /namespace: team/); // the current context's namespace
  match(result.stdout, /value: \[REDACTED:github_token\]/);
  ok(!result.stdout.includes(FAKE_GITHUB_TOKEN));
  deepEqual(seenSince(from).map((r) => r.path), ["/api/v1/namespaces/team/pods/web"]);
  const [decision, effect] = ledgerEntries(box).slice(-2);
  deepEqual(decision!.data.intent, {
    domain: "kubernetes",
    operation: "get",
    target: {
      resource: "pod/web",
      kind: "pod",
      name: "web",
      namespace: "team",
      context: "dev",
      cluster: "stand-in",
      server: api.url,
      kubeconfig: [kubeconfig],
    },
  });
  equal(decision!.data.decision.verdict, "redact");
  deepEqual(decision!.data.decision.matched_rules, ["redact-read-output"]);
  equal(effect!.data.event.type, "effect");
  equal(effect!.data.event.exit_code, 0);
  deepEqual(effect!.data.event.decision_seqs, [decision!.seq]);
  deepEqual(effect!.data.event.redactions, { github_token: 1 });

  // KIND/NAME, a Kind in any case and -n: the same object kind, the namespace given.
  for (const args of [["-n", "ops", "ConfigMaps/app-config"], ["cm", "app-config", "-n", "ops"]]) {
    const before = api.requests.length;
    const cm = await kube("kubectl-get-yaml", args);
    equal(cm.code, 0, cm.stderr);
    match(cm.stdout, /mode=production/);
    deepEqual(seenSince(before).map((r) => r.path), [
      "/api/v1/namespaces/ops/configmaps/app-config",
    ]);
    const target = ledgerEntries(box).at(-2)!.data.intent.target;
    equal(target.resource, "configmap/app-config");
    equal(target.namespace, "ops");
  }
});

Deno.test("kubectl-get-yaml never fetches a Secret under the default policy, however it is spelled", async () => {
  const from = api.requests.length;
  for (
    const args of [["secret", "db"], ["secrets/db"], ["Secret", "db"], ["secret.v1", "db"], [
      "SECRETS",
      "db",
      "-n",
      "kube-system",
    ]]
  ) {
    const count = ledgerEntries(box).length;
    const result = await kube("kubectl-get-yaml", args);
    equal(result.code, 77, `${args.join(" ")}: ${result.stderr}`);
    match(result.stderr, /^kubectl-get-yaml: denied: rule deny-kubernetes-secrets/);
    equal(result.stdout, "");
    const entries = ledgerEntries(box);
    equal(entries.length, count + 1, "one decision entry, no effect");
    equal(entries.at(-1)!.data.intent.target.kind, "secret");
    equal(entries.at(-1)!.data.intent.target.resource, "secret/db");
    deepEqual(entries.at(-1)!.data.decision.matched_rules, ["deny-kubernetes-secrets"]);
  }
  deepEqual(api.requests.slice(from), [], "kubectl never ran");
  ok(!api.requests.some((r) => r.path.includes("/secrets")));
});

Deno.test("kubectl-logs prints the pod's logs with secrets masked and counts them in the effect", async () => {
  const from = api.requests.length;
  const result = await kube("kubectl-logs", [
    "web",
    "-c",
    "app",
    "--tail",
    "5",
    "--since=1h",
    "--timestamps",
  ]);
  equal(result.code, 0, result.stderr);
  match(result.stdout, /starting web in team/);
  match(result.stdout, /aws_secret_access_key = \[REDACTED:aws_secret_key\]/);
  ok(!result.stdout.includes(FAKE_AWS_SECRET));
  const log = seenSince(from).find((r) => r.path.endsWith("/log"))!;
  equal(log.path, "/api/v1/namespaces/team/pods/web/log");
  deepEqual(Object.fromEntries(log.query), {
    container: "app",
    tailLines: "5",
    sinceSeconds: "3600",
    timestamps: "true",
  });
  const [decision, effect] = ledgerEntries(box).slice(-2);
  equal(decision!.data.intent.operation, "logs");
  equal(decision!.data.intent.target.resource, "pod/web");
  equal(decision!.data.intent.target.container, "app");
  equal(decision!.data.intent.target.tail, 5);
  equal(decision!.data.decision.verdict, "redact");
  deepEqual(effect!.data.event.redactions, { aws_secret_key: 1 });

  // pod/NAME, --previous and another context (no namespace in it: default).
  const before = api.requests.length;
  const previous = await kube("kubectl-logs", ["--context", "other", "pod/web", "-p"]);
  equal(previous.code, 0, previous.stderr);
  const seen = seenSince(before).find((r) => r.path.endsWith("/log"))!;
  equal(seen.path, "/api/v1/namespaces/default/pods/web/log");
  equal(seen.query.get("previous"), "true");
  equal(ledgerEntries(box).at(-2)!.data.intent.target.context, "other");
});

Deno.test("kubectl-exec-read runs an allowlisted command in the container, end to end", async () => {
  const from = api.requests.length;
  const result = await kube("kubectl-exec-read", [
    "web",
    "-c",
    "app",
    "--",
    "cat",
    "/etc/hostname",
  ]);
  const exec = seenSince(from).find((r) => r.path.endsWith("/exec"));
  ok(exec, "kubectl asked to exec");
  equal(exec.path, "/api/v1/namespaces/team/pods/web/exec");
  deepEqual(exec.query.getAll("command"), ["cat", "--", "/etc/hostname"]);
  equal(exec.query.get("container"), "app");
  const intent = ledgerEntries(box).at(-2)!.data.intent;
  equal(intent.operation, "exec-read");
  equal(intent.target.command, "cat -- /etc/hostname");
  deepEqual(intent.target.argv, ["cat", "--", "/etc/hostname"]);
  deepEqual(intent.target.paths, ["/etc/hostname"]);
  if (exec.upgrade?.toLowerCase() !== "websocket") {
    // kubectl < 1.30 speaks SPDY only, which the stand-in does not implement: the request
    // above is as far as this run can be followed.
    console.warn(`kubectl used ${exec.upgrade} for exec; output checks skipped`);
    return;
  }
  equal(result.code, 0, result.stderr);
  equal(result.stdout, CONTAINER_FILES["/etc/hostname"]);

  // Output is redacted; the command's exit code passes through; -N is rebuilt as -n N.
  const secret = await kube("kubectl-exec-read", ["web", "--", "cat", "/app/settings.ini"]);
  equal(secret.code, 0, secret.stderr);
  match(secret.stdout, /\[REDACTED:aws_secret_key\]/);
  ok(!secret.stdout.includes(FAKE_AWS_SECRET));
  deepEqual(ledgerEntries(box).at(-1)!.data.event.redactions, { aws_secret_key: 1 });
  const missing = await kube("kubectl-exec-read", ["web", "--", "cat", "/nope"]);
  equal(missing.code, 1);
  match(missing.stderr, /No such file/);
  equal(ledgerEntries(box).at(-1)!.data.event.exit_code, 1);
  const before = api.requests.length;
  const tail = await kube("kubectl-exec-read", ["web", "--", "tail", "-5", "/var/log/app.log"]);
  equal(tail.code, 0, tail.stderr);
  deepEqual(
    seenSince(before).find((r) => r.path.endsWith("/exec"))!.query.getAll("command"),
    ["tail", "-n", "5", "--", "/var/log/app.log"],
  );
  // Shell metacharacters stay inside one argument: there is no shell to read them.
  const injected = await kube("kubectl-exec-read", ["web", "--", "cat", "/etc/hostname; rm -rf /"]);
  equal(injected.code, 1);
  match(injected.stderr, /cat: \/etc\/hostname; rm -rf \/: No such file/);
});

Deno.test("kubectl-exec-read refuses what is not read-only, whatever the policy, before kubectl runs", async () => {
  await withPolicy(
    "default: allow\npolicies:\n  - {name: all, priority: 1000000, match: {domain: kubernetes}, action: allow}\n",
    async () => {
      const from = api.requests.length;
      for (
        const [command, why] of [
          [["sh", "-c", "id"], /'sh' is not a read-only command/],
          [["env"], /'env' is not a read-only command/],
          [["printenv", "AWS_SECRET_ACCESS_KEY"], /not a read-only command/],
          [["rm", "-rf", "/"], /not a read-only command/],
          [["/bin/cat", "/etc/hostname"], /not a read-only command/],
          [["find", "/", "-name", "*.key", "-exec", "cat", "{}", ";"], /find -exec runs a program/],
          [["find", "/tmp", "-delete"], /find -delete deletes files/],
          [["find", "/", "-fprint", "/tmp/out"], /find -fprint writes a file/],
          [["tail", "-f", "/var/log/app.log"], /tail: unknown option -f/],
          [["tail", "--follow=name", "/var/log/app.log"], /tail: unknown option --follow/],
          [["cat", "/proc/1/environ"], /process environments hold secrets/],
          [["head", "/proc/self/../1/environ"], /process environments hold secrets/],
          [["cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"], /Secrets/],
          [["grep", "-r", "password", "/"], /grep -r of \//],
          [["grep", "-r", "AKIA", "."], /absolute paths/],
          [["grep", "-R", "x", "/app"], /grep: unknown option -R/],
          [["date", "-s", "2020-01-01"], /date: unknown option -s/],
          [["date", "010100002020"], /setting the clock/],
          [["hostname", "evil"], /hostname takes no operands/],
          [["ps", "auxe"], /e shows environments/],
          [["cat"], /needs a FILE/],
        ] as Array<[string[], RegExp]>
      ) {
        const count = ledgerEntries(box).length;
        const result = await kube("kubectl-exec-read", ["web", "--", ...command]);
        equal(result.code, 77, `${command.join(" ")}: ${result.stderr}`);
        match(result.stderr, /^kubectl-exec-read: denied: /);
        match(result.stderr, why);
        const entries = ledgerEntries(box);
        equal(entries.length, count + 1, `${command.join(" ")}: one decision entry, no effect`);
        equal(entries.at(-1)!.data.decision.reason, "builtin_refusal");
        deepEqual(entries.at(-1)!.data.intent.target.argv, command);
      }
      deepEqual(api.requests.slice(from), [], "kubectl never ran");
    },
  );
});

Deno.test("hostile arguments are usage errors, and nothing reaches kubectl or the ledger", async () => {
  const from = api.requests.length;
  const count = ledgerEntries(box).length;
  for (
    const [name, args] of [
      ["kubectl-get-yaml", ["pod", "-web"]],
      ["kubectl-get-yaml", ["pod", "--", "-web"]],
      ["kubectl-get-yaml", ["--", "-pod", "web"]],
      ["kubectl-get-yaml", ["pods,secrets", "web"]],
      ["kubectl-get-yaml", ["all", "web"]],
      ["kubectl-get-yaml", ["pod/web/x"]],
      ["kubectl-get-yaml", ["pod", "web", "-o", "json"]],
      ["kubectl-get-yaml", ["pod", "web", "--kubeconfig", "/tmp/x"]],
      ["kubectl-get-yaml", ["--context", "-x", "pod", "web"]],
      ["kubectl-logs", ["-n", "a/b", "web"]],
      ["kubectl-logs", ["-n", "$(id)", "web"]],
      ["kubectl-logs", ["--namespace=team;rm", "web"]],
      ["kubectl-logs", ["web", "-c", "app;rm -rf ~"]],
      ["kubectl-logs", ["web", "--tail", "abc"]],
      ["kubectl-logs", ["web", "--tail=10; id"]],
      ["kubectl-logs", ["web", "--since", "yesterday"]],
      ["kubectl-logs", ["web", "-f"]],
      ["kubectl-logs", ["--", "-web"]],
      ["kubectl-logs", ["deployment/web"]],
      ["kubectl-exec-read", ["web", "cat", "/etc/hostname"]],
      ["kubectl-exec-read", ["web", "--"]],
      ["kubectl-exec-read", ["-n", "--", "web", "--", "id"]],
      ["kubectl-exec-read", ["web", "-it", "--", "id"]],
      ["kubectl-exec-read", ["web", "--", "cat", "a\nb"]],
    ] as Array<[string, string[]]>
  ) {
    const result = await kube(name, args);
    equal(result.code, 64, `${name} ${JSON.stringify(args)}: ${result.stderr}`);
    match(result.stderr, new RegExp(`^${name}: .*; see ${name} --help\n$`));
  }
  deepEqual(api.requests.slice(from), [], "kubectl never ran");
  equal(ledgerEntries(box).length, count);
});

Deno.test("the context and namespace are the kubeconfig's, as kubectl picks them, and policies see them", async () => {
  const prod = `${box.home}/prod.yaml`;
  api.writeKubeconfig(prod, [{ name: "prod", namespace: "payments" }, { name: "dev" }]);
  await withPolicy(
    `default: escalate
policies:
  - {name: no-prod, priority: 950, match: {domain: kubernetes}, condition: "target.context == 'prod'", action: deny}
  - {name: k8s, priority: 10, match: {domain: kubernetes}, action: allow}
`,
    async () => {
      const from = api.requests.length;
      // Without --context, the current context (prod) is what kubectl would use: denied.
      const implicit = await kube("kubectl-logs", ["web"], { KUBECONFIG: `${prod}:${kubeconfig}` });
      equal(implicit.code, 77, implicit.stderr);
      match(implicit.stderr, /denied: rule no-prod/);
      const target = ledgerEntries(box).at(-1)!.data.intent.target;
      equal(target.context, "prod");
      equal(target.namespace, "payments");
      deepEqual(target.kubeconfig, [prod, kubeconfig]);
      deepEqual(api.requests.slice(from), []);
      const chosen = await kube("kubectl-logs", ["--context", "dev", "web"], {
        KUBECONFIG: `${prod}:${kubeconfig}`,
      });
      equal(chosen.code, 0, chosen.stderr);
      // The first file's dev context (no namespace) wins over the second's (team).
      equal(
        seenSince(from).find((r) => r.path.endsWith("/log"))!.path,
        "/api/v1/namespaces/default/pods/web/log",
      );
      equal(ledgerEntries(box).at(-2)!.data.decision.verdict, "allow");
    },
  );
});

Deno.test("a read no rule allows waits for approval, prints the key and never reaches the API", async () => {
  await withPolicy("default: escalate\n", async () => {
    const from = api.requests.length;
    const result = await kube("kubectl-get-yaml", ["deploy/web"]);
    equal(result.code, 75, result.stderr);
    match(result.stderr, /^kubectl-get-yaml: approval required \(key wt-[0-9a-f]{16}\)/);
    equal(ledgerEntries(box).at(-1)!.data.intent.target.resource, "deployment/web");
    deepEqual(api.requests.slice(from), []);
  });
});

Deno.test("a kubeconfig that cannot be read denies: the context kubectl would use is unknown", async () => {
  const broken = `${box.home}/broken.yaml`;
  Deno.writeTextFileSync(broken, "contexts: [\n");
  const from = api.requests.length;
  const result = await kube("kubectl-get-yaml", ["pod", "web"], { KUBECONFIG: broken });
  equal(result.code, 77, result.stderr);
  match(result.stderr, /denied: Cannot read kubeconfig .*broken\.yaml/);
  equal(ledgerEntries(box).at(-1)!.data.decision.reason, "builtin_refusal");
  deepEqual(api.requests.slice(from), []);
});

Deno.test("the kubectl-* permission sets allow kubectl and KUBECONFIG, and no socket or other program", async () => {
  const probe = `${box.home}/probe.js`;
  Deno.writeTextFileSync(
    probe,
    `const results = {};
async function attempt(name, fn) {
  try { await fn(); results[name] = "allowed"; }
  catch (error) { results[name] = error?.name === "NotCapable" ? "denied" : "error:" + error?.name; }
}
await attempt("kubectl", () => new Deno.Command("kubectl", { args: ["version", "--client"], clearEnv: true, stdout: "null", stderr: "null" }).output());
await attempt("sh", () => new Deno.Command("sh", { args: ["-c", "true"], clearEnv: true }).output());
await attempt("listen", () => Deno.listen({ hostname: "127.0.0.1", port: 0 }).close());
await attempt("connect", async () => (await Deno.connect({ hostname: "127.0.0.1", port: Number(Deno.args[1]) })).close());
await attempt("env-KUBECONFIG", () => Deno.env.get("KUBECONFIG"));
await attempt("env-AWS", () => Deno.env.get("AWS_SECRET_ACCESS_KEY"));
await attempt("write-home", () => Deno.writeTextFile(Deno.args[0] + "/probe-write", "x"));
await attempt("write-state", () => Deno.writeTextFile(Deno.args[0] + "/.watchtower/probe-write", "x"));
console.log(JSON.stringify(results));
`,
  );
  Deno.mkdirSync(box.stateDir, { recursive: true });
  for (const set of ["kubectl-get-yaml", "kubectl-logs", "kubectl-exec-read"]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-q",
        "--no-prompt",
        "--config",
        `${REPO}/deno.json`,
        `-P=${set}`,
        `--allow-write=${box.stateDir}`,
        probe,
        box.home,
        api.url.split(":").at(-1)!,
      ],
      clearEnv: true,
      env: box.env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(out.code, 0, new TextDecoder().decode(out.stderr));
    deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
      kubectl: "allowed",
      sh: "denied",
      listen: "denied",
      connect: "denied",
      "env-KUBECONFIG": "allowed",
      "env-AWS": "denied",
      "write-home": "denied",
      "write-state": "allowed",
    }, set);
  }
});

Deno.test("no run in this file ever made kubectl ask for a Secret (then the stand-in stops)", async () => {
  try {
    ok(api.requests.length > 0);
    deepEqual(api.requests.filter((r) => r.path.includes("/secrets")), []);
  } finally {
    await api.close();
  }
});
