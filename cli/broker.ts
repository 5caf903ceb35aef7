/**
 * The Deno permission broker `wt run` answers for a Deno agent (`DENO_PERMISSION_BROKER_PATH`, a
 * Unix socket, one JSON line per check): every read, write, net, env, run, ffi, sys and import
 * check the agent's Deno makes becomes an intent, is decided by the policy and recorded, and the
 * answer goes back — so the agent runs with exactly the permissions the policy grants. Every
 * check gets an answer within a second (a broker that never answers hangs the agent); anything
 * the broker cannot read, or that escalates (no human waits on a permission check), is denied.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import type { Guard, GuardDecision, SessionView } from "../core/guard.ts";
import { effectiveVerdict, type Intent, permits } from "../core/intent.ts";
import { decisionRecord } from "../core/ledger/records.ts";
import type { Ledger } from "../core/ledger/writer.ts";

/** One permission check, as Deno sends it. */
export interface BrokerCheck {
  v: number;
  pid: number;
  id: number;
  permission: string;
  value: string | null;
}

/** The answer. */
export interface BrokerAnswer {
  id: number;
  result: "allow" | "deny";
  reason?: string;
}

/**
 * The intent a check becomes: reads and writes are filesystem intents (so secrets, the state
 * directory and system locations are fenced as everywhere else), net and import are http
 * connections, the rest `permission` intents.
 *
 * @example
 * ```ts
 * import { checkIntent } from "./broker.ts";
 * import { equal } from "node:assert/strict";
 * const env = { principal: "agent:x", capabilities: [], purpose: undefined, session: "s-1" };
 * equal(checkIntent({ v: 1, pid: 7, id: 1, permission: "read", value: "/w/a.ts" }, env).domain,
 *   "filesystem");
 * equal(checkIntent({ v: 1, pid: 7, id: 2, permission: "net", value: "example.com:443" }, env)
 *   .target.url, "https://example.com:443/");
 * ```
 */
export function checkIntent(
  check: BrokerCheck,
  env: Pick<WatchtowerEnvironment, "principal" | "capabilities" | "purpose" | "session">,
): Intent {
  const identity = {
    principal: env.principal,
    capabilities: env.capabilities,
    ...(env.purpose !== undefined ? { purpose: env.purpose } : {}),
  };
  const context = {
    tool: "deno-broker",
    pid: check.pid,
    ...(env.session !== undefined ? { session: env.session } : {}),
  };
  const value = check.value ?? "";
  if (check.permission === "read" || check.permission === "write") {
    return {
      identity,
      domain: "filesystem",
      operation: check.permission,
      target: { path: value },
      context,
    };
  }
  if (check.permission === "net" || check.permission === "import") {
    const colon = value.lastIndexOf(":");
    const host = colon > 0 ? value.slice(0, colon) : value;
    const port = colon > 0 ? Number(value.slice(colon + 1)) : 443;
    return {
      identity,
      domain: "http",
      operation: check.permission === "import" ? "get" : "connect",
      target: {
        url: `https://${host}:${port}/`,
        method: check.permission === "import" ? "GET" : "CONNECT",
        host: host.replace(/^\[|\]$/g, ""),
        port,
      },
      context,
    };
  }
  return {
    identity,
    domain: "permission",
    operation: check.permission,
    target: { value: check.value === null ? "*" : value },
    context,
  };
}

/** What the broker needs. */
export interface BrokerOptions {
  socket: string;
  guard: Guard;
  env: WatchtowerEnvironment;
  ledger: Ledger;
  session: () => SessionView | undefined;
  /** After an allowed check: moves the session's zone on; returns the event to record. */
  advance?: (intent: Intent, decision: GuardDecision) => Record<string, unknown> | undefined;
}

/** A running broker. */
export interface Broker {
  close(): Promise<void>;
  /** Checks answered, and how many were denied. */
  stats: { checks: number; denied: number };
}

/** Decides one check (deny for whatever is not a clear allow). */
export function decideCheck(
  check: BrokerCheck,
  options: Pick<BrokerOptions, "guard" | "env" | "session">,
): { intent: Intent; decision: GuardDecision; answer: BrokerAnswer } {
  const intent = checkIntent(check, options.env);
  const decision = options.guard.decide(intent, options.session());
  const allowed = permits(effectiveVerdict(decision));
  return {
    intent,
    decision,
    answer: allowed ? { id: check.id, result: "allow" } : {
      id: check.id,
      result: "deny",
      reason: `Watchtower: ${decision.detail}${
        decision.verdict === "escalate" ? " (a permission check cannot wait for approval)" : ""
      }`,
    },
  };
}

/** Listens on `socket` and answers every check of every connecting Deno process. */
export function startBroker(options: BrokerOptions): Broker {
  const listener = Deno.listen({ transport: "unix", path: options.socket });
  const stats = { checks: 0, denied: 0 };
  const connections = new Set<Deno.Conn>();
  const encoder = new TextEncoder();
  const serve = async (conn: Deno.Conn) => {
    connections.add(conn);
    const decoder = new TextDecoder();
    let pending = "";
    const buffer = new Uint8Array(65_536);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) return;
        pending += decoder.decode(buffer.subarray(0, n), { stream: true });
        if (pending.length > 1 << 20) return; // garbage: the client exits 87 when we close
        let newline: number;
        while ((newline = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          const answer = handle(line);
          if (!answer) return; // unreadable: close (the client exits 87, nothing is allowed)
          await conn.write(encoder.encode(`${JSON.stringify(answer)}\n`));
        }
      }
    } catch {
      // the client went away
    } finally {
      connections.delete(conn);
      try {
        conn.close();
      } catch {
        // closed
      }
    }
  };
  const handle = (line: string): BrokerAnswer | undefined => {
    let check: BrokerCheck;
    try {
      check = JSON.parse(line);
    } catch {
      return undefined;
    }
    if (
      typeof check !== "object" || check === null || typeof check.id !== "number" ||
      typeof check.permission !== "string" ||
      (check.value !== null && typeof check.value !== "string")
    ) {
      return undefined;
    }
    stats.checks++;
    let decided;
    try {
      decided = decideCheck(check, options);
    } catch (error) {
      stats.denied++;
      return {
        id: check.id,
        result: "deny",
        reason: `Watchtower: ${error instanceof Error ? error.message : error}`,
      };
    }
    if (decided.answer.result === "deny") stats.denied++;
    // Recorded with the next group commit; a check that cannot be recorded is still answered.
    options.ledger.append(decisionRecord(decided.intent, decided.decision)).catch(() => {});
    if (decided.answer.result === "allow" && options.advance) {
      try {
        const event = options.advance(decided.intent, decided.decision);
        if (event) {
          options.ledger.append({ data: { event: event as { type: string } } }).catch(() => {});
        }
      } catch (error) {
        stats.denied++;
        return {
          id: check.id,
          result: "deny",
          reason: `Watchtower: ${error instanceof Error ? error.message : error}`,
        };
      }
    }
    return decided.answer;
  };
  const accepting = (async () => {
    for await (const conn of listener) serve(conn);
  })().catch(() => {});
  return {
    stats,
    async close() {
      listener.close();
      for (const conn of connections) {
        try {
          conn.close();
        } catch {
          // closed
        }
      }
      await accepting;
      options.ledger.flush();
      try {
        Deno.removeSync(options.socket);
      } catch {
        // gone
      }
    },
  };
}
