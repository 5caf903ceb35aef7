/**
 * A small strict argument parser (node:util's costs start-up time on every call): long and short
 * flags, `--flag=value`, repeatable flags, `--` ends options; anything unknown is a usage error.
 * @module
 */
import { WatchtowerError } from "../core/errors.ts";

/** How one flag is read. */
export interface FlagSpec {
  type: "boolean" | "string";
  short?: string;
  multiple?: boolean;
}

/** Parsed flags and positional arguments. */
export interface ParsedArgs {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses `argv` against `spec`. Throws a `usage` error for unknown or malformed flags. */
export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>): ParsedArgs {
  const flags: ParsedArgs["flags"] = {};
  const positionals: string[] = [];
  const byShort = new Map(
    Object.entries(spec).flatMap(([name, s]) => s.short ? [[s.short, name]] : []),
  );
  const set = (name: string, value: string | boolean) => {
    const flag = spec[name]!;
    if (flag.multiple) {
      const list = (flags[name] as string[] | undefined) ?? [];
      list.push(String(value));
      flags[name] = list;
    } else {
      flags[name] = value;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      if (!(name in spec)) throw usage(`unknown option --${name}`);
    } else if (arg.startsWith("-") && arg.length === 2) {
      name = byShort.get(arg[1]!);
      if (!name) throw usage(`unknown option ${arg}`);
    } else {
      positionals.push(arg);
      continue;
    }
    const flag = spec[name]!;
    if (flag.type === "boolean") {
      if (inline !== undefined) throw usage(`option --${name} takes no value`);
      set(name, true);
    } else {
      const value = inline ?? argv[++i];
      if (value === undefined) throw usage(`option --${name} needs a value`);
      set(name, value);
    }
  }
  return { flags, positionals };
}

/** A usage error (exit 64). */
export function usage(message: string): WatchtowerError {
  return new WatchtowerError("usage", message);
}

/** Reads a string flag. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === "string" ? value : undefined;
}

/** Reads a repeatable string flag. */
export function listFlag(args: ParsedArgs, name: string): string[] {
  const value = args.flags[name];
  return Array.isArray(value) ? value : [];
}

/** Flags that choose and adjust the policy, accepted by every command that loads it. */
export const POLICY_FLAGS: Record<string, FlagSpec> = {
  policy: { type: "string" },
  profile: { type: "string", multiple: true },
  mode: { type: "string" },
  set: { type: "string", multiple: true },
};
