/**
 * Sessions: one agent run, shared by every layer through `WATCHTOWER_SESSION`. Each session is a
 * file `sessions/<id>.json` in the state directory, changed only under `sessions/<id>.lock` (a
 * real flock, safe with many processes) and replaced atomically. Its zone only advances: an
 * advance to an earlier zone changes nothing, and an explicit request to move it back is refused.
 * A session that is unknown, corrupt or ended cannot be used: callers deny.
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import { type Zone, ZONES } from "../intent.ts";
import { prepareReplace, readRecordFile } from "../approvals/files.ts";
import { isZone, zoneRank } from "./zones.ts";

/** One zone change, as the session file keeps it. */
export interface Transition {
  from: Zone;
  to: Zone;
  at: string;
  /** What moved it: `domain operation resource`, or `operator` for `wt session zone`. */
  cause: string;
}

/** A session as stored. */
export interface SessionRecord {
  version: 1;
  id: string;
  created: string;
  principal: string;
  purpose: string | null;
  zone: Zone;
  ended: string | null;
  transitions: Transition[];
}

/** What an advance did. */
export interface Advance {
  session: SessionRecord;
  from: Zone;
  to: Zone;
  changed: boolean;
}

/** A session id: letters, digits, `.`, `_`, `-`; 1–64 characters; not starting with `.`. */
export const SESSION_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
const MAX_SESSION_BYTES = 1 << 20;

/** Throws a usage error unless `id` is a valid session id. */
export function checkSessionId(id: string): string {
  if (!SESSION_ID.test(id)) {
    throw new WatchtowerError(
      "usage",
      `'${id.slice(0, 80)}' is not a session id (letters, digits, '.', '_', '-', at most 64)`,
    );
  }
  return id;
}

function unavailable(message: string): WatchtowerError {
  return new WatchtowerError("session_unavailable", message);
}

/** Validates a session file's JSON; a problem string when it is not a session. */
export function parseSession(text: string, id: string): SessionRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not an object";
  const s = value as Record<string, unknown>;
  if (s.version !== 1) return "unknown version";
  if (s.id !== id) return `its id is ${JSON.stringify(s.id)}, not ${id}`;
  if (typeof s.created !== "string" || Number.isNaN(Date.parse(s.created))) return "bad created";
  if (typeof s.principal !== "string") return "bad principal";
  if (s.purpose !== null && typeof s.purpose !== "string") return "bad purpose";
  if (!isZone(s.zone)) return "bad zone";
  if (s.ended !== null && (typeof s.ended !== "string" || Number.isNaN(Date.parse(s.ended)))) {
    return "bad ended";
  }
  if (!Array.isArray(s.transitions)) return "bad transitions";
  let last: Zone = "SAFE";
  for (const t of s.transitions as unknown[]) {
    const step = t as Record<string, unknown>;
    if (
      typeof t !== "object" || t === null || !isZone(step.from) || !isZone(step.to) ||
      typeof step.at !== "string" || typeof step.cause !== "string" ||
      zoneRank(step.to) <= zoneRank(step.from) || step.from !== last
    ) {
      return "bad transitions (a zone may only advance, one step after the other)";
    }
    last = step.to;
  }
  if (last !== s.zone) return "its zone does not match its transitions";
  return value as SessionRecord;
}

/** The sessions of one state directory. */
export class SessionStore {
  readonly dir: string;
  readonly #now: () => number;

  constructor(stateDir: string, options: { now?: () => number } = {}) {
    this.dir = `${stateDir.replace(/\/+$/, "")}/sessions`;
    this.#now = options.now ?? Date.now;
  }

  /** The file of session `id`. */
  path(id: string): string {
    return `${this.dir}/${checkSessionId(id)}.json`;
  }

  /**
   * Starts a session (a random id unless given). Throws `usage` when the id is taken or
   * malformed.
   */
  start(info: { id?: string; principal: string; purpose?: string | undefined }): SessionRecord {
    const id = info.id ?? newSessionId();
    const record: SessionRecord = {
      version: 1,
      id: checkSessionId(id),
      created: new Date(this.#now()).toISOString(),
      principal: info.principal,
      purpose: info.purpose ?? null,
      zone: "SAFE",
      ended: null,
      transitions: [],
    };
    return this.#locked(id, () => {
      if (readRecordFile(this.path(id), MAX_SESSION_BYTES) !== undefined) {
        throw new WatchtowerError("usage", `session ${id} exists already`);
      }
      prepareReplace(this.path(id), `${JSON.stringify(record, null, 2)}\n`).commit();
      return record;
    });
  }

  /** Reads session `id`; throws `session_unavailable` when it is unknown or corrupt. */
  read(id: string): SessionRecord {
    if (!SESSION_ID.test(id)) {
      throw unavailable(`'${id.slice(0, 80)}' is not a session id, so it cannot be used`);
    }
    const path = this.path(id);
    const found = readRecordFile(path, MAX_SESSION_BYTES);
    if (found === undefined) {
      throw unavailable(
        `session ${id} is unknown (no ${path}); start one with wt session start (or wt run)`,
      );
    }
    if ("problem" in found) throw unavailable(`session ${id} cannot be read: ${found.problem}`);
    const parsed = parseSession(found.text, id);
    if (typeof parsed === "string") {
      throw unavailable(
        `session ${id} is corrupt (${path}: ${parsed}); end it and start a new one`,
      );
    }
    return parsed;
  }

  /** Reads a session that is in use: unknown, corrupt or ended all throw. */
  current(id: string): SessionRecord {
    const session = this.read(id);
    if (session.ended !== null) {
      throw unavailable(`session ${id} ended at ${session.ended}; start a new one`);
    }
    return session;
  }

  /** Every session, newest first; unreadable ones as `{id, problem}`. */
  list(): Array<SessionRecord | { id: string; problem: string }> {
    let names: string[];
    try {
      names = [...Deno.readDirSync(this.dir)].filter((e) => e.name.endsWith(".json"))
        .map((e) => e.name.slice(0, -5));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
    const found = names.filter((id) => SESSION_ID.test(id)).map((id) => {
      try {
        return this.read(id);
      } catch (error) {
        return { id, problem: error instanceof Error ? error.message : String(error) };
      }
    });
    return found.sort((a, b) =>
      ("created" in b ? b.created : "").localeCompare("created" in a ? a.created : "")
    );
  }

  /**
   * Moves the session's zone forward to `to` (under its lock; an earlier or equal zone changes
   * nothing). Throws `session_unavailable` for an unknown, corrupt or ended session.
   */
  advance(id: string, to: Zone, cause: string): Advance {
    return this.#locked(id, () => {
      const session = this.current(id);
      const from = session.zone;
      if (zoneRank(to) <= zoneRank(from)) return { session, from, to: from, changed: false };
      const next: SessionRecord = {
        ...session,
        zone: to,
        transitions: [...session.transitions, {
          from,
          to,
          at: new Date(this.#now()).toISOString(),
          cause: cause.slice(0, 512),
        }],
      };
      prepareReplace(this.path(id), `${JSON.stringify(next, null, 2)}\n`).commit();
      return { session: next, from, to, changed: true };
    });
  }

  /** Ends session `id`; later use of it is refused. */
  end(id: string): SessionRecord {
    return this.#locked(id, () => {
      const session = this.current(id);
      const ended = { ...session, ended: new Date(this.#now()).toISOString() };
      prepareReplace(this.path(id), `${JSON.stringify(ended, null, 2)}\n`).commit();
      return ended;
    });
  }

  #locked<T>(id: string, fn: () => T): T {
    checkSessionId(id);
    Deno.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const lock = Deno.openSync(`${this.dir}/${id}.lock`, {
      read: true,
      write: true,
      create: true,
      mode: 0o600,
    });
    try {
      lock.lockSync(true);
      return fn();
    } finally {
      lock.close();
    }
  }
}

/** A fresh random session id: `s-` and 16 hex digits. */
export function newSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `s-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The zones, in order (re-exported for the CLI). */
export { ZONES };
