/**
 * The decision service's wire protocol: one JSON object per line over the Unix socket
 * `STATE_DIR/decider.sock`, a request from the adapter and one answer from the service, any
 * number of times on one connection. The service is only a faster way to get the same
 * decisions: an adapter that cannot use it decides in its own process. docs/decider.md.
 * @module
 */
import type { WatchtowerEnvironment } from "../config.ts";
import type { GuardDecision } from "../guard.ts";
import type { Intent } from "../intent.ts";
import { DECIDER_SOCKET } from "../tools.ts";

/** The protocol version; a service answers requests of another version with `fallback`. */
export const DECIDER_PROTOCOL = 1;

/** The longest request or answer line (bytes, newline excluded). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** The socket's name in the state directory. */
export const SOCKET_NAME = DECIDER_SOCKET;

/** Where the service of `stateDir` listens. */
export function socketPath(stateDir: string): string {
  return `${stateDir}/${SOCKET_NAME}`;
}

/** Fields every request carries: the protocol version and the adapter's environment. */
interface RequestBase {
  v: number;
  /** The environment the adapter resolved (identity, cwd, workspace, session, state directory). */
  env: WatchtowerEnvironment;
}

/** Decide and record intents (a safe command's targets). */
export interface DecideRequest extends RequestBase {
  op: "decide";
  intents: Intent[];
  /** A refusal no policy lifts: every intent is denied with it (and recorded). */
  refusal?: string;
}

/** Move the session for intents that go ahead (their decisions as the service gave them). */
export interface AdvanceRequest extends RequestBase {
  op: "advance";
  intents: Intent[];
  decisions: GuardDecision[];
}

/** Record what a program did (an `effect` event). */
export interface EffectRequest extends RequestBase {
  op: "effect";
  event: Record<string, unknown>;
}

/** Decide (and record, unless `record` is false) a shell line. */
export interface LineRequest extends RequestBase {
  op: "line";
  line: string;
  /** `context.tool` of the line's intents. */
  tool: string;
  record: boolean;
  /** Review escalated parts against the approvals first (`wt sh`, `wt exec`; needs `record`). */
  review?: boolean;
}

/**
 * Answer an agent's hook event (its text, as the hook read it from the agent); the answer is in
 * that agent's format (`answer`: stdout, stderr, exit code).
 */
export interface HookRequest extends RequestBase {
  op: "hook";
  agent: "claude-code" | "opencode";
  text: string;
}

/** Is the service there, for this state directory? */
export interface PingRequest extends RequestBase {
  op: "ping";
}

/** Any request. */
export type DeciderRequest =
  | DecideRequest
  | AdvanceRequest
  | EffectRequest
  | LineRequest
  | HookRequest
  | PingRequest;

/** A request without the protocol version (the client fills it in). */
export type DeciderCall = DeciderRequest extends infer R
  ? R extends RequestBase ? Omit<R, "v"> : never
  : never;

/** The answer to a request the service took. */
export interface DeciderOk {
  ok: true;
  [field: string]: unknown;
}

/**
 * The answer to a request the service did not take: the adapter decides in its own process
 * (a different state directory or protocol version, a malformed request, a fault).
 */
export interface DeciderRefusal {
  ok: false;
  error: string;
}

/** Any answer. */
export type DeciderAnswer = DeciderOk | DeciderRefusal;
