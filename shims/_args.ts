/**
 * GNU-style argument parsing for the safe commands: short option clusters (`-rf`), long options
 * (`--recursive`, `--mode=755`, `--tail 20`), `--` ending options, operands anywhere. Every option
 * must be known: anything else is a usage error, never passed through unchecked.
 * @module
 */
import { WatchtowerError } from "../core/errors.ts";

/** One option: its canonical name and whether it takes a value. */
export interface OptionSpec {
  name: string;
  value?: boolean;
}

/** The options a command understands, by short letter and by long name. */
export interface ArgSpec {
  short?: Record<string, OptionSpec>;
  long?: Record<string, OptionSpec>;
  /** Words like `-5` or `-n5` a command reads as an option with a value (`head -5`). */
}

/** Options seen (canonical name → values, `""` for flags) and operands in order. */
export interface ParsedCommand {
  options: Map<string, string[]>;
  operands: string[];
}

/** A usage error (exit 64). */
export function usage(message: string): WatchtowerError {
  return new WatchtowerError("usage", message);
}

/**
 * Parses `argv`.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./_args.ts";
 * import { deepEqual } from "node:assert/strict";
 * const parsed = parseCommand(["-rf", "--", "-x", "b"], {
 *   short: { r: { name: "recursive" }, f: { name: "force" } },
 * });
 * deepEqual([...parsed.options.keys()], ["recursive", "force"]);
 * deepEqual(parsed.operands, ["-x", "b"]);
 * ```
 */
export function parseCommand(argv: readonly string[], spec: ArgSpec): ParsedCommand {
  const options = new Map<string, string[]>();
  const operands: string[] = [];
  const add = (option: OptionSpec, value: string) => {
    const list = options.get(option.name) ?? [];
    list.push(value);
    options.set(option.name, list);
  };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (word.startsWith("--")) {
      const eq = word.indexOf("=");
      const name = eq >= 0 ? word.slice(2, eq) : word.slice(2);
      const option = spec.long?.[name];
      if (!option) throw usage(`unknown option --${name}`);
      if (option.value) {
        const value = eq >= 0 ? word.slice(eq + 1) : argv[++i];
        if (value === undefined) throw usage(`option --${name} needs a value`);
        add(option, value);
      } else {
        if (eq >= 0) throw usage(`option --${name} takes no value`);
        add(option, "");
      }
      continue;
    }
    if (word.startsWith("-") && word.length > 1) {
      for (let j = 1; j < word.length; j++) {
        const letter = word[j]!;
        const option = spec.short?.[letter];
        if (!option) {
          throw usage(`unknown option -${letter}${word.length > 2 ? ` (in ${word})` : ""}`);
        }
        if (option.value) {
          const attached = word.slice(j + 1);
          const value = attached !== "" ? attached : argv[++i];
          if (value === undefined) throw usage(`option -${letter} needs a value`);
          add(option, value);
          break;
        }
        add(option, "");
      }
      continue;
    }
    operands.push(word);
  }
  return { options, operands };
}

/** Whether a flag was given. */
export function has(parsed: ParsedCommand, name: string): boolean {
  return parsed.options.has(name);
}

/** The last value given for an option. */
export function last(parsed: ParsedCommand, name: string): string | undefined {
  return parsed.options.get(name)?.at(-1);
}
