/**
 * `safe-ln`: ln, decided per link on the name it creates (a link) and on what it will point to
 * (a read: a symbolic link's text resolved against the link's directory, as the kernel will).
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import { resolvePath } from "../core/shim/paths.ts";
import type { PlannedIntent, ShimPlan } from "../core/shim/runner.ts";
import { has, last, parseCommand, usage } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";
import {
  dirName,
  entryFor,
  isDirectory,
  isProtected,
  literalPath,
  place,
  placementArgs,
  rejectNul,
} from "./_fs.ts";

const USAGE = `safe-ln — ln, checked by Watchtower

Usage: safe-ln [OPTION]... [-T] TARGET LINK_NAME
       safe-ln [OPTION]... TARGET
       safe-ln [OPTION]... TARGET... DIRECTORY
       safe-ln [OPTION]... -t DIRECTORY TARGET...

Options: -s, --symbolic  -f, --force  -v, --verbose
         -n, --no-dereference   a LINK_NAME that is a symlink to a directory is replaced, not entered
         -r, --relative         with -s: make the link's text relative to its directory
         -T, --no-target-directory  -t, --target-directory=DIRECTORY

Each link is decided twice: its name (operation link; its directory's symlinks and .. resolved,
the name itself not followed) and what it points to (operation read, every symlink followed;
a symbolic link's text is resolved against the link's directory, as the kernel will, and with
-r against the working directory, as ln -r reads it). A symbolic link's TARGET text is handed to
ln as written (after --): it is the link's content, which ln never opens, and rewriting it would
change the link. Everything else is handed over as an absolute path, with -t or -T so that the
link lands where it was decided.
Never replaced with -f, whatever the policy: /, a top-level entry such as /bin, the home
directory.
Exit: ln's code; 77 denied, 75 approval required, 64 bad usage, 69 ln is not installed.`;

const SPEC = {
  short: {
    s: { name: "symbolic" },
    f: { name: "force" },
    n: { name: "no-dereference" },
    v: { name: "verbose" },
    r: { name: "relative" },
    T: { name: "no-target-directory" },
    t: { name: "target-directory", value: true },
  },
  long: {
    symbolic: { name: "symbolic" },
    force: { name: "force" },
    "no-dereference": { name: "no-dereference" },
    verbose: { name: "verbose" },
    relative: { name: "relative" },
    "no-target-directory": { name: "no-target-directory" },
    "target-directory": { name: "target-directory", value: true },
  },
};

/** Works out what `safe-ln ARGS` will do. */
export function planLn(argv: readonly string[], env: WatchtowerEnvironment): ShimPlan {
  rejectNul(argv);
  const parsed = parseCommand(argv, SPEC);
  const cwd = env.cwd;
  const symbolic = has(parsed, "symbolic");
  const relative = has(parsed, "relative");
  const force = has(parsed, "force");
  const noDereference = has(parsed, "no-dereference");
  if (relative && !symbolic) throw usage("cannot do --relative without --symbolic");
  const placement = place(parsed.operands, {
    cwd,
    targetDir: last(parsed, "target-directory"),
    noTargetDir: has(parsed, "no-target-directory"),
    allowSingle: true,
    // With -n, a LINK_NAME that is a symlink to a directory is a name to replace, not entered.
    isDir: (operand) => {
      const literal = literalPath(operand, cwd);
      if (!noDereference) return isDirectory(literal);
      try {
        return Deno.lstatSync(literal).isDirectory;
      } catch {
        return false;
      }
    },
  });
  const intents: PlannedIntent[] = [];
  let refusal: string | undefined;
  for (const target of placement.sources) {
    const link = entryFor(placement, target, cwd, "parent");
    const base = symbolic && !relative ? dirName(link) : cwd;
    const pointsTo = resolvePath(target, base, "all");
    if (force && isProtected(link, env.home)) {
      refusal ??= `replacing ${link} with a link is never allowed`;
    }
    intents.push(
      { domain: "filesystem", operation: "read", target: { path: pointsTo, link } },
      {
        domain: "filesystem",
        operation: "link",
        target: {
          path: link,
          points_to: pointsTo,
          symbolic,
          force,
          ...(symbolic ? { text: target } : {}),
        },
      },
    );
  }
  const flags = [
    ...(symbolic ? ["-s"] : []),
    ...(force ? ["-f"] : []),
    ...(noDereference ? ["-n"] : []),
    ...(relative ? ["-r"] : []),
    ...(has(parsed, "verbose") ? ["-v"] : []),
  ];
  const targetArg = (target: string) => symbolic && !relative ? target : literalPath(target, cwd);
  return {
    tool: "safe-ln",
    program: "ln",
    args: [...flags, ...placementArgs(placement, targetArg, cwd)],
    intents,
    ...(refusal !== undefined ? { refusal } : {}),
  };
}

/** The safe-ln command. */
export const SAFE_LN: ShimSpec = { name: "safe-ln", program: "ln", usage: USAGE, plan: planLn };

if (import.meta.main) await main(SAFE_LN);
