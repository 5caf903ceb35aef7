/**
 * The agent's launcher for `wt run`: a tiny process that waits until the monitor is attached to
 * it, fences itself with the kernel backstops — `no_new_privs` (setuid programs such as sudo can
 * no longer gain privilege) and the seccomp filter of seccomp.ts (no mount, chroot, module
 * loading, reboot, setuid family, chown to root or setuid/setgid bits) — then replaces itself
 * with the agent through `execvp`. The agent so
 * starts already fenced and already watched, and the monitor decides its very first exec.
 *
 * Usage: `deno run -P=wt-launch monitor/launch.ts GATE [--broker SOCKET] -- PROGRAM ARGS…`: GATE
 * is a FIFO the launcher reads one line from before it goes on. The environment it was given is
 * the agent's; `--broker` adds `DENO_PERMISSION_BROKER_PATH` to it at the last moment (set on the
 * launcher itself, it would broker the launcher's own permissions too).
 * @module
 */
import { LIBC_PATHS } from "../core/platform.ts";
import { fenceGrants, handledRights, PROTECTED, systemTree } from "./landlock.ts";
import { currentArch, seccompFilter } from "./seccomp.ts";

const PR_SET_NO_NEW_PRIVS = 38;
const PR_SET_SECCOMP = 22;
const SECCOMP_MODE_FILTER = 2;

/** Waits for the gate, applies the backstops and execs; returns only on failure (the code). */
export async function launch(argv: readonly string[]): Promise<number> {
  const dash = argv.indexOf("--");
  const gate = argv[0];
  const command = dash >= 0 ? argv.slice(dash + 1) : [];
  const own = dash >= 0 ? argv.slice(1, dash) : [];
  let broker: string | undefined;
  let bad = false;
  const extraProtected: string[] = [];
  for (let i = 0; i < own.length; i += 2) {
    const [flag, value] = [own[i], own[i + 1]];
    if (value === undefined) bad = true;
    else if (flag === "--broker") broker = value;
    else if (flag === "--protect") extraProtected.push(value);
    else bad = true;
  }
  if (gate === undefined || command.length === 0 || bad) {
    console.error(
      "wt-launch: usage: launch.ts GATE [--broker SOCKET] [--protect DIR]… -- PROGRAM ARGS…",
    );
    return 64;
  }
  // The monitor writes the gate once it is tracing this process.
  const opened = await Deno.open(gate, { read: true });
  const buffer = new Uint8Array(16);
  const n = await opened.read(buffer);
  opened.close();
  if (n === null || new TextDecoder().decode(buffer.subarray(0, n)).trim() !== "go") {
    console.error("wt-launch: the monitor did not start; the agent is not run unwatched");
    return 70;
  }
  const path = LIBC_PATHS.find((candidate) => {
    try {
      return Deno.statSync(candidate).isFile;
    } catch {
      return false;
    }
  });
  if (!path) {
    console.error("wt-launch: libc not found; cannot apply the kernel backstops");
    return 69;
  }
  const libc = Deno.dlopen(path, {
    prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
    execvp: { parameters: ["buffer", "buffer"], result: "i32" },
    setenv: { parameters: ["buffer", "buffer", "i32"], result: "i32" },
    prctlFilter: {
      name: "prctl",
      parameters: ["i32", "u64", "buffer", "u64", "u64"],
      result: "i32",
    },
    // Landlock's three system calls, through syscall(2) (glibc has no wrappers).
    createRuleset: { name: "syscall", parameters: ["i64", "buffer", "u64", "u32"], result: "i64" },
    addRule: { name: "syscall", parameters: ["i64", "i64", "u32", "buffer", "u32"], result: "i64" },
    restrictSelf: { name: "syscall", parameters: ["i64", "i64", "u32"], result: "i64" },
    open: { parameters: ["buffer", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
    __errno_location: { parameters: [], result: "pointer" },
  });
  if (libc.symbols.prctl(PR_SET_NO_NEW_PRIVS, 1n, 0n, 0n, 0n) !== 0) {
    console.error("wt-launch: cannot set no_new_privs; the agent is not run unfenced");
    return 70;
  }
  // The seccomp filter (monitor/seccomp.ts): struct sock_fprog { u16 len; sock_filter *filter }.
  const arch = currentArch();
  if (arch === undefined) {
    console.error(
      `wt-launch: no seccomp filter for ${Deno.build.arch}; the agent is not run unfenced`,
    );
    return 69;
  }
  const filter = seccompFilter(arch);
  const program = new Uint8Array(16);
  const programView = new DataView(program.buffer);
  programView.setUint16(0, filter.length / 8, true);
  programView.setBigUint64(
    8,
    BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(filter))),
    true,
  );
  if (
    libc.symbols.prctlFilter(PR_SET_SECCOMP, BigInt(SECCOMP_MODE_FILTER), program, 0n, 0n) !== 0
  ) {
    console.error("wt-launch: cannot install the seccomp filter; the agent is not run unfenced");
    return 70;
  }
  // The write fence (landlock.ts): system locations cannot be written by the agent's tree.
  const fence = applyWriteFence(libc.symbols, [...PROTECTED, ...extraProtected]);
  if (fence !== undefined) console.error(`wt-launch: WARNING: ${fence}`);
  if (broker !== undefined) {
    const name = new TextEncoder().encode("DENO_PERMISSION_BROKER_PATH\0");
    if (libc.symbols.setenv(name, new TextEncoder().encode(`${broker}\0`), 1) !== 0) {
      console.error("wt-launch: cannot set the permission broker; the agent is not run unbrokered");
      return 70;
    }
  }
  // argv for execvp: NUL-terminated strings and a NULL-terminated array of pointers to them.
  const encoder = new TextEncoder();
  const strings = command.map((arg) => encoder.encode(`${arg}\0`));
  const pointers = new BigUint64Array(strings.length + 1);
  strings.forEach((bytes, i) => {
    pointers[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
  });
  libc.symbols.execvp(strings[0]!, new Uint8Array(pointers.buffer));
  const errnoPointer = libc.symbols.__errno_location();
  const errno = errnoPointer ? new Deno.UnsafePointerView(errnoPointer).getInt32() : -1;
  console.error(
    `wt-launch: cannot run ${command[0]}: ${errno === 2 ? "not found on PATH" : `errno ${errno}`}`,
  );
  return errno === 2 ? 127 : 126;
}

const LANDLOCK_CREATE_RULESET = 444n;
const LANDLOCK_ADD_RULE = 445n;
const LANDLOCK_RESTRICT_SELF = 446n;
const LANDLOCK_RULE_PATH_BENEATH = 1;
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;

interface LandlockCalls {
  createRuleset(nr: bigint, attr: Uint8Array | null, size: bigint, flags: number): bigint;
  addRule(nr: bigint, fd: bigint, type: number, attr: Uint8Array, flags: number): bigint;
  restrictSelf(nr: bigint, fd: bigint, flags: number): bigint;
  open(path: Uint8Array, flags: number): number;
  close(fd: number): number;
}

/** Applies the Landlock write fence; returns why it could not, or undefined when it holds. */
function applyWriteFence(
  calls: LandlockCalls,
  protectedDirs: readonly string[],
): string | undefined {
  const abi = Number(calls.createRuleset(LANDLOCK_CREATE_RULESET, null, 0n, 1));
  if (abi < 1) {
    return "Landlock is not available here: writes to system locations are not fenced by the kernel";
  }
  const rights = handledRights(abi);
  const attr = new Uint8Array(new BigUint64Array([BigInt(rights.dir)]).buffer);
  const ruleset = calls.createRuleset(LANDLOCK_CREATE_RULESET, attr, 8n, 0);
  if (ruleset < 0n) {
    return "cannot create the Landlock ruleset; writes are not fenced by the kernel";
  }
  const encoder = new TextEncoder();
  const rule = new Uint8Array(12); // struct landlock_path_beneath_attr (packed)
  const view = new DataView(rule.buffer);
  for (const grant of fenceGrants(protectedDirs, systemTree)) {
    const fd = calls.open(encoder.encode(`${grant.path}\0`), O_PATH | O_CLOEXEC);
    if (fd < 0) continue; // gone, or not ours to open: it stays unwritable
    view.setBigUint64(0, BigInt(grant.directory ? rights.dir : rights.file), true);
    view.setInt32(8, fd, true);
    calls.addRule(LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, rule, 0);
    calls.close(fd);
  }
  if (calls.restrictSelf(LANDLOCK_RESTRICT_SELF, ruleset, 0) < 0n) {
    return "cannot apply the Landlock ruleset; writes are not fenced by the kernel";
  }
  return undefined;
}

if (import.meta.main) Deno.exit(await launch(Deno.args));
