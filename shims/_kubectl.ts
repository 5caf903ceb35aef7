/**
 * What the kubectl-* commands share: the `--context` and `-n` options, name checks, resource kind
 * normalisation (`Secrets`, `secret.v1` and `secrets/db` are all kind `secret`), and the scope a
 * command acts in, read from the kubeconfig the way kubectl reads it, so that the intent names the
 * context and namespace kubectl will really use and kubectl is then told exactly those.
 * @module
 */
import yaml from "js-yaml";
import type { WatchtowerEnvironment } from "../core/config.ts";
import { normalizePath } from "../core/match/path.ts";
import type { Target } from "../core/intent.ts";
import type { OptionSpec } from "./_args.ts";
import { usage } from "./_args.ts";

/** Options every kubectl-* command accepts. */
export const SCOPE_SHORT: Record<string, OptionSpec> = {
  n: { name: "namespace", value: true },
};
/** Long forms of {@link SCOPE_SHORT}, plus `--context`. */
export const SCOPE_LONG: Record<string, OptionSpec> = {
  context: { name: "context", value: true },
  namespace: { name: "namespace", value: true },
};

/** Where a command acts: the kubeconfig context and namespace, and what they resolve to. */
export interface KubeScope {
  /** The context kubectl is told to use (`""`: none is configured; kubectl gets no --context). */
  context: string;
  /** The namespace kubectl is told to use (`""` for a cluster-scoped kind). */
  namespace: string;
  /** The context's cluster entry and its server URL, when the kubeconfig names them. */
  cluster?: string;
  server?: string;
  /** The program of the context user's exec credential plugin (kubectl runs it to log in). */
  credentialPlugin?: string;
  /** The kubeconfig files read (absolute), in KUBECONFIG order. */
  kubeconfig: string[];
  /** Set when the kubeconfig cannot be read: nothing may run (deny by construction). */
  refusal?: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Object names other than pods' are looser (RBAC's `system:node`, for example); never a leading
// `-`, no `/`, `,`, blanks or control characters.
const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,252}$/;
const KIND_WORD = /^[a-z][a-z0-9-]{0,62}(\.[a-z0-9][a-z0-9-]{0,62})*\.?$/;

/** Checks a namespace (a DNS label, as Kubernetes requires); a usage error otherwise. */
export function checkNamespace(value: string): string {
  if (!DNS_LABEL.test(value)) {
    throw usage(`namespace '${printable(value)}' is not a valid name (a DNS label: a-z, 0-9, -)`);
  }
  return value;
}

/** Checks a container name (a DNS label); a usage error otherwise. */
export function checkContainer(value: string): string {
  if (!DNS_LABEL.test(value)) {
    throw usage(`container '${printable(value)}' is not a valid name (a DNS label: a-z, 0-9, -)`);
  }
  return value;
}

/** Checks a pod name (a DNS subdomain); a usage error otherwise. */
export function checkPodName(value: string): string {
  if (!DNS_SUBDOMAIN.test(value)) {
    throw usage(`pod '${printable(value)}' is not a valid name (a DNS subdomain: a-z, 0-9, -, .)`);
  }
  return value;
}

/** Reads `POD` or `pod/POD` (any spelling of the pod kind); a usage error otherwise. */
export function podOperand(word: string): string {
  const slash = word.indexOf("/");
  if (slash < 0) return checkPodName(word);
  const kind = normalizeKind(word.slice(0, slash));
  if (kind.kind !== "pod" || kind.group !== undefined) {
    throw usage(`'${printable(word)}' is not a pod (give POD or pod/POD)`);
  }
  return checkPodName(word.slice(slash + 1));
}

/** Checks an object name for `get`; a usage error otherwise. */
export function checkObjectName(value: string): string {
  if (!OBJECT_NAME.test(value)) {
    throw usage(
      `name '${
        printable(value)
      }' is not a valid object name (letters, digits, . _ : @ + -, not starting with -)`,
    );
  }
  return value;
}

/** Checks a context name: any kubeconfig name, but not an option and no control characters. */
export function checkContext(value: string): string {
  // deno-lint-ignore no-control-regex
  if (value === "" || value.startsWith("-") || /[\x00-\x1f\x7f]/.test(value)) {
    throw usage(`context '${printable(value)}' is not a valid context name`);
  }
  return value;
}

/** Control characters shown escaped in messages. */
export function printable(value: string): string {
  return JSON.stringify(value).slice(1, -1).replace(/[\x7f]/g, "\\u007f");
}

/** A kind word resolved: the intent's kind, what kubectl is told, and whether it is namespaced. */
export interface KindInfo {
  /** Lower case, singular, group suffix removed: `secret`, `deployment`, `certificate`. */
  kind: string;
  /** The word passed to kubectl: the canonical plural of a known kind, else the word given. */
  arg: string;
  /** The `.version.group` or `.group` suffix given, without its leading dot. */
  group?: string;
  /** Known to be cluster-scoped (node, namespace, clusterrole, …). */
  clusterScoped: boolean;
}

interface KnownKind {
  plural: string;
  short?: string[];
  cluster?: boolean;
}

// The built-in kinds: singular → plural, short names, scope. Every way kubectl names one of them
// (singular, plural, short name, Kind in any case) maps to the singular.
const KNOWN: Record<string, KnownKind> = {
  pod: { plural: "pods", short: ["po"] },
  service: { plural: "services", short: ["svc"] },
  configmap: { plural: "configmaps", short: ["cm"] },
  secret: { plural: "secrets" },
  serviceaccount: { plural: "serviceaccounts", short: ["sa"] },
  endpoints: { plural: "endpoints", short: ["ep"] },
  endpointslice: { plural: "endpointslices" },
  event: { plural: "events", short: ["ev"] },
  persistentvolumeclaim: { plural: "persistentvolumeclaims", short: ["pvc"] },
  persistentvolume: { plural: "persistentvolumes", short: ["pv"], cluster: true },
  namespace: { plural: "namespaces", short: ["ns"], cluster: true },
  node: { plural: "nodes", short: ["no"], cluster: true },
  replicationcontroller: { plural: "replicationcontrollers", short: ["rc"] },
  resourcequota: { plural: "resourcequotas", short: ["quota"] },
  limitrange: { plural: "limitranges", short: ["limits"] },
  deployment: { plural: "deployments", short: ["deploy"] },
  replicaset: { plural: "replicasets", short: ["rs"] },
  statefulset: { plural: "statefulsets", short: ["sts"] },
  daemonset: { plural: "daemonsets", short: ["ds"] },
  controllerrevision: { plural: "controllerrevisions" },
  job: { plural: "jobs" },
  cronjob: { plural: "cronjobs", short: ["cj"] },
  ingress: { plural: "ingresses", short: ["ing"] },
  ingressclass: { plural: "ingressclasses", cluster: true },
  networkpolicy: { plural: "networkpolicies", short: ["netpol"] },
  horizontalpodautoscaler: { plural: "horizontalpodautoscalers", short: ["hpa"] },
  poddisruptionbudget: { plural: "poddisruptionbudgets", short: ["pdb"] },
  role: { plural: "roles" },
  rolebinding: { plural: "rolebindings" },
  clusterrole: { plural: "clusterroles", cluster: true },
  clusterrolebinding: { plural: "clusterrolebindings", cluster: true },
  storageclass: { plural: "storageclasses", short: ["sc"], cluster: true },
  customresourcedefinition: {
    plural: "customresourcedefinitions",
    short: ["crd", "crds"],
    cluster: true,
  },
  priorityclass: { plural: "priorityclasses", short: ["pc"], cluster: true },
  lease: { plural: "leases" },
};
const ALIASES = new Map<string, string>();
for (const [singular, known] of Object.entries(KNOWN)) {
  for (const alias of [singular, known.plural, ...(known.short ?? [])]) {
    ALIASES.set(alias, singular);
  }
}

/**
 * Normalises a kind as given (`Secrets`, `po`, `deployments.apps`, `Deployment.v1.apps`): lower
 * case, singular, group suffix apart. A kind it does not know (a custom resource) is made
 * singular by English rules and passed to kubectl as given. Throws a usage error for a word that
 * is not a kind (an option, a list such as `pods,secrets`, the `all` category).
 *
 * @example
 * ```ts
 * import { normalizeKind } from "./_kubectl.ts";
 * import { equal } from "node:assert/strict";
 * equal(normalizeKind("Secrets").kind, "secret");
 * equal(normalizeKind("secret.v1").kind, "secret");
 * equal(normalizeKind("po").arg, "pods");
 * equal(normalizeKind("networkpolicies.networking.k8s.io").kind, "networkpolicy");
 * equal(normalizeKind("certificates.cert-manager.io").kind, "certificate");
 * ```
 */
export function normalizeKind(word: string): KindInfo {
  const lower = word.toLowerCase();
  if (!KIND_WORD.test(lower)) {
    throw usage(
      `'${printable(word)}' is not a resource kind (one kind such as pod, deployment.apps)`,
    );
  }
  const dot = lower.indexOf(".");
  const head = dot < 0 ? lower : lower.slice(0, dot);
  const group = dot < 0 ? undefined : lower.slice(dot + 1);
  if (head === "all") throw usage("'all' is a category, not a kind: name one kind");
  const known = ALIASES.get(head);
  const kind = known ?? singular(head);
  return {
    kind,
    arg: known !== undefined && group === undefined ? KNOWN[known]!.plural : lower,
    ...(group !== undefined && group !== "" ? { group } : {}),
    clusterScoped: known !== undefined && KNOWN[known]!.cluster === true,
  };
}

function singular(word: string): string {
  if (/[^aeiou]ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith("s") && !word.endsWith("ss")) return word.slice(0, -1);
  return word;
}

interface KubeconfigView {
  currentContext?: string;
  contexts: Map<string, { cluster?: string; user?: string; namespace?: string }>;
  clusters: Map<string, string | undefined>;
  plugins: Map<string, string | undefined>;
}

/** The kubeconfig files kubectl reads: `$KUBECONFIG` (a `:` list), else `~/.kube/config`. */
export function kubeconfigFiles(
  kubeconfig: string | undefined,
  env: WatchtowerEnvironment,
): string[] {
  const listed = (kubeconfig ?? "").split(":").filter((p) => p !== "");
  if (listed.length > 0) return listed.map((p) => normalizePath(p, env.cwd));
  return env.home ? [normalizePath(`${env.home}/.kube/config`)] : [];
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : undefined;

function named(list: unknown, field: string): Array<[string, Record<string, unknown>]> {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item) => {
    const name = text(item?.name);
    const body = item?.[field];
    return name !== undefined && body && typeof body === "object" ? [[name, body]] : [];
  });
}

// kubectl's merge: the first file that sets current-context wins, and the first file that defines
// a context, cluster or user name wins. A file that exists but cannot be read or parsed is an error.
function readKubeconfig(
  files: readonly string[],
): { view: KubeconfigView; read: string[] } | { error: string } {
  const view: KubeconfigView = { contexts: new Map(), clusters: new Map(), plugins: new Map() };
  const read: string[] = [];
  for (const file of files) {
    let doc: unknown;
    try {
      doc = yaml.load(Deno.readTextFileSync(file), { filename: file });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue; // kubectl skips missing files too
      return {
        error: `Cannot read kubeconfig ${file}: ${
          error instanceof Error ? error.message.split("\n")[0] : error
        }`,
      };
    }
    read.push(file);
    if (doc === null || doc === undefined) continue;
    if (typeof doc !== "object" || Array.isArray(doc)) {
      return { error: `Cannot read kubeconfig ${file}: it is not a mapping` };
    }
    const config = doc as Record<string, unknown>;
    const current = text(config["current-context"]);
    if (view.currentContext === undefined && current) view.currentContext = current;
    for (const [name, body] of named(config.contexts, "context")) {
      if (view.contexts.has(name)) continue;
      view.contexts.set(name, {
        ...(text(body.cluster) ? { cluster: text(body.cluster)! } : {}),
        ...(text(body.user) ? { user: text(body.user)! } : {}),
        ...(text(body.namespace) ? { namespace: text(body.namespace)! } : {}),
      });
    }
    for (const [name, body] of named(config.clusters, "cluster")) {
      if (!view.clusters.has(name)) view.clusters.set(name, text(body.server));
    }
    for (const [name, body] of named(config.users, "user")) {
      if (view.plugins.has(name)) continue;
      const exec = body.exec as Record<string, unknown> | undefined;
      view.plugins.set(name, exec && typeof exec === "object" ? text(exec.command) : undefined);
    }
  }
  return { view, read };
}

/**
 * Works out the scope a command acts in: `--context` or the kubeconfig's current context, then
 * `-n` or that context's namespace or `default` (none for a cluster-scoped kind). A kubeconfig
 * that exists but cannot be read or parsed sets `refusal`: what kubectl would use is unknown.
 */
export function resolveScope(
  given: { context?: string | undefined; namespace?: string | undefined },
  env: WatchtowerEnvironment,
  options: { kubeconfig?: string | undefined; clusterScoped?: boolean } = {},
): KubeScope {
  const files = kubeconfigFiles(options.kubeconfig, env);
  const loaded = readKubeconfig(files);
  if ("error" in loaded) {
    return {
      context: given.context ?? "",
      namespace: given.namespace ?? "",
      kubeconfig: files,
      refusal: `${loaded.error}; kubectl's context and namespace are unknown`,
    };
  }
  const { view, read } = loaded;
  const context = given.context ?? view.currentContext ?? "";
  const entry = view.contexts.get(context);
  const namespace = options.clusterScoped ? "" : given.namespace ?? entry?.namespace ?? "default";
  const cluster = entry?.cluster;
  const server = cluster !== undefined ? view.clusters.get(cluster) : undefined;
  const plugin = entry?.user !== undefined ? view.plugins.get(entry.user) : undefined;
  const bad = namespace !== "" && !DNS_LABEL.test(namespace);
  return {
    context,
    namespace,
    ...(bad
      ? { refusal: `the kubeconfig context's namespace '${printable(namespace)}' is not valid` }
      : {}),
    ...(cluster !== undefined ? { cluster } : {}),
    ...(server !== undefined ? { server } : {}),
    ...(plugin !== undefined ? { credentialPlugin: plugin } : {}),
    kubeconfig: read,
  };
}

/** kubectl's global arguments for a scope: `--context=C --namespace=NS` (each one element). */
export function scopeArgs(scope: KubeScope): string[] {
  return [
    ...(scope.context !== "" ? [`--context=${scope.context}`] : []),
    ...(scope.namespace !== "" ? [`--namespace=${scope.namespace}`] : []),
  ];
}

/** The intent target for one object in a scope, with `extra` fields merged in. */
export function kubeTarget(
  scope: KubeScope,
  object: { kind: string; name: string; group?: string | undefined },
  extra: Target = {},
): Target {
  return {
    resource: `${object.kind}/${object.name}`,
    kind: object.kind,
    name: object.name,
    namespace: scope.namespace,
    context: scope.context,
    ...(object.group !== undefined ? { group: object.group } : {}),
    ...(scope.cluster !== undefined ? { cluster: scope.cluster } : {}),
    ...(scope.server !== undefined ? { server: scope.server } : {}),
    ...(scope.credentialPlugin !== undefined ? { credential_plugin: scope.credentialPlugin } : {}),
    kubeconfig: scope.kubeconfig,
    ...extra,
  };
}

/** Reads `$KUBECONFIG` as the launcher was given it (allowed by every kubectl-* set). */
export function kubeconfigVariable(): string | undefined {
  try {
    return Deno.env.get("KUBECONFIG");
  } catch {
    return undefined;
  }
}
