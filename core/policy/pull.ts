/**
 * Installs a signed policy bundle as the policy in force (`wt policy pull`): reads it from an
 * http(s) URL (one attempt, bounded time and size) or a file, verifies it against the pinned
 * keys, refuses one older than the installed bundle, checks that its policy loads, then replaces
 * the state directory's policy file atomically and keeps the bundle as `policy.bundle` (the last
 * good one). Every install and every refusal goes to `record` (the ledger) first; a refusal
 * changes nothing.
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import { sha256, toHex } from "../ledger/sha256.ts";
import { normalizePath } from "../match/path.ts";
import {
  type BundleHeader,
  decodeBundle,
  MAX_BUNDLE_BYTES,
  type OpenedBundle,
  openPolicyBundle,
  PolicyBundleError,
  readBundle,
} from "./bundle.ts";
import type { CompiledPolicy } from "./compile.ts";
import { policyHash } from "./hash.ts";
import { layerFromDocument, mergeLayers } from "./layer.ts";
import { compileMerged, layersAround, userPolicyPath } from "./loader.ts";
import { parseDocument } from "./source.ts";
import { readTrustedKeys } from "./trust.ts";
import type { PolicyVars } from "./vars.ts";

/** How long one pull may take, from connecting to the last byte: 10 s. */
export const DEFAULT_PULL_TIMEOUT_MS = 10_000;

/** A ledger event about the policy: `policy.pull`, installed or refused. */
export type PolicyEvent =
  & { type: "policy.pull"; outcome: "installed" | "refused" }
  & Record<
    string,
    unknown
  >;

/** Where and how to pull. */
export interface PullOptions {
  stateDir: string;
  /** Where the profiles the policy names are found (as the loader takes them). */
  profileDirs: readonly string[];
  vars: PolicyVars;
  /** Default {@link DEFAULT_PULL_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** The time expiry is checked against (default now). */
  now?: Date;
  /** Verify and check everything, install and record nothing. */
  dryRun?: boolean;
  /** Appends an event to the ledger; when it throws for an install, nothing is installed. */
  record?: (event: PolicyEvent) => void;
}

/** What a pull did. */
export interface PullResult {
  /** `installed`, `unchanged` (this bundle is in force already) or `verified` (dry run). */
  outcome: "installed" | "unchanged" | "verified";
  source: string;
  header: BundleHeader;
  /** The serial of the bundle it replaced, if any. */
  previousSerial: number | null;
  signer: OpenedBundle["signer"];
  /** {@link policyHash} of the effective policy it makes. */
  policy: string;
  /** The policy file it wrote (or would write). */
  file: string;
  /** Where a policy file that no bundle installed was kept before it was replaced. */
  backup?: string;
}

/** The last good bundle in a state directory. */
export function bundlePath(stateDir: string): string {
  return `${stateDir}/policy.bundle`;
}

/**
 * A source as messages and the ledger show it: a URL without user name or password, a file's
 * absolute path.
 */
export function shownSource(source: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    return normalizePath(source, Deno.cwd());
  }
  try {
    const url = new URL(source);
    if (url.username || url.password) [url.username, url.password] = ["***", ""];
    return url.href;
  } catch {
    return source;
  }
}

/**
 * Pulls `source` (an http(s) URL or a file path) and installs it. Throws a
 * {@link PolicyBundleError} for every refusal, after recording it.
 */
export async function pullPolicy(source: string, options: PullOptions): Promise<PullResult> {
  const shown = shownSource(source);
  const facts: Record<string, unknown> = { source: shown };
  try {
    return await pull(source, shown, options, facts);
  } catch (error) {
    if (error instanceof PolicyBundleError && !options.dryRun && options.record) {
      try {
        options.record({
          type: "policy.pull",
          outcome: "refused",
          reason: error.code,
          detail: error.message,
          ...facts,
        });
      } catch (recordError) {
        error.unrecorded = recordError instanceof Error ? recordError.message : String(recordError);
      }
    }
    throw error;
  }
}

async function pull(
  source: string,
  shown: string,
  options: PullOptions,
  facts: Record<string, unknown>,
): Promise<PullResult> {
  const keys = readTrustedKeys(options.stateDir);
  if (keys.length === 0) {
    throw new PolicyBundleError(
      "no_trusted_keys",
      `Cannot pull ${shown}: no policy signer is pinned; pin one with wt policy trust add KEY`,
    );
  }
  const text = decodeBundle(await readSource(source, shown, options), shown);
  const opened = await openPolicyBundle(text, keys.map((key) => key.key), {
    source: shown,
    ...(options.now ? { now: options.now } : {}),
  });
  Object.assign(facts, {
    serial: opened.header.serial,
    key: opened.signer.name,
    key_id: opened.signer.keyId,
  });
  await compile(opened.policy, `${shown}#policy`, options, true);
  const file = userPolicyPath({ stateDir: options.stateDir });
  const hash = policyHash(await compile(opened.policy, file, options, false));
  const result = {
    source: shown,
    header: opened.header,
    signer: opened.signer,
    policy: hash,
    file,
  };
  if (options.dryRun) {
    const current = readCurrent(options.stateDir);
    const same = compare(opened, current, shown) === "same" && readText(file) === opened.policy;
    const previousSerial = current?.header.serial ?? null;
    return { outcome: same ? "unchanged" : "verified", previousSerial, ...result };
  }
  Deno.mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const lock = Deno.openSync(`${options.stateDir}/policy.lock`, {
    create: true,
    write: true,
    mode: 0o600,
  });
  try {
    lock.lockSync(true);
    const current = readCurrent(options.stateDir);
    const previousSerial = current?.header.serial ?? null;
    const installed = readText(file);
    if (compare(opened, current, shown) === "same" && installed === opened.policy) {
      return { outcome: "unchanged", previousSerial, ...result };
    }
    const temp = `${file}.pull-${Deno.pid}`;
    Deno.writeTextFileSync(temp, opened.policy, { mode: 0o600 });
    try {
      options.record?.({
        type: "policy.pull",
        outcome: "installed",
        source: shown,
        serial: opened.header.serial,
        previous_serial: previousSerial,
        key: opened.signer.name,
        key_id: opened.signer.keyId,
        policy: hash,
        sha256: opened.header.sha256,
        issued: opened.header.issued,
        expires: opened.header.expires,
        file,
      });
    } catch (error) {
      Deno.removeSync(temp);
      throw new PolicyBundleError(
        "unrecorded",
        `Cannot install ${shown}: the ledger cannot record it (${messageOf(error)})`,
        { cause: error },
      );
    }
    let backup: string | undefined;
    if (installed !== undefined && installed !== current?.policy) {
      // A policy written by hand (or by wt init) is kept aside, not lost.
      backup = `${file}.before-pull`;
      Deno.writeTextFileSync(backup, installed, { mode: 0o600 });
    }
    Deno.renameSync(temp, file);
    const kept = `${bundlePath(options.stateDir)}.tmp-${Deno.pid}`;
    Deno.writeTextFileSync(kept, text, { mode: 0o644 });
    Deno.renameSync(kept, bundlePath(options.stateDir));
    return { outcome: "installed", previousSerial, ...result, ...(backup ? { backup } : {}) };
  } finally {
    lock.close();
  }
}

/** Reads the bundle bytes: one HTTP attempt bounded in time and size, or a file. */
async function readSource(source: string, shown: string, options: PullOptions) {
  if (/^https?:\/\//i.test(source)) {
    return await fetchBundle(source, shown, options.timeoutMs ?? DEFAULT_PULL_TIMEOUT_MS);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    throw new WatchtowerError("usage", `Cannot pull ${shown}: give an http(s) URL or a file path`);
  }
  try {
    if (Deno.statSync(source).size > MAX_BUNDLE_BYTES) {
      throw new PolicyBundleError(
        "too_large",
        `Cannot use ${shown}: it is larger than ${MAX_BUNDLE_BYTES} bytes`,
      );
    }
    return Deno.readFileSync(source);
  } catch (error) {
    if (error instanceof PolicyBundleError) throw error;
    throw new PolicyBundleError("unavailable", `Cannot read ${shown}: ${messageOf(error)}`);
  }
}

async function fetchBundle(url: string, shown: string, timeoutMs: number): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(timeoutMs);
  const why = (error: unknown) =>
    signal.aborted ? `no complete answer within ${timeoutMs / 1000} s` : messageOf(error);
  const unavailable = (reason: string) =>
    new PolicyBundleError("unavailable", `Cannot fetch ${shown}: ${reason}`);
  let response: Response;
  try {
    response = await fetch(url, { signal, headers: { accept: "text/plain, */*" } });
  } catch (error) {
    throw unavailable(why(error));
  }
  const tooLarge = () =>
    new PolicyBundleError(
      "too_large",
      `Cannot use ${shown}: larger than ${MAX_BUNDLE_BYTES} bytes`,
    );
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw unavailable(`the server answered ${response.status}`);
  }
  if (Number(response.headers.get("content-length") ?? 0) > MAX_BUNDLE_BYTES) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  try {
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > MAX_BUNDLE_BYTES) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof PolicyBundleError) throw error;
    throw unavailable(`the transfer broke off after ${total} bytes (${why(error)})`);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/**
 * Compiles `text` as the state directory's policy would be (built-in rules, the profiles it
 * names, it): with examples checked it is the validation of `wt policy check`.
 */
async function compile(
  text: string,
  file: string,
  options: PullOptions,
  checkExamples: boolean,
): Promise<CompiledPolicy> {
  try {
    const layer = layerFromDocument(parseDocument(text, file));
    const layers = layersAround(layer, { profileDirs: options.profileDirs });
    return await compileMerged(mergeLayers(layers), options.vars, { checkExamples });
  } catch (error) {
    if (!(error instanceof WatchtowerError) || error.code === "usage") throw error;
    throw new PolicyBundleError("invalid_policy", error.message, {
      cause: error,
      details: error.details,
    });
  }
}

type Current = { header: BundleHeader; policy: string } | undefined;

function readCurrent(stateDir: string): Current {
  const path = bundlePath(stateDir);
  const text = readText(path);
  if (text === undefined) return undefined;
  try {
    return readBundle(text, path);
  } catch (error) {
    throw new PolicyBundleError(
      "current_unreadable",
      `Cannot compare with the installed bundle: ${
        messageOf(error)
      }; remove ${path} to accept any serial`,
    );
  }
}

/** Refuses a rollback or a reused serial; `same` when this bundle is the installed one. */
function compare(opened: OpenedBundle, current: Current, shown: string): "newer" | "same" {
  if (!current) return "newer";
  const { serial } = opened.header;
  if (serial < current.header.serial) {
    throw new PolicyBundleError(
      "rollback",
      `Cannot install ${shown}: its serial ${serial} is older than the installed ${current.header.serial}`,
    );
  }
  if (serial > current.header.serial) return "newer";
  if (JSON.stringify(opened.header) !== JSON.stringify(current.header)) {
    throw new PolicyBundleError(
      "serial_reused",
      `Cannot install ${shown}: serial ${serial} is installed with other content (sign changes with a higher serial)`,
    );
  }
  // The header carries the policy's hash; compare the text too, in case the file was edited.
  return toHex(sha256(new TextEncoder().encode(current.policy))) === opened.header.sha256
    ? "same"
    : "newer";
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
