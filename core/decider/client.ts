/**
 * The adapter's side of the decision service: connect to `STATE_DIR/decider.sock` if a service
 * listens there, send requests, read answers. Anything short of a well-formed `ok` answer comes
 * back as undefined, and the adapter decides in its own process instead; so a missing, stopped,
 * hung or confused service costs time, never a decision. Small on purpose: this is what every
 * adapter loads at start-up.
 * @module
 */
import {
  DECIDER_PROTOCOL,
  type DeciderCall,
  type DeciderOk,
  MAX_MESSAGE_BYTES,
  socketPath,
} from "./protocol.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** How long an answer may take before the adapter gives up on the service (ms). */
export const ANSWER_TIMEOUT_MS = 5000;

/** A connection made before the process gave up its network permission (see `preconnect`). */
let early: { stateDir: string; client: Promise<DeciderClient | undefined> } | undefined;

/** A connection to the decision service of one state directory. */
export class DeciderClient {
  readonly #conn: Deno.UnixConn;
  #pending = new Uint8Array(0);
  #broken = false;

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
  }

  /**
   * Connects to the service of `stateDir`; undefined when none listens there or this process
   * may not reach it (no socket, refused, not permitted). A connection `preconnect` made for the
   * same directory is handed out once.
   */
  static async connect(stateDir: string): Promise<DeciderClient | undefined> {
    if (early?.stateDir === stateDir) {
      const made = early.client;
      early = undefined;
      if (await made) return made;
    }
    try {
      const conn = await Deno.connect({ transport: "unix", path: socketPath(stateDir) });
      return new DeciderClient(conn);
    } catch {
      return undefined;
    }
  }

  /**
   * Connects now, for a later `connect(stateDir)`: `wt` gives up its network permission before
   * a command runs, and the service's socket is the one connection its deciding commands make.
   */
  static preconnect(stateDir: string): void {
    early = { stateDir, client: DeciderClient.connect(stateDir) };
  }

  /**
   * Sends one request and returns the service's `ok` answer, or undefined when there is none
   * (refused, malformed, too slow, connection lost); after that the connection is not used again.
   */
  async call(call: DeciderCall, timeoutMs = ANSWER_TIMEOUT_MS): Promise<DeciderOk | undefined> {
    if (this.#broken) return undefined;
    const timer = AbortSignal.timeout(timeoutMs);
    const onTimeout = () => this.#fail();
    timer.addEventListener("abort", onTimeout);
    try {
      const line = JSON.stringify({ v: DECIDER_PROTOCOL, ...call });
      await this.#writeAll(encoder.encode(`${line}\n`));
      const answer = JSON.parse(await this.#readLine());
      if (answer === null || typeof answer !== "object" || answer.ok !== true) {
        this.#fail();
        return undefined;
      }
      return answer as DeciderOk;
    } catch {
      this.#fail();
      return undefined;
    } finally {
      timer.removeEventListener("abort", onTimeout);
    }
  }

  /**
   * Sends one last request without waiting for its answer, then closes the connection (for
   * records that are best effort anyway, such as a program's effect): whether it was sent.
   */
  async send(call: DeciderCall): Promise<boolean> {
    if (this.#broken) return false;
    try {
      await this.#writeAll(encoder.encode(`${JSON.stringify({ v: DECIDER_PROTOCOL, ...call })}\n`));
      return true;
    } catch {
      return false;
    } finally {
      this.#fail();
    }
  }

  /** Closes the connection. */
  close(): void {
    this.#fail();
  }

  #fail(): void {
    if (this.#broken) return;
    this.#broken = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
  }

  async #readLine(): Promise<string> {
    const chunk = new Uint8Array(64 * 1024);
    for (;;) {
      const end = this.#pending.indexOf(10);
      if (end >= 0) {
        const line = decoder.decode(this.#pending.subarray(0, end));
        this.#pending = this.#pending.slice(end + 1);
        return line;
      }
      if (this.#pending.length > MAX_MESSAGE_BYTES) throw new Error("answer too long");
      const n = await this.#conn.read(chunk);
      if (n === null) throw new Error("connection closed");
      const joined = new Uint8Array(this.#pending.length + n);
      joined.set(this.#pending);
      joined.set(chunk.subarray(0, n), this.#pending.length);
      this.#pending = joined;
    }
  }
}
