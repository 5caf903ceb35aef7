/**
 * What an MCP tool call answers: the program's output when it ran, else a tool error (isError)
 * that says why nothing ran — denied with the reason, approval required with the key and the
 * `wt approve KEY` step, or bad input.
 * @module
 */
import { effectiveVerdict } from "../intent.ts";
import type { ShimResult } from "../shim/runner.ts";
import { shownName } from "./tools.ts";

/**
 * An MCP `tools/call` result: text content, and whether it is a tool error. (A type, not an
 * interface, so that it fits the SDK's result type with its index signature.)
 */
export type ToolResult = {
  content: Array<{ type: "text"; text: string }>;
  isError: boolean;
};

/** A finished run of a safe command, with what it printed (after redaction). */
export interface CallOutcome {
  /** The safe command (`safe-rm`). */
  command: string;
  result: Pick<ShimResult, "exitCode" | "verdict" | "decisions" | "seqs" | "message">;
  stdout: string;
  stderr: string;
}

const text = (value: string) => ({ type: "text" as const, text: value });

/**
 * The answer to a call that reached the guard: a refusal (denied, approval required) as a tool
 * error naming the reason; otherwise the output, as a tool error when the exit code is not 0.
 *
 * @example
 * ```ts
 * import { callResult } from "./results.ts";
 * import { equal } from "node:assert/strict";
 * const answer = callResult({
 *   command: "safe-touch",
 *   result: { exitCode: 0, verdict: "allow", decisions: [], seqs: [4, 5] },
 *   stdout: "",
 *   stderr: "",
 * });
 * equal(answer.isError, false);
 * equal(answer.content[0]?.text, "safe-touch: done (exit code 0)");
 * ```
 */
export function callResult(outcome: CallOutcome): ToolResult {
  const { command, result } = outcome;
  const seqs = result.seqs.length > 0 ? ` (ledger seq ${result.seqs.join(", ")})` : "";
  if (result.verdict === "deny" || result.verdict === "escalate") {
    const held = result.decisions.find((d) => effectiveVerdict(d) === result.verdict);
    const why = held ? `(${held.reason}): ${held.detail}` : `: ${result.message ?? "refused"}`;
    if (result.verdict === "deny") {
      return {
        content: [text(`${command} denied by Watchtower ${why}\nNothing was run${seqs}.`)],
        isError: true,
      };
    }
    const keys = result.decisions.flatMap((d) =>
      effectiveVerdict(d) === "escalate" && d.approval_key ? [d.approval_key] : []
    );
    const steps = keys.length > 0
      ? `Approval key: ${keys.join(", ")}. A human approves it with \`${
        keys.map((key) => `wt approve ${key}`).join("; ")
      }\` (\`wt pending\` lists waiting requests); then call this tool again with the same arguments.`
      : "No approval key was issued: a human must change the policy.";
    return {
      content: [text(`${command}: approval required ${why}\nNothing was run${seqs}. ${steps}`)],
      isError: true,
    };
  }
  const content = [
    ...(outcome.stdout !== "" ? [text(outcome.stdout)] : []),
    ...(outcome.stderr !== "" ? [text(`stderr:\n${outcome.stderr}`)] : []),
  ];
  const failed = result.exitCode !== 0;
  if (failed || result.message !== undefined || content.length === 0) {
    const status = failed ? `failed with exit code ${result.exitCode}` : "done (exit code 0)";
    content.push(text(`${command}: ${status}${result.message ? `: ${result.message}` : ""}`));
  }
  return { content, isError: failed };
}

/**
 * The answer to a call refused before the guard (unknown tool, bad arguments, bad usage) or
 * that failed inside Watchtower: a tool error; nothing was run.
 */
export function rejectedResult(tool: string, error: unknown): ToolResult {
  const message = error instanceof Error ? error.message : String(error);
  const said = message.startsWith("Cannot ") ? message : `${shownName(tool)}: ${message}`;
  return { content: [text(`${said}\nNothing was run.`)], isError: true };
}
