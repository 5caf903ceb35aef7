/**
 * `wt mcp` driven by the MCP SDK's own client over stdio, as an MCP client starts it: `deno run
 * -P=wt cli/main.ts mcp` in a fresh home. Tools are listed from the manifest; calls are decided,
 * recorded and run as the safe commands' binaries do; refusals and bad input are tool errors.
 */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { inputSchema, TOOL_INPUTS } from "../../core/tool_inputs.ts";
import { cleanEnv, wt, wtArgs } from "./_wt.ts";

/** A fresh home with a workspace (a git root) that the server runs in. */
function box() {
  const home = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-mcp-" }));
  const project = `${home}/project`;
  Deno.mkdirSync(`${project}/.git`, { recursive: true });
  const stateDir = `${home}/.watchtower`;
  const env = {
    HOME: home,
    WATCHTOWER_DIR: stateDir,
    WATCHTOWER_WORKSPACE: project,
    NO_COLOR: "1",
  };
  return { home, project, stateDir, env };
}
type Box = ReturnType<typeof box>;

/** Starts `wt mcp` in `b` and connects the SDK's client to it. */
async function connect(b: Box): Promise<Client> {
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: wtArgs(["mcp"]),
    cwd: b.project,
    env: cleanEnv(b.env),
    stderr: "inherit",
  });
  const client = new Client({ name: "watchtower-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

/** Runs `fn` with a connected client; always closes it (which stops the server). */
function withServer(fn: (client: Client, b: Box) => Promise<void>, setup?: (b: Box) => void) {
  return async () => {
    const b = box();
    setup?.(b);
    const client = await connect(b);
    try {
      await fn(client, b);
    } finally {
      await client.close();
      Deno.removeSync(b.home, { recursive: true });
    }
  };
}

/** Every ledger entry in `stateDir`, parsed. */
// deno-lint-ignore no-explicit-any
function ledger(stateDir: string): Array<Record<string, any>> {
  let names: string[];
  try {
    names = [...Deno.readDirSync(stateDir)].map((e) => e.name).filter((n) => /^ledger-\d+/.test(n));
  } catch {
    return [];
  }
  return names.sort().flatMap((name) =>
    Deno.readTextFileSync(`${stateDir}/${name}`).split("\n").filter(Boolean).map((line) =>
      JSON.parse(line)
    )
  );
}

const decisions = (stateDir: string) => ledger(stateDir).filter((e) => e.data.decision);
const events = (stateDir: string, type: string) =>
  ledger(stateDir).map((e) => e.data.event).filter((e) => e?.type === type);

interface Answer {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
}

/** A call's text content, joined. */
function text(answer: Answer): string {
  return answer.content.map((c) => c.text ?? "").join("\n");
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  return await client.callTool({ name, arguments: args }) as Answer;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test(
  "wt mcp lists the 16 safe commands with the tool manifest's input schemas",
  withServer(async (client, b) => {
    equal(client.getServerVersion()?.name, "watchtower");
    match(
      client.getInstructions() ?? "",
      new RegExp(`Relative paths resolve against ${b.project}`),
    );
    const { tools } = await client.listTools();
    equal(tools.length, 16);
    deepEqual(tools.map((t) => t.name), TOOL_INPUTS.map((t) => t.tool));
    for (const tool of tools) {
      const spec = TOOL_INPUTS.find((t) => t.tool === tool.name)!;
      deepEqual(tool.inputSchema, inputSchema(spec), tool.name);
      match(tool.description ?? "", new RegExp(`Runs ${spec.command} through Watchtower`));
    }
    // Listing runs nothing and records nothing.
    deepEqual(ledger(b.stateDir), []);
  }),
);

Deno.test(
  "an allowed call runs the program in the workspace and is recorded with its decision",
  withServer(async (client, b) => {
    const made = await call(client, "safe_mkdir", { paths: ["src/deep"], parents: true });
    equal(made.isError, false, text(made));
    ok(Deno.statSync(`${b.project}/src/deep`).isDirectory);
    const touched = await call(client, "safe_touch", { paths: ["src/deep/notes.txt"] });
    equal(touched.isError, false, text(touched));
    equal(text(touched), "safe-touch: done (exit code 0)");
    ok(exists(`${b.project}/src/deep/notes.txt`));
    const [mkdir, touch] = decisions(b.stateDir);
    equal(mkdir!.data.intent.operation, "mkdir");
    equal(mkdir!.data.intent.target.path, `${b.project}/src/deep`);
    equal(mkdir!.data.context.tool, "safe-mkdir");
    equal(touch!.data.intent.target.path, `${b.project}/src/deep/notes.txt`);
    equal(touch!.data.context.tool, "safe-touch");
    equal(touch!.data.decision.verdict, "allow");
    // The effect follows its decision, and an mcp.call event links both and names the client.
    const [effect] = events(b.stateDir, "effect").filter((e) => e.tool === "safe-touch");
    deepEqual(effect!.decision_seqs, [touch!.seq]);
    equal(effect!.exit_code, 0);
    const calls = events(b.stateDir, "mcp.call");
    equal(calls.length, 2);
    equal(calls[1]!.tool, "safe_touch");
    equal(calls[1]!.command, "safe-touch");
    equal(calls[1]!.verdict, "allow");
    equal(calls[1]!.client, "watchtower-test 1.0.0");
    equal(calls[1]!.seqs[0], touch!.seq);
    // The chain verifies.
    const verify = await wt(["verify"], { env: b.env });
    equal(verify.code, 0, verify.stderr);
  }),
);

Deno.test(
  "a program's output comes back as text; a failing program is a tool error with its code",
  withServer(async (client) => {
    const found = await call(client, "rg_search", { pattern: "needle", line_number: true });
    equal(found.isError, false, text(found));
    equal(text(found), "notes.txt:2:a needle here\n");
    const missing = await call(client, "rg_search", { pattern: "absent" });
    equal(missing.isError, true);
    match(text(missing), /rg-search: failed with exit code 1/);
    const jq = await call(client, "jq_query", { filter: ".a", files: ["data.json"] });
    equal(jq.isError, false, text(jq));
    equal(text(jq), "42\n");
    const gone = await call(client, "safe_rm", { paths: ["no-such-file"] });
    equal(gone.isError, true);
    match(text(gone), /^stderr:\n.*No such file or directory/);
    match(text(gone), /safe-rm: failed with exit code 1$/);
  }, (b) => {
    Deno.writeTextFileSync(`${b.project}/notes.txt`, "first line\na needle here\n");
    Deno.writeTextFileSync(`${b.project}/data.json`, '{"a": 42}\n');
  }),
);

Deno.test(
  "a denied call is a tool error with the reason; nothing is removed and the refusal is recorded",
  withServer(async (client, b) => {
    for (const target of ["/", b.home]) {
      const denied = await call(client, "safe_rm", { paths: [target], recursive: true });
      equal(denied.isError, true);
      match(
        text(denied),
        new RegExp(`^safe-rm denied by Watchtower \\(builtin_refusal\\): removing ${target}`),
      );
      match(text(denied), /Nothing was run \(ledger seq \d+\)\./);
    }
    ok(exists(`${b.project}/.git`));
    const recorded = decisions(b.stateDir);
    deepEqual(recorded.map((e) => e.data.decision.verdict), ["deny", "deny"]);
    deepEqual(recorded.map((e) => e.data.decision.reason), ["builtin_refusal", "builtin_refusal"]);
    deepEqual(events(b.stateDir, "effect"), []);
    deepEqual(events(b.stateDir, "mcp.call").map((e) => e.verdict), ["deny", "deny"]);
  }),
);

Deno.test(
  "an escalated call carries the approval key; after wt approve the same call runs",
  withServer(async (client, b) => {
    // The default policy has no ssh rule: hosts need approval until a policy names them.
    const args = { host: "127.0.0.1", port: 1, path: "/etc/hostname" };
    const held = await call(client, "ssh_cat", args);
    equal(held.isError, true);
    match(text(held), /^ssh-cat: approval required \(default\): /);
    const key = /Approval key: (wt-[0-9a-f]{16})\./.exec(text(held))?.[1];
    ok(key, text(held));
    match(text(held), new RegExp(`\`wt approve ${key}\``));
    const [decision] = decisions(b.stateDir);
    equal(decision!.data.decision.verdict, "escalate");
    equal(decision!.data.decision.approval_key, key);
    equal(events(b.stateDir, "approval.request")[0]!.key, key);
    deepEqual(events(b.stateDir, "effect"), []);

    const approved = await wt(["approve", key], { env: b.env });
    equal(approved.code, 0, approved.stderr);
    // Approved, ssh runs (and finds nothing listening on port 1): its own error comes back.
    const again = await call(client, "ssh_cat", args);
    equal(again.isError, true);
    match(text(again), /ssh-cat: failed with exit code 255/);
    equal(events(b.stateDir, "approval.use")[0]!.key, key);
    const [effect] = events(b.stateDir, "effect");
    equal(effect!.program, "ssh");
    equal(effect!.exit_code, 255);
  }),
);

Deno.test(
  "bad arguments and unknown tools are tool errors that run nothing",
  withServer(async (client, b) => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ["safe_rm", { paths: "victim.txt" }, /paths must be a list of strings/],
      ["safe_rm", { paths: ["victim.txt"], recursive: "yes" }, /recursive must be a boolean/],
      ["safe_rm", { paths: ["victim.txt"], no_preserve_root: true }, /unknown input/],
      ["safe_rm", {}, /paths is required/],
      ["safe_rm", { paths: [] }, /paths must not be empty/],
      ["ssh_cat", { host: "-oProxyCommand=sh", path: "/etc/hosts" }, /host must match/],
      ["ssh_cat", { host: "web1", path: "/x", port: 70000 }, /port must be from 1 to 65535/],
      ["safe-rm", { paths: ["victim.txt"] }, /no such tool \(did you mean safe_rm\?\)/],
      ["rm", { paths: ["victim.txt"] }, /no such tool/],
      ["jq_query", { filter: 'import "x" as x; .' }, /refused: modules are read/],
    ];
    for (const [name, args, expected] of cases) {
      const answer = await call(client, name, args);
      equal(answer.isError, true, `${name} ${JSON.stringify(args)}`);
      match(text(answer), expected);
      match(text(answer), /Nothing was run\.$/);
    }
    ok(exists(`${b.project}/victim.txt`));
    // Nothing was decided; each rejection is recorded as such.
    deepEqual(decisions(b.stateDir), []);
    const rejected = events(b.stateDir, "mcp.call");
    equal(rejected.length, cases.length);
    ok(rejected.every((e) => e.rejected === "usage"));
    // Arguments that are not an object do not reach the tool: a protocol error.
    await rejects(
      client.request(
        { method: "tools/call", params: { name: "safe_rm", arguments: ["victim.txt"] } },
        CallToolResultSchema,
      ),
      /Invalid (arguments|params)|Expected object|invalid_type/i,
    );
    ok(exists(`${b.project}/victim.txt`));
  }, (b) => Deno.writeTextFileSync(`${b.project}/victim.txt`, "x\n")),
);

Deno.test(
  "a policy change applies to the next call without restarting the server",
  withServer(async (client, b) => {
    const first = await call(client, "safe_touch", { paths: ["a.txt"] });
    equal(first.isError, false, text(first));
    Deno.mkdirSync(b.stateDir, { recursive: true });
    Deno.writeTextFileSync(
      `${b.stateDir}/policy.yaml`,
      "default: allow\npolicies:\n  - {name: no-touch, match: {operation: touch}, action: deny, reason: no touching}\n",
    );
    const second = await call(client, "safe_touch", { paths: ["b.txt"] });
    equal(second.isError, true);
    match(text(second), /^safe-touch denied by Watchtower \(rule\): .*no-touch/);
    ok(!exists(`${b.project}/b.txt`));
  }),
);

Deno.test("wt mcp --help explains it; arguments are a usage error", async () => {
  const help = await wt(["mcp", "--help"]);
  equal(help.code, 0, help.stderr);
  match(help.stdout, /^wt mcp — the safe commands as MCP tools, over stdio/);
  match(help.stdout, /claude mcp add watchtower -- wt mcp/);
  const listed = await wt(["--help"]);
  match(listed.stdout, /^ {2}mcp +serve the safe commands as MCP tools/m);
  const extra = await wt(["mcp", "serve"]);
  equal(extra.code, 64);
  match(extra.stderr, /wt mcp takes no arguments/);
});

Deno.test("stdout carries the protocol only, and the server stops when stdin closes", async () => {
  const b = box();
  const lines = [
    {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "raw", version: "0" },
      },
    },
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { jsonrpc: "2.0", id: 2, method: "tools/list" },
    {
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: {
        name: "jq_query",
        arguments: { filter: "1 + 1", null_input: true },
      },
    },
  ].map((m) => JSON.stringify(m)).join("\n");
  const child = new Deno.Command(Deno.execPath(), {
    args: wtArgs(["mcp"]),
    cwd: b.project,
    clearEnv: true,
    env: cleanEnv(b.env),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(`${lines}\n`));
  await writer.close();
  const output = await child.output();
  equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const answers = new TextDecoder().decode(output.stdout).trimEnd().split("\n").map((line) =>
    JSON.parse(line)
  );
  // Every line is a JSON-RPC answer, and the call that was running when stdin closed was answered.
  deepEqual(answers.map((a) => a.id).sort(), [1, 2, 3]);
  ok(answers.every((a) => a.jsonrpc === "2.0"));
  const answer = answers.find((a) => a.id === 3)!;
  deepEqual(answer.result, { content: [{ type: "text", text: "2\n" }], isError: false });
  Deno.removeSync(b.home, { recursive: true });
});
