/**
 * `wt sh -c 'LINE'`: a guarded shell an agent can be given as its SHELL. The whole line is
 * decided first (every program it would run, every file it names), the decisions are recorded,
 * and only then does `/bin/sh -c LINE` run it as given; a refused line never starts and one line
 * on stderr says why (exit 77, or 75 when a human can approve it).
 * @module
 */
import { WatchtowerError } from "../core/errors.ts";
import { type FlagSpec, parseArgs, POLICY_FLAGS, usage } from "./args.ts";
import { EXIT } from "./exit.ts";
import { guardedRun } from "./guarded_run.ts";
import { out } from "./output.ts";

/** Help text. */
export const SH_USAGE = `wt sh — a guarded shell: decide a command line, then run it with /bin/sh

Usage:
  wt sh [policy flags] [-eux...] -c 'LINE' [NAME [ARGS...]]
  wt sh [policy flags] [-eux...] < script.sh      (the whole script is decided first)

Give it to an agent as its shell (SHELL=/path/to/wt-sh launcher, or its tool's shell setting).
The whole line is decided before anything runs (docs/command-guard.md): every program it would
run, through pipes, substitutions, sh -c strings, sudo and the other wrappers; every file it
redirects to, writes or deletes; and whatever cannot be known before it runs. Each decision is
recorded; then /bin/sh -c LINE runs with this process's environment and terminal.

Options -l, -i, --login, --noprofile and --norc are accepted and ignored (no start-up files are
read); other single-letter options (-e, -u, -x, -v, -o NAME) are passed on to /bin/sh.
Policy flags: --policy FILE, --profile NAME, --mode M, --set key=value.

Exit: the line's own code; 77 denied, 75 approval required (one line on stderr says why and
what to do), 64 bad usage, 78 policy cannot be loaded.`;

const POLICY_ONLY: Record<string, FlagSpec> = { ...POLICY_FLAGS };
const IGNORED = new Set(["--login", "--noprofile", "--norc"]);
const MAX_SCRIPT = 1 << 20;

/** What `wt sh` was asked to do. */
interface ShRequest {
  policyArgs: string[];
  shellOptions: string[];
  line: string | undefined;
  /** `$0` and the positional parameters after `-c LINE`. */
  rest: string[];
  help: boolean;
}

/** Reads `wt sh`'s arguments the way sh reads its own. */
export function parseSh(argv: readonly string[]): ShRequest {
  const request: ShRequest = {
    policyArgs: [],
    shellOptions: [],
    line: undefined,
    rest: [],
    help: false,
  };
  let command = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      request.help = true;
      continue;
    }
    if (arg === "--") {
      i++;
      break;
    }
    const name = arg.startsWith("--") ? arg.slice(2).split("=")[0]! : undefined;
    if (name !== undefined && name in POLICY_ONLY) {
      request.policyArgs.push(arg);
      if (!arg.includes("=")) {
        if (i + 1 >= argv.length) throw usage(`option ${arg} needs a value`);
        request.policyArgs.push(argv[++i]!);
      }
      continue;
    }
    if (IGNORED.has(arg)) continue;
    if (arg === "-o" || arg === "+o") {
      if (i + 1 >= argv.length) throw usage("option -o needs a name");
      request.shellOptions.push(arg, argv[++i]!);
      continue;
    }
    if (/^[-+][a-zA-Z]+$/.test(arg)) {
      for (const letter of arg.slice(1)) {
        if (letter === "c") command = true;
        else if (letter !== "l" && letter !== "i" && letter !== "s") {
          if (!"aefhmnuvxCu".includes(letter)) throw usage(`unknown shell option -${letter}`);
          request.shellOptions.push(`${arg[0]}${letter}`);
        }
      }
      continue;
    }
    break;
  }
  if (command) {
    if (i >= argv.length) throw usage("-c needs a command line");
    request.line = argv[i]!;
    request.rest = argv.slice(i + 1);
  } else if (i < argv.length) {
    throw usage(`wt sh runs -c 'LINE' or a script on stdin, not a script file ('${argv[i]}')`);
  }
  return request;
}

/** Runs `wt sh`. */
export async function runSh(argv: readonly string[]): Promise<number> {
  const request = parseSh(argv);
  if (request.help) {
    out(`${SH_USAGE}\n`);
    return EXIT.ok;
  }
  const line = request.line ?? await readScript();
  const args = parseArgs(request.policyArgs, POLICY_ONLY);
  return await guardedRun("wt-sh", args, line, {
    program: shellProgram(),
    args: [...request.shellOptions, "-c", line, ...request.rest],
    env: "inherit",
    stdin: request.line === undefined ? "null" : "inherit",
  });
}

/**
 * `/bin/sh`, or `sh` found on PATH where the permission set allows spawning `sh` by name only
 * (Deno matches run permissions by name: `--allow-run=sh` does not cover `/bin/sh`).
 */
function shellProgram(): string {
  const state = Deno.permissions.querySync({ name: "run", command: "/bin/sh" }).state;
  return state === "granted" ? "/bin/sh" : "sh";
}

/** The script on stdin, when no -c was given (a terminal is not read: no interactive mode). */
async function readScript(): Promise<string> {
  if (Deno.stdin.isTerminal()) {
    throw usage("wt sh has no interactive mode: give -c 'LINE' or a script on stdin");
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of Deno.stdin.readable) {
    length += chunk.length;
    // Longer scripts are refused by the analysis: keep what it needs to say so.
    if (length > MAX_SCRIPT + 1) break;
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new WatchtowerError("invalid_intent", "Cannot read the script: it is not valid UTF-8");
  }
}
