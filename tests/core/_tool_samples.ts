/** For each tool: inputs using every field, and the command line they must give. */
export const SAMPLES: Record<string, [Record<string, unknown>, string[]]> = {
  safe_rm: [{ paths: ["a", "-rf"], recursive: true, force: true }, ["-r", "-f", "--", "a", "-rf"]],
  safe_cp: [
    { sources: ["a", "b"], destination: "d", recursive: true, archive: true, force: true },
    ["-r", "-a", "-f", "--", "a", "b", "d"],
  ],
  safe_mv: [{ sources: ["a"], destination: "b", no_clobber: true }, ["-n", "--", "a", "b"]],
  safe_mkdir: [{ paths: ["x/y"], parents: true, mode: "750" }, ["-p", "-m", "750", "--", "x/y"]],
  safe_touch: [{ paths: ["f"], no_create: true }, ["-c", "--", "f"]],
  safe_chown: [
    { owner: "me:staff", paths: ["f"], recursive: true, no_dereference: true },
    ["-R", "-h", "--", "me:staff", "f"],
  ],
  safe_chmod: [{ mode: "-w", paths: ["f"], recursive: true }, ["-R", "--", "-w", "f"]],
  safe_ln: [
    { target: "t", link_name: "l", symbolic: true, force: true },
    ["-s", "-f", "--", "t", "l"],
  ],
  ssh_ls: [
    { host: "me@web1", path: "/var/log", port: 2222, long: true, all: true },
    ["-l", "-a", "-p", "2222", "--", "me@web1", "/var/log"],
  ],
  ssh_cat: [{ host: "web1", path: "/etc/hosts", port: 22 }, [
    "-p",
    "22",
    "--",
    "web1",
    "/etc/hosts",
  ]],
  ssh_ps: [{ host: "web1", user: "root" }, ["-u", "root", "--", "web1"]],
  kubectl_exec_read: [
    { pod: "web-1", command: ["cat", "/etc/hostname"], namespace: "prod", container: "app" },
    ["-n", "prod", "-c", "app", "web-1", "--", "cat", "/etc/hostname"],
  ],
  kubectl_get_yaml: [
    { kind: "deployment", name: "web", namespace: "prod", context: "lab" },
    ["--context", "lab", "-n", "prod", "--", "deployment", "web"],
  ],
  kubectl_logs: [
    { pod: "web-1", namespace: "prod", container: "app", tail: 20, context: "lab" },
    ["--context", "lab", "-n", "prod", "-c", "app", "--tail", "20", "--", "web-1"],
  ],
  rg_search: [
    {
      pattern: "-x",
      paths: ["src"],
      ignore_case: true,
      line_number: true,
      fixed_strings: true,
      files_with_matches: false,
      glob: "*.ts",
    },
    ["-i", "-n", "-F", "--glob", "*.ts", "--", "-x", "src"],
  ],
  jq_query: [
    { filter: ".items[]", files: ["a.json"], raw_output: true, compact_output: true },
    ["-r", "-c", "--", ".items[]", "a.json"],
  ],
};
