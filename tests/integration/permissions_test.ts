import { deepEqual, equal, match } from "node:assert/strict";
import { denoDir, REPO, run, sandbox } from "./_wt.ts";

/**
 * A probe run under a tool's permission set: it tries each capability and reports which ones
 * the set lets through.
 */
const PROBE = `
if (Deno.args[1] === "drop") {
  const { dropPermissions } = await import(Deno.args[2]);
  dropPermissions([]);
}
const results = {};
async function attempt(name, fn) {
  try { await fn(); results[name] = "allowed"; }
  catch (error) { results[name] = error instanceof Deno.errors.NotCapable || error?.name === "NotCapable" ? "denied" : "error:" + error?.name; }
}
await attempt("run", () => new Deno.Command("true").output());
await attempt("run-sh", () => new Deno.Command("sh", { args: ["-c", "true"], clearEnv: true }).output());
await attempt("net", async () => { const l = Deno.listen({ hostname: "127.0.0.1", port: 0 }); l.close(); });
await attempt("ffi", () => Deno.dlopen("/lib/x86_64-linux-gnu/libc.so.6", {}));
await attempt("ffi-other", () => Deno.dlopen("/lib/x86_64-linux-gnu/libm.so.6", {}));
await attempt("libcrypto", () => Deno.dlopen("/usr/lib/x86_64-linux-gnu/libcrypto.so.3", {}));
await attempt("env-PATH", () => Deno.env.get("PATH"));
await attempt("env-WATCHTOWER_DIR", () => Deno.env.get("WATCHTOWER_DIR"));
await attempt("sys", () => Deno.hostname());
await attempt("read", () => Deno.readTextFile(Deno.args[0] + "/probe-read"));
await attempt("write", () => Deno.writeTextFile(Deno.args[0] + "/probe-write", "x"));
console.log(JSON.stringify(results));
`;

Deno.test("the wt permission set allows file access, its variables, programs and the network, nothing else", async () => {
  const { home, env } = sandbox();
  Deno.writeTextFileSync(`${home}/probe-read`, "x");
  const probe = `${home}/probe.js`;
  Deno.writeTextFileSync(probe, PROBE);
  const result = await run([
    "run",
    "-q",
    "--no-prompt",
    "--config",
    `${REPO}/deno.json`,
    "-P=wt",
    probe,
    home,
  ], { env });
  equal(result.code, 0, result.stderr);
  deepEqual(JSON.parse(result.stdout), {
    run: "allowed",
    "run-sh": "allowed",
    net: "allowed",
    ffi: "allowed",
    libcrypto: "allowed",
    "ffi-other": "denied",
    "env-PATH": "allowed",
    "env-WATCHTOWER_DIR": "allowed",
    sys: "denied",
    read: "allowed",
    write: "allowed",
  });
});

Deno.test("every wt command that does not need them runs with run and net revoked", async () => {
  const { home, env } = sandbox();
  Deno.writeTextFileSync(`${home}/probe-read`, "x");
  const probe = `${home}/probe.js`;
  Deno.writeTextFileSync(probe, PROBE);
  const main = `file://${REPO}/cli/main.ts`;
  const result = await run(
    [
      "run",
      "-q",
      "--no-prompt",
      "--config",
      `${REPO}/deno.json`,
      "-P=wt",
      probe,
      home,
      "drop",
      main,
    ],
    { env },
  );
  equal(result.code, 0, result.stderr);
  const outcome = JSON.parse(result.stdout);
  equal(outcome["run-sh"], "denied");
  equal(outcome.net, "denied");
  equal(outcome.libcrypto, "denied");
  equal(outcome.read, "allowed");
  const source = Deno.readTextFileSync(`${REPO}/cli/main.ts`);
  const needing = [...source.matchAll(/needs: \[([^\]]*)\]/g)].length;
  equal(
    needing,
    17,
    "only check, policy (pull), verify, checkpoint, prove, clean, alert, exec, sh, run, proxy, monitor, root-monitor, hook, daemon, mcp and doctor keep run, net or ffi",
  );
});

Deno.test("deno task install writes launchers that run wt with its own set and without the broker", async () => {
  const { home, env } = sandbox();
  const root = `${home}/prefix`;
  const install = await run([
    "task",
    "-q",
    "--config",
    `${REPO}/deno.json`,
    "install",
    "--root",
    root,
  ], { env });
  equal(install.code, 0, install.stderr);
  const launcher = Deno.readTextFileSync(`${root}/bin/wt`);
  match(launcher, /unset DENO_PERMISSION_BROKER_PATH/);
  match(launcher, /-P=wt /);
  equal(Deno.statSync(`${root}/bin/wt`).mode! & 0o111, 0o111);
  // A broker socket that does not exist would make Deno exit 87; the launcher removes it.
  const child = await new Deno.Command(`${root}/bin/wt`, {
    args: ["version"],
    clearEnv: true,
    env: {
      ...env,
      ...denoDir(),
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      DENO_PERMISSION_BROKER_PATH: `${home}/nope.sock`,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(child.code, 0, new TextDecoder().decode(child.stderr));
  match(new TextDecoder().decode(child.stdout), /^wt \d+\.\d+\.\d+/);

  // The proxy's launcher: its bundle starts the ledger worker beside it, and it writes the
  // state directory the launcher names.
  match(Deno.readTextFileSync(`${root}/bin/wt-proxy`), /-P=wt-proxy .*--allow-write=/);
  const proxy = new Deno.Command(`${root}/bin/wt-proxy`, {
    args: ["--port", "0"],
    clearEnv: true,
    env: { ...env, ...denoDir(), PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = proxy.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await reader.read();
  match(first.value ?? "", /^wt-proxy: listening on 127\.0\.0\.1:\d+\n/);
  proxy.kill("SIGTERM");
  const [status, errText] = await Promise.all([
    proxy.status,
    new Response(proxy.stderr).text(),
    reader.cancel(),
  ]);
  equal(status.code, 0, errText);
  const ledger = Deno.readTextFileSync(`${env.WATCHTOWER_DIR}/ledger-000001.jsonl`);
  match(ledger, /"type":"proxy\.start"[\s\S]*"type":"proxy\.stop"/);
});
