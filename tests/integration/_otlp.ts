/**
 * An OTLP/HTTP receiver on 127.0.0.1 for the telemetry tests, the bench and the fleet simulation
 * (scripts/fleet_sim.ts): it decodes http/json (spans and log records with their attributes),
 * counts the records of http/protobuf without decoding them, and answers as a collector does.
 * Also a black hole (accepts connections, never answers) and the address of a closed port.
 */

/** A log record as received, its attributes as plain values. */
export interface OtlpLog {
  body: string;
  severity: string;
  traceId: string;
  spanId: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

/** A span as received. */
export interface OtlpSpan {
  name: string;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

/** A running receiver. */
export interface Receiver {
  /** `http://127.0.0.1:PORT`, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  /** Requests received, by path (`/v1/logs`, `/v1/traces`, `/v1/metrics`). */
  requests: Map<string, number>;
  /** Log records and spans received, in either encoding. */
  counts: { logs: number; spans: number; bytes: number };
  logs: OtlpLog[];
  spans: OtlpSpan[];
  /** Resolves true once `predicate` holds, false after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Starts a receiver on a free port of 127.0.0.1. */
export function startReceiver(): Receiver {
  const requests = new Map<string, number>();
  const counts = { logs: 0, spans: 0, bytes: 0 };
  const logs: OtlpLog[] = [];
  const spans: OtlpSpan[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      const body = new Uint8Array(await request.arrayBuffer());
      requests.set(path, (requests.get(path) ?? 0) + 1);
      counts.bytes += body.length;
      const json = (request.headers.get("content-type") ?? "").includes("json");
      if (json) {
        const decoded = JSON.parse(new TextDecoder().decode(body));
        if (path === "/v1/logs") logs.push(...logsOf(decoded));
        if (path === "/v1/traces") spans.push(...spansOf(decoded));
        counts.logs += path === "/v1/logs" ? logsOf(decoded).length : 0;
        counts.spans += path === "/v1/traces" ? spansOf(decoded).length : 0;
        return Response.json({});
      }
      const records = countProtobufRecords(body);
      if (path === "/v1/logs") counts.logs += records;
      if (path === "/v1/traces") counts.spans += records;
      // An empty ExportXServiceResponse.
      return new Response(new Uint8Array(0), {
        headers: { "content-type": "application/x-protobuf" },
      });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    counts,
    logs,
    spans,
    waitFor: (predicate, timeoutMs = 5000) => waitFor(predicate, timeoutMs),
    close: () => server.shutdown(),
  };
}

/** A listener that accepts connections and never answers: a collector that hangs. */
export function startBlackHole(): { url: string; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    try {
      for await (const conn of listener) held.push(conn);
    } catch {
      // closed
    }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    close() {
      for (const conn of held) {
        try {
          conn.close();
        } catch {
          // already closed by the peer
        }
      }
      listener.close();
    },
  };
}

/** The URL of a port on 127.0.0.1 that nothing listens on (connections are refused). */
export function closedPortUrl(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return `http://127.0.0.1:${port}`;
}

/** The OTEL_* variables that send to `url` with the JSON encoding. */
export function otelEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OTEL_DENO: "true",
    OTEL_EXPORTER_OTLP_ENDPOINT: url,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_SERVICE_NAME: "watchtower",
    ...extra,
  };
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return predicate();
}

// deno-lint-ignore no-explicit-any
type Json = any;

/** An OTLP JSON AnyValue as a plain value (ints as numbers). */
export function plainValue(value: Json): unknown {
  if (value === null || typeof value !== "object") return value;
  if ("stringValue" in value) return value.stringValue;
  if ("intValue" in value) return Number(value.intValue);
  if ("doubleValue" in value) return value.doubleValue;
  if ("boolValue" in value) return value.boolValue;
  if ("arrayValue" in value) return (value.arrayValue.values ?? []).map(plainValue);
  if ("kvlistValue" in value) return attributesOf(value.kvlistValue.values);
  return undefined;
}

/** OTLP JSON attributes (`[{key, value}]`) as an object. */
export function attributesOf(list: Json[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) out[key] = plainValue(value);
  return out;
}

function logsOf(request: Json): OtlpLog[] {
  return (request.resourceLogs ?? []).flatMap((resourceLogs: Json) => {
    const resource = attributesOf(resourceLogs.resource?.attributes);
    return (resourceLogs.scopeLogs ?? []).flatMap((scopeLogs: Json) =>
      (scopeLogs.logRecords ?? []).map((record: Json): OtlpLog => ({
        body: String(plainValue(record.body) ?? ""),
        severity: record.severityText ?? "",
        traceId: record.traceId ?? "",
        spanId: record.spanId ?? "",
        attributes: attributesOf(record.attributes),
        resource,
      }))
    );
  });
}

function spansOf(request: Json): OtlpSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans: Json) => {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans: Json) =>
      (scopeSpans.spans ?? []).map((span: Json): OtlpSpan => ({
        name: span.name,
        scope: scopeSpans.scope?.name ?? "",
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? "",
        attributes: attributesOf(span.attributes),
        resource,
      }))
    );
  });
}

/**
 * The records (log records or spans) in an OTLP protobuf export request. Logs and traces nest
 * alike: request field 1 (resource_logs / resource_spans), in each field 2 (scope_logs /
 * scope_spans), in each field 2 (log_records / spans).
 */
export function countProtobufRecords(bytes: Uint8Array): number {
  let count = 0;
  for (const resource of fields(bytes, 1)) {
    for (const scope of fields(resource, 2)) count += fields(scope, 2).length;
  }
  return count;
}

/** The length-delimited members numbered `wanted` of one protobuf message. */
function fields(bytes: Uint8Array, wanted: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  const varint = () => {
    let value = 0;
    let shift = 0;
    while (at < bytes.length) {
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
      shift += 7;
    }
    return value;
  };
  while (at < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        varint();
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const length = varint();
        if (field === wanted) out.push(bytes.subarray(at, at + length));
        at += length;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        return out; // groups are not used by OTLP
    }
  }
  return out;
}
