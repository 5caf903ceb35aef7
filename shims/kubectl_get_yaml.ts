/**
 * `kubectl-get-yaml`: one Kubernetes object as YAML (`kubectl get KIND NAME -o yaml`), decided on
 * its normalised kind, name, namespace and context. Secrets are denied by the default policy.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import type { ShimPlan } from "../core/shim/runner.ts";
import { last, parseCommand, usage } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";
import {
  checkContext,
  checkNamespace,
  checkObjectName,
  kubeconfigVariable,
  kubeTarget,
  normalizeKind,
  resolveScope,
  SCOPE_LONG,
  SCOPE_SHORT,
  scopeArgs,
} from "./_kubectl.ts";

const USAGE = `kubectl-get-yaml — kubectl get -o yaml, checked by Watchtower

Usage: kubectl-get-yaml [--context C] [-n NS|--namespace NS] KIND NAME
       kubectl-get-yaml [--context C] [-n NS|--namespace NS] KIND/NAME

KIND is one kind as kubectl names it (pod, pods, po, Deployment, deployments.apps, a custom
resource); it is decided as its lower-case singular (secrets, Secret, secret.v1 are all 'secret').
Without --context the kubeconfig's current context is used, without -n that context's namespace
(else 'default'); kubectl is then told exactly those. Secrets are denied by the default policy;
output passes the secret redactor when the policy says so (the default policy does).
Exit: kubectl's code; 77 denied, 75 approval required, 64 bad usage, 69 kubectl is not installed.`;

const SPEC = { short: SCOPE_SHORT, long: SCOPE_LONG };

/** Works out what `kubectl-get-yaml ARGS` will do (`kubeconfig`: the `$KUBECONFIG` value). */
export function planGetYaml(
  argv: readonly string[],
  env: WatchtowerEnvironment,
  options: { kubeconfig?: string | undefined } = {},
): ShimPlan {
  const parsed = parseCommand(argv, SPEC);
  let kindWord: string;
  let name: string;
  if (parsed.operands.length === 1 && parsed.operands[0]!.includes("/")) {
    const [first, ...rest] = parsed.operands[0]!.split("/");
    if (rest.length !== 1) throw usage(`'${parsed.operands[0]}' is not KIND/NAME`);
    kindWord = first!;
    name = rest[0]!;
  } else if (parsed.operands.length === 2) {
    [kindWord, name] = parsed.operands as [string, string];
  } else {
    throw usage("expected KIND NAME or KIND/NAME (one object)");
  }
  const kind = normalizeKind(kindWord);
  checkObjectName(name);
  const context = last(parsed, "context");
  const namespace = last(parsed, "namespace");
  const scope = resolveScope(
    {
      context: context === undefined ? undefined : checkContext(context),
      namespace: namespace === undefined ? undefined : checkNamespace(namespace),
    },
    env,
    { kubeconfig: options.kubeconfig, clusterScoped: kind.clusterScoped },
  );
  return {
    tool: "kubectl-get-yaml",
    program: "kubectl",
    args: [...scopeArgs(scope), "get", "--output=yaml", "--", kind.arg, name],
    intents: [{
      domain: "kubernetes",
      operation: "get",
      target: kubeTarget(scope, { kind: kind.kind, name, group: kind.group }),
    }],
    ...(scope.refusal !== undefined ? { refusal: scope.refusal } : {}),
  };
}

/** The kubectl-get-yaml command. */
export const KUBECTL_GET_YAML: ShimSpec = {
  name: "kubectl-get-yaml",
  program: "kubectl",
  usage: USAGE,
  passEnv: ["KUBECONFIG"],
  plan: (argv, env) => planGetYaml(argv, env, { kubeconfig: kubeconfigVariable() }),
};

if (import.meta.main) await main(KUBECTL_GET_YAML);
