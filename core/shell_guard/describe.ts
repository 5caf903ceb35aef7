/**
 * A decided part of a shell line in a few words, for messages (loaded by adapters that print
 * decisions they did not make themselves: nothing of the analysis or the guard comes with it).
 * @module
 */
import type { DecidedPart, LineDecision } from "./decide.ts";

/** A part in a few words: the command it runs, or the file and what it does to it. */
export function describePart(part: DecidedPart): string {
  const target = part.intent.target;
  if (part.kind === "finding") return `${target.finding}: ${clip(String(target.detail ?? ""))}`;
  if (part.intent.domain === "filesystem") return `${part.intent.operation} ${target.path}`;
  return clip(String(target.command ?? ""));
}

function clip(text: string): string {
  return text.length <= 120 ? text : `${text.slice(0, 119)}…`;
}

/**
 * One line an agent can act on, for a line that does not run: what was refused, why, and what
 * to do (`denied: …` or `approval required (key …): …; after wt approve, run it again`).
 */
export function refusal(decided: LineDecision): string {
  const part = decided.parts[decided.deciding];
  const where = part && decided.parts.length > 1 ? ` [in: ${describePart(part)}]` : "";
  const { decision } = decided;
  if (decided.verdict === "escalate") {
    const key = decision.approval_key ? ` (key ${decision.approval_key})` : "";
    return `approval required${key}: ${decision.detail}${where}; after wt approve, run it again`;
  }
  return `denied: ${decision.detail}${where}`;
}
