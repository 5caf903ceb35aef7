/**
 * The seccomp filter `wt run` puts on an agent (a classic BPF program, applied by the launcher
 * after `no_new_privs` and before it becomes the agent): mount, umount, chroot, pivot_root,
 * module loading, kexec, reboot and the setuid family fail with EPERM, and so do chown to uid 0
 * and chmod adding setuid or setgid bits. Other architectures' system calls (x32 and i386 on
 * x86_64, whose numbers differ) fail too, so that no ABI switch slips past the numbers below.
 * @module
 */

/** The architectures the filter knows (AUDIT_ARCH_* values). */
export const ARCHES = {
  x86_64: 0xc000003e,
  aarch64: 0xc00000b7,
} as const;

/** System calls refused whatever their arguments. */
const REFUSED: Record<keyof typeof ARCHES, Record<string, number>> = {
  x86_64: {
    mount: 165,
    umount2: 166,
    chroot: 161,
    pivot_root: 155,
    init_module: 175,
    finit_module: 313,
    delete_module: 176,
    kexec_load: 246,
    kexec_file_load: 320,
    reboot: 169,
    setuid: 105,
    setgid: 106,
    setreuid: 113,
    setregid: 114,
    setresuid: 117,
    setresgid: 119,
    setfsuid: 122,
    setfsgid: 123,
    open_tree: 428,
    move_mount: 429,
    fsopen: 430,
    fsmount: 432,
    mount_setattr: 442,
  },
  aarch64: {
    mount: 40,
    umount2: 39,
    chroot: 51,
    pivot_root: 41,
    init_module: 105,
    finit_module: 273,
    delete_module: 106,
    kexec_load: 104,
    kexec_file_load: 294,
    reboot: 142,
    setuid: 146,
    setgid: 144,
    setreuid: 145,
    setregid: 143,
    setresuid: 147,
    setresgid: 149,
    setfsuid: 151,
    setfsgid: 152,
    open_tree: 428,
    move_mount: 429,
    fsopen: 430,
    fsmount: 432,
    mount_setattr: 442,
  },
}; // deno-fmt-ignore

/** chown-like calls: [number, index of the uid argument]; refused when the uid is 0. */
const CHOWNS: Record<keyof typeof ARCHES, Array<[number, number]>> = {
  x86_64: [[92, 1], [93, 1], [94, 1], [260, 2]],
  aarch64: [[55, 1], [54, 2]],
};

/** chmod-like calls: [number, index of the mode argument]; refused with S_ISUID or S_ISGID. */
const CHMODS: Record<keyof typeof ARCHES, Array<[number, number]>> = {
  x86_64: [[90, 1], [91, 1], [268, 2], [452, 2]],
  aarch64: [[52, 1], [53, 2], [452, 2]],
};

const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;
/** Return values. */
export const RET = {
  ALLOW: 0x7fff0000,
  ERRNO_EPERM: 0x00050000 | 1,
} as const;
const X32_BIT = 0x40000000;
const SETID_BITS = 0o6000;

type Label = "allow" | "deny";
type Instruction = { code: number; jt: number | Label; jf: number | Label; k: number };

/** `args[i]`'s low 32 bits in struct seccomp_data (little-endian). */
const argOffset = (index: number) => 16 + 8 * index;

/**
 * The filter for `arch` as `struct sock_filter[]` bytes (8 bytes per instruction).
 *
 * @example
 * ```ts
 * import { seccompFilter } from "./seccomp.ts";
 * import { ok } from "node:assert/strict";
 * ok(seccompFilter("x86_64").length % 8 === 0);
 * ```
 */
export function seccompFilter(arch: keyof typeof ARCHES): Uint8Array {
  const program: Instruction[] = [
    { code: LD_W_ABS, jt: 0, jf: 0, k: 4 }, // seccomp_data.arch
    { code: JEQ_K, jt: 0, jf: "deny", k: ARCHES[arch] },
    { code: LD_W_ABS, jt: 0, jf: 0, k: 0 }, // seccomp_data.nr
  ];
  if (arch === "x86_64") program.push({ code: JGE_K, jt: "deny", jf: 0, k: X32_BIT });
  for (const nr of Object.values(REFUSED[arch])) {
    program.push({ code: JEQ_K, jt: "deny", jf: 0, k: nr });
  }
  const checked = (pairs: Array<[number, number]>, test: (index: number) => Instruction[]) => {
    for (const [nr, index] of pairs) {
      const body = test(index);
      // Not this call: skip its body (and the reload of nr after it).
      program.push({ code: JEQ_K, jt: 0, jf: body.length + 1, k: nr });
      program.push(...body);
      program.push({ code: LD_W_ABS, jt: 0, jf: 0, k: 0 });
    }
  };
  checked(CHOWNS[arch], (index) => [
    { code: LD_W_ABS, jt: 0, jf: 0, k: argOffset(index) },
    { code: JEQ_K, jt: "deny", jf: "allow", k: 0 },
  ]);
  checked(CHMODS[arch], (index) => [
    { code: LD_W_ABS, jt: 0, jf: 0, k: argOffset(index) },
    { code: JSET_K, jt: "deny", jf: "allow", k: SETID_BITS },
  ]);
  program.push({ code: RET_K, jt: 0, jf: 0, k: RET.ALLOW }); // allow
  program.push({ code: RET_K, jt: 0, jf: 0, k: RET.ERRNO_EPERM }); // deny
  const allowAt = program.length - 2;
  const denyAt = program.length - 1;
  const bytes = new Uint8Array(program.length * 8);
  const view = new DataView(bytes.buffer);
  program.forEach((ins, i) => {
    const resolve = (target: number | Label) => {
      const offset = target === "allow"
        ? allowAt - i - 1
        : target === "deny"
        ? denyAt - i - 1
        : target;
      if (offset < 0 || offset > 255) throw new Error(`seccomp jump out of range at ${i}`);
      return offset;
    };
    view.setUint16(i * 8, ins.code, true);
    view.setUint8(i * 8 + 2, resolve(ins.jt));
    view.setUint8(i * 8 + 3, resolve(ins.jf));
    view.setUint32(i * 8 + 4, ins.k, true);
  });
  return bytes;
}

/** The architecture this process runs on, if the filter knows it. */
export function currentArch(): keyof typeof ARCHES | undefined {
  return Deno.build.arch === "x86_64"
    ? "x86_64"
    : Deno.build.arch === "aarch64"
    ? "aarch64"
    : undefined;
}

/**
 * Runs the filter on one system call, as the kernel would (for tests and `wt monitor --explain`):
 * `args` are the low 32 bits of the arguments.
 */
export function evaluate(
  filter: Uint8Array,
  arch: number,
  nr: number,
  args: number[] = [],
): number {
  const view = new DataView(filter.buffer, filter.byteOffset, filter.byteLength);
  const data = (offset: number) =>
    offset === 0 ? nr : offset === 4 ? arch : (args[(offset - 16) / 8] ?? 0) >>> 0;
  let a = 0;
  for (let pc = 0; pc * 8 < filter.length;) {
    const code = view.getUint16(pc * 8, true);
    const jt = view.getUint8(pc * 8 + 2);
    const jf = view.getUint8(pc * 8 + 3);
    const k = view.getUint32(pc * 8 + 4, true);
    if (code === LD_W_ABS) a = data(k);
    else if (code === RET_K) return k;
    else if (code === JEQ_K) pc += a === k ? jt : jf;
    else if (code === JGE_K) pc += a >>> 0 >= k ? jt : jf;
    else if (code === JSET_K) pc += (a & k) !== 0 ? jt : jf;
    else throw new Error(`unknown BPF instruction ${code}`);
    pc++;
  }
  throw new Error("the filter ran off its end");
}

/** The names of the calls refused outright on `arch` (for the docs and tests). */
export function refusedCalls(arch: keyof typeof ARCHES): Record<string, number> {
  return { ...REFUSED[arch] };
}
