import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { resolveEnvironment } from "../../core/config.ts";
import { WatchtowerError } from "../../core/errors.ts";
import { argvFor, inputSchema, TOOL_INPUTS, toolInputs } from "../../core/tool_inputs.ts";
import { TOOLS } from "../../core/tools.ts";
import type { ShimSpec } from "../../shims/_entry.ts";
import { SAMPLES } from "./_tool_samples.ts";

const REPO = decodeURIComponent(new URL("../../", import.meta.url).pathname);

const usageError = (error: unknown) => error instanceof WatchtowerError && error.code === "usage";

Deno.test("every safe command of the manifest is a tool, named with _ for -", () => {
  deepEqual(
    TOOL_INPUTS.map((t) => t.command),
    TOOLS.filter((t) => t.wraps).map((t) => t.name),
  );
  equal(TOOL_INPUTS.length, 16);
  equal(toolInputs("kubectl_logs")?.command, "kubectl-logs");
  equal(toolInputs("kubectl-logs"), undefined);
  deepEqual(Object.keys(SAMPLES).sort(), TOOL_INPUTS.map((t) => t.tool).sort());
});

Deno.test("argvFor turns each tool's inputs into its command line: options, --, operands", () => {
  for (const [tool, [inputs, argv]] of Object.entries(SAMPLES)) {
    deepEqual(argvFor(tool, inputs), argv, tool);
  }
  deepEqual(argvFor("rg_search", { pattern: "x" }), ["--", "x"]);
  deepEqual(argvFor("safe_rm", { paths: ["a"], recursive: false }), ["--", "a"]);
  deepEqual(argvFor("ssh_ls", { host: "h" }), ["--", "h"]);
});

Deno.test("argvFor refuses unknown keys, wrong types, missing inputs and values out of bounds", () => {
  for (
    const [tool, inputs] of [
      ["safe_rm", { paths: ["a"], recursve: true }],
      ["safe_rm", { paths: "a" }],
      ["safe_rm", { paths: [] }],
      ["safe_rm", { paths: ["a", 1] }],
      ["safe_rm", { paths: ["a\0b"] }],
      ["safe_rm", { paths: ["a"], recursive: "yes" }],
      ["safe_rm", {}],
      ["safe_rm", null],
      ["safe_rm", ["a"]],
      ["safe_rm", "a"],
      ["ssh_cat", { host: "web1", path: "/x", port: 70000 }],
      ["ssh_cat", { host: "web1", path: "/x", port: 22.5 }],
      ["ssh_cat", { host: "web1", path: "/x", port: "22" }],
      ["ssh_cat", { host: "-oProxyCommand=x", path: "/x" }],
      ["kubectl_logs", { pod: "-p" }],
      ["kubectl_logs", { pod: "web", tail: -2 }],
      ["safe_chmod", { mode: "755; rm", paths: ["f"] }],
      ["jq_query", { filter: ".", files: ["a"], args: { x: 1 } }],
      ["no_such_tool", {}],
      ["safe-rm", { paths: ["a"] }],
    ] as Array<[string, unknown]>
  ) {
    throws(() => argvFor(tool, inputs), usageError, `${tool} ${JSON.stringify(inputs)}`);
  }
});

Deno.test("inputSchema describes exactly the fields argvFor takes", () => {
  const schema = inputSchema(toolInputs("ssh_cat")!);
  deepEqual(schema, {
    type: "object",
    properties: {
      port: {
        type: "integer",
        minimum: 1,
        maximum: 65535,
        description: "SSH port (default 22)",
      },
      host: {
        type: "string",
        pattern: "^[A-Za-z0-9_.@:\\[\\]-]+$",
        description: "Host name or user@host",
      },
      path: { type: "string", description: "Remote file to read" },
    },
    required: ["host", "path"],
    additionalProperties: false,
  });
  const rm = inputSchema(toolInputs("safe_rm")!) as { properties: Record<string, unknown> };
  deepEqual(rm.properties.paths, {
    type: "array",
    items: { type: "string" },
    minItems: 1,
    description: "Files or directories to remove",
  });
});

// The commands are being built in parallel: each one whose module exists must accept what
// argvFor gives it. A command still missing is skipped, with its name in the test's name.
const env = resolveEnvironment(
  (name) => ({ HOME: "/nonexistent-home", WATCHTOWER_WORKSPACE: "/tmp" })[name],
  "/tmp",
);
for (const tool of TOOL_INPUTS) {
  const entry = TOOLS.find((t) => t.name === tool.command)!.entry;
  let present = true;
  try {
    Deno.statSync(`${REPO}${entry}`);
  } catch {
    present = false;
  }
  Deno.test({
    name: `${tool.command} accepts the command line argvFor builds for ${tool.tool}` +
      (present ? "" : ` (ignored: ${entry} does not exist yet)`),
    ignore: !present,
    fn: async () => {
      const module = await import(`${REPO}${entry}`);
      const spec = Object.values(module).find((value): value is ShimSpec =>
        typeof value === "object" && value !== null && (value as ShimSpec).name === tool.command
      );
      ok(spec, `${entry} exports the ShimSpec of ${tool.command}`);
      const [inputs] = SAMPLES[tool.tool]!;
      const plan = await spec.plan(argvFor(tool.tool, inputs), env);
      equal(plan.tool, tool.command);
      ok(plan.intents.length > 0);
      equal(plan.refusal, undefined);
      // Every value given reaches the plan (user@host and owner:group may be split up).
      const seen = JSON.stringify([plan.args, plan.intents]);
      const leaves = Object.values(inputs).flat().filter((v) => typeof v !== "boolean");
      for (const part of leaves.flatMap((v) => String(v).split(/[@:]/))) {
        ok(seen.includes(part), `${tool.tool}: ${part} is not in ${seen}`);
      }
    },
  });
}
