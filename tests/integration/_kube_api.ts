/**
 * A small Kubernetes API stand-in on 127.0.0.1 (plain HTTP) that the real `kubectl` talks to:
 * the discovery documents kubectl asks for, pods, configmaps, secrets, pod logs and exec over the
 * WebSocket stream protocol (`v5.channel.k8s.io`, kubectl ≥ 1.30). Every request is recorded, so
 * tests can prove what kubectl asked for and what it never asked for.
 */

/** One request the stand-in saw. */
export interface KubeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The `Upgrade` header (`websocket`, `SPDY/3.1`), when there was one. */
  upgrade: string | null;
}

/** A running stand-in. */
export interface KubeApi {
  url: string;
  requests: KubeRequest[];
  /** Writes a kubeconfig for this server with the given contexts (the first is current). */
  writeKubeconfig(path: string, contexts: Array<{ name: string; namespace?: string }>): void;
  close(): Promise<void>;
}

/** What the fake pod's logs hold: one secret of a kind the redactor knows. */
export const FAKE_AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/** A GitHub token in the pod spec's environment (in the YAML `get` returns). */
export const FAKE_GITHUB_TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
/** The files `cat` finds in the fake container. */
export const CONTAINER_FILES: Readonly<Record<string, string>> = {
  "/etc/hostname": "web-0\n",
  "/app/settings.ini": `[s3]\naws_secret_access_key = ${FAKE_AWS_SECRET}\n`,
};

const encoder = new TextEncoder();
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const resource = (name: string, kind: string, singularName: string, shortNames?: string[]) => ({
  name,
  singularName,
  namespaced: true,
  kind,
  verbs: ["get", "list"],
  ...(shortNames ? { shortNames } : {}),
});

const notFound = (what: string) =>
  json({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `${what} not found`,
    reason: "NotFound",
    code: 404,
  }, 404);

function pod(namespace: string, name: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, uid: "0b7f6c1e-0000-4000-8000-000000000001" },
    spec: {
      containers: [
        {
          name: "app",
          image: "registry.example/app:1.2.3",
          env: [{ name: "GITHUB_TOKEN", value: FAKE_GITHUB_TOKEN }],
        },
        { name: "sidecar", image: "registry.example/proxy:4" },
      ],
    },
    status: { phase: "Running" },
  };
}

/** Answers one exec: a tiny container where `cat` reads {@link CONTAINER_FILES}. */
function execute(argv: string[]): { stdout: string; stderr: string; code: number } {
  if (argv[0] === "cat") {
    const files = argv.slice(1).filter((a) => a !== "--" && !a.startsWith("-"));
    let stdout = "";
    for (const file of files) {
      const body = CONTAINER_FILES[file];
      if (body === undefined) {
        return { stdout, stderr: `cat: ${file}: No such file or directory\n`, code: 1 };
      }
      stdout += body;
    }
    return { stdout, stderr: "", code: 0 };
  }
  return { stdout: `ran ${JSON.stringify(argv)}\n`, stderr: "", code: 0 };
}

function execStream(request: Request, argv: string[]): Response {
  const { socket, response } = Deno.upgradeWebSocket(request, { protocol: "v5.channel.k8s.io" });
  socket.binaryType = "arraybuffer";
  // Answer a moment after the upgrade, as a real container's process does: kubectl starts its
  // frame reader before it registers its streams, and frames that arrive in between are dropped
  // ("unknown stream id"), which on a loaded machine gave a flaky empty stdout.
  socket.onopen = () => setTimeout(answerExec, 100);
  const answerExec = () => {
    const result = execute(argv);
    const frame = (channel: number, text: string) => {
      const body = encoder.encode(text);
      const bytes = new Uint8Array(body.length + 1);
      bytes[0] = channel;
      bytes.set(body, 1);
      socket.send(bytes);
    };
    if (result.stdout) frame(1, result.stdout);
    if (result.stderr) frame(2, result.stderr);
    frame(
      3,
      JSON.stringify(
        result.code === 0 ? { metadata: {}, status: "Success" } : {
          metadata: {},
          status: "Failure",
          message: `command terminated with non-zero exit code: exit status ${result.code}`,
          reason: "NonZeroExitCode",
          details: { causes: [{ reason: "ExitCode", message: String(result.code) }] },
        },
      ),
    );
    // Close a moment after the status, not at once: kubectl stops reading at the close.
    const timer = setTimeout(() => socket.close(1000), 250);
    socket.addEventListener("close", () => clearTimeout(timer));
  };
  socket.onerror = () => {};
  return response;
}

function answer(request: Request, url: URL, self: string): Response {
  const path = url.pathname;
  if (path === "/version") {
    return json({ major: "1", minor: "32", gitVersion: "v1.32.0", platform: "linux/amd64" });
  }
  if (path === "/api") {
    return json({
      kind: "APIVersions",
      versions: ["v1"],
      serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: self }],
    });
  }
  if (path === "/apis") {
    const apps = { groupVersion: "apps/v1", version: "v1" };
    return json({
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: [{ name: "apps", versions: [apps], preferredVersion: apps }],
    });
  }
  if (path === "/api/v1") {
    return json({
      kind: "APIResourceList",
      groupVersion: "v1",
      resources: [
        resource("pods", "Pod", "pod", ["po"]),
        resource("pods/log", "Pod", ""),
        resource("pods/exec", "PodExecOptions", ""),
        resource("configmaps", "ConfigMap", "configmap", ["cm"]),
        resource("secrets", "Secret", "secret"),
      ],
    });
  }
  if (path === "/apis/apps/v1") {
    return json({
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: "apps/v1",
      resources: [resource("deployments", "Deployment", "deployment", ["deploy"])],
    });
  }
  const object = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/);
  if (!object) return notFound(path);
  const [, namespace, kind, name, sub] = object as unknown as [
    string,
    string,
    string,
    string,
    string?,
  ];
  if (kind === "pods" && name === "missing") return notFound(`pods "${name}"`);
  if (kind === "pods" && sub === undefined) return json(pod(namespace, name));
  if (kind === "pods" && sub === "log") {
    return new Response(
      `2024-01-15T10:30:00Z starting ${name} in ${namespace}\n` +
        `2024-01-15T10:30:01Z loaded aws_secret_access_key = ${FAKE_AWS_SECRET}\n` +
        `2024-01-15T10:30:02Z ready\n`,
      { headers: { "content-type": "text/plain" } },
    );
  }
  if (kind === "pods" && sub === "exec") {
    const argv = url.searchParams.getAll("command");
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return execStream(request, argv);
    }
    return json({ kind: "Status", status: "Failure", message: "upgrade required", code: 400 }, 400);
  }
  if (kind === "configmaps" && sub === undefined) {
    return json({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace },
      data: { "app.properties": "mode=production\n" },
    });
  }
  if (kind === "secrets" && sub === undefined) {
    // Never to be reached through the safe commands: tests assert no request came here.
    return json({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace },
      data: { password: btoa("s3cr3t-from-the-stand-in") },
    });
  }
  return notFound(path);
}

/** Starts the stand-in on a free port of 127.0.0.1. */
export function startKubeApi(): KubeApi {
  const requests: KubeRequest[] = [];
  let self = "";
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      const url = new URL(request.url);
      requests.push({
        method: request.method,
        path: url.pathname,
        query: url.searchParams,
        upgrade: request.headers.get("upgrade"),
      });
      return answer(request, url, self);
    },
  );
  self = `127.0.0.1:${server.addr.port}`;
  const url = `http://${self}`;
  return {
    url,
    requests,
    writeKubeconfig(path, contexts) {
      const lines = [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: stand-in",
        "  cluster:",
        `    server: ${url}`,
        "users:",
        "- name: tester",
        "  user:",
        "    token: stand-in-token",
        "contexts:",
        ...contexts.flatMap((c) => [
          `- name: ${c.name}`,
          "  context:",
          "    cluster: stand-in",
          "    user: tester",
          ...(c.namespace ? [`    namespace: ${c.namespace}`] : []),
        ]),
        `current-context: ${contexts[0]?.name ?? ""}`,
      ];
      Deno.writeTextFileSync(path, `${lines.join("\n")}\n`);
    },
    close: () => server.shutdown(),
  };
}
