/**
 * What every safe command's binary does around the shared runner: refuse to start unfenced or
 * recursively, read the environment, parse the arguments, reach the decision service (or load
 * the policy, from the cache when current: shims/_local.ts), run the plan, print one line when
 * the program did not run, and exit with the program's code or a sysexits code.
 * @module
 */
import { readEnv, resolveEnvironment, type WatchtowerEnvironment } from "../core/config.ts";
import { DeciderClient } from "../core/decider/client.ts";
import { WatchtowerError } from "../core/errors.ts";
import type { DecisionBackend } from "../core/shim/backend.ts";
import { RemoteBackend } from "../core/shim/remote.ts";
import { runPlan, type ShimPlan } from "../core/shim/runner.ts";

/** A safe command: its name, the program it wraps, its help and how it plans a run. */
export interface ShimSpec {
  name: string;
  program: string;
  usage: string;
  /** Environment variables the real program may see besides the common ones. */
  passEnv?: readonly string[];
  /** Works out the plan from the arguments; throws a `usage` WatchtowerError for bad ones. */
  plan(argv: readonly string[], env: WatchtowerEnvironment): ShimPlan | Promise<ShimPlan>;
}

/** Variables every real program may see (when set): nothing else crosses over. */
export const COMMON_ENV = ["HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM", "USER", "LOGNAME"];
/** The PATH real programs are found on when the launcher did not set one. */
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Set in every real program's environment: a safe command that finds it refuses to start. */
export const SHIM_MARK = "WATCHTOWER_SHIM";

const encoder = new TextEncoder();
const write = (stream: { writeSync(p: Uint8Array): number }) => (bytes: Uint8Array) => {
  let offset = 0;
  while (offset < bytes.length) offset += stream.writeSync(bytes.subarray(offset));
};
const say = (name: string, text: string) =>
  write(Deno.stderr)(encoder.encode(`${name}: ${text}\n`));

/** Runs a safe command with `argv` and returns its exit code. */
export async function runShim(spec: ShimSpec, argv: readonly string[]): Promise<number> {
  if ((readEnv("DENO_PERMISSION_BROKER_PATH") ?? "") !== "") {
    say(
      spec.name,
      "Cannot start: DENO_PERMISSION_BROKER_PATH is set, which would override its permissions; unset it",
    );
    return 78;
  }
  if (readEnv(SHIM_MARK) !== undefined) {
    say(
      spec.name,
      `Cannot start: it was run by another safe command (the real ${spec.program} on PATH is a Watchtower launcher); put the real programs first on the launcher's PATH`,
    );
    return 69;
  }
  if (argv.includes("--help") && !argv.slice(0, argv.indexOf("--help")).includes("--")) {
    write(Deno.stdout)(encoder.encode(`${spec.usage}\n`));
    return 0;
  }
  const env = resolveEnvironment(readEnv, Deno.cwd());
  // The decision service, if one listens, is reached while the arguments are worked out.
  const connecting = DeciderClient.connect(env.stateDir);
  let plan: ShimPlan;
  try {
    plan = await spec.plan(argv, env);
  } catch (error) {
    (await connecting)?.close();
    if (error instanceof WatchtowerError && error.code === "usage") {
      say(spec.name, `${error.message}; see ${spec.name} --help`);
      return 64;
    }
    throw error;
  }
  // The decision service when one listens (nothing else loads then), else this process decides.
  const local = async (): Promise<DecisionBackend> =>
    (await import("./_local.ts")).localBackend(env, readEnv);
  const client = await connecting;
  const backend = client ? new RemoteBackend(client, env, local) : await local();
  const result = await runPlan(plan, {
    env,
    backend,
    io: { stdout: write(Deno.stdout), stderr: write(Deno.stderr) },
    childEnv: childEnv(spec),
    redactor: async () => new (await import("../core/redact.ts")).StreamRedactor(),
  });
  client?.close();
  if (result.message) say(spec.name, result.message);
  return result.exitCode;
}

/** The real program's whole environment: PATH, the mark, and the allowed variables that are set. */
export function childEnv(spec: Pick<ShimSpec, "passEnv">): Record<string, string> {
  const env: Record<string, string> = { PATH: readEnv("PATH") || SYSTEM_PATH, [SHIM_MARK]: "1" };
  for (const name of [...COMMON_ENV, ...(spec.passEnv ?? [])]) {
    const value = readEnv(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Runs `spec` as the main module: exits with its code. */
export async function main(spec: ShimSpec): Promise<never> {
  try {
    Deno.exit(await runShim(spec, Deno.args));
  } catch (error) {
    say(
      spec.name,
      `internal error: ${error instanceof Error ? error.stack ?? error.message : error}`,
    );
    Deno.exit(70);
  }
}
