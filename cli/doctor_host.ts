/**
 * What `wt doctor` says about the kernel mechanisms Watchtower's layers use on this host: procfs
 * and ptrace (the monitor), seccomp and no_new_privs (`wt run`'s launcher), and Landlock (its
 * write fence). Read-only probes made the monitor's way: procfs through its libc (Deno wants
 * --allow-all for /proc) and its own account of ptrace (monitor/explain.ts), reused rather than
 * copied, although the CLI otherwise only starts the monitor.
 * @module
 */
import { LIBC_PATHS } from "../core/platform.ts";
import { explainMechanisms } from "../monitor/explain.ts";
import { openLibc } from "../monitor/libc.ts";

/** One line of the host section: what was found and, unless it is OK, what to do. */
export interface HostCheck {
  name: "proc" | "ptrace" | "seccomp" | "no_new_privs" | "landlock";
  status: "ok" | "warn" | "fail";
  detail: string;
  fix?: string;
}

/** What the probes found (tests build these by hand). */
export interface HostFacts {
  os: string;
  /** Why libc could not be used to look (undefined when it could, or off Linux). */
  libcError?: string;
  /** `/proc/self/status`, or undefined when it cannot be read. */
  procStatus?: string | undefined;
  /** The monitor's ptrace verdict (monitor/explain.ts). */
  ptrace: { available: boolean; why: string };
  /** Landlock's ABI version, or the errno of the version query. */
  landlock?: { abi: number } | { errno: number };
}

const LANDLOCK_CREATE_RULESET = 444n; // the same number on x86_64 and aarch64
const LANDLOCK_CREATE_RULESET_VERSION = 1;
const ERRNO = { EPERM: 1, ENOSYS: 38, EOPNOTSUPP: 95 } as const;

/** Looks at this host (needs the `ffi` permission for libc on Linux). */
export function readHostFacts(): HostFacts {
  const ptrace = explainMechanisms().mechanisms.find((m) => m.name === "ptrace") ??
    { available: false, why: "unknown" };
  const facts: HostFacts = { os: Deno.build.os, ptrace: { ...ptrace } };
  if (Deno.build.os !== "linux") return facts;
  try {
    const libc = openLibc();
    const status = libc.readFile("/proc/self/status");
    if (status) facts.procStatus = new TextDecoder().decode(status);
    facts.landlock = landlockVersion(() => libc.errno());
  } catch (error) {
    facts.libcError = error instanceof Error ? error.message : String(error);
  }
  return facts;
}

/**
 * landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION): the ABI version (it creates
 * nothing), or the errno that says why there is none. (monitor/launch.ts makes the same query before
 * it fences an agent; its libc binding is private to the launcher.)
 */
function landlockVersion(errno: () => number): { abi: number } | { errno: number } {
  const path = LIBC_PATHS.find((candidate) => {
    try {
      return Deno.statSync(candidate).isFile;
    } catch {
      return false;
    }
  });
  if (!path) return { errno: ERRNO.ENOSYS };
  const lib = Deno.dlopen(path, {
    syscall: { parameters: ["i64", "pointer", "u64", "u32"], result: "i64" },
  });
  try {
    const abi = Number(
      lib.symbols.syscall(LANDLOCK_CREATE_RULESET, null, 0n, LANDLOCK_CREATE_RULESET_VERSION),
    );
    // errno is read before anything else can call into libc.
    return abi >= 1 ? { abi } : { errno: errno() };
  } finally {
    lib.close();
  }
}

/** A `Name:\tvalue` field of /proc/PID/status. */
function statusField(status: string, name: string): string | undefined {
  return new RegExp(`^${name}:\\s*(\\S+)`, "m").exec(status)?.[1];
}

const notLinux = (os: string, name: HostCheck["name"], what: string): HostCheck => ({
  name,
  status: "warn",
  detail: `not available on ${os}: ${what}`,
  fix: "use Linux where this layer matters (docs/monitor.md)",
});

/**
 * The host lines of `wt doctor`: a mechanism the monitor can do without is a warning; one
 * without which `wt run` refuses to start any agent (seccomp, no_new_privs, /proc) fails on Linux.
 *
 * @example
 * ```ts
 * import { hostChecks } from "./doctor_host.ts";
 * import { equal } from "node:assert/strict";
 * const checks = hostChecks({
 *   os: "linux",
 *   procStatus: "Name:\tx\nNoNewPrivs:\t0\nSeccomp:\t0\n",
 *   ptrace: { available: true, why: "Yama ptrace_scope 1" },
 *   landlock: { abi: 4 },
 * });
 * equal(checks.every((check) => check.status === "ok"), true);
 * ```
 */
export function hostChecks(facts: HostFacts): HostCheck[] {
  const checks: HostCheck[] = [];
  const add = (
    name: HostCheck["name"],
    status: HostCheck["status"],
    detail: string,
    fix?: string,
  ) => checks.push({ name, status, detail, ...(fix ? { fix } : {}) });
  if (facts.os !== "linux") {
    checks.push(
      notLinux(facts.os, "proc", "the monitor polls ps instead, after the fact"),
      {
        name: "ptrace",
        status: "warn",
        detail: facts.ptrace.why,
        fix: "the monitor polls ps here: it acts after the fact and misses short-lived programs",
      },
      notLinux(facts.os, "seccomp", "wt run's system call filter is Linux-only"),
      notLinux(facts.os, "no_new_privs", "wt run cannot stop setuid programs gaining privilege"),
      notLinux(facts.os, "landlock", "wt run has no kernel write fence here"),
    );
    return checks;
  }
  if (facts.libcError !== undefined) {
    for (const name of ["proc", "seccomp", "no_new_privs", "landlock"] as const) {
      add(
        name,
        "warn",
        `cannot look: ${facts.libcError}`,
        "run wt doctor as installed (its permission set loads libc from the usual paths)",
      );
    }
  } else if (facts.procStatus === undefined) {
    add(
      "proc",
      "fail",
      "cannot read /proc/self/status",
      "mount /proc (mount -t proc proc /proc): the monitor and wt run read processes there",
    );
  } else {
    add("proc", "ok", "/proc is mounted and readable");
  }
  add(
    "ptrace",
    facts.ptrace.available ? "ok" : "warn",
    facts.ptrace.why,
    facts.ptrace.available
      ? undefined
      : "the monitor falls back to polling /proc, which acts after " +
        "the fact; allow ptrace (sysctl kernel.yama.ptrace_scope=1) or run it with CAP_SYS_PTRACE",
  );
  if (facts.libcError !== undefined || facts.procStatus === undefined) {
    // The seccomp and no_new_privs lines need /proc/self/status: said above.
  } else {
    const seccomp = statusField(facts.procStatus, "Seccomp");
    const filters = statusField(facts.procStatus, "Seccomp_filters");
    if (seccomp === undefined) {
      add(
        "seccomp",
        "fail",
        "this kernel has no seccomp (no Seccomp field in /proc/self/status)",
        "use a kernel built with CONFIG_SECCOMP_FILTER: wt run refuses to start agents without it",
      );
    } else {
      add(
        "seccomp",
        "ok",
        seccomp === "2"
          ? `supported; this process already runs under ${filters ?? "a"} filter(s) (a container ` +
            "or wt run): filters stack, wt run adds its own"
          : "supported: wt run filters mount, chroot, module loading, setuid and the like",
      );
    }
    const noNewPrivs = statusField(facts.procStatus, "NoNewPrivs");
    if (noNewPrivs === undefined) {
      add(
        "no_new_privs",
        "warn",
        "cannot tell (no NoNewPrivs field in /proc/self/status: a kernel older than 4.10?)",
        "wt run refuses to start agents if the kernel refuses it; upgrade the kernel",
      );
    } else {
      add(
        "no_new_privs",
        "ok",
        noNewPrivs === "1"
          ? "supported; already set for this process (a container or wt run)"
          : "supported: wt run's agents cannot gain privilege through setuid programs",
      );
    }
  }
  if (facts.landlock !== undefined) {
    if ("abi" in facts.landlock) {
      add(
        "landlock",
        "ok",
        `ABI ${facts.landlock.abi}: wt run fences writes to system locations${
          facts.landlock.abi < 3 ? " (ABI < 3: truncating files is not fenced)" : ""
        }`,
      );
    } else {
      const errno = facts.landlock.errno;
      add(
        "landlock",
        "warn",
        errno === ERRNO.ENOSYS
          ? "this kernel has no Landlock (Linux 5.13 or later built with it)"
          : errno === ERRNO.EOPNOTSUPP
          ? "Landlock is built in but not enabled"
          : errno === ERRNO.EPERM
          ? "the Landlock system calls are refused (EPERM: a container's seccomp profile?)"
          : `Landlock is not available (errno ${errno})`,
        errno === ERRNO.EOPNOTSUPP
          ? "add landlock to the kernel's lsm= boot parameter; until then wt run starts agents " +
            "without the write fence (the monitor and policies still apply)"
          : "wt run starts agents without the kernel write fence (the monitor and policies " +
            "still apply); a newer kernel or container runtime adds it",
      );
    }
  }
  return checks;
}
