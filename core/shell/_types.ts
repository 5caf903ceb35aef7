/**
 * The values the shell analysis returns (re-exported by mod.ts, documented there).
 * @module
 */

/** Where a command came from. */
export type ShellOrigin =
  | "top"
  | "pipeline"
  | "list"
  | "subshell"
  | "group"
  | "command-substitution"
  | "process-substitution"
  | "backticks"
  | "eval"
  | "shell-string"
  | "heredoc"
  | "function"
  | "wrapper"
  | "find-exec"
  | "xargs"
  | "parallel"
  | "watch"
  | "ssh"
  | "interpreter-string";

/** One redirection of a command. */
export interface ShellRedirect {
  /** `>` `>>` `<` `<>` `>|` `&>` `&>>` `<&` `>&` `<<` (also for `<<-`) `<<<`. */
  op: string;
  /** The file descriptor written before the operator (`2>`), when there is one. */
  fd?: number;
  /** The resolved word; for `<<` the here-document body (first 64 KiB). */
  target: string;
}

/** One simple command that could run. */
export interface ShellCommand {
  /**
   * Words with quoting and escapes resolved as the shell would; an unknown part keeps its source
   * text (`$HOME`, `$(id -u)`) and is named in `dynamic`. Empty for a command of assignments or
   * redirections only (`X=1`, `> /dev/sda`), which is still recorded.
   */
  argv: string[];
  /**
   * Environment the program runs with as far as this line sets it: its leading assignments
   * (`LD_PRELOAD=x cmd`, `NAME+=v` recorded under NAME), those of wrappers (`env A=1`, `sudo A=1`)
   * and those of the commands that started it (`X=1 bash -c '…'`). Values after quote removal.
   */
  env: Record<string, string>;
  /** Its redirections, then those it inherits from enclosing compounds, wrappers and shells. */
  redirects: ShellRedirect[];
  /** Wrappers peeled off to reach this command, outermost first: ["sudo", "env", "timeout"]. */
  wrappers: string[];
  origin: ShellOrigin;
  /**
   * Programs whose output this command reads: pipeline predecessors (transitively), input
   * process substitutions given as arguments or stdin (`bash <(curl …)`), commands substituted
   * into a here-string; "heredoc" or "herestring" when fed one.
   */
  stdinFrom: string[];
  /** Why this command is not fully known before running (see mod.ts); empty when static. */
  dynamic: string[];
  /** Basename of argv[0] after normalisation, "" when unknown. */
  program: string;
  /** argv[0] normalised when it contains a slash. */
  path?: string;
  /** Nesting depth (0 at top level). */
  depth: number;
  /** Set when the command runs on another host (`ssh HOST CMD`): the host as written. */
  remote?: string;
}

/** Something the analysis could not read with certainty: never a pass. */
export interface ShellFinding {
  kind:
    | "unparsable"
    | "too-long"
    | "too-deep"
    | "dynamic-command"
    | "eval"
    | "function-definition"
    | "alias"
    | "unknown-interpreter-string"
    | "binary";
  detail: string;
  /** 1-based column when known (counted in the whole input, newlines included). */
  column?: number;
}

/** The analysis of one input. */
export interface ShellAnalysis {
  /** Whether the line parsed completely (false: do not run it). */
  parsed: boolean;
  commands: ShellCommand[];
  findings: ShellFinding[];
}
