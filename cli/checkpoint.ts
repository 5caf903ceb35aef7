/**
 * `wt checkpoint`: sign a checkpoint of the ledger's Merkle tree, have witnesses cosign it, and
 * publish it where the agent cannot reach; `--export-key` prints the key third parties verify
 * checkpoints with.
 * @module
 */
import { WatchtowerError } from "../core/errors.ts";
import {
  addSignatures,
  ensureKeys,
  keyPaths,
  type MadeCheckpoint,
  makeCheckpoint,
  publishToCommand,
  publishToDirectory,
  publishToUrl,
} from "../core/ledger/checkpoints.ts";
import { consistencyProof } from "../core/ledger/merkle.ts";
import { submitCheckpoint, type Witness, type WitnessOutcome } from "../core/ledger/witness.ts";
import { lastWitnessedSize, recordWitnessed } from "../core/ledger/witnesses.ts";
import { Ledger } from "../core/ledger/writer.ts";
import { type FlagSpec, listFlag, parseArgs, stringFlag, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { bestDigest } from "./native_digest.ts";
import { EXIT, exitForError } from "./exit.ts";
import { err, out, printJson } from "./output.ts";
import { submissionTargets } from "./witness_flags.ts";

/** Help text. */
export const CHECKPOINT_USAGE =
  `wt checkpoint — sign a checkpoint of the ledger, have it witnessed, publish it

Usage: wt checkpoint [--witness URL [--witness-key KEY] ...] [--witnessed] [--witness-timeout S]
                     [--publish DIR ...] [--publish-cmd CMD ...] [--publish-url URL ...] [--json]
       wt checkpoint --export-key

Verifies the ledger, then writes a C2SP tlog-checkpoint (origin, tree size, Merkle root) signed
with the state directory's Ed25519 key (keys/ledger.key, created by wt init) to
checkpoints/<size>.note and checkpoints/latest.note.

--witness URL submits it to a witness speaking C2SP tlog-witness (POST URL/add-checkpoint, with a
consistency proof from the size that witness last cosigned) and adds the witness's cosignature
to the stored note once it verifies against the witness's key: --witness-key KEY (a key text
name+id+base64, or a file holding one; one per --witness, in order) or the key pinned for that
URL in witnesses.json. --witnessed submits to every witness pinned there with a url. Each
witness gets at most two requests (the second after a 409 naming its size) within
--witness-timeout seconds (default 10); every outcome is recorded in the ledger as a
witness.cosign or witness.fail event. wt verify --witnessed then requires the cosignature.

Then the note, with its cosignatures, goes to the sinks: --publish DIR copies it to DIR (outside
the agent's reach, so that a later truncation or rewrite is caught by wt verify --checkpoint);
--publish-cmd CMD runs CMD with /bin/sh, the note on stdin and WT_CHECKPOINT_{ORIGIN,SIZE,ROOT,
FILE,COSIGNED_BY} in its environment (e.g. 'ssh audit@host "cat >> checkpoints"', or a command
appending to any external log), and fails unless CMD exits 0 within 30 s; --publish-url URL POSTs the note as text/plain. Every sink is tried; failures are
reported and recorded as checkpoint.publish_fail events.
--export-key prints the verifier key (keys/ledger.pub) for auditors and witness operators.

Exit: 0 signed, witnessed and published; 65 the ledger is not intact, or a witness contradicted
the ledger or answered with a bad cosignature; 78 a witness refused the log (403, 404, 400) or
a sink failed; 69 a witness was unreachable, timed out or failed (5xx); 64 usage (e.g. an empty
ledger). When several fail, the first code in that order wins. The checkpoint stays stored in
the state directory whatever fails.`;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  publish: { type: "string", multiple: true },
  "publish-cmd": { type: "string", multiple: true },
  "publish-url": { type: "string", multiple: true },
  witness: { type: "string", multiple: true },
  "witness-key": { type: "string", multiple: true },
  witnessed: { type: "boolean" },
  "witness-timeout": { type: "string" },
  "export-key": { type: "boolean" },
};

/** The exit code for each way a witness can fail: evidence first, then configuration. */
const WITNESS_EXIT: Record<string, number> = {
  conflict: EXIT.dataError,
  inconsistent: EXIT.dataError,
  bad_response: EXIT.dataError,
  bad_cosignature: EXIT.dataError,
  not_trusted: EXIT.config,
  unknown_log: EXIT.config,
  rejected: EXIT.config,
  unreachable: EXIT.unavailable,
  timeout: EXIT.unavailable,
  server_error: EXIT.unavailable,
};
const SEVERITY = [EXIT.dataError, EXIT.config, EXIT.unavailable];

/** Runs `wt checkpoint`. */
export async function runCheckpoint(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${CHECKPOINT_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw usage(`unexpected argument '${args.positionals[0]}'`);
  const env = cliEnvironment();
  if (args.flags["export-key"]) {
    const { verifierKey } = await ensureKeys(env.stateDir);
    if (args.flags.json) {
      printJson({ verifier_key: verifierKey, file: keyPaths(env.stateDir).verifier });
    } else out(`${verifierKey}\n`);
    return EXIT.ok;
  }
  const timeoutMs = seconds(stringFlag(args, "witness-timeout") ?? "10") * 1000;
  const targets = submissionTargets(
    env.stateDir,
    listFlag(args, "witness"),
    listFlag(args, "witness-key"),
    args.flags.witnessed === true,
  );
  await ensureKeys(env.stateDir);
  const digest = bestDigest();
  const made = await makeCheckpoint(env.stateDir, { digest });
  const ledger = new Ledger(env.stateDir, { digest });
  const codes: number[] = [];

  const outcomes = await witness(env.stateDir, made, targets, timeoutMs);
  for (const outcome of outcomes) {
    if (!outcome.ok) {
      err(
        `wt checkpoint: witness ${outcome.witness} (${outcome.url}): ${outcome.reason}: ${outcome.detail}`,
      );
      codes.push(WITNESS_EXIT[outcome.reason] ?? EXIT.internal);
    }
  }
  codes.push(record(ledger, outcomes.map((o) => witnessEvent(made, o))) ?? EXIT.ok);

  const { published, failures } = await publish(made, args);
  for (const failure of failures) err(`wt checkpoint: ${failure.detail}`);
  if (failures.length > 0) codes.push(EXIT.config);
  const events = failures.map((f) => ({ type: "checkpoint.publish_fail", size: made.size, ...f }));
  codes.push(record(ledger, events) ?? EXIT.ok);

  if (args.flags.json) {
    printJson({
      origin: made.origin,
      size: made.size,
      root: made.root,
      file: made.file,
      witnesses: outcomes,
      published,
      publish_failures: failures,
      note: made.note,
    });
  } else {
    out(made.note);
    out(`\nsigned checkpoint of ${made.size} entries: ${made.file}\n`);
    for (const o of outcomes) {
      if (o.ok) {
        const time = new Date(o.cosignature.timestamp * 1000).toISOString();
        out(`cosigned by ${o.witness} (${o.url}) at ${time}\n`);
      }
    }
    for (const path of published) out(`published: ${path}\n`);
  }
  const failed = codes.filter((code) => code !== EXIT.ok);
  return SEVERITY.find((code) => failed.includes(code)) ?? failed[0] ?? EXIT.ok;
}

/** Submits the checkpoint to every witness at once and stores the cosignatures that verify. */
async function witness(
  stateDir: string,
  made: MadeCheckpoint,
  targets: readonly Witness[],
  timeoutMs: number,
): Promise<WitnessOutcome[]> {
  if (targets.length === 0) return [];
  const note = made.note;
  const outcomes = await Promise.all(targets.map((target) => {
    const known = lastWitnessedSize(stateDir, made.origin, target.key);
    return submitCheckpoint({
      witness: target,
      note,
      // A size above this checkpoint's cannot be proved from: ask from 0, the 409 tells.
      oldSize: known <= made.size ? known : 0,
      proof: (oldSize) => consistencyProof(oldSize, made.leaves),
      timeoutMs,
    });
  }));
  const lines: string[] = [];
  for (const [i, outcome] of outcomes.entries()) {
    if (!outcome.ok) continue;
    lines.push(outcome.cosignature.line);
    recordWitnessed(stateDir, made.origin, targets[i]!.key, {
      size: made.size,
      url: outcome.url,
      timestamp: outcome.cosignature.timestamp,
    });
  }
  if (lines.length > 0) addSignatures(stateDir, made, lines);
  return outcomes;
}

/** The ledger event of one witness's outcome. */
function witnessEvent(made: MadeCheckpoint, o: WitnessOutcome): Record<string, unknown> {
  const common = {
    witness: o.witness,
    url: o.url,
    origin: made.origin,
    size: o.size,
    root: made.root,
    old_size: o.old_size,
    requests: o.requests,
  };
  return o.ok ? { type: "witness.cosign", ...common, cosigned_at: o.cosignature.timestamp } : {
    type: "witness.fail",
    ...common,
    reason: o.reason,
    detail: o.detail,
    status: o.status ?? null,
    ...(o.witness_size !== undefined ? { witness_size: o.witness_size } : {}),
  };
}

/** Sends the note to every sink; a failing sink does not stop the others. */
async function publish(made: MadeCheckpoint, args: ReturnType<typeof parseArgs>) {
  const published: string[] = [];
  const failures: Array<{ sink: string; target: string; detail: string }> = [];
  const attempt = async (sink: string, target: string, send: () => Promise<string>) => {
    try {
      published.push(await send());
    } catch (error) {
      const isSinkError = error instanceof WatchtowerError ||
        error instanceof Deno.errors.NotFound ||
        error instanceof Deno.errors.PermissionDenied;
      if (!isSinkError) throw error;
      failures.push({ sink, target, detail: (error as Error).message });
    }
  };
  for (const dir of listFlag(args, "publish")) {
    await attempt("dir", dir, () => Promise.resolve(publishToDirectory(made, dir)));
  }
  for (const command of listFlag(args, "publish-cmd")) {
    await attempt("cmd", command, async () => {
      await publishToCommand(made, command);
      return `command: ${command}`;
    });
  }
  for (const url of listFlag(args, "publish-url")) {
    await attempt("url", url, async () => `${url} (${await publishToUrl(made, url)})`);
  }
  return { published, failures };
}

/**
 * Appends events. A ledger that cannot take them is reported and gives the exit code of its
 * error, but ends nothing early: the note is stored and the sinks still get it.
 */
function record(ledger: Ledger, events: Array<Record<string, unknown>>): number | undefined {
  if (events.length === 0) return undefined;
  try {
    ledger.appendSync(events.map((event) => ({ data: { event: event as { type: string } } })));
    return undefined;
  } catch (error) {
    if (!(error instanceof WatchtowerError)) throw error;
    err(`wt checkpoint: cannot record the outcome in the ledger: ${error.message}`);
    return exitForError(error.code);
  }
}

function seconds(text: string): number {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text) || Number(text) <= 0 || Number(text) > 600) {
    throw usage(`--witness-timeout must be a number of seconds from 0 to 600, got '${text}'`);
  }
  return Number(text);
}
