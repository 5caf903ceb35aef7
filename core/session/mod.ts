/**
 * Sessions and zones for adapters: read the session a decision is made in, and after an action
 * that went ahead, advance the session's zone to the action's and say what to record.
 *
 * ```ts ignore
 * const tracker = new SessionTracker(env.stateDir, env.session);
 * const view = tracker.view();                 // throws session_unavailable: deny
 * const decision = guard.decide(intent, view);
 * // … record the decision; if it permits, run the operation, then:
 * const event = tracker.advance(intent, decision); // a `session.zone` event to record, if any
 * ```
 * @module
 */
import type { GuardDecision, SessionView } from "../guard.ts";
import { effectiveVerdict, type Intent, permits, RESOURCE_FIELD, type Zone } from "../intent.ts";
import { SessionStore } from "./store.ts";
import { isZone, zoneRank } from "./zones.ts";

export { type Advance, newSessionId, type SessionRecord, SessionStore } from "./store.ts";
export { classifyAction, isZone, laterZone, zoneRank } from "./zones.ts";

/** A `session.zone` event: the session moved to a later zone because of an action. */
export interface ZoneEvent {
  type: "session.zone";
  session: string;
  from: Zone;
  to: Zone;
  cause: string;
  [key: string]: unknown;
}

/** One short line naming an action: `domain operation resource`. */
export function describeAction(intent: Intent): string {
  const resource = intent.target[RESOURCE_FIELD[intent.domain]];
  const text = typeof resource === "string" ? resource : JSON.stringify(resource ?? "");
  return `${intent.domain} ${intent.operation} ${text.slice(0, 200)}`;
}

/** The session of one adapter run (or none, when `WATCHTOWER_SESSION` is not set). */
export class SessionTracker {
  readonly store: SessionStore;
  readonly id: string | undefined;

  constructor(stateDir: string, id: string | undefined) {
    this.store = new SessionStore(stateDir);
    this.id = id;
  }

  /**
   * The session to decide in, read now (other processes advance it). Undefined without a
   * session; throws `session_unavailable` for an unknown, corrupt or ended one.
   */
  view(): SessionView | undefined {
    if (this.id === undefined) return undefined;
    const session = this.store.current(this.id);
    return { id: session.id, zone: session.zone };
  }

  /**
   * After `intent` went ahead under `decision`: moves the session to the action's zone when it
   * is later, and returns the event to record (undefined when nothing changed or no session).
   * Throws `session_unavailable` when the session cannot be written.
   */
  advance(intent: Intent, decision: GuardDecision): ZoneEvent | undefined {
    if (this.id === undefined || !permits(effectiveVerdict(decision))) return undefined;
    const zone = decision.annotations.action_zone;
    if (!isZone(zone)) return undefined;
    // Decided in a zone at least as late: nothing to move (and no lock to take).
    const decidedIn = decision.annotations.zone;
    if (isZone(decidedIn) && zoneRank(zone) <= zoneRank(decidedIn)) return undefined;
    const cause = describeAction(intent);
    const moved = this.store.advance(this.id, zone, cause);
    if (!moved.changed) return undefined;
    return { type: "session.zone", session: this.id, from: moved.from, to: moved.to, cause };
  }
}
