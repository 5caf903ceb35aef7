/**
 * The proxy's permission set fences it in: it may read (policy, profiles, denylists, the hosts
 * file), listen and connect, write only the state directory its launcher names, and nothing
 * else — no programs, no FFI, no secrets from the environment, no system information.
 */
import { deepEqual, equal } from "node:assert/strict";
import { stateDirFlags, TOOLS } from "../../core/tools.ts";
import { PROBE } from "./_probe.ts";
import { REPO, run } from "./_wt.ts";

Deno.test("wt-proxy's permission set: read, net, write the state directory, nothing else", async () => {
  const tool = TOOLS.find((t) => t.name === "wt-proxy")!;
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
  deepEqual(JSON.parse(result.stdout), {
    read: "allowed",
    "write-state": "allowed",
    "write-elsewhere": "denied",
    "net-connect": "error:ConnectionRefused",
    "net-listen": "allowed",
    "run-wrapped": "denied",
    "run-other": "denied",
    ffi: "denied",
    "env-secret": "denied",
    sys: "denied",
  });
});
