/**
 * Walks a parsed input and records every simple command that could run: in lists, pipelines,
 * compound commands and function bodies, in substitutions, in shell strings given to shells,
 * `eval`, `trap`, `su -c`, `watch`, `ssh` and interpreters, and behind wrappers.
 * @module
 */
import { expandWord, type Field } from "./_expand.ts";
import { interpreterCall, type Language, scanCode, shellCall } from "./_interpreters.ts";
import {
  type Command,
  type Compound,
  type List,
  literalText,
  parseShell,
  type Pipeline,
  type Redir,
  ShellSyntaxError,
  type Simple,
  type Sub,
  subsOf,
  type Word,
} from "./_syntax.ts";
import type {
  ShellAnalysis,
  ShellCommand,
  ShellFinding,
  ShellOrigin,
  ShellRedirect,
} from "./_types.ts";
import { isWrapper, unwrap } from "./_wrappers.ts";
import { commandOptionValues } from "./_command_options.ts";

/** Here-document bodies are recorded up to this many characters. */
export const MAX_HEREDOC_RECORD = 64 * 1024;

interface Ctx {
  origin: ShellOrigin;
  depth: number;
  wrappers: string[];
  /** Programs feeding stdin. */
  stdin: string[];
  env: Record<string, string>;
  redirects: ShellRedirect[];
  /** Reasons every command in this context carries (a shell string built at run time). */
  dynamic: string[];
  remote: string | undefined;
  /** Text on this shell's stdin when known (`sudo sh <<EOF`): any command here may read it. */
  stdinText: StdinText | undefined;
  /** `$0`, `$1`, … of a `sh -c STRING NAME ARGS…` string. */
  positional?: string[];
}

/** A here-document or here-string given to the command, for shells and interpreters. */
interface StdinText {
  text: string;
  dynamic: boolean;
  /** "here-document", "here-string", "output of echo". */
  label: string;
  pos: number;
}

interface Ran {
  cmd: ShellCommand;
  info: Info;
  pos: number;
}

interface Info {
  env: Record<string, string>;
  redirects: ShellRedirect[];
  stdin: string[];
  stdinText: StdinText | undefined;
  dynamic: string[];
}

const SUB_ORIGIN: Record<Sub["kind"], ShellOrigin> = {
  cmd: "command-substitution",
  backtick: "backticks",
  procin: "process-substitution",
  procout: "process-substitution",
};

/** Options of one analysis. */
export interface AnalyzeOptions {
  maxDepth: number;
  /** Characters of nested strings (shell strings, eval, here-documents) analysed at most. */
  budget: number;
}

/** Analyses one input (already checked for length and NUL bytes). */
export function analyze(line: string, options: AnalyzeOptions): ShellAnalysis {
  const a = new Analyzer(options);
  const ctx: Ctx = {
    origin: "top",
    depth: 0,
    wrappers: [],
    stdin: [],
    env: {},
    redirects: [],
    dynamic: [],
    remote: undefined,
    stdinText: undefined,
  };
  a.source(line, ctx, undefined, "");
  return { parsed: a.parsed, commands: a.commands, findings: a.findings };
}

class Analyzer {
  commands: ShellCommand[] = [];
  findings: ShellFinding[] = [];
  parsed = true;
  budget: number;
  readonly maxDepth: number;
  /** Files written earlier in the line with known text, by normalised path. */
  files = new Map<string, { text: string; dynamic: boolean }>();

  constructor(options: AnalyzeOptions) {
    this.maxDepth = options.maxDepth;
    this.budget = options.budget;
  }

  finding(kind: ShellFinding["kind"], detail: string, pos: number | undefined): void {
    const f: ShellFinding = { kind, detail };
    if (pos !== undefined) f.column = pos + 1;
    if (
      !this.findings.some((g) => g.kind === kind && g.detail === detail && g.column === f.column)
    ) {
      this.findings.push(f);
    }
  }

  /** Parses and walks shell text; `pos` is where it sits in the outermost input. */
  source(text: string, ctx: Ctx, pos: number | undefined, label: string, tentative = false): void {
    const where = label ? ` in ${label}` : "";
    if (ctx.depth > this.maxDepth) {
      this.parsed = false;
      this.finding("too-deep", `Cannot analyse${where}: nesting deeper than ${this.maxDepth}`, pos);
      return;
    }
    this.budget -= text.length;
    if (this.budget < 0) {
      this.parsed = false;
      this.finding(
        "too-long",
        `Cannot analyse${where}: nested strings exceed the size budget`,
        pos,
      );
      return;
    }
    let list: List;
    try {
      list = parseShell(text, { maxDepth: this.maxDepth, depth: ctx.depth, fixedPos: pos });
    } catch (e) {
      if (!(e instanceof ShellSyntaxError)) throw e;
      if (tentative && e.kind === "unparsable") {
        // The text holds placeholders for what is built at run time (already a finding): that
        // the placeholders do not parse says nothing about the real text.
        this.finding("dynamic-command", `${label} cannot be read before running`, e.pos);
        return;
      }
      this.parsed = false;
      const detail = label ? `${e.message} (${label})` : e.message;
      this.finding(e.kind, detail, e.pos);
      return;
    }
    this.list(list, ctx);
  }

  list(list: List, ctx: Ctx): void {
    let c = list.items.length > 1 ? refine(ctx, "list") : ctx;
    for (const item of list.items) {
      if (item.k === "pipeline") this.pipeline(item, c);
      else {
        const ran = this.command(item, c);
        const env = ran && exported(ran.cmd, c.env);
        if (env) c = { ...c, env };
      }
    }
  }

  pipeline(p: Pipeline, ctx: Ctx): void {
    const c = refine(ctx, "pipeline");
    let feed = ctx.stdin;
    let text: StdinText | null | undefined;
    for (const cmd of p.cmds) {
      const before = this.commands.length;
      const stdinText = text === undefined ? c.stdinText : text ?? undefined;
      const ran = this.command(cmd, { ...c, stdin: feed, stdinText }, text);
      feed = union(feed, programsOf(this.commands, before));
      for (let i = before; i < this.commands.length; i++) {
        feed = union(feed, this.commands[i]!.stdinFrom);
      }
      text = (ran && outputOf(ran)) ?? null;
    }
  }

  nested(ctx: Ctx, origin: ShellOrigin): Ctx {
    return { ...ctx, origin, depth: ctx.depth + 1 };
  }

  /**
   * Walks a command; for a simple command returns what was recorded for it. `piped`: what the
   * previous pipeline element writes (null: unknown; undefined: not in a pipeline).
   */
  command(cmd: Command, ctx: Ctx, piped?: StdinText | null): Ran | undefined {
    if (cmd.k === "simple") return this.simple(cmd, ctx, piped);
    if (cmd.k === "func") {
      this.finding("function-definition", `function ${cmd.name}`, cmd.pos);
      if (cmd.body.k === "compound") this.compound(cmd.body, ctx, "function");
      return undefined;
    }
    this.compound(cmd, ctx, cmd.kind === "subshell" ? "subshell" : "group");
    return undefined;
  }

  compound(cmd: Compound, ctx: Ctx, origin: ShellOrigin): void {
    const redirs = this.redirects(cmd.redirs, ctx);
    const inner: Ctx = this.nested(ctx, origin);
    inner.redirects = [...redirs.redirects, ...ctx.redirects];
    if (redirs.stdin) inner.stdin = redirs.stdin;
    if (redirs.text) inner.stdinText = redirs.text;
    for (const w of cmd.words) this.subs(w.parts, ctx);
    const before = this.commands.length;
    for (const body of cmd.bodies) this.list(body, inner);
    if (this.commands.length === before && redirs.redirects.length > 0) {
      this.emit([], cmd.pos, { ...infoOf(ctx), redirects: inner.redirects }, ctx);
    }
  }

  /** Analyses the substitutions in parts; returns the programs they ran. */
  subs(parts: Word["parts"], ctx: Ctx, deferred?: Sub[]): string[] {
    const before = this.commands.length;
    for (const sub of subsOf(parts)) {
      if (sub.kind === "procout" && deferred) deferred.push(sub);
      else this.list(sub.body, this.nested(ctx, SUB_ORIGIN[sub.kind]));
    }
    return programsOf(this.commands, before);
  }

  redirects(
    redirs: readonly Redir[],
    ctx: Ctx,
    deferred?: Sub[],
  ): { redirects: ShellRedirect[]; stdin?: string[]; text?: StdinText; dynamic: string[] } {
    const out: {
      redirects: ShellRedirect[];
      stdin?: string[];
      text?: StdinText;
      dynamic: string[];
    } = { redirects: [], dynamic: [] };
    for (const r of redirs) {
      const programs = this.subs(r.target.parts, ctx, deferred);
      const field = expandWord(r.target, { brace: false })[0]!;
      let op = r.op;
      if (op === ">&" && !/^(\d+|-)$/.test(field.text) && field.reasons.length === 0) op = "&>";
      const redirect: ShellRedirect = {
        op,
        target: op === "<<" ? field.text.slice(0, MAX_HEREDOC_RECORD) : field.text,
      };
      if (r.fd !== undefined) redirect.fd = r.fd;
      out.redirects.push(redirect);
      if (op !== "<<") {
        for (const why of field.reasons) add(out.dynamic, `${why} in redirection`);
      }
      const toStdin = r.fd === undefined || r.fd === 0;
      if (!toStdin) continue;
      if (op === "<<" || op === "<<<") {
        const here = op === "<<";
        const text = here ? field.text : field.text + "\n";
        out.stdin = [here ? "heredoc" : "herestring", ...programs];
        const label = here ? "here-document" : "here-string";
        out.text = { text, dynamic: field.reasons.length > 0, label, pos: r.pos };
      } else if (op === "<" && programs.length > 0) out.stdin = programs;
    }
    return out;
  }

  simple(node: Simple, ctx: Ctx, piped: StdinText | null | undefined): Ran {
    const env: Record<string, string> = { ...ctx.env };
    const dynamic = [...ctx.dynamic];
    const assigned: Array<[name: string, value: Field]> = [];
    for (const a of node.assigns) {
      this.subs(a.value.parts, ctx);
      const field = expandWord(a.value, { brace: false })[0];
      env[a.name] = field?.text ?? "";
      for (const why of field?.reasons ?? []) add(dynamic, `${why} in assignment`);
      assigned.push([a.name, field ?? { text: "", reasons: [], pos: node.pos }]);
    }
    const deferred: Sub[] = [];
    const r = this.redirects(node.redirs, ctx, deferred);
    for (const d of r.dynamic) add(dynamic, d);
    const fields: Field[] = [];
    let readsFrom: string[] = [];
    for (const w of node.words) {
      const before = this.commands.length;
      this.subs(w.parts, ctx, deferred);
      if (w.parts.some((p) => p.k === "sub" && p.kind === "procin")) {
        readsFrom = union(readsFrom, programsOf(this.commands, before));
      }
      fields.push(...expandWord(w, { brace: true }));
    }
    const info: Info = {
      env,
      redirects: [...r.redirects, ...ctx.redirects],
      stdin: union(r.stdin ?? ctx.stdin, readsFrom),
      stdinText: r.text ?? (r.stdin || piped === null ? undefined : piped ?? ctx.stdinText),
      dynamic,
    };
    const cmd = this.run(fields, node.pos, info, ctx);
    if (EXPORTING.has(cmd.program)) {
      for (const f of fields.slice(1)) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(f.text);
        if (m) assigned.push([m[1]!, { ...f, text: f.text.slice(m[0].length) }]);
      }
    }
    this.commandVariables(assigned, cmd, info, ctx);
    for (const sub of deferred) {
      const c = this.nested(ctx, "process-substitution");
      c.stdin = cmd.program ? [cmd.program] : cmd.argv.slice(0, 1);
      this.list(sub.body, c);
    }
    const ran = { cmd, info, pos: node.pos };
    this.recordWrites(ran, r.redirects);
    return ran;
  }

  /**
   * Variables whose value programs run as a command (`GIT_SSH_COMMAND='…' git fetch`,
   * `export EDITOR=…`, `PAGER=…`): the value is read as a shell string where it is set.
   */
  commandVariables(
    assigned: ReadonlyArray<[name: string, value: Field]>,
    cmd: ShellCommand,
    info: Info,
    ctx: Ctx,
  ): void {
    for (const [name, value] of assigned) {
      if (!COMMAND_VARIABLES.has(name)) continue;
      // less runs `LESSOPEN='|cmd %s'` (and `||cmd`) through the shell.
      const text = name.startsWith("LESS") ? value.text.replace(/^\|+/, "") : value.text;
      if (text.trim() === "" && value.reasons.length === 0) continue;
      this.string({ ...value, text }, cmd, info, ctx, "shell-string", { label: `$${name}` });
    }
  }

  /** A shell reading its script from stdin (`sh`, `bash /dev/stdin`, `. /dev/stdin`): known text is read. */
  fromStdin(cmd: ShellCommand, info: Info, ctx: Ctx): void {
    const text = info.stdinText;
    if (!text) return;
    const program = cmd.program;
    const c = this.inside(cmd, info, ctx, "heredoc");
    if (text.dynamic) {
      this.finding("dynamic-command", `${text.label} fed to ${program} has expansions`, text.pos);
      c.dynamic = [...c.dynamic, "shell string built at run time"];
    }
    this.source(text.text, c, text.pos, `${text.label} fed to ${program}`, text.dynamic);
  }

  /** Remembers files this command writes with known text (`cat > x.sh <<EOF`, `tee`). */
  recordWrites(ran: Ran, own: readonly ShellRedirect[]): void {
    const tee = ran.cmd.program === "tee";
    const out = tee ? ran.info.stdinText : outputOf(ran);
    if (!out) return;
    const targets: Array<[path: string, append: boolean]> = [];
    for (const r of own) {
      if (!WRITES.has(r.op) || (r.fd !== undefined && r.fd !== 1)) continue;
      targets.push([r.target, r.op.endsWith(">>")]);
    }
    if (tee) {
      const append = ran.cmd.argv.includes("-a") || ran.cmd.argv.includes("--append");
      for (const a of ran.cmd.argv.slice(1)) if (!a.startsWith("-")) targets.push([a, append]);
    }
    for (const [path, append] of targets) {
      if (/[$`*?[]/.test(path)) continue;
      const key = normalizePath(path);
      const before = append ? this.files.get(key) : undefined;
      this.files.set(key, {
        text: (before?.text ?? "") + out.text,
        dynamic: out.dynamic || before?.dynamic === true,
      });
    }
  }

  /** Analyses a script written earlier in the line when `cmd` runs it. */
  written(path: string, cmd: ShellCommand, info: Info, ctx: Ctx, pos: number, exec: boolean): void {
    const file = this.files.get(normalizePath(path));
    if (!file) return;
    const field: Field = { text: file.text, reasons: file.dynamic ? ["$VAR"] : [], pos };
    const label = { label: `script ${path} written earlier in the line` };
    const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(file.text);
    const interpreter = shebang
      ? basename(shebang[1]!) === "env" ? basename(shebang[2] ?? "") : basename(shebang[1]!)
      : "sh";
    if (!exec || shellCall(interpreter, []) !== undefined) {
      return this.string(field, cmd, info, ctx, "shell-string", label);
    }
    this.finding("unknown-interpreter-string", `${label.label}, run by ${interpreter}`, pos);
    const call = interpreterCall(interpreter, []);
    if (call) this.code(call.language, field, cmd, info, ctx);
  }

  emit(fields: readonly Field[], _pos: number, info: Info, ctx: Ctx): ShellCommand {
    const dynamic = [...info.dynamic];
    const first = fields[0];
    const unknown = first ? [...first.reasons] : [];
    if (first?.braced) unknown.push("brace expansion");
    for (const why of unknown) add(dynamic, `${why} in command position`);
    for (const f of fields.slice(1)) {
      for (const why of f.reasons) add(dynamic, `${why} in argument`);
    }
    const cmd: ShellCommand = {
      argv: fields.map((f) => f.text),
      env: info.env,
      redirects: info.redirects,
      wrappers: ctx.wrappers,
      origin: ctx.origin,
      stdinFrom: info.stdin,
      dynamic,
      program: "",
      depth: ctx.depth,
    };
    if (first && first.reasons.every((r) => r === "${IFS}")) {
      const arg0 = first.text;
      if (arg0.includes("/")) {
        cmd.path = normalizePath(arg0);
        cmd.program = cmd.path.slice(cmd.path.lastIndexOf("/") + 1);
      } else cmd.program = arg0;
    }
    if (ctx.remote !== undefined) cmd.remote = ctx.remote;
    this.commands.push(cmd);
    if (first && unknown.length > 0) {
      this.finding(
        "dynamic-command",
        `${unknown.join(", ")} in command position: ${clip(first.text)}`,
        first.pos,
      );
    }
    return cmd;
  }

  /** Records a command and whatever it runs in turn. */
  run(fields: Field[], pos: number, info: Info, ctx: Ctx): ShellCommand {
    const cmd = this.emit(fields, pos, info, ctx);
    const first = fields[0];
    if (!first) return cmd;
    if (first.lone && fields.length > 1 && !fields[1]!.text.startsWith("-")) {
      // `$EMPTY rm -rf /`: an unquoted expansion that is empty vanishes and rm runs.
      const alt = { ...info, dynamic: [...info.dynamic, "possibly-empty $VAR before command"] };
      this.run(fields.slice(1), pos, alt, ctx);
    }
    const known = first.reasons.includes("$VAR") ? substitute(fields, ctx) : undefined;
    if (known) {
      // `x=rm; $x -rf /`, `sh -c '$0 -rf /' rm`: read with the values set earlier in the line.
      const alt = { ...info, dynamic: [...info.dynamic, "$VAR resolved from the line"] };
      this.run(known, pos, alt, ctx);
    }
    if (cmd.program !== "") this.dispatch(cmd, fields, info, ctx);
    else {
      // `$SHELL -c '…'`: a program we cannot name given `-c STRING` may well be a shell.
      const sh = shellCall("sh", fields.slice(1));
      if (sh?.command) this.string(sh.command, cmd, info, ctx, "shell-string", { partial: true });
    }
    return cmd;
  }

  /** The context for what a command runs: its environment, stdin and redirections pass on. */
  inside(cmd: ShellCommand, info: Info, ctx: Ctx, origin: ShellOrigin): Ctx {
    return {
      origin,
      depth: ctx.depth + 1,
      wrappers: [...ctx.wrappers, cmd.program || cmd.argv[0] || ""],
      stdin: info.stdin,
      env: info.env,
      redirects: info.redirects.filter((r) => r.op !== "<<" && r.op !== "<<<"),
      dynamic: ctx.dynamic,
      remote: ctx.remote,
      stdinText: info.stdinText,
    };
  }

  /**
   * Analyses a shell string `cmd` runs. `partial`: typed text or a guess (a `-c` given to an
   * unknown program), whose failing to parse is no failure of the line.
   */
  string(
    field: Field,
    cmd: ShellCommand,
    info: Info,
    ctx: Ctx,
    origin: ShellOrigin,
    options: {
      remote?: string;
      partial?: boolean;
      label?: string;
      positional?: string[] | undefined;
    } = {},
  ): void {
    const c = this.inside(cmd, info, ctx, origin);
    if (options.remote !== undefined) c.remote = options.remote;
    if (options.positional !== undefined) c.positional = options.positional;
    const name = cmd.program || cmd.argv[0] || "";
    const label = options.label !== undefined
      ? `${options.label} fed to ${name}`
      : `${name} ${origin === "ssh" ? "remote command" : "string"}`;
    const dynamic = field.reasons.length > 0;
    if (dynamic) {
      this.finding(
        "dynamic-command",
        `${label} is built at run time (${field.reasons.join(", ")})`,
        field.pos,
      );
      c.dynamic = [...c.dynamic, "shell string built at run time"];
    }
    this.source(field.text, c, field.pos, label, dynamic || options.partial === true);
  }

  /** Interpreter code: a finding when it is built at run time or runs things; shell calls lifted. */
  code(language: Language, code: Field, cmd: ShellCommand, info: Info, ctx: Ctx): void {
    const program = cmd.program;
    const scan = scanCode(language, code.text);
    if (code.reasons.length > 0) {
      this.finding(
        "unknown-interpreter-string",
        `${program} code is built at run time (${code.reasons.join(", ")})`,
        code.pos,
      );
    } else if (scan.risky.length > 0) {
      this.finding(
        "unknown-interpreter-string",
        `${program} code runs or decodes something (${scan.risky.slice(0, 5).join(", ")})`,
        code.pos,
      );
    }
    const c = this.inside(cmd, info, ctx, "interpreter-string");
    for (const s of scan.shell) this.source(s, c, code.pos, `${program} code`, true);
    for (const argv of scan.argvs) {
      const fields = argv.map((text) => ({ text, reasons: [], pos: code.pos }));
      this.run(fields, code.pos, { ...info, stdinText: undefined, dynamic: [...c.dynamic] }, c);
    }
  }

  dispatch(cmd: ShellCommand, fields: Field[], info: Info, ctx: Ctx): void {
    const program = cmd.program;
    const args = fields.slice(1);
    if (cmd.path !== undefined) this.written(cmd.path, cmd, info, ctx, fields[0]!.pos, true);
    switch (program) {
      case "source":
      case ".":
        if (args[0] && STDIN_PATHS.has(args[0].text)) return this.fromStdin(cmd, info, ctx);
        if (args[0]) this.written(args[0].text, cmd, info, ctx, args[0].pos, false);
        return;
      case "alias":
        if (args.length > 0) this.finding("alias", cmd.argv.join(" "), fields[0]!.pos);
        return;
      case "eval": {
        if (args.length === 0) return;
        const joined: Field = {
          text: args.map((f) => f.text).join(" "),
          reasons: [...new Set(args.flatMap((f) => f.reasons))],
          pos: args[0]!.pos,
        };
        if (joined.reasons.length > 0) {
          this.finding("eval", `eval of text built at run time: ${clip(joined.text)}`, joined.pos);
          joined.reasons = [];
          const c = this.inside(cmd, info, ctx, "eval");
          c.dynamic = [...c.dynamic, "eval of text built at run time"];
          this.source(joined.text, c, joined.pos, "eval", true);
          return;
        }
        return this.source(joined.text, this.inside(cmd, info, ctx, "eval"), joined.pos, "eval");
      }
      case "trap": {
        let i = 0;
        if (args[0]?.text === "--") i++;
        const action = args[i];
        if (!action || action.text.startsWith("-") || args.length < i + 2) return;
        return this.string(action, cmd, info, ctx, "shell-string");
      }
    }
    for (const value of commandOptionValues(program, args)) {
      this.string(value, cmd, info, ctx, "shell-string", { label: "a command option" });
    }
    const sh = shellCall(program, args);
    if (sh) {
      if (sh.command) {
        const after = args.slice(args.indexOf(sh.command) + 1);
        const positional = after.every((f) => f.reasons.length === 0)
          ? after.map((f) => f.text)
          : undefined;
        return this.string(sh.command, cmd, info, ctx, "shell-string", { positional });
      }
      if (sh.script && !STDIN_PATHS.has(sh.script.text)) {
        return this.written(sh.script.text, cmd, info, ctx, sh.script.pos, false);
      }
      if (sh.readsStdin || sh.script) this.fromStdin(cmd, info, ctx);
      return;
    }
    const interp = interpreterCall(program, args);
    if (interp) {
      let code = interp.code;
      if (!code && interp.readsStdin && info.stdinText) {
        const t = info.stdinText;
        code = { text: t.text, reasons: t.dynamic ? ["$VAR"] : [], pos: t.pos };
        this.finding("unknown-interpreter-string", `${t.label} fed to ${program}`, t.pos);
      }
      if (code) this.code(interp.language, code, cmd, info, ctx);
      return;
    }
    if (!isWrapper(program)) return;
    const inners = unwrap(program, args, (f) => splitWords(f, this.maxDepth));
    for (const inner of inners) {
      if (inner.kind === "unknown") {
        this.finding("dynamic-command", inner.detail, fields[0]!.pos);
      } else if (inner.kind === "shell") {
        if (inner.text.text !== "") {
          this.string(inner.text, cmd, info, ctx, inner.origin, inner);
        } else if (info.stdinText) {
          // `ssh HOST <<EOF`: the remote login shell reads its script from stdin.
          const t = info.stdinText;
          const text: Field = { text: t.text, reasons: t.dynamic ? ["$VAR"] : [], pos: t.pos };
          this.string(text, cmd, info, ctx, inner.origin, { ...inner, label: t.label });
        }
      } else {
        const c = this.inside(cmd, info, ctx, inner.origin);
        if (inner.remote !== undefined) c.remote = inner.remote;
        const keepsStdin = inner.origin === "wrapper";
        const innerInfo: Info = {
          env: { ...info.env, ...inner.env },
          redirects: keepsStdin ? info.redirects : c.redirects,
          stdin: info.stdin,
          stdinText: keepsStdin ? info.stdinText : undefined,
          dynamic: c.dynamic,
        };
        if (!inner.xargs) {
          this.run(inner.argv, inner.argv[0]!.pos, innerInfo, c);
          continue;
        }
        const t = info.stdinText;
        const items = t && !t.dynamic ? xargsItems(t.text, inner.xargs) : undefined;
        const replace = inner.xargs.replace;
        if (items === undefined) {
          const dynamic = [...c.dynamic, "arguments from stdin (xargs)"];
          this.run(inner.argv, inner.argv[0]!.pos, { ...innerInfo, dynamic }, c);
        } else if (replace === undefined) {
          const extra = items.map((text) => ({ text, reasons: [], pos: t!.pos }));
          this.run([...inner.argv, ...extra], inner.argv[0]!.pos, innerInfo, c);
        } else {
          for (const item of items) {
            const argv = inner.argv.map((f) =>
              f.text.includes(replace)
                ? {
                  ...f,
                  text: f.text.replaceAll(replace, item),
                  reasons: f.reasons.filter((r) => r !== "xargs replacement"),
                }
                : f
            );
            this.run(argv, inner.argv[0]!.pos, innerInfo, c);
          }
        }
      }
    }
  }
}

const WRITES = new Set([">", ">>", ">|", "&>", "&>>"]);

function basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

const EXPORTING = new Set(["export", "declare", "typeset", "local", "readonly"]);

/** Paths through which a shell reads its script from its own stdin. */
const STDIN_PATHS: ReadonlySet<string> = new Set(["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"]);

/** Environment variables programs run as commands (git, ssh, less, man, editors, browsers). */
const COMMAND_VARIABLES: ReadonlySet<string> = new Set([
  "GIT_SSH_COMMAND",
  "GIT_SSH",
  "GIT_PAGER",
  "GIT_EDITOR",
  "GIT_SEQUENCE_EDITOR",
  "GIT_EXTERNAL_DIFF",
  "GIT_ASKPASS",
  "GIT_PROXY_COMMAND",
  "SSH_ASKPASS",
  "SUDO_ASKPASS",
  "PAGER",
  "MANPAGER",
  "SYSTEMD_PAGER",
  "EDITOR",
  "VISUAL",
  "FCEDIT",
  "BROWSER",
  "LESSOPEN",
  "LESSCLOSE",
  "RSYNC_RSH",
  "RSYNC_CONNECT_PROG",
  "CVS_RSH",
  "PROMPT_COMMAND",
]);

/**
 * The environment later commands of the same shell run with after `cmd`: `export NAME=value`
 * and plain assignments (`PATH=/x:$PATH; make`; a plain assignment reaches the environment only
 * when the name is already exported, which is assumed). Undefined when `cmd` changes nothing.
 */
function exported(
  cmd: ShellCommand,
  env: Record<string, string>,
): Record<string, string> | undefined {
  if (cmd.argv.length === 0) {
    const own = Object.entries(cmd.env).filter(([k, v]) => env[k] !== v);
    return own.length > 0 ? { ...env, ...Object.fromEntries(own) } : undefined;
  }
  if (!EXPORTING.has(cmd.program)) return undefined;
  if (cmd.program !== "export" && !cmd.argv.some((a) => /^-[a-zA-Z]*x/.test(a))) return undefined;
  let out: Record<string, string> | undefined;
  for (const a of cmd.argv.slice(1)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(a);
    if (m) (out ??= { ...env })[m[1]!] = m[2]!;
  }
  return out;
}

function refine(ctx: Ctx, form: "list" | "pipeline"): Ctx {
  if (ctx.origin !== "top" && ctx.origin !== "list" && ctx.origin !== "pipeline") return ctx;
  return { ...ctx, origin: form };
}

function infoOf(ctx: Ctx): Info {
  return {
    env: ctx.env,
    redirects: ctx.redirects,
    stdin: ctx.stdin,
    stdinText: undefined,
    dynamic: [...ctx.dynamic],
  };
}

function add(list: string[], item: string): void {
  if (!list.includes(item)) list.push(item);
}

function union(a: readonly string[], b: readonly string[]): string[] {
  if (b.length === 0) return a as string[];
  const out = [...a];
  for (const x of b) if (!out.includes(x)) out.push(x);
  return out;
}

function programsOf(commands: readonly ShellCommand[], from: number): string[] {
  const out: string[] = [];
  for (let i = from; i < commands.length; i++) {
    const c = commands[i]!;
    const name = c.program || c.argv[0];
    if (name && !out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * What a command writes to stdout when that is known from its words: `echo` and `printf` of
 * static text, `cat` of a here-document. Lets `echo 'rm -rf /' | sh` be read.
 */
function outputOf({ cmd, info, pos }: Ran): StdinText | undefined {
  if (cmd.dynamic.length > 0) return undefined;
  const args = cmd.argv.slice(1);
  const label = `output of ${cmd.program}`;
  switch (cmd.program) {
    case "echo": {
      const words = args[0] === "-n" || args[0] === "-e" || args[0] === "-E" ? args.slice(1) : args;
      return { text: words.join(" ") + "\n", dynamic: false, label, pos };
    }
    case "printf": {
      const text = args[0] === undefined ? undefined : printf(args[0], args.slice(1));
      return text === undefined ? undefined : { text, dynamic: false, label, pos };
    }
    case "cat":
      return args.length === 0 ? info.stdinText : undefined;
  }
  return undefined;
}

/**
 * Fields with `$NAME`, `${NAME}`, `$0`…`$9`, `$@` replaced by values known from the line
 * (assignments and exports before, a `sh -c` string's arguments), the command word split with
 * the line's IFS; undefined when some reference in it stays unknown.
 */
function substitute(fields: readonly Field[], ctx: Ctx): Field[] | undefined {
  const lookup = (name: string): string | undefined => {
    const p = ctx.positional;
    if (p && /^\d$/.test(name)) return p[Number(name)] ?? "";
    if (p && (name === "@" || name === "*")) return p.slice(1).join(" ");
    const v = ctx.env[name];
    return v !== undefined && !/[$`]/.test(v) ? v : undefined;
  };
  const REF = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*|\d+|[@*])\}|([A-Za-z_][A-Za-z0-9_]*|\d|[@*]))/g;
  const out: Field[] = [];
  for (const [i, f] of fields.entries()) {
    if (!f.reasons.includes("$VAR")) {
      out.push(f);
      continue;
    }
    let unknown = false;
    const text = f.text.replace(REF, (m, a: string | undefined, b: string | undefined) => {
      const v = lookup(a ?? b!);
      if (v === undefined) unknown = true;
      return v ?? m;
    });
    if (unknown || /[$`]/.test(text)) {
      if (i === 0) return undefined;
      out.push(f);
      continue;
    }
    const reasons = f.reasons.filter((r) => r !== "$VAR");
    if (i > 0) out.push({ ...f, text, reasons });
    else {
      const ifs = ctx.env["IFS"] ?? " \t\n";
      const words = ifs === "" ? [text] : text.split(new RegExp(`[${escapeClass(ifs)}]+`));
      for (const w of words.filter((w) => w !== "")) out.push({ text: w, reasons, pos: f.pos });
    }
  }
  return out.length > 0 ? out : undefined;
}

function escapeClass(s: string): string {
  return s.replace(/[\]\\^-]/g, "\\$&");
}

/** `printf FORMAT ARGS…` for formats of `%s`, `%%` and simple escapes; else undefined. */
function printf(format: string, args: readonly string[]): string | undefined {
  if (/%[^s%]|\\[^nt\\"'a]/.test(format)) return undefined;
  const ESC: Record<string, string> = {
    n: "\n",
    t: "\t",
    "\\": "\\",
    '"': '"',
    "'": "'",
    a: "\x07",
  };
  let out = "";
  let next = 0;
  do {
    out += format.replace(/%[s%]|\\(.)/g, (m, e: string | undefined) => {
      if (e !== undefined) return ESC[e]!;
      return m === "%%" ? "%" : args[next++] ?? "";
    });
  } while (next > 0 && next < args.length && out.length < 1 << 16);
  return out;
}

/** At most this many xargs input items are read. */
const MAX_XARGS_ITEMS = 256;

/** The items xargs reads from `text`: quoted words, lines (`-I`), or delimited fields. */
function xargsItems(text: string, how: { replace?: string; delimiter?: string }): string[] {
  let items: string[];
  if (how.delimiter !== undefined) {
    const d = how.delimiter.replace(/^\\n$/, "\n").replace(/^\\t$/, "\t").replace(/^\\0$/, "\0");
    items = text.split(d).filter((x) => x !== "");
  } else if (how.replace !== undefined) {
    items = text.split("\n").map((l) => l.replace(/^[ \t]+/, "")).filter((l) => l !== "");
  } else {
    items = [];
    for (const m of text.matchAll(/(?:[^\s'"\\]|\\.|'[^']*'|"[^"]*")+/g)) {
      items.push(m[0].replace(/\\(.)|'([^']*)'|"([^"]*)"/g, (_, a, b, c) => a ?? b ?? c));
    }
  }
  return items.slice(0, MAX_XARGS_ITEMS);
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Splits a string into words as the shell would (for `env -S`); falls back to whitespace. */
function splitWords(f: Field, maxDepth: number): Field[] {
  try {
    const list = parseShell(f.text, { maxDepth, fixedPos: f.pos });
    const first = list.items[0];
    if (list.items.length === 1 && first?.k === "simple" && first.assigns.length === 0) {
      return first.words.map((w) => {
        const text = literalText(w);
        return text === undefined
          ? { ...expandWord(w, { brace: false })[0]!, reasons: [...f.reasons, "$VAR"] }
          : { text, reasons: f.reasons, pos: f.pos };
      });
    }
  } catch {
    // Not shell words: fall through.
  }
  return f.text.split(/\s+/).filter(Boolean).map((text) => ({
    text,
    reasons: f.reasons,
    pos: f.pos,
  }));
}

/**
 * Normalises a command path lexically: `//usr/bin/rm` → `/usr/bin/rm`, `/bin/../bin/rm` →
 * `/bin/rm`, `./x/../rm` → `./rm`; `~` and `~user` prefixes stay.
 *
 * @example
 * ```ts
 * import { normalizePath } from "./mod.ts";
 * import { equal } from "node:assert/strict";
 * equal(normalizePath("/bin/../bin//rm"), "/bin/rm");
 * equal(normalizePath("x/../tool"), "./tool");
 * equal(normalizePath("~/./bin/x"), "~/bin/x");
 * ```
 */
export function normalizePath(p: string): string {
  let root = "";
  let rest = p;
  if (p.startsWith("/")) root = "/";
  else if (p.startsWith("~")) {
    const slash = p.indexOf("/");
    root = p.slice(0, slash) + "/";
    rest = p.slice(slash + 1);
  }
  const segs: string[] = [];
  for (const s of rest.split("/")) {
    if (s === "" || s === ".") continue;
    if (s === "..") {
      if (segs.length > 0 && segs[segs.length - 1] !== "..") segs.pop();
      else if (root === "") segs.push("..");
      continue;
    }
    segs.push(s);
  }
  if (root !== "") return root + segs.join("/");
  if (segs.length === 0) return ".";
  return segs[0] === ".." ? segs.join("/") : "./" + segs.join("/");
}
