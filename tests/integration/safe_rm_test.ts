import { equal, match, ok } from "node:assert/strict";
import { ledgerEntries, shim, shimBox, writePolicy } from "./_shims.ts";

const exists = (path: string) => {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

const box = await shimBox();

Deno.test("safe-rm removes what the policy allows, records the decision and the effect", async () => {
  Deno.writeTextFileSync(`${box.work}/a.txt`, "a");
  Deno.mkdirSync(`${box.work}/build/deep`, { recursive: true });
  const result = await shim(box, "safe-rm", ["-rf", "a.txt", "build"]);
  equal(result.code, 0, result.stderr);
  ok(!exists(`${box.work}/a.txt`));
  ok(!exists(`${box.work}/build`));
  const entries = ledgerEntries(box).slice(-3);
  equal(entries[0]!.data.intent.target.path, `${box.work}/a.txt`);
  equal(entries[1]!.data.intent.target.recursive, true);
  equal(entries[2]!.data.event.type, "effect");
  equal(entries[2]!.data.event.exit_code, 0);
  equal(entries[2]!.data.event.decision_seqs.length, 2);
});

Deno.test("safe-rm is the real rm under its own name, with rm's exit code passed through", async () => {
  const missing = await shim(box, "safe-rm", ["nope.txt"]);
  equal(missing.code, 1);
  match(missing.stderr, /nope\.txt/);
  Deno.writeTextFileSync(`${box.work}/vianame`, "x");
  const child = await new Deno.Command(`${box.realNames}/rm`, {
    args: ["vianame"],
    cwd: box.work,
    clearEnv: true,
    env: box.env,
  }).output();
  equal(child.code, 0);
  ok(!exists(`${box.work}/vianame`));
});

Deno.test("safe-rm refuses /, the home directory and top-level directories, whatever the policy", async () => {
  writePolicy(
    box,
    "default: allow\npolicies:\n  - {name: all, priority: 1000000, match: {domain: filesystem}, action: allow}\n",
  );
  try {
    for (
      const args of [["-rf", "/"], ["-rf", box.home], ["-r", "/etc"], [
        "-rf",
        "--no-preserve-root",
        "x",
      ], ["-rf", "../../../../../../../../.."]]
    ) {
      const result = await shim(box, "safe-rm", args);
      equal(result.code, 77, `${args.join(" ")}: ${result.stderr}`);
      match(result.stderr, /never allowed/);
    }
    ok(exists("/etc/hosts"));
    ok(exists(box.home));
    equal(ledgerEntries(box).at(-1)!.data.decision.reason, "builtin_refusal");
  } finally {
    Deno.removeSync(`${box.stateDir}/policy.yaml`);
  }
});

Deno.test("safe-rm decides on the path it removes: .. and symlinked directories resolved", async () => {
  Deno.mkdirSync(`${box.home}/.ssh`, { recursive: true });
  Deno.writeTextFileSync(`${box.home}/.ssh/id_rsa`, "secret");
  Deno.symlinkSync(`${box.home}/.ssh`, `${box.work}/keys`);
  const viaLink = await shim(box, "safe-rm", ["keys/id_rsa"]);
  equal(viaLink.code, 77, viaLink.stderr);
  match(viaLink.stderr, /denied: rule deny-secrets/);
  const viaDots = await shim(box, "safe-rm", ["../.ssh/id_rsa"]);
  equal(viaDots.code, 77);
  ok(exists(`${box.home}/.ssh/id_rsa`));
  // The link itself may go: removing it leaves the key alone.
  const link = await shim(box, "safe-rm", ["keys"]);
  equal(link.code, 0, link.stderr);
  ok(!exists(`${box.work}/keys`));
  ok(exists(`${box.home}/.ssh/id_rsa`));
});

Deno.test("safe-rm asks for approval outside the workspace and prints the key", async () => {
  Deno.mkdirSync(`${box.home}/other`, { recursive: true });
  Deno.writeTextFileSync(`${box.home}/other/notes`, "x");
  // The box lives under /tmp, which the default policy allows: use one that does not.
  writePolicy(
    box,
    "default: escalate\npolicies:\n  - {name: ws, match: {path: '${workspace}/**'}, action: allow}\n",
  );
  try {
    const result = await shim(box, "safe-rm", [`${box.home}/other/notes`]);
    equal(result.code, 75, result.stderr);
    match(result.stderr, /approval required \(key wt-[0-9a-f]{16}\)/);
    ok(exists(`${box.home}/other/notes`));
  } finally {
    Deno.removeSync(`${box.stateDir}/policy.yaml`);
  }
});

Deno.test("hostile names: a file named -rf stays a file, unknown options are refused", async () => {
  Deno.writeTextFileSync(`${box.work}/-rf`, "x");
  Deno.writeTextFileSync(`${box.work}/keep`, "x");
  const result = await shim(box, "safe-rm", ["--", "-rf"]);
  equal(result.code, 0, result.stderr);
  ok(!exists(`${box.work}/-rf`));
  ok(exists(`${box.work}/keep`));
  for (
    const args of [["--interactive", "keep"], ["-i", "keep"], ["--one-file-system", "keep"], []]
  ) {
    const refused = await shim(box, "safe-rm", args);
    equal(refused.code, 64, args.join(" "));
  }
  const newline = await shim(box, "safe-rm", ["line\nbreak"]);
  equal(newline.code, 1); // rm's own "no such file"
  ok(exists(`${box.work}/keep`));
});

Deno.test("a policy that cannot load or a ledger that cannot be written denies, and nothing runs", async () => {
  Deno.writeTextFileSync(`${box.work}/precious`, "x");
  writePolicy(box, "policies: [\n");
  try {
    const broken = await shim(box, "safe-rm", ["precious"]);
    equal(broken.code, 77);
    match(broken.stderr, /denied: Cannot load policy/);
  } finally {
    Deno.removeSync(`${box.stateDir}/policy.yaml`);
  }
  // A state directory this launcher may not write: the decision cannot be recorded.
  const elsewhere = await shim(box, "safe-rm", ["precious"], {
    env: { WATCHTOWER_DIR: `${box.home}/other-state` },
  });
  equal(elsewhere.code, 77);
  match(elsewhere.stderr, /could not be recorded/);
  ok(exists(`${box.work}/precious`));
});
