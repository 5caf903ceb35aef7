/**
 * Extracts facts from the GTFOBins database into Watchtower's own table: for every executable,
 * its aliases, functions, contexts, and the option tokens, environment variables and argument
 * shapes its examples rely on. Facts only: no example text is kept. Deterministic: the same data
 * gives the same table, byte for byte.
 * @module
 */
import yaml from "js-yaml";
import {
  CODE_PRIMITIVES,
  type FunctionFacts,
  type GtfoTable,
  type OptionTrigger,
  SHELL_PATHS,
} from "../../core/gtfobins/table.ts";

/** One GTFOBins file: its name and text (YAML front matter). */
export interface SourceFile {
  name: string;
  text: string;
}

/** Marks of an example's payload: placeholders GTFOBins uses for what the attacker controls. */
const PAYLOAD_MARKS = [
  "/bin/sh",
  "/bin/bash",
  "/path/to/",
  "DATA",
  "attacker.com",
  "12345",
  "/dev/tcp",
  "...",
];

interface RawEntry {
  code?: string;
  contexts?: Record<string, null | { code?: string; list?: string[] }>;
  from?: string;
}

interface RawFile {
  alias?: string;
  functions?: Record<string, RawEntry[]>;
}

/** Builds the table from the database's files. */
export function extractTable(files: readonly SourceFile[], source: string): GtfoTable {
  const parsed = new Map<string, RawFile>();
  for (const file of [...files].sort((a, b) => a.name < b.name ? -1 : 1)) {
    parsed.set(file.name, frontMatter(file));
  }
  const aliasesOf = new Map<string, string[]>();
  for (const [name, raw] of parsed) {
    if (raw.alias) aliasesOf.set(raw.alias, [...(aliasesOf.get(raw.alias) ?? []), name]);
  }
  const binaries: GtfoTable["binaries"] = {};
  for (const [name, raw] of parsed) {
    if (raw.alias) {
      binaries[name] = { alias_of: raw.alias, functions: {}, inherits: [] };
      continue;
    }
    const names = [name, ...(aliasesOf.get(name) ?? [])];
    const functions: Record<string, FunctionFacts> = {};
    const inherits = new Set<string>();
    for (const [fn, entries] of Object.entries(raw.functions ?? {})) {
      for (const entry of entries) {
        if (fn === "inherit") {
          if (entry.from) inherits.add(entry.from);
          continue;
        }
        const facts = (functions[fn] ??= emptyFacts());
        for (const [context, detail] of Object.entries(entry.contexts ?? {})) {
          addSorted(facts.contexts, context);
          for (const capability of detail?.list ?? []) addSorted(facts.capabilities, capability);
        }
        for (
          const code of [
            entry.code,
            ...Object.values(entry.contexts ?? {}).map((d) => d?.code),
          ]
        ) {
          if (code) analyse(code, names, facts);
        }
      }
    }
    binaries[name] = {
      ...(aliasesOf.has(name) ? { aliases: [...aliasesOf.get(name)!].sort() } : {}),
      functions: sortKeys(functions),
      inherits: [...inherits].sort(),
    };
  }
  return { source, count: Object.keys(binaries).length, binaries };
}

function emptyFacts(): FunctionFacts {
  return {
    contexts: [],
    capabilities: [],
    options: [],
    env: [],
    shapes: [],
    bare: false,
    subcommands: [],
    interactive: false,
    setup: false,
  };
}

function frontMatter(file: SourceFile): RawFile {
  const match = /^---\n([\s\S]*?)\n(?:\.\.\.|---)\s*$/m.exec(file.text);
  if (!match) throw new Error(`gtfobins: ${file.name}: no YAML front matter`);
  const value = yaml.load(match[1]!, { schema: yaml.CORE_SCHEMA }) as RawFile | null;
  if (!value || typeof value !== "object") {
    throw new Error(`gtfobins: ${file.name}: empty front matter`);
  }
  return value;
}

function addSorted(list: string[], value: string): void {
  if (!list.includes(value)) {
    list.push(value);
    list.sort();
  }
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a < b ? -1 : 1));
}

const hasMark = (text: string) => PAYLOAD_MARKS.some((mark) => text.includes(mark));

/** The code primitives (from the fixed vocabulary) that a payload uses. */
export function primitivesIn(text: string): string[] {
  return CODE_PRIMITIVES.filter((primitive) => text.includes(primitive));
}

function isShellPath(word: string): boolean {
  return SHELL_PATHS.includes(word) || word === "/path/to/command";
}

/** Reads one example and records what it relies on into `facts`. */
function analyse(code: string, names: readonly string[], facts: FunctionFacts): void {
  const lines = code.replace(/\\\n/g, " ").split("\n");
  const at = lines.findIndex((line) => segmentInvoking(tokenize(line), names) !== undefined);
  if (at < 0) return; // the binary is not invoked directly in this example (e.g. a file it reads)
  const found = segmentInvoking(tokenize(lines[at]!), names)!;
  // Lines after the invocation are typed into the running program (`!/bin/sh` in less); lines
  // before it prepare files the program then uses (a git hook).
  const interactive = lines.slice(at + 1).some((line) => line.trim() !== "");
  const setup = lines.slice(0, at).some((line) => line.trim() !== "");
  if (interactive) facts.interactive = true;
  if (setup) facts.setup = true;
  let relied = false;
  for (const { name, value } of found.assignments) {
    if (hasMark(value) || primitivesIn(value).length > 0) {
      addSorted(facts.env, name);
      relied = true;
    }
  }
  const args = found.args;
  const flags: string[] = [];
  let subcommand: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token.startsWith("-") && token.length > 1 && token !== "--") {
      const { option, attached } = splitOption(token);
      const next = args[i + 1];
      const payload = attached ?? (next !== undefined && !next.startsWith("-") ? next : undefined);
      if (payload === undefined || !hasMark(payload)) {
        flags.push(option);
        continue;
      }
      addTrigger(facts, triggerFor(option, payload));
      relied = true;
      if (attached === undefined) i++;
    } else if (hasMark(token)) {
      const first = token.trim().split(/\s+/)[0] ?? "";
      const primitives = primitivesIn(token);
      if (isShellPath(first)) addSorted(facts.shapes, "exec-arg");
      if (token.includes("attacker.com")) addSorted(facts.shapes, "remote");
      for (const primitive of primitives) addSorted(facts.shapes, primitive);
      if (isShellPath(first) || primitives.length > 0 || token.includes("attacker.com")) {
        relied = true;
      }
    } else if (subcommand === undefined && /^[a-z][a-z0-9-]*$/.test(token)) {
      subcommand = token;
    }
  }
  if (relied || interactive || setup) return;
  if (flags.length > 0) {
    // Nothing carries a payload, so the options themselves are what the example relies on.
    for (const option of flags) addTrigger(facts, { option, kind: "flag" });
    return;
  }
  // Nothing special needed: running the binary at all does it (bash is a shell, less reads).
  facts.bare = true;
  if (subcommand !== undefined) addSorted(facts.subcommands, subcommand);
}

function addTrigger(facts: FunctionFacts, trigger: OptionTrigger): void {
  const same = (t: OptionTrigger) =>
    t.option === trigger.option && t.kind === trigger.kind && t.key === trigger.key;
  if (facts.options.some(same)) return;
  facts.options.push(trigger);
  facts.options.sort((a, b) =>
    `${a.option}\u0000${a.kind}\u0000${a.key ?? ""}` <
        `${b.option}\u0000${b.kind}\u0000${b.key ?? ""}`
      ? -1
      : 1
  );
  for (const primitive of trigger.primitives ?? []) addSorted(facts.shapes, primitive);
}

/** `--opt=value` → (`--opt`, `value`); `-H/bin/sh` → (`-H`, `/bin/sh`); `-c` → (`-c`). */
function splitOption(token: string): { option: string; attached?: string } {
  if (token.startsWith("--")) {
    const eq = token.indexOf("=");
    return eq > 0
      ? { option: token.slice(0, eq), attached: token.slice(eq + 1) }
      : { option: token };
  }
  const eq = token.indexOf("=");
  if (eq > 1) return { option: token.slice(0, eq), attached: token.slice(eq + 1) };
  if (token.length > 2 && hasMark(token.slice(2))) {
    return { option: token.slice(0, 2), attached: token.slice(2) };
  }
  return { option: token };
}

function triggerFor(option: string, payload: string): OptionTrigger {
  const primitives = primitivesIn(payload);
  const key = /^([A-Za-z][\w.-]*)=/.exec(payload)?.[1];
  const first = payload.trim().replace(/^;/, "").split(/[\s,]+/)[0] ?? "";
  const base: OptionTrigger = {
    option,
    kind: primitives.length > 0
      ? "code"
      : isShellPath(first) || first.startsWith("exec=")
      ? "program"
      : "path",
  };
  if (key && key !== "exec") base.key = key;
  if (primitives.length > 0) base.primitives = primitives;
  return base;
}

/** Words of one example line, shell-style (quotes, escapes; operators as their own words). */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word += line.slice(i + 1, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === "\\" && j + 1 < line.length) j++;
        word += line[j];
      }
      i = j;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if ("|;&".includes(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      words.push(c);
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The simple command in `words` that runs one of `names`: its assignments and arguments. */
function segmentInvoking(
  words: string[],
  names: readonly string[],
): { assignments: Array<{ name: string; value: string }>; args: string[] } | undefined {
  let start = 0;
  for (let i = 0; i <= words.length; i++) {
    if (i < words.length && !["|", ";", "&"].includes(words[i]!)) continue;
    const segment = words.slice(start, i).filter((w) => !/^\d*[<>]/.test(w));
    start = i + 1;
    const assignments: Array<{ name: string; value: string }> = [];
    let j = 0;
    for (; j < segment.length; j++) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(segment[j]!);
      if (!m) break;
      assignments.push({ name: m[1]!, value: m[2]! });
    }
    const command = segment[j];
    if (command === undefined) continue;
    const base = command.split("/").at(-1)!;
    if (names.includes(base)) return { assignments, args: segment.slice(j + 1) };
  }
  return undefined;
}
