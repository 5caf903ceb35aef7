/**
 * `safe-rm`: rm, decided per target on the path it will really remove. Refuses, whatever the
 * policy, to remove `/`, the home directory or a top-level system directory, and
 * `--no-preserve-root`.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import { resolvePath } from "../core/shim/paths.ts";
import type { ShimPlan } from "../core/shim/runner.ts";
import { has, parseCommand, usage } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";

const USAGE = `safe-rm — rm, checked by Watchtower

Usage: safe-rm [-r|-R|--recursive] [-f|--force] [-d|--dir] [-v|--verbose] [--] FILE...

Each FILE is decided on the path rm will remove (its directory's symlinks and .. resolved; a
symlink itself is removed, not its target) and passed to rm as that absolute path after --.
Never removed, whatever the policy: /, the home directory, a top-level directory such as /etc;
--no-preserve-root is refused.
Exit: rm's code; 77 denied, 75 approval required, 64 bad usage, 69 rm is not installed.`;

const SPEC = {
  short: {
    r: { name: "recursive" },
    R: { name: "recursive" },
    f: { name: "force" },
    d: { name: "dir" },
    v: { name: "verbose" },
  },
  long: {
    recursive: { name: "recursive" },
    force: { name: "force" },
    dir: { name: "dir" },
    verbose: { name: "verbose" },
    "preserve-root": { name: "preserve-root" },
    "no-preserve-root": { name: "no-preserve-root" },
  },
};

/** Top-level directories no rm may remove. */
const PROTECTED = /^\/[^/]+$/;

/** Works out what `safe-rm ARGS` will do. */
export function planRm(argv: readonly string[], env: WatchtowerEnvironment): ShimPlan {
  const parsed = parseCommand(argv, SPEC);
  if (parsed.operands.length === 0) throw usage("missing operand");
  const recursive = has(parsed, "recursive");
  const targets = parsed.operands.map((operand) => resolvePath(operand, env.cwd, "parent"));
  const home = env.home?.replace(/\/+$/, "");
  let refusal: string | undefined;
  if (has(parsed, "no-preserve-root")) refusal = "--no-preserve-root is never allowed";
  for (const target of targets) {
    if (target === "/" || PROTECTED.test(target) || (home && target === home)) {
      refusal ??= `removing ${target} is never allowed`;
    }
  }
  const flags = [
    ...(recursive ? ["-r"] : []),
    ...(has(parsed, "force") ? ["-f"] : []),
    ...(has(parsed, "dir") ? ["-d"] : []),
    ...(has(parsed, "verbose") ? ["-v"] : []),
  ];
  return {
    tool: "safe-rm",
    program: "rm",
    args: [...flags, "--", ...targets],
    intents: targets.map((path) => ({
      domain: "filesystem",
      operation: "delete",
      target: { path, recursive },
    })),
    ...(refusal !== undefined ? { refusal } : {}),
  };
}

/** The safe-rm command. */
export const SAFE_RM: ShimSpec = { name: "safe-rm", program: "rm", usage: USAGE, plan: planRm };

if (import.meta.main) await main(SAFE_RM);
