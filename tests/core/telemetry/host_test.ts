import { equal, ok } from "node:assert/strict";
import { hostName } from "../../../core/telemetry/host.ts";

Deno.test("hostName() is this host's name, one line, the same on every call", () => {
  const name = hostName();
  equal(hostName(), name);
  if (name === undefined) return; // neither Deno.hostname() nor /etc/hostname on this machine
  ok(name.length > 0 && !/\s/.test(name), JSON.stringify(name));
  equal(name, Deno.hostname(), "with the sys permission (-A), the runtime's own answer");
});

Deno.test("hostName() asks no permission it lacks: with read only (as every binary), /etc/hostname", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-host-" });
  const script = `${dir}/probe.ts`;
  const host = new URL("../../../core/telemetry/host.ts", import.meta.url).href;
  Deno.writeTextFileSync(
    script,
    `import { hostName } from ${
      JSON.stringify(host)
    };\nconsole.log(JSON.stringify(hostName() ?? null));\n`,
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  equal(output.code, 0, decoder.decode(output.stderr));
  let expected: string | null = null;
  try {
    expected = Deno.readTextFileSync("/etc/hostname").split("\n")[0]!.trim() || null;
  } catch {
    // no /etc/hostname: the name is unknown
  }
  equal(JSON.parse(decoder.decode(output.stdout)), expected);
});
