/**
 * `deno task install [--root DIR] [--as-real-names DIR]`: writes a launcher for every tool into
 * DIR/bin (default ~/.local). Each launcher runs its tool with its own permission set from this
 * checkout's deno.json, by absolute path, with the permission broker variable removed (it would
 * override every permission). `deno install -P` cannot be used: it drops the set (PLATFORM.md).
 *
 * What depends on the user is resolved now and written into the launchers: the state directory
 * a safe command may write (its ledger), and the PATH its real program is found on (the
 * installer's PATH without Watchtower's own directories, so `rm` is never a launcher again).
 * With --as-real-names DIR, DIR also gets `rm`, `cp`, `rg`, … that are the safe commands: put
 * it first on an agent's PATH.
 */
import { LAUNCHERS_FILE } from "../cli/tool_command.ts";
import { REAL_NAMES, stateDirFlags, TOOLS, type ToolSpec } from "../core/tools.ts";

export { REAL_NAMES };

const repo = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");

/** The tools whose entry module exists in this checkout (a tool still being built is skipped). */
export const BUILT_TOOLS: readonly ToolSpec[] = TOOLS.filter((tool) => {
  try {
    return Deno.statSync(`${repo}/${tool.entry}`).isFile;
  } catch {
    return false;
  }
});

interface InstallOptions {
  root: string;
  realNames?: string;
  deno: string;
  stateDir: string;
  path: string;
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}

function parse(argv: string[]): InstallOptions {
  let root: string | undefined;
  let realNames: string | undefined;
  let deno = Deno.execPath();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--root") root = argv[++i];
    else if (arg.startsWith("--root=")) root = arg.slice(7);
    else if (arg === "--as-real-names") realNames = argv[++i];
    else if (arg.startsWith("--as-real-names=")) realNames = arg.slice(16);
    else if (arg === "--deno") deno = argv[++i] ?? deno;
    else if (arg === "--help" || arg === "-h") {
      console.log(
        "Usage: deno task install [--root DIR] [--as-real-names DIR] [--deno PATH]\n\n" +
          "Writes launchers into DIR/bin (default ~/.local/bin); with --as-real-names, also rm, cp, rg, …\n" +
          "that are the safe commands into that directory (put it first on an agent's PATH).",
      );
      Deno.exit(0);
    } else {
      console.error(`install: unknown argument '${arg}'`);
      Deno.exit(64);
    }
  }
  const home = Deno.env.get("HOME");
  if (root === undefined) {
    if (!home) {
      console.error("install: HOME is not set; give --root DIR");
      Deno.exit(64);
    }
    root = `${home}/.local`;
  }
  root = absolute(root);
  const stateDir = absolute(Deno.env.get("WATCHTOWER_DIR") || `${home ?? root}/.watchtower`);
  const ours = new Set([`${root}/bin`, ...(realNames ? [absolute(realNames)] : [])]);
  const path = (Deno.env.get("PATH") ?? "").split(":").filter((dir) =>
    dir.startsWith("/") && !ours.has(dir)
  );
  for (const dir of ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
    if (!path.includes(dir)) path.push(dir);
  }
  return {
    root,
    ...(realNames ? { realNames: absolute(realNames) } : {}),
    deno,
    stateDir,
    path: path.join(":"),
  };
}

const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * Bundles every tool into `lib` (one file per tool plus shared chunks; YAML, zod and the other
 * packages stay outside and load only when needed): start-up reads a few files instead of
 * dozens of modules. Returns the bundled entry of each tool, or undefined if bundling failed
 * (the launchers then run the sources).
 *
 * `packages: "bundle"` bundles the npm packages in as well (release archives,
 * scripts/release.ts): the output then has no `npm:` import and runs with an empty DENO_DIR.
 */
export async function bundle(
  deno: string,
  lib: string,
  options: { packages?: "external" | "bundle" } = {},
): Promise<Map<string, string> | undefined> {
  const out = `${lib}/js`;
  try {
    Deno.removeSync(lib, { recursive: true });
  } catch {
    // first install
  }
  Deno.mkdirSync(out, { recursive: true });
  const entries = BUILT_TOOLS.flatMap((tool) => [tool.entry, ...(tool.workers ?? [])])
    .map((entry) => `${repo}/${entry}`);
  const result = await new Deno.Command(deno, {
    args: [
      "bundle",
      "--quiet",
      "--config",
      `${repo}/deno.json`,
      `--packages=${options.packages ?? "external"}`,
      "--code-splitting",
      "--platform=deno",
      "--outdir",
      out,
      ...entries,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const reason = new TextDecoder().decode(result.stderr);
    console.error(`install: bundling failed, the launchers run the sources:\n${reason}`);
    return undefined;
  }
  deferChunkImports(out);
  // The bundles look for the built-in profiles at ../profiles, as the sources do: from an entry
  // (js/shims/x.js) that is js/profiles, from a shared chunk (js/chunk-x.js) lib/profiles.
  for (const dir of [`${lib}/profiles`, `${out}/profiles`]) {
    Deno.mkdirSync(dir, { recursive: true });
    for (const entry of Deno.readDirSync(`${repo}/profiles`)) {
      if (entry.isFile) Deno.copyFileSync(`${repo}/profiles/${entry.name}`, `${dir}/${entry.name}`);
    }
  }
  const bundled = new Map<string, string>();
  for (const tool of BUILT_TOOLS) {
    // Entries keep their folders (js/cli/main.js, js/shims/safe_rm.js).
    bundled.set(tool.name, `${out}/${tool.entry.replace(/\.ts$/, ".js")}`);
  }
  return bundled;
}

/** `import("./chunk.js")` with a literal relative specifier, as esbuild writes dynamic imports. */
const LITERAL_CHUNK_IMPORT = /\bimport\("(\.\.?\/[\w./-]+\.js)"\)/g;

/**
 * Makes the bundles' dynamic imports of their own chunks load when they run, not at start-up:
 * Deno loads (and resolves the packages of) every module named by a literal `import("…")`
 * before the program starts, so a `wt` subcommand paid for all the others (~6 ms per call).
 * `import(String("…"))` names the same file, which Deno then reads only when it is reached.
 * Returns how many imports were rewritten.
 */
export function deferChunkImports(dir: string): number {
  let count = 0;
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) {
      count += deferChunkImports(path);
      continue;
    }
    if (!entry.isFile || !entry.name.endsWith(".js")) continue;
    const text = Deno.readTextFileSync(path);
    const deferred = text.replace(LITERAL_CHUNK_IMPORT, (_, specifier: string) => {
      count++;
      return `import(String(${JSON.stringify(specifier)}))`;
    });
    if (deferred !== text) Deno.writeTextFileSync(path, deferred);
  }
  return count;
}

/**
 * The launcher script for one tool (running `script`: its bundle, or its source). `config` is
 * the deno.json holding the permission sets (default: this checkout's).
 */
export function launcher(
  tool: ToolSpec,
  options: Pick<InstallOptions, "deno" | "stateDir" | "path"> & { config?: string },
  script = `${repo}/${tool.entry}`,
): string {
  const safeCommand = tool.wraps !== undefined;
  const lines = [
    "#!/bin/sh",
    `# Watchtower launcher for ${tool.name}, written by \`deno task install\`.`,
    "unset DENO_PERMISSION_BROKER_PATH",
    // With telemetry on, a collector that hangs would hold every call's exit for Deno's default
    // 10 s per signal: half a second unless the user chose (docs/telemetry.md).
    'if [ -n "${OTEL_DENO:-}" ]; then : "${OTEL_EXPORTER_OTLP_TIMEOUT:=500}"; export OTEL_EXPORTER_OTLP_TIMEOUT; fi',
  ];
  if (safeCommand) lines.push(`PATH=${quote(options.path)}; export PATH`);
  const flags = [
    "run",
    "-q",
    "--no-prompt",
    "--config",
    quote(options.config ?? `${repo}/deno.json`),
    `-P=${tool.permissionSet}`,
    ...stateDirFlags(tool, options.stateDir).map((flag) => quote(flag)),
    quote(`file://${script}`),
  ];
  lines.push(`exec ${quote(options.deno)} ${flags.join(" ")} "$@"`, "");
  return lines.join("\n");
}

function writeExecutable(path: string, text: string): void {
  const temp = `${path}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(temp, text, { mode: 0o755 });
  Deno.chmodSync(temp, 0o755);
  Deno.renameSync(temp, path);
}

if (import.meta.main) {
  const options = parse(Deno.args);
  const bin = `${options.root}/bin`;
  Deno.mkdirSync(bin, { recursive: true });
  const bundled = await bundle(options.deno, `${options.root}/lib/watchtower`);
  // How the bundled `wt` finds the other tools' launchers (cli/tool_command.ts).
  if (bundled) {
    Deno.writeTextFileSync(
      `${options.root}/lib/watchtower/js/${LAUNCHERS_FILE}`,
      `${JSON.stringify({ bin })}\n`,
    );
  }
  for (const tool of BUILT_TOOLS) {
    writeExecutable(`${bin}/${tool.name}`, launcher(tool, options, bundled?.get(tool.name)));
    console.log(`installed ${bin}/${tool.name}`);
  }
  if (options.realNames) {
    Deno.mkdirSync(options.realNames, { recursive: true });
    for (const [name, toolName] of Object.entries(REAL_NAMES)) {
      const tool = BUILT_TOOLS.find((t) => t.name === toolName);
      if (!tool) continue;
      writeExecutable(
        `${options.realNames}/${name}`,
        launcher(tool, options, bundled?.get(toolName)),
      );
      console.log(`installed ${options.realNames}/${name} (${toolName})`);
    }
  }
  const pathDirs = (Deno.env.get("PATH") ?? "").split(":");
  if (!pathDirs.includes(bin)) {
    console.log(`add ${bin} to your PATH, e.g. export PATH="${bin}:$PATH"`);
  }
  console.log(`safe commands write their ledger to ${options.stateDir}`);
  console.log("next: wt init");
}
