/**
 * Runs the safe commands the way users do: through the launchers `deno task install` writes,
 * for a fresh home, state directory and working directory.
 */
import { cleanEnv, REPO, type RunResult } from "./_wt.ts";

/** A user's world for safe-command tests. */
export interface ShimBox {
  home: string;
  stateDir: string;
  /** A workspace (a git root) to work in. */
  work: string;
  bin: string;
  /** Where `rm`, `cp`, `rg`, … are the safe commands. */
  realNames: string;
  env: Record<string, string>;
}

/** Installs the launchers into a fresh home and returns its paths. */
export async function shimBox(): Promise<ShimBox> {
  const home = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-shim-" }));
  const stateDir = `${home}/.watchtower`;
  const work = `${home}/work`;
  Deno.mkdirSync(`${work}/.git`, { recursive: true });
  const env = cleanEnv({ HOME: home, WATCHTOWER_DIR: stateDir, NO_COLOR: "1" });
  const install = await new Deno.Command(Deno.execPath(), {
    args: [
      "task",
      "-q",
      "--config",
      `${REPO}/deno.json`,
      "install",
      "--root",
      `${home}/prefix`,
      "--as-real-names",
      `${home}/real`,
    ],
    clearEnv: true,
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (install.code !== 0) {
    throw new Error(`install failed: ${new TextDecoder().decode(install.stderr)}`);
  }
  return { home, stateDir, work, bin: `${home}/prefix/bin`, realNames: `${home}/real`, env };
}

/** Runs a safe command's launcher in the box. */
export async function shim(
  box: ShimBox,
  name: string,
  args: string[],
  options: { cwd?: string; stdin?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const child = new Deno.Command(`${box.bin}/${name}`, {
    args,
    cwd: options.cwd ?? box.work,
    clearEnv: true,
    env: { ...box.env, ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** A parsed ledger entry, read field by field in assertions. */
// deno-lint-ignore no-explicit-any
export type EntryJson = Record<string, any>;

/** The ledger's entries in the box, parsed. */
export function ledgerEntries(box: ShimBox): EntryJson[] {
  const entries: EntryJson[] = [];
  try {
    Deno.statSync(box.stateDir);
  } catch {
    return entries; // nothing recorded yet
  }
  for (
    const name of [...Deno.readDirSync(box.stateDir)].map((e) => e.name).filter((n) =>
      n.startsWith("ledger-")
    ).sort()
  ) {
    for (const line of Deno.readTextFileSync(`${box.stateDir}/${name}`).split("\n")) {
      if (line) entries.push(JSON.parse(line));
    }
  }
  return entries;
}

/** Writes a policy file into the box's state directory. */
export function writePolicy(box: ShimBox, yaml: string): void {
  Deno.mkdirSync(box.stateDir, { recursive: true });
  Deno.writeTextFileSync(`${box.stateDir}/policy.yaml`, yaml);
}
