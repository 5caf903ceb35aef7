/**
 * A C2SP tlog-witness stand-in on 127.0.0.1 for tests: `POST /add-checkpoint` checks the log's
 * signature with the verifier key it was configured with, the old size against what it last
 * cosigned (409 with its size otherwise) and the consistency proof (422), then cosigns with its
 * own Ed25519 key. The cosignature is built here from the specification, not with
 * core/ledger/cosignature.ts, so that a format mistake there cannot cancel out.
 * `behaviour` makes it misbehave for the bad-input tests.
 */
import { openNote } from "../../core/ledger/checkpoint.ts";
import { verifyConsistency } from "../../core/ledger/merkle.ts";

/** How the stand-in answers. */
export type Behaviour =
  | "honest"
  /** 403 to everything. */
  | "refuse"
  /** 200 with an HTML page. */
  | "garbage"
  /** Cosigns honestly with another key under its own name. */
  | "wrong_key"
  /** Cosigns honestly, then flips one bit of the signature. */
  | "edit_byte"
  /** Never answers (until stopped). */
  | "hang";

/** One request as the stand-in saw it. */
export interface SeenRequest {
  oldSize: number;
  proofLines: number;
  size: number;
  status: number;
}

/** A running witness stand-in. */
export interface WitnessStandIn {
  /** The submission prefix. */
  url: string;
  name: string;
  /** Its verifier key, type 0x04: `<name>+<key ID>+base64(0x04 || public key)`. */
  vkey: string;
  requests: SeenRequest[];
  /** What it last cosigned, by origin. */
  state: Map<string, { size: number; root: Uint8Array }>;
  behaviour: Behaviour;
  /** Its own key pair, for tests that forge with the real key. */
  key: { privateKey: CryptoKey; publicKey: Uint8Array };
  stop(): Promise<void>;
}

const b64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const unb64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

async function newKey(): Promise<{ privateKey: CryptoKey; publicKey: Uint8Array }> {
  const pair = await crypto.subtle.generateKey("Ed25519", true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return { privateKey: pair.privateKey, publicKey };
}

/** SHA-256(name || "\n" || 0x04 || public key)[:4], per c2sp.org/tlog-cosignature. */
async function cosignatureKeyId(name: string, publicKey: Uint8Array): Promise<Uint8Array> {
  const input = new Uint8Array([...new TextEncoder().encode(`${name}\n`), 0x04, ...publicKey]);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", input)).slice(0, 4);
}

/** A cosignature line by `key` under `name` over checkpoint `body` at `time`. */
export async function cosignLine(
  name: string,
  key: { privateKey: CryptoKey; publicKey: Uint8Array },
  body: string,
  time: number,
): Promise<string> {
  const message = new TextEncoder().encode(`cosignature/v1\ntime ${time}\n${body}`);
  const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", key.privateKey, message));
  const stamp = new Uint8Array(8);
  new DataView(stamp.buffer).setBigUint64(0, BigInt(time));
  const id = await cosignatureKeyId(name, key.publicKey);
  return `\u2014 ${name} ${b64(new Uint8Array([...id, ...stamp, ...signature]))}`;
}

/** A fresh witness key and its verifier key text, for forging tests. */
export async function witnessKey(name: string) {
  const key = await newKey();
  const id = await cosignatureKeyId(name, key.publicKey);
  const vkey = `${name}+${[...id].map((b) => b.toString(16).padStart(2, "0")).join("")}+${
    b64(new Uint8Array([0x04, ...key.publicKey]))
  }`;
  return { ...key, name, vkey };
}

/** Starts a stand-in that trusts checkpoints signed by `logKey` (a verifier key text). */
export async function startWitness(
  logKey: string,
  options: { name?: string; behaviour?: Behaviour } = {},
): Promise<WitnessStandIn> {
  const name = options.name ?? "witness.test/w1";
  const own = await witnessKey(name);
  const other = await newKey();
  const requests: SeenRequest[] = [];
  const state = new Map<string, { size: number; root: Uint8Array }>();
  const hanging = Promise.withResolvers<void>();
  let busy = Promise.resolve();

  const handle = async (request: Request): Promise<Response> => {
    const seen: SeenRequest = { oldSize: -1, proofLines: 0, size: -1, status: 0 };
    requests.push(seen);
    const answer = (status: number, body = "", type = "text/plain") => {
      seen.status = status;
      return new Response(body, { status, headers: { "content-type": type } });
    };
    const path = new URL(request.url).pathname;
    if (request.method !== "POST" || path !== "/add-checkpoint") return answer(404);
    const text = await request.text();
    if (stand.behaviour === "hang") {
      await hanging.promise;
      return answer(503);
    }
    if (stand.behaviour === "refuse") return answer(403, "not today\n");
    const blank = text.indexOf("\n\n");
    if (blank < 0) return answer(400, "no blank line\n");
    const [oldLine, ...proofText] = text.slice(0, blank).split("\n");
    const old = /^old (0|[1-9][0-9]*)$/.exec(oldLine ?? "");
    if (!old) return answer(400, "bad old size line\n");
    const oldSize = Number(old[1]);
    const proof = proofText.map(unb64);
    seen.oldSize = oldSize;
    seen.proofLines = proof.length;
    const note = text.slice(blank + 2);
    let opened;
    try {
      opened = await openNote(note, [logKey]);
    } catch {
      return answer(403, "no trusted signature\n");
    }
    const { body, checkpoint } = opened;
    seen.size = checkpoint.size;
    if (oldSize > checkpoint.size) return answer(400, "old size above the checkpoint's\n");
    // Checking the state and storing the new one must not interleave with another request.
    const previous = busy;
    let release = () => {};
    busy = new Promise((resolve) => release = resolve);
    await previous;
    try {
      const held = state.get(checkpoint.origin) ?? { size: 0, root: new Uint8Array(32) };
      if (oldSize !== held.size) return answer(409, `${held.size}\n`, "text/x.tlog.size");
      if (oldSize === checkpoint.size) {
        const same = held.root.every((byte, i) => byte === checkpoint.root[i]);
        if (!same) return answer(409, `${held.size}\n`, "text/x.tlog.size");
      } else if (
        oldSize === 0 ? proof.length !== 0 : !verifyConsistency(
          oldSize,
          checkpoint.size,
          held.root,
          checkpoint.root,
          proof,
        )
      ) {
        return answer(422, "consistency proof does not verify\n");
      }
      state.set(checkpoint.origin, { size: checkpoint.size, root: checkpoint.root });
    } finally {
      release();
    }
    if (stand.behaviour === "garbage") return answer(200, "<html><body>hello</body></html>");
    const time = Math.floor(Date.now() / 1000);
    let line = await cosignLine(name, stand.behaviour === "wrong_key" ? other : own, body, time);
    if (stand.behaviour === "edit_byte") {
      const blob = unb64(line.slice(line.lastIndexOf(" ") + 1));
      blob[blob.length - 1]! ^= 1;
      line = `${line.slice(0, line.lastIndexOf(" ") + 1)}${b64(blob)}`;
    }
    return answer(200, `${line}\n`);
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handle);
  const stand: WitnessStandIn = {
    url: `http://127.0.0.1:${server.addr.port}/`,
    name,
    vkey: own.vkey,
    requests,
    state,
    behaviour: options.behaviour ?? "honest",
    key: own,
    async stop() {
      hanging.resolve();
      await server.shutdown();
    },
  };
  return stand;
}

/** A loopback URL nothing listens on. */
export async function deadUrl(): Promise<string> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(),
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  await server.shutdown();
  return url;
}
