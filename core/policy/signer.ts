/**
 * Policy signing keys. The policy signer is an operator, not the agent: its keys live in the
 * operator directory (core/approvals/signing.ts `operatorDir`) as `policy-NAME.key` (the signer
 * key, mode 0600) and `policy-NAME.pub` (the verifier key hosts pin), in the C2SP note key
 * encoding of core/ledger/checkpoint.ts.
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import { generateSigner, parseSignerKey, type SignerKey } from "../ledger/checkpoint.ts";

/** A key name usable as a file name and as a note key name. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The files of policy signer `name` in the operator directory `dir`. */
export function policySignerPaths(dir: string, name: string): { signer: string; verifier: string } {
  if (!NAME.test(name)) {
    throw new WatchtowerError(
      "usage",
      `Cannot use policy key name '${name}': 1-64 letters, digits and . _ - (not first)`,
    );
  }
  const base = dir.replace(/\/+$/, "");
  return { signer: `${base}/policy-${name}.key`, verifier: `${base}/policy-${name}.pub` };
}

/**
 * Makes the key pair of policy signer `name` in `dir` (never over an existing one) and returns
 * the verifier key to pin on every host.
 */
export async function createPolicySigner(
  dir: string,
  name: string,
): Promise<{ verifierKey: string; signer: string; verifier: string }> {
  const paths = policySignerPaths(dir, name);
  const { signerKey, verifierKey } = await generateSigner(name);
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    Deno.writeTextFileSync(paths.signer, `${signerKey}\n`, { createNew: true, mode: 0o600 });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new WatchtowerError(
        "usage",
        `Cannot create policy key '${name}': ${paths.signer} exists (choose another name)`,
      );
    }
    throw error;
  }
  Deno.writeTextFileSync(paths.verifier, `${verifierKey}\n`, { mode: 0o644 });
  return { verifierKey, ...paths };
}

/**
 * The signer key file to sign with: `given` as a path when it has a `/` or names a file, else as
 * a key name in `dir`; without `given`, the only `policy-*.key` in `dir`.
 */
export function findPolicySigner(dir: string, given?: string): string {
  if (given !== undefined) {
    if (given.includes("/") || isFile(given)) return given;
    return policySignerPaths(dir, given).signer;
  }
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(dir)]
      .map((entry) => entry.name)
      .filter((name) => /^policy-.+\.key$/.test(name))
      .sort();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (names.length === 1) return `${dir.replace(/\/+$/, "")}/${names[0]}`;
  throw new WatchtowerError(
    "usage",
    names.length === 0
      ? `Cannot sign: no policy key in ${dir}; make one with wt policy keygen NAME`
      : `Cannot sign: ${dir} has several policy keys (${names.join(", ")}); choose one with --key`,
  );
}

/** Reads and parses a signer key file (the message never shows the key). */
export async function readPolicySigner(path: string): Promise<SignerKey> {
  let text: string;
  try {
    text = Deno.readTextFileSync(path).trim();
  } catch (error) {
    throw new WatchtowerError(
      "usage",
      `Cannot read policy key ${path}: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
  try {
    return await parseSignerKey(text);
  } catch (error) {
    throw new WatchtowerError(
      "usage",
      `Cannot use policy key ${path}: not a signer key (PRIVATE+KEY+NAME+ID+…) made by wt policy keygen`,
      { cause: error },
    );
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
