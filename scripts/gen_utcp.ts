/**
 * `deno task gen:utcp`: writes `watchtower.json`, the UTCP manual of the 16 safe commands, from
 * the tool manifest and core/tool_inputs.ts (for opencode's UTCP config:
 * `{"imports": ["/path/to/watchtower.json"]}`). tests/utcp_test.ts checks the file is current.
 *
 * The manual has the shape the UTCP 1.x SDKs validate (`@utcp/sdk` 1.1: `utcp_version`,
 * `manual_version`, `tools`, and nothing else: its schema is strict, so there is no `info`).
 * Each tool's call template is a `cli` one as `@utcp/cli` 1.1 defines it: one command, in which
 * each `UTCP_ARG_<input>_UTCP_END` placeholder stands for one input's value as one shell word
 * (the client passes the values as environment variables, never spliced into the script). The
 * command builds the safe command's argument array from them exactly as `argvFor` does: flags for
 * true booleans and given options, then `--`, then the operands. The protocol passes values as
 * text: a missing input arrives as `MISSING_ARG_<input>`, a boolean as `true`, and a list as its
 * items joined with commas, so list items may not contain a comma here (the schema says so); the
 * MCP server takes real JSON and has no such limit.
 * @module
 */
import config from "../deno.json" with { type: "json" };
import { type InputField, inputSchema, TOOL_INPUTS, type ToolInputs } from "../core/tool_inputs.ts";
import { TOOLS } from "../core/tools.ts";

/** The UTCP protocol version the manual follows. */
export const UTCP_VERSION = "1.0.1";

const DOMAINS: ReadonlyArray<[string, string]> = [
  ["safe-", "filesystem"],
  ["ssh-", "ssh"],
  ["kubectl-", "kubernetes"],
  ["rg-", "search"],
  ["jq-", "search"],
];

const placeholder = (field: InputField) => `UTCP_ARG_${field.name}_UTCP_END`;

/** The shell command (bash, as the CLI protocol runs it) that calls the safe command. */
export function commandLine(tool: ToolInputs): string {
  const steps = ["o=()", "l=()", "p=()"];
  const required = (field: InputField, test: string) =>
    `${test} || { echo "${tool.tool}: input ${field.name} is required" >&2; exit 64; }`;
  for (const field of tool.fields) {
    const array = field.at === "operand" ? "p" : field.at === "lead" ? "l" : "o";
    const flag = typeof field.at === "object" ? `${field.at.flag} ` : "";
    const missing = `MISSING_ARG_${field.name}`;
    steps.push(`v=${placeholder(field)}`);
    if (field.type === "boolean") {
      steps.push(`case "$v" in true|True) ${array}+=(${flag.trim()});; esac`);
    } else if (field.type === "string[]") {
      steps.push(`[ "$v" != ${missing} ] || v=`);
      steps.push("IFS=,; set -f; t=($v); set +f; unset IFS");
      if (field.required) steps.push(required(field, '[ "${#t[@]}" -gt 0 ]'));
      steps.push(`${array}+=(${flag}"\${t[@]}")`);
    } else if (field.required) {
      steps.push(required(field, `[ "$v" != ${missing} ]`));
      steps.push(`${array}+=(${flag}"$v")`);
    } else {
      steps.push(`[ "$v" = ${missing} ] || ${array}+=(${flag}"$v")`);
    }
  }
  steps.push(`${tool.command} "\${o[@]}" "\${l[@]}" -- "\${p[@]}"`);
  // One group, so that the redirection the protocol appends (2>&1) covers every step.
  return `{ ${steps.join("; ")}; }`;
}

/** The tool's inputs as the manual shows them: list items without commas (see above). */
function utcpInputs(tool: ToolInputs): Record<string, unknown> {
  const schema = inputSchema(tool);
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  for (const field of tool.fields) {
    if (field.type !== "string[]") continue;
    const property = properties[field.name]!;
    property.items = { type: "string", pattern: "^[^,]*$" };
    property.description =
      `${field.description} (no commas: the CLI protocol joins lists with them)`;
  }
  return schema;
}

/** The UTCP manual for every safe command in the manifest. */
export function utcpManual(): Record<string, unknown> {
  return {
    utcp_version: UTCP_VERSION,
    manual_version: config.version,
    tools: TOOL_INPUTS.map((tool) => {
      const domain = DOMAINS.find(([prefix]) => tool.command.startsWith(prefix))?.[1] ??
        "command";
      return {
        name: tool.tool,
        description:
          `${
            SUMMARIES.get(tool.command) ?? tool.command
          }. Runs ${tool.command}: Watchtower decides each target ` +
          "by policy and records it in its ledger before anything runs; exit 77 means denied, " +
          "75 approval required (the key is printed: after `wt approve KEY`, call again), " +
          "64 bad input; otherwise the program's own exit code.",
        inputs: utcpInputs(tool),
        outputs: {
          type: "string",
          description: "What the command printed (stdout, then stderr); secrets masked as " +
            "[REDACTED:kind] when the policy says so",
        },
        tags: ["watchtower", domain, tool.command],
        tool_call_template: {
          call_template_type: "cli",
          commands: [{ command: commandLine(tool), append_to_final_output: true }],
        },
      };
    }),
  };
}

const SUMMARIES = new Map(TOOLS.map((t) => [t.name, t.summary] as const));

/** The manual as written to watchtower.json. */
export function renderManual(): string {
  return `${JSON.stringify(utcpManual(), null, 2)}\n`;
}

if (import.meta.main) {
  const path = decodeURIComponent(new URL("../watchtower.json", import.meta.url).pathname);
  Deno.writeTextFileSync(path, renderManual());
  console.log(`wrote ${path} (${TOOL_INPUTS.length} tools)`);
}
