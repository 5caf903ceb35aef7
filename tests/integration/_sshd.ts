/**
 * A real OpenSSH server on 127.0.0.1 for the ssh-* tests: a temporary host key, a client key in
 * its authorized_keys, a known_hosts file naming the host key, logging to a file, on a free port.
 * It runs as the current user (root here: sshd's privilege separation needs root and /run/sshd).
 */

/** A running sshd and the client-side files to reach it. */
export interface Sshd {
  port: number;
  dir: string;
  /** The client's private key. */
  identity: string;
  /** A known_hosts file holding the server's host key for [127.0.0.1]:port. */
  knownHosts: string;
  /** A directory the tests may fill with "remote" files (removed by stop()). */
  remote: string;
  /** The server's log so far (LogLevel VERBOSE). */
  log(): string;
  /** How many connections the server has logged so far. */
  connections(): number;
  /** How many sessions (remote commands) the server has started so far. */
  sessions(): number;
  stop(): Promise<void>;
}

/** Where Debian's openssh-server puts the daemon. */
export const SSHD = "/usr/sbin/sshd";

/** Why sshd cannot run here, or undefined when it can. */
export function sshdUnavailable(): string | undefined {
  try {
    Deno.statSync(SSHD);
  } catch {
    return `${SSHD} is not installed (apt-get install openssh-server)`;
  }
  if (Deno.uid() !== 0) return "sshd's privilege separation needs root";
  return undefined;
}

async function keygen(file: string): Promise<void> {
  const out = await new Deno.Command("ssh-keygen", {
    args: ["-q", "-N", "", "-t", "ed25519", "-C", "wt-test", "-f", file],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`ssh-keygen failed: ${new TextDecoder().decode(out.stderr)}`);
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function banner(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      const buffer = new Uint8Array(64);
      const n = await conn.read(buffer);
      return n !== null && new TextDecoder().decode(buffer.subarray(0, n)).startsWith("SSH-2.0");
    } finally {
      conn.close();
    }
  } catch {
    return false;
  }
}

const count = (text: string, marker: string) =>
  text.split("\n").filter((line) => line.includes(marker)).length;

/** Starts sshd and waits until it answers with its banner. */
export async function startSshd(): Promise<Sshd> {
  const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-sshd-" }));
  await keygen(`${dir}/host_key`);
  await keygen(`${dir}/client_key`);
  Deno.mkdirSync(`${dir}/remote`);
  Deno.copyFileSync(`${dir}/client_key.pub`, `${dir}/authorized_keys`);
  // sshd checks that its privilege separation directory exists (systemd creates it on boot).
  Deno.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const port = freePort();
  const [type, key] = Deno.readTextFileSync(`${dir}/host_key.pub`).trim().split(/\s+/);
  Deno.writeTextFileSync(`${dir}/known_hosts`, `[127.0.0.1]:${port} ${type} ${key}\n`);
  const logFile = `${dir}/sshd.log`;
  Deno.writeTextFileSync(
    `${dir}/sshd_config`,
    [
      `ListenAddress 127.0.0.1`,
      `HostKey ${dir}/host_key`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      "PermitRootLogin prohibit-password",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "StrictModes no",
      "UsePAM no",
      "UseDNS no",
      "PrintMotd no",
      "AllowTcpForwarding no",
      "X11Forwarding no",
      "AllowAgentForwarding no",
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
  );
  const child = new Deno.Command(SSHD, {
    args: ["-D", "-E", logFile, "-f", `${dir}/sshd_config`, "-p", String(port)],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const stderr = new Response(child.stderr).text();
  const kill = () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
  };
  // A test run that ends early (a filter, a failure) must not leave the daemon or files behind.
  const cleanUp = () => {
    kill();
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already removed
    }
  };
  globalThis.addEventListener("unload", cleanUp);
  const deadline = Date.now() + 10_000;
  while (!(await banner(port))) {
    if (exited || Date.now() > deadline) {
      globalThis.removeEventListener("unload", cleanUp);
      kill();
      await status;
      let log = "";
      try {
        log = Deno.readTextFileSync(logFile);
      } catch {
        // no log written
      }
      throw new Error(`sshd did not start on 127.0.0.1:${port}: ${await stderr}${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const log = () => {
    try {
      return Deno.readTextFileSync(logFile);
    } catch {
      return "";
    }
  };
  return {
    port,
    dir,
    identity: `${dir}/client_key`,
    knownHosts: `${dir}/known_hosts`,
    remote: `${dir}/remote`,
    log,
    connections: () => count(log(), "Connection from"),
    sessions: () => count(log(), "Starting session:"),
    async stop() {
      globalThis.removeEventListener("unload", cleanUp);
      kill();
      await status;
      await stderr;
      Deno.removeSync(dir, { recursive: true });
    },
  };
}
