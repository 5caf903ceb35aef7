/**
 * What every safe command's binary does around the shared runner: refuse to start unfenced or
 * recursively, read the environment, load the policy (from the cache when current), parse the
 * arguments, run the plan, print one line when the program did not run, and exit with the
 * program's code or a sysexits code.
 * @module
 */
import {
  policyOptions,
  readEnv,
  resolveEnvironment,
  type WatchtowerEnvironment,
} from "../core/config.ts";
import { WatchtowerError } from "../core/errors.ts";
import { Guard } from "../core/guard.ts";
import { Ledger } from "../core/ledger/writer.ts";
import { loadPolicyFast } from "../core/policy/cache.ts";
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
  let plan: ShimPlan;
  try {
    plan = await spec.plan(argv, env);
  } catch (error) {
    if (error instanceof WatchtowerError && error.code === "usage") {
      say(spec.name, `${error.message}; see ${spec.name} --help`);
      return 64;
    }
    throw error;
  }
  const builtinProfiles = decodeURIComponent(new URL("../profiles", import.meta.url).pathname);
  let guard: Guard;
  let ledger: Ledger;
  try {
    const policy = await loadPolicyFast(policyOptions(env, builtinProfiles));
    guard = new Guard(policy);
    const { sync, segmentBytes } = policy.settings.ledger;
    ledger = new Ledger(env.stateDir, { sync, segmentBytes });
  } catch (error) {
    if (!(error instanceof WatchtowerError)) throw error;
    guard = Guard.unavailable(error);
    ledger = new Ledger(env.stateDir);
  }
  const childEnv: Record<string, string> = {
    PATH: readEnv("PATH") || SYSTEM_PATH,
    [SHIM_MARK]: "1",
  };
  for (const name of [...COMMON_ENV, ...(spec.passEnv ?? [])]) {
    const value = readEnv(name);
    if (value !== undefined) childEnv[name] = value;
  }
  const result = await runPlan(plan, {
    env,
    guard,
    ledger,
    io: { stdout: write(Deno.stdout), stderr: write(Deno.stderr) },
    childEnv,
    redactor: async () => new (await import("../core/redact.ts")).StreamRedactor(),
    approvals: async () =>
      (await import("../core/approvals/mod.ts")).adapterApprovals(
        env,
        readEnv,
        (event) => ledger.appendSync([{ data: { event } }]),
        guard.policy,
      ),
  });
  if (result.message) say(spec.name, result.message);
  return result.exitCode;
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
