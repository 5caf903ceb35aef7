/**
 * HTTP/1.1 message framing for the egress proxy (RFC 9112): a buffered reader over a connection,
 * strict parsing of request and response heads, the body framing rules, and streaming relay of
 * bodies (fixed length, chunked, or until close) without buffering them. Strict where leniency
 * lets two parsers disagree (request smuggling): CRLF only, no obs-fold, no space before a colon,
 * Content-Length and Transfer-Encoding never together, one Content-Length value.
 * @module
 */

/** Limits on a message head: one line, the whole head, and the number of header fields. */
export interface HeadLimits {
  lineBytes: number;
  headBytes: number;
  headerCount: number;
}

/** The limits the proxy uses (like common servers: 8 KiB lines, 32 KiB heads, 100 fields). */
export const HEAD_LIMITS: HeadLimits = { lineBytes: 8192, headBytes: 32_768, headerCount: 100 };

/** A request the proxy refuses to read any further: answered with `status`, then closed. */
export class HttpError extends Error {
  override name = "HttpError";
  /** The status code to answer with (400, 431, 501, 505). */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The peer closed the connection in the middle of a message. */
export class ConnectionClosed extends Error {
  override name = "ConnectionClosed";
}

/** A header field as received: the name's case is kept, the value is a byte string. */
export type HeaderField = [name: string, value: string];

/** A parsed request head. */
export interface RequestHead {
  method: string;
  target: string;
  version: "HTTP/1.0" | "HTTP/1.1";
  headers: HeaderField[];
}

/** A parsed response head. */
export interface ResponseHead {
  version: string;
  status: number;
  reason: string;
  headers: HeaderField[];
}

/** How a message body is delimited. */
export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "close" };

/** Something bytes can be written to (a `Deno.Conn`). */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<number>;
}

/** Something bytes can be read from and written to (a `Deno.Conn`). */
export interface ByteStream extends ByteSink {
  read(buffer: Uint8Array): Promise<number | null>;
}

const CR = 13;
const LF = 10;

/** Reads from a connection through a buffer, so that heads and chunk lines can be found. */
export class BufferedReader {
  readonly #source: ByteStream;
  #buffer: Uint8Array;
  #start = 0;
  #end = 0;

  constructor(source: ByteStream, size = 16_384) {
    this.#source = source;
    this.#buffer = new Uint8Array(size);
  }

  /** Bytes read but not yet consumed. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Reads more bytes into the buffer; false at end of stream. */
  async #fill(): Promise<boolean> {
    if (this.#start > 0 && this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buffer.length) {
      if (this.#start > 0) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else {
        const bigger = new Uint8Array(this.#buffer.length * 2);
        bigger.set(this.#buffer);
        this.#buffer = bigger;
      }
    }
    const n = await this.#source.read(this.#buffer.subarray(this.#end));
    if (n === null || n === 0) return false;
    this.#end += n;
    return true;
  }

  /**
   * Reads a message head up to and including the empty line. Returns undefined when the stream
   * ends before any byte of it (an idle keep-alive connection closing); throws
   * {@link ConnectionClosed} when it ends inside the head and {@link HttpError} 431 when the head
   * passes `maxBytes`.
   */
  async readHead(maxBytes: number): Promise<Uint8Array | undefined> {
    let scanned = this.#start;
    while (true) {
      const end = findHeadEnd(this.#buffer, scanned, this.#end);
      if (end >= 0) {
        if (end - this.#start > maxBytes) {
          throw new HttpError(431, `the message head is larger than ${maxBytes} bytes`);
        }
        const head = this.#buffer.slice(this.#start, end);
        this.#start = end;
        return head;
      }
      if (this.#end - this.#start > maxBytes) {
        throw new HttpError(431, `the message head is larger than ${maxBytes} bytes`);
      }
      scanned = Math.max(this.#start, this.#end - 3);
      const offset = this.#start;
      if (!(await this.#fill())) {
        if (this.#end === this.#start) return undefined;
        throw new ConnectionClosed("the connection closed inside a message head");
      }
      scanned -= offset - this.#start; // the fill may have moved the data to the front
    }
  }

  /**
   * Reads one line ending in CRLF (returned with it), at most `maxBytes` long. Throws
   * {@link HttpError} 400 for a longer line or a bare LF, {@link ConnectionClosed} at the end.
   */
  async readLine(maxBytes: number): Promise<Uint8Array> {
    let scanned = this.#start;
    while (true) {
      const lf = this.#buffer.subarray(scanned, this.#end).indexOf(LF);
      if (lf >= 0) {
        const end = scanned + lf + 1;
        if (end - this.#start < 2 || this.#buffer[end - 2] !== CR) {
          throw new HttpError(400, "a line ends in a bare LF");
        }
        if (end - this.#start > maxBytes) {
          throw new HttpError(400, `a line is longer than ${maxBytes} bytes`);
        }
        const line = this.#buffer.slice(this.#start, end);
        this.#start = end;
        return line;
      }
      if (this.#end - this.#start > maxBytes) {
        throw new HttpError(400, `a line is longer than ${maxBytes} bytes`);
      }
      const offset = this.#start;
      scanned = this.#end;
      if (!(await this.#fill())) throw new ConnectionClosed("the connection closed inside a line");
      scanned -= offset - this.#start;
    }
  }

  /**
   * Reads up to `max` bytes: buffered ones first, else from the stream. The returned view is
   * valid until the next read. Undefined at the end of the stream.
   */
  async readSome(max: number): Promise<Uint8Array | undefined> {
    if (this.#end === this.#start && !(await this.#fill())) return undefined;
    const n = Math.min(max, this.#end - this.#start);
    const view = this.#buffer.subarray(this.#start, this.#start + n);
    this.#start += n;
    return view;
  }

  /** Takes every buffered byte (for a tunnel, which then copies the raw stream). */
  drain(): Uint8Array {
    const rest = this.#buffer.slice(this.#start, this.#end);
    this.#start = this.#end = 0;
    return rest;
  }
}

function findHeadEnd(buffer: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 3 < to; i++) {
    if (buffer[i + 3] === LF) {
      if (buffer[i] === CR && buffer[i + 1] === LF && buffer[i + 2] === CR) return i + 4;
    } else if (buffer[i + 3] !== CR) {
      i += 3; // neither CR nor LF: no terminator can start at i+1..i+3
    }
  }
  return -1;
}

/** Writes every byte (a `Deno.Conn` may write fewer than asked). */
export async function writeAll(sink: ByteSink, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await sink.write(bytes.subarray(offset));
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Field values: visible ASCII, space, tab and obs-text; never NUL, CR, LF or other controls.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Bytes as a byte string (one char per byte), so that headers are forwarded exactly. */
export function byteString(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

/** A byte string back to bytes. */
export function stringBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

function splitHead(head: Uint8Array, limits: HeadLimits): string[] {
  if (head.length > limits.headBytes) {
    throw new HttpError(431, `the message head is larger than ${limits.headBytes} bytes`);
  }
  const text = byteString(head);
  const lines = text.slice(0, -4).split("\r\n");
  if (lines.length - 1 > limits.headerCount) {
    throw new HttpError(431, `more than ${limits.headerCount} header fields`);
  }
  for (const line of lines) {
    if (line.length > limits.lineBytes) {
      throw new HttpError(431, `a header line is longer than ${limits.lineBytes} bytes`);
    }
    if (line.includes("\r") || line.includes("\n")) {
      throw new HttpError(400, "a line break that is not CRLF");
    }
  }
  return lines;
}

function parseFields(lines: readonly string[]): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of lines) {
    if (line.startsWith(" ") || line.startsWith("\t")) {
      throw new HttpError(400, "obsolete line folding in a header field");
    }
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HttpError(400, "a header line without a field name and colon");
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) {
      throw new HttpError(400, `a header field name is not a token: ${JSON.stringify(name)}`);
    }
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (!FIELD_VALUE.test(value)) {
      throw new HttpError(400, `header field ${name} has a control character in its value`);
    }
    fields.push([name, value]);
  }
  return fields;
}

/** Parses a request head (request line and fields); throws {@link HttpError}. */
export function parseRequestHead(head: Uint8Array, limits: HeadLimits = HEAD_LIMITS): RequestHead {
  const lines = splitHead(head, limits);
  const requestLine = lines[0]!;
  const parts = requestLine.split(" ");
  if (parts.length !== 3) throw new HttpError(400, "a malformed request line");
  const [method, target, version] = parts as [string, string, string];
  if (!TOKEN.test(method)) throw new HttpError(400, "a malformed request method");
  // deno-lint-ignore no-control-regex
  if (target.length === 0 || /[\x00-\x20\x7f-\xff]/.test(target)) {
    throw new HttpError(400, "a malformed request target");
  }
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    if (/^HTTP\/\d\.\d$/.test(version)) {
      throw new HttpError(505, `${version} is not supported (HTTP/1.1 or 1.0)`);
    }
    throw new HttpError(400, "a malformed HTTP version");
  }
  return { method, target, version, headers: parseFields(lines.slice(1)) };
}

/** Parses a response head; throws {@link HttpError} (the proxy answers 502 for those). */
export function parseResponseHead(
  head: Uint8Array,
  limits: HeadLimits = HEAD_LIMITS,
): ResponseHead {
  const lines = splitHead(head, limits);
  const match = /^(HTTP\/1\.[01]) (\d{3})(?: (.*))?$/.exec(lines[0]!);
  if (!match) throw new HttpError(502, "the upstream sent a malformed status line");
  return {
    version: match[1]!,
    status: Number(match[2]),
    reason: match[3] ?? "",
    headers: parseFields(lines.slice(1)),
  };
}

/** Every value of header `name` (case-insensitive). */
export function headerValues(headers: readonly HeaderField[], name: string): string[] {
  const lower = name.toLowerCase();
  const values: string[] = [];
  for (const [key, value] of headers) if (key.toLowerCase() === lower) values.push(value);
  return values;
}

/** The comma-separated tokens of every `name` field, lower case. */
export function headerTokens(headers: readonly HeaderField[], name: string): string[] {
  return headerValues(headers, name).flatMap((value) =>
    value.split(",").map((token) => token.trim().toLowerCase()).filter((token) => token !== "")
  );
}

const MAX_LENGTH = Number.MAX_SAFE_INTEGER;

function contentLength(headers: readonly HeaderField[], status: number): number | undefined {
  const values = headerValues(headers, "content-length").flatMap((value) => value.split(","))
    .map((value) => value.trim());
  if (values.length === 0) return undefined;
  const first = values[0]!;
  if (!/^\d{1,16}$/.test(first) || Number(first) > MAX_LENGTH) {
    throw new HttpError(status, `an invalid Content-Length: ${JSON.stringify(first)}`);
  }
  if (values.some((value) => value !== first)) {
    throw new HttpError(status, "conflicting Content-Length values");
  }
  return Number(first);
}

/**
 * The framing of a request body (RFC 9112 §6.3). Refuses both Content-Length and
 * Transfer-Encoding (a smuggling shape), codings other than `chunked` (501), and
 * Transfer-Encoding in HTTP/1.0.
 */
export function requestFraming(head: RequestHead): BodyFraming {
  const codings = headerTokens(head.headers, "transfer-encoding");
  const hasTe = headerValues(head.headers, "transfer-encoding").length > 0;
  if (hasTe) {
    if (headerValues(head.headers, "content-length").length > 0) {
      throw new HttpError(400, "both Content-Length and Transfer-Encoding (request smuggling)");
    }
    if (head.version === "HTTP/1.0") {
      throw new HttpError(400, "Transfer-Encoding in an HTTP/1.0 request");
    }
    if (codings.length !== 1 || codings[0] !== "chunked") {
      throw new HttpError(
        501,
        `Transfer-Encoding ${JSON.stringify(codings.join(", "))} is not supported`,
      );
    }
    return { kind: "chunked" };
  }
  const length = contentLength(head.headers, 400);
  return length === undefined || length === 0 ? { kind: "none" } : { kind: "length", length };
}

/** The framing of a response body to a request with `method`. */
export function responseFraming(head: ResponseHead, method: string): BodyFraming {
  if (method === "HEAD" || head.status < 200 || head.status === 204 || head.status === 304) {
    return { kind: "none" };
  }
  const codings = headerTokens(head.headers, "transfer-encoding");
  if (codings.length > 0) {
    return codings.at(-1) === "chunked" ? { kind: "chunked" } : { kind: "close" };
  }
  const length = contentLength(head.headers, 502);
  if (length === undefined) return { kind: "close" };
  return length === 0 ? { kind: "none" } : { kind: "length", length };
}

/** Where a relayed body goes, and how its bytes are counted. */
export type BodySink = (bytes: Uint8Array) => Promise<void>;

/**
 * Relays one body from `reader` to `sink` as it arrives, never holding more than a buffer.
 * Chunked bodies are checked chunk by chunk and passed on unchanged (trailers included).
 * Returns the number of bytes relayed. Throws {@link HttpError} (status `badStatus`) for a
 * malformed chunk and {@link ConnectionClosed} when the stream ends early (except `close`
 * framing, which ends there).
 */
export async function relayBody(
  reader: BufferedReader,
  framing: BodyFraming,
  sink: BodySink,
  badStatus = 400,
  limits: HeadLimits = HEAD_LIMITS,
): Promise<number> {
  switch (framing.kind) {
    case "none":
      return 0;
    case "length":
      return await relayLength(reader, framing.length, sink);
    case "close": {
      let total = 0;
      while (true) {
        const piece = await reader.readSome(65_536);
        if (!piece) return total;
        total += piece.length;
        await sink(piece);
      }
    }
    case "chunked":
      return await relayChunked(reader, sink, badStatus, limits);
  }
}

async function relayLength(reader: BufferedReader, length: number, sink: BodySink) {
  let left = length;
  while (left > 0) {
    const piece = await reader.readSome(Math.min(left, 65_536));
    if (!piece) throw new ConnectionClosed(`the body ended ${left} bytes early`);
    left -= piece.length;
    await sink(piece);
  }
  return length;
}

const CHUNK_SIZE = /^([0-9a-fA-F]{1,15})[ \t]*(?:;[^\r\n]*)?\r\n$/;

async function relayChunked(
  reader: BufferedReader,
  sink: BodySink,
  badStatus: number,
  limits: HeadLimits,
): Promise<number> {
  let total = 0;
  while (true) {
    const line = await reader.readLine(limits.lineBytes).catch((error) => {
      throw error instanceof HttpError ? new HttpError(badStatus, error.message) : error;
    });
    const match = CHUNK_SIZE.exec(byteString(line));
    if (!match) throw new HttpError(badStatus, "an invalid chunk size line");
    const size = parseInt(match[1]!, 16);
    await sink(line);
    total += line.length;
    if (size === 0) break;
    total += await relayLength(reader, size, sink);
    const end = await reader.readLine(2).catch((error) => {
      if (error instanceof ConnectionClosed) throw error;
      throw new HttpError(badStatus, "a chunk is not followed by CRLF");
    });
    await sink(end);
    total += end.length;
  }
  // Trailer fields, then the empty line.
  let trailerBytes = 0;
  for (let count = 0;; count++) {
    const line = await reader.readLine(limits.lineBytes).catch((error) => {
      throw error instanceof HttpError ? new HttpError(badStatus, error.message) : error;
    });
    trailerBytes += line.length;
    if (count > limits.headerCount || trailerBytes > limits.headBytes) {
      throw new HttpError(badStatus, "the chunked trailer is too large");
    }
    await sink(line);
    total += line.length;
    if (line.length === 2) return total;
  }
}

/**
 * Fields that say how a message is framed or where it goes: `Connection` cannot make them
 * hop-by-hop (`Connection: Content-Length` with a body would otherwise smuggle the body past the
 * proxy's decision as a second request).
 */
const END_TO_END = new Set(["content-length", "transfer-encoding", "host"]);

/** Header fields a proxy must not forward (RFC 9110 §7.6.1), plus those `Connection` names. */
export function withoutHopByHop(headers: readonly HeaderField[], keep: readonly string[] = []) {
  const drop = new Set([
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "upgrade",
    ...headerTokens(headers, "connection"),
    ...headerTokens(headers, "proxy-connection"),
  ]);
  for (const name of [...keep, ...END_TO_END]) drop.delete(name);
  return headers.filter(([name]) => !drop.has(name.toLowerCase()));
}

/** Serialises a head: the start line and fields, then the empty line. */
export function serializeHead(startLine: string, headers: readonly HeaderField[]): Uint8Array {
  let text = `${startLine}\r\n`;
  for (const [name, value] of headers) text += `${name}: ${value}\r\n`;
  return stringBytes(`${text}\r\n`);
}
