/**
 * `wt check`: decide one intent given by flags or as JSON, or a JSONL stream of them (`--batch`).
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import { WatchtowerError } from "../core/errors.ts";
import { DOMAINS, effectiveVerdict, type Intent, RESOURCE_FIELD } from "../core/intent.ts";
import { type IntentDefaults, parseIntent } from "../core/intent_parse.ts";
import { failClosed, Guard, type GuardDecision, type SessionView } from "../core/guard.ts";
import { decisionRecord, unrecordedDecision } from "../core/ledger/records.ts";
import { type Appended, Ledger } from "../core/ledger/writer.ts";
import { listFlag, parseArgs, type ParsedArgs, stringFlag, usage } from "./args.ts";
import { CHECK_FLAGS, defaultsFrom } from "./check_flags.ts";
import { cliEnvironment, loadCliPolicy } from "./context.ts";
import { createGuard } from "./guard.ts";
import { EXIT, exitForError, exitForVerdict } from "./exit.ts";
import { type Line, readLines } from "./lines.ts";
import { sessionViews } from "./session_view.ts";
import { err, out, paint, paintVerdict, printJson } from "./output.ts";

/** Help text. */
export const CHECK_USAGE = `wt check — decide an intent against the policy

Usage:
  wt check --domain D [--operation O] (--path P | --url U | --command C | --target k=v ...) [options]
  wt check [--json] -            read one intent as JSON from stdin
  wt check [--json] '{...}'      one intent as inline JSON
  wt check --batch               JSONL intents on stdin, JSONL decisions on stdout
  wt check --shell 'LINE'        decide a shell command line, part by part

An intent is {"identity", "domain", "operation", "target", "context"} (the ledger's nested
{"identity", "intent": {...}} shape works too); missing identity and context come from the
environment (WATCHTOWER_PRINCIPAL, WATCHTOWER_PURPOSE, WATCHTOWER_SESSION, the current directory).
In --batch mode a line may carry an "id", echoed back; a line {"shell": "LINE", "cwd": DIR}
decides a shell command line (docs/command-guard.md).

--shell decides every program the line would run, every file it names and whatever the
analysis could not see through; the line's verdict is the most restrictive part's (--json
shows every part). An unparsable line is denied.

Target flags:
  --path P, --url U, --command C, --host H, --text T, --method M   common target fields
  --target key=value                                               any field (repeatable)
Identity and context:
  --principal P  --purpose P  --capability C (repeatable)  --session S  --tool T  --cwd DIR
Policy:
  --policy FILE  --profile NAME (repeatable)  --mode enforce|observe  --set key=value
Output:
  --json         print the decision as JSON
  --dry-run      decide without recording in the ledger (for trying policies out)

Every decision is recorded in the ledger first; if it cannot be recorded, the verdict is deny
(reason ledger_unavailable).

Exit: 0 allow (and shadow, redact, or anything in observe mode), 77 deny, 75 escalate
(approval required), 64 bad usage, 65 bad intent (in --batch: some line was bad),
78 policy cannot be loaded.`;

/** Runs `wt check`. */
export async function runCheck(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, CHECK_FLAGS);
  if (args.flags.help) {
    out(`${CHECK_USAGE}\n`);
    return EXIT.ok;
  }
  const env = cliEnvironment();
  const defaults = defaultsFrom(env, args);
  const shell = stringFlag(args, "shell");
  if (
    shell !== undefined &&
    (args.flags.batch || args.positionals.length > 0 || stringFlag(args, "domain") !== undefined)
  ) {
    throw usage("--shell takes one line: give no intent, --domain or --batch with it");
  }
  // Read the intent before loading the policy: bad input is reported as such.
  const intent = args.flags.batch || shell !== undefined
    ? undefined
    : await readIntent(args, defaults);
  let guard: Guard;
  try {
    guard = createGuard(await loadCliPolicy(env, args));
  } catch (error) {
    if (!(error instanceof WatchtowerError)) throw error;
    err(error.message);
    return exitForError(error.code);
  }
  sessionView = sessionViews(env.stateDir);
  const { sync, segmentBytes } = guard.policy!.settings.ledger;
  const ledger = args.flags["dry-run"]
    ? undefined
    // A batch hashes thousands of entries: libcrypto's SHA-256 when available (check keeps FFI).
    : new Ledger(env.stateDir, {
      sync,
      segmentBytes,
      ...(args.flags.batch ? { digest: (await import("./native_digest.ts")).bestDigest() } : {}),
    });
  if (args.flags.batch) return await runBatch(guard, defaults, ledger, env);
  if (shell !== undefined) {
    return (await import("./check_shell.ts")).checkShell(shell, {
      guard,
      env,
      defaults,
      ledger,
      json: args.flags.json === true,
    });
  }
  let decision = decideInSession(guard, intent!);
  let recorded: Appended | undefined;
  if (ledger) {
    try {
      [recorded] = ledger.appendSync([decisionRecord(intent!, decision)]);
    } catch (error) {
      decision = unrecordedDecision(error);
    }
  }
  const ledgerInfo = recorded ? { seq: recorded.seq, hash: recorded.hash } : null;
  if (args.flags.json) printJson({ intent, decision, ledger: ledgerInfo });
  else out(`${describe(intent!, decision)}\n`);
  return exitForVerdict(effectiveVerdict(decision));
}

/**
 * The session an intent names, with its current zone (read once per session per run). A check
 * does not advance the zone: it is not an action. Throws `session_unavailable`.
 */
function decideInSession(guard: Guard, intent: Intent): GuardDecision {
  try {
    return guard.decide(intent, sessionView(intent.context.session));
  } catch (error) {
    // An unknown, corrupt or ended session: the answer is deny, recorded like any other.
    if (!(error instanceof WatchtowerError) || error.code !== "session_unavailable") throw error;
    return failClosed("session_unavailable", error.message);
  }
}

let sessionView: (id: string | undefined) => SessionView | undefined = () => undefined;

async function readIntent(args: ParsedArgs, defaults: IntentDefaults): Promise<Intent> {
  const positional = args.positionals;
  if (positional.length > 1) throw usage(`unexpected argument '${positional[1]}'`);
  const source = positional[0];
  if (source !== undefined) {
    if (source !== "-" && !source.trimStart().startsWith("{")) {
      throw usage(`unexpected argument '${source}': give '-' to read JSON from stdin`);
    }
    const text = source === "-" ? await readStdinText() : source;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new WatchtowerError(
        "invalid_intent",
        `Cannot read intent: not JSON (${error instanceof Error ? error.message : error})`,
      );
    }
    return parseIntent(value, defaults);
  }
  const domain = stringFlag(args, "domain");
  if (domain === undefined) {
    throw usage("give --domain (or an intent as JSON); see wt check --help");
  }
  if (!(DOMAINS as readonly string[]).includes(domain)) {
    throw usage(`--domain must be one of ${DOMAINS.join(", ")}`);
  }
  const target: Record<string, unknown> = {};
  for (const field of ["path", "url", "command", "host", "text", "method"]) {
    const value = stringFlag(args, field);
    if (value !== undefined) target[field] = value;
  }
  for (const pair of listFlag(args, "target")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw usage(`--target takes key=value, got '${pair}'`);
    target[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const resourceField = RESOURCE_FIELD[domain as Intent["domain"]];
  if (target[resourceField] === undefined) {
    throw usage(`a ${domain} intent needs --${resourceField} (or --target ${resourceField}=...)`);
  }
  const operation = stringFlag(args, "operation");
  return parseIntent({ domain, target, ...(operation ? { operation } : {}) }, defaults);
}

async function readStdinText(): Promise<string> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of Deno.stdin.readable) {
    length += chunk.length;
    if (length > 1 << 20) {
      throw new WatchtowerError("invalid_intent", "Cannot read intent: larger than 1 MiB");
    }
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new WatchtowerError("invalid_intent", "Cannot read intent: input is not valid UTF-8");
  }
}

/** A readable one-line summary of a decision. */
export function describe(intent: Intent, decision: GuardDecision): string {
  const resource = String(intent.target[RESOURCE_FIELD[intent.domain]] ?? "");
  const verdict = decision.mode === "observe"
    ? `${paint("dim", "OBSERVE")} (would ${paintVerdict(decision.verdict)})`
    : paintVerdict(decision.verdict);
  const risk = paint("dim", `risk ${decision.risk_score} ${decision.risk_level}`);
  return `${verdict} ${intent.domain} ${intent.operation} ${resource} — ${decision.detail} (${risk})`;
}

const MAX_LINE = 1 << 20;

/** Collects output lines and writes them in large chunks. */
class BatchOutput {
  #buffer: string[] = [];
  #size = 0;

  emit(record: unknown): void {
    const line = `${JSON.stringify(record)}\n`;
    this.#buffer.push(line);
    this.#size += line.length;
    if (this.#size > 1 << 16) this.flush();
  }

  flush(): void {
    out(this.#buffer.join(""));
    this.#buffer = [];
    this.#size = 0;
  }
}

async function runBatch(
  guard: Guard,
  defaults: IntentDefaults,
  ledger: Ledger | undefined,
  env: WatchtowerEnvironment,
): Promise<number> {
  const output = new BatchOutput();
  let failures = 0;
  let shell: ShellBatch | undefined;
  for await (const lines of readLines(Deno.stdin.readable, MAX_LINE)) {
    // Shell lines need the command guard: loaded once, when the first may have come.
    if (!shell && lines.some((line) => "bytes" in line && mentionsShell(line.bytes))) {
      shell = { module: await import("./check_shell.ts"), guard, env, defaults };
    }
    // One group commit per chunk of input: one lock and one fdatasync for many decisions.
    const answers: BatchAnswer[] = [];
    for (const line of lines) {
      const answer = decideLine(guard, defaults, line, shell);
      if (answer === undefined) continue;
      if ("error" in answer.fields) failures++;
      answers.push(answer);
    }
    recordAnswers(ledger, answers);
    for (const answer of answers) output.emit(answer.fields);
  }
  output.flush();
  return failures > 0 ? EXIT.dataError : EXIT.ok;
}

/** One output line of a batch, with what to record for it. */
interface BatchAnswer {
  fields: Record<string, unknown>;
  record?: { intent: Intent; decision: GuardDecision };
  /** A shell line: its parts are recorded in order and its fields built after. */
  shell?: { answer: ShellAnswer; module: ShellModule; base: Record<string, unknown> };
}

type ShellModule = typeof import("./check_shell.ts");
type ShellAnswer = import("./check_shell.ts").ShellAnswer;
interface ShellBatch {
  module: ShellModule;
  guard: Guard;
  env: WatchtowerEnvironment;
  defaults: IntentDefaults;
}

const SHELL_KEY = new TextEncoder().encode('"shell"');

function mentionsShell(bytes: Uint8Array): boolean {
  outer: for (
    let i = bytes.indexOf(SHELL_KEY[0]!);
    i >= 0;
    i = bytes.indexOf(SHELL_KEY[0]!, i + 1)
  ) {
    for (let j = 1; j < SHELL_KEY.length; j++) if (bytes[i + j] !== SHELL_KEY[j]) continue outer;
    return true;
  }
  return false;
}

function recordAnswers(ledger: Ledger | undefined, answers: BatchAnswer[]): void {
  const toRecord = answers.filter((answer) => answer.record || answer.shell);
  const finish = () => {
    for (const { shell, fields } of toRecord) {
      if (shell) Object.assign(fields, shell.base, shell.module.batchFields(shell.answer));
    }
  };
  if (!ledger || toRecord.length === 0) return finish();
  try {
    const appended = ledger.appendSync(
      toRecord.flatMap((answer) =>
        answer.shell
          ? answer.shell.answer.decided.parts.map((part) =>
            decisionRecord(part.intent, part.decision)
          )
          : [decisionRecord(answer.record!.intent, answer.record!.decision)]
      ),
    );
    let next = 0;
    for (const answer of toRecord) {
      if (answer.shell) {
        const count = answer.shell.answer.decided.parts.length;
        answer.shell.module.attachRecorded(answer.shell.answer, appended.slice(next, next + count));
        next += count;
      } else {
        answer.fields.ledger = { seq: appended[next]!.seq, hash: appended[next]!.hash };
        next++;
      }
    }
  } catch (error) {
    for (const answer of toRecord) {
      if (answer.shell) answer.shell.module.failRecorded(answer.shell.answer, error);
      else answer.fields.decision = unrecordedDecision(error);
    }
  }
  finish();
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decides one batch line: its answer, or undefined for a blank line. */
function decideLine(
  guard: Guard,
  defaults: IntentDefaults,
  line: Line,
  shell: ShellBatch | undefined,
): BatchAnswer | undefined {
  if ("tooLong" in line) {
    return { fields: { line: line.number, error: `line is longer than ${MAX_LINE} bytes` } };
  }
  let text: string;
  try {
    text = utf8.decode(line.bytes);
  } catch {
    return { fields: { line: line.number, error: "line is not valid UTF-8" } };
  }
  if (text.trim() === "") return undefined;
  let id: unknown;
  const fields = (rest: Record<string, unknown>) =>
    id === undefined ? { line: line.number, ...rest } : { line: line.number, id, ...rest };
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === "object" && !Array.isArray(value) && "id" in value) {
      ({ id } = value as { id: unknown });
      delete (value as { id?: unknown }).id;
    }
    if (shell && value !== null && typeof value === "object" && "shell" in value) {
      const answer = shell.module.decideBatchShell(value as Record<string, unknown>, shell);
      return { fields: fields({}), shell: { answer, module: shell.module, base: fields({}) } };
    }
    const intent = parseIntent(value, defaults);
    const decision = decideInSession(guard, intent);
    return { fields: fields({ decision }), record: { intent, decision } };
  } catch (error) {
    const message = error instanceof SyntaxError
      ? `not JSON: ${error.message}`
      : error instanceof Error
      ? error.message
      : String(error);
    return { fields: fields({ error: message }) };
  }
}
