/**
 * Name resolution for the egress proxy. The proxy resolves names itself so that the address the
 * egress guard checks is the address it connects to: `localhost` names (RFC 6761), then
 * `/etc/hosts` (read when it changes), then DNS (A and AAAA).
 * @module
 */

/** Parses `/etc/hosts` text into name -> addresses (lower-case names, in file order). */
export function parseHosts(text: string): Map<string, string[]> {
  const table = new Map<string, string[]>();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    const [address, ...names] = line.split(/\s+/);
    if (!address || names.length === 0) continue;
    for (const name of names) {
      const key = name.toLowerCase().replace(/\.$/, "");
      const list = table.get(key) ?? [];
      if (!list.includes(address)) list.push(address);
      table.set(key, list);
    }
  }
  return table;
}

/**
 * A resolver: `localhost` and `*.localhost` are loopback; then the hosts file; then DNS. Throws
 * when a name has no address (the proxy answers 403 with the reason).
 */
export function hostsResolver(
  hostsFile = "/etc/hosts",
  dns: (name: string, type: "A" | "AAAA") => Promise<string[]> = (name, type) =>
    Deno.resolveDns(name, type),
): (host: string) => Promise<string[]> {
  let table = new Map<string, string[]>();
  let stamp = "";
  let checked = Number.NEGATIVE_INFINITY;
  const refresh = () => {
    // A stat per request would cost a system call on the hot path: once a second is enough.
    const now = performance.now();
    if (now - checked < 1000) return;
    checked = now;
    try {
      const info = Deno.statSync(hostsFile);
      const next = `${info.mtime?.getTime()}:${info.size}:${info.ino}`;
      if (next !== stamp) {
        table = parseHosts(Deno.readTextFileSync(hostsFile));
        stamp = next;
      }
    } catch {
      table = new Map();
      stamp = "";
    }
  };
  return async (host) => {
    const name = host.toLowerCase().replace(/\.$/, "");
    if (name === "localhost" || name.endsWith(".localhost")) return ["127.0.0.1", "::1"];
    refresh();
    const listed = table.get(name);
    if (listed) return listed;
    const answers = await Promise.allSettled([dns(name, "A"), dns(name, "AAAA")]);
    const addresses = answers.flatMap((answer) =>
      answer.status === "fulfilled" ? answer.value : []
    );
    if (addresses.length === 0) {
      const failed = answers.find((answer) => answer.status === "rejected") as
        | PromiseRejectedResult
        | undefined;
      throw new Error(
        `${name} does not resolve${failed ? `: ${failed.reason?.message ?? failed.reason}` : ""}`,
      );
    }
    return addresses;
  };
}
