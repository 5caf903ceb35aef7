/**
 * Agent hooks: an agent's own hook contract turned into Watchtower decisions and back into the
 * agent's answers. Claude Code: `claude_code.ts` (the decisions), `claude_event.ts` (its event
 * and answer formats), `claude_tools.ts` (its tools as intents), `claude_settings.ts` (its
 * settings file). opencode: `opencode.ts` (its calls decided as Claude Code's are),
 * `opencode_event.ts` (what its plugin sends and reads), `opencode_tools.ts` (its tools mapped
 * onto Claude Code's), `opencode_plugin.ts` (the plugin itself).
 * @module
 */
export {
  AGENT,
  answerClaudeCode,
  chunks,
  CLAUDE_CODE,
  type ClaudeHookOptions,
  type HookAgent,
  type HookOutcome,
  INJECTED_ZONE,
  outputSource,
  responseText,
} from "./claude_code.ts";
export {
  blockingError,
  type ClaudeEvent,
  EVENT_LIMIT,
  type EventRead,
  HANDLED_EVENTS,
  type HookAnswer,
  NO_OPINION,
  oneLine,
  type PermissionDecision,
  postToolUseBlock,
  preToolUseAnswer,
  readClaudeEvent,
  type UnreadableEvent,
} from "./claude_event.ts";
export {
  AGENT_INTERNAL_TOOLS,
  type PlanContext,
  planTool,
  TOOL_INTENT,
  toolCallIntent,
  toolIntent,
  type ToolPlan,
} from "./claude_tools.ts";
export {
  CLAUDE_HOOK_ENTRIES,
  HOOK_TIMEOUT_SECONDS,
  installClaudeHooks,
  type InstalledHook,
  installedHooks,
  isWatchtowerHook,
  type SettingsEdit,
  uninstallClaudeHooks,
} from "./claude_settings.ts";
export { answerOpencode, isOpencodeShellCall, OPENCODE } from "./opencode.ts";
export {
  OPENCODE_EVENTS,
  type OpencodeAnswer,
  opencodeAnswer,
  type OpencodeDecision,
  readOpencodeEvent,
} from "./opencode_event.ts";
export {
  OPENCODE_INTERNAL_TOOLS,
  opencodeOutputSource,
  planOpencodeTool,
} from "./opencode_tools.ts";
export {
  isUnchangedPlugin,
  isWatchtowerPlugin,
  opencodePlugin,
  PLUGIN_FILE,
  PLUGIN_MARKER,
  PLUGIN_OUTPUT_LIMIT,
  PLUGIN_TIMEOUT_MS,
  pluginCommand,
  type PluginOptions,
} from "./opencode_plugin.ts";
