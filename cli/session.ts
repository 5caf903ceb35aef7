/**
 * `wt session start|show|list|end|zone`: the sessions every layer of one agent run shares
 * (`WATCHTOWER_SESSION`), and their zones, which only advance. Each change is recorded in the
 * ledger; a request to move a zone back is refused and recorded.
 * @module
 */
import { WatchtowerError } from "../core/errors.ts";
import { type Zone, ZONES } from "../core/intent.ts";
import { Ledger } from "../core/ledger/writer.ts";
import { type SessionRecord, SessionStore } from "../core/session/store.ts";
import { isZone, zoneRank } from "../core/session/zones.ts";
import { parseArgs, type ParsedArgs, stringFlag, usage } from "./args.ts";
import { cliEnvironment } from "./context.ts";
import { EXIT } from "./exit.ts";
import { out, printJson } from "./output.ts";

/** Help text of `wt session`. */
export const SESSION_USAGE = `wt session — the sessions of agent runs and their zones

Usage:
  wt session start [--id ID] [--purpose P] [--principal P] [--json]
                              start a session; prints export WATCHTOWER_SESSION=ID
  wt session show [ID] [--json]   one session (default: $WATCHTOWER_SESSION): zone, transitions
  wt session list [--all] [--json]  sessions, newest first (--all: ended ones too)
  wt session end [ID] [--json]      end a session; its id can no longer be used
  wt session zone ZONE [ID]         move a session's zone forward (never back)

Every layer of one agent run (the guarded shell, the safe commands, the proxy) passes
WATCHTOWER_SESSION and decides in the session's zone, SAFE < SENSITIVE < COMMITMENT <
IRREVERSIBLE; each action that goes ahead moves the zone to its own, and a zone never moves
back. Policies condition on it (zone == 'SENSITIVE'). An unknown, corrupt or ended session is
refused: every decision in it is deny.

Exit: 0 ok, 64 usage, 77 refused (a zone cannot move back; the session is unusable),
78 the state directory or ledger cannot be written.`;

/** Runs `wt session`. */
export function runSession(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, {
    help: { type: "boolean", short: "h" },
    json: { type: "boolean" },
    all: { type: "boolean" },
    id: { type: "string" },
    purpose: { type: "string" },
    principal: { type: "string" },
  });
  const [sub, ...rest] = args.positionals;
  if (args.flags.help || sub === undefined) {
    out(`${SESSION_USAGE}\n`);
    return Promise.resolve(args.flags.help ? EXIT.ok : EXIT.usage);
  }
  const env = cliEnvironment();
  const store = new SessionStore(env.stateDir);
  const ledger = new Ledger(env.stateDir);
  const record = (event: { type: string } & Record<string, unknown>) =>
    ledger.appendSync([{ data: { event } }]);
  const idOf = (given: string | undefined) => {
    const id = given ?? env.session;
    if (id === undefined) throw usage("name a session (or set WATCHTOWER_SESSION)");
    return id;
  };
  switch (sub) {
    case "start": {
      noMore(rest, 0);
      const session = store.start({
        ...(stringFlag(args, "id") !== undefined ? { id: stringFlag(args, "id")! } : {}),
        principal: stringFlag(args, "principal") ?? env.principal,
        purpose: stringFlag(args, "purpose") ?? env.purpose,
      });
      record({
        type: "session.start",
        session: session.id,
        principal: session.principal,
        purpose: session.purpose,
      });
      if (args.flags.json) printJson(session);
      else out(`export WATCHTOWER_SESSION=${session.id}\n`);
      return Promise.resolve(EXIT.ok);
    }
    case "show": {
      noMore(rest, 1);
      const session = store.read(idOf(rest[0]));
      if (args.flags.json) printJson(session);
      else out(describe(session));
      return Promise.resolve(EXIT.ok);
    }
    case "list": {
      noMore(rest, 0);
      const sessions = store.list().filter((s) => args.flags.all || !("ended" in s) || !s.ended);
      if (args.flags.json) {
        printJson(sessions);
        return Promise.resolve(EXIT.ok);
      }
      if (sessions.length === 0) out("no sessions\n");
      for (const s of sessions) {
        if ("problem" in s) out(`${s.id}  CORRUPT  ${s.problem}\n`);
        else {
          out(
            `${s.id}  ${s.zone.padEnd(12)}  ${s.created}  ${s.principal}${
              s.purpose ? `  purpose=${s.purpose}` : ""
            }${s.ended ? `  ended ${s.ended}` : ""}\n`,
          );
        }
      }
      return Promise.resolve(EXIT.ok);
    }
    case "end": {
      noMore(rest, 1);
      const id = idOf(rest[0]);
      store.current(id); // unknown or ended: refused before anything is recorded
      record({ type: "session.end", session: id });
      const session = store.end(id);
      if (args.flags.json) printJson(session);
      else out(`session ${id} ended in zone ${session.zone}\n`);
      return Promise.resolve(EXIT.ok);
    }
    case "zone": {
      noMore(rest, 2);
      const wanted = rest[0]?.toUpperCase();
      if (!isZone(wanted)) throw usage(`wt session zone takes one of ${ZONES.join(", ")}`);
      const id = idOf(rest[1]);
      return Promise.resolve(moveZone(store, id, wanted, record, args));
    }
    default:
      throw usage(`unknown subcommand '${sub}' (start, show, list, end, zone)`);
  }
}

function moveZone(
  store: SessionStore,
  id: string,
  wanted: Zone,
  record: (event: { type: string } & Record<string, unknown>) => unknown,
  args: ParsedArgs,
): number {
  const current = store.current(id);
  if (zoneRank(wanted) < zoneRank(current.zone)) {
    record({ type: "session.zone_refused", session: id, from: current.zone, to: wanted });
    throw new WatchtowerError(
      "session_unavailable",
      `session ${id} is in ${current.zone}; a zone never moves back (refused and recorded)`,
    );
  }
  const moved = store.advance(id, wanted, "operator: wt session zone");
  if (moved.changed) {
    record({
      type: "session.zone",
      session: id,
      from: moved.from,
      to: moved.to,
      cause: "operator: wt session zone",
    });
  }
  if (args.flags.json) printJson(moved.session);
  else out(`session ${id}: ${moved.changed ? `${moved.from} -> ${moved.to}` : moved.to}\n`);
  return EXIT.ok;
}

function describe(session: SessionRecord): string {
  const lines = [
    `session    ${session.id}`,
    `zone       ${session.zone}`,
    `principal  ${session.principal}`,
    `purpose    ${session.purpose ?? "-"}`,
    `created    ${session.created}`,
    `ended      ${session.ended ?? "-"}`,
    ...session.transitions.map((t) => `  ${t.at}  ${t.from} -> ${t.to}  (${t.cause})`),
  ];
  return `${lines.join("\n")}\n`;
}

function noMore(rest: readonly string[], allowed: number): void {
  if (rest.length > allowed) throw usage(`unexpected argument '${rest[allowed]}'`);
}
