/**
 * Word expansion as far as it can be done before running: quote removal, brace expansion and
 * `${IFS}` splitting; parameter, arithmetic and command substitutions keep their source text and
 * name a reason, as do globs. Tilde stays `~` (the policy reads `~/.ssh` as the home directory).
 * @module
 */
import type { Part, Word } from "./_syntax.ts";

/** One field a word expands to: its text and why it is not fully known (empty when static). */
export interface Field {
  text: string;
  reasons: string[];
  /** 0-based position of the word in the outermost input. */
  pos: number;
  /** The word was one unquoted parameter expansion (`$X`, `${X}`): it may vanish. */
  lone?: boolean;
  /** The field came from brace expansion (resolved, so not a reason). */
  braced?: boolean;
}

/** Brace-expansion results above this many fields per word are left unexpanded. */
export const MAX_BRACE_FIELDS = 1024;
/** Words with more unquoted `{` than this are left unexpanded. */
export const MAX_BRACE_GROUPS = 256;

type Item = { c: string; q: boolean } | { p: Exclude<Part, { k: "lit" }> };

/** Expands one word into fields; `brace`: brace expansion and `${IFS}` splitting (arguments). */
export function expandWord(w: Word, options: { brace: boolean }): Field[] {
  const parts = w.parts;
  let special = false;
  if (options.brace) {
    for (const p of parts) {
      if (
        (p.k === "lit" && !p.q && p.s.includes("{")) ||
        (p.k === "param" && !p.q && p.name === "IFS")
      ) {
        special = true;
        break;
      }
    }
  }
  if (!special) {
    let text = "";
    const reasons: string[] = [];
    for (const p of parts) {
      if (p.k === "lit") {
        text += p.s;
        if (!p.q && hasGlob(p.s)) addReason(reasons, "glob");
      } else {
        text += p.raw;
        addReason(reasons, reasonOf(p));
      }
    }
    const field: Field = { text, reasons, pos: w.pos };
    if (parts.length === 1 && parts[0]!.k === "param" && !parts[0]!.q) field.lone = true;
    // A word of unquoted expansions only that expand to nothing vanishes; ours keep their text.
    return [field];
  }
  const items: Item[] = [];
  for (const p of parts) {
    if (p.k === "lit") {
      if (p.s === "" && p.q) items.push({ c: "", q: true });
      for (const c of p.s) items.push({ c, q: p.q });
    } else items.push({ p });
  }
  // Each brace group is a level of recursion: past MAX_BRACE_GROUPS the word stays unexpanded.
  let groups = 0;
  for (const item of items) if ("c" in item && !item.q && item.c === "{") groups++;
  const expanded = groups > MAX_BRACE_GROUPS ? undefined : braceExpand(items);
  const braced = expanded !== undefined && (expanded.length !== 1 || expanded[0] !== items);
  const lists = expanded ?? [items];
  const out: Field[] = [];
  for (const list of lists) {
    let text = "";
    let quoted = false;
    let reasons: string[] = [];
    let split = false;
    const flush = () => {
      if (text !== "" || quoted) {
        if (expanded === undefined) addReason(reasons, "brace expansion too large");
        if (split) addReason(reasons, "${IFS}");
        const field: Field = { text, reasons, pos: w.pos };
        if (braced) field.braced = true;
        out.push(field);
      }
      text = "";
      quoted = false;
      reasons = [];
    };
    let unquoted = "";
    for (const item of list) {
      if ("c" in item) {
        text += item.c;
        if (item.q) quoted = true;
        else unquoted += item.c;
      } else if (item.p.k === "param" && !item.p.q && item.p.name === "IFS") {
        // Default IFS splits here; the reason stays on every field of the word.
        if (hasGlob(unquoted)) addReason(reasons, "glob");
        unquoted = "";
        split = true;
        flush();
        split = true;
      } else {
        text += item.p.raw;
        quoted = true;
        addReason(reasons, reasonOf(item.p));
      }
    }
    if (hasGlob(unquoted)) addReason(reasons, "glob");
    flush();
  }
  return out;
}

function reasonOf(p: Exclude<Part, { k: "lit" }>): string {
  switch (p.k) {
    case "param":
      return p.name === "IFS" ? "${IFS}" : "$VAR";
    case "arith":
      return "$((...))";
    case "sub":
      return p.kind === "cmd" ? "$(...)" : p.kind === "backtick" ? "`...`" : "process substitution";
  }
}

function addReason(reasons: string[], r: string): void {
  if (!reasons.includes(r)) reasons.push(r);
}

/** Whether unquoted text holds a glob: `*`, `?`, or `[` with a later `]`. */
export function hasGlob(s: string): boolean {
  if (s.includes("*") || s.includes("?") || /[@+!]\(/.test(s)) return true;
  const open = s.indexOf("[");
  return open >= 0 && s.indexOf("]", open + 1) > 0;
}

function isChar(item: Item | undefined, c: string): boolean {
  return item !== undefined && "c" in item && !item.q && item.c === c;
}

/**
 * Bash brace expansion over items: `{a,b}`, nested, and sequences `{1..5}`, `{a..e}`,
 * `{01..10..3}`. Returns undefined when the result would exceed MAX_BRACE_FIELDS.
 */
function braceExpand(items: Item[]): Item[][] | undefined {
  for (let i = 0; i < items.length; i++) {
    if (!isChar(items[i], "{")) continue;
    let depth = 0;
    const commas: number[] = [];
    let close = -1;
    for (let j = i + 1; j < items.length; j++) {
      if (isChar(items[j], "{")) depth++;
      else if (isChar(items[j], "}")) {
        if (depth === 0) {
          close = j;
          break;
        }
        depth--;
      } else if (depth === 0 && isChar(items[j], ",")) commas.push(j);
    }
    if (close < 0) continue;
    let alternatives: Item[][];
    if (commas.length > 0) {
      alternatives = [];
      let from = i + 1;
      for (const c of [...commas, close]) {
        alternatives.push(items.slice(from, c));
        from = c + 1;
      }
    } else {
      const seq = sequence(items.slice(i + 1, close));
      if (seq === null) continue;
      if (seq === undefined) return undefined;
      alternatives = seq.map((s) => [...s].map((c) => ({ c, q: true })));
    }
    const prefix = items.slice(0, i);
    const suffixes = braceExpand(items.slice(close + 1));
    if (!suffixes) return undefined;
    const out: Item[][] = [];
    for (const alt of alternatives) {
      const inner = braceExpand(alt);
      if (!inner) return undefined;
      for (const a of inner) {
        for (const s of suffixes) {
          out.push([...prefix, ...a, ...s]);
          if (out.length > MAX_BRACE_FIELDS) return undefined;
        }
      }
    }
    return out;
  }
  return [items];
}

/** The values of a sequence expression; null when it is not one, undefined when too long. */
function sequence(items: Item[]): string[] | null | undefined {
  let text = "";
  for (const item of items) {
    if (!("c" in item) || item.q) return null;
    text += item.c;
  }
  const num = /^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$/.exec(text);
  const chr = num ? null : /^([A-Za-z])\.\.([A-Za-z])(?:\.\.(-?\d+))?$/.exec(text);
  const m = num ?? chr;
  if (!m) return null;
  const step = Math.abs(Number(m[3] ?? "1")) || 1;
  const from = num ? Number(m[1]) : m[1]!.charCodeAt(0);
  const to = num ? Number(m[2]) : m[2]!.charCodeAt(0);
  if (Math.abs(to - from) / step >= MAX_BRACE_FIELDS) return undefined;
  const width = num && /^-?0\d/.test(m[1]!) || num && /^-?0\d/.test(m[2]!)
    ? Math.max(m[1]!.length, m[2]!.length)
    : 0;
  const out: string[] = [];
  const dir = to >= from ? 1 : -1;
  for (let v = from; dir > 0 ? v <= to : v >= to; v += dir * step) {
    if (!num) out.push(String.fromCharCode(v));
    else if (width === 0) out.push(String(v));
    else {
      const digits = String(Math.abs(v));
      const pad = width - (v < 0 ? 1 : 0);
      out.push((v < 0 ? "-" : "") + digits.padStart(pad, "0"));
    }
  }
  return out;
}
