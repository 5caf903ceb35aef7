/**
 * The seccomp filter, run through a BPF interpreter as the kernel would run it: the refused
 * calls fail with EPERM, chown to root and setuid/setgid modes are refused, everything else
 * passes, and other ABIs are refused.
 */
import { equal } from "node:assert/strict";
import fc from "fast-check";
import { ARCHES, evaluate, refusedCalls, RET, seccompFilter } from "../../monitor/seccomp.ts";

const X86 = ARCHES.x86_64;
const filter = seccompFilter("x86_64");

Deno.test("refused outright: mount, chroot, modules, kexec, reboot, the setuid family", () => {
  for (const [name, nr] of Object.entries(refusedCalls("x86_64"))) {
    equal(evaluate(filter, X86, nr), RET.ERRNO_EPERM, name);
  }
});

Deno.test("chown to uid 0 is refused; to another uid or unchanged (-1) it passes", () => {
  for (const [nr, index] of [[92, 1], [93, 1], [94, 1], [260, 2]] as const) {
    const args = (uid: number) => [0, 0, 0, 0].map((value, i) => i === index ? uid : value);
    equal(evaluate(filter, X86, nr, args(0)), RET.ERRNO_EPERM, `${nr} uid 0`);
    equal(evaluate(filter, X86, nr, args(1000)), RET.ALLOW, `${nr} uid 1000`);
    equal(evaluate(filter, X86, nr, args(0xffffffff)), RET.ALLOW, `${nr} uid -1`);
  }
});

Deno.test("chmod adding setuid or setgid is refused; other modes pass", () => {
  for (const [nr, index] of [[90, 1], [91, 1], [268, 2], [452, 2]] as const) {
    const args = (mode: number) => [0, 0, 0, 0].map((value, i) => i === index ? mode : value);
    equal(evaluate(filter, X86, nr, args(0o4755)), RET.ERRNO_EPERM);
    equal(evaluate(filter, X86, nr, args(0o2755)), RET.ERRNO_EPERM);
    equal(evaluate(filter, X86, nr, args(0o755)), RET.ALLOW);
    equal(evaluate(filter, X86, nr, args(0o777)), RET.ALLOW);
  }
});

Deno.test("other ABIs (i386, x32) are refused; any other call with any arguments passes", () => {
  equal(evaluate(filter, 0x40000003, 1), RET.ERRNO_EPERM); // i386
  equal(evaluate(filter, X86, 0x40000000 + 165), RET.ERRNO_EPERM); // x32 mount
  const refused = new Set([
    ...Object.values(refusedCalls("x86_64")),
    92,
    93,
    94,
    260,
    90,
    91,
    268,
    452,
  ]);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 500 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (nr, args) => {
        if (refused.has(nr)) return;
        equal(evaluate(filter, X86, nr, args), RET.ALLOW);
      },
    ),
    { seed: 7, numRuns: 2000 },
  );
});

Deno.test("the aarch64 filter refuses the same calls by their aarch64 numbers", () => {
  const arm = seccompFilter("aarch64");
  for (const [name, nr] of Object.entries(refusedCalls("aarch64"))) {
    equal(evaluate(arm, ARCHES.aarch64, nr), RET.ERRNO_EPERM, name);
  }
  equal(evaluate(arm, ARCHES.aarch64, 54, [0, 0, 0]), RET.ERRNO_EPERM); // fchownat to root
  equal(evaluate(arm, ARCHES.aarch64, 63, [0, 0, 0]), RET.ALLOW); // read
  equal(evaluate(arm, X86, 63), RET.ERRNO_EPERM); // another ABI
});
