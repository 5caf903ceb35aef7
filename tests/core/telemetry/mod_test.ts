import { equal } from "node:assert/strict";
import { otelEnabled, telemetry } from "../../../core/telemetry/mod.ts";
import { closedPortUrl } from "../../integration/_otlp.ts";

const MOD = new URL("../../../core/telemetry/mod.ts", import.meta.url).href;

async function probe(env: Record<string, string>): Promise<string> {
  const code = `import { otelEnabled, telemetry } from ${JSON.stringify(MOD)};
console.log(otelEnabled(), typeof telemetry?.recorded, typeof telemetry?.traceRun);`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout).trim();
}

Deno.test("telemetry is undefined when OTEL_DENO is off (this test process)", () => {
  equal(otelEnabled(), false);
  equal(telemetry, undefined);
});

Deno.test("telemetry is the exporter exactly when OTEL_DENO=true", async () => {
  // A closed port: whatever is exported at exit is refused at once.
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: closedPortUrl() };
  equal(await probe({ ...endpoint, OTEL_DENO: "true" }), "true function function");
  equal(await probe({ ...endpoint, OTEL_DENO: "false" }), "false undefined undefined");
  equal(await probe(endpoint), "false undefined undefined");
});
