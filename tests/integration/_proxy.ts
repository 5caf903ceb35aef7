/**
 * Starts the real `wt-proxy` the way its launcher does (`deno run -P=wt-proxy` plus read and
 * write on the state directory) and an upstream HTTP server on 127.0.0.1 that echoes what it
 * received, for the proxy's integration tests.
 */
import { cleanEnv, sandbox, toolArgs } from "./_wt.ts";

/** A running proxy. */
export interface RunningProxy {
  port: number;
  url: string;
  stateDir: string;
  env: Record<string, string>;
  /** Everything the proxy wrote on stderr so far. */
  stderr(): string;
  /** Sends `signal` and waits for the exit; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/** Starts `wt-proxy ARGS` on a free loopback port with a fresh state directory. */
export async function startProxy(
  args: string[] = [],
  options: { env?: Record<string, string>; policy?: string } = {},
): Promise<RunningProxy> {
  const box = sandbox();
  Deno.mkdirSync(box.stateDir, { recursive: true });
  if (options.policy !== undefined) {
    Deno.writeTextFileSync(`${box.stateDir}/policy.yaml`, options.policy);
  }
  const env = { ...box.env, ...options.env };
  const child = new Deno.Command(Deno.execPath(), {
    args: toolArgs("wt-proxy", "proxy/main.ts", [`--allow-write=${box.home}`], [
      "--port",
      "0",
      ...args,
    ]),
    cwd: box.home,
    clearEnv: true,
    env: cleanEnv(env),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let errText = "";
  const decoder = new TextDecoder();
  const errDone = (async () => {
    for await (const chunk of child.stderr) errText += decoder.decode(chunk, { stream: true });
  })();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  while (!first.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    first += value;
  }
  lines.releaseLock();
  const match = /listening on 127\.0\.0\.1:(\d+)/.exec(first);
  if (!match) {
    await child.status;
    await errDone;
    throw new Error(`wt-proxy did not start: ${first} ${errText}`);
  }
  const port = Number(match[1]);
  const drain = child.stdout.pipeTo(new WritableStream()).catch(() => {});
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stateDir: box.stateDir,
    env,
    stderr: () => errText,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
      const status = await child.status;
      await Promise.all([errDone, drain]);
      return status.code;
    },
  };
}

/** What the upstream saw of one request. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  bodyBytes: number;
}

/** An upstream HTTP server on 127.0.0.1 that records requests and echoes a short answer. */
export function startUpstream(): { port: number; seen: SeenRequest[]; close(): Promise<void> } {
  const seen: SeenRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url);
    const body = new Uint8Array(await request.arrayBuffer());
    seen.push({
      method: request.method,
      path: `${url.pathname}${url.search}`,
      headers: Object.fromEntries(request.headers),
      bodyBytes: body.length,
    });
    if (url.pathname.startsWith("/big/")) {
      const size = Number(url.pathname.slice(5));
      return new Response(new Uint8Array(size).fill(120));
    }
    return new Response(`${request.method} ${url.pathname} ${body.length}\n`, {
      headers: { "content-type": "text/plain" },
    });
  });
  return {
    port: server.addr.port,
    seen,
    close: () => server.shutdown(),
  };
}

/** Reads the ledger's entries (decisions and events) from a state directory. */
// deno-lint-ignore no-explicit-any
export function ledgerLines(stateDir: string): Array<Record<string, any>> {
  const files = [...Deno.readDirSync(stateDir)].map((entry) => entry.name)
    .filter((name) => /^ledger-\d+\.jsonl$/.test(name)).sort();
  return files.flatMap((name) =>
    Deno.readTextFileSync(`${stateDir}/${name}`).split("\n").filter((line) => line !== "")
      .map((line) => JSON.parse(line))
  );
}

/** Polls `check` until it is true (the proxy commits its ledger every few milliseconds). */
export async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
