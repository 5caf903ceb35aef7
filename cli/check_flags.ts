/**
 * The flags of `wt check` and the intent defaults they give, shared by the full command
 * (cli/check.ts) and its path through the decision service (cli/check_fast.ts).
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import type { IntentDefaults } from "../core/intent_parse.ts";
import { type FlagSpec, listFlag, type ParsedArgs, POLICY_FLAGS, stringFlag } from "./args.ts";

/** The flags of `wt check`. */
export const CHECK_FLAGS: Record<string, FlagSpec> = {
  ...POLICY_FLAGS,
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  batch: { type: "boolean" },
  domain: { type: "string", short: "d" },
  operation: { type: "string", short: "o" },
  path: { type: "string" },
  url: { type: "string" },
  command: { type: "string" },
  host: { type: "string" },
  text: { type: "string" },
  method: { type: "string" },
  target: { type: "string", multiple: true },
  principal: { type: "string" },
  purpose: { type: "string" },
  capability: { type: "string", multiple: true },
  session: { type: "string" },
  tool: { type: "string" },
  cwd: { type: "string" },
  "dry-run": { type: "boolean" },
  shell: { type: "string" },
};

/** The identity and context intents get: the flags, else the environment. */
export function defaultsFrom(env: WatchtowerEnvironment, args: ParsedArgs): IntentDefaults {
  const capabilities = listFlag(args, "capability");
  return {
    principal: stringFlag(args, "principal") ?? env.principal,
    capabilities: capabilities.length > 0 ? capabilities : env.capabilities,
    purpose: stringFlag(args, "purpose") ?? env.purpose,
    session: stringFlag(args, "session") ?? env.session,
    cwd: stringFlag(args, "cwd") ?? env.cwd,
    workspace: env.workspace,
    tool: stringFlag(args, "tool"),
  };
}
