/**
 * `wt checkpoint`: sign a checkpoint of the ledger's Merkle tree and publish it where the agent
 * cannot reach; `--export-key` prints the key third parties verify checkpoints with.
 * @module
 */
import {
  ensureKeys,
  keyPaths,
  makeCheckpoint,
  publishToCommand,
  publishToDirectory,
  publishToUrl,
} from "../core/ledger/checkpoints.ts";
import { type FlagSpec, listFlag, parseArgs, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { bestDigest } from "./native_digest.ts";
import { EXIT } from "./exit.ts";
import { out, printJson } from "./output.ts";

/** Help text. */
export const CHECKPOINT_USAGE = `wt checkpoint — sign a checkpoint of the ledger and publish it

Usage: wt checkpoint [--publish DIR ...] [--publish-cmd CMD ...] [--publish-url URL ...] [--json]
       wt checkpoint --export-key

Verifies the ledger, then writes a C2SP tlog-checkpoint (origin, tree size, Merkle root) signed
with the state directory's Ed25519 key (keys/ledger.key, created by wt init) to
checkpoints/<size>.note and checkpoints/latest.note. --publish DIR also copies it to DIR: put
that outside the agent's reach (another user's directory, a mounted share) so that a later
truncation or rewrite of the ledger is caught by wt verify --checkpoint. --publish-cmd CMD runs
CMD with /bin/sh, the note on stdin and WT_CHECKPOINT_{ORIGIN,SIZE,ROOT,FILE} in its environment
(e.g. 'ssh audit@host "cat >> checkpoints"'); --publish-url URL POSTs the note as text/plain.
Every sink must succeed.
--export-key prints the verifier key (keys/ledger.pub) for auditors.

Exit: 0 signed and published, 65 the ledger is not intact, 64 usage (e.g. an empty ledger),
78 a sink failed (the checkpoint is still stored in the state directory).`;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  publish: { type: "string", multiple: true },
  "publish-cmd": { type: "string", multiple: true },
  "publish-url": { type: "string", multiple: true },
  "export-key": { type: "boolean" },
};

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
  await ensureKeys(env.stateDir);
  const made = await makeCheckpoint(env.stateDir, { digest: bestDigest() });
  const published: string[] = listFlag(args, "publish").map((dir) => publishToDirectory(made, dir));
  for (const command of listFlag(args, "publish-cmd")) {
    await publishToCommand(made, command);
    published.push(`command: ${command}`);
  }
  for (const url of listFlag(args, "publish-url")) {
    const status = await publishToUrl(made, url);
    published.push(`${url} (${status})`);
  }
  if (args.flags.json) {
    printJson({
      origin: made.origin,
      size: made.size,
      root: made.root,
      file: made.file,
      published,
      note: made.note,
    });
  } else {
    out(made.note);
    out(`\nsigned checkpoint of ${made.size} entries: ${made.file}\n`);
    for (const path of published) out(`published: ${path}\n`);
  }
  return EXIT.ok;
}
