/**
 * `safe-mv`: mv, decided per source (a move of the entry itself) and per entry it replaces or
 * creates (a write). Refuses, whatever the policy, to move `/`, a top-level directory or the
 * home directory, or to put anything in their place.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import type { PlannedIntent, ShimPlan } from "../core/shim/runner.ts";
import { has, last, parseCommand } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";
import {
  entryFor,
  isProtected,
  lastGiven,
  literalPath,
  optionOrder,
  place,
  placementArgs,
  rejectNul,
  targetPath,
} from "./_fs.ts";

const USAGE = `safe-mv — mv, checked by Watchtower

Usage: safe-mv [OPTION]... [-T] SOURCE DEST
       safe-mv [OPTION]... SOURCE... DIRECTORY
       safe-mv [OPTION]... -t DIRECTORY SOURCE...

Options: -f, --force  -n, --no-clobber (the last of the two wins)  -v, --verbose
         -T, --no-target-directory  -t, --target-directory=DIRECTORY

Each SOURCE is decided as a move of the entry itself (its directory's symlinks and .. resolved;
a symlink is moved, not its target), and each entry mv creates or replaces (DEST, or
DIRECTORY/basename(SOURCE)) as a write. mv gets absolute paths after --, and -t or -T so that the
destination is the one decided.
Never moved, whatever the policy: /, a top-level directory such as /etc, the home directory;
nothing is moved onto them either.
Exit: mv's code; 77 denied, 75 approval required, 64 bad usage, 69 mv is not installed.`;

const SPEC = {
  short: {
    f: { name: "force" },
    n: { name: "no-clobber" },
    v: { name: "verbose" },
    T: { name: "no-target-directory" },
    t: { name: "target-directory", value: true },
  },
  long: {
    force: { name: "force" },
    "no-clobber": { name: "no-clobber" },
    verbose: { name: "verbose" },
    "no-target-directory": { name: "no-target-directory" },
    "target-directory": { name: "target-directory", value: true },
  },
};

/** Works out what `safe-mv ARGS` will do. */
export function planMv(argv: readonly string[], env: WatchtowerEnvironment): ShimPlan {
  rejectNul(argv);
  const parsed = parseCommand(argv, SPEC);
  const cwd = env.cwd;
  const placement = place(parsed.operands, {
    cwd,
    targetDir: last(parsed, "target-directory"),
    noTargetDir: has(parsed, "no-target-directory"),
  });
  const intents: PlannedIntent[] = [];
  let refusal: string | undefined;
  for (const source of placement.sources) {
    const from = targetPath(source, cwd, "parent");
    const to = entryFor(placement, source, cwd, "parent");
    if (isProtected(from, env.home)) refusal ??= `moving ${from} is never allowed`;
    if (isProtected(to, env.home)) refusal ??= `moving anything to ${to} is never allowed`;
    intents.push(
      { domain: "filesystem", operation: "move", target: { path: from, destination: to } },
      { domain: "filesystem", operation: "write", target: { path: to, source: from } },
    );
  }
  // Of -f and -n, the last one given takes effect (GNU mv).
  const clobber = lastGiven(optionOrder(argv, SPEC), ["force", "no-clobber"]);
  const flags = [
    ...(clobber === "force" ? ["-f"] : clobber === "no-clobber" ? ["-n"] : []),
    ...(has(parsed, "verbose") ? ["-v"] : []),
  ];
  return {
    tool: "safe-mv",
    program: "mv",
    args: [...flags, ...placementArgs(placement, (s) => literalPath(s, cwd), cwd)],
    intents,
    ...(refusal !== undefined ? { refusal } : {}),
  };
}

/** The safe-mv command. */
export const SAFE_MV: ShimSpec = { name: "safe-mv", program: "mv", usage: USAGE, plan: planMv };

if (import.meta.main) await main(SAFE_MV);
