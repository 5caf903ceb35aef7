/**
 * The kernel backstops `wt run`'s launcher puts on an agent before it becomes it (no monitor
 * here, so that the kernel is what refuses): no_new_privs makes a real setuid binary run without
 * its owner's privilege, the seccomp filter refuses chown to root, mount and setuid modes while
 * ordinary chown and chmod still work, and the Landlock write fence keeps a protected directory
 * (here a temp one, standing in for /etc) unwritable. Everything happens in a temp directory.
 */
import { equal, match } from "node:assert/strict";
import { REPO } from "./_wt.ts";

Deno.test(
  {
    name: "the launcher fences the agent: no_new_privs and the seccomp filter",
    ignore: Deno.uid() !== 0,
  },
  async () => {
    const dir = Deno.makeTempDirSync({ prefix: "wt-backstop-" });
    Deno.chmodSync(dir, 0o755);
    // A real setuid binary owned by nobody: without no_new_privs it runs as nobody (65534).
    Deno.copyFileSync("/usr/bin/id", `${dir}/suid-id`);
    await new Deno.Command("chown", { args: ["nobody", `${dir}/suid-id`] }).output();
    Deno.chmodSync(`${dir}/suid-id`, 0o4755);
    const plain = await new Deno.Command(`${dir}/suid-id`, { args: ["-u"] }).output();
    equal(new TextDecoder().decode(plain.stdout).trim(), "65534", "the setuid copy works unfenced");
    Deno.writeTextFileSync(`${dir}/f`, "x");
    Deno.mkdirSync(`${dir}/protected`);
    Deno.mkdirSync(`${dir}/free`);
    const gate = `${dir}/go`;
    await new Deno.Command("mkfifo", { args: [gate] }).output();
    const script = [
      `echo euid=$(${dir}/suid-id -u)`,
      `chown 0:0 ${dir}/f; echo chown-root=$?`,
      `chown 65534 ${dir}/f; echo chown-other=$?`,
      `mkdir -p ${dir}/mnt; mount -t tmpfs none ${dir}/mnt 2>/dev/null; echo mount=$?`,
      `chmod 4755 ${dir}/f 2>/dev/null; echo chmod-suid=$?`,
      `chmod 640 ${dir}/f; echo chmod-plain=$?`,
      `echo x > ${dir}/protected/new 2>/dev/null; echo write-protected=$?`,
      `mkdir ${dir}/protected/sub 2>/dev/null; echo mkdir-protected=$?`,
      `echo x > ${dir}/free/new; echo write-free=$?`,
      `echo x > /dev/null; echo write-devnull=$?`,
      `grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status`,
    ].join("\n");
    const launcher = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-q",
        "--config",
        `${REPO}/deno.json`,
        "-P=wt-launch",
        `${REPO}/monitor/launch.ts`,
        gate,
        "--protect",
        `${dir}/protected`,
        "--",
        "bash",
        "-c",
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await Deno.writeTextFile(gate, "go\n");
    const result = await launcher.output();
    const out = new TextDecoder().decode(result.stdout);
    equal(result.code, 0, new TextDecoder().decode(result.stderr));
    match(out, /^euid=0\n/m); // the setuid bit gained nothing
    match(out, /^chown-root=1\n/m);
    match(out, /^chown-other=0\n/m);
    match(out, /^mount=(?!0\n)\d+\n/m);
    match(out, /^chmod-suid=1\n/m);
    match(out, /^chmod-plain=0\n/m);
    match(out, /^NoNewPrivs:\s+1\n/m);
    match(out, /^Seccomp:\s+2\n/m);
    // Landlock: nothing is written in a protected directory, by any program or builtin.
    match(out, /^write-protected=1\n/m);
    match(out, /^mkdir-protected=1\n/m);
    match(out, /^write-free=0\n/m);
    match(out, /^write-devnull=0\n/m);
    equal([...Deno.readDirSync(`${dir}/protected`)].length, 0);
  },
);

Deno.test("the launcher refuses to run the agent when the gate is not opened with go", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-backstop-" });
  const gate = `${dir}/go`;
  await new Deno.Command("mkfifo", { args: [gate] }).output();
  const launcher = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--config",
      `${REPO}/deno.json`,
      "-P=wt-launch",
      `${REPO}/monitor/launch.ts`,
      gate,
      "--",
      "touch",
      `${dir}/ran`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await Deno.writeTextFile(gate, "nope\n");
  const result = await launcher.output();
  equal(result.code, 70);
  match(new TextDecoder().decode(result.stderr), /not run unwatched/);
  let ran = true;
  try {
    Deno.statSync(`${dir}/ran`);
  } catch {
    ran = false;
  }
  equal(ran, false);
});
