import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { WatchtowerError } from "../../../core/errors.ts";
import { MCP_LIMITS, mcpCall, mcpTools, shownName } from "../../../core/mcp/tools.ts";
import { argvFor, inputSchema, TOOL_INPUTS } from "../../../core/tool_inputs.ts";
import { TOOLS } from "../../../core/tools.ts";
import { SAMPLES } from "../_tool_samples.ts";

const usageError = (pattern: RegExp) => (error: unknown) =>
  error instanceof WatchtowerError && error.code === "usage" && pattern.test(error.message);

Deno.test("mcpTools lists every safe command of the manifest with its input schema", () => {
  const tools = mcpTools();
  equal(tools.length, 16);
  deepEqual(tools.map((t) => t.name), TOOL_INPUTS.map((t) => t.tool));
  for (const [i, tool] of tools.entries()) {
    const spec = TOOL_INPUTS[i]!;
    deepEqual(tool.inputSchema, inputSchema(spec), tool.name);
    equal(tool.inputSchema.additionalProperties, false);
    equal(tool.title, TOOLS.find((t) => t.name === spec.command)!.summary);
    ok(tool.description.startsWith(`${tool.title}. Runs ${spec.command} through Watchtower`));
    ok(/^[A-Za-z0-9_]{1,64}$/.test(tool.name), `${tool.name} is a portable MCP tool name`);
  }
});

Deno.test("mcpCall gives the safe command and the command line argvFor builds", () => {
  for (const [tool, [inputs, argv]] of Object.entries(SAMPLES)) {
    const call = mcpCall(tool, inputs);
    deepEqual(call, {
      tool,
      command: TOOL_INPUTS.find((t) => t.tool === tool)!.command,
      argv,
    });
    deepEqual(call.argv, argvFor(tool, inputs));
  }
  // Operands stay operands: a path that looks like an option comes after --.
  deepEqual(mcpCall("safe_rm", { paths: ["--no-preserve-root", "/"] }).argv, [
    "--",
    "--no-preserve-root",
    "/",
  ]);
  // A pod goes before --, the container command after it.
  deepEqual(
    mcpCall("kubectl_exec_read", { pod: "web", namespace: "prod", command: ["cat", "/x"] }).argv,
    ["-n", "prod", "web", "--", "cat", "/x"],
  );
});

Deno.test("mcpCall treats absent arguments as none, so required inputs are missing", () => {
  throws(() => mcpCall("safe_touch", undefined), usageError(/paths is required/));
  throws(() => mcpCall("rg_search", null), usageError(/pattern is required/));
});

Deno.test("mcpCall refuses an unknown tool, naming the closest one", () => {
  for (
    const [name, pattern] of [
      ["safe-rm", /^Cannot call safe-rm: no such tool \(did you mean safe_rm\?\)$/],
      ["rg_serch", /\(did you mean rg_search\?\)/],
      ["format_disk", /^Cannot call format_disk: no such tool$/],
      ["", /^Cannot call : no such tool/],
    ] as const
  ) {
    throws(() => mcpCall(name, {}), usageError(pattern), name);
  }
  // A huge name is cut before it is repeated.
  const long = "x".repeat(10_000);
  throws(
    () => mcpCall(long, {}),
    (error: unknown) =>
      error instanceof WatchtowerError && error.message.length < MCP_LIMITS.name + 100,
  );
});

Deno.test("mcpCall refuses a call past the command-line limits", () => {
  const many = Array.from({ length: MCP_LIMITS.words }, (_, i) => `f${i}`);
  throws(() => mcpCall("safe_rm", { paths: many }), usageError(/at most 4096; split the call/));
  equal(mcpCall("safe_rm", { paths: many.slice(1) }).argv.length, MCP_LIMITS.words);
  const big = "a".repeat(MCP_LIMITS.bytes);
  throws(() => mcpCall("safe_touch", { paths: [big] }), usageError(/bytes, at most 1048576/));
});

Deno.test("shownName cuts long names and keeps short ones", () => {
  equal(shownName("safe_rm"), "safe_rm");
  equal(shownName("y".repeat(200)), `${"y".repeat(MCP_LIMITS.name)}…`);
});
