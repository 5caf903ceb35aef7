/**
 * Each safe command's permission set fences it in: it may read (to check targets), write only
 * the state directory its launcher names, spawn only the program it wraps, and nothing else —
 * whatever its arguments say. A probe runs under each set exactly as the launcher runs a tool.
 */
import { deepEqual, equal } from "node:assert/strict";
import { TOOLS } from "../../core/tools.ts";
import { REPO, run } from "./_wt.ts";

const PROBE = `
const [state, wraps] = Deno.args;
const results = {};
async function attempt(name, fn) {
  try { await fn(); results[name] = "allowed"; }
  catch (error) { results[name] = error?.name === "NotCapable" ? "denied" : "error:" + error?.name; }
}
await attempt("read", () => Deno.readTextFile("/etc/hostname"));
await attempt("write-state", () => Deno.writeTextFile(state + "/probe", "x"));
await attempt("write-elsewhere", () => Deno.writeTextFile(state + "/../escape", "x"));
await attempt("net-connect", async () => { const c = await Deno.connect({ hostname: "127.0.0.1", port: 9 }); c.close(); });
await attempt("net-listen", () => Deno.listen({ hostname: "127.0.0.1", port: 0 }).close());
await attempt("run-wrapped", () => new Deno.Command(wraps, { args: ["--version"], clearEnv: true, env: { PATH: "/usr/local/bin:/usr/bin:/bin" }, stdout: "null", stderr: "null" }).output());
await attempt("run-other", () => new Deno.Command("sh", { args: ["-c", "true"], clearEnv: true, env: { PATH: "/usr/bin:/bin" } }).output());
await attempt("ffi", () => Deno.dlopen("/lib/x86_64-linux-gnu/libc.so.6", {}));
await attempt("env-secret", () => Deno.env.get("AWS_SECRET_ACCESS_KEY"));
await attempt("sys", () => Deno.hostname());
console.log(JSON.stringify(results));
`;

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
    const result = await run([
      "run",
      "-q",
      "--no-prompt",
      "--config",
      `${REPO}/deno.json`,
      `-P=${tool.permissionSet}`,
      `--allow-write=${state}`,
      probe,
      state,
      tool.wraps!,
    ], { env: { HOME: home, AWS_SECRET_ACCESS_KEY: "x" } });
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
      "run-other": "denied",
      ffi: "denied",
      "env-secret": "denied",
      sys: "denied",
    });
  });
}
