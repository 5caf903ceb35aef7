/**
 * `safe-touch`: touch, decided per file on the path whose times it sets (or that it creates);
 * a reference file is decided as a read.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import type { PlannedIntent, ShimPlan } from "../core/shim/runner.ts";
import { has, last, parseCommand, usage } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";
import { rejectNul, targetPath, withSlash } from "./_fs.ts";

const USAGE = `safe-touch — touch, checked by Watchtower

Usage: safe-touch [OPTION]... [--] FILE...

Options: -a  change only the access time      -m  change only the modification time
         -c, --no-create                      do not create missing files
         -d, --date=STRING                    use this time instead of now
         -r, --reference=FILE                 use FILE's times (decided as a read of FILE)
         -t [[CC]YY]MMDDhhmm[.ss]             use this time

Each FILE is decided (operation touch) on the path touch will act on (every symlink followed:
touch sets the times of, or creates, a symlink's target) and passed to touch as that absolute
path after --.
Exit: touch's code; 77 denied, 75 approval required, 64 bad usage, 69 touch is not installed.`;

const SPEC = {
  short: {
    a: { name: "access" },
    m: { name: "modification" },
    c: { name: "no-create" },
    d: { name: "date", value: true },
    r: { name: "reference", value: true },
    t: { name: "stamp", value: true },
  },
  long: {
    "no-create": { name: "no-create" },
    date: { name: "date", value: true },
    reference: { name: "reference", value: true },
  },
};

const STAMP = /^(\d{2}){0,2}\d{8}(\.\d{2})?$/;

/** Works out what `safe-touch ARGS` will do. */
export function planTouch(argv: readonly string[], env: WatchtowerEnvironment): ShimPlan {
  rejectNul(argv);
  const parsed = parseCommand(argv, SPEC);
  if (parsed.operands.length === 0) throw usage("missing file operand");
  const stamp = last(parsed, "stamp");
  if (stamp !== undefined && !STAMP.test(stamp)) throw usage(`invalid date format '${stamp}'`);
  const date = last(parsed, "date");
  const referenceOperand = last(parsed, "reference");
  const reference = referenceOperand === undefined
    ? undefined
    : targetPath(referenceOperand, env.cwd, "all");
  const create = !has(parsed, "no-create");
  const paths = parsed.operands.map((operand) => targetPath(operand, env.cwd, "all"));
  const intents: PlannedIntent[] = paths.map((path) => ({
    domain: "filesystem",
    operation: "touch",
    target: { path, create, ...(reference !== undefined ? { reference } : {}) },
  }));
  if (reference !== undefined) {
    intents.unshift({ domain: "filesystem", operation: "read", target: { path: reference } });
  }
  return {
    tool: "safe-touch",
    program: "touch",
    args: [
      ...(has(parsed, "access") ? ["-a"] : []),
      ...(has(parsed, "modification") ? ["-m"] : []),
      ...(create ? [] : ["-c"]),
      ...(date !== undefined ? [`--date=${date}`] : []),
      ...(reference !== undefined ? [`--reference=${reference}`] : []),
      ...(stamp !== undefined ? ["-t", stamp] : []),
      "--",
      ...paths.map((path, i) => withSlash(parsed.operands[i]!, path)),
    ],
    intents,
  };
}

/** The safe-touch command. */
export const SAFE_TOUCH: ShimSpec = {
  name: "safe-touch",
  program: "touch",
  usage: USAGE,
  plan: planTouch,
};

if (import.meta.main) await main(SAFE_TOUCH);
