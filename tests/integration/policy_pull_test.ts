/**
 * Central policy as operators run it: `wt policy keygen`, `sign`, `trust add` and `pull` from an
 * HTTP server on 127.0.0.1. A signed bundle is installed and decides `wt check` (through the
 * decision service too); tampered, HTML, truncated, unreachable and older bundles are refused
 * with one line, a ledger event and the last good policy left in force.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { type EntryJson, ledgerEntries, shim, type ShimBox, shimBox } from "./_shims.ts";
import { sandbox, wt } from "./_wt.ts";

const allowSrv = (verdict: string) =>
  `default: deny\npolicies:\n  - name: srv-data\n    priority: 10\n    match: { domain: filesystem, path: "/srv/data/**" }\n    action: ${verdict}\n`;

/** Makes a signer key in the sandbox's operator directory and pins it. */
async function keys(env: Record<string, string>): Promise<string> {
  const made = await wt(["policy", "keygen", "fleet"], { env });
  equal(made.code, 0, made.stderr);
  const key = made.stdout.trim();
  const pinned = await wt(["policy", "trust", "add", key], { env });
  equal(pinned.code, 0, pinned.stderr);
  match(pinned.stdout, /^pinned: fleet\+[0-9a-f]{8}\n$/);
  return key;
}

/** Signs `policy` with serial `serial` and returns the bundle's text. */
async function sign(
  env: Record<string, string>,
  dir: string,
  policy: string,
  serial: number,
): Promise<string> {
  Deno.writeTextFileSync(`${dir}/p${serial}.yaml`, policy);
  const signed = await wt([
    "policy",
    "sign",
    `${dir}/p${serial}.yaml`,
    "--serial",
    String(serial),
    "--expires",
    "1d",
    "--out",
    `${dir}/p${serial}.bundle`,
  ], { env });
  equal(signed.code, 0, signed.stderr);
  return Deno.readTextFileSync(`${dir}/p${serial}.bundle`);
}

const readSrv = ["check", "--domain", "filesystem", "--operation", "read", "--path", "/srv/data/x"];

function policyEvents(stateDir: string): EntryJson[] {
  return ledgerEntries({ stateDir } as ShimBox)
    .map((entry) => entry.data.event)
    .filter((event) => event?.type === "policy.pull");
}

Deno.test("wt policy pull installs a signed bundle from HTTP and refuses bad ones, keeping the last good", async () => {
  const { home, stateDir, env } = sandbox();
  equal((await wt(["init"], { env })).code, 0);
  await keys(env);
  const v1 = await sign(env, home, allowSrv("allow"), 1);
  const v2 = await sign(env, home, allowSrv("deny"), 2);
  const served: Record<string, string> = {
    "/v1": v1,
    "/v2": v2,
    "/tampered": v2.replace("action: deny", "action: allo"),
    "/html": "<!DOCTYPE html>\n<html><body><h1>Sign in</h1></body></html>\n",
    "/truncated": v2.slice(0, v2.length - 30),
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const body = served[new URL(request.url).pathname];
    return body === undefined ? new Response("no", { status: 404 }) : new Response(body);
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  const pull = async (path: string, code: number, message?: RegExp) => {
    const result = await wt(["policy", "pull", `${url}${path}`], { env });
    equal(result.code, code, `${path}: ${result.stdout}${result.stderr}`);
    if (message) {
      match(result.stderr, message);
      equal(result.stderr.trim().split("\n").length, 1, result.stderr);
      match(result.stderr, /the policy in force is unchanged\n$/);
    }
    return result;
  };
  try {
    const installed = await pull("/v1", 0);
    match(installed.stdout, /^installed serial 1 from http:\/\/127\.0\.0\.1:\d+\/v1 \(key fleet\+/);
    equal(Deno.readTextFileSync(`${stateDir}/policy.yaml`), allowSrv("allow"));
    const allowed = await wt(readSrv, { env });
    equal(allowed.code, 0, allowed.stderr);
    match(allowed.stdout, /srv-data/);

    await pull("/tampered", 65, /the policy is not the one that was signed \[bad_signature\]/);
    await pull("/html", 65, /it is HTML, not a policy bundle/);
    await pull("/truncated", 65, /ends 30 bytes early \[truncated\]/);
    await pull("/missing", 69, /the server answered 404 \[unavailable\]/);
    equal(Deno.readTextFileSync(`${stateDir}/policy.yaml`), allowSrv("allow"));
    equal(Deno.readTextFileSync(`${stateDir}/policy.bundle`), v1);
    equal((await wt(readSrv, { env })).code, 0, "the last good policy still decides");

    const newer = await pull("/v2", 0);
    match(newer.stdout, /replacing serial 1/);
    const denied = await wt(readSrv, { env });
    equal(denied.code, 77, denied.stdout);
    await pull("/v1", 65, /its serial 1 is older than the installed 2 \[rollback\]/);
    equal((await wt(readSrv, { env })).code, 77, "the newer policy stays");
  } finally {
    await server.shutdown();
  }
  // Nothing listens there any more: one attempt, refused at once.
  const started = Date.now();
  const unreachable = await wt(["policy", "pull", `${url}/v2`, "--timeout", "5s"], { env });
  equal(unreachable.code, 69, unreachable.stderr);
  match(
    unreachable.stderr,
    /^wt policy pull: Cannot fetch http:\/\/127\.0\.0\.1:\d+\/v2: .*\[unavailable\]/,
  );
  ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);

  const events = policyEvents(stateDir);
  deepEqual(events.map((event) => [event.outcome, event.reason ?? null, event.serial ?? null]), [
    ["installed", null, 1],
    ["refused", "bad_signature", null],
    ["refused", "not_a_bundle", null],
    ["refused", "truncated", null],
    ["refused", "unavailable", null],
    ["installed", null, 2],
    ["refused", "rollback", 1],
    ["refused", "unavailable", null],
  ]);
  match(events[0]!.policy, /^sha256:[0-9a-f]{64}$/);
  equal(events[5]!.previous_serial, 1);
  const verify = await wt(["verify"], { env });
  equal(verify.code, 0, verify.stdout + verify.stderr);
});

Deno.test("wt policy pull waits no longer than --timeout for a server that does not answer", async () => {
  const { home, env } = sandbox();
  await keys(env);
  await sign(env, home, allowSrv("allow"), 1);
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async () => {
    await held;
    return new Response("late");
  });
  try {
    const started = Date.now();
    const result = await wt([
      "policy",
      "pull",
      `http://127.0.0.1:${server.addr.port}/p`,
      "--timeout",
      "1s",
    ], {
      env,
    });
    equal(result.code, 69);
    match(result.stderr, /no complete answer within 1 s \[unavailable\]/);
    ok(Date.now() - started < 6000, `took ${Date.now() - started} ms`);
  } finally {
    release();
    await server.shutdown();
  }
});

Deno.test("wt policy: usage, trust list/remove, an unpinned host, and refusing an agent", async () => {
  const { home, stateDir, env } = sandbox();
  const unpinned = await wt(["policy", "pull", `${home}/none.bundle`], { env });
  equal(unpinned.code, 78);
  match(unpinned.stderr, /no policy signer is pinned/);
  const key = await keys(env);
  const listed = await wt(["policy", "trust", "list", "--json"], { env });
  deepEqual(JSON.parse(listed.stdout).map((entry: EntryJson) => entry.key), [key]);
  equal((await wt(["policy", "sign"], { env })).code, 64);
  Deno.writeTextFileSync(`${home}/good.yaml`, allowSrv("allow"));
  for (const flags of [["--expires", "yesterday"], ["--serial", "-1"], ["--key", "other"]]) {
    const refused = await wt(["policy", "sign", `${home}/good.yaml`, ...flags], { env });
    equal(refused.code, 64, `${flags.join(" ")}: ${refused.stderr}`);
  }
  equal((await wt(["policy", "sign", `${home}/missing.yaml`], { env })).code, 78);
  Deno.writeTextFileSync(`${home}/bad.yaml`, "default: maybe\n");
  const bad = await wt(["policy", "sign", `${home}/bad.yaml`], { env });
  equal(bad.code, 78);
  match(bad.stderr, /not signed/);
  const removed = await wt(["policy", "trust", "remove", "fleet"], { env });
  equal(removed.code, 0, removed.stderr);
  equal((await wt(["policy", "trust", "remove", "fleet"], { env })).code, 64);
  const trustEvents = ledgerEntries({ stateDir } as ShimBox).map((entry) => entry.data.event)
    .filter((event) => event?.type === "policy.trust").map((event) => event.action);
  deepEqual(trustEvents, ["add", "remove"]);
  // An agent in a guarded shell cannot pin its own key or pull a policy.
  for (const line of [`wt policy trust add ${key}`, "wt policy pull https://x.example/p"]) {
    const checked = await wt(["check", "--shell", line], { env });
    equal(checked.code, 77, line);
    match(checked.stdout, /deny-operator-commands/);
  }
});

Deno.test("a pulled policy applies at once through the decision service", async () => {
  const box = await shimBox();
  const made = await shim(box, "wt", ["policy", "keygen", "fleet"]);
  equal(made.code, 0, made.stderr);
  equal((await shim(box, "wt", ["policy", "trust", "add", made.stdout.trim()])).code, 0);
  const policy = (verdict: string) =>
    `policies:\n  - name: make-rule\n    priority: 10\n    match: { domain: command, command: "make*" }\n    action: ${verdict}\n`;
  const bundle = async (serial: number, verdict: string) => {
    Deno.writeTextFileSync(`${box.home}/p.yaml`, policy(verdict));
    const out = `${box.home}/p${serial}.bundle`;
    const signed = await shim(box, "wt", [
      "policy",
      "sign",
      `${box.home}/p.yaml`,
      "--serial",
      String(serial),
      "--out",
      out,
    ]);
    equal(signed.code, 0, signed.stderr);
    return out;
  };
  equal((await shim(box, "wt", ["policy", "pull", await bundle(1, "allow")])).code, 0);
  equal((await shim(box, "wt", ["daemon", "start"])).code, 0);
  try {
    const before = await shim(box, "wt", ["check", "--shell", "make build"]);
    equal(before.code, 0, before.stdout + before.stderr);
    const pulled = await shim(box, "wt", ["policy", "pull", await bundle(2, "deny")]);
    equal(pulled.code, 0, pulled.stderr);
    const after = await shim(box, "wt", ["check", "--shell", "make build"]);
    equal(after.code, 77, after.stdout + after.stderr);
    match(after.stdout, /make-rule/);
    const status = JSON.parse((await shim(box, "wt", ["daemon", "status", "--json"])).stdout);
    ok(status.requests >= 2, "the checks went through the service");
  } finally {
    await shim(box, "wt", ["daemon", "stop"]);
  }
});
