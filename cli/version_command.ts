/**
 * `wt version`: print the version.
 * @module
 */
import { type FlagSpec, parseArgs } from "./args.ts";
import { EXIT } from "./exit.ts";
import { out } from "./output.ts";
import { VERSION } from "./version.ts";

/** Help text. */
export const VERSION_USAGE = `wt version — print the version

Usage: wt version [--json]`;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
};

/** Runs `wt version`. */
export function runVersion(argv: readonly string[]): number {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.help) out(`${VERSION_USAGE}\n`);
  else out(args.flags.json ? `${JSON.stringify({ version: VERSION })}\n` : `wt ${VERSION}\n`);
  return EXIT.ok;
}
