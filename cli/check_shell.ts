/**
 * `wt check --shell LINE` and the `{"shell": "…"}` lines of `wt check --batch`: a shell line is
 * decided part by part (core/shell_guard) and answered as one decision with every part's.
 * Loaded only when a shell line comes.
 * @module
 */
import { sessionViews } from "./session_view.ts";
import type { WatchtowerEnvironment } from "../core/config.ts";
import { WatchtowerError } from "../core/errors.ts";
import type { Guard } from "../core/guard.ts";
import type { IntentDefaults } from "../core/intent_parse.ts";
import { unrecordedDecision } from "../core/ledger/records.ts";
import type { Appended, Ledger } from "../core/ledger/writer.ts";
import { combine, decideLine, type LineDecision, recordLine } from "../core/shell_guard/mod.ts";
import { exitForVerdict } from "./exit.ts";
import { describeLine, lineEnvironment, lineJson } from "./line_view.ts";
import { out, printJson } from "./output.ts";

export { describeLine, lineEnvironment, lineJson };

/** What deciding a line needs from `wt check`. */
export interface ShellCheckContext {
  guard: Guard;
  env: WatchtowerEnvironment;
  defaults: IntentDefaults;
  ledger: Ledger | undefined;
  json: boolean;
}

/** Decides, records and prints one line; returns the exit code. */
export function checkShell(line: string, context: ShellCheckContext): number {
  const decided = recordLine(
    context.ledger,
    decideLine(line, {
      guard: context.guard,
      env: lineEnvironment(context.env, context.defaults),
      tool: context.defaults.tool ?? "wt-check",
      session: sessionViews(context.env.stateDir)(context.defaults.session),
    }),
  );
  if (context.json) printJson(lineJson(decided));
  else out(`${describeLine(decided)}\n`);
  return exitForVerdict(decided.verdict);
}

/** A `{"shell": "…"}` batch line, decided and waiting to be recorded. */
export interface ShellAnswer {
  decided: LineDecision;
}

/**
 * Decides a batch line `{"shell": LINE, "cwd"?: DIR}` (`id` already taken out); throws an
 * `invalid_intent` error for any other shape.
 */
export function decideBatchShell(
  value: Record<string, unknown>,
  context: Omit<ShellCheckContext, "ledger" | "json">,
): ShellAnswer {
  for (const key of Object.keys(value)) {
    if (key !== "shell" && key !== "cwd") {
      throw new WatchtowerError("invalid_intent", `a shell line takes shell and cwd, not '${key}'`);
    }
  }
  if (typeof value.shell !== "string") {
    throw new WatchtowerError("invalid_intent", "shell: expected the command line as a string");
  }
  if (value.cwd !== undefined && (typeof value.cwd !== "string" || !value.cwd.startsWith("/"))) {
    throw new WatchtowerError("invalid_intent", "cwd: expected an absolute directory");
  }
  const decided = decideLine(value.shell, {
    guard: context.guard,
    env: lineEnvironment(context.env, context.defaults, value.cwd as string | undefined),
    tool: context.defaults.tool ?? "wt-check",
    session: sessionViews(context.env.stateDir)(context.defaults.session),
  });
  return { decided };
}

/** The batch output fields of a line (after recording). */
export function batchFields(answer: ShellAnswer): Record<string, unknown> {
  const { shell: _, ...fields } = lineJson(answer.decided);
  return fields;
}

/** Attaches what the ledger returned for a line's parts, in order. */
export function attachRecorded(answer: ShellAnswer, appended: readonly Appended[]): void {
  answer.decided.parts.forEach((part, i) => {
    part.seq = appended[i]!.seq;
    part.hash = appended[i]!.hash;
  });
}

/** The line when its parts could not be recorded: every part denied. */
export function failRecorded(answer: ShellAnswer, error: unknown): void {
  const { decided } = answer;
  const parts = decided.parts.map((part) => ({ ...part, decision: unrecordedDecision(error) }));
  answer.decided = combine(decided.line, parts, { parsed: decided.parsed });
}
