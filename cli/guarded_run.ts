/**
 * What `wt exec` and `wt sh` share: load the policy, decide the line, record every part, and
 * either refuse (one line on stderr, 77 or 75) or run it through the shell guard's runner with
 * its output redacted and written through.
 * @module
 */

import { Ledger } from "../core/ledger/writer.ts";
import { SessionTracker } from "../core/session/mod.ts";
import {
  combine,
  type DecideLineOptions,
  type LineDecision,
  recordLine,
  refusal,
  runLine,
  type RunLineOptions,
} from "../core/shell_guard/mod.ts";
import type { ParsedArgs } from "./args.ts";
import { cliEnvironment, loadCliPolicy, readEnv } from "./context.ts";
import { exitForVerdict } from "./exit.ts";
import { createGuard } from "./guard.ts";
import { err, writeAll } from "./output.ts";

/** What the caller runs once the line is allowed: the program, its arguments, env and stdin. */
export type GuardedProgram = Pick<RunLineOptions, "program" | "args" | "env" | "stdin">;

/**
 * Decides `decide(options)` under the policy `args` select, records it, and runs `program` if
 * the verdict lets it run. Returns the exit code: the program's, or 77/75 for a refusal.
 */
export async function guardedRun(
  tool: "wt-exec" | "wt-sh",
  args: ParsedArgs,
  decide: (options: DecideLineOptions) => LineDecision,
  program: GuardedProgram,
): Promise<number> {
  const name = tool.replace("-", " ");
  const env = cliEnvironment();
  const policy = await loadCliPolicy(env, args);
  const { sync, segmentBytes } = policy.settings.ledger;
  const ledger = new Ledger(env.stateDir, { sync, segmentBytes });
  const tracker = new SessionTracker(env.stateDir, env.session);
  const session = tracker.view(); // unknown, corrupt or ended: session_unavailable, exit 77
  let line = decide({ guard: createGuard(policy), env, tool, session });
  if (line.parts.some((part) => part.decision.verdict === "escalate")) {
    // A signed grant lets an escalated part through; others become pending requests.
    const { adapterApprovals } = await import("../core/approvals/mod.ts");
    const approvals = adapterApprovals(
      env,
      readEnv,
      (event) => ledger.appendSync([{ data: { event } }]),
      policy,
    );
    const zone = session?.zone ?? "SAFE";
    const parts = await Promise.all(line.parts.map(async (part) => ({
      ...part,
      decision: await approvals.review(part.intent, part.decision, { zone }),
    })));
    line = combine(line.line, parts, { parsed: line.parsed });
  }
  const decided = recordLine(ledger, line);
  if (decided.verdict === "deny" || decided.verdict === "escalate") {
    err(`${name}: ${refusal(decided)}`);
    return exitForVerdict(decided.verdict);
  }
  // The line goes ahead: the session moves to its zone first (recorded), or it does not run.
  const moves = decided.parts.flatMap((part) => {
    const event = tracker.advance(part.intent, part.decision);
    return event ? [{ data: { event } }] : [];
  });
  if (moves.length > 0) ledger.appendSync(moves);
  // Decided and recorded: the program needs nothing of ours but the right to start.
  Deno.permissions.revokeSync({ name: "ffi" });
  const result = await runLine(decided, {
    ledger,
    tool,
    ...program,
    io: {
      stdout: (bytes) => writeAll(Deno.stdout, bytes),
      stderr: (bytes) => writeAll(Deno.stderr, bytes),
    },
    redactor: async () => new (await import("../core/redact.ts")).StreamRedactor(),
  });
  if (result.message) err(`${name}: ${result.message}`);
  return result.exitCode;
}
