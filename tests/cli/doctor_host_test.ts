import { deepEqual, equal, match, ok } from "node:assert/strict";
import {
  type HostCheck,
  hostChecks,
  type HostFacts,
  readHostFacts,
} from "../../cli/doctor_host.ts";

const STATUS = "Name:\tdeno\nUid:\t1000\t1000\t1000\t1000\nNoNewPrivs:\t0\nSeccomp:\t0\n" +
  "Seccomp_filters:\t0\n";

const linux = (facts: Partial<HostFacts> = {}): HostFacts => ({
  os: "linux",
  procStatus: STATUS,
  ptrace: { available: true, why: "libc through FFI; Yama ptrace_scope 1" },
  landlock: { abi: 4 },
  ...facts,
});

const byName = (checks: HostCheck[]) => Object.fromEntries(checks.map((c) => [c.name, c]));

Deno.test("hostChecks() reports a fully capable Linux host as five OKs", () => {
  const checks = hostChecks(linux());
  deepEqual(checks.map((c) => [c.name, c.status]), [
    ["proc", "ok"],
    ["ptrace", "ok"],
    ["seccomp", "ok"],
    ["no_new_privs", "ok"],
    ["landlock", "ok"],
  ]);
  match(byName(checks).landlock!.detail, /^ABI 4: /);
  equal(checks.some((c) => c.fix !== undefined), false, "nothing to fix");
});

Deno.test("hostChecks() says what each missing mechanism means and how to get it", () => {
  const cases: Array<[string, Partial<HostFacts>, HostCheck["name"], HostCheck["status"], RegExp]> =
    [
      ["no /proc", { procStatus: undefined }, "proc", "fail", /mount \/proc/],
      [
        "ptrace refused",
        { ptrace: { available: false, why: "Yama ptrace_scope is 3 (ptrace is off)" } },
        "ptrace",
        "warn",
        /falls back to polling/,
      ],
      [
        "no seccomp",
        { procStatus: "Name:\tx\nNoNewPrivs:\t0\n" },
        "seccomp",
        "fail",
        /CONFIG_SECCOMP_FILTER: wt run refuses/,
      ],
      [
        "an old kernel",
        { procStatus: "Name:\tx\nSeccomp:\t0\n" },
        "no_new_privs",
        "warn",
        /upgrade the kernel/,
      ],
      ["no Landlock", { landlock: { errno: 38 } }, "landlock", "warn", /without the kernel write/],
      ["Landlock off", { landlock: { errno: 95 } }, "landlock", "warn", /lsm= boot parameter/],
      ["Landlock filtered", { landlock: { errno: 1 } }, "landlock", "warn", /without the kernel/],
    ];
  for (const [label, facts, name, status, fix] of cases) {
    const check = byName(hostChecks(linux(facts)))[name]!;
    equal(check.status, status, label);
    match(check.fix ?? "", fix, label);
  }
  match(byName(hostChecks(linux({ landlock: { errno: 95 } }))).landlock!.detail, /not enabled/);
  match(byName(hostChecks(linux({ landlock: { errno: 1 } }))).landlock!.detail, /EPERM/);
  match(byName(hostChecks(linux({ landlock: { abi: 2 } }))).landlock!.detail, /truncating/);
});

Deno.test("hostChecks() notes a process already under seccomp and no_new_privs", () => {
  const checks = byName(hostChecks(linux({
    procStatus: "NoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t3\n",
  })));
  equal(checks.seccomp!.status, "ok");
  match(checks.seccomp!.detail, /already runs under 3 filter\(s\)/);
  match(checks.no_new_privs!.detail, /already set for this process/);
});

Deno.test("hostChecks() warns, and fails nothing, off Linux or without libc", () => {
  const mac = hostChecks({ os: "darwin", ptrace: { available: false, why: "not Linux (darwin)" } });
  deepEqual(mac.map((c) => c.name), ["proc", "ptrace", "seccomp", "no_new_privs", "landlock"]);
  ok(mac.every((c) => c.status === "warn" && c.fix !== undefined));
  match(byName(mac).ptrace!.fix!, /polls ps/);
  const noLibc = hostChecks(linux({ libcError: "cannot load libc", procStatus: undefined }));
  ok(noLibc.every((c) => c.status !== "fail"));
  match(byName(noLibc).seccomp!.detail, /cannot look: cannot load libc/);
});

Deno.test({
  name: "readHostFacts() reads this Linux host through libc (procfs, Landlock's ABI)",
  ignore: Deno.build.os !== "linux",
  fn: () => {
    const facts = readHostFacts();
    equal(facts.libcError, undefined);
    match(facts.procStatus ?? "", /^Seccomp:/m);
    ok(facts.landlock !== undefined);
    ok(typeof facts.ptrace.why === "string");
  },
});
