/**
 * `safe-chmod`: chmod, decided per file on the path whose mode it changes, with what the mode
 * does flagged in the target (world-writable, setuid, setgid, sticky). Refuses, whatever the
 * policy, to change `/`, a top-level directory recursively, and `--no-preserve-root`.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import type { PlannedIntent, ShimPlan } from "../core/shim/runner.ts";
import { has, last, parseCommand, usage } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";
import {
  bitFacts,
  changeFacts,
  flagRisk,
  isTopLevel,
  type ModeFacts,
  parseMode,
  readUmask,
  rejectNul,
  targetPath,
  withSlash,
} from "./_fs.ts";

const USAGE = `safe-chmod — chmod, checked by Watchtower

Usage: safe-chmod [OPTION]... MODE[,MODE]... FILE...
       safe-chmod [OPTION]... --reference=RFILE FILE...

Options: -R, --recursive  -v, --verbose  -c, --changes  -f, --silent, --quiet
         --reference=RFILE   use RFILE's mode (decided as a read of RFILE)
         --preserve-root     (passed on; / is refused anyway)

MODE is octal (755, 4755) or symbolic (u+x, go-w, a=r, +s, o+w, u+x,go-rwx). A MODE that starts
with - (-x, -w, -rwx, -x,o-r) is accepted as GNU chmod accepts it, and always handed to chmod
after --, never as an option.
Each FILE is decided (operation chmod) on the path chmod will change (every symlink followed, as
chmod does) and passed as that absolute path after --. The target carries mode, recursive and
world_writable, setuid, setgid, sticky: an octal mode's own bits, or whether a symbolic mode can
add the bit; a world-writable, setuid or setgid mode also declares the target restricted, which
raises the decision's risk score for the policy to act on.
Never changed, whatever the policy: /, and a top-level directory such as /etc recursively;
--no-preserve-root is refused.
Exit: chmod's code; 77 denied, 75 approval required, 64 bad usage, 69 chmod is not installed.`;

const SPEC = {
  short: {
    R: { name: "recursive" },
    v: { name: "verbose" },
    c: { name: "changes" },
    f: { name: "silent" },
  },
  long: {
    recursive: { name: "recursive" },
    verbose: { name: "verbose" },
    changes: { name: "changes" },
    silent: { name: "silent" },
    quiet: { name: "silent" },
    reference: { name: "reference", value: true },
    "preserve-root": { name: "preserve-root" },
    "no-preserve-root": { name: "no-preserve-root" },
  },
};

/** A word before `--` that GNU chmod reads as a MODE (`-x`, `-rwx`, `-w,o-r`). */
function isDashMode(word: string): boolean {
  if (!/^-[rwxXst]/.test(word)) return false;
  try {
    parseMode(word);
    return true;
  } catch {
    return false;
  }
}

/** Takes the `-x`-style modes out of `argv` (GNU joins several with commas). */
function takeDashModes(argv: readonly string[]): { words: string[]; modes: string[] } {
  const words: string[] = [];
  const modes: string[] = [];
  let ended = false;
  for (const [i, word] of argv.entries()) {
    if (word === "--") ended = true;
    if (!ended && argv[i - 1] !== "--reference" && isDashMode(word)) modes.push(word);
    else words.push(word);
  }
  return { words, modes };
}

/** Works out what `safe-chmod ARGS` will do. */
export function planChmod(argv: readonly string[], env: WatchtowerEnvironment): ShimPlan {
  rejectNul(argv);
  const { words, modes } = takeDashModes(argv);
  const parsed = parseCommand(words, SPEC);
  const operands = [...parsed.operands];
  const referenceOperand = last(parsed, "reference");
  let mode: string | undefined = modes.length > 0 ? modes.join(",") : undefined;
  if (referenceOperand !== undefined && mode !== undefined) {
    throw usage("cannot combine mode and --reference options");
  }
  if (referenceOperand === undefined && mode === undefined) {
    mode = operands.shift();
    if (mode === undefined) throw usage("missing operand");
  }
  if (operands.length === 0) throw usage(`missing operand after '${mode ?? referenceOperand}'`);
  const recursive = has(parsed, "recursive");
  let facts: ModeFacts;
  let reference: string | undefined;
  if (referenceOperand !== undefined) {
    reference = targetPath(referenceOperand, env.cwd, "all");
    let bits: number;
    try {
      bits = (Deno.statSync(reference).mode ?? 0) & 0o7777;
    } catch {
      throw usage(`failed to get attributes of '${referenceOperand}'`);
    }
    facts = bitFacts(bits);
    mode = bits.toString(8).padStart(4, "0");
  } else {
    facts = changeFacts(parseMode(mode!), readUmask());
  }
  const flagged = facts.world_writable || facts.setuid || facts.setgid;
  const paths = operands.map((operand) => targetPath(operand, env.cwd, "all"));
  let refusal: string | undefined;
  if (has(parsed, "no-preserve-root")) refusal = "--no-preserve-root is never allowed";
  for (const path of paths) {
    if (path === "/" || (recursive && isTopLevel(path))) {
      refusal ??= `changing the mode of ${path}${recursive ? " recursively" : ""} is never allowed`;
    }
  }
  const intents: PlannedIntent[] = paths.map((path) => ({
    domain: "filesystem",
    operation: "chmod",
    target: flagRisk({
      path,
      mode: mode!,
      recursive,
      ...facts,
      ...(reference !== undefined ? { reference } : {}),
    }, flagged),
  }));
  if (reference !== undefined) {
    intents.unshift({ domain: "filesystem", operation: "read", target: { path: reference } });
  }
  return {
    tool: "safe-chmod",
    program: "chmod",
    args: [
      ...(recursive ? ["-R"] : []),
      ...(has(parsed, "verbose") ? ["-v"] : []),
      ...(has(parsed, "changes") ? ["-c"] : []),
      ...(has(parsed, "silent") ? ["-f"] : []),
      ...(has(parsed, "preserve-root") ? ["--preserve-root"] : []),
      ...(reference !== undefined ? [`--reference=${reference}`, "--"] : ["--", mode!]),
      ...paths.map((path, i) => withSlash(operands[i]!, path)),
    ],
    intents,
    ...(refusal !== undefined ? { refusal } : {}),
  };
}

/** The safe-chmod command. */
export const SAFE_CHMOD: ShimSpec = {
  name: "safe-chmod",
  program: "chmod",
  usage: USAGE,
  plan: planChmod,
};

if (import.meta.main) await main(SAFE_CHMOD);
