import { deepEqual, equal, throws } from "node:assert/strict";
import { resolveEnvironment } from "../../core/config.ts";
import { WatchtowerError } from "../../core/errors.ts";
import { Guard } from "../../core/guard.ts";
import { intentFor } from "../../core/shim/runner.ts";
import { DEFAULT_POLICY_YAML, loadPolicyFromText } from "../../core/policy/mod.ts";
import { normalizeKind, resolveScope } from "../../shims/_kubectl.ts";
import {
  checkReadCommand,
  commandLine,
  planExecRead,
  Refused,
} from "../../shims/kubectl_exec_read.ts";
import { planGetYaml } from "../../shims/kubectl_get_yaml.ts";
import { planLogs } from "../../shims/kubectl_logs.ts";

const home = Deno.makeTempDirSync({ prefix: "wt-kube-unit-" });
const env = resolveEnvironment(
  (name) => ({ HOME: home, WATCHTOWER_WORKSPACE: `${home}/w` })[name],
  `${home}/w`,
);
const config = `${home}/config.yaml`;
Deno.writeTextFileSync(
  config,
  `apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {cluster: c1, user: u1, namespace: team}
- name: eks
  context: {cluster: c2, user: u2}
clusters:
- name: c1
  cluster: {server: "https://10.0.0.1:6443"}
- name: c2
  cluster: {server: "https://eks.example:443"}
users:
- name: u1
  user: {token: t}
- name: u2
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token]}
`,
);
const opts = { kubeconfig: config };

const usageError = (fn: () => unknown, message?: RegExp) =>
  throws(
    fn,
    (e: unknown) =>
      e instanceof WatchtowerError && e.code === "usage" && (!message || message.test(e.message)),
  );

Deno.test("normalizeKind gives every spelling of a kind the same lower-case singular", () => {
  const TABLE: Array<[string, string, string, boolean]> = [
    ["secret", "secret", "secrets", false],
    ["Secrets", "secret", "secrets", false],
    ["SECRET", "secret", "secrets", false],
    ["secret.v1", "secret", "secret.v1", false],
    ["secrets.v1.", "secret", "secrets.v1.", false],
    ["po", "pod", "pods", false],
    ["Pod", "pod", "pods", false],
    ["cm", "configmap", "configmaps", false],
    ["ConfigMaps", "configmap", "configmaps", false],
    ["deploy", "deployment", "deployments", false],
    ["deployments.apps", "deployment", "deployments.apps", false],
    ["Deployment.v1.apps", "deployment", "deployment.v1.apps", false],
    ["ingresses", "ingress", "ingresses", false],
    ["netpol", "networkpolicy", "networkpolicies", false],
    ["endpoints", "endpoints", "endpoints", false],
    ["nodes", "node", "nodes", true],
    ["ns", "namespace", "namespaces", true],
    [
      "clusterroles.rbac.authorization.k8s.io",
      "clusterrole",
      "clusterroles.rbac.authorization.k8s.io",
      true,
    ],
    ["certificates.cert-manager.io", "certificate", "certificates.cert-manager.io", false],
    ["gatewayclasses", "gatewayclass", "gatewayclasses", false],
    ["externalsecrets", "externalsecret", "externalsecrets", false],
    ["policies.kyverno.io", "policy", "policies.kyverno.io", false],
  ];
  for (const [word, kind, arg, clusterScoped] of TABLE) {
    const info = normalizeKind(word);
    deepEqual([info.kind, info.arg, info.clusterScoped], [kind, arg, clusterScoped], word);
  }
  equal(normalizeKind("deployments.apps").group, "apps");
  for (const bad of ["-pod", "pods,secrets", "all", "po/x", "pod name", "", "1pod", "pod\n"]) {
    usageError(() => normalizeKind(bad));
  }
});

Deno.test("resolveScope picks the context and namespace as kubectl does", () => {
  deepEqual(resolveScope({}, env, opts), {
    context: "dev",
    namespace: "team",
    cluster: "c1",
    server: "https://10.0.0.1:6443",
    kubeconfig: [config],
  });
  deepEqual(resolveScope({ context: "eks", namespace: "ops" }, env, opts), {
    context: "eks",
    namespace: "ops",
    cluster: "c2",
    server: "https://eks.example:443",
    credentialPlugin: "aws",
    kubeconfig: [config],
  });
  equal(resolveScope({ context: "eks" }, env, opts).namespace, "default");
  equal(resolveScope({}, env, { ...opts, clusterScoped: true }).namespace, "");
  // An unknown context is passed on (kubectl refuses it); no kubeconfig at all: no context.
  equal(resolveScope({ context: "nope" }, env, opts).namespace, "default");
  deepEqual(resolveScope({}, env, {}), { context: "", namespace: "default", kubeconfig: [] });
  // A relative KUBECONFIG is resolved against the working directory; missing files are skipped.
  Deno.mkdirSync(`${home}/w`, { recursive: true });
  Deno.copyFileSync(config, `${home}/w/rel.yaml`);
  deepEqual(resolveScope({}, env, { kubeconfig: `missing.yaml::rel.yaml` }).kubeconfig, [
    `${home}/w/rel.yaml`,
  ]);
});

Deno.test("resolveScope refuses a kubeconfig it cannot read or whose namespace is not a name", () => {
  const bad = `${home}/bad.yaml`;
  for (const text of ["contexts: [\n", "- a list\n", "a: 1\na: 2\n"]) {
    Deno.writeTextFileSync(bad, text);
    const scope = resolveScope({}, env, { kubeconfig: bad });
    equal(typeof scope.refusal, "string", text);
  }
  Deno.writeTextFileSync(
    bad,
    "current-context: x\ncontexts:\n- name: x\n  context: {namespace: 'a/b'}\n",
  );
  equal(typeof resolveScope({}, env, { kubeconfig: bad }).refusal, "string");
  Deno.writeTextFileSync(bad, "");
  deepEqual(resolveScope({}, env, { kubeconfig: bad }).refusal, undefined);
});

Deno.test("planGetYaml tells kubectl exactly the context, namespace and kind it decided on", () => {
  const plan = planGetYaml(["po/web"], env, opts);
  deepEqual(plan.args, [
    "--context=dev",
    "--namespace=team",
    "get",
    "--output=yaml",
    "--",
    "pods",
    "web",
  ]);
  deepEqual(plan.intents, [{
    domain: "kubernetes",
    operation: "get",
    target: {
      resource: "pod/web",
      kind: "pod",
      name: "web",
      namespace: "team",
      context: "dev",
      cluster: "c1",
      server: "https://10.0.0.1:6443",
      kubeconfig: [config],
    },
  }]);
  equal(plan.refusal, undefined);
  const node = planGetYaml(
    ["--context=eks", "-n", "ops", "node", "ip-10-0-0-1.ec2.internal"],
    env,
    opts,
  );
  deepEqual(node.args, [
    "--context=eks",
    "get",
    "--output=yaml",
    "--",
    "nodes",
    "ip-10-0-0-1.ec2.internal",
  ]);
  equal(node.intents[0]!.target.namespace, "");
  equal(node.intents[0]!.target.credential_plugin, "aws");
  const crd = planGetYaml(["Certificates.cert-manager.io", "tls"], env, opts);
  equal(crd.args.at(-2), "certificates.cert-manager.io");
  equal(crd.intents[0]!.target.group, "cert-manager.io");
  equal(
    planGetYaml(["clusterrole", "system:aggregate-to-view"], env, opts).intents[0]!.target.name,
    "system:aggregate-to-view",
  );
  for (
    const args of [
      [],
      ["pod"],
      ["pod", "a", "b"],
      ["pod", "-x"],
      ["a/b/c"],
      ["pod", "a/b"],
      [
        "pod",
        "web",
        "-o",
        "json",
      ],
      ["-n", "A", "pod", "web"],
      ["-n", "", "pod", "web"],
      ["--context=", "pod", "web"],
      ["pod", "we b"],
    ]
  ) {
    usageError(() => planGetYaml(args, env, opts), undefined);
  }
});

Deno.test("the default policy denies every spelling of a Secret and redacts other reads", async () => {
  const policy = await loadPolicyFromText(DEFAULT_POLICY_YAML, {
    vars: { home, workspace: env.workspace, stateDir: env.stateDir },
  });
  const guard = new Guard(policy);
  const decide = (plan: ReturnType<typeof planGetYaml>) =>
    guard.decide(intentFor(plan.intents[0]!, env, plan.tool));
  for (
    const args of [["secret", "db"], ["secrets/db"], ["Secret", "db"], ["secret.v1", "db"], [
      "SECRETS.v1.",
      "db",
    ]]
  ) {
    const decision = decide(planGetYaml(args, env, opts));
    equal(decision.verdict, "deny", args.join(" "));
    deepEqual(decision.matched_rules, ["deny-kubernetes-secrets"]);
  }
  const pod = decide(planGetYaml(["pod", "web"], env, opts));
  equal(pod.verdict, "redact");
  deepEqual(pod.matched_rules, ["redact-read-output"]);
  equal(decide(planLogs(["web"], env, opts)).verdict, "redact");
  equal(decide(planExecRead(["web", "--", "ls", "/"], env, opts)).verdict, "redact");
});

Deno.test("planLogs passes the checked options on, one argument each", () => {
  const plan = planLogs(
    [
      "-n",
      "ops",
      "pods/web-7d9f",
      "--container=app",
      "--tail",
      "-1",
      "--since",
      "1h30m",
      "-p",
      "--timestamps",
    ],
    env,
    opts,
  );
  deepEqual(plan.args, [
    "--context=dev",
    "--namespace=ops",
    "logs",
    "--container=app",
    "--tail=-1",
    "--since=1h30m",
    "--timestamps",
    "--previous",
    "--",
    "web-7d9f",
  ]);
  const target = plan.intents[0]!.target;
  deepEqual(
    [target.resource, target.container, target.tail, target.since, target.previous],
    ["pod/web-7d9f", "app", -1, "1h30m", true],
  );
  for (
    const args of [
      ["web", "-f"],
      ["web", "--follow"],
      ["web", "--tail", "1e3"],
      ["web", "--tail", "-2"],
      [
        "web",
        "--since",
        "-1h",
      ],
      ["web", "--since", "1d"],
      ["web", "-c", "App"],
      ["web", "-c", "a/b"],
      ["deploy/web"],
      ["Web"],
      [
        "web",
        "other",
      ],
      ["secret/db"],
    ]
  ) {
    usageError(() => planLogs(args, env, opts));
  }
});

Deno.test("checkReadCommand rebuilds allowed commands from what it checked", () => {
  const TABLE: Array<[string[], string[]]> = [
    [["cat", "/etc/os-release"], ["cat", "--", "/etc/os-release"]],
    [["cat", "-n", "a", "-A", "b"], ["cat", "-n", "-A", "--", "a", "b"]],
    [["head", "-20", "f"], ["head", "-n", "20", "--", "f"]],
    [["head", "--lines=5", "f"], ["head", "-n", "5", "--", "f"]],
    [["tail", "-n+3", "f"], ["tail", "-n", "+3", "--", "f"]],
    [["ls", "-la"], ["ls", "-l", "-a"]],
    [["ls", "--", "-weird"], ["ls", "--", "-weird"]],
    [["grep", "-rn", "TODO", "/app"], ["grep", "-r", "-n", "-e", "TODO", "--", "/app"]],
    [["grep", "-e", "-v", "f"], ["grep", "-e", "-v", "--", "f"]],
    [["grep", "--include=*.ts", "-r", "x", "/src"], [
      "grep",
      "--include=*.ts",
      "-r",
      "-e",
      "x",
      "--",
      "/src",
    ]],
    [["grep", "-C", "3", "error", "log"], ["grep", "-C", "3", "-e", "error", "--", "log"]],
    [["find", "/app", "-name", "*.log", "-mtime", "-1", "-print"], [
      "find",
      "/app",
      "-name",
      "*.log",
      "-mtime",
      "-1",
      "-print",
    ]],
    [["find", "/", "-name", "-exec"], ["find", "/", "-name", "-exec"]],
    [["ps", "aux"], ["ps", "aux"]],
    [["ps", "-ef"], ["ps", "-e", "-f"]],
    [["df", "-h"], ["df", "-h"]],
    [["du", "-sh", "/var/log"], ["du", "-s", "-h", "--", "/var/log"]],
    [["id"], ["id"]],
    [["id", "-u", "nobody"], ["id", "-u", "--", "nobody"]],
    [["uname", "-a"], ["uname", "-a"]],
    [["date", "-u", "+%s"], ["date", "-u", "+%s"]],
    [["hostname"], ["hostname"]],
    [["wc", "-l", "f"], ["wc", "-l", "--", "f"]],
    [["stat", "-c", "%s %n", "f"], ["stat", "-c", "%s %n", "--", "f"]],
    [["pwd"], ["pwd"]],
  ];
  for (const [input, argv] of TABLE) deepEqual(checkReadCommand(input).argv, argv, input.join(" "));
  deepEqual(checkReadCommand(["grep", "x", "a", "b"]).paths, ["a", "b"]);
  deepEqual(checkReadCommand(["find", "/a", "/b", "-type", "f"]).paths, ["/a", "/b"]);
});

Deno.test("checkReadCommand refuses anything that writes, waits, runs a program or reads secrets", () => {
  const REFUSED: string[][] = [
    [],
    ["sh", "-c", "cat /etc/passwd"],
    ["bash"],
    ["env"],
    ["printenv"],
    ["rm", "x"],
    ["kill", "1"],
    ["curl", "http://x"],
    ["/bin/cat", "x"],
    ["constructor"],
    ["__proto__"],
    ["toString"],
    ["tail", "-f", "x"],
    ["tail", "-F", "x"],
    ["tail", "--follow", "x"],
    ["tail", "-s", "1", "x"],
    ["tail", "-n", "x", "f"],
    ["head", "-c", "1k;id", "f"],
    ["cat"],
    ["cat", "/proc/self/environ"],
    ["cat", "proc/1/environ"],
    ["cat", "/proc/1/mem"],
    ["cat", "/proc/kcore"],
    ["cat", "/run/secrets/db-password"],
    ["cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"],
    ["cat", "/etc/../var/run/./secrets/x"],
    ["ls", "/var/run/secrets/kubernetes.io/serviceaccount"],
    ["grep", "x"],
    ["grep", "-r", "x", "/"],
    ["grep", "-r", "x", "/proc"],
    ["grep", "-r", "x", "/var"],
    ["grep", "-r", "x", "/var/run/"],
    ["grep", "-r", "x", "/etc/.."],
    ["grep", "-r", "x", "app"],
    ["grep", "-R", "x", "/app"],
    ["grep", "-f", "pats", "file"],
    ["grep", "--devices=read", "x", "f"],
    ["find", "/", "-exec", "cat", "{}", ";"],
    ["find", "/", "-execdir", "cat", "{}", "+"],
    ["find", "/", "-ok", "rm", "{}", ";"],
    ["find", "/", "-delete"],
    ["find", "/", "-fprintf", "/tmp/x", "%p"],
    ["find", "/", "-fls", "/tmp/x"],
    ["find", "-L", "/"],
    ["find", "/", "-name"],
    ["find", "/proc/1/environ"],
    ["ps", "e"],
    ["ps", "auxe"],
    ["ps", "-o", "pid,cmd"],
    ["ps", "-p", "1;id"],
    ["date", "-s", "now"],
    ["date", "--set=now"],
    ["date", "0101"],
    ["hostname", "new"],
    ["hostname", "-F", "/tmp/x"],
    ["uname", "x"],
    ["id", "a", "b"],
    ["pwd", "-P"],
    ["du", "-d", "x"],
  ];
  for (const command of REFUSED) {
    throws(() => checkReadCommand(command), Refused, JSON.stringify(command));
  }
});

Deno.test("planExecRead records the command it will run and refuses, not errs, on a bad one", () => {
  const plan = planExecRead(
    ["-n", "ops", "web", "-c", "app", "--", "cat", "/etc/hostname"],
    env,
    opts,
  );
  deepEqual(plan.args, [
    "--context=dev",
    "--namespace=ops",
    "exec",
    "--container=app",
    "web",
    "--",
    "cat",
    "--",
    "/etc/hostname",
  ]);
  const target = plan.intents[0]!.target;
  deepEqual(
    [target.resource, target.container, target.command, target.argv, target.program, target.paths],
    ["pod/web", "app", "cat -- /etc/hostname", ["cat", "--", "/etc/hostname"], "cat", [
      "/etc/hostname",
    ]],
  );
  equal(plan.refusal, undefined);
  const refused = planExecRead(["web", "--", "find", "/", "-delete"], env, opts);
  equal(refused.refusal, "find -delete deletes files (not allowed for a read-only command)");
  deepEqual(refused.intents[0]!.target.argv, ["find", "/", "-delete"]);
  // The first -- that is not an option's value ends kubectl-exec-read's own options.
  equal(
    planExecRead(["--context", "eks", "web", "--", "id"], env, opts).intents[0]!.target.context,
    "eks",
  );
  for (
    const args of [
      ["web"],
      ["web", "--"],
      ["--", "cat", "x"],
      ["web", "x", "--", "id"],
      ["-n", "--", "web", "--", "id"],
      [
        "web",
        "-i",
        "--",
        "id",
      ],
      ["web", "--", "cat", "a\u0000b"],
      ["web", "--", ...Array(300).fill("x")],
      ["web", "--", "cat", "x".repeat(5000)],
    ]
  ) {
    usageError(() => planExecRead(args, env, opts));
  }
});

Deno.test("commandLine quotes words a shell would split, for policies' command globs", () => {
  equal(commandLine(["grep", "-e", "a b", "--", "/x"]), "grep -e 'a b' -- /x");
  equal(commandLine(["cat", "--", "it's;rm"]), `cat -- 'it'\\''s;rm'`);
  equal(commandLine(["date", "+%Y-%m-%d"]), "date +%Y-%m-%d");
});
