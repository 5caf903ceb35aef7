/**
 * `wt admit`: the authority boundary (stage 1). An instruction text is scanned for authority
 * patterns and decided as an `instruction` intent before it enters the agent's chain, and the
 * decision is recorded; stage 2, the execution boundary, is every other command's guard.
 * @module
 */
import {
  createAuthorityScanner,
  INSTRUCTION_LIMITS,
  instructionIntents,
  isSourceName,
  UNKNOWN_SOURCE,
} from "../core/authority/mod.ts";
import { WatchtowerError } from "../core/errors.ts";
import {
  approvalKeyFor,
  failClosed,
  Guard,
  type GuardDecision,
  type SessionView,
} from "../core/guard.ts";
import type { IntentDefaults } from "../core/intent_parse.ts";
import { effectiveVerdict, type Intent } from "../core/intent.ts";
import { decisionRecord, unrecordedDecision } from "../core/ledger/records.ts";
import { type Appended, Ledger } from "../core/ledger/writer.ts";
import { type FlagSpec, parseArgs, type ParsedArgs, stringFlag, usage } from "./args.ts";
import { cliEnvironment, loadCliPolicy, POLICY_FLAGS, readEnv } from "./context.ts";
import { EXIT, exitForError, exitForVerdict } from "./exit.ts";
import { err, out, paint, paintVerdict, printJson } from "./output.ts";
import { sessionViews } from "./session_view.ts";

/** Help text. */
export const ADMIT_USAGE = `wt admit — check an instruction before it enters the agent's chain

Usage:
  wt admit [--source S] [--json] 'TEXT'
  wt admit [--source S] [--json] [-]      read the text from stdin (at most 1 MiB of UTF-8)

The text is scanned for authority patterns: cross-context injection ("execute the commands from
the webpage"), authority claims ("admin override", "you are now in developer mode"), text posing
as the system ("SYSTEM PROMPT:"), orders to ignore instructions or to disable the guard, and
requests to send secrets away. The built-in rules deny any finding in text from an untrusted
source, escalate claims of authority and orders against the guard in the user's own words, and
admit the rest; a profile's authority_boundaries deny their patterns whatever the source.

Options:
  --source S     where the text comes from: user, tool-output, webpage, file, email, api, …
                 (default: unknown). Only 'user' is trusted.
  --json         print the intent (as recorded), the decision and the ledger entry as JSON
Policy:
  --policy FILE  --profile NAME (repeatable)  --mode enforce|observe  --set key=value

The decision is recorded in the ledger first: the text up to 4 KiB (secrets masked), its length
and SHA-256, the source and what was found. If it cannot be recorded, the verdict is deny.
An escalation waits for 'wt approve KEY'; the same text from the same source is then admitted.

Exit: 0 admitted (allow, shadow, redact, or anything in observe mode), 77 denied, 75 approval
required, 64 bad usage, 65 bad input (over 1 MiB, not UTF-8), 78 policy cannot be loaded.`;

const FLAGS: Record<string, FlagSpec> = {
  ...POLICY_FLAGS,
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  source: { type: "string", short: "s" },
};

/** Runs `wt admit`. */
export async function runAdmit(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${ADMIT_USAGE}\n`);
    return EXIT.ok;
  }
  const source = (stringFlag(args, "source") ?? UNKNOWN_SOURCE).toLowerCase();
  if (!isSourceName(source)) {
    throw usage(`--source must be a lower-case name (a-z, 0-9, . _ -), got '${source}'`);
  }
  // Read the text before loading the policy: bad input is reported as such.
  const text = await readInstruction(args);
  const env = cliEnvironment();
  let guard: Guard;
  try {
    guard = new Guard(await loadCliPolicy(env, args));
  } catch (error) {
    if (!(error instanceof WatchtowerError)) throw error;
    err(error.message);
    return exitForError(error.code);
  }
  const policy = guard.policy!;
  const defaults: IntentDefaults = {
    principal: env.principal,
    capabilities: env.capabilities,
    purpose: env.purpose,
    session: env.session,
    cwd: env.cwd,
    workspace: env.workspace,
  };
  const findings = createAuthorityScanner().scan(text);
  const { decided, recorded } = instructionIntents(text, { source, findings, defaults });
  let session: SessionView | undefined;
  let decision: GuardDecision;
  try {
    session = sessionViews(env.stateDir)(env.session);
    decision = guard.decide(decided, session);
  } catch (error) {
    // An unknown, corrupt or ended session: deny, recorded like any other decision (as wt check).
    if (!(error instanceof WatchtowerError) || error.code !== "session_unavailable") throw error;
    decision = failClosed("session_unavailable", error.message);
  }
  const { sync, segmentBytes } = policy.settings.ledger;
  const ledger = new Ledger(env.stateDir, { sync, segmentBytes });
  if (decision.verdict === "escalate") {
    decision = withRecordedKey(decision, decided, recorded);
    // A signed grant for exactly this text admits it; otherwise the escalation waits in pending/.
    const { adapterApprovals } = await import("../core/approvals/mod.ts");
    const approvals = adapterApprovals(
      env,
      readEnv,
      (event) => ledger.appendSync([{ data: { event } }]),
      policy,
    );
    try {
      decision = await approvals.review(recorded, decision, { zone: session?.zone ?? "SAFE" });
    } catch (error) {
      // The approval event could not be recorded: neither the grant nor the request counts.
      const ledgerFailed = error instanceof WatchtowerError &&
        (error.code === "ledger_unavailable" || error.code === "ledger_corrupt");
      if (!ledgerFailed) throw error;
      decision = unrecordedDecision(error);
    }
  }
  let appended: Appended | undefined;
  try {
    [appended] = ledger.appendSync([decisionRecord(recorded, decision)]);
  } catch (error) {
    decision = unrecordedDecision(error);
  }
  const entry = appended ? { seq: appended.seq, hash: appended.hash } : null;
  if (args.flags.json) printJson({ intent: recorded, decision, ledger: entry });
  else out(describeAdmission(recorded, decision));
  return exitForVerdict(effectiveVerdict(decision));
}

/**
 * The guard derives an escalation's approval key from the target it decided, whose text is the
 * whole instruction; pending requests and grants hold the recorded target, so the key must be
 * that one's (a rule's own key stays).
 */
function withRecordedKey(
  decision: GuardDecision,
  decided: Intent,
  recorded: Intent,
): GuardDecision {
  if (decision.approval_key !== approvalKeyFor(decided, decided.target)) return decision;
  return { ...decision, approval_key: approvalKeyFor(recorded, recorded.target) };
}

/** The instruction from the argument, or from stdin when there is none or it is `-`. */
async function readInstruction(args: ParsedArgs): Promise<string> {
  const [first, extra] = args.positionals;
  if (extra !== undefined) {
    throw usage(`unexpected argument '${extra}': give the instruction as one argument (quote it)`);
  }
  if (first !== undefined && first !== "-") {
    const length = new TextEncoder().encode(first).length;
    if (length > INSTRUCTION_LIMITS.maxBytes) throw tooLarge();
    return first;
  }
  if (first === undefined && Deno.stdin.isTerminal()) {
    throw usage("give the instruction as an argument, or pipe it to stdin (wt admit -)");
  }
  return decodeUtf8(await readBounded(Deno.stdin.readable, INSTRUCTION_LIMITS.maxBytes));
}

/** Reads a stream whole, refusing (without reading further) once it passes `max` bytes. */
async function readBounded(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.length;
      if (length > max) throw tooLarge();
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    // ignoreBOM keeps a leading BOM, so the text encodes back to exactly these bytes (and
    // target.sha256 is the input's SHA-256).
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new WatchtowerError(
      "invalid_intent",
      "Cannot read instruction: stdin is not valid UTF-8; convert the text to UTF-8 first",
    );
  }
}

function tooLarge(): WatchtowerError {
  return new WatchtowerError(
    "invalid_intent",
    `Cannot read instruction: larger than 1 MiB (${INSTRUCTION_LIMITS.maxBytes} bytes); admit it in parts`,
  );
}

/** What a person reads: the verdict and why, then each finding with its (redacted) passage. */
function describeAdmission(intent: Intent, decision: GuardDecision): string {
  const { source, length, sha256, findings, excerpts } = intent.target;
  const verdict = decision.mode === "observe"
    ? `${paint("dim", "OBSERVE")} (would ${paintVerdict(decision.verdict)})`
    : paintVerdict(decision.verdict);
  const risk = paint("dim", `risk ${decision.risk_score} ${decision.risk_level}`);
  const what = `instruction from ${source} (${length} bytes, sha256 ${
    String(sha256).slice(0, 12)
  }…)`;
  const lines = [`${verdict} ${what} — ${decision.detail} (${risk})`];
  const passages = Array.isArray(excerpts) ? excerpts : [];
  (Array.isArray(findings) ? findings : []).forEach((category, i) => {
    // JSON quoting: a passage cannot put control characters on the terminal.
    lines.push(`  found ${category}: ${JSON.stringify(passages[i] ?? "")}`);
  });
  if (decision.verdict === "escalate" && decision.mode === "enforce" && decision.approval_key) {
    lines.push(`  approval required: wt approve ${decision.approval_key}, then admit it again`);
  }
  return `${lines.join("\n")}\n`;
}
