/**
 * The intent of admitting an instruction (domain `instruction`, operation `admit`), in two forms:
 * the one the guard decides, with the whole text, and the one the ledger records, whose text is
 * redacted and cut to a few KiB but carries the whole text's length and SHA-256.
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import type { Intent } from "../intent.ts";
import { type IntentDefaults, parseIntent } from "../intent_parse.ts";
import { sha256, toHex } from "../ledger/sha256.ts";
import { MAX_SECRET_LENGTH, redactText } from "../redact.ts";
import type { AuthorityFinding } from "./scan.ts";

/** Sizes of an instruction. */
export const INSTRUCTION_LIMITS = {
  /** Longest text that can be admitted, in UTF-8 bytes (1 MiB). */
  maxBytes: 1 << 20,
  /** Most of the text the ledger keeps, in UTF-8 bytes (the rest is known by length and hash). */
  recordedBytes: 4096,
} as const;

/** The source of an instruction that does not say where it came from (untrusted). */
export const UNKNOWN_SOURCE = "unknown";

const SOURCE_NAME = /^[a-z][a-z0-9._-]{0,63}$/;

/** Whether `name` can name a source: `user`, `tool-output`, `webpage`, … (lower case). */
export function isSourceName(name: string): boolean {
  return SOURCE_NAME.test(name);
}

/** What an instruction intent is built from besides its text. */
export interface InstructionOptions {
  /** Where the text comes from (see {@link isSourceName}). */
  source: string;
  /** What the authority scan found in the text. */
  findings: readonly AuthorityFinding[];
  /** Identity and context (principal, session, cwd, …). */
  defaults: IntentDefaults;
}

/** One instruction, as decided and as recorded. */
export interface InstructionIntents {
  /** What the guard decides: `target.text` is the whole text. */
  decided: Intent;
  /**
   * What the ledger records: `target.text` redacted and cut to
   * {@link INSTRUCTION_LIMITS}.recordedBytes; `length` and `sha256` are the whole text's.
   */
  recorded: Intent;
}

/**
 * Builds the intents of admitting `text`. The target holds `text`, `source`, `length` (UTF-8
 * bytes of the whole text), `sha256` (of those bytes), `truncated` (whether the recorded text is
 * cut short), `findings` (categories) and `excerpts` (the passage of each finding, redacted).
 * Throws `invalid_intent` for a text over {@link INSTRUCTION_LIMITS}.maxBytes or a bad source.
 *
 * @example
 * ```ts
 * import { instructionIntents } from "./instruction.ts";
 * import { equal } from "node:assert/strict";
 * const { decided, recorded } = instructionIntents("x".repeat(5000), {
 *   source: "webpage", findings: [], defaults: { principal: "agent:demo" },
 * });
 * equal(decided.target.text, "x".repeat(5000));
 * equal(recorded.target.text, "x".repeat(4096));
 * equal(recorded.target.length, 5000);
 * equal(recorded.target.truncated, true);
 * ```
 */
export function instructionIntents(text: string, options: InstructionOptions): InstructionIntents {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > INSTRUCTION_LIMITS.maxBytes) {
    throw invalid(`larger than ${INSTRUCTION_LIMITS.maxBytes} bytes (${bytes.length})`);
  }
  if (!isSourceName(options.source)) {
    throw invalid(`source '${options.source}' is not a source name (lower-case a-z, 0-9, . _ -)`);
  }
  const { text: kept, truncated } = recordedText(text);
  const recorded = parseIntent({
    domain: "instruction",
    operation: "admit",
    target: {
      text: kept,
      source: options.source,
      length: bytes.length,
      sha256: toHex(sha256(bytes)),
      truncated,
      findings: options.findings.map((finding) => finding.category),
      excerpts: options.findings.map((finding) => redactText(finding.excerpt).text),
    },
  }, options.defaults);
  return { decided: { ...recorded, target: { ...recorded.target, text } }, recorded };
}

/**
 * The part of `text` the ledger keeps: secrets masked (redacted before cutting, so that a secret
 * that starts inside the kept part is masked whole), then cut to the byte limit at a character
 * boundary.
 */
function recordedText(text: string): { text: string; truncated: boolean } {
  const limit = INSTRUCTION_LIMITS.recordedBytes;
  // A character is at least one byte: the kept bytes lie in the first `limit` code units, and
  // every secret starting there ends within MAX_SECRET_LENGTH more.
  const window = text.slice(0, limit + MAX_SECRET_LENGTH);
  const redacted = redactText(window).text;
  const buffer = new Uint8Array(limit);
  const { read } = new TextEncoder().encodeInto(redacted, buffer);
  return {
    text: redacted.slice(0, read),
    truncated: read < redacted.length || window.length < text.length,
  };
}

function invalid(message: string): WatchtowerError {
  return new WatchtowerError("invalid_intent", `Cannot admit instruction: ${message}`);
}
