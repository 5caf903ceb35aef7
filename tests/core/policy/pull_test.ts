import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { generateSigner } from "../../../core/ledger/checkpoint.ts";
import {
  type BundleRefusal,
  PolicyBundleError,
  signPolicyBundle,
} from "../../../core/policy/bundle.ts";
import { policyHash } from "../../../core/policy/hash.ts";
import { loadPolicy } from "../../../core/policy/loader.ts";
import {
  bundlePath,
  type PolicyEvent,
  type PullOptions,
  pullPolicy,
  shownSource,
} from "../../../core/policy/pull.ts";
import { trustKey } from "../../../core/policy/trust.ts";

const PROFILES = new URL("../../../profiles/", import.meta.url).pathname;
const NOW = new Date("2025-01-15T00:00:00Z");
const signer = await generateSigner("fleet-policy");
const stranger = await generateSigner("fleet-policy");

const policy = (verdict: string) =>
  `default: deny\npolicies:\n  - name: tmp\n    priority: 10\n    match: { domain: filesystem, path: "/tmp/**" }\n    action: ${verdict}\n`;

async function sign(
  text: string,
  serial: number,
  options: { key?: string; expires?: string } = {},
): Promise<string> {
  return await signPolicyBundle(text, options.key ?? signer.signerKey, {
    serial,
    issued: new Date("2025-01-01T00:00:00Z"),
    expires: new Date(options.expires ?? "2025-02-01T00:00:00Z"),
  });
}

/** A host: a state directory that pins the signer, and the events it recorded. */
function host(pin = true) {
  const stateDir = Deno.makeTempDirSync({ prefix: "wt-pull-" });
  if (pin) trustKey(stateDir, signer.verifierKey);
  const events: PolicyEvent[] = [];
  const options: PullOptions = {
    stateDir,
    profileDirs: [`${stateDir}/profiles`, PROFILES],
    vars: { home: "/home/tester", workspace: "/work/project", stateDir },
    now: NOW,
    record: (event) => events.push(event),
  };
  const served = Deno.makeTempDirSync({ prefix: "wt-bundles-" });
  const put = (text: string, name = "p.bundle") => {
    const path = `${served}/${name}`;
    Deno.writeTextFileSync(path, text);
    return path;
  };
  const files = () => ({
    policy: read(`${stateDir}/policy.yaml`),
    bundle: read(bundlePath(stateDir)),
  });
  return { stateDir, events, options, put, files };
}

function read(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

async function refusal(promise: Promise<unknown>): Promise<PolicyBundleError> {
  try {
    await promise;
  } catch (error) {
    ok(error instanceof PolicyBundleError, String(error));
    return error;
  }
  throw new Error("the pull was not refused");
}

Deno.test("pullPolicy installs a signed bundle, keeps it, and records the policy hash", async () => {
  const { events, options, put, files } = host();
  const text = await sign(policy("allow"), 10);
  const result = await pullPolicy(put(text), options);
  equal(result.outcome, "installed");
  equal(result.previousSerial, null);
  equal(result.backup, undefined);
  deepEqual(files(), { policy: policy("allow"), bundle: text });
  const hash = policyHash(await loadPolicy(options));
  equal(result.policy, hash);
  equal(events.length, 1);
  const event = events[0]!;
  equal(event.outcome, "installed");
  equal(event.policy, hash);
  equal(event.serial, 10);
  equal(event.key, "fleet-policy");
  equal(event.key_id, signer.verifierKey.split("+")[1]);
  equal(event.source, put(text));
  // The same bundle again changes and records nothing.
  equal((await pullPolicy(put(text), options)).outcome, "unchanged");
  equal(events.length, 1);
});

Deno.test("pullPolicy installs a newer serial and refuses an older one or a reused serial", async () => {
  const { events, options, put, files } = host();
  await pullPolicy(put(await sign(policy("allow"), 10)), options);
  const newer = await sign(policy("escalate"), 11);
  const result = await pullPolicy(put(newer), options);
  equal(result.previousSerial, 10);
  deepEqual(files(), { policy: policy("escalate"), bundle: newer });
  const cases: Array<[string, string, BundleRefusal]> = [
    ["an older serial", await sign(policy("allow"), 10), "rollback"],
    ["the same serial with other content", await sign(policy("deny"), 11), "serial_reused"],
  ];
  for (const [name, text, code] of cases) {
    const error = await refusal(pullPolicy(put(text), options));
    equal(error.code, code, name);
    deepEqual(files(), { policy: policy("escalate"), bundle: newer }, name);
  }
  deepEqual(events.map((event) => [event.outcome, event.reason ?? null]), [
    ["installed", null],
    ["installed", null],
    ["refused", "rollback"],
    ["refused", "serial_reused"],
  ]);
});

Deno.test("pullPolicy refuses and records each bad bundle, leaving the last good policy", async () => {
  const { events, options, put, files } = host();
  const good = await sign(policy("allow"), 10);
  await pullPolicy(put(good), options);
  const signed = await sign(policy("escalate"), 20);
  const cases: Array<[string, string, BundleRefusal]> = [
    ["a tampered policy", signed.replace("escalate", "allow   "), "bad_signature"],
    ["a tampered header", signed.replace("\n20\n", "\n21\n"), "bad_signature"],
    [
      "an unknown key",
      await sign(policy("escalate"), 20, { key: stranger.signerKey }),
      "unknown_key",
    ],
    ["unsigned", signed.replace(/\u2014 .*\n/, ""), "unsigned"],
    ["expired", await sign(policy("escalate"), 20, { expires: "2025-01-10T00:00:00Z" }), "expired"],
    ["HTML", "<!doctype html><title>Login</title>\n", "not_a_bundle"],
    ["truncated", signed.slice(0, signed.length - 20), "truncated"],
    ["an invalid policy", await sign("default: maybe\n", 20), "invalid_policy"],
    ["a missing profile", await sign("profiles: [no-such-profile]\n", 20), "invalid_policy"],
  ];
  for (const [name, text, code] of cases) {
    const error = await refusal(pullPolicy(put(text), options));
    equal(error.code, code, `${name}: ${error.message}`);
    deepEqual(files(), { policy: policy("allow"), bundle: good }, name);
    const event = events.at(-1)!;
    deepEqual([event.outcome, event.reason], ["refused", code], name);
    equal(event.detail, error.message);
  }
  const missing = await refusal(pullPolicy("/nonexistent/p.bundle", options));
  equal(missing.code, "unavailable");
  match(missing.message, /Cannot read \/nonexistent\/p.bundle/);
});

Deno.test("an invalid policy in a signed bundle is refused with its line and field", async () => {
  const { options, put } = host();
  const bad = "policies:\n  - name: x\n    priority: high\n    action: allow\n";
  const error = await refusal(pullPolicy(put(await sign(bad, 1)), options));
  equal(error.code, "invalid_policy");
  match(error.message, /#policy:3:15: policies\[0\]\.priority: expected a number/);
});

Deno.test("a policy written by hand is kept aside when a bundle replaces it, and restored over", async () => {
  const { stateDir, events, options, put, files } = host();
  Deno.writeTextFileSync(`${stateDir}/policy.yaml`, "default: allow\n");
  const text = await sign(policy("allow"), 5);
  const first = await pullPolicy(put(text), options);
  equal(first.backup, `${stateDir}/policy.yaml.before-pull`);
  equal(read(first.backup!), "default: allow\n");
  // Edited after the pull: the same bundle puts its policy back.
  Deno.writeTextFileSync(`${stateDir}/policy.yaml`, "default: allow\n# edited\n");
  equal((await pullPolicy(put(text), options)).outcome, "installed");
  equal(files().policy, policy("allow"));
  equal(events.length, 2);
});

Deno.test("pullPolicy installs nothing when the ledger cannot record the install", async () => {
  const { stateDir, options, put, files } = host();
  const error = await refusal(pullPolicy(put(await sign(policy("allow"), 1)), {
    ...options,
    record: () => {
      throw new Error("disk full");
    },
  }));
  equal(error.code, "unrecorded");
  match(error.message, /disk full/);
  equal(error.unrecorded, "disk full");
  deepEqual(files(), { policy: undefined, bundle: undefined });
  deepEqual([...Deno.readDirSync(stateDir)].map((entry) => entry.name).sort(), [
    "policy-keys",
    "policy.lock",
  ]);
});

Deno.test("a dry run verifies and compares without installing or recording", async () => {
  const { events, options, put, files } = host();
  const result = await pullPolicy(put(await sign(policy("allow"), 3)), {
    ...options,
    dryRun: true,
  });
  equal(result.outcome, "verified");
  deepEqual(files(), { policy: undefined, bundle: undefined });
  await pullPolicy(put(await sign(policy("allow"), 4)), options);
  const error = await refusal(
    pullPolicy(put(await sign(policy("allow"), 3)), { ...options, dryRun: true }),
  );
  equal(error.code, "rollback");
  equal(events.length, 1);
});

Deno.test("pullPolicy refuses without pinned keys, and with an unreadable installed bundle", async () => {
  const unpinned = host(false);
  const error = await refusal(pullPolicy("/nonexistent", unpinned.options));
  equal(error.code, "no_trusted_keys");
  equal(unpinned.events[0]?.reason, "no_trusted_keys");
  const { stateDir, options, put } = host();
  Deno.writeTextFileSync(bundlePath(stateDir), "garbage\n");
  equal(
    (await refusal(pullPolicy(put(await sign(policy("allow"), 1)), options))).code,
    "current_unreadable",
  );
});

Deno.test("pullPolicy fetches over HTTP once, bounded in time and size", async () => {
  const { options, files } = host();
  const text = await sign(policy("allow"), 7);
  let hang: () => void = () => {};
  const hanging = new Promise<void>((resolve) => hang = resolve);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/p.bundle") return new Response(text);
    if (path === "/slow") {
      await hanging;
      return new Response(text);
    }
    if (path === "/huge") return new Response(new Uint8Array(5 * 1024 * 1024).fill(0x61));
    return new Response("not found", { status: 404 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const cases: Array<[string, BundleRefusal, RegExp]> = [
      [`${base}/missing`, "unavailable", /the server answered 404/],
      [`${base}/huge`, "too_large", /larger than/],
      [`${base}/slow`, "unavailable", /no complete answer within 0.3 s/],
    ];
    for (const [url, code, message] of cases) {
      const started = Date.now();
      const error = await refusal(pullPolicy(url, { ...options, timeoutMs: 300 }));
      equal(error.code, code, url);
      match(error.message, message);
      ok(Date.now() - started < 3000, `${url} took ${Date.now() - started} ms`);
    }
    const result = await pullPolicy(
      `http://user:secret@127.0.0.1:${server.addr.port}/p.bundle`,
      options,
    );
    equal(result.outcome, "installed");
    equal(result.source, `http://***@127.0.0.1:${server.addr.port}/p.bundle`);
    equal(files().bundle, text);
  } finally {
    hang();
    await server.shutdown();
  }
  await rejects(pullPolicy("ftp://example.com/p.bundle", options), /http\(s\) URL or a file path/);
});

Deno.test("shownSource hides URL credentials and makes file paths absolute", () => {
  equal(shownSource("https://a:b@example.com/p"), "https://***@example.com/p");
  equal(shownSource("https://example.com/p?x=1"), "https://example.com/p?x=1");
  equal(shownSource("/srv/p.bundle"), "/srv/p.bundle");
  equal(shownSource("p.bundle"), `${Deno.cwd()}/p.bundle`);
});
