/**
 * `deno task compile [--target T] [--out DIR]`: builds one standalone binary per tool with its
 * permission set baked in (for release machines: `deno compile` downloads its runtime).
 */
import { TOOLS } from "../core/tools.ts";

const repo = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
let target: string | undefined;
let outDir = `${repo}/dist`;
for (let i = 0; i < Deno.args.length; i++) {
  const arg = Deno.args[i]!;
  if (arg === "--target") target = Deno.args[++i];
  else if (arg === "--out") outDir = Deno.args[++i] ?? outDir;
  else {
    console.error(`compile: unknown argument '${arg}'`);
    Deno.exit(64);
  }
}
Deno.mkdirSync(outDir, { recursive: true });
for (const tool of TOOLS) {
  const args = [
    "compile",
    "--config",
    `${repo}/deno.json`,
    `-P=${tool.permissionSet}`,
    "--no-prompt",
    ...(target ? ["--target", target] : []),
    ...(tool.include ?? []).flatMap((path) => ["--include", `${repo}/${path}`]),
    "--output",
    `${outDir}/${tool.name}`,
    `${repo}/${tool.entry}`,
  ];
  console.log(`deno ${args.join(" ")}`);
  const status = await new Deno.Command(Deno.execPath(), { args }).spawn().status;
  if (!status.success) {
    console.error(`compile: ${tool.name} failed (exit ${status.code})`);
    Deno.exit(status.code || 1);
  }
}
