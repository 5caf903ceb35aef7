import { deepEqual, equal, match } from "node:assert/strict";
import {
  type Check,
  doctorExit,
  findProgram,
  programChecks,
  renderChecks,
  serviceCheck,
  stateChecks,
} from "../../cli/doctor.ts";
import { Ledger } from "../../core/ledger/writer.ts";
import { ledgerFiles, segmentPath } from "../../core/ledger/files.ts";
import { cliEnvironment } from "../../cli/context.ts";
import { sandbox, wt } from "../integration/_wt.ts";

const check = (group: Check["group"], status: Check["status"]): Check => ({
  group,
  name: `${group}-${status}`,
  status,
  detail: "d",
});

function tempDir(): string {
  return Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-doctor-" }));
}

const named = (checks: Check[], name: string) => checks.find((c) => c.name === name)!;

Deno.test("doctorExit() is 0 with warnings, 78 for state or policy failures, else 69", () => {
  const cases: Array<[Check[], number]> = [
    [[check("host", "ok"), check("programs", "warn")], 0],
    [[check("host", "fail"), check("programs", "warn")], 69],
    [[check("programs", "fail"), check("policy", "fail")], 78],
    [[check("state", "fail")], 78],
    [[], 0],
  ];
  for (const [checks, code] of cases) equal(doctorExit(checks), code, JSON.stringify(checks));
});

Deno.test("renderChecks() prints sections, one line per check, the fix under it and a tally", () => {
  const text = renderChecks([
    { group: "host", name: "proc", status: "ok", detail: "/proc is mounted" },
    { group: "host", name: "landlock", status: "warn", detail: "off", fix: "turn it on" },
    { group: "policy", name: "policy", status: "fail", detail: "broken", fix: "mend it" },
  ]);
  deepEqual(text.split("\n"), [
    "",
    "host",
    "  OK    proc      /proc is mounted",
    "  WARN  landlock  off",
    "                  -> turn it on",
    "",
    "policy",
    "  FAIL  policy    broken",
    "                  -> mend it",
    "",
    "1 OK, 1 warnings, 1 failures",
    "",
  ]);
});

Deno.test("stateChecks() warns about a state directory not made yet, fails on a file", () => {
  const dir = tempDir();
  try {
    const missing = stateChecks(`${dir}/absent`);
    equal(missing.length, 1);
    equal(missing[0]!.status, "warn");
    match(missing[0]!.fix!, /wt init/);
    Deno.writeTextFileSync(`${dir}/file`, "");
    const file = stateChecks(`${dir}/file`);
    equal(file[0]!.status, "fail");
    match(file[0]!.detail, /is not a directory/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("stateChecks() wants mode 0700: readable by others warns, writable by others fails", () => {
  const dir = tempDir();
  try {
    const state = `${dir}/state`;
    Deno.mkdirSync(state);
    const cases: Array<[number, Check["status"], RegExp]> = [
      [0o700, "ok", /mode 0700, yours, writable/],
      [0o750, "warn", /mode 0750: others can read/],
      [0o755, "warn", /mode 0755: others can read/],
      [0o770, "fail", /mode 0770: others can change/],
      [0o777, "fail", /mode 0777: others can change/],
    ];
    for (const [mode, status, detail] of cases) {
      Deno.chmodSync(state, mode);
      const directory = named(stateChecks(state), "state directory");
      equal(directory.status, status, mode.toString(8));
      match(directory.detail, detail);
      if (status !== "ok") match(directory.fix!, /chmod 700/);
    }
    deepEqual([...Deno.readDirSync(state)], [], "the write probe is removed");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("stateChecks() verifies a small ledger and fails on a damaged one", () => {
  const dir = tempDir();
  try {
    const state = `${dir}/state`;
    Deno.mkdirSync(state, { mode: 0o700 });
    equal(named(stateChecks(state), "ledger").detail, "empty (nothing recorded yet)");
    const writer = new Ledger(state);
    for (let i = 1; i <= 3; i++) writer.appendSync([{ data: { event: { type: "test", i } } }]);
    writer.flush();
    const good = named(stateChecks(state), "ledger");
    equal(good.status, "ok");
    match(good.detail, /^3 entries verified/);
    const signing = named(stateChecks(state), "signing key");
    equal(signing.status, "warn");
    match(signing.fix!, /wt init/);

    const segment = segmentPath(ledgerFiles(state), 1);
    Deno.writeTextFileSync(segment, Deno.readTextFileSync(segment).replace('"i":2', '"i":7'));
    const bad = named(stateChecks(state), "ledger");
    equal(bad.status, "fail");
    match(bad.detail, /hash_mismatch at entry 2/);
    match(bad.fix!, /wt verify/);

    Deno.writeTextFileSync(ledgerFiles(state).head, "{not json");
    const head = named(stateChecks(state), "ledger");
    equal(head.status, "fail");
    match(head.detail, /Cannot read ledger head .*: not JSON/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("programChecks() finds executables on PATH and names the safe commands that need them", () => {
  const dir = tempDir();
  try {
    Deno.mkdirSync(`${dir}/a`);
    Deno.mkdirSync(`${dir}/b`);
    Deno.writeTextFileSync(`${dir}/a/jq`, "", { mode: 0o644 }); // not executable
    Deno.writeTextFileSync(`${dir}/b/jq`, "", { mode: 0o755 });
    Deno.chmodSync(`${dir}/b/jq`, 0o755);
    Deno.writeTextFileSync(`${dir}/b/rg`, "", { mode: 0o755 });
    Deno.chmodSync(`${dir}/b/rg`, 0o755);
    const path = ["relative/bin", `${dir}/a`, `${dir}/b`];
    equal(findProgram("jq", path), `${dir}/b/jq`);
    equal(findProgram("ssh", path), undefined);
    const checks = programChecks(path);
    deepEqual(checks.map((c) => [c.name, c.status]), [
      ["rg", "ok"],
      ["jq", "ok"],
      ["ssh", "warn"],
      ["kubectl", "warn"],
      ["watchtower", "warn"],
    ]);
    match(named(checks, "ssh").detail, /ssh-ls, ssh-cat, ssh-ps cannot run/);
    match(named(checks, "kubectl").fix!, /install it/);
    match(named(checks, "watchtower").detail, /none of Watchtower's \d+ programs is on PATH/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("serviceCheck() pings the decision service; a stale socket warns; none is fine", async () => {
  const dir = tempDir();
  try {
    const env = { ...cliEnvironment(), stateDir: dir };
    const none = await serviceCheck(env);
    equal(none.status, "ok");
    match(none.detail, /not running/);

    const listener = Deno.listen({ transport: "unix", path: `${dir}/decider.sock` });
    const serving = (async () => {
      const conn = await listener.accept();
      const buffer = new Uint8Array(65536);
      let text = "";
      while (!text.includes("\n")) {
        const n = await conn.read(buffer);
        if (n === null) break;
        text += new TextDecoder().decode(buffer.subarray(0, n));
      }
      const request = JSON.parse(text);
      equal(request.op, "ping");
      await conn.write(new TextEncoder().encode('{"ok":true,"pid":4242,"requests":7}\n'));
      conn.close();
    })();
    const running = await serviceCheck(env);
    await serving;
    listener.close();
    equal(running.status, "ok");
    equal(running.detail, "running (pid 4242, 7 requests)");

    // Something is at the socket's path, and nothing answers there.
    try {
      Deno.removeSync(`${dir}/decider.sock`);
    } catch {
      // the listener took it away
    }
    Deno.writeTextFileSync(`${dir}/decider.sock`, "");
    const stale = await serviceCheck(env);
    equal(stale.status, "warn");
    match(stale.detail, /decider\.sock exists but nothing answers on it/);
    match(stale.fix!, /wt daemon start/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("wt doctor under its own permission set: host probes, then 78 when the policy breaks", async () => {
  const { env, stateDir } = sandbox();
  try {
    const fresh = await wt(["doctor", "--json"], { env });
    equal(fresh.code, 0, fresh.stderr);
    const report = JSON.parse(fresh.stdout);
    equal(report.ok, true);
    equal(report.wt.runs, "sources");
    deepEqual(
      report.checks.filter((c: Check) => c.group === "host").map((c: Check) => c.name),
      ["proc", "ptrace", "seccomp", "no_new_privs", "landlock"],
    );
    if (Deno.build.os === "linux") {
      // libc loads under the wt set: /proc is read, not "cannot look".
      equal(report.checks.find((c: Check) => c.name === "proc").status, "ok");
    }
    equal(report.checks.find((c: Check) => c.name === "state directory").status, "warn");

    equal((await wt(["init"], { env })).code, 0);
    const ready = await wt(["doctor"], { env });
    equal(ready.code, 0, ready.stderr);
    match(ready.stdout, /OK {4}state directory +.*\(mode 0700, yours, writable\)/);
    match(ready.stdout, /OK {4}policy +.*policy\.yaml; profiles: none; mode enforce/);

    Deno.writeTextFileSync(`${stateDir}/policy.yaml`, "policies: [\n");
    const broken = await wt(["doctor"], { env });
    equal(broken.code, 78);
    match(broken.stdout, /FAIL {2}policy +Cannot load policy .*policy\.yaml/);
    match(broken.stdout, /-> fix the file/);
  } finally {
    Deno.removeSync(stateDir.replace(/\/\.watchtower$/, ""), { recursive: true });
  }
});

Deno.test("wt doctor finds a running decision service through the socket it keeps", async () => {
  const { env, stateDir } = sandbox();
  try {
    equal((await wt(["init"], { env })).code, 0);
    const started = await wt(["daemon", "start"], { env });
    equal(started.code, 0, started.stderr);
    try {
      const report = JSON.parse((await wt(["doctor", "--json"], { env })).stdout);
      const service = report.checks.find((c: Check) => c.group === "service");
      equal(service.status, "ok");
      match(service.detail, /^running \(pid \d+, \d+ requests\)$/);
    } finally {
      equal((await wt(["daemon", "stop"], { env })).code, 0);
    }
  } finally {
    Deno.removeSync(stateDir.replace(/\/\.watchtower$/, ""), { recursive: true });
  }
});
