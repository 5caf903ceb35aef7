import { deepEqual, equal, ok } from "node:assert/strict";
import { childEnv, SHIMS } from "../../cli/mcp_calls.ts";
import { resolveEnvironment } from "../../core/config.ts";
import { argvFor, TOOL_INPUTS } from "../../core/tool_inputs.ts";
import { SAMPLES } from "../core/_tool_samples.ts";

const env = resolveEnvironment(
  (name) => ({ HOME: "/nonexistent-home", WATCHTOWER_WORKSPACE: "/tmp" })[name],
  "/tmp",
);

Deno.test("every tool has its safe command's spec, which plans what argvFor builds", async () => {
  deepEqual(Object.keys(SHIMS), TOOL_INPUTS.map((t) => t.command));
  for (const tool of TOOL_INPUTS) {
    const spec = await SHIMS[tool.command]!();
    equal(spec.name, tool.command);
    const plan = await spec.plan(argvFor(tool.tool, SAMPLES[tool.tool]![0]), env);
    equal(plan.tool, tool.command, "intents keep the command's name, so rules on tool: apply");
  }
});

Deno.test("rg_search never plans to search the server's standard input", async () => {
  const spec = await SHIMS["rg-search"]!();
  const plan = await spec.plan(argvFor("rg_search", { pattern: "x" }), env);
  equal(plan.stdin, undefined);
  deepEqual(plan.intents.map((i) => i.target.path), ["/tmp"]);
});

Deno.test("childEnv passes only the allowlisted variables, and marks the program", () => {
  Deno.env.set("WT_MCP_TEST_SECRET", "s3cret");
  Deno.env.set("KUBECONFIG", "/tmp/kubeconfig-for-test");
  try {
    const plain = childEnv({});
    equal(plain.WATCHTOWER_SHIM, "1");
    ok(plain.PATH);
    equal(plain.WT_MCP_TEST_SECRET, undefined);
    equal(plain.KUBECONFIG, undefined);
    equal(childEnv({ passEnv: ["KUBECONFIG"] }).KUBECONFIG, "/tmp/kubeconfig-for-test");
  } finally {
    Deno.env.delete("WT_MCP_TEST_SECRET");
    Deno.env.delete("KUBECONFIG");
  }
});
