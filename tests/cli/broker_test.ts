/**
 * The permission broker `wt run` answers for Deno agents, over a real Unix socket: checks become
 * intents decided by the policy and recorded; garbage closes the connection (the client then
 * exits 87: nothing is allowed); every answer carries the check's id.
 */
import { equal, match } from "node:assert/strict";
import { startBroker } from "../../cli/broker.ts";
import { resolveEnvironment } from "../../core/config.ts";
import { Guard } from "../../core/guard.ts";
import { readEntries } from "../../core/ledger/reader.ts";
import { Ledger } from "../../core/ledger/writer.ts";
import { DEFAULT_POLICY_YAML } from "../../core/policy/default_policy.ts";
import { loadPolicyFromText } from "../../core/policy/mod.ts";

async function exchange(socket: string, lines: string[]): Promise<string[]> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  await conn.write(new TextEncoder().encode(lines.map((line) => `${line}\n`).join("")));
  const answers: string[] = [];
  let text = "";
  const buffer = new Uint8Array(4096);
  while (answers.length < lines.length) {
    const n = await conn.read(buffer);
    if (n === null) break;
    text += new TextDecoder().decode(buffer.subarray(0, n));
    while (text.includes("\n")) {
      answers.push(text.slice(0, text.indexOf("\n")));
      text = text.slice(text.indexOf("\n") + 1);
    }
  }
  conn.close();
  return answers;
}

Deno.test("the broker decides checks by policy, records them, and closes on garbage", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-broker-" });
  const home = `${dir}/home`;
  const env = resolveEnvironment(
    (name) =>
      ({ HOME: home, WATCHTOWER_DIR: `${dir}/state`, WATCHTOWER_PRINCIPAL: "agent:deno" })[name],
    `${home}/project`,
  );
  const policy = await loadPolicyFromText(DEFAULT_POLICY_YAML, {
    vars: { home, workspace: `${home}/project`, stateDir: `${dir}/state` },
  });
  const socket = `${dir}/broker.sock`;
  const broker = startBroker({
    socket,
    guard: new Guard(policy),
    env,
    ledger: new Ledger(`${dir}/state`, { sync: "batch" }),
    session: () => undefined,
  });
  try {
    const check = (id: number, permission: string, value: string | null) =>
      JSON.stringify({ v: 1, pid: 4242, id, datetime: "2026-11-22T00:00:00Z", permission, value });
    const answers = (await exchange(socket, [
      check(1, "read", `${home}/project/main.ts`),
      check(2, "read", `${home}/.ssh/id_rsa`),
      check(3, "env", "HOME"),
      check(4, "env", "GITHUB_TOKEN"),
      check(5, "ffi", "/tmp/evil.so"),
      check(6, "run", null),
      check(7, "write", "/etc/hosts"),
    ])).map((line) => JSON.parse(line));
    equal(answers.length, 7);
    const verdicts = answers.map((a) => `${a.id}:${a.result}`);
    equal(verdicts.join(" "), "1:allow 2:deny 3:allow 4:deny 5:deny 6:allow 7:deny");
    match(answers[1].reason, /^Watchtower: .*deny-secrets/);
    match(answers[4].reason, /cannot wait for approval/);
    // Garbage: the connection is closed without an answer.
    equal((await exchange(socket, ["{not json"])).length, 0);
    equal((await exchange(socket, [JSON.stringify({ id: "x", permission: 5 })])).length, 0);
    equal(broker.stats.checks, 7);
  } finally {
    await broker.close();
  }
  const recorded = [...readEntries(`${dir}/state`)];
  equal(recorded.length, 7);
  equal((recorded[1]!.data as { context: { tool: string } }).context.tool, "deno-broker");
});
