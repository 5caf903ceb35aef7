/**
 * `safe-mkdir`: mkdir, decided per directory on the path it will create, with a world-writable
 * or setuid/setgid `-m` mode flagged in the target.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import type { ShimPlan } from "../core/shim/runner.ts";
import { has, last, parseCommand, usage } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";
import {
  applyMode,
  bitFacts,
  flagRisk,
  type ModeFacts,
  parseMode,
  readUmask,
  rejectNul,
  targetPath,
  withSlash,
} from "./_fs.ts";

const USAGE = `safe-mkdir — mkdir, checked by Watchtower

Usage: safe-mkdir [-p|--parents] [-m MODE|--mode=MODE] [-v|--verbose] [--] DIRECTORY...

Each DIRECTORY is decided (operation mkdir) on the path mkdir will create (its parents'
symlinks and .. resolved) and passed to mkdir as that absolute path after --. With -m, the mode
the directories get is worked out as mkdir does (a symbolic MODE applies to a=rwx) and the
target carries mode, world_writable, setuid, setgid and sticky; a world-writable, setuid or
setgid mode also declares the target restricted, which raises the decision's risk score.
Exit: mkdir's code; 77 denied, 75 approval required, 64 bad usage, 69 mkdir is not installed.`;

const SPEC = {
  short: {
    p: { name: "parents" },
    m: { name: "mode", value: true },
    v: { name: "verbose" },
  },
  long: {
    parents: { name: "parents" },
    mode: { name: "mode", value: true },
    verbose: { name: "verbose" },
  },
};

const NO_FLAGS: ModeFacts = { world_writable: false, setuid: false, setgid: false, sticky: false };

/** Works out what `safe-mkdir ARGS` will do. */
export function planMkdir(argv: readonly string[], env: WatchtowerEnvironment): ShimPlan {
  rejectNul(argv);
  const parsed = parseCommand(argv, SPEC);
  if (parsed.operands.length === 0) throw usage("missing operand");
  const parents = has(parsed, "parents");
  const mode = last(parsed, "mode");
  // mkdir -m sets exactly this mode: a=rwx adjusted by MODE (the umask only for who-less clauses).
  const facts = mode === undefined
    ? NO_FLAGS
    : bitFacts(applyMode(parseMode(mode), 0o777, { dir: true, umask: readUmask() }));
  const flagged = facts.world_writable || facts.setuid || facts.setgid;
  const operands = parsed.operands;
  const paths = operands.map((operand) => targetPath(operand, env.cwd, "parent"));
  return {
    tool: "safe-mkdir",
    program: "mkdir",
    args: [
      ...(parents ? ["-p"] : []),
      ...(has(parsed, "verbose") ? ["-v"] : []),
      ...(mode !== undefined ? [`--mode=${mode}`] : []),
      "--",
      ...paths.map((path, i) => withSlash(operands[i]!, path)),
    ],
    intents: paths.map((path) => ({
      domain: "filesystem",
      operation: "mkdir",
      target: flagRisk({ path, parents, mode: mode ?? null, ...facts }, flagged),
    })),
  };
}

/** The safe-mkdir command. */
export const SAFE_MKDIR: ShimSpec = {
  name: "safe-mkdir",
  program: "mkdir",
  usage: USAGE,
  plan: planMkdir,
};

if (import.meta.main) await main(SAFE_MKDIR);
