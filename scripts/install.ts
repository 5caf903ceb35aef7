/**
 * `deno task install [--root DIR]`: writes a launcher for every tool into DIR/bin (default
 * ~/.local). Each launcher runs the tool with its own permission set from this checkout's
 * deno.json, by absolute path, with the permission broker variable removed (it would override
 * every permission). `deno install -P` cannot be used: it drops the set (see PLATFORM.md).
 */
import { TOOLS } from "../core/tools.ts";

const repo = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");

function parse(argv: string[]): { root: string; deno: string } {
  let root: string | undefined;
  let deno = Deno.execPath();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--root") root = argv[++i];
    else if (arg.startsWith("--root=")) root = arg.slice(7);
    else if (arg === "--deno") deno = argv[++i] ?? deno;
    else if (arg === "--help" || arg === "-h") {
      console.log(
        "Usage: deno task install [--root DIR] [--deno PATH]\n\nWrites launchers into DIR/bin (default ~/.local/bin).",
      );
      Deno.exit(0);
    } else {
      console.error(`install: unknown argument '${arg}'`);
      Deno.exit(64);
    }
  }
  if (root === undefined) {
    const home = Deno.env.get("HOME");
    if (!home) {
      console.error("install: HOME is not set; give --root DIR");
      Deno.exit(64);
    }
    root = `${home}/.local`;
  }
  if (!root.startsWith("/")) root = `${Deno.cwd()}/${root}`;
  return { root, deno };
}

/** The launcher script for one tool. */
export function launcher(deno: string, tool: (typeof TOOLS)[number]): string {
  const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
  return `#!/bin/sh
# Watchtower launcher for ${tool.name}, written by \`deno task install\`.
unset DENO_PERMISSION_BROKER_PATH
exec ${quote(deno)} run -q --no-prompt --config ${
    quote(`${repo}/deno.json`)
  } -P=${tool.permissionSet} ${quote(`file://${repo}/${tool.entry}`)} "$@"
`;
}

if (import.meta.main) {
  const { root, deno } = parse(Deno.args);
  const bin = `${root}/bin`;
  Deno.mkdirSync(bin, { recursive: true });
  for (const tool of TOOLS) {
    const path = `${bin}/${tool.name}`;
    const temp = `${path}.tmp-${Deno.pid}`;
    Deno.writeTextFileSync(temp, launcher(deno, tool), { mode: 0o755 });
    Deno.chmodSync(temp, 0o755);
    Deno.renameSync(temp, path);
    console.log(`installed ${path}`);
  }
  const path = (Deno.env.get("PATH") ?? "").split(":");
  if (!path.includes(bin)) console.log(`add ${bin} to your PATH, e.g. export PATH="${bin}:$PATH"`);
  console.log("next: wt init");
}
