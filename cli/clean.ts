/**
 * `wt clean`: end the current ledger chain: archive it (default) or delete it, and start a new
 * chain whose first entry records the old head.
 * @module
 */
import { cleanLedger } from "../core/ledger/maintenance.ts";
import { Ledger } from "../core/ledger/writer.ts";
import { type FlagSpec, parseArgs, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { bestDigest } from "./native_digest.ts";
import { EXIT } from "./exit.ts";
import { err, out, printJson } from "./output.ts";

/** Help text. */
export const CLEAN_USAGE = `wt clean — archive (or delete) the ledger and start a new chain

Usage: wt clean [--force] [--yes] [--json]

Moves every segment and the head into archive/<time>/ in the state directory, then starts a
new chain whose first entry records the archived head (seq, hash, Merkle root). --force deletes
the old segments instead of archiving them (the new first entry still records their head).
Asks for confirmation on a terminal; otherwise needs --yes.

Exit: 0 done, 64 not confirmed.`;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  force: { type: "boolean" },
  yes: { type: "boolean", short: "y" },
};

/** Runs `wt clean`. */
export function runClean(argv: readonly string[]): number {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) {
    out(`${CLEAN_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw usage(`unexpected argument '${args.positionals[0]}'`);
  const env = cliEnvironment();
  const action = args.flags.force ? "DELETE" : "archive";
  if (!args.flags.yes) {
    if (!Deno.stdin.isTerminal()) {
      err(
        `wt clean: not confirmed: pass --yes to ${action.toLowerCase()} the ledger in ${env.stateDir}`,
      );
      return EXIT.usage;
    }
    const answer = prompt(`${action} the ledger in ${env.stateDir} and start a new chain? [y/N]`);
    if (!/^y(es)?$/i.test(answer ?? "")) {
      err("wt clean: not confirmed; nothing changed");
      return EXIT.usage;
    }
  }
  const result = cleanLedger(new Ledger(env.stateDir), {
    remove: Boolean(args.flags.force),
    digest: bestDigest(),
  });
  if (args.flags.json) {
    printJson({
      archive: result.archive ?? null,
      archived_seq: result.archivedSeq,
      archived_hash: result.archivedHash,
      segments: result.segments,
      new_chain_seq: result.recorded.seq,
    });
  } else {
    out(
      `${
        result.archive
          ? `archived ${result.segments} segment(s) to ${result.archive}`
          : `deleted ${result.segments} segment(s)`
      }; the old chain ended at seq ${result.archivedSeq}; a new chain starts with seq ${result.recorded.seq} recording it\n`,
    );
  }
  return EXIT.ok;
}
