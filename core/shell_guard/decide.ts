/**
 * Deciding a shell line: every part (core/shell_guard/intents.ts) is decided by the guard, the
 * line's verdict is the most restrictive of theirs, and every decision is recorded before
 * anything runs (a part that is not recorded is denied). A line the analysis could not read is
 * never run, whatever the policy or its mode.
 * @module
 */
import type { ApprovalStore } from "../approvals/store.ts";
import type { WatchtowerEnvironment } from "../config.ts";
import { failClosed, type Guard, type GuardDecision, type SessionView } from "../guard.ts";
import { effectiveVerdict, type Intent, type Verdict, verdictRank, type Zone } from "../intent.ts";
import { decisionRecord, unrecordedDecision } from "../ledger/records.ts";
import type { Ledger } from "../ledger/writer.ts";
import { intentFor } from "../shim/runner.ts";
import type { ShellAnalysis } from "../shell/mod.ts";
import { type PartKind, shellParts } from "./intents.ts";
import { describePart, refusal } from "./describe.ts";

export { describePart, refusal };

/** One part of a line with its decision (and its ledger seq once recorded). */
export interface DecidedPart {
  kind: PartKind;
  intent: Intent;
  decision: GuardDecision;
  seq?: number;
  hash?: string;
}

/** The decision on a whole line. */
export interface LineDecision {
  line: string;
  /** The verdict to act on: the most restrictive part's (a blocking one is `shadow` in observe mode). */
  verdict: Verdict;
  /** The decision that gave the verdict. */
  decision: GuardDecision;
  /** Index in `parts` of the part that gave it (for an unreadable line, the finding that says so; -1 if none). */
  deciding: number;
  parts: DecidedPart[];
  parsed: boolean;
}

/** What deciding a line needs besides the line. */
export interface DecideLineOptions {
  guard: Guard;
  /** Identity and context of the intents; `cwd` is where the line runs. */
  env: WatchtowerEnvironment;
  /** `context.tool` of the intents (`wt-sh`, `wt-exec`, …). */
  tool: string;
  session?: SessionView | undefined;
}

/** The refusal of a line the analysis could not read, which no policy or mode lifts. */
const UNREADABLE = "the command line cannot be parsed, so it is never run";

/** Findings that mean the analysis did not read the whole line. */
const UNREADABLE_FINDINGS: ReadonlySet<string> = new Set([
  "unparsable",
  "too-long",
  "too-deep",
  "binary",
]);

/**
 * Decides an analysed line.
 *
 * @example
 * ```ts
 * import { decideAnalysis } from "./decide.ts";
 * import { Guard } from "../guard.ts";
 * import { loadPolicyFromText } from "../policy/mod.ts";
 * import { resolveEnvironment } from "../config.ts";
 * import { equal } from "node:assert/strict";
 * const guard = new Guard(await loadPolicyFromText("default: allow\n", { vars: {} }));
 * const env = resolveEnvironment(() => undefined, "/w");
 * const sudo = {
 *   argv: ["sudo", "id"], env: {}, redirects: [], wrappers: [], origin: "top" as const,
 *   stdinFrom: [], dynamic: [], program: "sudo", depth: 0,
 * };
 * const decided = decideAnalysis("sudo id", { parsed: true, commands: [sudo], findings: [] }, {
 *   guard, env, tool: "example",
 * });
 * equal(decided.verdict, "deny");
 * equal(decided.decision.matched_rules[0], "deny-privilege-escalation");
 * ```
 */
export function decideAnalysis(
  line: string,
  analysis: ShellAnalysis,
  options: DecideLineOptions,
): LineDecision {
  const { env, guard, tool } = options;
  const parts: DecidedPart[] = shellParts(line, analysis, { cwd: env.cwd, home: env.home }).map(
    (part) => {
      const intent = intentFor(part, env, tool);
      return { kind: part.kind, intent, decision: guard.decide(intent, options.session) };
    },
  );
  return combine(line, parts, { parsed: analysis.parsed });
}

/**
 * The line's decision from its parts' (after they are decided, or replaced when unrecorded);
 * `parsed`: whether the analysis read the whole line (if not, the line is denied whatever the
 * parts say).
 */
export function combine(
  line: string,
  parts: DecidedPart[],
  options: { parsed: boolean },
): LineDecision {
  const { parsed } = options;
  let deciding = 0;
  for (let i = 1; i < parts.length; i++) {
    const rank = verdictRank(effectiveVerdict(parts[i]!.decision));
    if (rank > verdictRank(effectiveVerdict(parts[deciding]!.decision))) deciding = i;
  }
  const top = parts[deciding]?.decision ?? failClosed("invalid_intent", "no parts");
  if (!parsed && effectiveVerdict(top) !== "deny") {
    // Deny by construction: bash may read the line otherwise than the analysis did. The parts
    // saying why the line cannot be read carry the refusal, so the ledger records what applied.
    const decision = failClosed("builtin_refusal", UNREADABLE);
    const refused = parts.map((part) =>
      part.kind === "finding" && UNREADABLE_FINDINGS.has(String(part.intent.target.finding))
        ? { ...part, decision }
        : part
    );
    const at = refused.findIndex((part) => part.decision === decision);
    return { line, verdict: "deny", decision, deciding: at, parts: refused, parsed };
  }
  return { line, verdict: effectiveVerdict(top), decision: top, deciding, parts, parsed };
}

/**
 * Records every part's decision in one append; if the ledger cannot take them, every part is
 * denied (reason `ledger_unavailable`) and the line with them.
 */
export function recordLine(ledger: Ledger | undefined, decided: LineDecision): LineDecision {
  if (!ledger) return decided;
  try {
    const appended = ledger.appendSync(
      decided.parts.map((part) => decisionRecord(part.intent, part.decision)),
    );
    decided.parts.forEach((part, i) => {
      part.seq = appended[i]!.seq;
      part.hash = appended[i]!.hash;
    });
    return decided;
  } catch (error) {
    const parts = decided.parts.map((part) => ({ ...part, decision: unrecordedDecision(error) }));
    return combine(decided.line, parts, { parsed: decided.parsed });
  }
}

/**
 * The line with its escalated parts reviewed by the approval store (a signed grant lets a part
 * through; any other escalation becomes a pending request); the line unchanged when none is.
 */
export async function reviewLine(
  decided: LineDecision,
  approvals: () => Promise<Pick<ApprovalStore, "review">>,
  zone: Zone,
): Promise<LineDecision> {
  if (!decided.parts.some((part) => part.decision.verdict === "escalate")) return decided;
  const store = await approvals();
  const parts = await Promise.all(decided.parts.map(async (part) => ({
    ...part,
    decision: await store.review(part.intent, part.decision, { zone }),
  })));
  return combine(decided.line, parts, { parsed: decided.parsed });
}
