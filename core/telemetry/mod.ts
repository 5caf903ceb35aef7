/**
 * Decisions into OpenTelemetry (docs/telemetry.md), for whoever records them: the ledger
 * (core/ledger/writer.ts) and the runners of guarded programs import {@link telemetry}.
 *
 * This entry is on every hot path, so it stays this small: when Deno's built-in OpenTelemetry is
 * off it imports nothing at all, and {@link telemetry} is undefined. The OCSF mapping
 * (`wt export --format ocsf`) is its own module, ocsf.ts, so that the hot path never loads it.
 * @module
 */
import type { Exporter } from "./exporter.ts";

export type { AppendedBatch, Exporter, RunInfo, RunOutcome } from "./exporter.ts";

/**
 * Whether Deno's built-in OpenTelemetry is on in this process (`OTEL_DENO=true`): the runtime
 * then registers its tracer as the OpenTelemetry JS API's global, and not otherwise. Needs no
 * permission (the OTEL_* variables are read by the runtime itself).
 *
 * @example
 * ```ts
 * import { otelEnabled } from "./mod.ts";
 * import { equal } from "node:assert/strict";
 * equal(typeof otelEnabled(), "boolean");
 * ```
 */
export function otelEnabled(): boolean {
  const api = (globalThis as Record<symbol, unknown>)[Symbol.for("opentelemetry.js.api.1")];
  return typeof api === "object" && api !== null && "trace" in api;
}

/** The exporter when OpenTelemetry is on (and loads), else undefined. */
export const telemetry: Exporter | undefined = otelEnabled() ? await load() : undefined;

async function load(): Promise<Exporter | undefined> {
  try {
    const { createExporter } = await import("./exporter.ts");
    return createExporter();
  } catch {
    // Telemetry that cannot load is telemetry off; the decision path does not depend on it.
    return undefined;
  }
}
