/**
 * The policy signers a host trusts: verifier keys pinned in `STATE_DIR/policy-keys`, one a line
 * (`#` comments and blank lines allowed), managed by `wt policy trust add|list|remove`. A bundle
 * is installed only when one of them signed it.
 * @module
 */
import { CheckpointError, parseVerifierKey, type VerifierKey } from "../ledger/checkpoint.ts";
import { PolicyBundleError } from "./bundle.ts";

/** A pinned key: its text (as `wt policy keygen` prints it), name and 8-hex-digit key ID. */
export interface PinnedKey {
  text: string;
  name: string;
  keyId: string;
  key: VerifierKey;
}

const HEADER =
  "# Policy signers wt policy pull trusts (wt policy trust add|remove): one key a line.";

/** The file of pinned keys in a state directory. */
export function policyKeysPath(stateDir: string): string {
  return `${stateDir}/policy-keys`;
}

function pinned(text: string): PinnedKey {
  const key = parseVerifierKey(text);
  return { text, name: key.name, keyId: key.keyId.toString(16).padStart(8, "0"), key };
}

/**
 * The pinned keys (none when the file is missing). Throws {@link PolicyBundleError}
 * `no_trusted_keys` naming the line of a key that does not parse.
 */
export function readTrustedKeys(stateDir: string): PinnedKey[] {
  const path = policyKeysPath(stateDir);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw new PolicyBundleError("no_trusted_keys", `Cannot read ${path}: ${messageOf(error)}`);
  }
  const keys: PinnedKey[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    try {
      keys.push(pinned(line));
    } catch (error) {
      throw new PolicyBundleError(
        "no_trusted_keys",
        `Cannot read ${path}:${i + 1}: ${messageOf(error)}; fix or remove the line`,
      );
    }
  }
  return keys;
}

/**
 * Pins a verifier key (`name+keyid+base64`). Returns whether it was new. Throws a
 * `CheckpointError` (`bad_key`) for a malformed key, or for another key under the same name and ID.
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { generateSigner } from "../ledger/checkpoint.ts";
 * import { readTrustedKeys, trustKey } from "./trust.ts";
 * const stateDir = Deno.makeTempDirSync();
 * const { verifierKey } = await generateSigner("policy.example");
 * equal(trustKey(stateDir, verifierKey).added, true);
 * equal(trustKey(stateDir, verifierKey).added, false);
 * equal(readTrustedKeys(stateDir)[0]?.name, "policy.example");
 * ```
 */
export function trustKey(stateDir: string, text: string): { added: boolean; key: PinnedKey } {
  const key = pinned(text.trim());
  const keys = readTrustedKeys(stateDir);
  if (keys.some((other) => other.text === key.text)) return { added: false, key };
  if (keys.some((other) => other.name === key.name && other.keyId === key.keyId)) {
    throw new CheckpointError(
      "bad_key",
      `Cannot pin ${key.name}+${key.keyId}: another key with that name and ID is pinned`,
    );
  }
  write(stateDir, [...lines(stateDir), key.text]);
  return { added: true, key };
}

/**
 * Unpins every key whose text, name or key ID is `selector`; returns those removed. Other lines
 * (comments too) are kept.
 */
export function untrustKey(stateDir: string, selector: string): PinnedKey[] {
  const wanted = selector.trim();
  const removed = readTrustedKeys(stateDir).filter((key) =>
    key.text === wanted || key.name === wanted || key.keyId === wanted.toLowerCase()
  );
  const gone = new Set(removed.map((key) => key.text));
  if (removed.length > 0) {
    write(stateDir, lines(stateDir).filter((line) => !gone.has(line.trim())));
  }
  return removed;
}

/** The file's lines without the final newline's empty one; a new file starts with a comment. */
function lines(stateDir: string): string[] {
  try {
    return Deno.readTextFileSync(policyKeysPath(stateDir)).replace(/\n$/, "").split("\n");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [HEADER];
    throw error;
  }
}

function write(stateDir: string, lines: readonly string[]): void {
  const path = policyKeysPath(stateDir);
  Deno.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const temp = `${path}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(temp, lines.map((line) => `${line}\n`).join(""), { mode: 0o644 });
  Deno.renameSync(temp, path);
}

function messageOf(error: unknown): string {
  if (error instanceof CheckpointError) return error.message.replace(/^Cannot parse /, "");
  return error instanceof Error ? error.message : String(error);
}
