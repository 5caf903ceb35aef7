/**
 * The runner every safe command shares: decide one intent per target, record the decisions
 * (nothing runs unless its decision was recorded), then run the real program with an argument
 * array, a clean environment, a timeout and an output cap, pass its output on (redacted when
 * the verdict says so) and record the effect, linked to the decisions' seqs.
 * @module
 */
import type { WatchtowerEnvironment } from "../config.ts";
import type { GuardDecision } from "../guard.ts";
import {
  type Domain,
  effectiveVerdict,
  type Intent,
  moreRestrictive,
  permits,
  type Target,
  type Verdict,
} from "../intent.ts";
import { telemetry } from "../telemetry/mod.ts";
import type { DecisionBackend } from "./backend.ts";

/** One target's intent, as a command plans it. */
export interface PlannedIntent {
  domain: Domain;
  operation: string;
  target: Target;
}

/** What a safe command wants to do, worked out from its arguments. */
export interface ShimPlan {
  /** The command's own name (`safe-rm`). */
  tool: string;
  /** The real program it runs (`rm`), found on the launcher's PATH. */
  program: string;
  /** The real program's arguments: resolved absolute paths, `--` before operands. */
  args: string[];
  /** One intent per target. */
  intents: PlannedIntent[];
  /** A refusal no policy can lift (`rm /`), with why. */
  refusal?: string;
  /** Pass the output through the redactor whatever the verdict. */
  alwaysRedact?: boolean;
  /** Whether the real program reads the caller's stdin (default: no). */
  stdin?: boolean;
}

/** Where output goes (the adapter's stdout and stderr). */
export interface ShimIO {
  stdout(bytes: Uint8Array): void;
  stderr(bytes: Uint8Array): void;
}

/** A stream transformer for output under `redact` (see core/redact.ts). */
export interface OutputFilter {
  push(chunk: Uint8Array): Uint8Array;
  flush(): Uint8Array;
  readonly counts: Record<string, number>;
}

/** What the runner needs besides the plan. */
export interface RunOptions {
  env: WatchtowerEnvironment;
  /** Decides and records (core/shim/backend.ts: in this process, or by the decision service). */
  backend: DecisionBackend;
  io: ShimIO;
  /** The real program's whole environment (an allowlist the adapter builds). */
  childEnv: Record<string, string>;
  /** Kill the program after this long (default 120 s). */
  timeoutMs?: number;
  /** Stop passing output on (and kill the program) past this many bytes (default 64 MiB). */
  outputCapBytes?: number;
  /** Makes a redactor for one output stream (loaded only when a run needs one). */
  redactor?: () => Promise<OutputFilter>;
}

/** How a run ended. */
export interface ShimResult {
  exitCode: number;
  /** The verdict acted on (the most restrictive of the targets'). */
  verdict: Verdict;
  decisions: GuardDecision[];
  /** Seqs of the recorded decisions, then of the effect. */
  seqs: number[];
  /** One line for the user when the program did not run (or was cut short). */
  message?: string;
  approvalKeys: string[];
}

/** sysexits codes the runner returns (the program's own code otherwise). */
export const SHIM_EXIT = {
  unavailable: 69,
  internal: 70,
  approvalRequired: 75,
  denied: 77,
} as const;

/** Builds the full intent for a planned one, from the environment. */
export function intentFor(
  planned: PlannedIntent,
  env: WatchtowerEnvironment,
  tool: string,
): Intent {
  return {
    identity: {
      principal: env.principal,
      capabilities: [...env.capabilities],
      ...(env.purpose !== undefined ? { purpose: env.purpose } : {}),
    },
    domain: planned.domain,
    operation: planned.operation,
    target: planned.target,
    context: {
      cwd: env.cwd,
      workspace: env.workspace,
      tool,
      pid: Deno.pid,
      ...(env.session !== undefined ? { session: env.session } : {}),
    },
  };
}

/** Decides, records, runs and records the effect. Never throws for a policy or ledger fault. */
export function runPlan(plan: ShimPlan, options: RunOptions): Promise<ShimResult> {
  if (!telemetry) return runPlanned(plan, options);
  // With OpenTelemetry on, the whole run is a `watchtower.run` span and the decisions recorded
  // in this process its children (docs/telemetry.md).
  const { env } = options;
  return telemetry.traceRun(
    { tool: plan.tool, program: plan.program, session: env.session, principal: env.principal },
    () => runPlanned(plan, options),
    (result) => ({ verdict: result.verdict, exitCode: result.exitCode, seqs: result.seqs }),
  );
}

async function runPlanned(plan: ShimPlan, options: RunOptions): Promise<ShimResult> {
  const { backend } = options;
  const intents = plan.intents.map((planned) => intentFor(planned, options.env, plan.tool));
  const decided = await backend.decide(intents, plan.refusal);
  const { decisions } = decided;
  let { seqs } = decided;
  const verdict = decisions.map(effectiveVerdict).reduce(moreRestrictive, "allow" as Verdict);
  const approvalKeys = decisions.flatMap((d) =>
    d.verdict === "escalate" && d.approval_key ? [d.approval_key] : []
  );
  const base = { verdict, decisions, seqs, approvalKeys };
  if (verdict === "deny") {
    const denied = decisions.find((d) => effectiveVerdict(d) === "deny")!;
    return { ...base, exitCode: SHIM_EXIT.denied, message: `denied: ${denied.detail}` };
  }
  if (verdict === "escalate") {
    const held = decisions.find((d) => effectiveVerdict(d) === "escalate")!;
    return {
      ...base,
      exitCode: SHIM_EXIT.approvalRequired,
      message: `approval required (key ${
        approvalKeys.join(", ")
      }): ${held.detail}; after wt approve, run it again`,
    };
  }
  if (!permits(verdict)) return { ...base, exitCode: SHIM_EXIT.denied, message: "denied" };
  const redact = plan.alwaysRedact === true || verdict === "redact";
  let filters: [OutputFilter, OutputFilter] | undefined;
  if (redact) {
    try {
      filters = [await options.redactor!(), await options.redactor!()];
    } catch {
      // Output that must be redacted and cannot be is not shown at all.
      return {
        ...base,
        exitCode: SHIM_EXIT.denied,
        message: "denied: the output must be redacted and no redactor is available",
      };
    }
  }
  // The operation goes ahead: the session moves to its zone first (recorded), or it does not run.
  try {
    await backend.advance(intents, decisions);
  } catch (error) {
    return {
      ...base,
      exitCode: SHIM_EXIT.denied,
      message: `denied: the session's zone could not be recorded: ${
        error instanceof Error ? error.message : error
      }`,
    };
  }
  // The decision's seq goes with the program, so that the monitor can link its processes to it.
  const linked = seqs.length > 0
    ? { ...options, childEnv: { ...options.childEnv, WATCHTOWER_DECISION: String(seqs.at(-1)) } }
    : options;
  const effect = await execute(plan, linked, filters);
  // The operation already ran and its decision is recorded; the effect entry is best effort.
  const recorded = await backend.effect({
    type: "effect",
    tool: plan.tool,
    program: plan.program,
    decision_seqs: seqs,
    exit_code: effect.exitCode,
    ...(effect.signal ? { signal: effect.signal } : {}),
    duration_ms: effect.durationMs,
    stdout_bytes: effect.stdoutBytes,
    stderr_bytes: effect.stderrBytes,
    ...(effect.truncated ? { truncated: true } : {}),
    ...(effect.timedOut ? { timed_out: true } : {}),
    ...(filters ? { redactions: effect.redactions } : {}),
  });
  if (recorded !== undefined) seqs = [...seqs, recorded];
  return {
    ...base,
    seqs,
    exitCode: effect.exitCode,
    ...(effect.message ? { message: effect.message } : {}),
  };
}

interface Effect {
  exitCode: number;
  signal?: string;
  durationMs: number;
  stdoutBytes: number;
  stderrBytes: number;
  truncated: boolean;
  timedOut: boolean;
  redactions: Record<string, number>;
  message?: string;
}

async function execute(
  plan: ShimPlan,
  options: RunOptions,
  filters: [OutputFilter, OutputFilter] | undefined,
): Promise<Effect> {
  const started = performance.now();
  const effect: Effect = {
    exitCode: 0,
    durationMs: 0,
    stdoutBytes: 0,
    stderrBytes: 0,
    truncated: false,
    timedOut: false,
    redactions: {},
  };
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(plan.program, {
      args: plan.args,
      clearEnv: true,
      env: options.childEnv,
      stdin: plan.stdin ? "inherit" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    const missing = error instanceof Deno.errors.NotFound;
    return {
      ...effect,
      exitCode: missing ? SHIM_EXIT.unavailable : SHIM_EXIT.internal,
      message: missing
        ? `Cannot run ${plan.program}: it is not installed (not found on the launcher's PATH)`
        : `Cannot run ${plan.program}: ${error instanceof Error ? error.message : error}`,
    };
  }
  const cap = options.outputCapBytes ?? 64 * 1024 * 1024;
  let total = 0;
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  };
  // AbortSignal.timeout, not setTimeout: in Deno 2.9 the first setTimeout loads the Node timers
  // layer, a few milliseconds every safe command would pay.
  let running = true;
  const timeoutMs = options.timeoutMs ?? 120_000;
  AbortSignal.timeout(timeoutMs).addEventListener("abort", () => {
    if (!running) return;
    effect.timedOut = true;
    kill("SIGTERM");
    AbortSignal.timeout(2000).addEventListener("abort", () => running && kill("SIGKILL"));
  });
  const pump = async (
    stream: ReadableStream<Uint8Array>,
    sink: (b: Uint8Array) => void,
    count: "stdoutBytes" | "stderrBytes",
    filter: OutputFilter | undefined,
  ) => {
    for await (const chunk of stream) {
      effect[count] += chunk.length;
      if (total >= cap) continue; // drain, but pass nothing more on
      let piece = total + chunk.length > cap ? chunk.subarray(0, cap - total) : chunk;
      total += piece.length;
      if (total >= cap && !effect.truncated) {
        effect.truncated = true;
        kill("SIGTERM");
      }
      if (filter) piece = filter.push(piece);
      if (piece.length > 0) sink(piece);
    }
    if (filter) {
      const rest = filter.flush();
      if (rest.length > 0) sink(rest);
      for (const [kind, n] of Object.entries(filter.counts)) {
        effect.redactions[kind] = (effect.redactions[kind] ?? 0) + n;
      }
    }
  };
  await Promise.all([
    pump(child.stdout, options.io.stdout, "stdoutBytes", filters?.[0]),
    pump(child.stderr, options.io.stderr, "stderrBytes", filters?.[1]),
  ]);
  const status = await child.status;
  running = false;
  effect.durationMs = Math.round(performance.now() - started);
  effect.exitCode = status.code;
  if (status.signal) effect.signal = status.signal;
  if (effect.timedOut) {
    effect.exitCode = SHIM_EXIT.internal;
    effect.message = `${plan.program} timed out after ${
      (options.timeoutMs ?? 120_000) / 1000
    } s and was stopped`;
  } else if (effect.truncated) {
    effect.message =
      `${plan.program}'s output passed the ${cap}-byte cap; the rest was not passed on`;
  }
  return effect;
}
