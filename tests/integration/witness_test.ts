import { deepEqual, equal, match, ok } from "node:assert/strict";
import { type Behaviour, cosignLine, deadUrl, startWitness, witnessKey } from "./_witness.ts";
import { sandbox, wt } from "./_wt.ts";

async function ledgerWith(count: number) {
  const box = sandbox();
  equal((await wt(["init"], { env: box.env })).code, 0);
  await grow(box.env, count);
  const logKey = (await wt(["checkpoint", "--export-key"], { env: box.env })).stdout.trim();
  return { ...box, logKey };
}

async function grow(env: Record<string, string>, count: number) {
  for (let i = 0; i < count; i++) {
    await wt(["check", "--domain", "filesystem", "--path", `/tmp/f${i}`], { env });
  }
}

/** The ledger's event entries of `type`. */
function events(stateDir: string, type: string): Array<Record<string, unknown>> {
  return Deno.readTextFileSync(`${stateDir}/ledger-000001.jsonl`).trim().split("\n")
    .map((line) => JSON.parse(line).data.event)
    .filter((event) => event?.type === type);
}

function pin(stateDir: string, witnesses: Array<{ url?: string; key: string }>) {
  Deno.writeTextFileSync(
    `${stateDir}/witnesses.json`,
    JSON.stringify({ version: 1, witnesses }, null, 2),
  );
}

Deno.test("wt checkpoint --witness stores a verified cosignature, and wt verify --witnessed passes", async () => {
  const { stateDir, env, logKey } = await ledgerWith(3);
  const witness = await startWitness(logKey);
  try {
    const made = await wt(
      ["checkpoint", "--json", "--witness", witness.url, "--witness-key", witness.vkey],
      { env },
    );
    equal(made.code, 0, made.stderr);
    const result = JSON.parse(made.stdout);
    equal(result.size, 3);
    const [outcome] = result.witnesses;
    equal(outcome.ok, true, JSON.stringify(outcome));
    equal(outcome.old_size, 0);
    deepEqual(witness.requests.map((r) => [r.oldSize, r.proofLines, r.status]), [[0, 0, 200]]);
    // The stored note carries the log's signature, then the cosignature.
    const stored = Deno.readTextFileSync(`${stateDir}/checkpoints/3.note`);
    equal(stored, result.note);
    equal(Deno.readTextFileSync(`${stateDir}/checkpoints/latest.note`), stored);
    const signatures = stored.slice(stored.lastIndexOf("\n\n") + 2).trim().split("\n");
    equal(signatures.length, 2);
    ok(signatures[1]!.startsWith(`\u2014 ${witness.name} `));
    const [cosigned] = events(stateDir, "witness.cosign");
    equal(cosigned?.witness, witness.name);
    equal(cosigned?.size, 3);

    const verified = await wt(
      ["verify", "--json", "--witnessed", "--witness-key", witness.vkey],
      { env },
    );
    equal(verified.code, 0, verified.stdout);
    const check = JSON.parse(verified.stdout).witnessed;
    equal(check.checkpoint_size, 3);
    equal(check.unwitnessed, 1); // the witness.cosign event itself
    equal(check.cosigned_by[0].name, witness.name);
    // The plain checkpoint check still accepts the cosigned note.
    equal(
      (await wt(["verify", "--checkpoint", `${stateDir}/checkpoints/3.note`], { env })).code,
      0,
    );
  } finally {
    await witness.stop();
  }
});

Deno.test("a second checkpoint after more entries is cosigned with a real consistency proof; pins come from witnesses.json", async () => {
  const { stateDir, env, logKey } = await ledgerWith(3);
  const witness = await startWitness(logKey);
  pin(stateDir, [{ url: witness.url, key: witness.vkey }]);
  try {
    equal((await wt(["checkpoint", "--witnessed"], { env })).code, 0);
    await grow(env, 5);
    const second = await wt(["checkpoint", "--json", "--witness", witness.url], { env });
    equal(second.code, 0, second.stderr);
    const { size, witnesses } = JSON.parse(second.stdout);
    equal(size, 9); // 3 + the cosign event + 5
    equal(witnesses[0].ok, true);
    equal(witnesses[0].old_size, 3);
    const last = witness.requests.at(-1)!;
    equal(last.status, 200);
    equal(last.oldSize, 3);
    ok(last.proofLines > 0, "a consistency proof from 3 to 9 has hashes");
    equal(witness.state.values().next().value?.size, 9);

    const verified = await wt(["verify", "--json", "--witnessed"], { env });
    equal(verified.code, 0, verified.stdout);
    equal(JSON.parse(verified.stdout).witnessed.checkpoint_size, 9);
    // --max-unwitnessed bounds how far the ledger may run ahead of the witnessed checkpoint.
    await grow(env, 3);
    const behind = await wt(["verify", "--witnessed", "--max-unwitnessed", "2"], { env });
    equal(behind.code, 65);
    match(behind.stdout, /WITNESSED FAILED: .*leaves 4 entries unwitnessed, more than 2/);
  } finally {
    await witness.stop();
  }
});

Deno.test("a witness whose state we lost answers 409 with its size, and one retry with that size and its proof succeeds", async () => {
  const { stateDir, env, logKey } = await ledgerWith(2);
  const witness = await startWitness(logKey);
  const flags = ["--witness", witness.url, "--witness-key", witness.vkey];
  try {
    equal((await wt(["checkpoint", ...flags], { env })).code, 0);
    Deno.removeSync(`${stateDir}/checkpoints/witnessed.json`);
    await grow(env, 4);
    const again = await wt(["checkpoint", "--json", ...flags], { env });
    equal(again.code, 0, again.stderr);
    const [outcome] = JSON.parse(again.stdout).witnesses;
    equal(outcome.requests, 2);
    equal(outcome.old_size, 2);
    deepEqual(witness.requests.slice(1).map((r) => [r.oldSize, r.status]), [[0, 409], [2, 200]]);
  } finally {
    await witness.stop();
  }
});

Deno.test("forged cosignatures fail wt verify --witnessed with the reason", async () => {
  const { stateDir, env, logKey } = await ledgerWith(2);
  const witness = await startWitness(logKey);
  try {
    const made = JSON.parse(
      (await wt(["checkpoint", "--json", "--witness", witness.url, "--witness-key", witness.vkey], {
        env,
      })).stdout,
    );
    const file = made.file as string;
    const note = made.note as string;
    const [logLine, cosignature] = note.slice(note.lastIndexOf("\n\n") + 2).trim().split("\n");
    const body = note.slice(0, note.lastIndexOf("\n\n") + 1);
    const other = await witnessKey(witness.name);
    const time = Math.floor(Date.now() / 1000);
    const flipped = (() => {
      const blob = Uint8Array.from(atob(cosignature!.split(" ")[2]!), (c) => c.charCodeAt(0));
      blob[20]! ^= 0x40;
      return `\u2014 ${witness.name} ${btoa(String.fromCharCode(...blob))}`;
    })();
    const cases: Array<[string, string, RegExp]> = [
      ["an edited byte", flipped, /does not verify \(bad_signature\): a forged cosignature/],
      [
        "another key under the witness's name",
        await cosignLine(witness.name, other, body, time),
        /has key ID [0-9a-f]{8}, the pinned key's is [0-9a-f]{8} \(wrong_key\)/,
      ],
      [
        "the witness's own cosignature of another tree",
        await cosignLine(witness.name, witness.key, body.replace(/\n2\n/, "\n1\n"), time),
        /does not verify \(bad_signature\)/,
      ],
    ];
    for (const [what, line, reason] of cases) {
      Deno.writeTextFileSync(file, `${body}\n${logLine}\n${line}\n`);
      Deno.writeTextFileSync(
        `${stateDir}/checkpoints/latest.note`,
        `${body}\n${logLine}\n${line}\n`,
      );
      const result = await wt(["verify", "--witnessed", "--witness-key", witness.vkey], { env });
      equal(result.code, 65, what);
      match(result.stdout, reason, what);
    }
    // The untouched note still passes; a cosignature by a key nobody pinned proves nothing.
    Deno.writeTextFileSync(file, note);
    Deno.writeTextFileSync(`${stateDir}/checkpoints/latest.note`, note);
    equal((await wt(["verify", "--witnessed", "--witness-key", witness.vkey], { env })).code, 0);
    const stranger = await witnessKey("witness.test/other");
    const unpinned = await wt(["verify", "--witnessed", "--witness-key", stranger.vkey], { env });
    equal(unpinned.code, 65);
    match(unpinned.stdout, /no stored checkpoint carries valid cosignatures by 1 of the pinned/);
    const quorum = await wt(
      [
        "verify",
        "--witnessed",
        "--witness-key",
        witness.vkey,
        "--witness-key",
        stranger.vkey,
        "--witnesses",
        "2",
      ],
      { env },
    );
    equal(quorum.code, 65);
  } finally {
    await witness.stop();
  }
});

Deno.test("wt checkpoint refuses a cosignature made with another key or edited, and records why", async () => {
  for (const behaviour of ["wrong_key", "edit_byte"] as const) {
    const { stateDir, env, logKey } = await ledgerWith(2);
    const witness = await startWitness(logKey, { behaviour });
    try {
      const result = await wt(
        ["checkpoint", "--json", "--witness", witness.url, "--witness-key", witness.vkey],
        { env },
      );
      equal(result.code, 65, behaviour);
      equal(JSON.parse(result.stdout).witnesses[0].reason, "bad_cosignature");
      match(result.stderr, /bad_cosignature: .*(key ID|does not verify)/);
      // Nothing unverified is stored beside the checkpoint.
      const stored = Deno.readTextFileSync(`${stateDir}/checkpoints/2.note`);
      ok(!stored.includes(witness.name), behaviour);
      equal(events(stateDir, "witness.fail")[0]?.reason, "bad_cosignature");
    } finally {
      await witness.stop();
    }
  }
});

Deno.test("a witness that refuses, answers garbage, hangs or is unreachable: a clear error, recorded, no retry, decisions unaffected", async () => {
  const cases: Array<[Behaviour | "unreachable", number, string, RegExp]> = [
    ["refuse", 78, "not_trusted", /answered 403: not today/],
    ["garbage", 65, "bad_response", /not signature lines: <html><body>hello/],
    ["hang", 69, "timeout", /no answer within 1 s/],
    ["unreachable", 69, "unreachable", /unreachable: /],
  ];
  for (const [behaviour, code, reason, message] of cases) {
    const { stateDir, env, logKey } = await ledgerWith(2);
    const witness = await startWitness(logKey, {
      behaviour: behaviour === "unreachable" ? "honest" : behaviour,
    });
    const url = behaviour === "unreachable" ? await deadUrl() : witness.url;
    try {
      const started = Date.now();
      const result = await wt([
        "checkpoint",
        "--witness",
        url,
        "--witness-key",
        witness.vkey,
        "--witness-timeout",
        "1",
      ], { env });
      ok(Date.now() - started < 15_000, `${behaviour} took ${Date.now() - started} ms`);
      equal(result.code, code, `${behaviour}: ${result.stderr}`);
      match(result.stderr, new RegExp(`witness ${witness.name} .*: ${reason}: `));
      match(result.stderr, message);
      ok(witness.requests.length <= 1, `${behaviour}: ${witness.requests.length} requests`);
      const [failed] = events(stateDir, "witness.fail");
      equal(failed?.reason, reason, behaviour);
      // The checkpoint is stored all the same, and decisions go on.
      ok(Deno.statSync(`${stateDir}/checkpoints/2.note`).isFile);
      const check = await wt(["check", "--domain", "filesystem", "--path", "/tmp/x"], { env });
      equal(check.code, 0);
      const verified = await wt(["verify", "--witnessed", "--witness-key", witness.vkey], { env });
      equal(verified.code, 65);
      match(verified.stdout, /no stored checkpoint carries valid cosignatures/);
    } finally {
      await witness.stop();
    }
  }
});

Deno.test("the publish hook gets the cosigned note on stdin; a failing hook is reported and recorded", async () => {
  const { home, stateDir, env, logKey } = await ledgerWith(2);
  const witness = await startWitness(logKey);
  try {
    const made = await wt([
      "checkpoint",
      "--json",
      "--witness",
      witness.url,
      "--witness-key",
      witness.vkey,
      "--publish-cmd",
      `cat >> ${home}/external.log && echo "$WT_CHECKPOINT_COSIGNED_BY" > ${home}/by`,
    ], { env });
    equal(made.code, 0, made.stderr);
    const { note } = JSON.parse(made.stdout);
    equal(Deno.readTextFileSync(`${home}/external.log`), note);
    ok(note.includes(`\u2014 ${witness.name} `));
    equal(Deno.readTextFileSync(`${home}/by`).trim(), witness.name);

    const failed = await wt([
      "checkpoint",
      "--publish-cmd",
      "echo 'log server said no' >&2; exit 3",
      "--publish",
      `${home}/published-here`,
    ], { env });
    equal(failed.code, 78);
    match(failed.stderr, /exited 3: log server said no/);
    match(failed.stderr, /published-here/);
    const recorded = events(stateDir, "checkpoint.publish_fail");
    deepEqual(recorded.map((e) => e.sink), ["dir", "cmd"]);
  } finally {
    await witness.stop();
  }
});

Deno.test("wt verify --witnessed without a pinned witness is a configuration error", async () => {
  const { stateDir, env } = await ledgerWith(1);
  const result = await wt(["verify", "--witnessed"], { env });
  equal(result.code, 78);
  match(result.stderr, /no witness is pinned; give --witness-key KEY or list witnesses in/);
  Deno.writeTextFileSync(
    `${stateDir}/witnesses.json`,
    `{"version": 1, "witnesses": [{"key": "x"}]}`,
  );
  const invalid = await wt(["verify", "--witnessed"], { env });
  equal(invalid.code, 78);
  match(invalid.stderr, /witnesses\[0\]\.key: Cannot parse witness key/);
  const noKey = await wt(["checkpoint", "--witness", "http://127.0.0.1:9/"], { env });
  equal(noKey.code, 78);
  const badUrl = await wt(["checkpoint", "--witness", "ftp://x/", "--witness-key", "k"], { env });
  equal(badUrl.code, 64);
});
