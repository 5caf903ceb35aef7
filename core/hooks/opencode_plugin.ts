/**
 * The opencode plugin `wt hook install opencode` writes (`.opencode/plugin/watchtower.js`,
 * `~/.config/opencode/plugin/watchtower.js`), kept here as text so that a bundled or compiled
 * `wt` can write it without finding files beside itself. The plugin is plain JavaScript that
 * runs under Bun (opencode's runtime) and Deno alike (`node:` modules only): before every tool
 * call it sends the call to `wt hook opencode` and lets it run only on an explicit allow; after a
 * call it sends the output and replaces it with Watchtower's warning when it is not admitted.
 * Anything else (wt missing, a crash, a timeout, an answer it cannot read) refuses the call, or
 * withholds the output.
 * @module
 */

/** The first line of every plugin Watchtower writes: how install and uninstall know it. */
export const PLUGIN_MARKER = "// Watchtower plugin for opencode";

/** The plugin's file name in an opencode plugin folder. */
export const PLUGIN_FILE = "watchtower.js";

/** Milliseconds the plugin waits for `wt hook opencode` before it refuses the call. */
export const PLUGIN_TIMEOUT_MS = 30_000;

/** Characters of a tool's output the plugin sends (and keeps); past that the output is cut. */
export const PLUGIN_OUTPUT_LIMIT = 1 << 20;

const COMMAND_LINE = /^const COMMAND = (".*");$/m;
const TIMEOUT_LINE = /^const TIMEOUT_MS = (\d+);$/m;

/** How the plugin is written. */
export interface PluginOptions {
  /** Milliseconds to wait for an answer (default {@link PLUGIN_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/**
 * The plugin's source, running `command` (a shell command that starts `wt`, as in Claude Code's
 * hook entry; ` hook opencode` is appended).
 *
 * @example
 * ```ts
 * import { opencodePlugin, pluginCommand } from "./opencode_plugin.ts";
 * import { equal, ok } from "node:assert/strict";
 * const text = opencodePlugin("'/home/u/.local/bin/wt'");
 * ok(text.includes('export const Watchtower = async'));
 * equal(pluginCommand(text), "'/home/u/.local/bin/wt'");
 * ```
 */
export function opencodePlugin(command: string, options: PluginOptions = {}): string {
  const timeout = Math.max(1, Math.floor(options.timeoutMs ?? PLUGIN_TIMEOUT_MS));
  return PLUGIN_SOURCE.replace("__COMMAND__", () => JSON.stringify(command))
    .replace("__TIMEOUT__", String(timeout))
    .replace("__OUTPUT_LIMIT__", String(PLUGIN_OUTPUT_LIMIT));
}

/** The command baked into a plugin Watchtower wrote, or undefined (not one of ours). */
export function pluginCommand(text: string): string | undefined {
  if (!isWatchtowerPlugin(text)) return undefined;
  const line = COMMAND_LINE.exec(text);
  if (!line) return undefined;
  try {
    const command = JSON.parse(line[1]!);
    return typeof command === "string" ? command : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `text` is a plugin Watchtower wrote (its first line is the marker). */
export function isWatchtowerPlugin(text: string): boolean {
  return text.startsWith(PLUGIN_MARKER);
}

/** Whether `text` is exactly what Watchtower wrote (not edited by hand since). */
export function isUnchangedPlugin(text: string): boolean {
  const command = pluginCommand(text);
  const timeout = TIMEOUT_LINE.exec(text)?.[1];
  return command !== undefined && timeout !== undefined &&
    opencodePlugin(command, { timeoutMs: Number(timeout) }) === text;
}

// The plugin. It exports one thing, the plugin function: opencode calls every export of a
// plugin file as a plugin (a helper exported beside it would fail to load).
const PLUGIN_SOURCE = `${PLUGIN_MARKER} (written by wt hook install opencode; removed by
// wt hook uninstall opencode, which keeps a backup when this file was edited by hand).
//
// Before every tool call opencode makes, this plugin sends the call to Watchtower
// (wt hook opencode) and lets it run only when Watchtower answers allow; a refusal, a
// question for a human and any failure (wt missing, a crash, no answer within the timeout)
// stop the call with the reason. After a web or file read whose output carries injected
// instructions, the output is replaced by Watchtower's warning. Watchtower's
// docs/integrations.md says what is covered and what is not.
import { spawn } from "node:child_process";
import process from "node:process";

/** How to start wt: a shell command (\` hook opencode\` is appended). */
const COMMAND = __COMMAND__;
/** Milliseconds to wait for Watchtower's answer; past that the call is refused. */
const TIMEOUT_MS = __TIMEOUT__;
/** Characters of a tool's output sent to Watchtower and kept; the rest is cut. */
const OUTPUT_LIMIT = __OUTPUT_LIMIT__;
/** Calls whose arguments are remembered until their output comes (by call id). */
const REMEMBERED = 256;

export const Watchtower = async ({ directory, worktree } = {}) => {
  const cwd = typeof directory === "string" && directory !== "" ? directory : process.cwd();
  const calls = new Map();
  const remember = (callID, args) => {
    if (typeof callID !== "string") return;
    calls.set(callID, args);
    if (calls.size > REMEMBERED) calls.delete(calls.keys().next().value);
  };
  const about = (input) => ({
    tool: input?.tool,
    sessionID: input?.sessionID,
    callID: input?.callID,
    directory: cwd,
    ...(typeof worktree === "string" ? { worktree } : {}),
  });
  return {
    "tool.execute.before": async (input, output) => {
      const args = output?.args;
      remember(input?.callID, args);
      const answer = await ask({ event: "tool.execute.before", ...about(input), args }, cwd);
      if (answer.allowed) return;
      throw new Error(
        answer.reason ?? \`Watchtower could not decide this (\${answer.failure}), so it is refused\`,
      );
    },
    "tool.execute.after": async (input, output) => {
      const given = output?.output;
      let text = typeof given === "string" ? given : given == null ? "" : JSON.stringify(given);
      const cut = text.length > OUTPUT_LIMIT;
      if (cut) {
        text = text.slice(0, OUTPUT_LIMIT) +
          \`\\n[Watchtower: the output was cut to its first \${OUTPUT_LIMIT} characters]\`;
      }
      const args = input?.args ?? calls.get(input?.callID) ?? {};
      calls.delete(input?.callID);
      const event = { event: "tool.execute.after", ...about(input), args, output: text };
      const answer = await ask(event, cwd);
      const replacement = answer.allowed
        ? (cut ? text : undefined)
        : answer.reason ??
          \`Watchtower withheld this output: it could not be checked (\${answer.failure}); tell the user\`;
      if (replacement === undefined) return;
      if (output === null || typeof output !== "object") throw new Error(replacement);
      output.output = replacement;
    },
  };
};

/**
 * Asks Watchtower about one event: allowed only on an explicit allow with exit 0. Resolves to
 * \`{ allowed, reason }\`, or \`{ allowed: false, failure }\` when there is no answer to act on.
 */
function ask(event, cwd) {
  return new Promise((resolve) => {
    let settled = false;
    let timer;
    const done = (allowed, reason, failure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ allowed, reason, failure });
    };
    // No answer to act on: what went wrong, for the message the hook gives instead.
    const refuse = (why) => done(false, undefined, why);
    let text;
    try {
      text = JSON.stringify(event);
    } catch (error) {
      return refuse(\`the call cannot be written as JSON: \${describe(error)}\`);
    }
    let child;
    try {
      child = spawn("/bin/sh", ["-c", \`\${COMMAND} hook opencode\`], {
        cwd,
        stdio: ["pipe", "pipe", "pipe"],
      });
    } catch (error) {
      return refuse(\`wt could not start: \${describe(error)}\`);
    }
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      if (stdout.length < 1 << 22) stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      if (stderr.length < 1 << 16) stderr += chunk;
    });
    child.on("error", (error) => refuse(\`wt could not start: \${describe(error)}\`));
    child.on("close", (code, signal) => {
      let answer;
      try {
        answer = JSON.parse(stdout);
      } catch {
        answer = undefined;
      }
      const reason = typeof answer?.reason === "string" && answer.reason !== ""
        ? answer.reason
        : undefined;
      if (code === 0 && answer?.decision === "allow") return done(true, reason ?? "");
      if (answer?.decision === "ask" && typeof answer.key === "string") {
        return done(
          false,
          reason ?? \`Watchtower: approval required (key \${answer.key}); after wt approve \${answer.key}, try again\`,
        );
      }
      if (reason !== undefined && ["deny", "ask", "block"].includes(answer.decision)) {
        return done(false, reason);
      }
      const last = stderr.trim().split("\\n").at(-1) ?? "";
      if (signal) return refuse(\`wt was stopped by \${signal}\`);
      if (code === 126 || code === 127) return refuse(\`wt could not start: exit \${code}: \${last}\`);
      return refuse(\`wt exited \${code}\${last ? \`: \${last}\` : " without an answer"}\`);
    });
    timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      refuse(\`wt did not answer within \${TIMEOUT_MS / 1000} s\`);
    }, TIMEOUT_MS);
    child.stdin.on("error", () => {
      // wt ended without reading the event: its exit code says why
    });
    child.stdin.end(text);
  });
}

function describe(error) {
  return error instanceof Error ? error.message : String(error);
}
`;
