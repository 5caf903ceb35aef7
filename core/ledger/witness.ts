/**
 * The client side of C2SP `tlog-witness`: submit a signed checkpoint with a consistency proof to
 * a witness (`POST <prefix>/add-checkpoint`) and check the cosignature it returns. One call makes
 * at most two requests (the second only after a 409 naming the size the witness holds), all
 * within one deadline, and returns a value: it never throws for what the witness or the network
 * does.
 * @module
 */
import { CheckpointError, encodeBase64, splitNote } from "./checkpoint.ts";
import { checkCosignatures, type Cosignature, type CosignerKey } from "./cosignature.ts";

/** A witness: the submission prefix it listens on and the key it cosigns with. */
export interface Witness {
  /** The submission prefix (`https://witness.example/`) or the full `…/add-checkpoint` URL. */
  url: string;
  key: CosignerKey;
}

/** Why a witness did not cosign. */
export type WitnessFailure =
  /** No connection (refused, DNS, TLS). */
  | "unreachable"
  /** No complete answer within the deadline. */
  | "timeout"
  /** 403: no signature on the checkpoint verifies with the log keys the witness trusts. */
  | "not_trusted"
  /** 404: the witness does not know this log's origin. */
  | "unknown_log"
  /** 422: the consistency proof did not verify against the witness's state. */
  | "inconsistent"
  /** 409 that a retry cannot settle: the witness holds a larger or a different tree. */
  | "conflict"
  /** 400, another 4xx or a redirect. */
  | "rejected"
  /** 5xx. */
  | "server_error"
  /** An answer that is not what the protocol says (garbage, no cosignature by the witness). */
  | "bad_response"
  /** A cosignature line by the pinned name that does not verify or has another key. */
  | "bad_cosignature";

/** What one submission came to. */
export type WitnessOutcome =
  & {
    /** The witness's key name. */
    witness: string;
    url: string;
    /** The checkpoint's tree size. */
    size: number;
    /** The old size of the last request sent. */
    old_size: number;
    /** Requests made: 1, or 2 after a 409. */
    requests: number;
  }
  & (
    | { ok: true; cosignature: Cosignature }
    | {
      ok: false;
      reason: WitnessFailure;
      detail: string;
      /** The HTTP status, when the witness answered. */
      status?: number;
      /** The size the witness says it last cosigned (409). */
      witness_size?: number;
    }
  );

/** What {@linkcode submitCheckpoint} needs. */
export interface Submission {
  witness: Witness;
  /** The signed checkpoint note. */
  note: string;
  /** The size the witness last cosigned, as far as we know (0 the first time). */
  oldSize: number;
  /** The consistency proof from `oldSize` to the checkpoint's size (empty from 0). */
  proof(oldSize: number): Uint8Array[];
  /** Deadline for the whole submission, both requests (default 10 s). */
  timeoutMs?: number;
  /** For tests. */
  fetch?: typeof fetch;
}

/** The protocol allows at most this many proof lines. */
export const MAX_PROOF_LINES = 63;
/** Witness answers longer than this are refused unread. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The add-checkpoint request body: `old <size>`, one base64 hash per line, a blank line, the note.
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { addCheckpointBody } from "./witness.ts";
 * equal(addCheckpointBody(0, [], "log\n1\nROOT\n\n— log SIG\n"), "old 0\n\nlog\n1\nROOT\n\n— log SIG\n");
 * ```
 */
export function addCheckpointBody(
  oldSize: number,
  proof: readonly Uint8Array[],
  note: string,
): string {
  if (proof.length > MAX_PROOF_LINES) {
    throw new RangeError(`Cannot submit checkpoint: ${proof.length} proof lines, at most 63`);
  }
  return `old ${oldSize}\n${proof.map((hash) => `${encodeBase64(hash)}\n`).join("")}\n${note}`;
}

/**
 * The add-checkpoint URL of a witness given by its submission prefix (or the full URL); throws a
 * `TypeError` for anything but an http(s) URL without credentials.
 */
export function addCheckpointUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`Cannot use witness URL '${url}': not a URL`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new TypeError(`Cannot use witness URL '${url}': only http and https are supported`);
  }
  if (parsed.username || parsed.password) {
    throw new TypeError(`Cannot use witness URL: it must not carry a user name or password`);
  }
  parsed.hash = "";
  if (!parsed.pathname.endsWith("/add-checkpoint")) {
    parsed.pathname = `${parsed.pathname.replace(/\/+$/, "")}/add-checkpoint`;
  }
  return parsed.href;
}

/**
 * Submits a checkpoint to a witness and checks the cosignature against the pinned key. A 409 that
 * names a size between 0 and the checkpoint's (other than the one sent) is retried once with that
 * old size and its proof; nothing else is retried.
 */
export async function submitCheckpoint(submission: Submission): Promise<WitnessOutcome> {
  const { witness, note } = submission;
  const split = splitNote(note);
  const size = split.checkpoint.size;
  const url = addCheckpointUrl(witness.url);
  const signal = AbortSignal.timeout(submission.timeoutMs ?? 10_000);
  const doFetch = submission.fetch ?? fetch;
  const base = { witness: witness.key.name, url, size };
  let oldSize = submission.oldSize;
  for (let requests = 1;; requests++) {
    const at = { ...base, old_size: oldSize, requests };
    const fail = (reason: WitnessFailure, detail: string, more: object = {}): WitnessOutcome => ({
      ...at,
      ok: false,
      reason,
      detail,
      ...more,
    });
    let status: number;
    let text: string;
    try {
      const response = await doFetch(url, {
        method: "POST",
        headers: { "content-type": "text/plain; charset=utf-8" },
        body: addCheckpointBody(oldSize, submission.proof(oldSize), note),
        redirect: "manual",
        signal,
      });
      status = response.status;
      text = await readAnswer(response);
    } catch (error) {
      if (signal.aborted) {
        return fail("timeout", `no answer within ${(submission.timeoutMs ?? 10_000) / 1000} s`);
      }
      if (error instanceof AnswerError) return fail("bad_response", error.message);
      return fail("unreachable", error instanceof Error ? error.message : String(error));
    }
    const said = summarize(text);
    if (status === 200) return await cosigned(at, split.body, text, witness.key);
    if (status === 409) {
      const known = /^(0|[1-9][0-9]{0,15})\n$/.exec(text);
      if (!known) return fail("conflict", `409 without a tree size${said}`, { status });
      const witnessSize = Number(known[1]);
      const more = { status, witness_size: witnessSize };
      if (witnessSize > size) {
        return fail(
          "conflict",
          `the witness already cosigned ${witnessSize} entries of this log, more than this checkpoint's ${size}: a later checkpoint was witnessed, or the ledger lost entries`,
          more,
        );
      }
      if (witnessSize === oldSize || requests > 1) {
        return fail(
          "conflict",
          `the witness holds another tree of ${witnessSize} entries than this ledger: a rewritten ledger or a split view`,
          more,
        );
      }
      oldSize = witnessSize;
      continue;
    }
    const reasons: Record<number, WitnessFailure> = {
      403: "not_trusted",
      404: "unknown_log",
      422: "inconsistent",
    };
    const reason = reasons[status] ??
      (status >= 500 ? "server_error" : status >= 300 ? "rejected" : "bad_response");
    return fail(reason, `the witness answered ${status}${said}`, { status });
  }
}

class AnswerError extends Error {}

/** The answer's text: at most 64 KiB of UTF-8, else `AnswerError`. */
async function readAnswer(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw new AnswerError(`the answer is longer than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new AnswerError("the answer is not UTF-8 text");
  }
}

/** The first line of an answer, cleaned and cut, for messages. */
function summarize(text: string): string {
  // deno-lint-ignore no-control-regex -- a witness's text must not move the terminal
  const line = text.split("\n", 1)[0]!.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?").trim();
  return line ? `: ${line.length > 120 ? `${line.slice(0, 120)}…` : line}` : "";
}

/** Reads a 200 answer: signature lines, one of which must be a valid cosignature by `key`. */
async function cosigned(
  at: { witness: string; url: string; size: number; old_size: number; requests: number },
  body: string,
  text: string,
  key: CosignerKey,
): Promise<WitnessOutcome> {
  const fail = (reason: WitnessFailure, detail: string): WitnessOutcome => ({
    ...at,
    ok: false,
    reason,
    detail,
    status: 200,
  });
  if (text === "" || !text.endsWith("\n")) {
    return fail("bad_response", `the answer is not signature lines${summarize(text)}`);
  }
  let check;
  try {
    // As the protocol suggests: the answer appended to the checkpoint body is a signed note.
    check = await checkCosignatures(splitNote(`${body}\n${text}`), [key]);
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    return fail("bad_response", `the answer is not signature lines${summarize(text)}`);
  }
  const cosignature = check.valid[0];
  if (cosignature) return { ...at, ok: true, cosignature };
  const problem = check.problems[0];
  if (problem) return fail("bad_cosignature", problem.detail);
  return fail("bad_response", `the answer carries no cosignature by '${key.name}'`);
}
