/**
 * `safe-cp`: cp, decided per source (a read) and per entry it writes (a copy), on the resolved
 * paths cp will really read and write.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import type { PlannedIntent, ShimPlan } from "../core/shim/runner.ts";
import { has, last, parseCommand, usage } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";
import {
  entryFor,
  lastGiven,
  literalPath,
  optionOrder,
  place,
  placementArgs,
  rejectNul,
  targetPath,
} from "./_fs.ts";

const USAGE = `safe-cp — cp, checked by Watchtower

Usage: safe-cp [OPTION]... [-T] SOURCE DEST
       safe-cp [OPTION]... SOURCE... DIRECTORY
       safe-cp [OPTION]... -t DIRECTORY SOURCE...

Options: -r, -R, --recursive   copy directories recursively
         -a, --archive         -R with links, modes, owners and times preserved
         -p                    --preserve=mode,ownership,timestamps
         --preserve[=LIST]     mode, ownership, timestamps, links, context, xattr, all
         -f, --force  -n, --no-clobber  -v, --verbose
         -L, --dereference  -P, --no-dereference   how symlinks among the sources are copied
         -T, --no-target-directory  -t, --target-directory=DIRECTORY

Each SOURCE is decided as a read of the path it resolves to (every symlink followed), and each
entry cp writes (DEST, or DIRECTORY/basename(SOURCE)) as a copy on the path it resolves to (cp
writes through a symlink that is already there). A copy that preserves ownership (-a, -p,
--preserve=ownership or all) carries preserve: true. cp gets absolute paths after --, and -t or
-T so that the destination is the one decided.
Exit: cp's code; 77 denied, 75 approval required, 64 bad usage, 69 cp is not installed.`;

const SPEC = {
  short: {
    r: { name: "recursive" },
    R: { name: "recursive" },
    a: { name: "archive" },
    p: { name: "preserve-default" },
    f: { name: "force" },
    n: { name: "no-clobber" },
    v: { name: "verbose" },
    L: { name: "dereference" },
    P: { name: "no-dereference" },
    T: { name: "no-target-directory" },
    t: { name: "target-directory", value: true },
  },
  long: {
    recursive: { name: "recursive" },
    archive: { name: "archive" },
    preserve: { name: "preserve", value: true },
    force: { name: "force" },
    "no-clobber": { name: "no-clobber" },
    verbose: { name: "verbose" },
    dereference: { name: "dereference" },
    "no-dereference": { name: "no-dereference" },
    "no-target-directory": { name: "no-target-directory" },
    "target-directory": { name: "target-directory", value: true },
  },
};

const PRESERVE_ATTRS = new Set(["mode", "ownership", "timestamps", "links", "context", "xattr"]);

/** `--preserve` alone means mode,ownership,timestamps; the parser needs the value spelled out. */
function spellPreserve(argv: readonly string[]): string[] {
  const end = argv.indexOf("--");
  return argv.map((word, i) =>
    word === "--preserve" && (end < 0 || i < end) ? "--preserve=mode,ownership,timestamps" : word
  );
}

/** Works out what `safe-cp ARGS` will do. */
export function planCp(argv: readonly string[], env: WatchtowerEnvironment): ShimPlan {
  rejectNul(argv);
  const words = spellPreserve(argv);
  const parsed = parseCommand(words, SPEC);
  const lists = parsed.options.get("preserve") ?? [];
  for (const list of lists) {
    for (const attr of list.split(",")) {
      if (attr !== "all" && !PRESERVE_ATTRS.has(attr)) {
        throw usage(`invalid argument '${attr}' for --preserve`);
      }
    }
  }
  const archive = has(parsed, "archive");
  const recursive = archive || has(parsed, "recursive");
  const preserve = archive || has(parsed, "preserve-default") ||
    lists.some((list) => list.split(",").some((a) => a === "ownership" || a === "all"));
  const cwd = env.cwd;
  const placement = place(parsed.operands, {
    cwd,
    targetDir: last(parsed, "target-directory"),
    noTargetDir: has(parsed, "no-target-directory"),
  });
  const intents: PlannedIntent[] = [];
  for (const source of placement.sources) {
    const from = targetPath(source, cwd, "all");
    intents.push(
      { domain: "filesystem", operation: "read", target: { path: from, recursive } },
      {
        domain: "filesystem",
        operation: "copy",
        target: {
          path: entryFor(placement, source, cwd, "all"),
          source: from,
          recursive,
          preserve,
        },
      },
    );
  }
  const flags = [
    ...(archive ? ["-a"] : []),
    ...(has(parsed, "recursive") ? ["-R"] : []),
    ...(has(parsed, "preserve-default") ? ["-p"] : []),
    ...lists.map((list) => `--preserve=${list}`),
    ...(has(parsed, "force") ? ["-f"] : []),
    ...(has(parsed, "no-clobber") ? ["-n"] : []),
    ...(has(parsed, "verbose") ? ["-v"] : []),
  ];
  // The last of -a, -L and -P decides how symlinks among the sources are copied (-a means -P).
  const deref = lastGiven(optionOrder(words, SPEC), ["archive", "dereference", "no-dereference"]);
  if (deref === "dereference") flags.push("-L");
  if (deref === "no-dereference") flags.push("-P");
  return {
    tool: "safe-cp",
    program: "cp",
    args: [...flags, ...placementArgs(placement, (s) => literalPath(s, cwd), cwd)],
    intents,
  };
}

/** The safe-cp command. */
export const SAFE_CP: ShimSpec = { name: "safe-cp", program: "cp", usage: USAGE, plan: planCp };

if (import.meta.main) await main(SAFE_CP);
