/**
 * Each safe command's permission set fences it in: it may read (to check targets), write only
 * the state directory its launcher names, connect only to the decision service's socket there,
 * spawn only the program it wraps, and nothing else — whatever its arguments say. A probe runs under each set exactly as the launcher runs a tool.
 */
import { deepEqual, equal } from "node:assert/strict";
import { stateDirFlags, TOOLS } from "../../core/tools.ts";
import { PROBE } from "./_probe.ts";
import { REPO, run } from "./_wt.ts";

const config = JSON.parse(Deno.readTextFileSync(`${REPO}/deno.json`));
const shims = TOOLS.filter((tool) => tool.wraps !== undefined);

Deno.test("the manifest and deno.json agree: one set per safe command, running only its program", () => {
  equal(shims.length, 16);
  for (const tool of shims) {
    const set = config.permissions[tool.permissionSet];
    equal(typeof set, "object", `no permission set for ${tool.name}`);
    deepEqual(set.run, [tool.wraps], tool.name);
    equal(set.write, false, tool.name);
    equal(set.net, false, tool.name);
    equal(set.ffi, false, tool.name);
    equal(set.read, true, tool.name);
  }
});

for (const tool of shims) {
  Deno.test(`${tool.name}'s permission set: read, write the state directory, run ${tool.wraps}, nothing else`, async () => {
    const home = Deno.makeTempDirSync({ prefix: "wt-fence-" });
    const state = `${home}/state`;
    Deno.mkdirSync(state);
    const probe = `${home}/probe.js`;
    Deno.writeTextFileSync(probe, PROBE);
    // Two Unix sockets listen in the state directory: the decision service's, and another.
    const sockets = ["decider.sock", "other.sock"].map((name) =>
      Deno.listen({ transport: "unix", path: `${state}/${name}` })
    );
    const result = await run([
      "run",
      "-q",
      "--no-prompt",
      "--config",
      `${REPO}/deno.json`,
      `-P=${tool.permissionSet}`,
      ...stateDirFlags(tool, state),
      probe,
      state,
      tool.wraps!,
    ], { env: { HOME: home, AWS_SECRET_ACCESS_KEY: "x" } });
    for (const socket of sockets) socket.close();
    equal(result.code, 0, result.stderr);
    const outcome = JSON.parse(result.stdout);
    // The wrapped program may be missing on this machine (then spawning it fails with NotFound).
    const wrapped = outcome["run-wrapped"];
    equal(wrapped === "allowed" || wrapped === "error:NotFound", true, `run-wrapped: ${wrapped}`);
    delete outcome["run-wrapped"];
    deepEqual(outcome, {
      read: "allowed",
      "write-state": "allowed",
      "write-elsewhere": "denied",
      "net-connect": "denied",
      "net-listen": "denied",
      // The decision service's socket, and no other.
      "net-unix-decider": "allowed",
      "net-unix-other": "denied",
      "run-other": "denied",
      ffi: "denied",
      "env-secret": "denied",
      sys: "denied",
    });
  });
}
