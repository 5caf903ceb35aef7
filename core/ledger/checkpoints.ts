/**
 * Signed checkpoints of the ledger's Merkle tree: the signing key in the state directory, writing
 * and publishing checkpoints, proving the current ledger extends one, and inclusion proofs of
 * single entries. Formats are in checkpoint.ts (C2SP tlog-checkpoint, signed-note).
 * @module
 */
import { WatchtowerError } from "../errors.ts";
import {
  CheckpointError,
  formatCheckpoint,
  generateSigner,
  openNote,
  signNote,
  splitNote,
} from "./checkpoint.ts";
import { consistencyProof, inclusionProof, merkleRoot, verifyConsistency } from "./merkle.ts";
import { fromHex, toHex } from "./sha256.ts";
import type { Digest } from "./entry.ts";
import { verifyLedger, type VerifyReport } from "./verify.ts";

/** Where the ledger's signing keys live. */
export function keyPaths(stateDir: string): { dir: string; signer: string; verifier: string } {
  return {
    dir: `${stateDir}/keys`,
    signer: `${stateDir}/keys/ledger.key`,
    verifier: `${stateDir}/keys/ledger.pub`,
  };
}

/**
 * Creates the ledger's Ed25519 signing key (mode 0600) and its verifier key, unless they exist.
 * The key name is `watchtower-` and 8 random hex digits.
 */
export async function ensureKeys(
  stateDir: string,
): Promise<{ created: boolean; verifierKey: string }> {
  const paths = keyPaths(stateDir);
  try {
    return { created: false, verifierKey: Deno.readTextFileSync(paths.verifier).trim() };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const suffix = toHex(crypto.getRandomValues(new Uint8Array(4)));
  const { signerKey, verifierKey } = await generateSigner(`watchtower-${suffix}`);
  Deno.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  Deno.writeTextFileSync(paths.signer, `${signerKey}\n`, { mode: 0o600, createNew: true });
  Deno.writeTextFileSync(paths.verifier, `${verifierKey}\n`, { mode: 0o644, createNew: true });
  return { created: true, verifierKey };
}

/** The origin line of this ledger's checkpoints: names the chain by its first entry. */
export function ledgerOrigin(firstHash: string): string {
  return `watchtower/ledger/${firstHash.slice(0, 32)}`;
}

/** A checkpoint just made. */
export interface MadeCheckpoint {
  /** The note as stored: the log signature, then any witness cosignatures. */
  note: string;
  /** The checkpoint body (what the log key signed). */
  body: string;
  origin: string;
  size: number;
  root: string;
  /** Where it was stored in the state directory. */
  file: string;
  /** The ledger leaf hashes the checkpoint covers (for consistency proofs to witnesses). */
  leaves: Uint8Array[];
}

/**
 * Verifies the ledger and signs a checkpoint of it, stored as `checkpoints/<size>.note` and
 * `checkpoints/latest.note`. Refuses a damaged or empty ledger.
 */
export async function makeCheckpoint(
  stateDir: string,
  options: { signerKey?: string; digest?: Digest } = {},
): Promise<MadeCheckpoint> {
  const leaves: Uint8Array[] = [];
  const report = verifyLedger(stateDir, {
    leaves,
    ...(options.digest ? { digest: options.digest } : {}),
  });
  if (!report.ok) {
    throw new WatchtowerError(
      "ledger_corrupt",
      `Cannot sign a checkpoint: the ledger is not intact (${report.fault?.kind} at seq ${report.fault?.seq}); run wt verify`,
    );
  }
  if (report.entries === 0 || !report.firstHash) {
    throw new WatchtowerError("usage", "Cannot sign a checkpoint: the ledger is empty");
  }
  const key = options.signerKey ?? readKey(keyPaths(stateDir).signer, "signing");
  const origin = ledgerOrigin(report.firstHash);
  const body = formatCheckpoint({ origin, size: report.entries, root: fromHex(report.root) });
  const dir = `${stateDir}/checkpoints`;
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = `${dir}/${report.entries}.note`;
  // Signing the same tree again keeps the cosignatures witnesses gave it before.
  const note = keepSignatures(await signNote(body, key), readIfExists(file));
  writeAtomically(file, note);
  writeAtomically(`${dir}/latest.note`, note);
  return { note, body, origin, size: report.entries, root: report.root, file, leaves };
}

/**
 * Adds signature lines (witness cosignatures) to a stored checkpoint, replacing lines by the same
 * key (name and key ID), and updates `latest.note` if it is still this checkpoint.
 */
export function addSignatures(stateDir: string, made: MadeCheckpoint, lines: string[]): void {
  const keyOf = (line: string) => {
    const parsed = splitNote(`${made.body}\n${line}\n`).signatures[0]!;
    return `${parsed.name}+${parsed.keyId}`;
  };
  const replaced = new Set(lines.map(keyOf));
  const kept = splitNote(made.note).signatures.map((s) => s.line).filter((line) =>
    !replaced.has(keyOf(line))
  );
  made.note = `${made.body}\n${[...kept, ...lines].map((line) => `${line}\n`).join("")}`;
  writeAtomically(made.file, made.note);
  const latest = `${stateDir}/checkpoints/latest.note`;
  const current = readIfExists(latest);
  if (current !== undefined && current.startsWith(`${made.body}\n`)) {
    writeAtomically(latest, made.note);
  }
}

/** `signed` plus the signature lines of `existing` when that is a note of the same body. */
function keepSignatures(signed: string, existing: string | undefined): string {
  if (existing === undefined) return signed;
  try {
    const old = splitNote(existing);
    const fresh = splitNote(signed);
    if (old.body !== fresh.body) return signed;
    const own = new Set(fresh.signatures.map((s) => `${s.name}+${s.keyId}`));
    const extra = old.signatures.filter((s) => !own.has(`${s.name}+${s.keyId}`));
    return signed + extra.map((s) => `${s.line}\n`).join("");
  } catch (error) {
    if (error instanceof CheckpointError) return signed;
    throw error;
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Copies a checkpoint note into a directory outside the agent's reach. */
export function publishToDirectory(made: MadeCheckpoint, dir: string): string {
  const name = `${made.origin.replaceAll("/", "_")}-${made.size}.note`;
  const path = `${dir}/${name}`;
  writeAtomically(path, made.note);
  return path;
}

/** The environment a publishing command sees: a fixed PATH and the checkpoint's facts. */
export function publishEnvironment(made: MadeCheckpoint): Record<string, string> {
  return {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    WT_CHECKPOINT_ORIGIN: made.origin,
    WT_CHECKPOINT_SIZE: String(made.size),
    WT_CHECKPOINT_ROOT: made.root,
    WT_CHECKPOINT_FILE: made.file,
    // The names on the note's signature lines after the log's own: the witnesses that cosigned.
    WT_CHECKPOINT_COSIGNED_BY: splitNote(made.note).signatures.slice(1).map((s) => s.name)
      .join(" "),
  };
}

/**
 * Runs `command` with `/bin/sh -c`, the note (with its cosignatures) on its stdin and
 * {@link publishEnvironment}; fails (`ledger_unavailable`) unless it exits 0 within `timeoutMs`
 * (then it and everything it started are killed). Programs it leaves running after it exits are
 * not waited for.
 */
export async function publishToCommand(
  made: MadeCheckpoint,
  command: string,
  timeoutMs = 30_000,
): Promise<void> {
  const child = new Deno.Command("sh", {
    args: ["-c", command],
    clearEnv: true,
    env: publishEnvironment(made),
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
    // Its own process group, so that a timeout ends whatever it started too.
    detached: true,
  }).spawn();
  const failed = (what: string) =>
    new WatchtowerError(
      "ledger_unavailable",
      `Cannot publish the checkpoint: '${command}' ${what}`,
    );
  // Neither writing stdin nor reading stderr is awaited past the deadline: a command that does
  // not read, or leaves a program holding the pipes, must not hold wt.
  (async () => {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(made.note));
    await writer.close();
  })().catch(() => {});
  const stderr = tail(child.stderr, 4096);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const status = await Promise.race([child.status, deadline]);
  clearTimeout(timer);
  if (status === "timeout") {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      try {
        child.kill("SIGKILL");
      } catch { /* it ended just now */ }
    }
    await stderr.stop();
    throw failed(`did not finish within ${timeoutMs / 1000} s and was killed`);
  }
  const detail = (await stderr.stop(200)).trim().split("\n").at(-1) ?? "";
  if (!status.success) {
    const how = status.signal ? `was killed by ${status.signal}` : `exited ${status.code}`;
    throw failed(`${how}${detail ? `: ${detail}` : ""}`);
  }
}

/** Keeps the last `max` bytes read from `stream`; `stop(graceMs)` waits that long for the end. */
function tail(stream: ReadableStream<Uint8Array>, max: number) {
  const reader = stream.getReader();
  let kept = new Uint8Array(0);
  const done = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const joined = new Uint8Array(kept.length + value.length);
      joined.set(kept);
      joined.set(value, kept.length);
      kept = joined.slice(Math.max(0, joined.length - max));
    }
  })().catch(() => {});
  return {
    async stop(graceMs = 0): Promise<string> {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([done, new Promise((resolve) => timer = setTimeout(resolve, graceMs))]);
      clearTimeout(timer);
      await reader.cancel().catch(() => {});
      return new TextDecoder().decode(kept);
    },
  };
}

/** POSTs the note (text/plain) to `url`; fails unless the answer is 2xx within `timeoutMs`. */
export async function publishToUrl(
  made: MadeCheckpoint,
  url: string,
  timeoutMs = 30_000,
): Promise<number> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: made.note,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new WatchtowerError(
      "ledger_unavailable",
      `Cannot publish the checkpoint to ${url}: ${reason}`,
    );
  }
  await response.body?.cancel();
  if (!response.ok) {
    throw new WatchtowerError(
      "ledger_unavailable",
      `Cannot publish the checkpoint to ${url}: the server answered ${response.status}`,
    );
  }
  return response.status;
}

function writeAtomically(path: string, text: string): void {
  const temp = `${path}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(temp, text, { mode: 0o644 });
  Deno.renameSync(temp, path);
}

function readKey(path: string, what: string): string {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new WatchtowerError(
      "ledger_unavailable",
      `Cannot read the ${what} key ${path}: ${reason}; run wt init to create the keys`,
    );
  }
}

/** The outcome of checking the ledger against a checkpoint. */
export interface CheckpointCheck {
  ok: boolean;
  detail: string;
  origin?: string;
  checkpoint_size?: number;
  ledger_size: number;
  /** The consistency proof from the checkpoint's tree to the current one, hex. */
  proof?: string[];
  verified_by?: string[];
}

/**
 * Checks that the ledger (its `leaves`, from a verify) is a consistent extension of a signed
 * checkpoint: same chain, at least as long, and the first `size` entries unchanged.
 */
export async function checkCheckpoint(
  note: string,
  verifierKeys: readonly string[],
  report: VerifyReport,
  leaves: readonly Uint8Array[],
): Promise<CheckpointCheck> {
  const ledgerSize = report.entries;
  let opened;
  try {
    opened = await openNote(note, verifierKeys);
  } catch (error) {
    if (error instanceof CheckpointError) {
      return {
        ok: false,
        detail: `bad checkpoint (${error.code}): ${error.message}`,
        ledger_size: ledgerSize,
      };
    }
    throw error;
  }
  const { origin, size, root } = opened.checkpoint;
  const base = {
    origin,
    checkpoint_size: size,
    ledger_size: ledgerSize,
    verified_by: opened.verifiedBy,
  };
  const expectedOrigin = report.firstHash ? ledgerOrigin(report.firstHash) : undefined;
  if (origin !== expectedOrigin) {
    return {
      ...base,
      ok: false,
      detail: `the checkpoint is for ${origin}, this ledger is ${
        expectedOrigin ?? "empty"
      }: its first entry was replaced, or it is another ledger`,
    };
  }
  if (size > ledgerSize) {
    return {
      ...base,
      ok: false,
      detail:
        `the checkpoint vouches for ${size} entries but the ledger has ${ledgerSize}: truncated`,
    };
  }
  const oldRoot = merkleRoot(leaves.slice(0, size));
  if (toHex(oldRoot) !== toHex(root)) {
    return {
      ...base,
      ok: false,
      detail: `the ledger's first ${size} entries are not those the checkpoint signed: rewritten`,
    };
  }
  const proof = consistencyProof(size, leaves as Uint8Array[]);
  const newRoot = merkleRoot(leaves);
  if (!verifyConsistency(size, ledgerSize, root, newRoot, proof)) {
    return { ...base, ok: false, detail: "the consistency proof does not verify" };
  }
  return {
    ...base,
    ok: true,
    detail:
      `the ledger (${ledgerSize} entries) consistently extends the checkpoint of ${size} entries signed by ${
        opened.verifiedBy.join(", ")
      }`,
    proof: proof.map(toHex),
  };
}

/** An inclusion proof of entry `seq` in the tree of the first `size` entries. */
export interface InclusionProof {
  seq: number;
  index: number;
  tree_size: number;
  leaf_hash: string;
  entry_hash: string;
  root: string;
  proof: string[];
}

/** Proves entry `seq` is in the tree of the first `size` leaves (default: all). */
export function proveInclusion(
  seq: number,
  leaves: readonly Uint8Array[],
  entryHash: string,
  size = leaves.length,
): InclusionProof {
  if (!Number.isSafeInteger(seq) || seq < 1 || seq > size || size > leaves.length) {
    throw new WatchtowerError(
      "usage",
      `Cannot prove seq ${seq}: the tree has ${size} entries (the ledger ${leaves.length})`,
    );
  }
  const tree = leaves.slice(0, size) as Uint8Array[];
  return {
    seq,
    index: seq - 1,
    tree_size: size,
    leaf_hash: toHex(leaves[seq - 1]!),
    entry_hash: entryHash,
    root: toHex(merkleRoot(tree)),
    proof: inclusionProof(seq - 1, tree).map(toHex),
  };
}
