/**
 * The daemons' permission sets fence them in. The egress proxy may read (policy, profiles,
 * denylists, the hosts file), listen and connect, and write only the state directory its
 * launcher names; the root monitor may read, call libc (by absolute path), run `ps` (its polling
 * fallback) and write the state directory. Neither runs other programs, reads secrets from the
 * environment or system information. A probe runs under each set exactly as the launcher runs it.
 */
import { deepEqual, equal } from "node:assert/strict";
import { stateDirFlags, TOOLS } from "../../core/tools.ts";
import { PROBE } from "./_probe.ts";
import { REPO, run } from "./_wt.ts";

const FENCES: Array<[tool: string, what: string, expected: Record<string, string>]> = [
  ["wt-proxy", "read, net, write the state directory, nothing else", {
    read: "allowed",
    "write-state": "allowed",
    "write-elsewhere": "denied",
    "net-connect": "error:ConnectionRefused",
    // Any host, so Unix sockets too (none listens at these two).
    "net-unix-decider": "error:NotFound",
    "net-unix-other": "error:NotFound",
    "net-listen": "allowed",
    "run-wrapped": "denied",
    "run-other": "denied",
    ffi: "denied",
    "env-secret": "denied",
    sys: "denied",
  }],
  ["wt-monitor", "read, libc through FFI, write the state directory, nothing else", {
    read: "allowed",
    "write-state": "allowed",
    "write-elsewhere": "denied",
    "net-connect": "denied",
    "net-listen": "denied",
    "net-unix-decider": "denied",
    "net-unix-other": "denied",
    "run-wrapped": "denied",
    "run-other": "denied",
    // libc only, by absolute path (ptrace, waitpid, kill, prctl, and procfs reads).
    ffi: "allowed",
    "env-secret": "denied",
    sys: "denied",
  }],
];

for (const [name, what, expected] of FENCES) {
  Deno.test(`${name}'s permission set: ${what}`, async () => {
    const tool = TOOLS.find((t) => t.name === name)!;
    const home = Deno.makeTempDirSync({ prefix: "wt-fence-" });
    const state = `${home}/state`;
    Deno.mkdirSync(state);
    Deno.writeTextFileSync(`${home}/probe.js`, PROBE);
    const result = await run([
      "run",
      "-q",
      "--no-prompt",
      "--config",
      `${REPO}/deno.json`,
      `-P=${tool.permissionSet}`,
      ...stateDirFlags(tool, state),
      `${home}/probe.js`,
      state,
      "true",
    ], { env: { HOME: home, AWS_SECRET_ACCESS_KEY: "x" } });
    equal(result.code, 0, result.stderr);
    deepEqual(JSON.parse(result.stdout), expected);
  });
}
