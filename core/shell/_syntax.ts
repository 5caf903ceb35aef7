/**
 * Tokenizer and recursive-descent parser for the POSIX sh + bash grammar agents use. It reads one
 * input into lists, pipelines, compound and simple commands; a word keeps its parts (literal text
 * with its quoting, parameter and arithmetic expansions, command and process substitutions) so the
 * analysis can resolve what is static and mark the rest. Lexing is done by the parser itself, as
 * in bash: what a character means depends on where the parser is (`}` and `fi` are reserved only
 * in command position, `(` starts a subshell there and is an error after a word).
 * @module
 */

/** Literal text; `q` when it came from quotes or an escape (no globbing, brace or tilde). */
export interface Lit {
  k: "lit";
  s: string;
  q: boolean;
}
/** `$name`, `${…}`: unknown before running. `subs` are the substitutions nested inside. */
export interface Param {
  k: "param";
  raw: string;
  name: string;
  q: boolean;
  subs: Sub[];
}
/** `$((…))` or `$[…]`. */
export interface Arith {
  k: "arith";
  raw: string;
  q: boolean;
  subs: Sub[];
}
/** `$(…)`, `` `…` ``, `<(…)`, `>(…)`: a list that runs. */
export interface Sub {
  k: "sub";
  kind: "cmd" | "backtick" | "procin" | "procout";
  raw: string;
  body: List;
  q: boolean;
  pos: number;
}
export type Part = Lit | Param | Arith | Sub;
/** A word as written: its parts and its 0-based position in the outermost input. */
export interface Word {
  parts: Part[];
  pos: number;
}
export interface Assign {
  name: string;
  value: Word;
  pos: number;
}
export interface Redir {
  op: string;
  fd: number | undefined;
  target: Word;
  pos: number;
}
export interface Simple {
  k: "simple";
  assigns: Assign[];
  words: Word[];
  redirs: Redir[];
  pos: number;
}
/** Subshell, group and the control structures: words they expand, lists they run. */
export interface Compound {
  k: "compound";
  kind:
    | "subshell"
    | "group"
    | "if"
    | "for"
    | "while"
    | "until"
    | "case"
    | "select"
    | "arith"
    | "cond"
    | "coproc";
  words: Word[];
  bodies: List[];
  redirs: Redir[];
  pos: number;
}
export interface FuncDef {
  k: "func";
  name: string;
  body: Command;
  pos: number;
}
export type Command = Simple | Compound | FuncDef;
/** Two or more commands joined by `|` or `|&`. */
export interface Pipeline {
  k: "pipeline";
  cmds: Command[];
}
/** Commands joined by `;`, `&`, newlines, `&&` and `||` (and-or lists flattened). */
export interface List {
  k: "list";
  items: Array<Pipeline | Command>;
}

/** Why a parse stopped; `pos` is 0-based in the outermost input. */
export class ShellSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: number,
    readonly kind: "unparsable" | "too-deep" | "too-long",
  ) {
    super(message);
    this.name = "ShellSyntaxError";
  }
}

/** How to parse: nesting budget, and a fixed position to report for text taken from a string. */
export interface ParseOptions {
  maxDepth: number;
  depth?: number;
  fixedPos?: number | undefined;
  /** Work left, shared with the parsers of nested texts (backquotes, here-documents). */
  steps?: { left: number };
}

/**
 * Parse steps allowed per character of input. Arithmetic is tried before a subshell reading of
 * `$((`/`((` (as bash does); memoisation keeps that linear, and this bound guarantees it.
 */
const STEPS_PER_CHAR = 64;

/** Parses a whole input; throws ShellSyntaxError. */
export function parseShell(src: string, options: ParseOptions): List {
  return new Parser(src, options).program();
}

/** Parses the body of an unquoted here-document: expansions and `\$ \` \\` escapes only. */
export function parseHeredocBody(src: string, options: ParseOptions): Part[] {
  return new Parser(src, options).heredocParts();
}

// Character classes, by char code: 1 = metacharacter (ends a word), 2 = starts a quote or an
// expansion inside a word. Everything else is plain word text.
const CLASS = new Uint8Array(128);
for (const c of " \t\n;&|()<>") CLASS[c.charCodeAt(0)] = 1;
for (const c of "\\'\"$`") CLASS[c.charCodeAt(0)] = 2;

const CLOSERS = new Set(["then", "elif", "else", "fi", "do", "done", "esac", "}"]);
const REDIR_OPS = ["&>>", "&>", "<<<", "<<-", "<<", "<>", "<&", ">>", ">|", ">&", "<", ">"];
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ASSIGN = /^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=/;
const DECLARE = new Set(["declare", "typeset", "local", "export", "readonly"]);

interface PendingHeredoc {
  redir: Redir;
  delim: string;
  strip: boolean;
  quoted: boolean;
}

class Parser {
  i = 0;
  depth: number;
  readonly maxDepth: number;
  readonly fixed: number | undefined;
  readonly steps: { left: number };
  /** Arithmetic tried at a start position: its result and end, or null when it failed. */
  arithMemo = new Map<number, { arith: Arith; end: number } | null>();
  pending: PendingHeredoc[] = [];
  /** Paren depth inside the right side of `[[ … =~ … ]]`, or -1 outside it. */
  regexDepth = -1;
  /** Whether `@(…)`, `!(…)`, `*(…)`, `+(…)`, `?(…)` are read as patterns (always inside `[[`). */
  extglob: boolean;
  /** Paren depth inside an extglob pattern. */
  globDepth = 0;

  constructor(readonly src: string, options: ParseOptions) {
    this.depth = options.depth ?? 0;
    this.maxDepth = options.maxDepth;
    this.steps = options.steps ?? { left: STEPS_PER_CHAR * (src.length + 16) };
    this.fixed = options.fixedPos;
    // `shopt -s extglob` changes how later lines parse; accepting the patterns everywhere once
    // it appears reads more, never less, than bash.
    this.extglob = src.includes("extglob");
  }

  pos(p: number = this.i): number {
    return this.fixed ?? p;
  }

  fail(message: string, p: number = this.i): never {
    throw new ShellSyntaxError(message, this.pos(p), "unparsable");
  }

  step(): void {
    if (--this.steps.left < 0) {
      throw new ShellSyntaxError("Cannot parse: the line is too complex", this.pos(), "too-long");
    }
  }

  enter(p: number): void {
    if (++this.depth > this.maxDepth) {
      throw new ShellSyntaxError(
        `Cannot parse: nesting deeper than ${this.maxDepth} levels`,
        this.pos(p),
        "too-deep",
      );
    }
  }

  describe(): string {
    const c = this.src[this.i];
    if (c === undefined) return "end of input";
    if (c === "\n") return "newline";
    const op = /^(;;&|;;|;&|&&|\|\||\|&|[;&|()<>])/.exec(this.src.slice(this.i, this.i + 3));
    return `'${op ? op[1] : (this.peekKeyword() || c)}'`;
  }

  program(): List {
    const list = this.list();
    this.skipNewlines();
    if (this.i < this.src.length) this.fail(`Cannot parse: unexpected ${this.describe()}`);
    for (const h of this.pending) h.redir.target = { parts: [lit("", true)], pos: h.redir.pos };
    this.pending = [];
    return list;
  }

  // ---- blanks, comments, newlines -------------------------------------------------------------

  skipBlanks(): void {
    const s = this.src;
    for (;;) {
      const c = s[this.i];
      if (c === " " || c === "\t") this.i++;
      else if (c === "\\" && s[this.i + 1] === "\n") this.i += 2;
      else if (c === "#") {
        const end = s.indexOf("\n", this.i);
        this.i = end < 0 ? s.length : end;
      } else return;
    }
  }

  skipNewlines(): void {
    for (;;) {
      this.skipBlanks();
      if (this.src[this.i] !== "\n") return;
      this.i++;
      if (this.pending.length > 0) this.readHeredocs();
    }
  }

  /** The reserved-word candidate at the cursor: plain text ending at a metacharacter. */
  peekKeyword(max = 8): string {
    const s = this.src;
    let j = this.i;
    const end = Math.min(s.length, this.i + max + 1);
    while (j < end) {
      const code = s.charCodeAt(j);
      if (code < 128 && CLASS[code] !== 0) break;
      j++;
    }
    if (j === this.i || j - this.i > max) return "";
    const code = s.charCodeAt(j);
    if (j < s.length && !(code < 128 && CLASS[code] === 1)) return "";
    return s.slice(this.i, j);
  }

  atCloser(): boolean {
    const c = this.src[this.i];
    if (c === ")") return true;
    if (c === ";" && (this.src[this.i + 1] === ";" || this.src[this.i + 1] === "&")) return true;
    return CLOSERS.has(this.peekKeyword());
  }

  expectKeyword(kw: string, after: string): void {
    this.skipNewlines();
    if (this.peekKeyword() !== kw) {
      this.fail(`Cannot parse: expected '${kw}' after ${after}, found ${this.describe()}`);
    }
    this.i += kw.length;
  }

  // ---- lists and pipelines --------------------------------------------------------------------

  list(): List {
    const items: Array<Pipeline | Command> = [];
    const s = this.src;
    for (;;) {
      this.skipNewlines();
      if (this.i >= s.length || this.atCloser()) break;
      items.push(this.pipeline());
      for (;;) {
        this.skipBlanks();
        const two = s.slice(this.i, this.i + 2);
        if (two !== "&&" && two !== "||") break;
        this.i += 2;
        this.skipNewlines();
        items.push(this.pipeline());
      }
      this.skipBlanks();
      const c = s[this.i], n = s[this.i + 1];
      if (c === ";" && n !== ";" && n !== "&") this.i++;
      else if (c === "&" && n !== "&" && n !== ">") this.i++;
      else if (c !== "\n") break;
    }
    return { k: "list", items };
  }

  requireList(after: string): List {
    const start = this.i;
    const list = this.list();
    if (list.items.length === 0) {
      this.fail(`Cannot parse: expected a command after ${after}, found ${this.describe()}`, start);
    }
    return list;
  }

  pipeline(): Pipeline | Command {
    // `time [-p]` and `!` prefix a pipeline, in either order; alone they run nothing.
    for (;;) {
      this.skipBlanks();
      const kw = this.peekKeyword();
      if (kw === "time") {
        this.i += 4;
        this.skipBlanks();
        if (this.peekKeyword() === "-p") this.i += 2;
      } else if (kw === "!") this.i++;
      else break;
      this.skipBlanks();
      const c = this.src[this.i];
      const amp = c === "&" && this.src[this.i + 1] !== ">";
      if (c === undefined || c === "\n" || c === ";" || amp || c === ")") {
        return { k: "compound", kind: "group", words: [], bodies: [], redirs: [], pos: this.pos() };
      }
    }
    const cmds = [this.command()];
    for (;;) {
      this.skipBlanks();
      const c = this.src[this.i], n = this.src[this.i + 1];
      if (c !== "|" || n === "|") break;
      this.i += n === "&" ? 2 : 1;
      this.skipNewlines();
      cmds.push(this.command());
    }
    return cmds.length === 1 ? cmds[0]! : { k: "pipeline", cmds };
  }

  // ---- commands -------------------------------------------------------------------------------

  command(): Command {
    this.step();
    this.skipBlanks();
    const s = this.src;
    const start = this.i;
    const c = s[start];
    if (c === undefined) this.fail("Cannot parse: expected a command, found end of input");
    if (c === "(") {
      if (s[start + 1] === "(") {
        const arith = this.tryArith(start, start + 2);
        if (arith) {
          return this.compound("arith", start, [{ parts: [arith], pos: this.pos(start) }], []);
        }
      }
      this.enter(start);
      this.i++;
      const body = this.requireList("'('");
      this.skipNewlines();
      if (s[this.i] !== ")") this.fail("Cannot parse: expected ')' to close '('", start);
      this.i++;
      this.depth--;
      return this.compound("subshell", start, [], [body]);
    }
    const kw = this.peekKeyword();
    switch (kw) {
      case "{": {
        this.enter(start);
        this.i++;
        const body = this.requireList("'{'");
        this.expectKeyword("}", "a '{' group");
        this.depth--;
        return this.compound("group", start, [], [body]);
      }
      case "if":
        return this.ifClause(start);
      case "while":
      case "until": {
        this.enter(start);
        this.i += kw.length;
        const cond = this.requireList(`'${kw}'`);
        this.expectKeyword("do", `'${kw}' condition`);
        const body = this.requireList("'do'");
        this.expectKeyword("done", `'${kw}' body`);
        this.depth--;
        return this.compound(kw, start, [], [cond, body]);
      }
      case "for":
      case "select":
        return this.forClause(kw, start);
      case "case":
        return this.caseClause(start);
      case "function":
        return this.functionKeyword(start);
      case "[[":
        return this.condClause(start);
      case "coproc":
        return this.coproc(start);
      case "then":
      case "elif":
      case "else":
      case "fi":
      case "do":
      case "done":
      case "esac":
      case "}":
      case "in":
        this.fail(`Cannot parse: unexpected '${kw}'`);
    }
    if (c === ";" || (c === "&" && !this.redirectAt()) || c === "|" || c === ")" || c === "\n") {
      this.fail(`Cannot parse: unexpected ${this.describe()}`);
    }
    return this.simple();
  }

  compound(
    kind: Compound["kind"],
    start: number,
    words: Word[],
    bodies: List[],
  ): Compound {
    const redirs: Redir[] = [];
    for (;;) {
      this.skipBlanks();
      const r = this.redirectAt();
      if (!r) break;
      redirs.push(this.redirect(r));
    }
    return { k: "compound", kind, words, bodies, redirs, pos: this.pos(start) };
  }

  ifClause(start: number): Compound {
    this.enter(start);
    this.i += 2;
    const bodies = [this.requireList("'if'")];
    this.expectKeyword("then", "'if' condition");
    bodies.push(this.requireList("'then'"));
    for (;;) {
      this.skipNewlines();
      const kw = this.peekKeyword();
      if (kw === "elif") {
        this.i += 4;
        bodies.push(this.requireList("'elif'"));
        this.expectKeyword("then", "'elif' condition");
        bodies.push(this.requireList("'then'"));
      } else if (kw === "else") {
        this.i += 4;
        bodies.push(this.requireList("'else'"));
        this.expectKeyword("fi", "'else' branch");
        break;
      } else {
        this.expectKeyword("fi", "'if' body");
        break;
      }
    }
    this.depth--;
    return this.compound("if", start, [], bodies);
  }

  forClause(kw: "for" | "select", start: number): Compound {
    this.enter(start);
    this.i += kw.length;
    this.skipBlanks();
    const words: Word[] = [];
    const s = this.src;
    if (kw === "for" && s.startsWith("((", this.i)) {
      const arithStart = this.i;
      const arith = this.tryArith(this.i, this.i + 2);
      if (!arith) this.fail("Cannot parse: expected '))' to close 'for ((…'", arithStart);
      words.push({ parts: [arith], pos: this.pos(arithStart) });
      this.skipBlanks();
      if (s[this.i] === ";") this.i++;
    } else {
      const name = this.peekKeyword(256);
      if (!NAME.test(name)) this.fail(`Cannot parse: expected a variable name after '${kw}'`);
      this.i += name.length;
      this.skipNewlines();
      if (this.peekKeyword() === "in") {
        this.i += 2;
        for (;;) {
          this.skipBlanks();
          const c = s[this.i];
          if (c === undefined || c === ";" || c === "\n") break;
          if (c.charCodeAt(0) < 128 && CLASS[c.charCodeAt(0)] === 1 && !this.procSubAt()) {
            this.fail(`Cannot parse: unexpected ${this.describe()} in '${kw}' word list`);
          }
          words.push(this.word());
        }
        if (s[this.i] === ";") this.i++;
      } else if (s[this.i] === ";") this.i++;
    }
    this.skipNewlines();
    let body: List;
    if (this.peekKeyword() === "{") {
      this.i++;
      body = this.requireList("'{'");
      this.expectKeyword("}", `'${kw}' body`);
    } else {
      this.expectKeyword("do", `'${kw}' list`);
      body = this.requireList("'do'");
      this.expectKeyword("done", `'${kw}' body`);
    }
    this.depth--;
    return this.compound(kw, start, words, [body]);
  }

  caseClause(start: number): Compound {
    this.enter(start);
    this.i += 4;
    this.skipBlanks();
    const s = this.src;
    const words = [this.word()];
    this.expectKeyword("in", "'case' word");
    const bodies: List[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.peekKeyword() === "esac") {
        this.i += 4;
        break;
      }
      if (this.i >= s.length) this.fail("Cannot parse: expected 'esac' to close 'case'", start);
      if (s[this.i] === "(") this.i++;
      for (;;) {
        this.skipBlanks();
        const c = s[this.i];
        if (c === undefined || (c.charCodeAt(0) < 128 && CLASS[c.charCodeAt(0)] === 1)) {
          this.fail(`Cannot parse: expected a 'case' pattern, found ${this.describe()}`);
        }
        words.push(this.word());
        this.skipBlanks();
        if (s[this.i] === "|") this.i++;
        else if (s[this.i] === ")") {
          this.i++;
          break;
        } else this.fail(`Cannot parse: expected ')' after a 'case' pattern`);
      }
      bodies.push(this.list());
      this.skipNewlines();
      if (s.startsWith(";;&", this.i)) this.i += 3;
      else if (s.startsWith(";;", this.i) || s.startsWith(";&", this.i)) this.i += 2;
      else if (this.peekKeyword() !== "esac") {
        this.fail(`Cannot parse: expected ';;' or 'esac', found ${this.describe()}`);
      }
    }
    this.depth--;
    return this.compound("case", start, words, bodies);
  }

  functionKeyword(start: number): FuncDef {
    this.i += 8;
    this.skipBlanks();
    const nameWord = this.word();
    const name = literalText(nameWord);
    if (name === undefined) this.fail("Cannot parse: expected a function name", start);
    this.skipBlanks();
    if (this.src[this.i] === "(") {
      this.i++;
      this.skipBlanks();
      if (this.src[this.i] !== ")") this.fail("Cannot parse: expected ')' after 'function NAME ('");
      this.i++;
    }
    return this.functionBody(name, start);
  }

  functionBody(name: string, start: number): FuncDef {
    this.skipNewlines();
    this.enter(start);
    const body = this.command();
    this.depth--;
    if (body.k !== "compound") {
      this.fail(`Cannot parse: the body of function '${name}' must be a compound command`, start);
    }
    return { k: "func", name, body, pos: this.pos(start) };
  }

  condClause(start: number): Compound {
    this.enter(start);
    this.i += 2;
    const s = this.src;
    const words: Word[] = [];
    for (;;) {
      this.skipNewlines();
      const c = s[this.i];
      if (c === undefined) this.fail("Cannot parse: expected ']]' to close '[['", start);
      if (this.peekKeyword() === "]]") {
        this.i += 2;
        break;
      }
      const two = s.slice(this.i, this.i + 2);
      if (two === "&&" || two === "||") this.i += 2;
      else if (c === "(" || c === ")" || c === "<" || c === ">") this.i++;
      else if (c === ";" || c === "&" || c === "|") {
        this.fail(`Cannot parse: unexpected ${this.describe()} inside '[['`);
      } else {
        const extglob = this.extglob;
        this.extglob = true;
        let w: Word;
        try {
          w = this.word();
        } finally {
          this.extglob = extglob;
        }
        words.push(w);
        if (literalText(w) === "=~") {
          this.skipBlanks();
          this.regexDepth = 0;
          try {
            if (s[this.i] !== undefined && !this.wordEndsAt(this.i)) words.push(this.word());
          } finally {
            this.regexDepth = -1;
          }
        }
      }
    }
    this.depth--;
    return this.compound("cond", start, words, []);
  }

  coproc(start: number): Compound {
    this.i += 6;
    this.skipBlanks();
    const s = this.src;
    const name = this.peekKeyword();
    if (NAME.test(name) && !CLOSERS.has(name)) {
      const after = this.i + name.length;
      let j = after;
      while (s[j] === " " || s[j] === "\t") j++;
      if (j > after && (s[j] === "{" || s[j] === "(")) this.i = j;
    }
    this.enter(start);
    const body = this.command();
    this.depth--;
    return this.compound("coproc", start, [], [{ k: "list", items: [body] }]);
  }

  simple(): Command {
    const s = this.src;
    const start = this.i;
    const assigns: Assign[] = [];
    const words: Word[] = [];
    const redirs: Redir[] = [];
    for (;;) {
      this.skipBlanks();
      const c = s[this.i];
      if (c === undefined) break;
      const r = this.redirectAt();
      if (r) {
        redirs.push(this.redirect(r));
        continue;
      }
      if (c === "\n" || c === ";" || c === "&" || c === "|" || c === ")") break;
      if (c === "(") {
        const name = words.length === 1 && assigns.length === 0 && redirs.length === 0
          ? literalText(words[0]!)
          : undefined;
        if (name !== undefined && name !== "" && !/[$`'"\\=]/.test(name)) {
          this.i++;
          this.skipBlanks();
          if (s[this.i] !== ")") this.fail(`Cannot parse: expected ')' after '${name} ('`);
          this.i++;
          return this.functionBody(name, start);
        }
        this.fail("Cannot parse: unexpected '('");
      }
      const wordStart = this.i;
      const w = this.word();
      const head = w.parts[0];
      const m = head?.k === "lit" && !head.q ? ASSIGN.exec(head.s) : null;
      const arrayNext = m !== null && s[this.i] === "(" && m[0].length === (head as Lit).s.length &&
        w.parts.length === 1;
      if (arrayNext) this.arrayElements(w);
      if (m && words.length === 0) {
        const rest = (head as Lit).s.slice(m[0].length);
        const value: Word = {
          parts: rest === "" ? w.parts.slice(1) : [lit(rest, false), ...w.parts.slice(1)],
          pos: w.pos,
        };
        assigns.push({ name: m[1]!, value, pos: this.pos(wordStart) });
      } else {
        if (arrayNext && !DECLARE.has(literalText(words[0]!) ?? "")) {
          this.fail("Cannot parse: unexpected '('", this.i);
        }
        words.push(w);
      }
    }
    if (words.length === 0 && assigns.length === 0 && redirs.length === 0) {
      this.fail(`Cannot parse: unexpected ${this.describe()}`);
    }
    return { k: "simple", assigns, words, redirs, pos: this.pos(start) };
  }

  /** `name=(a b c)`: the elements become parts of the word, between literal parentheses. */
  arrayElements(w: Word): void {
    const s = this.src;
    const start = this.i;
    this.i++;
    w.parts.push(lit("(", true));
    let first = true;
    for (;;) {
      this.skipNewlines();
      const c = s[this.i];
      if (c === undefined) this.fail("Cannot parse: expected ')' to close an array", start);
      if (c === ")") {
        this.i++;
        break;
      }
      if (c.charCodeAt(0) < 128 && CLASS[c.charCodeAt(0)] === 1 && !this.procSubAt()) {
        this.fail(`Cannot parse: unexpected ${this.describe()} in an array`);
      }
      if (!first) w.parts.push(lit(" ", true));
      first = false;
      w.parts.push(...this.word().parts.map(quoted));
    }
    w.parts.push(lit(")", true));
  }

  // ---- redirections and here-documents --------------------------------------------------------

  /** The redirection operator at the cursor (with its fd prefix), or undefined. */
  redirectAt(): { op: string; fd: number | undefined; len: number } | undefined {
    const s = this.src;
    let j = this.i;
    let fd: number | undefined;
    const c = s[j];
    if (c === undefined) return undefined;
    if (c >= "0" && c <= "9") {
      while (s[j]! >= "0" && s[j]! <= "9") j++;
      if (s[j] !== "<" && s[j] !== ">") return undefined;
      fd = Number(s.slice(this.i, j));
      if (s[j + 1] === "(") return undefined;
    } else if (c === "{") {
      const m = /^\{[A-Za-z_][A-Za-z0-9_]*\}(?=[<>])/.exec(s.slice(j, j + 80));
      if (!m) return undefined;
      j += m[0].length;
    } else if (c !== "<" && c !== ">" && c !== "&") return undefined;
    if ((s[j] === "<" || s[j] === ">") && s[j + 1] === "(") return undefined;
    for (const op of REDIR_OPS) {
      if (s.startsWith(op, j)) {
        if (op[0] === "&" && fd !== undefined) return undefined;
        return { op, fd, len: j - this.i + op.length };
      }
    }
    return undefined;
  }

  redirect(r: { op: string; fd: number | undefined; len: number }): Redir {
    const start = this.i;
    this.i += r.len;
    this.skipBlanks();
    if (this.wordEndsAt(this.i) && !this.procSubAt()) {
      this.fail(`Cannot parse: expected a word after '${r.op}', found ${this.describe()}`);
    }
    const target = this.word();
    const redir: Redir = { op: r.op, fd: r.fd, target, pos: this.pos(start) };
    if (r.op === "<<" || r.op === "<<-") {
      redir.op = "<<";
      let delim = "";
      let quotedDelim = false;
      for (const p of target.parts) {
        if (p.k === "lit") {
          delim += p.s;
          quotedDelim ||= p.q;
        } else delim += p.raw;
      }
      this.pending.push({ redir, delim, strip: r.op === "<<-", quoted: quotedDelim });
    }
    return redir;
  }

  readHeredocs(): void {
    const s = this.src;
    const pending = this.pending;
    this.pending = [];
    for (const h of pending) {
      let body = "";
      while (this.i < s.length) {
        const end = s.indexOf("\n", this.i);
        let line = s.slice(this.i, end < 0 ? s.length : end);
        this.i = end < 0 ? s.length : end + 1;
        if (h.strip) line = line.replace(/^\t+/, "");
        if (line === h.delim) break;
        body += line + "\n";
      }
      const pos = h.redir.pos;
      h.redir.target = h.quoted ? { parts: [lit(body, true)], pos } : {
        parts: parseHeredocBody(body, {
          maxDepth: this.maxDepth,
          depth: this.depth,
          fixedPos: pos,
          steps: this.steps,
        }),
        pos,
      };
    }
  }

  heredocParts(): Part[] {
    const s = this.src;
    const parts: Part[] = [lit("", true)];
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === "\\") {
        const n = s[this.i + 1];
        if (n === "$" || n === "`" || n === "\\") pushLit(parts, n, true), this.i += 2;
        else if (n === "\n") this.i += 2;
        else pushLit(parts, "\\", true), this.i++;
      } else if (c === "$") this.dollar(parts, true);
      else if (c === "`") parts.push(this.backtick(true));
      else {
        let j = this.i + 1;
        while (j < s.length && s[j] !== "\\" && s[j] !== "$" && s[j] !== "`") j++;
        pushLit(parts, s.slice(this.i, j), true);
        this.i = j;
      }
    }
    return parts;
  }

  // ---- words ----------------------------------------------------------------------------------

  wordEndsAt(j: number): boolean {
    const code = this.src.charCodeAt(j);
    if (Number.isNaN(code)) return true;
    if (!(code < 128 && CLASS[code] === 1)) return false;
    if (this.regexDepth >= 0) {
      const c = this.src[j]!;
      if (c === "(" || c === "|" || c === "<" || c === ">") return false;
      if (c === ")" && this.regexDepth > 0) return false;
    }
    return true;
  }

  procSubAt(): boolean {
    const c = this.src[this.i];
    return (c === "<" || c === ">") && this.src[this.i + 1] === "(";
  }

  word(): Word {
    this.step();
    const s = this.src;
    const start = this.i;
    const parts: Part[] = [];
    while (this.i < s.length) {
      const c = s[this.i]!;
      const code = c.charCodeAt(0);
      const cls = code < 128 ? CLASS[code] : 0;
      if (cls === 0) {
        let j = this.i + 1;
        for (; j < s.length; j++) {
          const d = s.charCodeAt(j);
          if (d < 128 && CLASS[d] !== 0) break;
        }
        pushLit(parts, s.slice(this.i, j), false);
        this.i = j;
        continue;
      }
      if (cls === 1) {
        if (this.procSubAt()) {
          parts.push(this.substitution(c === "<" ? "procin" : "procout", 2, false));
          continue;
        }
        if (this.globDepth > 0) {
          if (c === "(") this.globDepth++;
          else if (c === ")") this.globDepth--;
          pushLit(parts, c, false);
          this.i++;
          continue;
        }
        if (c === "(" && this.extglob && this.i > start && "@*+?!".includes(s[this.i - 1]!)) {
          this.globDepth = 1;
          pushLit(parts, c, false);
          this.i++;
          continue;
        }
        if (this.regexDepth >= 0 && !this.wordEndsAt(this.i)) {
          if (c === "(") this.regexDepth++;
          else if (c === ")") this.regexDepth--;
          pushLit(parts, c, false);
          this.i++;
          continue;
        }
        break;
      }
      switch (c) {
        case "\\": {
          const n = s[this.i + 1];
          if (n === "\n") this.i += 2;
          else if (n === undefined) pushLit(parts, "\\", false), this.i++;
          else {
            const cp = s.codePointAt(this.i + 1)!;
            const ch = String.fromCodePoint(cp);
            pushLit(parts, ch, true);
            this.i += 1 + ch.length;
          }
          break;
        }
        case "'": {
          const end = s.indexOf("'", this.i + 1);
          if (end < 0) this.fail("Cannot parse: unterminated single quote", this.i);
          pushLit(parts, s.slice(this.i + 1, end), true);
          this.i = end + 1;
          break;
        }
        case '"':
          this.doubleQuoted(parts);
          break;
        case "$":
          this.dollar(parts, false);
          break;
        default: // "`"
          parts.push(this.backtick(false));
      }
    }
    if (this.i === start) this.fail(`Cannot parse: unexpected ${this.describe()}`);
    if (this.globDepth > 0) {
      this.globDepth = 0;
      this.fail("Cannot parse: unterminated extglob pattern", start);
    }
    return { parts, pos: this.pos(start) };
  }

  doubleQuoted(parts: Part[]): void {
    const s = this.src;
    const start = this.i;
    this.i++;
    pushLit(parts, "", true);
    for (;;) {
      const c = s[this.i];
      if (c === undefined) this.fail("Cannot parse: unterminated double quote", start);
      if (c === '"') {
        this.i++;
        return;
      }
      if (c === "\\") {
        const n = s[this.i + 1];
        if (n === "$" || n === "`" || n === '"' || n === "\\") pushLit(parts, n, true), this.i += 2;
        else if (n === "\n") this.i += 2;
        else pushLit(parts, "\\", true), this.i++;
      } else if (c === "$") this.dollar(parts, true);
      else if (c === "`") parts.push(this.backtick(true));
      else {
        let j = this.i + 1;
        while (j < s.length && s[j] !== '"' && s[j] !== "\\" && s[j] !== "$" && s[j] !== "`") j++;
        pushLit(parts, s.slice(this.i, j), true);
        this.i = j;
      }
    }
  }

  /** `$…` at the cursor: ANSI-C or locale quoting, an expansion, or a literal `$`. */
  dollar(parts: Part[], q: boolean): void {
    const s = this.src;
    const start = this.i;
    const n = s[start + 1];
    if (n === "'" && !q) {
      let j = start + 2;
      while (j < s.length && s[j] !== "'") j += s[j] === "\\" ? 2 : 1;
      if (j >= s.length) this.fail("Cannot parse: unterminated $'…' string", start);
      pushLit(parts, decodeAnsiC(s.slice(start + 2, j)), true);
      this.i = j + 1;
    } else if (n === '"' && !q) {
      this.i++;
      this.doubleQuoted(parts);
    } else if (n === "(") {
      if (s[start + 2] === "(") {
        const arith = this.tryArith(start, start + 3);
        if (arith) {
          arith.q = q;
          parts.push(arith);
          return;
        }
      }
      parts.push(this.substitution("cmd", 2, q));
    } else if (n === "{") parts.push(this.braceParam(q));
    else if (n === "[") {
      const end = s.indexOf("]", start);
      if (end < 0) this.fail("Cannot parse: unterminated $[…]", start);
      const inner = new Parser(s.slice(start + 2, end), this.subOptions(start)).heredocParts();
      this.i = end + 1;
      parts.push({ k: "arith", raw: s.slice(start, this.i), q, subs: subsOf(inner) });
    } else if (n !== undefined && /[A-Za-z_]/.test(n)) {
      let j = start + 2;
      while (j < s.length && /[A-Za-z0-9_]/.test(s[j]!)) j++;
      this.i = j;
      parts.push({ k: "param", raw: s.slice(start, j), name: s.slice(start + 1, j), q, subs: [] });
    } else if (n !== undefined && /[0-9@*#?$!-]/.test(n)) {
      this.i = start + 2;
      parts.push({ k: "param", raw: s.slice(start, start + 2), name: n, q, subs: [] });
    } else {
      this.i++;
      pushLit(parts, "$", q);
    }
  }

  subOptions(start: number): ParseOptions {
    return {
      maxDepth: this.maxDepth,
      depth: this.depth,
      fixedPos: this.pos(start),
      steps: this.steps,
    };
  }

  /** `$(…)`, `<(…)`, `>(…)`: the list runs inside; parsed in place so here-docs work. */
  substitution(kind: Sub["kind"], open: number, q: boolean): Sub {
    const start = this.i;
    this.enter(start);
    this.i += open;
    const body = this.list();
    this.skipNewlines();
    if (this.src[this.i] !== ")") {
      this.fail(
        `Cannot parse: expected ')' to close '${this.src.slice(start, start + open)}'`,
        start,
      );
    }
    this.i++;
    this.depth--;
    return { k: "sub", kind, raw: this.src.slice(start, this.i), body, q, pos: this.pos(start) };
  }

  /**
   * `` `…` ``: bash removes the backslash before `$`, `` ` `` and `\` (and `"` inside double
   * quotes), then parses the text as a new input.
   */
  backtick(q: boolean): Sub {
    const s = this.src;
    const start = this.i;
    let text = "";
    let j = start + 1;
    for (;;) {
      const c = s[j];
      if (c === undefined) this.fail("Cannot parse: unterminated backquote", start);
      if (c === "`") break;
      if (c === "\\") {
        const n = s[j + 1];
        if (n === "$" || n === "`" || n === "\\" || (q && n === '"')) text += n, j += 2;
        else text += c, j++;
      } else text += c, j++;
    }
    this.i = j + 1;
    this.enter(start);
    const body = new Parser(text, this.subOptions(start)).program();
    this.depth--;
    return {
      k: "sub",
      kind: "backtick",
      raw: s.slice(start, this.i),
      body,
      q,
      pos: this.pos(start),
    };
  }

  /** `${…}`: ends at the first unquoted `}` (bash does not count braces inside). */
  braceParam(q: boolean): Param {
    const s = this.src;
    const start = this.i;
    this.enter(start);
    this.i += 2;
    const m = /^[#!]?([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])/.exec(s.slice(this.i, this.i + 80));
    const name = m ? m[1]! : "";
    const inner: Part[] = [];
    for (;;) {
      const c = s[this.i];
      if (c === undefined) this.fail("Cannot parse: unterminated '${'", start);
      if (c === "}") {
        this.i++;
        break;
      }
      if (c === "\\") this.i += 2;
      else if (c === "'" && !q) {
        const end = s.indexOf("'", this.i + 1);
        if (end < 0) this.fail("Cannot parse: unterminated single quote", this.i);
        this.i = end + 1;
      } else if (c === '"') this.doubleQuoted(inner);
      else if (c === "$") this.dollar(inner, q);
      else if (c === "`") inner.push(this.backtick(q));
      else if (this.procSubAt()) {
        inner.push(this.substitution(c === "<" ? "procin" : "procout", 2, q));
      } else this.i++;
    }
    this.depth--;
    return { k: "param", raw: s.slice(start, this.i), name, q, subs: subsOf(inner) };
  }

  /**
   * Arithmetic from `from` (just after the `((` or `$((` at `start`) to the matching `))`, or undefined (cursor
   * unchanged) when the parentheses close otherwise: bash then reads a subshell or a `$( (…) )`.
   */
  tryArith(start: number, from: number): Arith | undefined {
    const memo = this.arithMemo.get(start);
    if (memo !== undefined) {
      if (memo) this.i = memo.end;
      return memo?.arith;
    }
    const save = this.i;
    const saveDepth = this.depth;
    const savePending = [...this.pending];
    this.i = from;
    let arith: Arith | undefined;
    try {
      arith = this.arithBody(start);
    } catch (e) {
      if (e instanceof ShellSyntaxError && e.kind !== "unparsable") throw e;
    }
    this.depth = saveDepth;
    this.arithMemo.set(start, arith ? { arith, end: this.i } : null);
    if (!arith) {
      this.i = save;
      this.pending = savePending;
    }
    return arith;
  }

  arithBody(start: number): Arith | undefined {
    const s = this.src;
    const inner: Part[] = [];
    let depth = 0;
    this.enter(start);
    for (;;) {
      this.step();
      const c = s[this.i];
      if (c === undefined) return undefined;
      if (c === "(") depth++, this.i++;
      else if (c === ")") {
        if (depth === 0) {
          if (s[this.i + 1] !== ")") return undefined;
          this.i += 2;
          return { k: "arith", raw: s.slice(start, this.i), q: false, subs: subsOf(inner) };
        }
        depth--;
        this.i++;
      } else if (c === "\\") this.i += 2;
      else if (c === "$") this.dollar(inner, true);
      else if (c === "`") inner.push(this.backtick(true));
      else if (c === '"') this.doubleQuoted(inner);
      else if (c === "'") {
        const end = s.indexOf("'", this.i + 1);
        if (end < 0) return undefined;
        this.i = end + 1;
      } else this.i++;
    }
  }
}

function lit(s: string, q: boolean): Lit {
  return { k: "lit", s, q };
}

function quoted(p: Part): Part {
  return p.k === "lit" ? lit(p.s, true) : p;
}

function pushLit(parts: Part[], s: string, q: boolean): void {
  const last = parts[parts.length - 1];
  if (last?.k === "lit" && last.q === q) last.s += s;
  else parts.push(lit(s, q));
}

/** The substitutions among parts, including those nested in `${…}` and `$((…))`. */
export function subsOf(parts: readonly Part[]): Sub[] {
  const out: Sub[] = [];
  for (const p of parts) {
    if (p.k === "sub") out.push(p);
    else if (p.k !== "lit") out.push(...p.subs);
  }
  return out;
}

/** The text of a word made only of literal parts (quoted or not), else undefined. */
export function literalText(w: Word): string | undefined {
  let out = "";
  for (const p of w.parts) {
    if (p.k !== "lit") return undefined;
    out += p.s;
  }
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  e: "\x1b",
  E: "\x1b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "?": "?",
};

/**
 * Decodes the inside of `$'…'` as bash does. A NUL ends the string (bash drops the rest of it);
 * bytes 0x80–0xFF from `\x` and octal escapes become U+0080–U+00FF.
 */
export function decodeAnsiC(raw: string): string {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const n = raw[i + 1];
    if (n === undefined) {
      out += "\\";
      break;
    }
    const simple = SIMPLE_ESCAPES[n];
    let code: number | undefined;
    let len = 0;
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    } else if (n >= "0" && n <= "7") {
      const m = /^[0-7]{1,3}/.exec(raw.slice(i + 1, i + 4))![0];
      code = parseInt(m, 8) & 0xff;
      len = m.length;
    } else if (n === "x") {
      const m = /^[0-9A-Fa-f]{1,2}/.exec(raw.slice(i + 2, i + 4));
      if (m) code = parseInt(m[0], 16), len = 1 + m[0].length;
    } else if (n === "u" || n === "U") {
      const m = new RegExp(`^[0-9A-Fa-f]{1,${n === "u" ? 4 : 8}}`).exec(raw.slice(i + 2, i + 10));
      if (m) {
        code = parseInt(m[0], 16);
        if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) code = 0xfffd;
        len = 1 + m[0].length;
      }
    } else if (n === "c" && raw[i + 2] !== undefined) {
      const x = raw[i + 2]!;
      code = x === "?" ? 0x7f : x.toUpperCase().charCodeAt(0) & 0x1f;
      len = 2;
      if (x === "\\" && raw[i + 3] === "\\") len = 3;
    }
    if (code === undefined) {
      out += c + n;
      i++;
      continue;
    }
    if (code === 0) return out;
    out += String.fromCodePoint(code);
    i += len;
  }
  return out;
}
