/**
 * `wt approve`, `wt deny` and `wt pending`: a human resolves the escalations waiting in the
 * state directory. Each change is recorded in the ledger first; if it cannot be, nothing changes.
 * @module
 */
import {
  type ApprovalEvent,
  ApprovalStore,
  type ApprovedOperation,
  type GrantScope,
  operatorDir,
  operatorKeyPaths,
  operatorSigner,
  parseGrantDuration,
  type PendingItem,
} from "../core/approvals/mod.ts";
import { RESOURCE_FIELD } from "../core/intent.ts";
import { Ledger } from "../core/ledger/writer.ts";
import { type FlagSpec, parseArgs, type ParsedArgs, stringFlag, usage } from "./args.ts";
import { cliEnvironment, readEnv } from "./context.ts";
import { EXIT } from "./exit.ts";
import { clean, jsonText, renderTable, terminalSize } from "./ledger_view.ts";
import { out } from "./output.ts";

/** Help text of `wt approve`. */
export const APPROVE_USAGE = `wt approve — let one escalated operation through

Usage: wt approve KEY [--duration D | --session] [--approver NAME] [--json]

Approves the pending request KEY (wt pending lists them): the same principal may then do exactly
that operation (same domain, operation and target) in the same session, or with no session when
the request had none. Without options the grant is used up by the next retry.

  --duration D     for a while instead: 30s, 5m, 2h or 1d (more than 0, at most 30d)
  --session        for the rest of the request's session
  --approver NAME  who approves (default: $USER, else $LOGNAME, else "operator")
  --json           print the grant and its ledger entry as JSON

Writes approvals/KEY.json in the state directory (replacing an earlier grant for KEY), signed
with the operator's key (in $WATCHTOWER_OPERATOR_DIR, default ~/.config/watchtower-operator;
made on first use), removes pending/KEY.json, and records an approval.grant event in the ledger
first. Watchtower's adapters accept only grants whose signature verifies with that key.

Exit: 0 approved, 64 bad usage or no request KEY is pending, 65 the request's file is corrupt
(wt deny KEY removes it), 78 the state directory or ledger cannot be written.`;

/** Help text of `wt deny`. */
export const DENY_USAGE = `wt deny — refuse an escalated operation

Usage: wt deny KEY [--reason TEXT] [--approver NAME] [--json]

Removes the pending request KEY (a corrupt one too) and records an approval.deny event in the
ledger. The operation stays escalated: trying it again makes a new pending request.

  --reason TEXT    why (recorded in the ledger)
  --approver NAME  who refuses (default: $USER, else $LOGNAME, else "operator")
  --json           print what was refused and its ledger entry as JSON

Exit: 0 refused, 64 bad usage or no request KEY is pending, 78 the state directory or ledger
cannot be written.`;

/** Help text of `wt pending`. */
export const PENDING_USAGE = `wt pending — escalations waiting for a human

Usage: wt pending [--json]

  --json   a JSON array: each request as stored plus file, resource and age_seconds, and
           {key, file, corrupt: true, problem} for a file that is not a valid request

Columns: key, age, principal, domain, operation, resource, reason. Files that are not valid
requests are listed after them as corrupt (wt deny KEY removes one). Then: wt approve KEY or
wt deny KEY.`;

const COMMON_FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  approver: { type: "string" },
};

/** Runs `wt approve`. */
export async function runApprove(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, {
    ...COMMON_FLAGS,
    duration: { type: "string" },
    session: { type: "boolean" },
  });
  if (args.flags.help) return done(APPROVE_USAGE);
  const key = keyOf(args, "approve");
  const duration = stringFlag(args, "duration");
  if (duration !== undefined && args.flags.session) {
    throw usage("give --duration or --session, not both");
  }
  const durationMs = duration === undefined ? undefined : parseGrantDuration(duration);
  const scope: GrantScope = durationMs !== undefined
    ? "duration"
    : args.flags.session
    ? "session"
    : "once";
  const { store, recorded } = ledgerStore();
  // Signed with the operator's key (made on first use), which adapters check (signing.ts).
  const signer = await operatorSigner(operatorKeyPaths(operatorDir(readEnv)));
  const grant = await store.grantSigned(key, {
    scope,
    approver: approverOf(args),
    ...(durationMs === undefined ? {} : { durationMs }),
  }, signer);
  if (args.flags.json) {
    out(`${jsonText({ grant, ledger: recorded[0] ?? null }, 2)}\n`);
  } else {
    const how = scope === "once"
      ? "once"
      : scope === "duration"
      ? `until ${grant.expires}`
      : `for session ${clean(grant.session!)}`;
    out(
      `approved ${key} ${how} by ${clean(grant.approver)}: ${describe(grant.operation)}${
        grant.session !== null && scope !== "session" ? ` (session ${clean(grant.session)})` : ""
      }\n`,
    );
  }
  return EXIT.ok;
}

/** Runs `wt deny`. */
export function runDeny(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { ...COMMON_FLAGS, reason: { type: "string" } });
  if (args.flags.help) return done(DENY_USAGE);
  const key = keyOf(args, "deny");
  const reason = stringFlag(args, "reason");
  const { store, recorded } = ledgerStore();
  const denied = store.deny(key, {
    approver: approverOf(args),
    ...(reason === undefined ? {} : { reason }),
  });
  if (args.flags.json) {
    out(`${jsonText({ ...denied, ledger: recorded[0] ?? null }, 2)}\n`);
  } else {
    const what = denied.request
      ? describe(denied.request)
      : `a corrupt request (${clean(denied.problem ?? "")})`;
    out(`denied ${key}: ${what}\n`);
  }
  return Promise.resolve(EXIT.ok);
}

/** Runs `wt pending`. */
export function runPending(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { help: COMMON_FLAGS.help!, json: COMMON_FLAGS.json! });
  if (args.flags.help) return done(PENDING_USAGE);
  if (args.positionals.length > 0) throw usage(`unexpected argument '${args.positionals[0]}'`);
  const now = Date.now();
  const items = new ApprovalStore(cliEnvironment().stateDir).pending();
  if (args.flags.json) {
    out(`${jsonText(items.map((item) => pendingJson(item, now)), 2)}\n`);
    return Promise.resolve(EXIT.ok);
  }
  const requests = items.flatMap((item) => item.status === "ok" ? [item.request] : []);
  const lines = requests.length === 0 ? ["no pending requests"] : renderTable(
    ["KEY", "AGE", "PRINCIPAL", "DOMAIN", "OPERATION", "RESOURCE", "REASON"].map((header) => ({
      header,
      flex: header === "RESOURCE" || header === "REASON",
    })),
    requests.map((request) => [
      request.key,
      age(now - Date.parse(request.created)),
      clean(request.principal),
      request.domain,
      clean(request.operation),
      clean(resourceOf(request)),
      clean(request.reason),
    ]),
    terminalSize()?.columns,
  );
  for (const item of items) {
    if (item.status === "corrupt") {
      lines.push(`corrupt  ${clean(item.file)}: ${clean(item.problem)}`);
    }
  }
  out(`${lines.join("\n")}\n`);
  return Promise.resolve(EXIT.ok);
}

function done(text: string): Promise<number> {
  out(`${text}\n`);
  return Promise.resolve(EXIT.ok);
}

function keyOf(args: ParsedArgs, command: string): string {
  if (args.positionals.length === 0) {
    throw usage(`wt ${command} needs the KEY of a pending request (wt pending lists them)`);
  }
  if (args.positionals.length > 1) throw usage(`unexpected argument '${args.positionals[1]}'`);
  return args.positionals[0]!;
}

function approverOf(args: ParsedArgs): string {
  return stringFlag(args, "approver") ?? nonEmpty(readEnv("USER")) ??
    nonEmpty(readEnv("LOGNAME")) ?? "operator";
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** A store whose events are appended to the ledger (a failed append aborts the change). */
function ledgerStore(): {
  store: ApprovalStore;
  recorded: Array<{ seq: number; hash: string }>;
} {
  const { stateDir } = cliEnvironment();
  const ledger = new Ledger(stateDir);
  const recorded: Array<{ seq: number; hash: string }> = [];
  const record = (event: ApprovalEvent) => {
    const [appended] = ledger.appendSync([{ data: { event }, annotations: {} }]);
    recorded.push({ seq: appended!.seq, hash: appended!.hash });
  };
  return { store: new ApprovalStore(stateDir, { record }), recorded };
}

function describe(operation: ApprovedOperation): string {
  return `${clean(operation.principal)} ${operation.domain} ${clean(operation.operation)} ${
    clean(resourceOf(operation))
  }`;
}

function resourceOf(operation: ApprovedOperation): string {
  const value = operation.target[RESOURCE_FIELD[operation.domain]];
  if (typeof value === "string") return value;
  return JSON.stringify(operation.target);
}

function pendingJson(item: PendingItem, now: number): Record<string, unknown> {
  if (item.status === "corrupt") {
    return { key: item.key, file: item.file, corrupt: true, problem: item.problem };
  }
  const { request } = item;
  return {
    ...request,
    file: item.file,
    corrupt: false,
    resource: resourceOf(request),
    age_seconds: Math.max(0, Math.floor((now - Date.parse(request.created)) / 1000)),
  };
}

/** A compact age: 42s, 5m, 3h, 2d. */
function age(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}
