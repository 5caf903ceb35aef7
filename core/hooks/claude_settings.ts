/**
 * Watchtower's entries in a Claude Code settings file (`.claude/settings.json`,
 * `~/.claude/settings.json`): added after the user's own hooks, recognised by their command
 * (`… hook claude-code`), removed without touching anything else. The file is edited as text,
 * not rewritten: what install inserts (in the file's own layout) is exactly what uninstall cuts
 * out, so that the user's formatting survives and a round trip gives back the same bytes.
 * @module
 */

/** The hook entries Watchtower adds: every tool before it runs, some tools' output after. */
export const CLAUDE_HOOK_ENTRIES: ReadonlyArray<{ event: string; matcher: string }> = [
  { event: "PreToolUse", matcher: "*" },
  { event: "PostToolUse", matcher: "WebFetch|WebSearch|Read|mcp__.*" },
];

/** Seconds Claude Code waits for the hook before giving up on it. */
export const HOOK_TIMEOUT_SECONDS = 30;

/** What marks a hook command as Watchtower's. */
const MARK = /\bhook claude-code\b/;

/** A changed (or unchanged) settings text, or why the file cannot be changed. */
export type SettingsEdit = { ok: true; text: string; changed: boolean } | {
  ok: false;
  problem: string;
};

/** One of Watchtower's hook commands found in a settings file. */
export interface InstalledHook {
  event: string;
  matcher: unknown;
  command: string;
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Whether a hook object of a settings file is Watchtower's. */
export function isWatchtowerHook(hook: unknown): boolean {
  return isRecord(hook) && typeof hook.command === "string" && MARK.test(hook.command);
}

/** Parses and checks settings text (none, or only white space, is an empty object). */
function parse(
  text: string | undefined,
): { ok: true; settings: Json } | { ok: false; problem: string } {
  if (text === undefined || text.trim() === "") return { ok: true, settings: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not JSON (${error instanceof Error ? error.message : error})` };
  }
  if (!isRecord(value)) return { ok: false, problem: "not a JSON object" };
  if (value.hooks !== undefined && !isRecord(value.hooks)) {
    return { ok: false, problem: "hooks: expected an object" };
  }
  for (const [event, list] of Object.entries((value.hooks ?? {}) as Json)) {
    if (!Array.isArray(list)) return { ok: false, problem: `hooks.${event}: expected a list` };
  }
  return { ok: true, settings: value };
}

/** The group Watchtower adds for `entry`. */
function group(entry: { matcher: string }, command: string): Json {
  return {
    matcher: entry.matcher,
    hooks: [{ type: "command", command, timeout: HOOK_TIMEOUT_SECONDS }],
  };
}

/** Watchtower's hook commands in `text`, in order. */
export function installedHooks(text: string): InstalledHook[] {
  const parsed = parse(text);
  if (!parsed.ok || !isRecord(parsed.settings.hooks)) return [];
  const found: InstalledHook[] = [];
  for (const [event, list] of Object.entries(parsed.settings.hooks)) {
    for (const entry of Array.isArray(list) ? list : []) {
      if (!isRecord(entry) || !Array.isArray(entry.hooks)) continue;
      for (const hook of entry.hooks) {
        if (isWatchtowerHook(hook)) {
          found.push({ event, matcher: entry.matcher, command: (hook as Json).command as string });
        }
      }
    }
  }
  return found;
}

/**
 * Adds Watchtower's hooks running `command` to the settings `text` (undefined: no file yet).
 * Idempotent: already there as they would be written, nothing changes; an older Watchtower
 * entry (another command) is replaced. The user's hooks and every other key stay as they are.
 *
 * @example
 * ```ts
 * import { installClaudeHooks, uninstallClaudeHooks } from "./claude_settings.ts";
 * import { equal } from "node:assert/strict";
 * const before = '{\n  "model": "sonnet",\n  "env": { "A": "1" }\n}\n';
 * const installed = installClaudeHooks(before, "wt hook claude-code");
 * equal(installed.ok && installed.changed, true);
 * const again = installClaudeHooks(installed.ok ? installed.text : "", "wt hook claude-code");
 * equal(again.ok && again.changed, false);
 * const removed = uninstallClaudeHooks(installed.ok ? installed.text : "");
 * equal(removed.ok && removed.text, before);
 * ```
 */
export function installClaudeHooks(text: string | undefined, command: string): SettingsEdit {
  const parsed = parse(text);
  if (!parsed.ok) return parsed;
  if (text === undefined || text.trim() === "") {
    const hooks = Object.fromEntries(
      CLAUDE_HOOK_ENTRIES.map((entry) => [entry.event, [group(entry, command)]]),
    );
    return { ok: true, text: `${JSON.stringify({ hooks }, null, 2)}\n`, changed: true };
  }
  if (isInstalled(parsed.settings, command)) return { ok: true, text, changed: false };
  let edited = removeOurs(text);
  for (const entry of CLAUDE_HOOK_ENTRIES) {
    const root = scan(edited);
    const hooks = member(root, "hooks");
    if (!hooks) {
      const all = Object.fromEntries(
        CLAUDE_HOOK_ENTRIES.map((each) => [each.event, [group(each, command)]]),
      );
      edited = insert(edited, root, all, "hooks");
      break;
    }
    const list = member(hooks.node, entry.event);
    edited = list
      ? insert(edited, list.node, group(entry, command))
      : insert(edited, hooks.node, [group(entry, command)], entry.event);
  }
  return { ok: true, text: edited, changed: true };
}

/** Whether exactly Watchtower's entries for `command`, and no other of its hooks, are there. */
function isInstalled(settings: Json, command: string): boolean {
  const hooks = isRecord(settings.hooks) ? settings.hooks : {};
  const wanted = CLAUDE_HOOK_ENTRIES.map((entry) => JSON.stringify(group(entry, command)));
  let ours = 0;
  for (const list of Object.values(hooks)) {
    for (const entry of Array.isArray(list) ? list : []) {
      if (!isRecord(entry) || !Array.isArray(entry.hooks)) continue;
      ours += entry.hooks.filter(isWatchtowerHook).length;
    }
  }
  return ours === CLAUDE_HOOK_ENTRIES.length &&
    CLAUDE_HOOK_ENTRIES.every((entry, i) => {
      const list = hooks[entry.event];
      return Array.isArray(list) && list.some((item) => JSON.stringify(item) === wanted[i]);
    });
}

/** Removes Watchtower's hooks from the settings `text`; nothing else changes. */
export function uninstallClaudeHooks(text: string): SettingsEdit {
  const parsed = parse(text);
  if (!parsed.ok) return parsed;
  if (text.trim() === "") return { ok: true, text, changed: false };
  const edited = removeOurs(text);
  return { ok: true, text: edited, changed: edited !== text };
}

/**
 * Cuts out every Watchtower hook, one at a time: the hook alone when its group has other hooks,
 * else its group, else its event's list, else `hooks` itself. An element is cut with the
 * separator before it, which is what {@link insert} put there.
 */
function removeOurs(text: string): string {
  for (let guard = 0; guard < 10_000; guard++) {
    const found = findOurs(text);
    if (!found) return text;
    const { root, hooks, event, groupAt, hookList, hookAt } = found;
    if (hookList.node.entries.length > 1) text = cut(text, hookList.node, hookAt);
    else if (event.node.entries.length > 1) text = cut(text, event.node, groupAt);
    else if (hooks.node.entries.length > 1) {
      text = cut(text, hooks.node, hooks.node.entries.indexOf(event));
    } else text = cut(text, root, root.entries.indexOf(hooks));
  }
  return text;
}

function findOurs(text: string) {
  const root = scan(text);
  const hooks = member(root, "hooks");
  if (!hooks || hooks.node.kind !== "object") return undefined;
  for (const event of hooks.node.entries) {
    if (event.node.kind !== "array") continue;
    for (const [groupAt, item] of event.node.entries.entries()) {
      const hookList = item.node.kind === "object" ? member(item.node, "hooks") : undefined;
      if (!hookList || hookList.node.kind !== "array") continue;
      const hookAt = hookList.node.entries.findIndex((hook) =>
        isWatchtowerHook(JSON.parse(text.slice(hook.node.start, hook.node.end)))
      );
      if (hookAt >= 0) return { root, hooks, event, groupAt, hookList, hookAt };
    }
  }
  return undefined;
}

// --- Editing JSON text in place ---------------------------------------------------------------

/** A JSON value's place in the text; objects and arrays with their members or elements. */
interface Node {
  kind: "object" | "array" | "value";
  start: number;
  end: number;
  entries: Entry[];
}

/** A member (with its key) or an element; `start` is where the key (or element) begins. */
interface Entry {
  key?: string;
  /** For a member: where its key ends (the colon and its spaces follow). */
  keyEnd?: number;
  start: number;
  node: Node;
}

/** Finds where every value of (already validated) JSON `text` lies. */
function scan(text: string): Node {
  let at = 0;
  const space = () => {
    while (at < text.length && " \t\n\r".includes(text[at]!)) at++;
  };
  const value = (): Node => {
    space();
    const start = at;
    const open = text[at];
    if (open === "{" || open === "[") {
      const close = open === "{" ? "}" : "]";
      const entries: Entry[] = [];
      at++;
      space();
      if (text[at] === close) {
        at++;
        return { kind: open === "{" ? "object" : "array", start, end: at, entries };
      }
      for (;;) {
        space();
        const entryStart = at;
        let key: string | undefined;
        let keyEnd: number | undefined;
        if (open === "{") {
          const name = value();
          key = JSON.parse(text.slice(name.start, name.end));
          keyEnd = name.end;
          space();
          at++; // ':'
        }
        const named = key !== undefined ? { key, keyEnd: keyEnd! } : {};
        entries.push({ ...named, start: entryStart, node: value() });
        space();
        if (text[at++] === close) break;
      }
      return { kind: open === "{" ? "object" : "array", start, end: at, entries };
    }
    if (open === '"') {
      at++;
      while (text[at] !== '"') at += text[at] === "\\" ? 2 : 1;
      at++;
    } else {
      while (at < text.length && !" \t\n\r,]}".includes(text[at]!)) at++;
    }
    return { kind: "value", start, end: at, entries: [] };
  };
  return value();
}

function member(node: Node, key: string): Entry | undefined {
  return node.kind === "object" ? node.entries.find((entry) => entry.key === key) : undefined;
}

/** The white space before `offset` on its line, if only white space precedes it there. */
function lineIndent(text: string, offset: number): string | undefined {
  const prefix = text.slice(text.lastIndexOf("\n", offset - 1) + 1, offset);
  return /^[ \t]*$/.test(prefix) ? prefix : undefined;
}

/** The file's indentation step: its first indented line's, else two spaces. */
function indentUnit(text: string): string {
  return /\n([ \t]+)\S/.exec(text)?.[1] ?? "  ";
}

/**
 * Inserts `value` (as member `key` of an object, or as an element of an array) after the last
 * entry of `container`, laid out as its neighbours are: on its own line at their indentation in
 * a file laid out on lines, inline in a one-line one.
 */
function insert(text: string, container: Node, value: unknown, key?: string): string {
  const unit = indentUnit(text);
  // One-line files stay on one line; an empty `{}` is laid out (cutting restores it whole).
  const lined = text.trim().includes("\n") || text.trim() === "{}";
  const render = (indent: string, colon: string) =>
    (key !== undefined ? `${JSON.stringify(key)}${colon}` : "") +
    (lined
      ? JSON.stringify(value, null, unit).replaceAll("\n", `\n${indent}`)
      : JSON.stringify(value));
  const last = container.entries.at(-1);
  if (!last) {
    const outer = lineIndent(text, container.start) ?? "";
    const inside = lined
      ? `\n${outer}${unit}${render(outer + unit, ": ")}\n${outer}`
      : render("", ":");
    return text.slice(0, container.start + 1) + inside + text.slice(container.end - 1);
  }
  const before = container.entries.at(-2);
  const separator = before
    ? text.slice(before.node.end, last.start)
    : lined
    ? `,\n${lineIndent(text, last.start) ?? ""}`
    : ",";
  const colon = last.key !== undefined ? text.slice(last.keyEnd, last.node.start) : ": ";
  const indent = lineIndent(text, last.start) ?? "";
  return text.slice(0, last.node.end) + separator + render(indent, colon || ": ") +
    text.slice(last.node.end);
}

/** Cuts entry `index` of `container` with the separator that joins it to its neighbours. */
function cut(text: string, container: Node, index: number): string {
  const { entries } = container;
  if (entries.length === 1) {
    return text.slice(0, container.start + 1) + text.slice(container.end - 1);
  }
  if (index > 0) {
    return text.slice(0, entries[index - 1]!.node.end) + text.slice(entries[index]!.node.end);
  }
  return text.slice(0, entries[0]!.start) + text.slice(entries[1]!.start);
}
