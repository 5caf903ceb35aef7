/**
 * `ssh-ls`: ls on a remote host over ssh, decided per path on the host, port, user and the
 * remote path (normalised lexically: it is never resolved on this machine).
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import type { ShimPlan } from "../core/shim/runner.ts";
import { has, parseCommand, usage } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";
import {
  connectionFrom,
  remoteCommand,
  remotePath,
  SSH_SHORT,
  SSH_USAGE,
  sshPlan,
} from "./_ssh.ts";

const USAGE = `ssh-ls — ls on a remote host over ssh, checked by Watchtower

Usage: ssh-ls [-l] [-a|-A] [-h] [-t] [-S] [-r] [-d] [-1] [-p PORT] [-i IDENTITY] [-o KEY=VALUE]
              [--] HOST [PATH...]

Runs \`ls [FLAGS] -- 'PATH'...\` on HOST (the remote home directory when no PATH is given). Each
PATH is one intent {domain: ssh, operation: list, target: {host, port, user?, identity?, path}}:
an absolute path or a home-relative one (a relative PATH is relative to the remote home and
recorded as ~/PATH), . and .. resolved lexically (.. may not climb above ~), never on this
machine; the remote command gets exactly that path, single-quoted.
ls flags: -l long, -a all, -A almost all, -h human sizes, -t by time, -S by size, -r reverse,
-d directories themselves, -1 one per line (also --all, --almost-all, --human-readable,
--directory, --reverse).
${SSH_USAGE}
Exit: ls's code on the host; 255 ssh could not connect; 77 denied, 75 approval required,
64 bad usage, 69 ssh is not installed.`;

const FLAGS = ["l", "a", "A", "h", "t", "S", "r", "d", "1"] as const;
const NAMES: Record<string, string> = {
  l: "long",
  a: "all",
  A: "almost-all",
  h: "human-readable",
  t: "by-time",
  S: "by-size",
  r: "reverse",
  d: "directory",
  "1": "one-per-line",
};

const SPEC = {
  short: {
    ...SSH_SHORT,
    ...Object.fromEntries(FLAGS.map((flag) => [flag, { name: NAMES[flag]! }])),
  },
  long: Object.fromEntries(
    ["all", "almost-all", "human-readable", "directory", "reverse"].map((name) => [name, { name }]),
  ),
};

/** Works out what `ssh-ls ARGS` will do. */
export function planSshLs(argv: readonly string[], env: WatchtowerEnvironment): ShimPlan {
  const parsed = parseCommand(argv, SPEC);
  const [destination, ...operands] = parsed.operands;
  if (destination === undefined) throw usage("missing HOST");
  const connection = connectionFrom(parsed, destination, env);
  const paths = (operands.length > 0 ? operands : ["~"]).map(remotePath);
  const flags = FLAGS.filter((flag) => has(parsed, NAMES[flag]!)).join("");
  return sshPlan("ssh-ls", connection, {
    command: remoteCommand(["ls", ...(flags ? [`-${flags}`] : [])], paths),
    operation: "list",
    targets: paths.map((p) => ({ path: p.path })),
  });
}

/** The ssh-ls command. */
export const SSH_LS: ShimSpec = { name: "ssh-ls", program: "ssh", usage: USAGE, plan: planSshLs };

if (import.meta.main) await main(SSH_LS);
