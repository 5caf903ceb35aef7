/**
 * The session a `wt` command decides in, with its current zone: read once per session per run
 * (a batch of ten thousand lines reads the session file once).
 * @module
 */
import type { SessionView } from "../core/guard.ts";
import { SessionStore } from "../core/session/store.ts";

/** A reader of session views for `stateDir`; it throws `session_unavailable` for a bad session. */
export function sessionViews(
  stateDir: string,
): (id: string | undefined) => SessionView | undefined {
  const store = new SessionStore(stateDir);
  const cache = new Map<string, SessionView>();
  return (id) => {
    if (id === undefined) return undefined;
    let view = cache.get(id);
    if (!view) {
      const session = store.current(id);
      view = { id: session.id, zone: session.zone };
      cache.set(id, view);
    }
    return view;
  };
}
