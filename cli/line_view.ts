/**
 * How `wt check --shell` shows a decided line (text or JSON), and the environment a line is
 * decided in; light, so that a line decided by the decision service is printed without loading
 * the analysis or the guard.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import type { GuardDecision } from "../core/guard.ts";
import type { Intent } from "../core/intent.ts";
import type { IntentDefaults } from "../core/intent_parse.ts";
import type { LineDecision } from "../core/shell_guard/decide.ts";
import { describePart } from "../core/shell_guard/describe.ts";
import { paint, paintVerdict } from "./output.ts";

/** The environment a line's intents get: the process's, with the identity flags applied. */
export function lineEnvironment(
  env: WatchtowerEnvironment,
  defaults: IntentDefaults,
  cwd?: string,
): WatchtowerEnvironment {
  return {
    ...env,
    principal: defaults.principal,
    capabilities: [...(defaults.capabilities ?? env.capabilities)],
    purpose: defaults.purpose,
    session: defaults.session,
    cwd: cwd ?? defaults.cwd ?? env.cwd,
  };
}

/** The JSON answer for a line: its verdict, the deciding decision and every part's. */
export function lineJson(decided: LineDecision): Record<string, unknown> {
  return {
    shell: decided.line,
    verdict: decided.verdict,
    parsed: decided.parsed,
    decision: decided.decision,
    parts: decided.parts.map((part) => ({
      kind: part.kind,
      intent: part.intent,
      decision: part.decision,
      ledger: part.seq !== undefined ? { seq: part.seq, hash: part.hash } : null,
    })),
  };
}

/** The line's verdict and reason, then one line per part when there are several. */
export function describeLine(decided: LineDecision): string {
  const { decision } = decided;
  const verdict = decision.mode === "observe"
    ? `${paint("dim", "OBSERVE")} (would ${paintVerdict(decision.verdict)})`
    : paintVerdict(decided.verdict);
  const part = decided.parts[decided.deciding];
  const where = part && decided.parts.length > 1 ? ` [in: ${describePart(part)}]` : "";
  const lines = [`${verdict} shell ${decided.line} — ${decision.detail}${where}`];
  if (decided.parts.length > 1) {
    for (const each of decided.parts) lines.push(`  ${describeIntent(each.intent, each.decision)}`);
  }
  return lines.join("\n");
}

function describeIntent(intent: Intent, decision: GuardDecision): string {
  const resource = String(intent.target.command ?? intent.target.path ?? "");
  const risk = paint("dim", `risk ${decision.risk_score} ${decision.risk_level}`);
  return `${
    paintVerdict(decision.verdict)
  } ${intent.domain} ${intent.operation} ${resource} — ${decision.detail} (${risk})`;
}
