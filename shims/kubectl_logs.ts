/**
 * `kubectl-logs`: a pod's logs (`kubectl logs`), decided on the pod, container, namespace and
 * context. Never follows (`-f` is not an option here): every run ends.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import type { ShimPlan } from "../core/shim/runner.ts";
import { has, last, parseCommand, usage } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";
import {
  checkContainer,
  checkContext,
  checkNamespace,
  kubeconfigVariable,
  kubeTarget,
  podOperand,
  printable,
  resolveScope,
  SCOPE_LONG,
  SCOPE_SHORT,
  scopeArgs,
} from "./_kubectl.ts";

const USAGE = `kubectl-logs — kubectl logs, checked by Watchtower

Usage: kubectl-logs [--context C] [-n NS|--namespace NS] POD [-c C|--container C]
                    [--tail N] [--since DURATION] [--timestamps] [-p|--previous]

POD is a pod name (or pod/NAME). --tail N: the last N lines (-1: all); --since: a duration such
as 30s, 5m, 1h30m. Without --context the kubeconfig's current context is used, without -n that
context's namespace (else 'default'); kubectl is then told exactly those. Output passes the secret
redactor when the policy says so (the default policy does). Following (-f) is not offered.
Exit: kubectl's code; 77 denied, 75 approval required, 64 bad usage, 69 kubectl is not installed.`;

const SPEC = {
  short: { ...SCOPE_SHORT, c: { name: "container", value: true }, p: { name: "previous" } },
  long: {
    ...SCOPE_LONG,
    container: { name: "container", value: true },
    tail: { name: "tail", value: true },
    since: { name: "since", value: true },
    timestamps: { name: "timestamps" },
    previous: { name: "previous" },
  },
};

const TAIL = /^(-1|0|[1-9][0-9]{0,8})$/;
const DURATION = /^([0-9]{1,9}(\.[0-9]{1,9})?(h|m|s|ms))+$/;

/** Works out what `kubectl-logs ARGS` will do (`kubeconfig`: the `$KUBECONFIG` value). */
export function planLogs(
  argv: readonly string[],
  env: WatchtowerEnvironment,
  options: { kubeconfig?: string | undefined } = {},
): ShimPlan {
  const parsed = parseCommand(argv, SPEC);
  if (parsed.operands.length !== 1) throw usage("expected one POD");
  const pod = podOperand(parsed.operands[0]!);
  const container = last(parsed, "container");
  if (container !== undefined) checkContainer(container);
  const tail = last(parsed, "tail");
  if (tail !== undefined && !TAIL.test(tail)) {
    throw usage(`--tail '${printable(tail)}' is not a line count (a whole number, or -1 for all)`);
  }
  const since = last(parsed, "since");
  if (since !== undefined && !DURATION.test(since)) {
    throw usage(`--since '${printable(since)}' is not a duration (such as 30s, 5m, 1h30m)`);
  }
  const previous = has(parsed, "previous");
  const timestamps = has(parsed, "timestamps");
  const context = last(parsed, "context");
  const namespace = last(parsed, "namespace");
  const scope = resolveScope(
    {
      context: context === undefined ? undefined : checkContext(context),
      namespace: namespace === undefined ? undefined : checkNamespace(namespace),
    },
    env,
    { kubeconfig: options.kubeconfig },
  );
  return {
    tool: "kubectl-logs",
    program: "kubectl",
    args: [
      ...scopeArgs(scope),
      "logs",
      ...(container !== undefined ? [`--container=${container}`] : []),
      ...(tail !== undefined ? [`--tail=${tail}`] : []),
      ...(since !== undefined ? [`--since=${since}`] : []),
      ...(timestamps ? ["--timestamps"] : []),
      ...(previous ? ["--previous"] : []),
      "--",
      pod,
    ],
    intents: [{
      domain: "kubernetes",
      operation: "logs",
      target: kubeTarget(scope, { kind: "pod", name: pod }, {
        ...(container !== undefined ? { container } : {}),
        ...(tail !== undefined ? { tail: Number(tail) } : {}),
        ...(since !== undefined ? { since } : {}),
        previous,
      }),
    }],
    ...(scope.refusal !== undefined ? { refusal: scope.refusal } : {}),
  };
}

/** The kubectl-logs command. */
export const KUBECTL_LOGS: ShimSpec = {
  name: "kubectl-logs",
  program: "kubectl",
  usage: USAGE,
  passEnv: ["KUBECONFIG"],
  plan: (argv, env) => planLogs(argv, env, { kubeconfig: kubeconfigVariable() }),
};

if (import.meta.main) await main(KUBECTL_LOGS);
