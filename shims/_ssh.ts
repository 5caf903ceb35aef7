/**
 * What `ssh-ls`, `ssh-cat` and `ssh-ps` share: the connection options they accept, the checks
 * on HOST and remote paths, the POSIX quoting of the remote command, and the hardened `ssh`
 * argument list (BatchMode, no agent, no X11, no forwarding, no connection sharing, no tty).
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import { resolvePath } from "../core/shim/paths.ts";
import type { ShimPlan } from "../core/shim/runner.ts";
import type { Target } from "../core/intent.ts";
import { last, type OptionSpec, type ParsedCommand, usage } from "./_args.ts";

/** The options every ssh-* command takes: `-p PORT`, `-i IDENTITY`, `-o KEY=VALUE`. */
export const SSH_SHORT: Record<string, OptionSpec> = {
  p: { name: "port", value: true },
  i: { name: "identity", value: true },
  o: { name: "option", value: true },
};

/** The connection options' lines for a command's USAGE. */
export const SSH_USAGE = `Connection options:
  -p PORT         port (default 22; always passed, so a Port in ssh_config does not apply)
  -i IDENTITY     private key file (a local path)
  -o KEY=VALUE    only these: UserKnownHostsFile=FILE (one local file, only read: implies
                  StrictHostKeyChecking=yes), StrictHostKeyChecking=yes, ConnectTimeout=SECONDS
                  (1-120, default 10). Any other -o is refused.
HOST is host or user@host: a host name, IPv4 or IPv6 address (no ssh:// URI, no leading -).
ssh always runs with -T -n -a -x, BatchMode=yes, no agent, no forwarding of any kind, no
connection sharing (ControlPath=none), no LocalCommand or RemoteCommand; the remote login shell
must be POSIX (sh, bash, dash, ksh, zsh).`;

/** Options the hardened ssh command line always carries, before anything else. */
export const HARDENING = [
  "BatchMode=yes",
  "IdentityAgent=none",
  "ForwardAgent=no",
  "ForwardX11=no",
  "ForwardX11Trusted=no",
  "GSSAPIDelegateCredentials=no",
  "ClearAllForwardings=yes",
  "Tunnel=no",
  "ControlMaster=no",
  "ControlPath=none",
  "PermitLocalCommand=no",
  "RemoteCommand=none",
  "RequestTTY=no",
  "UpdateHostKeys=no",
] as const;

/** Where and as whom a command connects. */
export interface SshConnection {
  /** Lower case, as ssh itself uses it. */
  host: string;
  user?: string;
  port: number;
  /** Absolute local path of the private key. */
  identity?: string;
  /** Absolute local path of a known-hosts file to check the host key against. */
  knownHosts?: string;
  /** StrictHostKeyChecking=yes (asked for, or implied by a known-hosts file). */
  strictHostKeys: boolean;
  /** Seconds (default 10). */
  connectTimeout: number;
}

/** A remote path as decided (`path`) and as the remote command gets it (`arg`). */
export interface RemotePath {
  /** Absolute (`/var/log`) or home-relative (`~`, `~/logs/app.log`), normalised lexically. */
  path: string;
  /** The word for the remote command: absolute, or relative to the home directory. */
  arg: string;
  /** Whether `arg` is relative to the remote home directory. */
  fromHome: boolean;
}

const HOSTNAME = /^[a-z0-9_][a-z0-9._-]{0,252}$/;
const IPV6_CHARS = /^[0-9a-f:.]+$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\$?$/;
// Characters a local path given in -i or -o may not hold: ssh reads -o values as a config line
// (spaces split, quotes and # are syntax) and expands %-tokens in both.
const UNSAFE_LOCAL_PATH = /[\s"'\\#%\0]/;

function isIpv6(host: string): boolean {
  if (!IPV6_CHARS.test(host) || !host.includes(":")) return false;
  try {
    new URL(`http://[${host}]/`);
    return true;
  } catch {
    return false;
  }
}

/** Parses HOST (`host` or `user@host`); refuses anything ssh could read as an option or URI. */
export function parseDestination(word: string): { host: string; user?: string } {
  if (word.startsWith("-")) {
    throw usage(`HOST ${JSON.stringify(word)} starts with -: an option cannot pass as a host`);
  }
  const at = word.lastIndexOf("@");
  const user = at >= 0 ? word.slice(0, at) : undefined;
  const host = word.slice(at + 1).toLowerCase();
  if (!(HOSTNAME.test(host) || isIpv6(host))) {
    throw usage(`HOST ${JSON.stringify(word)} is not a host name or address`);
  }
  if (user !== undefined && !USER.test(user)) {
    throw usage(`the user in ${JSON.stringify(word)} is not a user name`);
  }
  return user !== undefined ? { host, user } : { host };
}

/**
 * Checks and normalises a remote path lexically (it is never resolved locally). A relative path
 * is relative to the remote home directory and written `~/…`; `..` may not climb above it.
 *
 * @example
 * ```ts
 * import { remotePath } from "./_ssh.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(remotePath("/var/log/../log/./syslog"), { path: "/var/log/syslog", arg: "/var/log/syslog", fromHome: false });
 * deepEqual(remotePath("logs/"), { path: "~/logs/", arg: "logs/", fromHome: true });
 * ```
 */
export function remotePath(word: string): RemotePath {
  if (word === "") throw usage("a remote path cannot be empty");
  if (word.includes("\0")) throw usage("a remote path cannot contain a NUL byte");
  let rest: string;
  let fromHome: boolean;
  if (word === "~" || word.startsWith("~/")) {
    fromHome = true;
    rest = word.slice(1);
  } else if (word.startsWith("~")) {
    throw usage(`${JSON.stringify(word)}: ~user paths are not supported; give the absolute path`);
  } else {
    fromHome = !word.startsWith("/");
    rest = word;
  }
  const parts: string[] = [];
  for (const part of rest.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== "..") parts.push(part);
    else if (parts.length > 0) parts.pop();
    else if (fromHome) {
      throw usage(
        `${JSON.stringify(word)} climbs above the remote home directory; give the absolute path`,
      );
    }
  }
  // A trailing / (or a last . or ..) names a directory: ls then lists a linked directory's content.
  const dir = /(^|\/)\.{0,2}$/.test(word) && parts.length > 0 ? "/" : "";
  const joined = parts.join("/");
  if (!fromHome) {
    const path = `/${joined}${dir}`;
    return { path, arg: path, fromHome };
  }
  return joined === ""
    ? { path: "~", arg: ".", fromHome }
    : { path: `~/${joined}${dir}`, arg: `${joined}${dir}`, fromHome };
}

/**
 * Quotes a word for a POSIX shell: single quotes, with each `'` written `'\''`, so that nothing
 * in it (`;`, `$( )`, backquotes, newlines, globs) is shell syntax.
 *
 * @example
 * ```ts
 * import { shellQuote } from "./_ssh.ts";
 * import { equal } from "node:assert/strict";
 * equal(shellQuote("it's; rm -rf ~"), `'it'\\''s; rm -rf ~'`);
 * ```
 */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The remote command line: every word quoted; `cd &&` first when a path is home-relative. */
export function remoteCommand(words: readonly string[], paths: readonly RemotePath[] = []): string {
  const line = [...words, ...(paths.length > 0 ? ["--", ...paths.map((p) => p.arg)] : [])]
    .map(shellQuote).join(" ");
  // `cd` with no argument goes to $HOME and fails when there is none, rather than resolving a
  // home-relative path from wherever sshd left the session.
  return paths.some((p) => p.fromHome) ? `cd && ${line}` : line;
}

function localPath(value: string, what: string, env: WatchtowerEnvironment): string {
  if (UNSAFE_LOCAL_PATH.test(value)) {
    throw usage(`${what} ${JSON.stringify(value)} holds a space, quote, backslash, # or %`);
  }
  return resolvePath(value, env.cwd, "all");
}

/** Reads the connection options (`-p`, `-i`, `-o`) and HOST. */
export function connectionFrom(
  parsed: ParsedCommand,
  destination: string,
  env: WatchtowerEnvironment,
): SshConnection {
  const { host, user } = parseDestination(destination);
  const portText = last(parsed, "port") ?? "22";
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw usage(`-p ${portText}: not a port number`);
  const connection: SshConnection = { host, port, connectTimeout: 10, strictHostKeys: false };
  if (user !== undefined) connection.user = user;
  const identity = last(parsed, "identity");
  if (identity !== undefined) connection.identity = localPath(identity, "-i", env);
  for (const option of parsed.options.get("option") ?? []) {
    const eq = option.indexOf("=");
    const key = (eq >= 0 ? option.slice(0, eq) : option).toLowerCase();
    const value = eq >= 0 ? option.slice(eq + 1) : "";
    if (key === "userknownhostsfile" && value !== "") {
      // A file the agent names is only read: ssh never adds a key to it.
      connection.knownHosts = localPath(value, "-o UserKnownHostsFile", env);
      connection.strictHostKeys = true;
    } else if (key === "stricthostkeychecking" && value.toLowerCase() === "yes") {
      // The only value allowed: it can tighten the user's ssh_config, never loosen it.
      connection.strictHostKeys = true;
    } else if (key === "connecttimeout" && /^[0-9]{1,3}$/.test(value)) {
      const seconds = Number(value);
      if (seconds < 1 || seconds > 120) throw usage(`-o ConnectTimeout=${value}: 1 to 120`);
      connection.connectTimeout = seconds;
    } else {
      throw usage(
        `-o ${option} is not allowed; only UserKnownHostsFile=FILE, StrictHostKeyChecking=yes and ConnectTimeout=SECONDS`,
      );
    }
  }
  return connection;
}

/** The intent target fields of a connection (`host`, `port`, `user`?, `identity`?). */
export function connectionTarget(connection: SshConnection): Target {
  return {
    host: connection.host,
    port: connection.port,
    ...(connection.user !== undefined ? { user: connection.user } : {}),
    ...(connection.identity !== undefined ? { identity: connection.identity } : {}),
  };
}

/** The whole `ssh` argument list: hardening first (ssh keeps the first value it sees). */
export function sshArgs(connection: SshConnection, command: string): string[] {
  const options = [
    ...HARDENING,
    `ConnectTimeout=${connection.connectTimeout}`,
    ...(connection.knownHosts !== undefined ? [`UserKnownHostsFile=${connection.knownHosts}`] : []),
    ...(connection.strictHostKeys ? ["StrictHostKeyChecking=yes"] : []),
  ];
  return [
    "-T",
    "-n",
    "-a",
    "-x",
    ...options.flatMap((option) => ["-o", option]),
    "-p",
    String(connection.port),
    ...(connection.identity !== undefined ? ["-i", connection.identity] : []),
    ...(connection.user !== undefined ? ["-l", connection.user] : []),
    "--",
    connection.host,
    command,
  ];
}

/** A plan running `command` on the connection's host, with one intent per target. */
export function sshPlan(
  tool: string,
  connection: SshConnection,
  run: { command: string; operation: string; targets: Target[] },
): ShimPlan {
  const base = connectionTarget(connection);
  return {
    tool,
    program: "ssh",
    args: sshArgs(connection, run.command),
    intents: run.targets.map((extra) => ({
      domain: "ssh",
      operation: run.operation,
      target: { ...base, ...extra },
    })),
  };
}
