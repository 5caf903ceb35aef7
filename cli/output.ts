/**
 * Terminal output: data to stdout, diagnostics to stderr, colour only on a terminal and never
 * with NO_COLOR.
 * @module
 */
import type { Verdict } from "../core/intent.ts";

const encoder = new TextEncoder();

/** Writes text to stdout, all of it. */
export function out(text: string): void {
  writeAll(Deno.stdout, encoder.encode(text));
}

/** Writes a line to stderr. */
export function err(text: string): void {
  writeAll(Deno.stderr, encoder.encode(text.endsWith("\n") ? text : `${text}\n`));
}

/** Writes every byte of `bytes` to `stream` (a sync write may take only part). */
export function writeAll(stream: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += stream.writeSync(bytes.subarray(offset));
}

/** Prints a value as pretty JSON on stdout. */
export function printJson(value: unknown): void {
  out(`${JSON.stringify(value, null, 2)}\n`);
}

let colourCache: boolean | undefined;

/** Whether stdout gets colour: a terminal and no NO_COLOR. */
export function useColour(): boolean {
  if (colourCache === undefined) {
    let noColour = false;
    try {
      noColour = (Deno.env.get("NO_COLOR") ?? "") !== "";
    } catch {
      noColour = true;
    }
    colourCache = !noColour && Deno.stdout.isTerminal();
  }
  return colourCache;
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 };

/** Wraps text in an ANSI colour when colour is on. */
export function paint(colour: keyof typeof CODES, text: string): string {
  return useColour() ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

/** A verdict in its colour. */
export function paintVerdict(verdict: Verdict): string {
  const colour = verdict === "deny"
    ? "red"
    : verdict === "escalate"
    ? "yellow"
    : verdict === "allow"
    ? "green"
    : "cyan";
  return paint(colour, verdict.toUpperCase());
}
