/**
 * `deno task compile [--target T ...] [--out DIR]`: builds one standalone binary per tool with
 * `deno compile`, with the same permission set as its launcher, into DIR/<target>/ (default
 * dist/). It downloads Deno's runtime for each target, so it runs on release machines, not here.
 *
 * Safe commands write only the state directory; a compiled binary cannot learn it later, so it
 * is fixed now: $WATCHTOWER_DIR, else ~/.watchtower of whoever compiles (release pipelines set
 * WATCHTOWER_DIR to the deployment's state directory).
 */
import { stateDirFlags, TOOLS } from "../core/tools.ts";

const repo = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");

/** The targets release builds cover (deno compile has no BSD target: BSDs use deno task install). */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
];

/** The `deno compile` arguments for one tool and target. */
export function compileArgs(
  tool: (typeof TOOLS)[number],
  target: string,
  outDir: string,
  stateDir: string,
): string[] {
  return [
    "compile",
    "--config",
    `${repo}/deno.json`,
    `-P=${tool.permissionSet}`,
    ...stateDirFlags(tool, stateDir),
    "--no-prompt",
    "--target",
    target,
    ...[...(tool.include ?? []), ...(tool.workers ?? [])]
      .flatMap((path) => ["--include", `${repo}/${path}`]),
    "--output",
    `${outDir}/${target}/${tool.name}`,
    `${repo}/${tool.entry}`,
  ];
}

if (import.meta.main) {
  const targets: string[] = [];
  let outDir = `${repo}/dist`;
  for (let i = 0; i < Deno.args.length; i++) {
    const arg = Deno.args[i]!;
    if (arg === "--target") targets.push(Deno.args[++i] ?? "");
    else if (arg === "--out") outDir = Deno.args[++i] ?? outDir;
    else {
      console.error(`compile: unknown argument '${arg}'`);
      Deno.exit(64);
    }
  }
  for (const target of targets) {
    if (!TARGETS.includes(target)) {
      console.error(`compile: unknown target '${target}'; expected one of ${TARGETS.join(", ")}`);
      Deno.exit(64);
    }
  }
  const home = Deno.env.get("HOME") ?? "";
  const stateDir = Deno.env.get("WATCHTOWER_DIR") || `${home}/.watchtower`;
  for (const target of targets.length ? targets : TARGETS) {
    Deno.mkdirSync(`${outDir}/${target}`, { recursive: true });
    for (const tool of TOOLS) {
      const args = compileArgs(tool, target, outDir, stateDir);
      console.log(`deno ${args.join(" ")}`);
      const status = await new Deno.Command(Deno.execPath(), { args }).spawn().status;
      if (!status.success) {
        console.error(`compile: ${tool.name} for ${target} failed (exit ${status.code})`);
        Deno.exit(status.code || 1);
      }
    }
  }
}
