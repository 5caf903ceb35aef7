/**
 * Recorded decisions into Deno's built-in OpenTelemetry (loaded by mod.ts only when it is on):
 * per decision a `watchtower.decision` span and a log record, per event a log record, per
 * guarded run a `watchtower.run` span. Deno's exporter sends them from its own thread; nothing
 * here waits on the network, and nothing here throws.
 *
 * Deno 2.9 gives spans attributes but has no logs API: log records come only from `console`,
 * with the text as body and no attributes of ours, and `console` prints too (unless
 * OTEL_DENO_CONSOLE=replace, which would also swallow every diagnostic the tools print). So
 * the log record is made with the runtime's own log operation — the one console capture uses,
 * found by feature detection — which exports without printing; its body is the attributes as
 * JSON and it carries the decision span's trace and span ids. Without that operation, events
 * go out as `watchtower.event` spans instead and decisions as their spans alone.
 * @module
 */
import type { Appended, AppendRecord } from "../ledger/writer.ts";
import { type Attributes, entryAttributes, NOTABLE_EVENTS } from "./attributes.ts";
import { hostName } from "./host.ts";

/** Entries one ledger append wrote: the records and where each landed, in order. */
export interface AppendedBatch {
  records: readonly AppendRecord[];
  appended: readonly Appended[];
}

/** A guarded run as its span starts. */
export interface RunInfo {
  /** `safe-rm`, `wt-sh`, `wt-exec`, … */
  tool: string;
  /** The program run (`rm`, `/bin/sh`). */
  program: string;
  session?: string | undefined;
  principal?: string | undefined;
}

/** How a guarded run ended. */
export interface RunOutcome {
  /** The verdict acted on. */
  verdict: string;
  /** The exit code the tool returns (the program's own when it ran). */
  exitCode: number;
  /** Ledger seqs of the run's decisions. */
  seqs: readonly number[];
}

/** What the ledger and the runners call when telemetry is on. */
export interface Exporter {
  /** Exports entries just appended to the ledger in `ledgerDir`. Never throws. */
  recorded(ledgerDir: string, batches: readonly AppendedBatch[]): void;
  /**
   * Runs `fn` in a `watchtower.run` span, so that decisions recorded meanwhile become its
   * children. What `fn` returns or throws passes through unchanged.
   */
  traceRun<T>(run: RunInfo, fn: () => Promise<T>, outcome: (result: T) => RunOutcome): Promise<T>;
}

interface SpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

interface Span {
  spanContext(): SpanContext;
  setAttributes(attributes: Record<string, unknown>): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

interface Tracer {
  startSpan(name: string, options?: { attributes?: Record<string, unknown> }): Span;
  startActiveSpan<T>(
    name: string,
    options: { attributes?: Record<string, unknown> },
    fn: (span: Span) => T,
  ): T;
}

/** Deno 2.9's internal log operations (ext/telemetry): message, level, span, exception fields. */
interface LogOps {
  op_otel_log(
    message: string,
    level: number,
    span: undefined,
    excType: string,
    excMessage: string,
    excStack: string,
  ): void;
  op_otel_log_foreign(
    message: string,
    level: number,
    traceId: string,
    spanId: string,
    traceFlags: number,
    excType: string,
    excMessage: string,
    excStack: string,
  ): void;
}

/** Log levels of the runtime's log operation. */
const LEVEL = { info: 1, warn: 2, error: 3 } as const;

// The OpenTelemetry JS API's key for the active span in a context, which Deno's context
// manager uses too.
const SPAN_KEY = Symbol.for("OpenTelemetry Context Key SPAN");

// Attributes whose numbers are integers by nature, exported as OTLP ints (never doubles).
const INTEGER_KEYS = new Set(["watchtower.schema", "watchtower.ledger.seq"]);

/** Reasons that mean Watchtower itself could not work normally: logged as errors. */
const FAULT_REASONS = new Set([
  "policy_unavailable",
  "ledger_unavailable",
  "session_unavailable",
  "condition_error",
]);

/** The exporter, or undefined when Deno's tracer cannot be had. */
export function createExporter(): Exporter | undefined {
  let tracer: Tracer;
  try {
    tracer = Deno.telemetry.tracerProvider.getTracer("watchtower") as Tracer;
  } catch {
    return undefined;
  }
  const ops = logOps();
  const host = hostName();
  return {
    recorded(ledgerDir, batches) {
      for (const { records, appended } of batches) {
        records.forEach((record, i) => {
          const at = appended[i];
          if (!at) return;
          try {
            const attributes = entryAttributes(
              { seq: at.seq, hash: at.hash, data: record.data, annotations: record.annotations },
              { host, ledgerDir },
            );
            exportEntry(tracer, ops, attributes);
          } catch {
            // Telemetry never changes a decision; an entry it cannot export is only not exported.
          }
        });
      }
    },
    traceRun(run, fn, outcome) {
      // fn runs exactly once, whatever the tracer does: before fn is called a tracer failure
      // means running it untraced; after, its own promise is what the caller gets.
      let called = false;
      let running: ReturnType<typeof fn> | undefined;
      try {
        return tracer.startActiveSpan(
          "watchtower.run",
          { attributes: spanAttributes(runAttributes(run, host)) },
          (span) => {
            called = true;
            running = fn();
            const settled = settle(span, running, outcome);
            // Should the tracer fail after this, `settled` is dropped: never an unhandled
            // rejection (whoever awaits it still gets the rejection).
            settled.catch(() => {});
            return settled;
          },
        );
      } catch (error) {
        if (running) return running;
        if (called) throw error; // fn itself threw
        return fn();
      }
    },
  };
}

function exportEntry(tracer: Tracer, ops: LogOps | undefined, attributes: Attributes): void {
  const body = JSON.stringify(attributes);
  if (attributes["watchtower.record"] === "decision") {
    const span = tracer.startSpan("watchtower.decision", {
      attributes: spanAttributes(attributes),
    });
    span.end();
    if (!ops) return;
    const { traceId, spanId, traceFlags } = span.spanContext();
    ops.op_otel_log_foreign(body, levelOf(attributes), traceId, spanId, traceFlags, "", "", "");
    return;
  }
  if (!ops) {
    tracer.startSpan("watchtower.event", { attributes: spanAttributes(attributes) }).end();
    return;
  }
  const active = activeSpanContext();
  const level = NOTABLE_EVENTS.has(String(attributes["watchtower.event.type"]))
    ? LEVEL.warn
    : LEVEL.info;
  if (active) {
    const { traceId, spanId, traceFlags } = active;
    ops.op_otel_log_foreign(body, level, traceId, spanId, traceFlags, "", "", "");
  } else {
    ops.op_otel_log(body, level, undefined, "", "", "");
  }
}

function levelOf(attributes: Attributes): number {
  if (FAULT_REASONS.has(String(attributes["watchtower.reason"]))) return LEVEL.error;
  const verdict = attributes["watchtower.verdict"];
  return verdict === "deny" || verdict === "escalate" ? LEVEL.warn : LEVEL.info;
}

async function settle<T>(
  span: Span,
  running: Promise<T>,
  outcome: (result: T) => RunOutcome,
): Promise<T> {
  try {
    const result = await running;
    quietly(() => span.setAttributes(spanAttributes(outcomeAttributes(outcome(result)))));
    return result;
  } catch (error) {
    quietly(() =>
      span.setStatus({ code: 2, message: error instanceof Error ? error.message : String(error) })
    );
    throw error;
  } finally {
    quietly(() => span.end());
  }
}

function runAttributes(run: RunInfo, host: string | undefined): Attributes {
  const out: Attributes = {
    "watchtower.tool": run.tool,
    "process.executable.name": run.program,
  };
  if (run.session) out["watchtower.session"] = run.session;
  if (run.principal) out["watchtower.principal"] = run.principal;
  if (host) out["host.name"] = host;
  return out;
}

function outcomeAttributes(outcome: RunOutcome): Attributes {
  return {
    "watchtower.verdict": outcome.verdict,
    "watchtower.exit_code": outcome.exitCode,
    "watchtower.ledger.seqs": [...outcome.seqs],
  };
}

/**
 * Attributes as Deno's span API takes them: whole numbers that are counts or positions (ledger
 * seqs, exit codes, event fields) as bigints, which Deno exports as OTLP ints; `watchtower.risk`
 * stays a double whatever its value, so that its type never flips.
 */
export function spanAttributes(attributes: Attributes): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) {
    const integral = INTEGER_KEYS.has(key) || key === "watchtower.exit_code" ||
      key === "watchtower.ledger.seqs" || key.startsWith("watchtower.event.");
    if (integral && typeof value === "number" && Number.isSafeInteger(value)) {
      out[key] = BigInt(value);
    } else if (
      integral && Array.isArray(value) &&
      value.every((item) => typeof item === "number" && Number.isSafeInteger(item))
    ) {
      out[key] = (value as number[]).map((item) => BigInt(item));
    } else {
      out[key] = value;
    }
  }
  return out;
}

function activeSpanContext(): SpanContext | undefined {
  const span = Deno.telemetry.contextManager.active()?.getValue(SPAN_KEY) as Span | undefined;
  return span?.spanContext();
}

function logOps(): LogOps | undefined {
  try {
    const deno = Deno as unknown as Record<symbol, { core?: { ops?: Partial<LogOps> } }> & {
      internal: symbol;
    };
    const ops = deno[deno.internal]?.core?.ops;
    if (
      typeof ops?.op_otel_log === "function" && typeof ops.op_otel_log_foreign === "function"
    ) {
      return ops as LogOps;
    }
  } catch {
    // a runtime without Deno.internal
  }
  return undefined;
}

function quietly(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // telemetry only
  }
}
