/**
 * Agent hooks: an agent's own hook contract turned into Watchtower decisions and back into the
 * agent's answers. Claude Code: `claude_code.ts` (the decisions), `claude_event.ts` (its event
 * and answer formats), `claude_tools.ts` (its tools as intents), `claude_settings.ts` (its
 * settings file).
 * @module
 */
export {
  AGENT,
  answerClaudeCode,
  chunks,
  type ClaudeHookOptions,
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
