/**
 * Runs the real `wt` binary the way users do: `deno run -P=wt cli/main.ts`, with a clean
 * environment and a temporary state directory.
 */
export const REPO = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(
  /\/$/,
  "",
);

/** What a run printed and returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for one run. */
export interface RunOptions {
  env?: Record<string, string>;
  stdin?: string | Uint8Array;
  cwd?: string;
}

/** A fresh home and state directory for one test. */
export function sandbox(): { home: string; stateDir: string; env: Record<string, string> } {
  const home = Deno.makeTempDirSync({ prefix: "wt-home-" });
  const stateDir = `${home}/.watchtower`;
  return {
    home,
    stateDir,
    env: {
      HOME: home,
      WATCHTOWER_DIR: stateDir,
      WATCHTOWER_WORKSPACE: `${home}/project`,
      NO_COLOR: "1",
    },
  };
}

/** The deno arguments that run `wt ARGS` as users do: its own permission set, no prompts. */
export function wtArgs(args: string[]): string[] {
  return [
    "run",
    "-q",
    "--no-prompt",
    "--config",
    `${REPO}/deno.json`,
    "-P=wt",
    `${REPO}/cli/main.ts`,
    ...args,
  ];
}

/**
 * The deno arguments that run a tool's ENTRY under its permission set SET, as its launcher does:
 * `flags` are the launcher's extra permission flags (e.g. `--allow-write=STATE`).
 */
export function toolArgs(set: string, entry: string, flags: string[] = [], args: string[] = []) {
  return [
    "run",
    "-q",
    "--no-prompt",
    "--config",
    `${REPO}/deno.json`,
    `-P=${set}`,
    ...flags,
    `${REPO}/${entry}`,
    ...args,
  ];
}

/** The environment every spawned tool gets: a clean one plus PATH, the module cache and `env`. */
export function cleanEnv(env: Record<string, string> = {}): Record<string, string> {
  return { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...denoDir(), ...env };
}

/** Runs `wt ARGS`. */
export async function wt(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return await run(wtArgs(args), options);
}

/** Runs the deno binary with `args` and a clean environment. */
export async function run(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd ?? REPO,
    clearEnv: true,
    env: cleanEnv(options.env),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The module cache of the user running the tests, so that spawned tools need no download. */
export function denoDir(): Record<string, string> {
  const dir = Deno.env.get("DENO_DIR");
  if (dir) return { DENO_DIR: dir };
  // Keep the module cache of the user running the tests, so no download is needed.
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return { DENO_DIR: `${xdg}/deno` };
  const home = Deno.env.get("HOME");
  return home ? { DENO_DIR: `${home}/.cache/deno` } : {};
}
