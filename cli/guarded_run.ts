/**
 * What `wt exec` and `wt sh` share: load the policy, decide the line, record every part, and
 * either refuse (one line on stderr, 77 or 75) or run it through the shell guard's runner with
 * its output redacted and written through.
 * @module
 */

import { readEnv, resolveEnvironment, type WatchtowerEnvironment } from "../core/config.ts";
import { DeciderClient } from "../core/decider/client.ts";
import type { DecisionBackend } from "../core/shim/backend.ts";
import { RemoteBackend } from "../core/shim/remote.ts";
import { refusal } from "../core/shell_guard/describe.ts";
import { runLine, type RunLineOptions } from "../core/shell_guard/run.ts";
import type { ParsedArgs } from "./args.ts";
import { exitForVerdict } from "./exit.ts";
import { err, writeAll } from "./output.ts";

/** What the caller runs once the line is allowed: the program, its arguments, env and stdin. */
export type GuardedProgram = Pick<RunLineOptions, "program" | "args" | "env" | "stdin">;

/** Flags that choose the policy: with any of them, the line is decided in this process. */
const POLICY_CHOICE = ["policy", "profile", "mode", "set"];

/**
 * Decides `line` under the policy `args` select (through the decision service when one listens
 * and no policy flag is given), records it, and runs `program` if the verdict lets it run.
 * Returns the exit code: the program's, or 77/75 for a refusal.
 */
export async function guardedRun(
  tool: "wt-exec" | "wt-sh",
  args: ParsedArgs,
  line: string,
  program: GuardedProgram,
): Promise<number> {
  const name = tool.replace("-", " ");
  const env = resolveEnvironment(readEnv, Deno.cwd());
  const local = () => localBackend(env, args);
  const ownPolicy = POLICY_CHOICE.some((flag) => args.flags[flag] !== undefined);
  const client = ownPolicy ? undefined : await DeciderClient.connect(env.stateDir);
  const backend = client ? new RemoteBackend(client, env, local) : await local();
  // An unknown, corrupt or ended session throws session_unavailable: exit 77.
  const decided = await backend.line(line, tool);
  if (decided.verdict === "deny" || decided.verdict === "escalate") {
    client?.close();
    err(`${name}: ${refusal(decided)}`);
    return exitForVerdict(decided.verdict);
  }
  // The line goes ahead: the session moves to its zone first (recorded), or it does not run.
  await backend.advance(
    decided.parts.map((part) => part.intent),
    decided.parts.map((part) => part.decision),
  );
  // Decided and recorded: the program needs nothing of ours but the right to start.
  Deno.permissions.revokeSync({ name: "ffi" });
  const result = await runLine(decided, {
    record: (event) => backend.effect(event),
    tool,
    ...program,
    io: {
      stdout: (bytes) => writeAll(Deno.stdout, bytes),
      stderr: (bytes) => writeAll(Deno.stderr, bytes),
    },
    redactor: async () => new (await import("../core/redact.ts")).StreamRedactor(),
  });
  client?.close();
  if (result.message) err(`${name}: ${result.message}`);
  return result.exitCode;
}

/** This process deciding: the policy `args` select, the annotated guard, the ledger, approvals. */
async function localBackend(
  env: WatchtowerEnvironment,
  args: ParsedArgs,
): Promise<DecisionBackend> {
  const [{ LocalBackend }, { Ledger }, { loadCliPolicy }, { createGuard }] = await Promise.all([
    import("../core/shim/backend.ts"),
    import("../core/ledger/writer.ts"),
    import("./context.ts"),
    import("./guard.ts"),
  ]);
  const policy = await loadCliPolicy(env, args);
  const { sync, segmentBytes } = policy.settings.ledger;
  const ledger = new Ledger(env.stateDir, { sync, segmentBytes });
  return new LocalBackend({
    env,
    guard: createGuard(policy),
    ledger,
    approvals: async () =>
      (await import("../core/approvals/mod.ts")).adapterApprovals(
        env,
        readEnv,
        (event) => ledger.appendSync([{ data: { event } }]),
        policy,
      ),
  });
}
