import { equal, match, ok } from "node:assert/strict";
import { sealEntry } from "../../core/ledger/entry.ts";
import { sandbox, wt } from "./_wt.ts";

async function ledgerWith(count: number) {
  const box = sandbox();
  equal((await wt(["init"], { env: box.env })).code, 0);
  for (let i = 0; i < count; i++) {
    await wt(["check", "--domain", "filesystem", "--path", `/tmp/f${i}`], { env: box.env });
  }
  return box;
}

const segment = (stateDir: string) => `${stateDir}/ledger-000001.jsonl`;

/** Rewrites every entry with recomputed hashes, and the head to match: no key needed. */
function rewriteChain(stateDir: string, keep: number) {
  const lines = Deno.readTextFileSync(segment(stateDir)).split("\n").slice(0, keep);
  let prev = "0".repeat(64);
  const out = lines.map((line) => {
    const entry = JSON.parse(line);
    const sealed = sealEntry({ ...entry, annotations: { forged: true }, prev_hash: prev });
    prev = sealed.hash;
    return new TextDecoder().decode(sealed.line) + "\n";
  });
  Deno.writeTextFileSync(segment(stateDir), out.join(""));
  Deno.removeSync(`${stateDir}/ledger.head`);
}

Deno.test("wt check records every decision, and wt verify finds the ledger intact", async () => {
  const { env } = await ledgerWith(3);
  const json = JSON.parse(
    (await wt(["check", "--json", "--domain", "filesystem", "--path", "/tmp/x"], { env })).stdout,
  );
  equal(json.ledger.seq, 4);
  const dry = JSON.parse(
    (await wt(["check", "--json", "--dry-run", "--domain", "filesystem", "--path", "/tmp/x"], {
      env,
    })).stdout,
  );
  equal(dry.ledger, null);
  const verify = await wt(["verify", "--json"], { env });
  equal(verify.code, 0, verify.stdout + verify.stderr);
  const report = JSON.parse(verify.stdout);
  equal(report.intact, true);
  equal(report.entries, 4);
});

Deno.test("wt verify names a hash mismatch with seq, segment and line, exit 65", async () => {
  const { stateDir, env } = await ledgerWith(3);
  const text = Deno.readTextFileSync(segment(stateDir));
  Deno.writeTextFileSync(segment(stateDir), text.replace('"/tmp/f1"', '"/tmp/f9"'));
  const result = await wt(["verify"], { env });
  equal(result.code, 65);
  match(result.stdout, /NOT INTACT: hash_mismatch at seq 2, ledger-000001\.jsonl, line 2/);
});

Deno.test("a torn tail denies every operation until wt verify --repair records the repair", async () => {
  const { stateDir, env } = await ledgerWith(2);
  const file = Deno.openSync(segment(stateDir), { append: true });
  file.writeSync(new TextEncoder().encode('{"seq":3,"timesta'));
  file.close();
  const verify = await wt(["verify"], { env });
  equal(verify.code, 65);
  match(verify.stdout, /TORN TAIL: torn_tail at seq 3/);
  const denied = await wt(["check", "--json", "--domain", "filesystem", "--path", "/tmp/ok"], {
    env,
  });
  equal(denied.code, 77);
  equal(JSON.parse(denied.stdout).decision.reason, "ledger_unavailable");
  const repair = await wt(["verify", "--repair"], { env });
  equal(repair.code, 0, repair.stdout + repair.stderr);
  match(repair.stdout, /repaired torn_tail: cut 17 bytes/);
  equal((await wt(["check", "--domain", "filesystem", "--path", "/tmp/ok"], { env })).code, 0);
  equal((await wt(["verify"], { env })).code, 0);
});

Deno.test("repair refuses tampering", async () => {
  const { stateDir, env } = await ledgerWith(3);
  const lines = Deno.readTextFileSync(segment(stateDir)).split("\n");
  lines.splice(1, 1);
  Deno.writeTextFileSync(segment(stateDir), lines.join("\n"));
  const repair = await wt(["verify", "--repair"], { env });
  equal(repair.code, 65);
  match(repair.stderr, /is damage, not a crash artefact/);
});

Deno.test("a published checkpoint catches a full rewrite and a truncation that fix up the head", async () => {
  const { home, stateDir, env } = await ledgerWith(6);
  const published = `${home}/published`;
  Deno.mkdirSync(published);
  const made = JSON.parse(
    (await wt(["checkpoint", "--json", "--publish", published], { env })).stdout,
  );
  equal(made.size, 6);
  const note = made.published[0];
  equal((await wt(["verify", "--checkpoint", note], { env })).code, 0);
  // The ledger grows: still a consistent extension.
  await wt(["check", "--domain", "filesystem", "--path", "/tmp/later"], { env });
  const grown = await wt(["verify", "--json", "--checkpoint", note], { env });
  equal(grown.code, 0, grown.stdout);
  equal(JSON.parse(grown.stdout).checkpoint.ok, true);

  // Rewrite the chain (keeping the first entry) and rebuild the head: the chain alone is fooled...
  rewriteChain(stateDir, 7);
  const { code: rebuilt } = await wt(["verify", "--repair"], { env });
  equal(rebuilt, 0);
  equal((await wt(["verify"], { env })).code, 0);
  // ...the checkpoint is not.
  const caught = await wt(["verify", "--checkpoint", note], { env });
  equal(caught.code, 65);
  match(caught.stdout, /CHECKPOINT FAILED: .*(rewritten|is for)/);
});

Deno.test("a published checkpoint catches a truncation with a rebuilt head", async () => {
  const { home, stateDir, env } = await ledgerWith(5);
  const published = `${home}/published`;
  Deno.mkdirSync(published);
  const note =
    JSON.parse((await wt(["checkpoint", "--json", "--publish", published], { env })).stdout)
      .published[0];
  const lines = Deno.readTextFileSync(segment(stateDir)).split("\n");
  Deno.writeTextFileSync(segment(stateDir), lines.slice(0, 3).join("\n") + "\n");
  Deno.removeSync(`${stateDir}/ledger.head`);
  equal((await wt(["verify", "--repair"], { env })).code, 0);
  const caught = await wt(["verify", "--checkpoint", note], { env });
  equal(caught.code, 65);
  match(caught.stdout, /vouches for 5 entries but the ledger has 4: truncated/);
});

Deno.test("a checkpoint signed by another key is refused", async () => {
  const a = await ledgerWith(2);
  const b = await ledgerWith(2);
  const note = JSON.parse((await wt(["checkpoint", "--json"], { env: b.env })).stdout).file;
  const result = await wt(["verify", "--json", "--checkpoint", note], { env: a.env });
  equal(result.code, 65);
  match(
    JSON.parse(result.stdout).checkpoint.detail,
    /bad checkpoint \((no_signature|unknown_key)\)/,
  );
});

Deno.test("wt prove gives an audit path that an independent checker verifies against the checkpoint", async () => {
  const { env } = await ledgerWith(7);
  const checkpoint = JSON.parse((await wt(["checkpoint", "--json"], { env })).stdout);
  const proof = JSON.parse((await wt(["prove", "5", "--json"], { env })).stdout);
  equal(proof.root, checkpoint.root);
  const script = `
import hashlib, json, sys
p = json.loads(sys.stdin.read())
h = lambda b: hashlib.sha256(b).digest()
leaf = h(b"\\x00" + bytes.fromhex(p["entry_hash"]))
assert leaf.hex() == p["leaf_hash"]
# RFC 9162 2.1.3.2
fn, sn, r = p["index"], p["tree_size"] - 1, leaf
for node in map(bytes.fromhex, p["proof"]):
    if sn == 0: print("false"); sys.exit()
    if fn & 1 or fn == sn:
        r = h(b"\\x01" + node + r)
        while not fn & 1 and fn != 0: fn >>= 1; sn >>= 1
    else:
        r = h(b"\\x01" + r + node)
    fn >>= 1; sn >>= 1
print(json.dumps(sn == 0 and r.hex() == p["root"]))
`;
  const check = async (input: unknown) => {
    const child = new Deno.Command("python3", {
      args: ["-c", script],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(input)));
    await writer.close();
    return new TextDecoder().decode((await child.output()).stdout).trim();
  };
  equal(await check(proof), "true");
  const forged = { ...proof, proof: [...proof.proof] };
  forged.proof[0] = forged.proof[0].replace(/^./, (c: string) => c === "0" ? "1" : "0");
  equal(await check(forged), "false");
  ok((await wt(["prove", "99"], { env })).code === 64);
});

Deno.test("wt clean archives the ledger and starts a new chain that records the old head", async () => {
  const { stateDir, env } = await ledgerWith(3);
  const before = JSON.parse((await wt(["verify", "--json"], { env })).stdout);
  equal((await wt(["clean"], { env })).code, 64);
  const cleaned = await wt(["clean", "--yes", "--json"], { env });
  equal(cleaned.code, 0, cleaned.stderr);
  const result = JSON.parse(cleaned.stdout);
  equal(result.archived_seq, 3);
  equal(result.archived_hash, before.last_hash);
  ok(Deno.statSync(`${result.archive}/ledger-000001.jsonl`).isFile);
  const first = JSON.parse(Deno.readTextFileSync(segment(stateDir)).split("\n")[0]!);
  equal(first.seq, 1);
  equal(first.data.event.type, "clean");
  equal(first.data.event.archived_hash, before.last_hash);
  equal((await wt(["verify"], { env })).code, 0);
});

Deno.test("wt checkpoint publishes to a command and to an HTTP endpoint, and fails loudly when a sink fails", async () => {
  const { home, env } = await ledgerWith(2);
  const received: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    received.push(await request.text());
    return new Response("stored", { status: request.url.endsWith("/fail") ? 503 : 201 });
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  try {
    const made = await wt([
      "checkpoint",
      "--json",
      "--publish-cmd",
      `cat > ${home}/sink.note && echo "$WT_CHECKPOINT_SIZE" > ${home}/size`,
      "--publish-url",
      `${url}/checkpoints`,
    ], { env });
    equal(made.code, 0, made.stderr);
    const note = JSON.parse(made.stdout).note;
    equal(Deno.readTextFileSync(`${home}/sink.note`), note);
    equal(Deno.readTextFileSync(`${home}/size`).trim(), "2");
    equal(received[0], note);
    const failed = await wt(["checkpoint", "--publish-url", `${url}/fail`], { env });
    equal(failed.code, 78);
    match(failed.stderr, /the server answered 503/);
    const badCmd = await wt(["checkpoint", "--publish-cmd", "exit 4"], { env });
    equal(badCmd.code, 78);
    match(badCmd.stderr, /'exit 4' exited 4/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("the policy's ledger settings rotate segments at the size it names", async () => {
  const { stateDir, env } = sandbox();
  for (let i = 0; i < 6; i++) {
    const result = await wt([
      "check",
      "--set",
      "ledger.segment_bytes=4096",
      "--domain",
      "filesystem",
      "--path",
      `/tmp/${"x".repeat(900)}${i}`,
    ], { env });
    equal(result.code, 0, result.stderr);
  }
  const segments = [...Deno.readDirSync(stateDir)].filter((e) => e.name.startsWith("ledger-"));
  ok(segments.length >= 2, `${segments.length} segments`);
  equal((await wt(["verify"], { env })).code, 0);
});
