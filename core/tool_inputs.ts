/**
 * The safe commands as tools with JSON inputs: for each command of the manifest that wraps a
 * program, the inputs it takes (a JSON Schema) and how they become its arguments. The UTCP manual
 * (scripts/gen_utcp.ts) and the MCP server are both built from this one table, so a tool call and
 * the command line it runs cannot drift apart.
 * @module
 */
import { WatchtowerError } from "./errors.ts";
import { TOOLS } from "./tools.ts";

/** The JSON type of one input. */
export type InputType = "string" | "boolean" | "integer" | "string[]";

/** One input of a tool and where it goes on the command line. */
export interface InputField {
  /** Its key in the inputs object. */
  name: string;
  type: InputType;
  description: string;
  required?: boolean;
  /**
   * `flag`: an option (`-r` when a boolean is true; `-p VALUE` otherwise, the value as its own
   * word); `operand`: after `--`, in field order; `lead`: an operand before `--` (kubectl exec's
   * POD, whose `--` starts the container command).
   */
  at: { flag: string } | "operand" | "lead";
  minimum?: number;
  maximum?: number;
  /** A regular expression every string (or list item) must match. */
  pattern?: string;
}

/** One tool: the safe command it runs and its inputs, options first, operands in order. */
export interface ToolInputs {
  /** Tool name (`safe_rm`): the command name with `_` for `-`. */
  tool: string;
  /** The safe command (`safe-rm`). */
  command: string;
  fields: readonly InputField[];
}

const NAME = "^[A-Za-z0-9][A-Za-z0-9._:/@-]*$"; // Kubernetes names and kinds: no leading dash
const HOST = "^[A-Za-z0-9_.@:\\[\\]-]+$";

const bool = (name: string, flag: string, description: string): InputField => ({
  name,
  type: "boolean",
  description,
  at: { flag },
});
const paths = (name: string, description: string): InputField => ({
  name,
  type: "string[]",
  description,
  required: true,
  at: "operand",
});
const port: InputField = {
  name: "port",
  type: "integer",
  description: "SSH port (default 22)",
  minimum: 1,
  maximum: 65535,
  at: { flag: "-p" },
};
const host: InputField = {
  name: "host",
  type: "string",
  description: "Host name or user@host",
  required: true,
  pattern: HOST,
  at: "operand",
};
const kube = (name: string, flag: string, description: string): InputField => ({
  name,
  type: "string",
  description,
  pattern: NAME,
  at: { flag },
});
const namespace = kube("namespace", "-n", "Namespace (default: the context's)");
const context = kube("context", "--context", "kubeconfig context (default: the current one)");
const container = kube("container", "-c", "Container in the pod (default: the only or first one)");
const pod: InputField = {
  name: "pod",
  type: "string",
  description: "Pod name (or pod/NAME)",
  required: true,
  pattern: NAME,
  at: "operand",
};

const FIELDS: Record<string, readonly InputField[]> = {
  "safe-rm": [
    bool("recursive", "-r", "Remove directories and their contents"),
    bool("force", "-f", "Ignore missing files, never prompt"),
    paths("paths", "Files or directories to remove"),
  ],
  "safe-cp": [
    bool("recursive", "-r", "Copy directories recursively"),
    bool("archive", "-a", "Copy recursively, preserving links, modes, owners and times"),
    bool("force", "-f", "Replace destination files that cannot be opened"),
    bool("no_clobber", "-n", "Never overwrite an existing file"),
    paths("sources", "Files or directories to copy"),
    {
      name: "destination",
      type: "string",
      description: "Destination file, or directory to copy into",
      required: true,
      at: "operand",
    },
  ],
  "safe-mv": [
    bool("force", "-f", "Never prompt before overwriting"),
    bool("no_clobber", "-n", "Never overwrite an existing file"),
    paths("sources", "Files or directories to move"),
    {
      name: "destination",
      type: "string",
      description: "New name, or directory to move into",
      required: true,
      at: "operand",
    },
  ],
  "safe-mkdir": [
    bool("parents", "-p", "Make parent directories as needed; no error if it exists"),
    {
      name: "mode",
      type: "string",
      description: "Mode of the new directories (octal or symbolic, as chmod)",
      pattern: "^[0-7ugoarwxXst+=,-]+$",
      at: { flag: "-m" },
    },
    paths("paths", "Directories to create"),
  ],
  "safe-touch": [
    bool("no_create", "-c", "Do not create files that do not exist"),
    paths("paths", "Files to create or update"),
  ],
  "safe-chown": [
    bool("recursive", "-R", "Change directories and their contents"),
    bool("no_dereference", "-h", "Change symlinks themselves, not what they point to"),
    {
      name: "owner",
      type: "string",
      description: "New owner, OWNER[:GROUP] or :GROUP",
      required: true,
      pattern: "^[A-Za-z0-9_.:-]+$",
      at: "operand",
    },
    paths("paths", "Files or directories to change"),
  ],
  "safe-chmod": [
    bool("recursive", "-R", "Change directories and their contents"),
    {
      name: "mode",
      type: "string",
      description: "New mode, octal (755) or symbolic (u+x,go-w)",
      required: true,
      pattern: "^[0-7ugoarwxXst+=,-]+$",
      at: "operand",
    },
    paths("paths", "Files or directories to change"),
  ],
  "safe-ln": [
    bool("symbolic", "-s", "Make a symbolic link instead of a hard link"),
    bool("force", "-f", "Replace an existing link name"),
    {
      name: "target",
      type: "string",
      description: "What the link points to",
      required: true,
      at: "operand",
    },
    {
      name: "link_name",
      type: "string",
      description: "The link to create",
      required: true,
      at: "operand",
    },
  ],
  "ssh-ls": [
    bool("long", "-l", "Long listing"),
    bool("all", "-a", "Include entries starting with ."),
    port,
    host,
    {
      name: "path",
      type: "string",
      description: "Remote directory or file (default: the remote home)",
      at: "operand",
    },
  ],
  "ssh-cat": [
    port,
    host,
    {
      name: "path",
      type: "string",
      description: "Remote file to read",
      required: true,
      at: "operand",
    },
  ],
  "ssh-ps": [
    {
      name: "user",
      type: "string",
      description: "Only this user's processes (default: every process)",
      pattern: "^[A-Za-z0-9_.-]+$",
      at: { flag: "-u" },
    },
    port,
    host,
  ],
  "kubectl-exec-read": [
    context,
    namespace,
    container,
    { ...pod, at: "lead" },
    {
      name: "command",
      type: "string[]",
      description: "Read-only command and its arguments to run in the container (e.g. cat, ls)",
      required: true,
      at: "operand",
    },
  ],
  "kubectl-get-yaml": [
    context,
    namespace,
    {
      name: "kind",
      type: "string",
      description: "Resource kind (pod, deployment, configmap, …)",
      required: true,
      pattern: NAME,
      at: "operand",
    },
    {
      name: "name",
      type: "string",
      description: "Resource name",
      required: true,
      pattern: NAME,
      at: "operand",
    },
  ],
  "kubectl-logs": [
    context,
    namespace,
    container,
    {
      name: "tail",
      type: "integer",
      description: "Only the last N lines (-1: all)",
      minimum: -1,
      at: { flag: "--tail" },
    },
    pod,
  ],
  "rg-search": [
    bool("ignore_case", "-i", "Match case-insensitively"),
    bool("line_number", "-n", "Show line numbers"),
    bool("fixed_strings", "-F", "Treat the pattern as a literal string, not a regex"),
    bool("files_with_matches", "-l", "Print only the names of files with a match"),
    {
      name: "glob",
      type: "string",
      description: "Only search files matching this glob (! excludes)",
      at: { flag: "--glob" },
    },
    {
      name: "pattern",
      type: "string",
      description: "Regular expression (or literal string with fixed_strings) to search for",
      required: true,
      at: "operand",
    },
    {
      name: "paths",
      type: "string[]",
      description: "Files or directories to search (default: the working directory)",
      at: "operand",
    },
  ],
  "jq-query": [
    bool("raw_output", "-r", "Print strings without JSON quotes"),
    bool("compact_output", "-c", "One line per result"),
    bool("slurp", "-s", "Read every input into one array"),
    bool("null_input", "-n", "Run the filter once with null as input"),
    {
      name: "filter",
      type: "string",
      description: "The jq filter (e.g. .items[] | .name)",
      required: true,
      at: "operand",
    },
    {
      name: "files",
      type: "string[]",
      description: "JSON files to query",
      at: "operand",
    },
  ],
};

/** Every tool with inputs, in manifest order: one per safe command that wraps a program. */
export const TOOL_INPUTS: readonly ToolInputs[] = TOOLS.filter((tool) => tool.wraps).map(
  (tool) => {
    const fields = FIELDS[tool.name];
    if (!fields) {
      throw new WatchtowerError("internal", `Cannot describe ${tool.name}: it has no inputs here`);
    }
    return { tool: tool.name.replaceAll("-", "_"), command: tool.name, fields };
  },
);

const BY_TOOL = new Map(TOOL_INPUTS.map((t) => [t.tool, t]));

/** The tool named `name` (`safe_rm`), or undefined. */
export function toolInputs(name: string): ToolInputs | undefined {
  return BY_TOOL.get(name);
}

/** A JSON Schema (draft 2020-12 subset) for one field. */
export function fieldSchema(field: InputField): Record<string, unknown> {
  const text = {
    type: "string",
    ...(field.pattern !== undefined ? { pattern: field.pattern } : {}),
  };
  const base = field.type === "string"
    ? text
    : field.type === "string[]"
    ? { type: "array", items: text, ...(field.required ? { minItems: 1 } : {}) }
    : field.type === "integer"
    ? {
      type: "integer",
      ...(field.minimum !== undefined ? { minimum: field.minimum } : {}),
      ...(field.maximum !== undefined ? { maximum: field.maximum } : {}),
    }
    : { type: "boolean" };
  return { ...base, description: field.description };
}

/** The JSON Schema of a tool's inputs: an object of its fields and nothing else. */
export function inputSchema(tool: ToolInputs): Record<string, unknown> {
  return {
    type: "object",
    properties: Object.fromEntries(tool.fields.map((f) => [f.name, fieldSchema(f)])),
    required: tool.fields.filter((f) => f.required).map((f) => f.name),
    additionalProperties: false,
  };
}

function invalid(tool: string, message: string): WatchtowerError {
  return new WatchtowerError("usage", `Cannot call ${tool}: ${message}`);
}

function checkString(tool: string, field: InputField, value: unknown, where: string): string {
  if (typeof value !== "string") throw invalid(tool, `${where} must be a string`);
  if (value.includes("\0")) throw invalid(tool, `${where} must not contain a NUL byte`);
  if (field.pattern !== undefined && !new RegExp(field.pattern).test(value)) {
    throw invalid(tool, `${where} must match ${field.pattern}`);
  }
  return value;
}

/**
 * The safe command's arguments for a tool call, after checking the inputs strictly: an unknown
 * key, a wrong type, a missing required input or a value out of bounds is a `usage` error.
 * Operands come after `--`, so a value that starts with `-` stays a value.
 *
 * @example
 * ```ts
 * import { argvFor } from "./tool_inputs.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 * deepEqual(argvFor("safe_rm", { paths: ["-rf", "b"], recursive: true }), ["-r", "--", "-rf", "b"]);
 * deepEqual(argvFor("ssh_cat", { host: "web1", path: "/etc/hosts", port: 2222 }), ["-p", "2222", "--", "web1", "/etc/hosts"]);
 * throws(() => argvFor("safe_rm", { paths: ["a"], recursve: true }), /unknown input recursve/);
 * ```
 */
export function argvFor(toolName: string, inputs: unknown): string[] {
  const tool = BY_TOOL.get(toolName);
  if (!tool) throw new WatchtowerError("usage", `Cannot call ${toolName}: no such tool`);
  if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs)) {
    throw invalid(toolName, "the inputs must be an object");
  }
  const given = inputs as Record<string, unknown>;
  const known = new Set(tool.fields.map((f) => f.name));
  for (const key of Object.keys(given)) {
    if (!known.has(key)) throw invalid(toolName, `unknown input ${key}`);
  }
  const options: string[] = [];
  const lead: string[] = [];
  const operands: string[] = [];
  for (const field of tool.fields) {
    const value = given[field.name];
    if (value === undefined) {
      if (field.required) throw invalid(toolName, `${field.name} is required`);
      continue;
    }
    let words: string[];
    if (field.type === "boolean") {
      if (typeof value !== "boolean") throw invalid(toolName, `${field.name} must be a boolean`);
      if (!value) continue;
      words = [];
    } else if (field.type === "integer") {
      if (typeof value !== "number" || !Number.isInteger(value)) {
        throw invalid(toolName, `${field.name} must be an integer`);
      }
      if (
        (field.minimum !== undefined && value < field.minimum) ||
        (field.maximum !== undefined && value > field.maximum)
      ) {
        throw invalid(toolName, `${field.name} must be from ${field.minimum} to ${field.maximum}`);
      }
      words = [String(value)];
    } else if (field.type === "string") {
      words = [checkString(toolName, field, value, field.name)];
    } else {
      if (!Array.isArray(value)) throw invalid(toolName, `${field.name} must be a list of strings`);
      if (field.required && value.length === 0) {
        throw invalid(toolName, `${field.name} must not be empty`);
      }
      words = value.map((item, i) => checkString(toolName, field, item, `${field.name}[${i}]`));
    }
    if (field.at === "operand") operands.push(...words);
    else if (field.at === "lead") lead.push(...words);
    else options.push(field.at.flag, ...words);
  }
  return [...options, ...lead, "--", ...operands];
}
