/**
 * `wt doctor`: is this machine ready for Watchtower, and what to do where it is not. One line per
 * check (OK, WARN or FAIL, and the fix): the kernel mechanisms the layers use, the state
 * directory and its ledger, the policy in force, the decision service, and the programs the
 * safe commands wrap.
 * @module
 */
import { WatchtowerError } from "../core/errors.ts";
import { DeciderClient } from "../core/decider/client.ts";
import { socketPath } from "../core/decider/protocol.ts";
import { keyPaths } from "../core/ledger/checkpoints.ts";
import { ledgerFiles, listSegments, segmentPath } from "../core/ledger/files.ts";
import { readHead } from "../core/ledger/head.ts";
import { verifyLedger } from "../core/ledger/verify.ts";
import { DEFAULT_POLICY_LABEL } from "../core/policy/mod.ts";
import { TOOLS } from "../core/tools.ts";
import { type FlagSpec, parseArgs } from "./args.ts";
import { cliEnvironment, loadCliPolicy, POLICY_FLAGS } from "./context.ts";
import { hostChecks, readHostFacts } from "./doctor_host.ts";
import { EXIT } from "./exit.ts";
import { bestDigest } from "./native_digest.ts";
import { out, paint, printJson } from "./output.ts";
import { buildInfo, describeRun } from "./version_command.ts";

/** Help text. */
export const DOCTOR_USAGE = `wt doctor — what this machine supports, and what to fix

Usage: wt doctor [--json] [--policy FILE] [--profile NAME]

Checks, each OK, WARN or FAIL with what to do about it:
  host      /proc, ptrace (the monitor), seccomp and no_new_privs (wt run), Landlock (ABI version)
  state     the state directory (exists, yours, mode 0700, writable), the ledger (its head, and
            the whole chain when it is small), the signing key
  policy    the policy in force loads (which file, profiles, mode)
  service   whether the decision service (wt daemon) answers
  programs  rg, jq, ssh and kubectl (the safe commands wrap them), Watchtower's own on PATH

Exit: 0 when nothing fails (warnings allowed), 78 when the state directory or the policy fails,
69 when the host lacks something wt run needs.`;

const FLAGS: Record<string, FlagSpec> = {
  ...POLICY_FLAGS,
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
};

/** The sections of the report, in order. */
export type CheckGroup = "host" | "state" | "policy" | "service" | "programs";

/** One line of the report. */
export interface Check {
  group: CheckGroup;
  name: string;
  status: "ok" | "warn" | "fail";
  /** What was found. */
  detail: string;
  /** What to do about it (absent when there is nothing to do). */
  fix?: string;
}

/** Ledgers up to this size are verified entry by entry; larger ones only by their head. */
const VERIFY_MAX_BYTES = 8 * 1024 * 1024;

/** How long the decision service may take to answer a ping (ms). */
const PING_TIMEOUT_MS = 2000;

/** Runs `wt doctor`. */
export async function runDoctor(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${DOCTOR_USAGE}\n`);
    return EXIT.ok;
  }
  const env = cliEnvironment();
  const info = buildInfo();
  const checks: Check[] = [
    ...hostChecks(readHostFacts()).map((check) => ({ group: "host" as const, ...check })),
    ...stateChecks(env.stateDir),
    await policyCheck(env, args),
    await serviceCheck(env),
    ...programChecks(readPath()),
  ];
  const code = doctorExit(checks);
  if (args.flags.json) {
    printJson({ ok: code === EXIT.ok, wt: info, checks });
    return code;
  }
  out(`wt ${info.version} (${info.target}), ${describeRun(info)}; deno ${info.deno}\n`);
  out(renderChecks(checks));
  return code;
}

/** The exit code for a report: 0 without failures, 78 for state or policy, else 69. */
export function doctorExit(checks: readonly Check[]): number {
  const failed = checks.filter((check) => check.status === "fail");
  if (failed.length === 0) return EXIT.ok;
  return failed.some((check) => check.group === "state" || check.group === "policy")
    ? EXIT.config
    : EXIT.unavailable;
}

/** The report for people: sections, one line per check, the fix under it. */
export function renderChecks(checks: readonly Check[]): string {
  const width = Math.max(...checks.map((check) => check.name.length));
  const lines: string[] = [];
  let group: CheckGroup | undefined;
  for (const check of checks) {
    if (check.group !== group) {
      group = check.group;
      lines.push("", group);
    }
    const label = check.status === "ok"
      ? paint("green", "OK  ")
      : check.status === "warn"
      ? paint("yellow", "WARN")
      : paint("red", "FAIL");
    lines.push(`  ${label}  ${check.name.padEnd(width)}  ${check.detail}`);
    if (check.fix) lines.push(`  ${" ".repeat(4)}  ${" ".repeat(width)}  -> ${check.fix}`);
  }
  const count = (status: Check["status"]) => checks.filter((c) => c.status === status).length;
  lines.push(
    "",
    `${count("ok")} OK, ${count("warn")} warnings, ${count("fail")} failures`,
    "",
  );
  return lines.join("\n");
}

/** The state directory, its ledger and its signing key. */
export function stateChecks(stateDir: string): Check[] {
  const check = (name: string, status: Check["status"], detail: string, fix?: string): Check => ({
    group: "state",
    name,
    status,
    detail,
    ...(fix ? { fix } : {}),
  });
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(stateDir);
  } catch (error) {
    return [
      error instanceof Deno.errors.NotFound
        ? check(
          "state directory",
          "warn",
          `${stateDir} does not exist yet`,
          "run wt init: it creates it (mode 0700) with a commented default policy",
        )
        : check("state directory", "fail", `cannot look at ${stateDir}: ${message(error)}`),
    ];
  }
  if (!info.isDirectory) {
    return [check(
      "state directory",
      "fail",
      `${stateDir} is not a directory`,
      "move it away and run wt init, or point WATCHTOWER_DIR at a directory",
    )];
  }
  const checks: Check[] = [directoryCheck(stateDir, info, check)];
  if (checks[0]!.status === "fail") return checks;
  checks.push(ledgerCheck(stateDir, check));
  const signer = keyPaths(stateDir).signer;
  checks.push(
    exists(signer) ? check("signing key", "ok", signer) : check(
      "signing key",
      "warn",
      "none: ledger checkpoints cannot be signed",
      "run wt init (it creates keys/ledger.key and keeps everything else)",
    ),
  );
  return checks;
}

type Make = (name: string, status: Check["status"], detail: string, fix?: string) => Check;

/** Readable, writable (a probe file, removed at once), ours, and closed to others. */
function directoryCheck(stateDir: string, info: Deno.FileInfo, check: Make): Check {
  const name = "state directory";
  try {
    for (const _ of Deno.readDirSync(stateDir)) break;
  } catch (error) {
    return check(name, "fail", `cannot list ${stateDir}: ${message(error)}`, fixOwner(stateDir));
  }
  let mine: number | null = null;
  try {
    const probe = Deno.makeTempFileSync({ dir: stateDir, prefix: ".doctor-" });
    try {
      mine = Deno.statSync(probe).uid;
    } finally {
      Deno.removeSync(probe);
    }
  } catch (error) {
    return check(name, "fail", `cannot write ${stateDir}: ${message(error)}`, fixOwner(stateDir));
  }
  if (mine !== null && info.uid !== null && info.uid !== mine) {
    return check(
      name,
      "fail",
      `${stateDir} belongs to uid ${info.uid}, not to you (uid ${mine}): its owner can change your policy and ledger`,
      fixOwner(stateDir),
    );
  }
  const mode = (info.mode ?? 0o700) & 0o777;
  const octal = `0${mode.toString(8)}`;
  if (mode & 0o022) {
    return check(
      name,
      "fail",
      `${stateDir} has mode ${octal}: others can change your policy and ledger`,
      `chmod 700 ${stateDir}`,
    );
  }
  if (mode & 0o077) {
    return check(
      name,
      "warn",
      `${stateDir} has mode ${octal}: others can read your policy and ledger`,
      `chmod 700 ${stateDir}`,
    );
  }
  return check(name, "ok", `${stateDir} (mode ${octal}, yours, writable)`);
}

function fixOwner(stateDir: string): string {
  return `make it yours: chown -R "$(id -un)" ${stateDir} && chmod 700 ${stateDir}`;
}

/** The head, and the whole chain when it is small enough to check in a moment. */
function ledgerCheck(stateDir: string, check: Make): Check {
  const files = ledgerFiles(stateDir);
  try {
    const head = readHead(files);
    const segments = listSegments(files);
    if (!head && segments.length === 0) {
      return check("ledger", "ok", "empty (nothing recorded yet)");
    }
    const bytes = segments.reduce((sum, index) => {
      try {
        return sum + Deno.statSync(segmentPath(files, index)).size;
      } catch {
        return sum;
      }
    }, 0);
    if (bytes > VERIFY_MAX_BYTES) {
      return check(
        "ledger",
        "ok",
        `head at entry ${head?.seq ?? "?"}, ${segments.length} segment(s), ${mib(bytes)}`,
        "wt verify checks every entry (too large to check here)",
      );
    }
    const report = verifyLedger(stateDir, { digest: bestDigest() });
    if (!report.ok) {
      const fault = report.fault!;
      return check(
        "ledger",
        "fail",
        `${fault.kind}${fault.seq !== undefined ? ` at entry ${fault.seq}` : ""}: ${fault.detail}`,
        "wt verify shows the details; wt verify --repair fixes what a crash leaves behind",
      );
    }
    const entries = `${report.entries} ${report.entries === 1 ? "entry" : "entries"}`;
    return check("ledger", "ok", `${entries} verified (${mib(bytes)})`);
  } catch (error) {
    return check(
      "ledger",
      "fail",
      message(error),
      "wt verify shows the details; wt verify --repair fixes what a crash leaves behind",
    );
  }
}

/** Whether the policy in force loads, and what it is. */
export async function policyCheck(
  env: ReturnType<typeof cliEnvironment>,
  args: ReturnType<typeof parseArgs>,
): Promise<Check> {
  try {
    const policy = await loadCliPolicy(env, args);
    const sources = policy.merged.sources;
    const file = sources.at(-1) === "<command line>" ? sources.at(-2) : sources.at(-1);
    const profiles = policy.merged.profiles.join(", ") || "none";
    const rules = policy.rules.filter((rule) => rule.kind === "policy").length;
    const where = file === DEFAULT_POLICY_LABEL ? "the built-in default (no policy file)" : file;
    const detail = `${where}; profiles: ${profiles}; mode ${policy.settings.mode}; ${rules} rules`;
    if (policy.settings.mode === "observe") {
      return {
        group: "policy",
        name: "policy",
        status: "warn",
        detail,
        fix: "observe mode records what it would decide but enforces nothing: set mode: enforce",
      };
    }
    return { group: "policy", name: "policy", status: "ok", detail };
  } catch (error) {
    if (!(error instanceof WatchtowerError)) throw error;
    return {
      group: "policy",
      name: "policy",
      status: "fail",
      detail: error.message,
      fix: "fix the file (wt policy check FILE); until then every decision is deny",
    };
  }
}

/** Whether the decision service of this state directory answers a ping. */
export async function serviceCheck(env: ReturnType<typeof cliEnvironment>): Promise<Check> {
  const socket = socketPath(env.stateDir);
  const base = { group: "service" as const, name: "decision service" };
  const client = await DeciderClient.connect(env.stateDir);
  if (!client) {
    return exists(socket)
      ? {
        ...base,
        status: "warn",
        detail: `${socket} exists but nothing answers on it`,
        fix: "wt daemon start (it replaces the stale socket), or remove the socket",
      }
      : {
        ...base,
        status: "ok",
        detail: "not running (optional: each call decides in its own process)",
        fix: "wt daemon start makes guarded calls faster",
      };
  }
  try {
    const answer = await client.call({ op: "ping", env }, PING_TIMEOUT_MS);
    if (typeof answer?.pid !== "number") {
      return {
        ...base,
        status: "warn",
        detail: `${socket} does not answer pings`,
        fix: "wt daemon stop; wt daemon start",
      };
    }
    return {
      ...base,
      status: "ok",
      detail: `running (pid ${answer.pid}, ${Number(answer.requests) || 0} requests)`,
    };
  } finally {
    client.close();
  }
}

/** Where each program the safe commands wrap comes from, when it is missing. */
const INSTALL_HINTS: Record<string, string> = {
  rg: "apt-get install ripgrep, brew install ripgrep",
  jq: "apt-get install jq, brew install jq",
  ssh: "apt-get install openssh-client (macOS has it)",
  kubectl: "apt-get install kubectl, brew install kubectl, or kubernetes.io/docs/tasks/tools",
};

/** The programs the safe commands wrap, and Watchtower's own programs, on `path`. */
export function programChecks(path: readonly string[]): Check[] {
  const checks: Check[] = [];
  for (const program of Object.keys(INSTALL_HINTS)) {
    const users = TOOLS.filter((tool) => tool.wraps === program).map((tool) => tool.name);
    const found = findProgram(program, path);
    checks.push(
      found ? { group: "programs", name: program, status: "ok", detail: found } : {
        group: "programs",
        name: program,
        status: "warn",
        detail: `not found on PATH: ${users.join(", ")} cannot run`,
        fix: `install it (${INSTALL_HINTS[program]}) if you use them`,
      },
    );
  }
  const missing = TOOLS.filter((tool) => !findProgram(tool.name, path)).map((tool) => tool.name);
  checks.push(
    missing.length === 0
      ? {
        group: "programs",
        name: "watchtower",
        status: "ok",
        detail: `all ${TOOLS.length} programs on PATH`,
      }
      : {
        group: "programs",
        name: "watchtower",
        status: "warn",
        detail: missing.length === TOOLS.length
          ? `none of Watchtower's ${TOOLS.length} programs is on PATH`
          : `not on PATH: ${missing.join(", ")}`,
        fix: "add the directory you installed into to PATH (e.g. ~/.local/bin), or install " +
          "again (install.sh, or deno task install from a checkout)",
      },
  );
  return checks;
}

/** The first executable file named `name` in the `path` directories. */
export function findProgram(name: string, path: readonly string[]): string | undefined {
  for (const dir of path) {
    if (!dir.startsWith("/")) continue;
    try {
      const info = Deno.statSync(`${dir}/${name}`);
      if (info.isFile && ((info.mode ?? 0o755) & 0o111) !== 0) return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

function readPath(): string[] {
  try {
    return (Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir !== "");
  } catch {
    return [];
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function mib(bytes: number): string {
  return bytes < 1024 * 1024
    ? `${Math.ceil(bytes / 1024)} KiB`
    : `${(bytes / 1048576).toFixed(1)} MiB`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
