/**
 * Edits the top-level `profiles:` list of a policy file as text, so that `wt profile apply` and
 * `wt profile remove` keep the file's comments and layout: only the list changes. A YAML dumper
 * would drop every comment, so the edit is made in place and the result parsed back and compared
 * with the original before anyone uses it.
 * @module
 */
import yaml from "js-yaml";
import { WatchtowerError } from "../core/errors.ts";
import { parseDocument, type SourceDocument } from "../core/policy/mod.ts";

/** The outcome of an edit: the new text, whether it differs, and the list it now holds. */
export interface ProfileEdit {
  text: string;
  changed: boolean;
  profiles: string[];
}

/** How the file is read: `file` names it in messages; JSON when it ends in `.json`. */
export interface EditOptions {
  file: string;
}

/**
 * Adds `name` at the end of the file's `profiles:` list (creating the key when absent); a name
 * already listed leaves the text as it is.
 *
 * @example
 * ```ts
 * import { addProfile } from "./profile_edit.ts";
 * import { equal } from "node:assert/strict";
 * const edit = addProfile("# mine\nprofiles: []  # none yet\n", "clawbot", { file: "p.yaml" });
 * equal(edit.text, "# mine\nprofiles: [clawbot]  # none yet\n");
 * ```
 */
export function addProfile(text: string, name: string, options: EditOptions): ProfileEdit {
  return edit(text, options.file, (list) => list.includes(name) ? list : [...list, name]);
}

/**
 * Removes every `name` entry from the file's `profiles:` list (an emptied list stays as `[]`).
 *
 * @example
 * ```ts
 * import { removeProfile } from "./profile_edit.ts";
 * import { equal } from "node:assert/strict";
 * const edit = removeProfile("profiles:\n  - a\n  - b # keep\n", "a", { file: "p.yaml" });
 * equal(edit.text, "profiles:\n  - b # keep\n");
 * ```
 */
export function removeProfile(text: string, name: string, options: EditOptions): ProfileEdit {
  return edit(text, options.file, (list) => list.filter((item) => item !== name));
}

type Root = Record<string, unknown>;

function edit(text: string, file: string, change: (list: string[]) => string[]): ProfileEdit {
  const doc = parseDocument(text, file);
  const root = doc.value;
  if (root === null || typeof root !== "object" || Array.isArray(root)) {
    throw cannotEdit(file, "it is not a mapping of policy keys");
  }
  const current = (root as Root).profiles;
  if (
    current !== undefined &&
    !(Array.isArray(current) && current.every((item) => typeof item === "string"))
  ) {
    throw cannotEdit(file, "its profiles: is not a list of names");
  }
  const before = (current ?? []) as string[];
  const after = change(before);
  if (after.length === before.length && after.every((item, i) => item === before[i])) {
    return { text, changed: false, profiles: before };
  }
  const json = file.endsWith(".json");
  const next = current === undefined
    ? insertKey(text, after, { json, file })
    : rewriteList(text, doc, before, after, json);
  verify(root as Root, next, after, file);
  return { text: next, changed: true, profiles: after };
}

function cannotEdit(file: string, why: string): WatchtowerError {
  return new WatchtowerError(
    "policy_invalid",
    `Cannot edit the profiles of ${file}: ${why}; change its profiles: list by hand`,
    { location: { file } },
  );
}

/** A name as a YAML or JSON scalar: bare unless YAML would read it as something else. */
function scalar(name: string, quoted: boolean): string {
  if (quoted) return JSON.stringify(name);
  return yaml.load(name, { schema: yaml.CORE_SCHEMA }) === name ? name : JSON.stringify(name);
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function eolOf(text: string): string {
  return text.includes("\r\n") ? "\r\n" : "\n";
}

/** The key is absent: add it (inside a flow mapping `{…}`, else as a last block key). */
function insertKey(text: string, names: string[], how: { json: boolean; file: string }): string {
  const open = firstContent(text);
  if (text[open] === "{") {
    const list = `[${names.map((name) => scalar(name, true)).join(", ")}]`;
    let at = open + 1;
    while (at < text.length && /\s/.test(text[at]!)) at++;
    const space = text.slice(open + 1, at);
    if (text[at] === "}") return `${text.slice(0, open)}{"profiles": ${list}}${text.slice(at + 1)}`;
    return `${text.slice(0, open + 1)}${space}"profiles": ${list},${space || " "}${text.slice(at)}`;
  }
  if (how.json) throw cannotEdit(how.file, "it does not start with {");
  const eol = eolOf(text);
  const list = `[${names.map((name) => scalar(name, false)).join(", ")}]`;
  const separator = text === "" || text.endsWith("\n") ? "" : eol;
  return `${text}${separator}# Profiles applied before this file (wt profile apply / remove).${eol}profiles: ${list}${eol}`;
}

/** The offset of the first character that is neither white space nor part of a comment. */
function firstContent(text: string): number {
  let at = 0;
  while (at < text.length) {
    if (/\s/.test(text[at]!)) at++;
    else if (text[at] === "#") {
      while (at < text.length && text[at] !== "\n") at++;
    } else break;
  }
  return at;
}

function rewriteList(
  text: string,
  doc: SourceDocument,
  before: string[],
  after: string[],
  json: boolean,
): string {
  const starts = lineStarts(text);
  const offsetOf = (pos: { line: number; column: number }) =>
    (starts[pos.line - 1] ?? 0) + pos.column - 1;
  const value = offsetOf(doc.locate(["profiles"]));
  if (text[value] === "[") return rewriteFlow(text, value, { before, after, json, file: doc.file });
  // A block sequence: one item per line (a name is a plain scalar), so items are whole lines.
  const eol = eolOf(text);
  const lineOf = (i: number) => doc.locate(["profiles", i]).line;
  const lineText = (line: number) =>
    text.slice(starts[line - 1]!, (starts[line] ?? text.length + 1) - 1).replace(/\r$/, "");
  if (after.length > before.length) {
    const last = doc.locate(["profiles", before.length - 1]);
    const prefix = lineText(last.line).slice(0, last.column - 1);
    const end = starts[last.line] ?? text.length;
    const added = after.slice(before.length).map((name) => `${prefix}${scalar(name, false)}${eol}`)
      .join("");
    const head = starts[last.line] === undefined ? `${text}${eol}` : text.slice(0, end);
    return `${head}${added}${text.slice(end)}`;
  }
  const drop = new Set(before.flatMap((name, i) => after.includes(name) ? [] : [lineOf(i)]));
  const lines = text.split("\n");
  let kept = lines.filter((_, i) => !drop.has(i + 1));
  if (after.length === 0) {
    // An emptied block list would leave `profiles:` as null, which does not load: write [].
    const keyLine = doc.locate(["profiles"], { key: true });
    const line = lines[keyLine.line - 1]!;
    const key = /^(["']?)profiles\1\s*:/.exec(line.slice(keyLine.column - 1));
    if (!key) throw cannotEdit(doc.file, "its profiles: key could not be found");
    const colon = keyLine.column - 1 + key[0].length;
    kept = kept.map((text, i) =>
      i === keyLine.line - 1 ? `${text.slice(0, colon)} []${text.slice(colon)}` : text
    );
  }
  return kept.join("\n");
}

/** Rewrites a flow sequence `[a, b]` that starts at `open`. */
function rewriteFlow(
  text: string,
  open: number,
  how: { before: string[]; after: string[]; json: boolean; file: string },
): string {
  const { before, after, json, file } = how;
  const close = closingBracket(text, open);
  if (close < 0) throw cannotEdit(file, "its profiles: list has no closing ]");
  const inner = text.slice(open + 1, close);
  const quoted = json || inner.includes('"');
  if (after.length > before.length) {
    const added = after.slice(before.length).map((name) => scalar(name, quoted)).join(", ");
    if (inner.trim() === "") return `${text.slice(0, open + 1)}${added}${text.slice(close)}`;
    let last = close - 1;
    while (last > open && /\s/.test(text[last]!)) last--;
    const joint = text[last] === "," ? " " : ", ";
    return `${text.slice(0, last + 1)}${joint}${added}${text.slice(last + 1)}`;
  }
  if (inner.includes("#")) throw cannotEdit(file, "its profiles: list holds comments");
  const items = inner.split(",").map((item) => item.trim()).filter((item) => item !== "");
  const kept = items.filter((item) => after.includes(unquote(item)));
  return `${text.slice(0, open + 1)}${kept.join(", ")}${text.slice(close)}`;
}

function unquote(item: string): string {
  return /^(["']).*\1$/.test(item) ? item.slice(1, -1) : item;
}

/** The offset of the `]` that closes the `[` at `open` (quotes and comments skipped), or -1. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      i++;
      while (i < text.length && text[i] !== c) i += text[i] === "\\" && c === '"' ? 2 : 1;
    } else if (c === "#" && /\s/.test(text[i - 1] ?? " ")) {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** The edited text must parse to the same document with only `profiles` changed as asked. */
function verify(before: Root, next: string, profiles: string[], file: string): void {
  let parsed: unknown;
  try {
    parsed = parseDocument(next, file).value;
  } catch {
    throw cannotEdit(file, "the edited text would not parse");
  }
  const rest = (value: unknown) => {
    const { profiles: _, ...others } = value as Root;
    return JSON.stringify(others);
  };
  const list = (parsed as Root | null)?.profiles;
  if (
    parsed === null || typeof parsed !== "object" || rest(parsed) !== rest(before) ||
    JSON.stringify(list) !== JSON.stringify(profiles)
  ) {
    throw cannotEdit(file, "the edit would change more than its profiles: list");
  }
}
