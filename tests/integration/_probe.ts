/**
 * A probe script run under a permission set exactly as a launcher runs a tool: it attempts one
 * operation of each kind and prints which were allowed and which Deno refused.
 * Arguments: the state directory, and the program the tool may run. The Unix sockets it tries
 * are the decision service's in the state directory and another one beside it.
 */
export const PROBE = `
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
await attempt("net-unix-decider", async () => { const c = await Deno.connect({ transport: "unix", path: state + "/decider.sock" }); c.close(); });
await attempt("net-unix-other", async () => { const c = await Deno.connect({ transport: "unix", path: state + "/other.sock" }); c.close(); });
await attempt("run-wrapped", () => new Deno.Command(wraps, { args: ["--version"], clearEnv: true, env: { PATH: "/usr/local/bin:/usr/bin:/bin" }, stdout: "null", stderr: "null" }).output());
await attempt("run-other", () => new Deno.Command("sh", { args: ["-c", "true"], clearEnv: true, env: { PATH: "/usr/bin:/bin" } }).output());
await attempt("ffi", () => Deno.dlopen("/lib/x86_64-linux-gnu/libc.so.6", {}));
await attempt("env-secret", () => Deno.env.get("AWS_SECRET_ACCESS_KEY"));
await attempt("sys", () => Deno.hostname());
console.log(JSON.stringify(results));
`;
