/**
 * The witnesses an operator pins (`witnesses.json` in the state directory: each witness's URL and
 * cosignature key) and what each last cosigned (`checkpoints/witnessed.json`, a hint for the next
 * submission's old size that a witness's 409 corrects).
 * @module
 */
import { CheckpointError, keyIdHex } from "./checkpoint.ts";
import { type CosignerKey, parseCosignerKey } from "./cosignature.ts";
import { addCheckpointUrl } from "./witness.ts";

/** A pinned witness: its key, and where to submit to (absent: only trusted when verifying). */
export interface PinnedWitness {
  url?: string;
  key: CosignerKey;
  /** The key text as pinned. */
  keyText: string;
}

/** Reading the pins: only `missing` means "none pinned". */
export type PinsResult =
  | { status: "ok"; path: string; witnesses: PinnedWitness[] }
  | { status: "missing"; path: string }
  | { status: "unreadable" | "invalid"; path: string; message: string };

/** The most witnesses one file may pin. */
export const MAX_WITNESSES = 32;

/** Where the pins and the cosigned state live. */
export function witnessPaths(stateDir: string): { pins: string; state: string } {
  return { pins: `${stateDir}/witnesses.json`, state: `${stateDir}/checkpoints/witnessed.json` };
}

/**
 * Reads `witnesses.json`: `{"version": 1, "witnesses": [{"url": …, "key": …}]}`, strictly (unknown
 * keys, a bad URL or key, a key pinned twice are `invalid`).
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { parsePins } from "./witnesses.ts";
 * const pins = parsePins(JSON.stringify({
 *   version: 1,
 *   witnesses: [{
 *     url: "https://witness.example/",
 *     key: "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
 *   }],
 * }));
 * equal(pins[0]?.key.name, "remora.n621.de");
 * ```
 */
export function parsePins(text: string): PinnedWitness[] {
  const invalid = (where: string, why: string): never => {
    throw new TypeError(`${where}: ${why}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return invalid("line 1", `not JSON (${(error as Error).message})`);
  }
  const record = (value: unknown, where: string, keys: string[]): Record<string, unknown> => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return invalid(where, "must be an object");
    }
    const extra = Object.keys(value).find((key) => !keys.includes(key));
    if (extra) invalid(`${where}.${extra}`, `unknown key (expected ${keys.join(", ")})`);
    return value as Record<string, unknown>;
  };
  const top = record(doc, "(top)", ["version", "witnesses"]);
  if (top.version !== 1) invalid("version", "must be 1");
  if (!Array.isArray(top.witnesses)) return invalid("witnesses", "must be a list");
  if (top.witnesses.length > MAX_WITNESSES) invalid("witnesses", `at most ${MAX_WITNESSES}`);
  const seen = new Set<string>();
  return top.witnesses.map((entry, i) => {
    const where = `witnesses[${i}]`;
    const { url, key } = record(entry, where, ["url", "key"]);
    if (typeof key !== "string") return invalid(`${where}.key`, "must be a witness key text");
    let parsed: CosignerKey;
    try {
      parsed = parseCosignerKey(key);
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      return invalid(`${where}.key`, error.message);
    }
    const slot = `${parsed.name}+${parsed.keyId}`;
    if (seen.has(slot)) invalid(`${where}.key`, `'${parsed.name}' is pinned twice`);
    seen.add(slot);
    if (url === undefined) return { key: parsed, keyText: key };
    if (typeof url !== "string") return invalid(`${where}.url`, "must be an http(s) URL");
    try {
      addCheckpointUrl(url);
    } catch (error) {
      return invalid(`${where}.url`, (error as Error).message);
    }
    return { url, key: parsed, keyText: key };
  });
}

/** Reads the state directory's pinned witnesses. */
export function readPins(stateDir: string): PinsResult {
  const path = witnessPaths(stateDir).pins;
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { status: "missing", path };
    return { status: "unreadable", path, message: `Cannot read ${path}: ${errorText(error)}` };
  }
  try {
    return { status: "ok", path, witnesses: parsePins(text) };
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return { status: "invalid", path, message: `Cannot load ${path}: ${error.message}` };
  }
}

/** What a witness last cosigned, as recorded here. */
export interface WitnessedState {
  size: number;
  url: string;
  timestamp: number;
}

const stateKey = (origin: string, key: CosignerKey): string =>
  `${origin} ${key.name}+${keyIdHex(key.keyId)}`;

/** What each witness last cosigned, by `<origin> <name>+<key ID>`; missing or damaged: empty. */
export function readWitnessed(stateDir: string): Record<string, WitnessedState> {
  try {
    const doc = JSON.parse(Deno.readTextFileSync(witnessPaths(stateDir).state));
    return doc?.version === 1 && typeof doc.witnesses === "object" && doc.witnesses !== null
      ? doc.witnesses
      : {};
  } catch {
    return {};
  }
}

/** The size `key`'s witness last cosigned of log `origin`, as recorded here (0 when unknown). */
export function lastWitnessedSize(stateDir: string, origin: string, key: CosignerKey): number {
  const size = readWitnessed(stateDir)[stateKey(origin, key)]?.size;
  return typeof size === "number" && Number.isSafeInteger(size) && size >= 0 ? size : 0;
}

/** Records that `key`'s witness cosigned a checkpoint of `origin`. */
export function recordWitnessed(
  stateDir: string,
  origin: string,
  key: CosignerKey,
  state: WitnessedState,
): void {
  const witnesses = { ...readWitnessed(stateDir), [stateKey(origin, key)]: state };
  const path = witnessPaths(stateDir).state;
  const temp = `${path}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(temp, `${JSON.stringify({ version: 1, witnesses }, null, 2)}\n`);
  Deno.renameSync(temp, path);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
