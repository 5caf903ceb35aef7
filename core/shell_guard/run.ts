/**
 * Running a line the guard allowed and whose decisions are recorded (`wt exec`, `wt sh`): the
 * program gets the terminal (or, under `redact`, its output passes the redactor), its exit code
 * is passed through (128 + N when a signal ended it), SIGTERM and SIGHUP sent to us are passed
 * on, and the effect is recorded, linked to the decisions' seqs.
 * @module
 */
import { permits } from "../intent.ts";
import type { EffectEvent } from "../shim/backend.ts";
import { telemetry } from "../telemetry/mod.ts";
import type { OutputFilter, ShimIO } from "../shim/runner.ts";
import type { LineDecision } from "./decide.ts";

/** What to run for an allowed line. */
export interface RunLineOptions {
  /** Records the effect entry (best effort: a failure is ignored). */
  record(event: EffectEvent): Promise<unknown>;
  /** `context.tool` of the effect entry (`wt-sh`, `wt-exec`). */
  tool: string;
  program: string;
  args: string[];
  /** The child's whole environment, or `inherit` for this process's as it is. */
  env: Record<string, string> | "inherit";
  stdin: "inherit" | "null";
  /** Where redacted output goes (used only under `redact`). */
  io: ShimIO;
  /** Makes a redactor for one output stream, loaded only when the verdict is `redact`. */
  redactor: () => Promise<OutputFilter>;
}

/** How a run ended: the exit code to pass on, and one line for the user when it did not run. */
export interface LineRun {
  exitCode: number;
  message?: string;
}

/** sysexits codes of a run that did not get as far as the program's own code. */
export const RUN_EXIT = { unavailable: 69, internal: 70, denied: 77, config: 78 } as const;

const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

/** Runs the program of an allowed line. Throws nothing for a program that cannot start. */
export function runLine(decided: LineDecision, options: RunLineOptions): Promise<LineRun> {
  if (!telemetry) return runDecided(decided, options);
  // With OpenTelemetry on, the run is a `watchtower.run` span (docs/telemetry.md). The line's
  // decisions were recorded before, by the caller or the decision service: the span names
  // their seqs, and an effect recorded in this process is its child.
  const first = decided.parts[0]?.intent;
  const seqs = decided.parts.flatMap((part) => part.seq === undefined ? [] : [part.seq]);
  return telemetry.traceRun(
    {
      tool: options.tool,
      program: options.program,
      session: first?.context.session,
      principal: first?.identity.principal,
    },
    () => runDecided(decided, options),
    (run) => ({ verdict: decided.verdict, exitCode: run.exitCode, seqs }),
  );
}

async function runDecided(decided: LineDecision, options: RunLineOptions): Promise<LineRun> {
  if (!permits(decided.verdict)) {
    return { exitCode: RUN_EXIT.denied, message: "denied: the line was not allowed" };
  }
  const redact = decided.verdict === "redact";
  let filters: [OutputFilter, OutputFilter] | undefined;
  if (redact) {
    try {
      filters = [await options.redactor(), await options.redactor()];
    } catch {
      return {
        exitCode: RUN_EXIT.denied,
        message: "denied: the output must be redacted and no redactor is available",
      };
    }
  }
  const started = performance.now();
  let child: Deno.ChildProcess;
  try {
    // WATCHTOWER_DECISION: the seq of the decision that let the line run, so that the monitor can
    // link what the processes did to what was asked for.
    const seq = decided.parts.map((part) => part.seq).filter((n) => n !== undefined).at(-1);
    const link: Record<string, string> = seq !== undefined
      ? { WATCHTOWER_DECISION: String(seq) }
      : {};
    child = new Deno.Command(options.program, {
      args: options.args,
      ...(options.env === "inherit"
        ? { env: link }
        : { clearEnv: true, env: { ...options.env, ...link } }),
      stdin: options.stdin,
      stdout: filters ? "piped" : "inherit",
      stderr: filters ? "piped" : "inherit",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return {
        exitCode: RUN_EXIT.unavailable,
        message: `Cannot run ${options.program}: not found on PATH`,
      };
    }
    if (error instanceof Deno.errors.NotCapable) {
      return {
        exitCode: RUN_EXIT.config,
        message:
          `Cannot run ${options.program}: this binary's permission set does not allow starting it (permissions.wt.run in deno.json)`,
      };
    }
    return {
      exitCode: RUN_EXIT.internal,
      message: `Cannot run ${options.program}: ${error instanceof Error ? error.message : error}`,
    };
  }
  const forward: Array<[Deno.Signal, () => void]> = (["SIGTERM", "SIGHUP"] as const).map(
    (signal) => [signal, () => kill(child, signal)],
  );
  // Ctrl-C reaches the program from the terminal; we stay to pass its exit code on.
  forward.push(["SIGINT", () => {}]);
  for (const [signal, handler] of forward) Deno.addSignalListener(signal, handler);
  const redactions: Record<string, number> = {};
  try {
    if (filters) {
      await Promise.all([
        pump(child.stdout, options.io.stdout, filters[0], redactions),
        pump(child.stderr, options.io.stderr, filters[1], redactions),
      ]);
    }
    const status = await child.status;
    const exitCode = status.signal ? 128 + (SIGNALS[status.signal] ?? 0) : status.code;
    await recordEffect(decided, options, {
      exit_code: exitCode,
      ...(status.signal ? { signal: status.signal } : {}),
      duration_ms: Math.round(performance.now() - started),
      ...(filters ? { redactions } : {}),
    });
    return { exitCode };
  } finally {
    for (const [signal, handler] of forward) Deno.removeSignalListener(signal, handler);
  }
}

function kill(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
}

async function pump(
  stream: ReadableStream<Uint8Array>,
  sink: (bytes: Uint8Array) => void,
  filter: OutputFilter,
  redactions: Record<string, number>,
): Promise<void> {
  for await (const chunk of stream) {
    const piece = filter.push(chunk);
    if (piece.length > 0) sink(piece);
  }
  const rest = filter.flush();
  if (rest.length > 0) sink(rest);
  for (const [kind, n] of Object.entries(filter.counts)) {
    redactions[kind] = (redactions[kind] ?? 0) + n;
  }
}

async function recordEffect(
  decided: LineDecision,
  options: RunLineOptions,
  fields: Record<string, unknown>,
): Promise<void> {
  try {
    await options.record({
      type: "effect",
      tool: options.tool,
      program: options.program,
      decision_seqs: decided.parts.flatMap((part) => part.seq === undefined ? [] : [part.seq]),
      ...fields,
    });
  } catch {
    // The line already ran and its decisions are recorded; the effect entry is best effort.
  }
}
