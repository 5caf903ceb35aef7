/**
 * The witnesses `wt checkpoint` submits to and `wt verify --witnessed` trusts: from
 * `--witness URL` / `--witness-key KEY` flags, else from the pins in `witnesses.json`.
 * @module
 */
import { WatchtowerError } from "../core/errors.ts";
import { CheckpointError } from "../core/ledger/checkpoint.ts";
import { type CosignerKey, parseCosignerKey } from "../core/ledger/cosignature.ts";
import { addCheckpointUrl, type Witness } from "../core/ledger/witness.ts";
import { type PinnedWitness, readPins } from "../core/ledger/witnesses.ts";
import { usage } from "./args.ts";

/** A witness key given on the command line: the key text itself, or a file holding it. */
export function witnessKeyArgument(text: string): CosignerKey {
  try {
    return parseCosignerKey(text);
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    let file: string;
    try {
      file = Deno.readTextFileSync(text).trim();
    } catch {
      throw usage(`--witness-key: ${error.message}`);
    }
    try {
      return parseCosignerKey(file);
    } catch (inner) {
      if (!(inner instanceof CheckpointError)) throw inner;
      throw usage(`--witness-key ${text}: ${inner.message}`);
    }
  }
}

/**
 * The pinned witnesses, or a configuration error (exit 78) when `witnesses.json` is unreadable or
 * invalid; `[]` when there is none.
 */
export function pinnedWitnesses(stateDir: string): PinnedWitness[] {
  const pins = readPins(stateDir);
  if (pins.status === "ok") return pins.witnesses;
  if (pins.status === "missing") return [];
  // ledger_unavailable maps to exit 78, the configuration error.
  throw new WatchtowerError("ledger_unavailable", pins.message);
}

/**
 * The witnesses to submit to: each `--witness URL` with the `--witness-key` of the same position
 * (or, with no `--witness-key`, the key pinned for that URL); `all` adds every pinned witness that
 * has a URL (`--witnessed`).
 */
export function submissionTargets(
  stateDir: string,
  urls: readonly string[],
  keys: readonly string[],
  all: boolean,
): Witness[] {
  if (keys.length > 0 && keys.length !== urls.length) {
    throw usage(
      `give one --witness-key per --witness (in the same order), or none to use witnesses.json`,
    );
  }
  for (const url of urls) {
    try {
      addCheckpointUrl(url);
    } catch (error) {
      throw usage((error as Error).message);
    }
  }
  const pins = keys.length === urls.length && keys.length > 0 && !all
    ? []
    : pinnedWitnesses(stateDir);
  const targets: Witness[] = urls.map((url, i) => {
    if (keys[i] !== undefined) return { url, key: witnessKeyArgument(keys[i]) };
    const pin = pins.find((p) => p.url !== undefined && sameUrl(p.url, url));
    if (!pin) {
      throw new WatchtowerError(
        "ledger_unavailable",
        `Cannot submit to witness ${url}: no key is pinned for it; give --witness-key KEY or add it to witnesses.json`,
      );
    }
    return { url, key: pin.key };
  });
  if (all) {
    const pinned = pins.filter((p) => p.url !== undefined);
    if (pinned.length === 0) {
      throw new WatchtowerError(
        "ledger_unavailable",
        "Cannot submit to the pinned witnesses: witnesses.json pins none with a url",
      );
    }
    for (const pin of pinned) {
      if (!targets.some((t) => sameUrl(t.url, pin.url!))) {
        targets.push({ url: pin.url!, key: pin.key });
      }
    }
  }
  return targets;
}

function sameUrl(a: string, b: string): boolean {
  return addCheckpointUrl(a) === addCheckpointUrl(b);
}
