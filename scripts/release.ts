/**
 * Release assets, in the shape install.sh downloads (docs/install.md):
 *
 * - `release.ts pack --target T [--bin DIR] [--version V] [--out DIR]`: the binaries `deno task
 *   compile` wrote into dist/T/ (or DIR), packed as OUT/watchtower-T.tar.gz (default out: release/);
 * - `release.ts finish [--out DIR]`: adds the UTCP manual (watchtower.json) and install.sh, then
 *   writes SHA256SUMS over every asset;
 * - `release.ts check-tag TAG`: fails unless TAG is `v` and the version (cli/version.ts);
 * - `release.ts` alone: packs every target found in dist/, then finishes.
 *
 * An archive holds one folder, `watchtower-T/`, with `VERSION`, `bin/<every tool>` and
 * `share/watchtower/watchtower.json`.
 * @module
 */
import { createHash } from "node:crypto";
import { VERSION } from "../cli/version.ts";
import { TOOLS } from "../core/tools.ts";
import { TARGETS } from "./compile.ts";

const repo = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");

/** The checksum file's name in a release. */
export const SUMS_FILE = "SHA256SUMS";

/** The archive of one target (without a version: `releases/latest/download/NAME` finds it). */
export function archiveName(target: string): string {
  return `watchtower-${target}.tar.gz`;
}

/** What {@link packArchive} packs. */
export interface PackOptions {
  /** The target the binaries are for (one of compile.ts's TARGETS). */
  target: string;
  /** The folder holding one binary per tool (dist/<target>/). */
  binDir: string;
  /** Where the archive is written. */
  outDir: string;
  /** The version the archive says it is (default: cli/version.ts). */
  version?: string;
  /** The programs to pack from binDir (default: every tool of the manifest, all required). */
  names?: readonly string[];
  /** The UTCP manual to include (default: the repository's watchtower.json). */
  manual?: string;
}

/**
 * Packs one target's binaries into `outDir/watchtower-<target>.tar.gz` and returns its path;
 * throws when a binary is missing.
 */
export async function packArchive(options: PackOptions): Promise<string> {
  const version = options.version ?? VERSION;
  if (!/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/.test(version)) {
    throw new Error(`Cannot pack version '${version}': expected MAJOR.MINOR.PATCH`);
  }
  const names = options.names ?? TOOLS.map((tool) => tool.name);
  const stage = await Deno.makeTempDir({ prefix: "wt-release-" });
  try {
    const top = `watchtower-${options.target}`;
    await Deno.mkdir(`${stage}/${top}/bin`, { recursive: true });
    await Deno.mkdir(`${stage}/${top}/share/watchtower`, { recursive: true });
    for (const name of names) {
      const from = `${options.binDir}/${name}`;
      try {
        await Deno.copyFile(from, `${stage}/${top}/bin/${name}`);
      } catch (error) {
        throw new Error(`Cannot pack ${options.target}: ${from} is missing (deno task compile?)`, {
          cause: error,
        });
      }
      await Deno.chmod(`${stage}/${top}/bin/${name}`, 0o755);
    }
    await Deno.copyFile(
      options.manual ?? `${repo}/watchtower.json`,
      `${stage}/${top}/share/watchtower/watchtower.json`,
    );
    await Deno.writeTextFile(`${stage}/${top}/VERSION`, `${version}\n`);
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
    const binDir = option(args, "--bin") ?? `${repo}/dist/${target}`;
    if (target === undefined || !TARGETS.includes(target) || args.length > 0) {
      console.error(
        `release: usage: release.ts pack --target T [--bin DIR] [--version V] [--out DIR]; T is one of ${
          TARGETS.join(", ")
        }`,
      );
      return 64;
    }
    console.log(await packArchive({ target, binDir, outDir, ...(version ? { version } : {}) }));
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
