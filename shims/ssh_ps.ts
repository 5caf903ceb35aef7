/**
 * `ssh-ps`: the process list of a remote host over ssh (all processes, or one user's), decided
 * on the host, port and user.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import type { ShimPlan } from "../core/shim/runner.ts";
import { last, parseCommand, usage } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";
import { connectionFrom, remoteCommand, SSH_SHORT, SSH_USAGE, sshPlan } from "./_ssh.ts";

const USAGE = `ssh-ps — the process list of a remote host over ssh, checked by Watchtower

Usage: ssh-ps [-u|--user USER] [-p PORT] [-i IDENTITY] [-o KEY=VALUE] [--] HOST

Runs \`ps -ww -o user,pid,ppid,%cpu,%mem,stat,start,time,args\` with -e (every process) or
-u USER (USER's processes) on HOST. One intent {domain: ssh, operation: ps,
target: {host, port, user?, identity?, process_user?}}.
  -u, --user USER  only USER's processes (a user name or numeric id)
${SSH_USAGE}
Exit: ps's code on the host; 255 ssh could not connect; 77 denied, 75 approval required,
64 bad usage, 69 ssh is not installed.`;

const SPEC = {
  short: { ...SSH_SHORT, u: { name: "user", value: true } },
  long: { user: { name: "user", value: true } },
};

const COLUMNS = "user,pid,ppid,%cpu,%mem,stat,start,time,args";
const PROCESS_USER = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\$?$/;

/** Works out what `ssh-ps ARGS` will do. */
export function planSshPs(argv: readonly string[], env: WatchtowerEnvironment): ShimPlan {
  const parsed = parseCommand(argv, SPEC);
  const [destination, ...extra] = parsed.operands;
  if (destination === undefined) throw usage("missing HOST");
  if (extra.length > 0) throw usage(`unexpected operand ${JSON.stringify(extra[0])}`);
  const connection = connectionFrom(parsed, destination, env);
  const processUser = last(parsed, "user");
  if (processUser !== undefined && !PROCESS_USER.test(processUser)) {
    throw usage(`--user ${JSON.stringify(processUser)} is not a user name or id`);
  }
  const select = processUser !== undefined ? ["-u", processUser] : ["-e"];
  return sshPlan("ssh-ps", connection, {
    command: remoteCommand(["ps", "-ww", "-o", COLUMNS, ...select]),
    operation: "ps",
    targets: [processUser !== undefined ? { process_user: processUser } : {}],
  });
}

/** The ssh-ps command. */
export const SSH_PS: ShimSpec = { name: "ssh-ps", program: "ssh", usage: USAGE, plan: planSshPs };

if (import.meta.main) await main(SSH_PS);
