/**
 * Release assets, in the shape install.sh downloads (docs/install.md):
 *
 * - `release.ts pack --target T --runtime DENO [--version V] [--out DIR]`: Deno's runtime for T
 *   (DENO, a copy of the `deno` binary built for T), every tool bundled with its npm packages,
 *   and launcher templates, packed as OUT/watchtower-T.tar.gz (default out: release/). install.sh
 *   fills the templates in on the user's machine with that user's prefix, state directory and
 *   PATH, as `deno task install` does: the release workflow packs this way;
 * - `release.ts pack --target T [--bin DIR] …`: the standalone binaries `deno task compile`
 *   wrote into dist/T/ (or DIR) instead. They fix the state directory at compile time, so they
 *   suit a deployment that builds its own release for one state directory, not a public release;
 * - `release.ts finish [--out DIR]`: adds the UTCP manual (watchtower.json) and install.sh, then
 *   writes SHA256SUMS over every asset;
 * - `release.ts check-tag TAG`: fails unless TAG is `v` and the version (cli/version.ts);
 * - `release.ts` alone: packs every target whose binaries are in dist/, then finishes.
 *
 * An archive holds one folder, `watchtower-T/`, with `VERSION`, `bin/<every tool>` and
 * `share/watchtower/watchtower.json`; with a runtime also `lib/watchtower/` (the runtime `deno`,
 * `deno.json` with the permission sets, and the bundles in `js/`).
 * @module
 */
import { createHash } from "node:crypto";
import { LAUNCHERS_FILE } from "../cli/tool_command.ts";
import { VERSION } from "../cli/version.ts";
import { TOOLS } from "../core/tools.ts";
import { TARGETS } from "./compile.ts";
import { BUILT_TOOLS, bundle, launcher } from "./install.ts";

const repo = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");

/** The checksum file's name in a release. */
export const SUMS_FILE = "SHA256SUMS";

/**
 * What install.sh replaces in the launcher templates and in `js/launchers.json` of a runtime
 * archive: the installed `lib/watchtower`, the launchers' directory, the state directory the
 * safe commands may write, and the PATH they find their real program on.
 */
export const PLACEHOLDERS = {
  lib: "@WATCHTOWER_LIB@",
  bin: "@WATCHTOWER_BIN@",
  stateDir: "@WATCHTOWER_STATE@",
  path: "@WATCHTOWER_PATH@",
} as const;

/** The archive of one target (without a version: `releases/latest/download/NAME` finds it). */
export function archiveName(target: string): string {
  return `watchtower-${target}.tar.gz`;
}

/** What {@link packArchive} packs: give `runtime` (a release) or `binDir` (compiled binaries). */
export interface PackOptions {
  /** The target the archive is for (one of compile.ts's TARGETS). */
  target: string;
  /** Where the archive is written. */
  outDir: string;
  /** The Deno runtime built for `target`, shipped once as lib/watchtower/deno. */
  runtime?: string;
  /** The folder holding one compiled binary per tool (dist/<target>/). */
  binDir?: string;
  /** The version the archive says it is (default: cli/version.ts). */
  version?: string;
  /** With binDir: the programs to pack (default: every tool of the manifest, all required). */
  names?: readonly string[];
  /** The UTCP manual to include (default: the repository's watchtower.json). */
  manual?: string;
}

/** Permissions whose values are paths (for `run`, only values with a slash: a name is looked up). */
const PATH_KINDS = new Set(["read", "write", "ffi", "run"]);

/**
 * The deno.json of a runtime archive: only the permission sets of `config` (the repository's
 * deno.json), and no lock file. Throws when a set names a relative path: Deno would resolve it
 * against the installed lib/watchtower, not what the set meant.
 *
 * @example
 * ```ts
 * import { releaseConfig } from "./release.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 * const sets = { "safe-rm": { read: true, run: ["rm"], ffi: ["/lib64/libc.so.6"] } };
 * deepEqual(releaseConfig({ tasks: {}, permissions: sets }), { permissions: sets, lock: false });
 * throws(() => releaseConfig({ permissions: { x: { write: { allow: ["./out"] } } } }), /'\.\/out'/);
 * ```
 */
export function releaseConfig(config: Record<string, unknown>): {
  permissions: Record<string, unknown>;
  lock: false;
} {
  const sets = config.permissions;
  if (typeof sets !== "object" || sets === null) {
    throw new Error("Cannot pack the permission sets: deno.json has no 'permissions' object");
  }
  for (const [name, set] of Object.entries(sets)) {
    for (const [kind, value] of Object.entries((set ?? {}) as Record<string, unknown>)) {
      if (!PATH_KINDS.has(kind)) continue;
      const lists = Array.isArray(value)
        ? [value]
        : typeof value === "object" && value !== null
        ? Object.values(value)
        : [];
      for (const entry of lists.flat()) {
        if (typeof entry !== "string" || entry.startsWith("/")) continue;
        if (kind === "run" && !entry.includes("/")) continue;
        throw new Error(
          `Cannot pack the permission sets: set '${name}' gives ${kind} the relative path '${entry}', which would resolve against the installed lib/watchtower; make it absolute in deno.json`,
        );
      }
    }
  }
  return { permissions: sets as Record<string, unknown>, lock: false };
}

/** lib/watchtower (the runtime, deno.json, the bundles) and the launcher templates in bin/. */
async function stageRuntime(root: string, target: string, runtime: string): Promise<void> {
  const missing = TOOLS.filter((tool) => !BUILT_TOOLS.includes(tool)).map((tool) => tool.entry);
  if (missing.length > 0) {
    throw new Error(`Cannot pack ${target}: no ${missing.join(", ")} in this checkout`);
  }
  const lib = `${root}/lib/watchtower`;
  const bundled = await bundle(Deno.execPath(), lib, { packages: "bundle" });
  if (!bundled) throw new Error(`Cannot pack ${target}: deno bundle failed (its output is above)`);
  try {
    await Deno.copyFile(runtime, `${lib}/deno`);
  } catch (error) {
    throw new Error(`Cannot pack ${target}: cannot copy the runtime ${runtime}`, { cause: error });
  }
  await Deno.chmod(`${lib}/deno`, 0o755);
  const config = releaseConfig(JSON.parse(await Deno.readTextFile(`${repo}/deno.json`)));
  await Deno.writeTextFile(`${lib}/deno.json`, `${JSON.stringify(config, null, 2)}\n`);
  await Deno.writeTextFile(
    `${lib}/js/${LAUNCHERS_FILE}`,
    `${JSON.stringify({ bin: PLACEHOLDERS.bin })}\n`,
  );
  const options = {
    deno: `${PLACEHOLDERS.lib}/deno`,
    config: `${PLACEHOLDERS.lib}/deno.json`,
    stateDir: PLACEHOLDERS.stateDir,
    path: PLACEHOLDERS.path,
  };
  for (const tool of TOOLS) {
    const script = `${PLACEHOLDERS.lib}${bundled.get(tool.name)!.slice(lib.length)}`;
    const text = launcher(tool, options, script)
      .replace("written by `deno task install`", "written by install.sh");
    await Deno.writeTextFile(`${root}/bin/${tool.name}`, text, { mode: 0o755 });
    await Deno.chmod(`${root}/bin/${tool.name}`, 0o755);
  }
}

/** The compiled binaries of `names` from `binDir`, in bin/. */
async function stageBinaries(root: string, options: PackOptions, binDir: string): Promise<void> {
  for (const name of options.names ?? TOOLS.map((tool) => tool.name)) {
    const from = `${binDir}/${name}`;
    try {
      await Deno.copyFile(from, `${root}/bin/${name}`);
    } catch (error) {
      throw new Error(`Cannot pack ${options.target}: ${from} is missing (deno task compile?)`, {
        cause: error,
      });
    }
    await Deno.chmod(`${root}/bin/${name}`, 0o755);
  }
}

/**
 * Packs one target into `outDir/watchtower-<target>.tar.gz` and returns its path: with
 * `runtime`, the runtime archive install.sh completes on the user's machine; with `binDir`, the
 * compiled binaries. Throws when a binary, an entry module or the runtime is missing.
 */
export async function packArchive(options: PackOptions): Promise<string> {
  const version = options.version ?? VERSION;
  if (!/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/.test(version)) {
    throw new Error(`Cannot pack version '${version}': expected MAJOR.MINOR.PATCH`);
  }
  if ((options.runtime === undefined) === (options.binDir === undefined)) {
    throw new Error(`Cannot pack ${options.target}: give either a runtime or a folder of binaries`);
  }
  const stage = await Deno.makeTempDir({ prefix: "wt-release-" });
  try {
    const top = `watchtower-${options.target}`;
    const root = `${stage}/${top}`;
    await Deno.mkdir(`${root}/bin`, { recursive: true });
    await Deno.mkdir(`${root}/share/watchtower`, { recursive: true });
    if (options.runtime !== undefined) await stageRuntime(root, options.target, options.runtime);
    else await stageBinaries(root, options, options.binDir!);
    await Deno.copyFile(
      options.manual ?? `${repo}/watchtower.json`,
      `${root}/share/watchtower/watchtower.json`,
    );
    await Deno.writeTextFile(`${root}/VERSION`, `${version}\n`);
    await Deno.mkdir(options.outDir, { recursive: true });
    const archive = `${options.outDir}/${archiveName(options.target)}`;
    const tar = await new Deno.Command("tar", {
      args: ["-czf", archive, "-C", stage, top],
      // macOS tar would add AppleDouble `._NAME` files for extended attributes.
      env: { COPYFILE_DISABLE: "1" },
      stderr: "piped",
    }).output();
    if (!tar.success) {
      throw new Error(`Cannot pack ${archive}: ${new TextDecoder().decode(tar.stderr).trim()}`);
    }
    return archive;
  } finally {
    await Deno.remove(stage, { recursive: true });
  }
}

/** The SHA-256 of a file, hex (streamed: release archives are large). */
export function sha256File(path: string): string {
  const hash = createHash("sha256");
  const file = Deno.openSync(path, { read: true });
  try {
    const chunk = new Uint8Array(1 << 20);
    for (let n = file.readSync(chunk); n !== null; n = file.readSync(chunk)) {
      hash.update(chunk.subarray(0, n));
    }
  } finally {
    file.close();
  }
  return hash.digest("hex");
}

/**
 * Writes `dir/SHA256SUMS` over every other file in `dir` (`sha256sum -c` reads it) and returns
 * its text.
 */
export function writeSums(dir: string): string {
  const names = [...Deno.readDirSync(dir)]
    .filter((entry) => entry.isFile && entry.name !== SUMS_FILE)
    .map((entry) => entry.name)
    .sort();
  const text = names.map((name) => `${sha256File(`${dir}/${name}`)}  ${name}\n`).join("");
  Deno.writeTextFileSync(`${dir}/${SUMS_FILE}`, text);
  return text;
}

/** Adds the UTCP manual and the installer to `outDir`, then writes SHA256SUMS. */
export function finishRelease(outDir: string): string {
  Deno.mkdirSync(outDir, { recursive: true });
  Deno.copyFileSync(`${repo}/watchtower.json`, `${outDir}/watchtower.json`);
  Deno.copyFileSync(`${repo}/install.sh`, `${outDir}/install.sh`);
  return writeSums(outDir);
}

/** Why `tag` cannot release this checkout, or undefined when it is `v` + the version. */
export function tagProblem(tag: string): string | undefined {
  return tag === `v${VERSION}`
    ? undefined
    : `the tag '${tag}' does not name this version: expected v${VERSION} (cli/version.ts, deno.json)`;
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  if (value === undefined) {
    console.error(`release: ${name} needs a value`);
    Deno.exit(64);
  }
  args.splice(at, 2);
  return value;
}

async function cli(argv: string[]): Promise<number> {
  const args = [...argv];
  const command = args[0]?.startsWith("--") ? undefined : args.shift();
  const outDir = option(args, "--out") ?? `${repo}/release`;
  if (command === "check-tag") {
    const problem = tagProblem(args[0] ?? "");
    if (problem) console.error(`release: ${problem}`);
    return problem ? 1 : 0;
  }
  if (command === "pack") {
    const target = option(args, "--target");
    const version = option(args, "--version");
    const runtime = option(args, "--runtime");
    const bin = option(args, "--bin");
    if (
      target === undefined || !TARGETS.includes(target) || args.length > 0 ||
      (runtime !== undefined && bin !== undefined)
    ) {
      console.error(
        `release: usage: release.ts pack --target T (--runtime DENO | [--bin DIR]) [--version V] [--out DIR]; T is one of ${
          TARGETS.join(", ")
        }`,
      );
      return 64;
    }
    const from = runtime !== undefined ? { runtime } : { binDir: bin ?? `${repo}/dist/${target}` };
    console.log(await packArchive({ target, outDir, ...from, ...(version ? { version } : {}) }));
    return 0;
  }
  if (command === "finish" && args.length === 0) {
    console.log(finishRelease(outDir).trimEnd());
    return 0;
  }
  if (command === undefined && args.length === 0) {
    const built = TARGETS.filter((target) => {
      try {
        return Deno.statSync(`${repo}/dist/${target}/wt`).isFile;
      } catch {
        return false;
      }
    });
    if (built.length === 0) {
      console.error("release: nothing in dist/: run deno task compile first");
      return 69;
    }
    for (const target of built) {
      console.log(await packArchive({ target, binDir: `${repo}/dist/${target}`, outDir }));
    }
    console.log(finishRelease(outDir).trimEnd());
    return 0;
  }
  console.error(
    "release: usage: release.ts [pack --target T | finish | check-tag TAG] [--out DIR]",
  );
  return 64;
}

if (import.meta.main) Deno.exit(await cli(Deno.args));
