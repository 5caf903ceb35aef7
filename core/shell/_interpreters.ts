/**
 * Shells and script interpreters on a command line: where their code comes from (`-c`, `-e`, a
 * here-document on stdin, a script file), and a scan of non-shell code for the calls that start
 * processes. The scan is a heuristic, not a parser: it lifts out static shell strings and argv
 * lists (`os.system("…")`, `subprocess.run([…])`, perl and ruby backquotes) so the policy sees
 * them, and reports any other sign of process execution or decoding as risky.
 * @module
 */
import type { Field } from "./_expand.ts";

const SHELLS = new Set([
  "sh",
  "bash",
  "zsh",
  "dash",
  "ksh",
  "mksh",
  "ash",
  "rbash",
  "posh",
  "yash",
]);

/** Where a shell invocation's code comes from. */
export interface ShellCall {
  /** The `-c` string. */
  command?: Field;
  /** The script file operand. */
  script?: Field;
  /** Reads its script from stdin (no `-c`, no script operand, or `-s`). */
  readsStdin: boolean;
}

/** The shell call when `program` is a POSIX-family shell, else undefined. */
export function shellCall(program: string, args: readonly Field[]): ShellCall | undefined {
  if (!SHELLS.has(program)) return undefined;
  let c = false;
  let s = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!.text;
    if (a === "--" || a === "-") {
      i++;
      break;
    }
    if (a.startsWith("--")) {
      if (a === "--rcfile" || a === "--init-file") i++;
      continue;
    }
    if (a.length < 2 || (a[0] !== "-" && a[0] !== "+")) break;
    for (const ch of a.slice(1)) {
      if (ch === "c") c = true;
      else if (ch === "s") s = true;
      else if (ch === "o" || ch === "O") i++;
    }
  }
  const operand = args[i];
  if (c) return operand ? { command: operand, readsStdin: false } : { readsStdin: false };
  if (s || operand === undefined) return { readsStdin: true };
  return { script: operand, readsStdin: false };
}

export type Language =
  | "python"
  | "perl"
  | "ruby"
  | "node"
  | "php"
  | "lua"
  | "r"
  | "awk"
  | "pwsh"
  | "other";

/** Where an interpreter's code comes from. */
export interface InterpreterCall {
  language: Language;
  /** Inline code (`-c`, `-e`, `-r`, `eval`), joined with newlines when given several times. */
  code?: Field;
  /** Reads its program from stdin: no inline code, no script or module operand. */
  readsStdin: boolean;
}

interface CodeOptions {
  language: Language;
  /** Short options whose value is code. */
  code: string;
  long?: readonly string[];
  /** Short options taking another kind of value (`-m module` ends the options too). */
  value: string;
  /** Options after which the program is not read from stdin (`python -m`). */
  module?: string;
}

const CODE_OPTIONS: Array<[RegExp, CodeOptions]> = [
  [/^(python|pypy)(\d+(\.\d+)*)?$/, { language: "python", code: "c", value: "WXQ", module: "m" }],
  [/^perl(\d+(\.\d+)*)?$/, { language: "perl", code: "eE", value: "IMmx" }],
  [/^ruby(\d+(\.\d+)*)?$/, { language: "ruby", code: "e", value: "rICEF" }],
  [/^(node|nodejs|bun)$/, {
    language: "node",
    code: "ep",
    long: ["eval", "print"],
    value: "r",
  }],
  [/^php(\d+(\.\d+)*)?$/, { language: "php", code: "rBRE", value: "cdzf" }],
  [/^(lua(\d+(\.\d+)*)?|luajit)$/, { language: "lua", code: "e", value: "l" }],
  [/^Rscript$/, { language: "r", code: "e", value: "" }],
  [/^osascript$/, { language: "other", code: "e", value: "l" }],
  [/^(pwsh|powershell)$/, {
    language: "pwsh",
    code: "cCeE",
    long: ["command", "encodedcommand"],
    value: "f",
  }],
  [/^(tclsh|wish|irb|jshell)$/, { language: "other", code: "", value: "" }],
];

/** The interpreter call when `program` runs code of another language, else undefined. */
export function interpreterCall(
  program: string,
  args: readonly Field[],
): InterpreterCall | undefined {
  if (program === "deno") {
    if (args[0]?.text !== "eval") return undefined;
    const code = args.slice(1).find((f) => !f.text.startsWith("-"));
    return code
      ? { language: "node", code, readsStdin: false }
      : { language: "node", readsStdin: false };
  }
  if (/^([gmn]?awk|busybox awk)$/.test(program)) return awkCall(args);
  const entry = CODE_OPTIONS.find(([re]) => re.test(program));
  if (!entry) return undefined;
  const spec = entry[1];
  if (spec.code === "") return { language: spec.language, readsStdin: args.length === 0 };
  const code: Field[] = [];
  let operand = false;
  let module = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!.text;
    if (a === "--") {
      operand = i + 1 < args.length;
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = (eq < 0 ? a.slice(2) : a.slice(2, eq)).toLowerCase();
      if (spec.long?.includes(name)) {
        const v = eq < 0 ? args[++i] : { ...args[i]!, text: a.slice(eq + 1) };
        if (v) code.push(v);
      }
      continue;
    }
    if (a === "-" || a[0] !== "-") {
      operand = a !== "-";
      break;
    }
    for (let k = 1; k < a.length; k++) {
      const ch = a[k]!;
      if (spec.code.includes(ch)) {
        const v = k + 1 < a.length ? { ...args[i]!, text: a.slice(k + 1) } : args[++i];
        if (v) code.push(v);
        break;
      }
      if (spec.module?.includes(ch)) module = true;
      if (spec.value.includes(ch)) {
        if (k + 1 === a.length) i++;
        break;
      }
    }
    if (module) break;
  }
  if (code.length === 0) return { language: spec.language, readsStdin: !operand && !module };
  const reasons = [...new Set(code.flatMap((f) => f.reasons))];
  return {
    language: spec.language,
    code: { text: code.map((f) => f.text).join("\n"), reasons, pos: code[0]!.pos },
    readsStdin: false,
  };
}

/** awk's program is its first operand, unless given with `-f FILE` (or `-e`/`--source` TEXT). */
function awkCall(args: readonly Field[]): InterpreterCall {
  const code: Field[] = [];
  let file = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!.text;
    if (a === "--") {
      i++;
      break;
    }
    if (a.length < 2 || a[0] !== "-") break;
    if (a === "-f" || a === "--file") file = true, i++;
    else if (a === "-e" || a === "--source") args[i + 1] && code.push(args[++i]!);
    else if (/^-[Fv]$/.test(a)) i++;
    else if (a.startsWith("-f")) file = true;
  }
  if (code.length === 0 && !file && args[i]) code.push(args[i]!);
  if (code.length === 0) return { language: "awk", readsStdin: false };
  const reasons = [...new Set(code.flatMap((f) => f.reasons))];
  const text = code.map((f) => f.text).join("\n");
  return { language: "awk", code: { text, reasons, pos: code[0]!.pos }, readsStdin: false };
}

/** Shell strings and argv lists found in code, and whether anything else looks risky. */
export interface CodeScan {
  shell: string[];
  argvs: string[][];
  /** Execution or decoding tokens seen (empty: no sign of process execution). */
  risky: string[];
}

/**
 * Signs of process execution, dynamic code or decoding, per language. Kept to what a one-liner
 * rarely needs otherwise: `require('./package.json')` or `getattr(x, "y")` are not signs, a
 * `require` of a computed name or an `open` of a pipe are.
 */
const RISKY: Record<Language, RegExp> = {
  python:
    /\b(os\.(system|popen|exec\w*|spawn\w*|fork\w*|posix_spawn\w*)|subprocess|commands|pty|eval|exec|compile|__import__|importlib|ctypes|marshal|pickle|base64|codecs|b64decode|fromhex)\b/g,
  perl:
    /\b(system|exec|qx|eval|fork|syscall|IPC::\w+|MIME::Base64|decode_base64)\b|`|\bopen\b[^;]*\|/g,
  ruby:
    /\b(system|exec|spawn|popen\w*|Open3|Kernel|IO\.\w+|Process\.\w+|fork|eval|instance_eval|class_eval|__send__|Base64|syscall)\b|`|%x|\bopen\s*\(?\s*["']\|/g,
  node:
    /\b(child_process|process\.binding|process\.dlopen|eval|Function|exec\w*|spawn\w*|fork|vm|atob|Deno\.Command|Deno\.run|Bun\.spawn\w*)\b|Buffer\.from\([^)]*base64|\b(require|import)\s*\(\s*(?!(["'])[^"'+]*\3\s*\))/g,
  php:
    /\b(system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|eval|assert|create_function|base64_decode|include|require|include_once|require_once|call_user_func\w*|putenv|dl|FFI)\b|`|preg_replace\s*\(\s*(["'])(.).*\3[a-z]*e[a-z]*\2/g,
  lua: /\b(os\.execute|io\.popen|load|loadstring|dofile|loadfile|require)\b/g,
  r: /\b(system2?|shell|pipe|eval|parse|source|Sys\.setenv|dyn\.load)\b/g,
  awk: /\bsystem\b|\|\s*getline|\|&|\|\s*"|\|\s*[A-Za-z_]+\s*($|[;}])/g,
  pwsh: /./g,
  other: /./g,
};

const STRING = String.raw`(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')`;
const CALL = new RegExp(
  String
    .raw`\b(?:system|popen|shell_exec|passthru|exec|execSync|getoutput|getstatusoutput|check_output|check_call|call|run|Popen|spawn|spawnSync|execFileSync|execFile|execute)\s*\(?\s*` +
    String
      .raw`(?:\[\s*((?:${STRING}\s*,?\s*)+)\]|${STRING}(\s*,\s*\[\s*(?:${STRING}\s*,?\s*)*\])?)`,
  "g",
);
const STRINGS = new RegExp(STRING, "g");
const BACKQUOTE = /`([^`$#@\\]*)`|\bqx\s*[{(]([^})$@\\]*)[})]|%x[({]([^})#\\]*)[})]/g;

/** Decodes a quoted literal; undefined when it interpolates or uses escapes we do not read. */
function literal(body: string, double: boolean, language: Language): string | undefined {
  if (double && (language === "perl" || language === "php") && /[$@]/.test(body)) return undefined;
  if (double && language === "ruby" && body.includes("#{")) return undefined;
  if (/\\[^\\'"nt]/.test(body)) return undefined;
  return body.replace(/\\(.)/g, (_, c: string) => c === "n" ? "\n" : c === "t" ? "\t" : c);
}

function literals(text: string, language: Language): string[] | undefined {
  const out: string[] = [];
  for (const m of text.matchAll(STRINGS)) {
    const v = literal(m[1] ?? m[2]!, m[1] !== undefined, language);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

/**
 * Scans code for process execution. Static strings passed to a shell-running call become
 * shell strings (a single string) or argv (a list, or a program then a list).
 */
export function scanCode(language: Language, code: string): CodeScan {
  const risky = [...new Set([...code.matchAll(RISKY[language])].map((m) => m[0]))];
  if (language === "pwsh" || language === "other") {
    return { shell: [], argvs: [], risky: code.trim() === "" ? [] : ["code"] };
  }
  const shell: string[] = [];
  const argvs: string[][] = [];
  if (risky.length === 0) return { shell, argvs, risky };
  for (const m of code.matchAll(CALL)) {
    if (m[1] !== undefined) {
      const list = literals(m[1], language);
      if (list && list.length > 0) argvs.push(list);
      continue;
    }
    const body = m[4] ?? m[5];
    if (body === undefined) continue;
    const first = literal(body, m[4] !== undefined, language);
    if (first === undefined) continue;
    if (m[6] !== undefined) {
      const rest = literals(m[6], language);
      if (rest) argvs.push([first, ...rest]);
    } else shell.push(first);
  }
  if (language === "awk") {
    // `"cmd" | getline` and `print … | "cmd"` run cmd through the shell.
    for (
      const m of code.matchAll(/"((?:[^"\\]|\\.)*)"\s*\|\s*getline|\|&?\s*"((?:[^"\\]|\\.)*)"/g)
    ) {
      const body = literal(m[1] ?? m[2]!, false, language);
      if (body !== undefined && body.trim() !== "") shell.push(body);
    }
  }
  if (language === "perl" || language === "ruby" || language === "php") {
    for (const m of code.matchAll(BACKQUOTE)) {
      const body = m[1] ?? m[2] ?? m[3];
      if (body !== undefined && body.trim() !== "") shell.push(body);
    }
  }
  return { shell, argvs, risky };
}
