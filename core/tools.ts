/**
 * The tool manifest: every binary Watchtower ships, its entry module, its permission set in
 * deno.json and the real program it wraps. `deno task install`, `deno task compile`, the UTCP
 * manual and the MCP tool list are generated from it, so they cannot drift apart.
 * @module
 */

/** One binary. */
export interface ToolSpec {
  /** The command name users type. */
  name: string;
  /** Entry module, relative to the repository root. */
  entry: string;
  /** Name of the permission set in deno.json (`deno run -P=<set>`). */
  permissionSet: string;
  /** One-line description. */
  summary: string;
  /** The real program a safe command wraps, when it wraps one. */
  wraps?: string;
  /** Files and folders a compiled binary must embed (relative to the repository root). */
  include?: string[];
  /**
   * Modules the tool starts as workers (relative to the repository root): bundled beside its
   * entry by `deno task install` and embedded by `deno task compile`.
   */
  workers?: string[];
  /**
   * Whether the tool's launcher lets it write the state directory (its ledger, approvals), a
   * path that depends on the user and so cannot be in deno.json. Safe commands (those that
   * wrap a program) always do; `wt` has a broad set of its own.
   */
  writesState?: boolean;
}

/**
 * The permission flags a launcher adds for `tool` on the state directory `stateDir`: writing it
 * (the ledger), and for a safe command, connecting to the decision service's socket there (that
 * one socket: no other, and no network).
 */
export function stateDirFlags(tool: ToolSpec, stateDir: string): string[] {
  const writes = tool.writesState ?? tool.wraps !== undefined;
  const flags = writes ? [`--allow-write=${stateDir}`] : [];
  if (tool.wraps !== undefined) flags.push(`--allow-net=unix:${stateDir}/${DECIDER_SOCKET}`);
  return flags;
}

/** The decision service's socket in the state directory (core/decider/protocol.ts). */
export const DECIDER_SOCKET = "decider.sock";

/** Every binary, in the order they are installed. */
export const TOOLS: readonly ToolSpec[] = [
  {
    name: "wt",
    entry: "cli/main.ts",
    permissionSet: "wt",
    summary: "Watchtower: operator and agent-facing commands",
    include: ["profiles"],
  },
  {
    name: "safe-rm",
    entry: "shims/safe_rm.ts",
    permissionSet: "safe-rm",
    summary: "Remove files and directories (rm), decided per target",
    wraps: "rm",
  },
  {
    name: "safe-cp",
    entry: "shims/safe_cp.ts",
    permissionSet: "safe-cp",
    summary: "Copy files (cp)",
    wraps: "cp",
  },
  {
    name: "safe-mv",
    entry: "shims/safe_mv.ts",
    permissionSet: "safe-mv",
    summary: "Move or rename files (mv)",
    wraps: "mv",
  },
  {
    name: "safe-mkdir",
    entry: "shims/safe_mkdir.ts",
    permissionSet: "safe-mkdir",
    summary: "Create directories (mkdir)",
    wraps: "mkdir",
  },
  {
    name: "safe-touch",
    entry: "shims/safe_touch.ts",
    permissionSet: "safe-touch",
    summary: "Create files or update their times (touch)",
    wraps: "touch",
  },
  {
    name: "safe-chown",
    entry: "shims/safe_chown.ts",
    permissionSet: "safe-chown",
    summary: "Change file owners (chown)",
    wraps: "chown",
  },
  {
    name: "safe-chmod",
    entry: "shims/safe_chmod.ts",
    permissionSet: "safe-chmod",
    summary: "Change file modes (chmod)",
    wraps: "chmod",
  },
  {
    name: "safe-ln",
    entry: "shims/safe_ln.ts",
    permissionSet: "safe-ln",
    summary: "Make links (ln)",
    wraps: "ln",
  },
  {
    name: "ssh-ls",
    entry: "shims/ssh_ls.ts",
    permissionSet: "ssh-ls",
    summary: "List a remote directory over ssh",
    wraps: "ssh",
  },
  {
    name: "ssh-cat",
    entry: "shims/ssh_cat.ts",
    permissionSet: "ssh-cat",
    summary: "Read a remote file over ssh",
    wraps: "ssh",
  },
  {
    name: "ssh-ps",
    entry: "shims/ssh_ps.ts",
    permissionSet: "ssh-ps",
    summary: "List remote processes over ssh",
    wraps: "ssh",
  },
  {
    name: "kubectl-exec-read",
    entry: "shims/kubectl_exec_read.ts",
    permissionSet: "kubectl-exec-read",
    summary: "Run a read-only command in a pod (kubectl exec)",
    wraps: "kubectl",
  },
  {
    name: "kubectl-get-yaml",
    entry: "shims/kubectl_get_yaml.ts",
    permissionSet: "kubectl-get-yaml",
    summary: "Get a Kubernetes resource as YAML (kubectl get -o yaml)",
    wraps: "kubectl",
  },
  {
    name: "kubectl-logs",
    entry: "shims/kubectl_logs.ts",
    permissionSet: "kubectl-logs",
    summary: "Read a pod's logs (kubectl logs)",
    wraps: "kubectl",
  },
  {
    name: "rg-search",
    entry: "shims/rg_search.ts",
    permissionSet: "rg-search",
    summary: "Search files with ripgrep (rg)",
    wraps: "rg",
  },
  {
    name: "jq-query",
    entry: "shims/jq_query.ts",
    permissionSet: "jq-query",
    summary: "Query JSON files with jq",
    wraps: "jq",
  },
  {
    name: "wt-proxy",
    entry: "proxy/main.ts",
    permissionSet: "wt-proxy",
    summary: "The egress proxy: every HTTP request an agent makes, decided and recorded",
    include: ["profiles"],
    workers: ["proxy/ledger_worker.ts"],
    writesState: true,
  },
  {
    name: "wt-monitor",
    entry: "monitor/main.ts",
    permissionSet: "wt-monitor",
    summary: "The root monitor: decides every program an agent's process tree runs, at exec",
    include: ["profiles"],
    writesState: true,
  },
  {
    name: "wt-launch",
    entry: "monitor/launch.ts",
    permissionSet: "wt-launch",
    summary:
      "Starts the agent for wt run: no_new_privs, the seccomp filter and the Landlock fence, then exec",
  },
];

/** Programs whose safe command is a drop-in replacement under the real name. */
export const REAL_NAMES: Readonly<Record<string, string>> = {
  rm: "safe-rm",
  cp: "safe-cp",
  mv: "safe-mv",
  mkdir: "safe-mkdir",
  touch: "safe-touch",
  chown: "safe-chown",
  chmod: "safe-chmod",
  ln: "safe-ln",
  rg: "rg-search",
  jq: "jq-query",
};
