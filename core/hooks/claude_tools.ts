/**
 * What a Claude Code tool call asks to do, as Watchtower sees it: a shell line for `Bash`,
 * filesystem intents for the file tools, an http intent for `WebFetch`, a `tool` intent (domain
 * `permission`, operation `tool`) for MCP tools and every tool Watchtower does not know, and no
 * opinion for the tools that only act inside Claude Code (its to-do list, sub-agents, questions).
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import type { Target } from "../intent.ts";
import { sha256, toHex } from "../ledger/sha256.ts";
import { expandHome } from "../match/path.ts";
import { resolvePath } from "../shim/paths.ts";
import type { PlannedIntent } from "../shim/runner.ts";

/**
 * The domain and operation of a tool call Watchtower has no other intent for. There is no
 * `tool` domain in the intent model (core/intent.ts): a permission the agent asks for is what it
 * is, and no rule of the default policy decides it, so the default (escalate) applies. A policy
 * allows one with `match: {domain: permission, operation: tool, resource: "mcp__github__*"}`.
 */
export const TOOL_INTENT = { domain: "permission", operation: "tool" } as const;

/** What to decide for one tool call. */
export type ToolPlan =
  /** `Bash`: the command guard decides the line. */
  | { kind: "line"; line: string }
  | { kind: "intents"; intents: PlannedIntent[] }
  /** A tool that acts only inside Claude Code: no opinion (recorded, not decided). */
  | { kind: "pass"; why: string }
  /** The tool's input cannot be read: refused. */
  | { kind: "invalid"; problem: string; intent: PlannedIntent };

/** Where the tool acts. */
export interface PlanContext {
  /** The event's cwd: relative paths resolve against it. */
  cwd: string;
  home: string | undefined;
  /** Watchtower's state directory: a search that walks into it is decided on it too. */
  stateDir: string;
}

/** Tools whose `tool_input` names one file they read, and the field that names it. */
const FILE_READS: Readonly<Record<string, string>> = {
  Read: "file_path",
  NotebookRead: "notebook_path",
};
/** Tools that write (create, replace or edit) one file. */
const FILE_WRITES: Readonly<Record<string, string>> = {
  Write: "file_path",
  Edit: "file_path",
  MultiEdit: "file_path",
  NotebookEdit: "notebook_path",
};
/**
 * Tools that act only inside Claude Code: its to-do list, plan mode, questions to the user,
 * sub-agents (whose own tool calls come through this hook) and the output of shells an allowed
 * Bash call started.
 */
export const AGENT_INTERNAL_TOOLS: ReadonlySet<string> = new Set([
  "TodoWrite",
  "TodoRead",
  "Task",
  "Agent",
  "TaskOutput",
  "TaskStop",
  "BashOutput",
  "KillShell",
  "KillBash",
  "ExitPlanMode",
  "EnterPlanMode",
  "AskUserQuestion",
]);
/** Locations under the home directory a recursive search must not walk into unseen. */
const HOME_SECRETS = [
  ".ssh",
  ".aws",
  ".gnupg",
  ".config/gcloud",
  ".azure",
  ".kube",
  ".docker",
  ".netrc",
  ".git-credentials",
  ".config/watchtower-operator",
];
const INPUT_PREVIEW = 2048;

/**
 * Plans the decision of tool `name` called with `input`.
 *
 * @example
 * ```ts
 * import { planTool } from "./claude_tools.ts";
 * import { deepEqual } from "node:assert/strict";
 * const plan = await planTool("Edit", { file_path: "src/../README.md" }, {
 *   cwd: "/nonexistent/p", home: "/nonexistent/home", stateDir: "/nonexistent/home/.watchtower",
 * });
 * deepEqual(plan, {
 *   kind: "intents",
 *   intents: [{ domain: "filesystem", operation: "write", target: { path: "/nonexistent/p/README.md" } }],
 * });
 * ```
 */
export async function planTool(
  name: string,
  input: Record<string, unknown>,
  context: PlanContext,
): Promise<ToolPlan> {
  try {
    return await plan(name, input, context);
  } catch (error) {
    const problem = error instanceof Invalid || error instanceof WatchtowerError
      ? error.message
      : `cannot read the input: ${error instanceof Error ? error.message : error}`;
    return { kind: "invalid", problem, intent: toolIntent(name, {}) };
  }
}

class Invalid extends Error {}

async function plan(
  name: string,
  input: Record<string, unknown>,
  context: PlanContext,
): Promise<ToolPlan> {
  if (name === "Bash") return { kind: "line", line: text(input, "command") };
  if (AGENT_INTERNAL_TOOLS.has(name)) {
    return { kind: "pass", why: `${name} acts only inside Claude Code` };
  }
  const file = (field: string, operation: string): ToolPlan => ({
    kind: "intents",
    intents: [{ domain: "filesystem", operation, target: { path: path(input, field, context) } }],
  });
  if (FILE_READS[name]) return file(FILE_READS[name], "read");
  if (FILE_WRITES[name]) return file(FILE_WRITES[name], "write");
  if (name === "LS") return file("path", "list");
  if (name === "Glob") return { kind: "intents", intents: [globIntent(input, context)] };
  if (name === "Grep") return { kind: "intents", intents: grepIntents(input, context) };
  if (name === "WebFetch") return { kind: "intents", intents: [webFetchIntent(input)] };
  const target: Target = {};
  if (name === "WebSearch") {
    // The query leaves the machine (to the search provider): a tool a policy decides.
    target.query = text(input, "query").slice(0, 4096);
  }
  const mcp = /^mcp__(.+?)__(.+)$/.exec(name);
  if (mcp) {
    target.server = mcp[1]!;
    target.tool = mcp[2]!;
  }
  return { kind: "intents", intents: [await toolCallIntent(name, input, target)] };
}

/** A `tool` intent on `name` (see {@link TOOL_INTENT}). */
export function toolIntent(name: string, target: Target): PlannedIntent {
  return { ...TOOL_INTENT, target: { value: name, ...target } };
}

/**
 * The `tool` intent of a call of `name` with `input`: `target` plus the input as the ledger
 * keeps it (a redacted preview, its SHA-256, its top-level keys).
 */
export async function toolCallIntent(
  name: string,
  input: Record<string, unknown>,
  target: Target = {},
): Promise<PlannedIntent> {
  return toolIntent(name, { ...target, ...await inputFacts(input) });
}

/** The input as the ledger keeps it: a redacted preview, its SHA-256 and its top-level keys. */
async function inputFacts(input: Record<string, unknown>): Promise<Target> {
  const json = JSON.stringify(input);
  const { redactText } = await import("../redact.ts");
  return {
    input: redactText(json.slice(0, INPUT_PREVIEW)).text,
    input_sha256: toHex(sha256(new TextEncoder().encode(json))),
    input_keys: Object.keys(input).slice(0, 64),
  };
}

function text(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== "string") throw new Invalid(`tool_input.${field}: expected a string`);
  return value;
}

function optionalText(input: Record<string, unknown>, field: string): string | undefined {
  return input[field] === undefined || input[field] === null ? undefined : text(input, field);
}

/** A path of the input, `~` expanded, resolved against the cwd as the kernel will. */
function path(input: Record<string, unknown>, field: string, context: PlanContext): string {
  const given = text(input, field);
  if (given === "") throw new Invalid(`tool_input.${field}: empty path`);
  return resolvePath(expandHome(given, context.home), context.cwd, "all");
}

/** The directory a Glob or Grep call searches (its `path`, else the cwd). */
function searchRoot(input: Record<string, unknown>, context: PlanContext): string {
  const given = optionalText(input, "path");
  if (given === undefined || given === "") return resolvePath(context.cwd, "/", "all");
  return path(input, "path", context);
}

/**
 * Glob lists names: decided as a listing of the directory it starts from. A pattern that leaves
 * that directory (`/etc/**`, `~/x/*`, `../**`) starts from its fixed leading part instead.
 */
function globIntent(input: Record<string, unknown>, context: PlanContext): PlannedIntent {
  const pattern = text(input, "pattern");
  let root = searchRoot(input, context);
  if (pattern.startsWith("/") || pattern.startsWith("~") || pattern.split("/").includes("..")) {
    const fixed: string[] = [];
    for (const part of expandHome(pattern, context.home).split("/")) {
      if (/[*?[{]/.test(part)) break;
      fixed.push(part);
    }
    const prefix = fixed.join("/") || (pattern.startsWith("/") ? "/" : ".");
    root = resolvePath(prefix, root, "all");
  }
  return { domain: "filesystem", operation: "list", target: { path: root, pattern } };
}

/**
 * Grep reads what it searches: a search intent on its path and, when that is a directory, one on
 * each secret location and on the state directory the walk would reach (Claude Code's Grep does
 * not skip them as rg-search does), so that the rules protecting them decide.
 */
function grepIntents(input: Record<string, unknown>, context: PlanContext): PlannedIntent[] {
  const pattern = text(input, "pattern");
  const root = searchRoot(input, context);
  const glob = optionalText(input, "glob");
  const recursive = isDirectory(root);
  const common: Target = { pattern, recursive, ...(glob !== undefined ? { glob } : {}) };
  const intents: PlannedIntent[] = [{
    domain: "search",
    operation: "search",
    target: { path: root, ...common },
  }];
  if (!recursive) return intents;
  const prefix = root === "/" ? "/" : `${root}/`;
  const home = context.home?.replace(/\/+$/, "");
  const reached = [
    ...(home ? HOME_SECRETS.map((name) => `${home}/${name}`) : []),
    context.stateDir,
  ].filter((place) => place.startsWith(prefix) && exists(place));
  for (const place of reached) {
    intents.push({
      domain: "search",
      operation: "search",
      target: { path: place, ...common, recursive: isDirectory(place), searched: root },
    });
  }
  return intents;
}

/** WebFetch fetches one URL with GET (Claude Code upgrades http to https). */
function webFetchIntent(input: Record<string, unknown>): PlannedIntent {
  const given = text(input, "url");
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new Invalid("tool_input.url: expected an absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Invalid(`tool_input.url: expected an http or https URL, not ${url.protocol}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
  const target: Target = {
    url: recordedUrl(url),
    method: "GET",
    host,
    port: url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80,
    path: url.pathname,
  };
  const keys = queryKeys(url);
  if (keys.length > 0) target.query_keys = keys;
  return { domain: "http", operation: "get", target };
}

/**
 * The URL without credentials and with query values masked, as the egress proxy records it
 * (proxy/decide.ts; adapters do not import each other, so the few lines are repeated here).
 */
function recordedUrl(url: URL): string {
  const query = url.search.length > 1
    ? "?" + url.search.slice(1).split("&").map((pair) => {
      const eq = pair.indexOf("=");
      return eq < 0 ? pair : `${pair.slice(0, eq)}=REDACTED`;
    }).join("&")
    : "";
  return `${url.protocol}//${url.host}${url.pathname}${query}`;
}

function queryKeys(url: URL): string[] {
  if (url.search.length <= 1) return [];
  return url.search.slice(1).split("&").filter((pair) => pair !== "").map((pair) => {
    const eq = pair.indexOf("=");
    return eq < 0 ? pair : pair.slice(0, eq);
  }).slice(0, 64);
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
