/**
 * Operator signatures on grants: `wt approve` signs each grant with the operator's Ed25519 key,
 * and adapters accept a grant only when its signature verifies with the operator's public key.
 * The key pair lives outside the state directory, in the operator directory
 * (`$WATCHTOWER_OPERATOR_DIR`, default `~/.config/watchtower-operator`): `operator.key` (PKCS#8,
 * mode 0600) and `operator.pub` (raw, base64). An agent that can write the state directory can
 * write a grant file, but not sign one; the guarded layers refuse agents the operator directory
 * and `wt approve` itself (docs/threat-model.md).
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import { toHex } from "../ledger/sha256.ts";
import type { Grant } from "./records.ts";

/** The operator directory's files. */
export interface OperatorKeyPaths {
  dir: string;
  privateKey: string;
  publicKey: string;
}

/** The operator directory: `$WATCHTOWER_OPERATOR_DIR`, else `HOME/.config/watchtower-operator`. */
export function operatorKeyPaths(dir: string): OperatorKeyPaths {
  const base = dir.replace(/\/+$/, "");
  return { dir: base, privateKey: `${base}/operator.key`, publicKey: `${base}/operator.pub` };
}

/** The operator directory for an environment reader. */
export function operatorDir(read: (name: string) => string | undefined): string {
  const given = read("WATCHTOWER_OPERATOR_DIR");
  if (given) return given;
  const home = read("HOME");
  if (!home) {
    throw new WatchtowerError(
      "usage",
      "Cannot find the operator directory: set WATCHTOWER_OPERATOR_DIR or HOME",
    );
  }
  return `${home}/.config/watchtower-operator`;
}

const encoder = new TextEncoder();
const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unb64 = (text: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/**
 * The bytes a grant's signature covers: every field but the signature, as JSON with sorted keys
 * at every level (so that the same grant always gives the same bytes).
 */
export function grantStatement(grant: Grant): Uint8Array<ArrayBuffer> {
  const { signature: _, ...fields } = grant as Grant & { signature?: unknown };
  return encoder.encode(`watchtower-grant-v1\n${canonical(fields)}`);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value).sort().map((key) =>
      `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`
    );
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The operator's signing key, made on first use (`wt approve` is the only caller). */
export async function operatorSigner(paths: OperatorKeyPaths): Promise<{
  sign(grant: Grant): Promise<string>;
  keyId: string;
}> {
  let pkcs8: Uint8Array<ArrayBuffer>;
  try {
    pkcs8 = unb64(Deno.readTextFileSync(paths.privateKey).trim());
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new WatchtowerError(
        "usage",
        `Cannot read the operator key ${paths.privateKey}: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
    pkcs8 = await createOperatorKey(paths);
  }
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  } catch {
    throw new WatchtowerError(
      "usage",
      `Cannot use the operator key ${paths.privateKey}: not an Ed25519 PKCS#8 key in base64`,
    );
  }
  const publicRaw = readPublicKey(paths);
  if (!publicRaw) {
    throw new WatchtowerError(
      "usage",
      `Cannot sign: ${paths.publicKey} is missing or not an Ed25519 public key (remove ${paths.dir} to make a new key pair)`,
    );
  }
  return {
    keyId: await keyIdOf(publicRaw),
    sign: async (grant) =>
      b64(new Uint8Array(await crypto.subtle.sign("Ed25519", key, grantStatement(grant)))),
  };
}

async function createOperatorKey(paths: OperatorKeyPaths): Promise<Uint8Array<ArrayBuffer>> {
  Deno.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  // The private key first, created exclusively: two racing first approvals keep one key.
  try {
    Deno.writeTextFileSync(paths.privateKey, `${b64(pkcs8)}\n`, { createNew: true, mode: 0o600 });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      return unb64(Deno.readTextFileSync(paths.privateKey).trim());
    }
    throw error;
  }
  Deno.writeTextFileSync(paths.publicKey, `${b64(raw)}\n`, { mode: 0o644 });
  return pkcs8;
}

function readPublicKey(paths: OperatorKeyPaths): Uint8Array<ArrayBuffer> | undefined {
  try {
    const raw = unb64(Deno.readTextFileSync(paths.publicKey).trim());
    return raw.length === 32 ? raw : undefined;
  } catch {
    return undefined;
  }
}

async function keyIdOf(raw: Uint8Array<ArrayBuffer>): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", raw))).slice(0, 16);
}

/** Checks grant signatures against the operator's public key (read once). */
export class GrantVerifier {
  readonly paths: OperatorKeyPaths;
  #key: Promise<{ key: CryptoKey; id: string } | undefined> | undefined;

  constructor(paths: OperatorKeyPaths) {
    this.paths = paths;
  }

  /**
   * Whether `grant` carries a valid operator signature. Undefined key (no operator key pair
   * yet), a missing or malformed signature, or a signature by another key: false.
   */
  async verify(grant: Grant): Promise<boolean> {
    const signature = (grant as Grant & { signature?: unknown }).signature;
    if (typeof signature !== "string" || signature.length > 200) return false;
    const key = await this.#publicKey();
    if (!key) return false;
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = unb64(signature);
    } catch {
      return false;
    }
    try {
      return await crypto.subtle.verify("Ed25519", key.key, bytes, grantStatement(grant));
    } catch {
      return false;
    }
  }

  #publicKey() {
    this.#key ??= (async () => {
      const raw = readPublicKey(this.paths);
      if (!raw) return undefined;
      const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, [
        "verify",
      ]);
      return { key, id: await keyIdOf(raw) };
    })();
    return this.#key;
  }
}
