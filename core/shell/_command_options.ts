/**
 * Options whose value a program runs as a command: `tar --use-compress-program='…'`,
 * `rsync -e '…'`, `ssh -o ProxyCommand='…'`, `git clone --upload-pack='…'`, `man -P '…'`. Their
 * values are shell strings the analysis reads like `sh -c` strings.
 * @module
 */

import type { Field } from "./_expand.ts";

/** One program's command-carrying options: long names (`--x`), short letters, value prefixes. */
interface CommandOptions {
  long?: readonly string[];
  /** Short options taking a value: `-I CMD` or `-ICMD`. */
  short?: readonly string[];
  /** Long options whose value holds a command after a prefix (`--checkpoint-action=exec=CMD`). */
  prefixed?: Readonly<Record<string, string>>;
  /** `-o Key=Value` (ssh family): the keys whose value is a command, lower case. */
  sshKeys?: readonly string[];
  /** Options whose value is the program's own command language, and the shell command in it. */
  embedded?: { options: readonly string[]; command: (value: string) => string | undefined };
}

/** gdb runs `!CMD` and `shell CMD` through the shell. */
const gdbShell = (value: string) => /^\s*(?:!|shell\s)([\s\S]*)$/.exec(value)?.[1];

const SSH_KEYS = ["proxycommand", "localcommand", "knownhostscommand", "remotecommand"];

const TABLE: Readonly<Record<string, CommandOptions>> = {
  tar: {
    long: [
      "use-compress-program",
      "to-command",
      "info-script",
      "new-volume-script",
      "rsh-command",
    ],
    short: ["I", "F"],
    prefixed: { "checkpoint-action": "exec=" },
  },
  rsync: { long: ["rsh", "rsync-path"], short: ["e"] },
  zip: { long: ["unzip-command"], short: ["TT"] },
  ssh: { sshKeys: SSH_KEYS },
  scp: { short: ["S"], sshKeys: SSH_KEYS },
  sftp: { short: ["S"], sshKeys: SSH_KEYS },
  man: { long: ["pager", "html"], short: ["P", "H"] },
  git: { long: ["upload-pack", "receive-pack", "exec"] },
  rlwrap: { long: ["filter"], short: ["z"] },
  gdb: {
    embedded: {
      options: ["-ex", "--ex", "-eval-command", "--eval-command", "-iex", "--iex"],
      command: gdbShell,
    },
  },
};

/** less and more run `+CMD` at start; a `!` in it runs the rest through the shell. */
const PAGERS = new Set(["less", "more"]);

/**
 * The values of `args` that `program` runs as commands, each as the field to read as a shell
 * string. Short options are matched only as whole words or with the value attached
 * (`-ICMD`), never inside a cluster of flags.
 */
export function commandOptionValues(program: string, args: readonly Field[]): Field[] {
  if (PAGERS.has(program)) {
    return args.flatMap((f) => {
      const bang = f.text.startsWith("+") ? f.text.indexOf("!") : -1;
      return bang < 0 ? [] : [{ ...f, text: f.text.slice(bang + 1) }];
    });
  }
  const spec = TABLE[program];
  if (!spec) return [];
  const values: Field[] = [];
  const take = (field: Field, text = field.text) => values.push({ ...field, text });
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    const text = word.text;
    if (text === "--") break;
    if (spec.embedded) {
      const eq = text.indexOf("=");
      const name = eq > 0 ? text.slice(0, eq) : text;
      if (spec.embedded.options.includes(name)) {
        const value = eq > 0 ? { ...word, text: text.slice(eq + 1) } : args[++i];
        const command = value && spec.embedded.command(value.text);
        if (value && command !== undefined) take(value, command);
        continue;
      }
    }
    if (text.startsWith("--")) {
      const eq = text.indexOf("=");
      const name = text.slice(2, eq < 0 ? undefined : eq);
      const prefix = spec.prefixed?.[name];
      if (prefix !== undefined && eq > 0 && text.slice(eq + 1).startsWith(prefix)) {
        take(word, text.slice(eq + 1 + prefix.length));
      } else if (spec.long?.includes(name)) {
        if (eq > 0) take(word, text.slice(eq + 1));
        else if (i + 1 < args.length) take(args[++i]!);
      }
      continue;
    }
    if (!text.startsWith("-") || text === "-") {
      // git's `ext::` transport runs the rest of the URL (`% ` is an escaped space).
      if (program === "git" && text.startsWith("ext::")) {
        take(word, text.slice(5).replaceAll("% ", " ").replaceAll("%%", "%"));
      }
      continue;
    }
    if (spec.sshKeys && text.startsWith("-o")) {
      const option = text.length > 2 ? word : args[++i];
      const setting = text.length > 2 ? text.slice(2) : option?.text;
      if (option === undefined || setting === undefined) continue;
      const match = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)([\s\S]*)$/.exec(setting);
      if (match && spec.sshKeys.includes(match[1]!.toLowerCase())) take(option, match[2]!);
      continue;
    }
    for (const letter of spec.short ?? []) {
      if (text === `-${letter}` && i + 1 < args.length) {
        take(args[++i]!);
        break;
      }
      if (text.startsWith(`-${letter}`) && text.length > letter.length + 1) {
        take(word, text.slice(letter.length + 1));
        break;
      }
    }
  }
  return values;
}
