/**
 * `ssh-cat`: cat of remote files over ssh, decided per path on the host, port, user and the
 * remote path (normalised lexically: it is never resolved on this machine). The default policy
 * passes its output through the secret redactor (rule redact-read-output).
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

const USAGE = `ssh-cat — cat of remote files over ssh, checked by Watchtower

Usage: ssh-cat [-n] [-p PORT] [-i IDENTITY] [-o KEY=VALUE] [--] HOST PATH...

Runs \`cat [-n] -- 'PATH'...\` on HOST. Each PATH is one intent {domain: ssh, operation: read,
target: {host, port, user?, identity?, path}}: an absolute path or a home-relative one (a
relative PATH is relative to the remote home and recorded as ~/PATH), . and .. resolved
lexically (.. may not climb above ~), never on this machine; the remote command gets exactly
that path, single-quoted. Under the redact verdict (the default policy's redact-read-output)
secrets in the output are masked as [REDACTED:kind].
  -n              number the lines (cat -n)
${SSH_USAGE}
Exit: cat's code on the host; 255 ssh could not connect; 77 denied, 75 approval required,
64 bad usage, 69 ssh is not installed.`;

const SPEC = {
  short: { ...SSH_SHORT, n: { name: "number" } },
  long: { number: { name: "number" } },
};

/** Works out what `ssh-cat ARGS` will do. */
export function planSshCat(argv: readonly string[], env: WatchtowerEnvironment): ShimPlan {
  const parsed = parseCommand(argv, SPEC);
  const [destination, ...operands] = parsed.operands;
  if (destination === undefined) throw usage("missing HOST");
  const connection = connectionFrom(parsed, destination, env);
  if (operands.length === 0) throw usage("missing PATH");
  const paths = operands.map(remotePath);
  return sshPlan("ssh-cat", connection, {
    command: remoteCommand(["cat", ...(has(parsed, "number") ? ["-n"] : [])], paths),
    operation: "read",
    targets: paths.map((p) => ({ path: p.path })),
  });
}

/** The ssh-cat command. */
export const SSH_CAT: ShimSpec = {
  name: "ssh-cat",
  program: "ssh",
  usage: USAGE,
  plan: planSshCat,
};

if (import.meta.main) await main(SSH_CAT);
