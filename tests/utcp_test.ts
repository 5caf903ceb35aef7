/**
 * watchtower.json, the UTCP manual: current (generated again here and compared), valid for the
 * UTCP SDK (npm @utcp/sdk 1.1.2, pinned), and each tool's CLI call template runs its safe command
 * with exactly the arguments argvFor gives for the same inputs.
 *
 * The SDK validates a manual's shape, each tool and its JSON schemas with its own zod schemas, and
 * hands each call template to the serializer registered for its type. The `cli` type belongs to
 * @utcp/cli, which is not published on npm; its schema (CliCallTemplateSchema of @utcp/cli 1.1:
 * a strict object of name?, call_template_type "cli", commands [{command, append_to_final_output?}],
 * env_vars?, working_dir?, auth?, allowed_communication_protocols?) is written out below and
 * registered with the SDK, and its way of running a template (placeholders become quoted
 * references to environment variables in a bash script) is reproduced to run the templates.
 */
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
// The UTCP SDK, pinned: its manual schema is the one opencode's UTCP support validates.
import { CallTemplateSerializer, UtcpManualSerializer } from "npm:@utcp/sdk@1.1.2";
import { argvFor, inputSchema, TOOL_INPUTS } from "../core/tool_inputs.ts";
import { renderManual, utcpManual } from "../scripts/gen_utcp.ts";
import { SAMPLES } from "./core/_tool_samples.ts";

const REPO = decodeURIComponent(new URL("../", import.meta.url).pathname);

type Json = Record<string, unknown>;

/** @utcp/cli 1.1's CliCallTemplateSchema, strictly. */
function validateCliTemplate(obj: Json): Json {
  const allowed = [
    "name",
    "call_template_type",
    "commands",
    "env_vars",
    "working_dir",
    "auth",
    "allowed_communication_protocols",
  ];
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new Error(`Invalid CliCallTemplate: unknown key ${key}`);
  }
  if (obj.call_template_type !== "cli") throw new Error("call_template_type must be cli");
  if (obj.name !== undefined && typeof obj.name !== "string") throw new Error("name: string");
  if (!Array.isArray(obj.commands)) throw new Error("commands must be an array");
  for (const step of obj.commands as Json[]) {
    if (typeof step !== "object" || step === null) throw new Error("a command must be an object");
    for (const key of Object.keys(step)) {
      if (key !== "command" && key !== "append_to_final_output") {
        throw new Error(`Invalid CommandStep: unknown key ${key}`);
      }
    }
    if (typeof step.command !== "string") throw new Error("command must be a string");
    const append = step.append_to_final_output;
    if (append !== undefined && append !== null && typeof append !== "boolean") {
      throw new Error("append_to_final_output must be a boolean");
    }
  }
  for (const key of ["env_vars"] as const) {
    const value = obj[key];
    if (value !== undefined && value !== null) {
      if (typeof value !== "object" || Object.values(value).some((v) => typeof v !== "string")) {
        throw new Error(`${key} must map strings to strings`);
      }
    }
  }
  if (obj.working_dir != null && typeof obj.working_dir !== "string") {
    throw new Error("working_dir must be a string");
  }
  if (obj.auth !== undefined) throw new Error("auth must be undefined");
  return obj;
}

CallTemplateSerializer.registerCallTemplate("cli", {
  toDict: (obj: Json) => obj,
  validateDict: validateCliTemplate,
  copy: (obj: Json) => obj,
  // deno-lint-ignore no-explicit-any
} as any, true);

const committed = JSON.parse(Deno.readTextFileSync(`${REPO}watchtower.json`));

Deno.test("watchtower.json is current: deno task gen:utcp writes the same bytes", () => {
  equal(Deno.readTextFileSync(`${REPO}watchtower.json`), renderManual());
});

Deno.test("the UTCP SDK validates watchtower.json, and rejects what it should", () => {
  const manual = new UtcpManualSerializer().validateDict(committed);
  equal(manual.tools.length, 16);
  deepEqual(manual.tools.map((t) => t.name), TOOL_INPUTS.map((t) => t.tool));
  equal(manual.utcp_version, "1.0.1");
  // The validation is real: an extra key, a bad schema type or a bad call template fails.
  const broken = [
    { ...committed, info: { title: "Watchtower" } },
    { ...committed, tools: [{ ...committed.tools[0], extra: 1 }] },
    { ...committed, tools: [{ ...committed.tools[0], inputs: { type: "map" } }] },
    {
      ...committed,
      tools: [{ ...committed.tools[0], tool_call_template: { call_template_type: "cli" } }],
    },
    {
      ...committed,
      tools: [{
        ...committed.tools[0],
        tool_call_template: { call_template_type: "cli", commands: [{ cmd: "ls" }] },
      }],
    },
    {
      ...committed,
      tools: [{ ...committed.tools[0], tool_call_template: { call_template_type: "shell" } }],
    },
  ];
  for (const manual of broken) {
    throws(
      () => new UtcpManualSerializer().validateDict(manual),
      JSON.stringify(manual).slice(0, 80),
    );
  }
});

Deno.test("each tool's inputs are argvFor's schema, with list items free of commas", () => {
  for (const [i, tool] of TOOL_INPUTS.entries()) {
    const shown = committed.tools[i];
    equal(shown.name, tool.tool);
    const expected = structuredClone(inputSchema(tool)) as { properties: Record<string, Json> };
    for (const field of tool.fields.filter((f) => f.type === "string[]")) {
      expected.properties[field.name]!.items = { type: "string", pattern: "^[^,]*$" };
    }
    deepEqual(Object.keys(shown.inputs.properties), Object.keys(expected.properties));
    for (const [name, property] of Object.entries(expected.properties)) {
      deepEqual({ ...shown.inputs.properties[name], description: "" }, {
        ...property,
        description: "",
      });
    }
    deepEqual(shown.inputs.required, inputSchema(tool).required);
    equal(shown.inputs.additionalProperties, false);
    deepEqual(shown.tags, ["watchtower", shown.tags[1], tool.command]);
  }
  deepEqual(utcpManual(), committed);
});

// ---- running the templates as @utcp/cli 1.1 does ------------------------------------------------

/**
 * @utcp/cli 1.1's bash substitution: each `UTCP_ARG_<name>_UTCP_END` becomes a reference to an
 * environment variable holding the value (`"$V"` outside quotes, `${V}` inside double quotes,
 * `'"$V"'` inside single quotes); a missing input's value is `MISSING_ARG_<name>`; values are
 * turned into text with String(): `true`, `5`, lists joined with commas.
 */
function substitute(command: string, args: Json): { command: string; env: Record<string, string> } {
  const env: Record<string, string> = {};
  const out: string[] = [];
  let state: "normal" | "dq" | "sq" = "normal";
  for (let i = 0; i < command.length;) {
    const m = command.slice(i).match(/^UTCP_ARG_([a-zA-Z0-9_]+?)_UTCP_END/);
    if (m) {
      const name = `__UTCP_ARG_0123456789abcdef_${m[1]}`;
      env[name] = m[1]! in args ? String(args[m[1]!]) : `MISSING_ARG_${m[1]}`;
      out.push(state === "normal" ? `"$${name}"` : state === "dq" ? `\${${name}}` : `'"$${name}"'`);
      i += m[0].length;
      continue;
    }
    const c = command[i]!;
    if (state === "normal" && c === "\\" && i + 1 < command.length) {
      out.push(c, command[i + 1]!);
      i += 2;
      continue;
    }
    if (state === "dq" && c === "\\" && '"\\$`\n'.includes(command[i + 1] ?? "x")) {
      out.push(c, command[i + 1]!);
      i += 2;
      continue;
    }
    if (state === "normal" && c === "'") state = "sq";
    else if (state === "normal" && c === '"') state = "dq";
    else if ((state === "sq" && c === "'") || (state === "dq" && c === '"')) state = "normal";
    out.push(c);
    i++;
  }
  return { command: out.join(""), env };
}

const fakeBin = Deno.makeTempDirSync({ prefix: "wt-utcp-bin-" });
for (const tool of TOOL_INPUTS) {
  // Each safe command is a stand-in that writes its arguments, NUL-separated.
  Deno.writeTextFileSync(
    `${fakeBin}/${tool.command}`,
    '#!/bin/sh\nprintf "%s\\0" "$@" > "$ARGS_OUT"\n',
  );
  Deno.chmodSync(`${fakeBin}/${tool.command}`, 0o755);
}

/** Runs a tool's template the way the CLI protocol does; returns the argv the command got. */
async function call(
  tool: string,
  args: Json,
): Promise<{ argv: string[] | undefined; output: string; code: number }> {
  const template = committed.tools.find((t: Json) => t.name === tool).tool_call_template;
  const { command, env } = substitute(template.commands[0].command, args);
  const script =
    `#!/bin/bash\n# Variables to store command outputs\nCMD_0_OUTPUT=$(${command} 2>&1)\necho "\${CMD_0_OUTPUT}"`;
  const argsOut = `${fakeBin}/args-${crypto.randomUUID()}`;
  const result = await new Deno.Command("/bin/bash", {
    args: ["-c", script],
    clearEnv: true,
    env: { PATH: `${fakeBin}:/usr/bin:/bin`, ARGS_OUT: argsOut, ...env },
  }).output();
  let argv: string[] | undefined;
  try {
    argv = Deno.readTextFileSync(argsOut).split("\0").slice(0, -1);
    Deno.removeSync(argsOut);
  } catch {
    argv = undefined;
  }
  return { argv, output: new TextDecoder().decode(result.stdout), code: result.code };
}

Deno.test("each CLI template runs its safe command with exactly argvFor's arguments", async () => {
  for (const [tool, [inputs]] of Object.entries(SAMPLES)) {
    const { argv, output } = await call(tool, inputs);
    deepEqual(argv, argvFor(tool, inputs), `${tool}: ${output}`);
  }
  // Optional inputs left out, booleans false.
  for (
    const [tool, inputs] of [
      ["rg_search", { pattern: "x" }],
      ["safe_rm", { paths: ["a"], recursive: false, force: true }],
      ["ssh_ls", { host: "web1" }],
      ["jq_query", { filter: "." }],
    ] as Array<[string, Json]>
  ) {
    deepEqual((await call(tool, inputs)).argv, argvFor(tool, inputs), tool);
  }
});

Deno.test("template values stay single words: no shell injection, no option injection", async () => {
  const hostile = [
    "$(touch /tmp/wt-utcp-pwned)",
    "`id`",
    "a b",
    "'; rm -rf ~; '",
    '"',
    "-rf",
    "*",
    "--",
    "\\",
  ];
  for (const value of hostile) {
    const inputs = { paths: [value], recursive: true };
    deepEqual((await call("safe_rm", inputs)).argv, argvFor("safe_rm", inputs), value);
    const cat = { host: "web1", path: value };
    deepEqual((await call("ssh_cat", cat)).argv, ["--", "web1", value], value);
  }
  let pwned = true;
  try {
    Deno.statSync("/tmp/wt-utcp-pwned");
  } catch {
    pwned = false;
  }
  ok(!pwned, "a value ran as a command");
});

Deno.test("a template refuses a missing required input instead of running", async () => {
  const result = await call("ssh_cat", { host: "web1" });
  equal(result.argv, undefined, "the command did not run");
  match(result.output, /ssh_cat: input path is required/);
  const empty = await call("safe_rm", { paths: [] });
  equal(empty.argv, undefined);
  match(empty.output, /safe_rm: input paths is required/);
});
