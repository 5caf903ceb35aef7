/**
 * What an opencode tool call asks to do, as Watchtower sees it: opencode's built-in tools
 * mapped onto their Claude Code equivalents (names and arguments) and planned by the same code
 * (core/hooks/claude_tools.ts); a patch as writes to the files it names; MCP and every other
 * tool as a `tool` intent under its opencode name; opencode's own bookkeeping tools (its to-do
 * list, sub-agents, questions) with no opinion. Tool names and arguments: opencode's
 * `packages/opencode/src/tool/*.ts` (bash, read, write, edit, multiedit, list, glob, grep,
 * webfetch, websearch, codesearch, patch, apply_patch, todowrite, todoread, task, …); MCP tools
 * are named `<server>_<tool>`.
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import { expandHome } from "../match/path.ts";
import { resolvePath } from "../shim/paths.ts";
import type { PlannedIntent } from "../shim/runner.ts";
import {
  type PlanContext,
  planTool,
  toolCallIntent,
  toolIntent,
  type ToolPlan,
} from "./claude_tools.ts";

/** opencode tools decided as a Claude Code tool: its name there and how arguments are named. */
const MAPPED: Readonly<Record<string, { claude: string; fields: Record<string, string> }>> = {
  bash: { claude: "Bash", fields: { command: "command" } },
  read: { claude: "Read", fields: { filePath: "file_path" } },
  write: { claude: "Write", fields: { filePath: "file_path" } },
  edit: { claude: "Edit", fields: { filePath: "file_path" } },
  multiedit: { claude: "MultiEdit", fields: { filePath: "file_path" } },
  list: { claude: "LS", fields: { path: "path" } },
  glob: { claude: "Glob", fields: { pattern: "pattern", path: "path" } },
  grep: { claude: "Grep", fields: { pattern: "pattern", path: "path", include: "glob" } },
  webfetch: { claude: "WebFetch", fields: { url: "url" } },
};

/** Tools that send a query off the machine (a search provider): tool intents with the query. */
const SEARCHES = new Set(["websearch", "codesearch"]);

/** Tools that edit files through a patch text (`*** Add File: …`). */
const PATCHES = new Set(["patch", "apply_patch"]);

/**
 * Tools that act only inside opencode: its to-do list, sub-agents (whose own tool calls come
 * through the plugin), questions to the user, plan mode, and the stand-in for a call to a tool
 * that does not exist.
 */
export const OPENCODE_INTERNAL_TOOLS: ReadonlySet<string> = new Set([
  "todowrite",
  "todoread",
  "task",
  "question",
  "plan_enter",
  "plan_exit",
  "invalid",
]);

/** opencode's other built-in tools: not MCP tools, so their output is not checked as one. */
const OTHER_BUILTINS = new Set(["lsp", "batch", "skill", "execute", "reload"]);

/** Where the output of opencode's tools comes from, for the authority boundary. */
const OUTPUT_SOURCES: Readonly<Record<string, string>> = {
  webfetch: "webpage",
  websearch: "webpage",
  codesearch: "webpage",
  read: "file",
};

/** Most files one patch may name (a longer list is refused, not cut). */
const PATCH_FILES_MAX = 1024;

/**
 * The source of an opencode tool's output that passes the authority boundary: web reads and
 * searches (`webpage`), file reads (`file`), MCP and plugin tools (`tool-output`); undefined for
 * opencode's other built-in tools (their output is not checked, as in Claude Code).
 */
export function opencodeOutputSource(tool: string): string | undefined {
  if (OUTPUT_SOURCES[tool]) return OUTPUT_SOURCES[tool];
  const builtin = tool in MAPPED || SEARCHES.has(tool) || PATCHES.has(tool) ||
    OPENCODE_INTERNAL_TOOLS.has(tool) || OTHER_BUILTINS.has(tool);
  return builtin ? undefined : "tool-output";
}

/**
 * Plans the decision of opencode tool `name` called with `args`.
 *
 * @example
 * ```ts
 * import { planOpencodeTool } from "./opencode_tools.ts";
 * import { deepEqual } from "node:assert/strict";
 * const context = { cwd: "/nonexistent/p", home: "/nonexistent/h", stateDir: "/nonexistent/s" };
 * deepEqual(await planOpencodeTool("edit", { filePath: "src/../a.ts", oldString: "x", newString: "y" }, context), {
 *   kind: "intents",
 *   intents: [{ domain: "filesystem", operation: "write", target: { path: "/nonexistent/p/a.ts" } }],
 * });
 * deepEqual(await planOpencodeTool("bash", { command: "ls", description: "List" }, context), {
 *   kind: "line",
 *   line: "ls",
 * });
 * ```
 */
export async function planOpencodeTool(
  name: string,
  args: Record<string, unknown>,
  context: PlanContext,
): Promise<ToolPlan> {
  if (OPENCODE_INTERNAL_TOOLS.has(name)) {
    return { kind: "pass", why: `${name} acts only inside opencode` };
  }
  try {
    if (PATCHES.has(name)) return await patchPlan(name, args, context);
    if (SEARCHES.has(name)) {
      // The query leaves the machine (to the search provider): a tool a policy decides.
      const query = args.query;
      if (typeof query !== "string") throw new Invalid("args.query: expected a string");
      return {
        kind: "intents",
        intents: [await toolCallIntent(name, args, { query: query.slice(0, 4096) })],
      };
    }
    const mapped = MAPPED[name];
    // Any other name (an MCP tool, a plugin's tool) is a tool intent under that name: never
    // planned as a Claude Code tool that happens to share it.
    if (!mapped) return { kind: "intents", intents: [await toolCallIntent(name, args)] };
    const input: Record<string, unknown> = {};
    for (const [from, to] of Object.entries(mapped.fields)) {
      if (args[from] !== undefined) input[to] = args[from];
    }
    // opencode lists the directory it works in when no path is given.
    if (name === "list" && (input.path === undefined || input.path === null)) input.path = ".";
    const plan = await planTool(mapped.claude, input, context);
    if (plan.kind !== "invalid") return plan;
    return {
      kind: "invalid",
      problem: inOpencodeTerms(plan.problem, mapped.fields),
      intent: toolIntent(name, {}),
    };
  } catch (error) {
    const problem = error instanceof Invalid || error instanceof WatchtowerError
      ? error.message
      : `cannot read the arguments: ${error instanceof Error ? error.message : error}`;
    return { kind: "invalid", problem, intent: toolIntent(name, {}) };
  }
}

class Invalid extends Error {}

/** A problem named in Claude Code's terms (`tool_input.file_path`) in opencode's (`args.filePath`). */
function inOpencodeTerms(problem: string, fields: Record<string, string>): string {
  let text = problem;
  for (const [from, to] of Object.entries(fields)) {
    text = text.replaceAll(`tool_input.${to}:`, `args.${from}:`);
  }
  return text.replaceAll("tool_input.", "args.");
}

/** The header lines of a patch that name a file, and what is done to it. */
const PATCH_LINE = /^\*\*\* (Add File|Update File|Delete File|Move to):\s*(.+)$/;

/**
 * A patch (`*** Begin Patch` … `*** End Patch`) writes, deletes or moves the files its headers
 * name: one intent per file (`write` for an added or updated file and a move's destination,
 * `delete`, `move` for a moved file's source), paths resolved against the cwd. A patch that names
 * no file is a tool intent, which no rule of the default policy allows.
 */
async function patchPlan(
  name: string,
  args: Record<string, unknown>,
  context: PlanContext,
): Promise<ToolPlan> {
  const text = args.patchText;
  if (typeof text !== "string") throw new Invalid("args.patchText: expected a string");
  const intents: PlannedIntent[] = [];
  let updated: string | undefined;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    // Leading and trailing blanks are forgiven, as a lenient patch reader might: a header
    // indented by one space still names a file.
    const header = PATCH_LINE.exec(raw.trim());
    if (!header) continue;
    const [, kind, given] = header;
    const path = resolve(given!.trim(), context);
    if (kind === "Move to") {
      if (updated !== undefined) intents.push(fileIntent("move", updated));
      intents.push(fileIntent("write", path));
      updated = undefined;
      continue;
    }
    updated = kind === "Update File" ? path : undefined;
    intents.push(fileIntent(kind === "Delete File" ? "delete" : "write", path));
    if (intents.length > PATCH_FILES_MAX) {
      throw new Invalid(`args.patchText: names more than ${PATCH_FILES_MAX} files`);
    }
  }
  if (intents.length === 0) {
    return {
      kind: "intents",
      intents: [await toolCallIntent(name, args, { problem: "the patch names no file" })],
    };
  }
  return { kind: "intents", intents };
}

function fileIntent(operation: string, path: string): PlannedIntent {
  return { domain: "filesystem", operation, target: { path } };
}

function resolve(given: string, context: PlanContext): string {
  if (given === "") throw new Invalid("args.patchText: a file header without a path");
  return resolvePath(expandHome(given, context.home), context.cwd, "all");
}
