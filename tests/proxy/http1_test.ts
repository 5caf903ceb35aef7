/**
 * Tests of the proxy's HTTP/1.1 framing: the buffered reader over streams that deliver bytes in
 * any split, strict request-head parsing (the shapes that let two parsers disagree are refused
 * with the right status), body framing, chunked relay and the hop-by-hop filter.
 */
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  type BodyFraming,
  BufferedReader,
  type ByteStream,
  ConnectionClosed,
  HEAD_LIMITS,
  type HeaderField,
  HttpError,
  parseRequestHead,
  relayBody,
  requestFraming,
  type RequestHead,
  responseFraming,
  type ResponseHead,
  serializeHead,
  stringBytes,
  withoutHopByHop,
} from "../../proxy/http1.ts";

const SEED = 20_260_522;

/** A stream that hands out `bytes` in pieces of the given sizes (cycled), then ends. */
class SplitStream implements ByteStream {
  readonly written: Uint8Array[] = [];
  reads = 0;
  #bytes: Uint8Array;
  #offset = 0;
  #sizes: readonly number[];

  constructor(bytes: Uint8Array | string, sizes: readonly number[] = [Infinity]) {
    this.#bytes = typeof bytes === "string" ? stringBytes(bytes) : bytes;
    this.#sizes = sizes.length > 0 ? sizes : [Infinity];
  }

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#offset >= this.#bytes.length) return Promise.resolve(null);
    const size = this.#sizes[this.reads % this.#sizes.length]!;
    this.reads++;
    const n = Math.min(size, buffer.length, this.#bytes.length - this.#offset);
    buffer.set(this.#bytes.subarray(this.#offset, this.#offset + n));
    this.#offset += n;
    return Promise.resolve(n);
  }

  write(bytes: Uint8Array): Promise<number> {
    this.written.push(bytes.slice());
    return Promise.resolve(bytes.length);
  }
}

function text(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : String.fromCharCode(...bytes);
}

/** Everything left in `reader`, read through `readSome`. */
async function rest(reader: BufferedReader): Promise<string> {
  let out = "";
  while (true) {
    const piece = await reader.readSome(7);
    if (!piece) return out;
    out += text(piece);
  }
}

/** Relays `framing` from `reader`; returns the count and the bytes the sink got. */
async function relay(
  reader: BufferedReader,
  framing: BodyFraming,
  badStatus?: number,
): Promise<{ count: number; out: string }> {
  let out = "";
  const count = await relayBody(reader, framing, (bytes) => {
    out += text(bytes);
    return Promise.resolve();
  }, badStatus);
  return { count, out };
}

/** Asserts that `action` throws an {@link HttpError} with exactly `status`. */
function throwsStatus(action: () => unknown, status: number, label: string): void {
  throws(action, (error: unknown) => {
    ok(error instanceof HttpError, `${label}: ${error}`);
    equal(error.status, status, `${label}: ${error.message}`);
    return true;
  }, label);
}

async function rejectsStatus(action: Promise<unknown>, status: number, label: string) {
  await rejects(action, (error: unknown) => {
    ok(error instanceof HttpError, `${label}: ${error}`);
    equal(error.status, status, `${label}: ${error.message}`);
    return true;
  }, label);
}

function request(
  headers: HeaderField[],
  version: RequestHead["version"] = "HTTP/1.1",
  method = "POST",
): RequestHead {
  return { method, target: "http://example.com/", version, headers };
}

function responseHead(status: number, headers: HeaderField[] = []): ResponseHead {
  return { version: "HTTP/1.1", status, reason: "", headers };
}

// ---------------------------------------------------------------- BufferedReader.readHead

Deno.test("readHead() returns the head through the empty line and leaves the body", async () => {
  const reader = new BufferedReader(
    new SplitStream("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\nBODY\r\n\r\nmore"),
  );
  equal(text(await reader.readHead(1024)), "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n");
  equal(reader.buffered, 12);
  equal(await rest(reader), "BODY\r\n\r\nmore");
});

Deno.test("readHead() reads pipelined heads one after the other", async () => {
  const one = "GET http://a/1 HTTP/1.1\r\n\r\n";
  const two = "GET http://a/2 HTTP/1.1\r\nX: y\r\n\r\n";
  const reader = new BufferedReader(new SplitStream(one + two, [5, 1, 30]), 8);
  equal(text(await reader.readHead(1024)), one);
  equal(text(await reader.readHead(1024)), two);
  equal(await reader.readHead(1024), undefined);
});

Deno.test("readHead() is undefined when the stream ends before a head begins", async () => {
  equal(await new BufferedReader(new SplitStream("")).readHead(1024), undefined);
});

Deno.test("readHead() throws ConnectionClosed when the stream ends inside a head", async () => {
  const reader = new BufferedReader(new SplitStream("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r"));
  await rejects(reader.readHead(1024), ConnectionClosed);
});

Deno.test("readHead() answers 431 when no head end arrives within maxBytes", async () => {
  const reader = new BufferedReader(
    new SplitStream(`GET http://a/ HTTP/1.1\r\n${"x".repeat(300)}`),
  );
  await rejectsStatus(reader.readHead(100), 431, "endless head");
});

Deno.test("readHead() answers 431 for a complete head larger than maxBytes", async () => {
  // The limit must not depend on how the bytes arrive: in one piece or a few bytes at a time.
  const head = `GET http://a/ HTTP/1.1\r\nX-Filler: ${"x".repeat(200)}\r\n\r\n`;
  for (const sizes of [[Infinity], [3], [150, 150]]) {
    const reader = new BufferedReader(new SplitStream(head, sizes));
    await rejectsStatus(reader.readHead(100), 431, `pieces of ${sizes}`);
  }
});

Deno.test("readHead() returns the same head and leaves the same rest for any split", async () => {
  const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
  const value = fc.stringMatching(/^([\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?)?$/);
  const head = fc.tuple(
    token,
    fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
    fc.array(fc.tuple(token, value), { maxLength: 12 }),
  ).map(([method, target, fields]) =>
    `${method} ${target} HTTP/1.1\r\n${fields.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`
  );
  const body = fc.uint8Array({ maxLength: 300 }).map((bytes) => text(bytes)!);
  const sizes = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 });
  await fc.assert(
    fc.asyncProperty(
      head,
      body,
      sizes,
      fc.integer({ min: 1, max: 64 }),
      async (head, body, sizes, bufferSize) => {
        const reader = new BufferedReader(new SplitStream(head + body, sizes), bufferSize);
        equal(text(await reader.readHead(HEAD_LIMITS.headBytes)), head);
        equal(await rest(reader), body);
      },
    ),
    { numRuns: 300, seed: SEED },
  );
});

// ---------------------------------------------------------------- BufferedReader.readLine

Deno.test("readLine() returns one CRLF line across any split and leaves the rest", async () => {
  for (const sizes of [[Infinity], [1], [2, 3]]) {
    const reader = new BufferedReader(new SplitStream("5;ext=1\r\nhello\r\n", sizes), 4);
    equal(text(await reader.readLine(64)), "5;ext=1\r\n", `pieces of ${sizes}`);
    equal(text(await reader.readLine(64)), "hello\r\n", `pieces of ${sizes}`);
    await rejects(reader.readLine(64), ConnectionClosed);
  }
});

Deno.test("readLine() refuses bare LF and over-long lines with 400", async () => {
  const cases: Array<[string, string, number]> = [
    ["a bare LF", "abc\ndef\r\n", 64],
    ["a bare LF as the first byte", "\n", 64],
    ["a line longer than the limit, LF seen", "0123456789\r\n", 8],
    ["a line longer than the limit, no LF yet", "0123456789abcdef", 8],
  ];
  for (const [label, input, max] of cases) {
    await rejectsStatus(new BufferedReader(new SplitStream(input)).readLine(max), 400, label);
  }
});

Deno.test("readLine() throws ConnectionClosed when the stream ends inside a line", async () => {
  await rejects(new BufferedReader(new SplitStream("abc\r")).readLine(64), ConnectionClosed);
});

// ---------------------------------------------------------------- parseRequestHead

const URL_A = "http://example.com/a?b=c";

Deno.test("parseRequestHead() reads valid request heads exactly", () => {
  const cases: Array<[string, string, RequestHead]> = [
    [
      "an absolute-form GET with fields",
      `GET ${URL_A} HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n`,
      {
        method: "GET",
        target: URL_A,
        version: "HTTP/1.1",
        headers: [["Host", "example.com"], ["Accept", "*/*"]],
      },
    ],
    [
      "a CONNECT without fields",
      "CONNECT example.com:443 HTTP/1.1\r\n\r\n",
      { method: "CONNECT", target: "example.com:443", version: "HTTP/1.1", headers: [] },
    ],
    [
      "HTTP/1.0, name case kept, values trimmed, empty value, obs-text kept",
      `POST ${URL_A} HTTP/1.0\r\nx-LOWER-upper:  \t a  b \t\r\nX-Empty:\r\nX-Latin: caf\xe9\r\n\r\n`,
      {
        method: "POST",
        target: URL_A,
        version: "HTTP/1.0",
        headers: [["x-LOWER-upper", "a  b"], ["X-Empty", ""], ["X-Latin", "caf\xe9"]],
      },
    ],
    [
      "an extension method and a colon inside the value",
      `PROPFIND ${URL_A} HTTP/1.1\r\nX-Time: 12:30:00\r\n\r\n`,
      {
        method: "PROPFIND",
        target: URL_A,
        version: "HTTP/1.1",
        headers: [["X-Time", "12:30:00"]],
      },
    ],
  ];
  for (const [label, head, expected] of cases) {
    deepEqual(parseRequestHead(stringBytes(head)), expected, label);
  }
});

Deno.test("parseRequestHead() accepts heads right at the field-count and line limits", () => {
  const fields = Array.from({ length: HEAD_LIMITS.headerCount }, (_, i) => `X-${i}: v\r\n`);
  equal(
    parseRequestHead(stringBytes(`GET ${URL_A} HTTP/1.1\r\n${fields.join("")}\r\n`)).headers
      .length,
    HEAD_LIMITS.headerCount,
  );
  const line = `X-Long: ${"v".repeat(HEAD_LIMITS.lineBytes - 8)}`;
  equal(line.length, HEAD_LIMITS.lineBytes);
  deepEqual(
    parseRequestHead(stringBytes(`GET ${URL_A} HTTP/1.1\r\n${line}\r\n\r\n`)).headers,
    [["X-Long", "v".repeat(HEAD_LIMITS.lineBytes - 8)]],
  );
});

const GET = `GET ${URL_A} HTTP/1.1`;

Deno.test("parseRequestHead() refuses malformed heads with the right status", () => {
  const many = Array.from({ length: HEAD_LIMITS.headerCount + 1 }, (_, i) => `X-${i}: v\r\n`);
  const filler = (n: number) =>
    Array.from({ length: n }, (_, i) => `X-F${i}: ${"a".repeat(8000)}\r\n`).join("");
  const cases: Array<[string, string, number]> = [
    ["a bare LF between fields", `${GET}\r\nHost: a\nX: y\r\n\r\n`, 400],
    ["a bare LF after the request line", `${GET}\nHost: a\r\n\r\n`, 400],
    ["a bare CR inside a field", `${GET}\r\nHost: a\rX: y\r\n\r\n`, 400],
    ["obs-fold (a continuation line)", `${GET}\r\nX-A: a\r\n  folded\r\n\r\n`, 400],
    ["obs-fold with a tab", `${GET}\r\nX-A: a\r\n\tfolded\r\n\r\n`, 400],
    ["whitespace before the first field", `${GET}\r\n Host: a\r\n\r\n`, 400],
    ["a space before the colon", `${GET}\r\nHost : a\r\n\r\n`, 400],
    ["a tab before the colon", `${GET}\r\nHost\t: a\r\n\r\n`, 400],
    ["a field without a colon", `${GET}\r\nHost a\r\n\r\n`, 400],
    ["an empty field name", `${GET}\r\n: a\r\n\r\n`, 400],
    ["a field name with a separator", `${GET}\r\nX(y): a\r\n\r\n`, 400],
    ["a NUL in a value", `${GET}\r\nX-A: a\x00b\r\n\r\n`, 400],
    ["a control character in a value", `${GET}\r\nX-A: a\x01b\r\n\r\n`, 400],
    ["DEL in a value", `${GET}\r\nX-A: a\x7fb\r\n\r\n`, 400],
    ["an escape in a value", `${GET}\r\nX-A: \x1b[31m\r\n\r\n`, 400],
    ["a method with a separator", `G(ET ${URL_A} HTTP/1.1\r\n\r\n`, 400],
    ["a method with a non-ASCII byte", `G\xc9T ${URL_A} HTTP/1.1\r\n\r\n`, 400],
    ["an empty method", ` ${URL_A} HTTP/1.1\r\n\r\n`, 400],
    ["a request line of two parts", `GET ${URL_A}\r\n\r\n`, 400],
    ["a request line of one part", "GARBAGE\r\n\r\n", 400],
    ["an empty request line", "\r\n\r\n", 400],
    ["two spaces in the request line", `GET  ${URL_A} HTTP/1.1\r\n\r\n`, 400],
    ["a trailing space in the request line", `GET ${URL_A} HTTP/1.1 \r\n\r\n`, 400],
    ["a space inside the target", `GET http://a/b c HTTP/1.1\r\n\r\n`, 400],
    ["tabs in the request line", `GET\t${URL_A}\tHTTP/1.1\r\n\r\n`, 400],
    ["a control character in the target", `GET http://a/\x01 HTTP/1.1\r\n\r\n`, 400],
    ["a non-ASCII byte in the target", `GET http://a/\xe9 HTTP/1.1\r\n\r\n`, 400],
    ["HTTP/2.0", `GET ${URL_A} HTTP/2.0\r\n\r\n`, 505],
    ["HTTP/3.0", `GET ${URL_A} HTTP/3.0\r\n\r\n`, 505],
    ["a lower-case version", `GET ${URL_A} http/1.1\r\n\r\n`, 400],
    ["a version without a minor", `GET ${URL_A} HTTP/1\r\n\r\n`, 400],
    ["a garbage version", `GET ${URL_A} HTTP/1.1x\r\n\r\n`, 400],
    ["a version that is not HTTP", `GET ${URL_A} FTP/1.1\r\n\r\n`, 400],
    ["more than 100 fields", `${GET}\r\n${many.join("")}\r\n`, 431],
    ["a field line over 8 KiB", `${GET}\r\nX-Long: ${"v".repeat(8192)}\r\n\r\n`, 431],
    ["a request line over 8 KiB", `GET http://a/${"p".repeat(8192)} HTTP/1.1\r\n\r\n`, 431],
    // Five 8 KiB fields: each line and the count are within limits, the head (40 KiB) is not.
    ["a head over the 32 KiB head limit", `${GET}\r\n${filler(5)}\r\n`, 431],
  ];
  for (const [label, head, status] of cases) {
    throwsStatus(() => parseRequestHead(stringBytes(head)), status, label);
  }
});

Deno.test("parseRequestHead() only ever throws HttpError, on any bytes", () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.string({
      unit: fc.constantFrom(..."GET http:/a HTTP1.0\r\n: \t\x00\x7f\xe9,;".split("")),
      maxLength: 200,
    }).map(stringBytes),
  ).map((body) => {
    const head = new Uint8Array(body.length + 4);
    head.set(body);
    head.set([13, 10, 13, 10], body.length);
    return head;
  });
  fc.assert(
    fc.property(bytes, (head) => {
      try {
        const parsed = parseRequestHead(head);
        ok(parsed.version === "HTTP/1.1" || parsed.version === "HTTP/1.0");
      } catch (error) {
        ok(error instanceof HttpError, String(error));
        ok([400, 431, 505].includes(error.status), String(error.status));
      }
    }),
    { numRuns: 2000, seed: SEED },
  );
});

Deno.test("serializeHead() output parses back to the same fields", () => {
  const fields: HeaderField[] = [["Host", "a.example"], ["X-A", "1, 2"], ["x-b", ""]];
  const head = serializeHead(`GET ${URL_A} HTTP/1.1`, fields);
  deepEqual(parseRequestHead(head), {
    method: "GET",
    target: URL_A,
    version: "HTTP/1.1",
    headers: fields,
  });
});

// ---------------------------------------------------------------- requestFraming

Deno.test("requestFraming() reads Content-Length and chunked framing", () => {
  const cases: Array<[string, RequestHead, BodyFraming]> = [
    ["no framing fields", request([]), { kind: "none" }],
    ["Content-Length: 0", request([["Content-Length", "0"]]), { kind: "none" }],
    ["Content-Length: 10", request([["Content-Length", "10"]]), { kind: "length", length: 10 }],
    ["Content-Length: 1,1", request([["Content-Length", "1,1"]]), { kind: "length", length: 1 }],
    [
      "the same Content-Length twice",
      request([["content-length", "5"], ["Content-Length", " 5 "]]),
      { kind: "length", length: 5 },
    ],
    ["Transfer-Encoding: chunked", request([["Transfer-Encoding", "chunked"]]), {
      kind: "chunked",
    }],
    ["Transfer-Encoding: Chunked", request([["transfer-encoding", "Chunked"]]), {
      kind: "chunked",
    }],
    [
      "the largest safe Content-Length",
      request([["Content-Length", String(Number.MAX_SAFE_INTEGER)]]),
      { kind: "length", length: Number.MAX_SAFE_INTEGER },
    ],
  ];
  for (const [label, head, framing] of cases) deepEqual(requestFraming(head), framing, label);
});

Deno.test("requestFraming() refuses smuggling shapes and unsupported codings", () => {
  const cases: Array<[string, RequestHead, number]> = [
    [
      "Content-Length with Transfer-Encoding",
      request([["Content-Length", "5"], ["Transfer-Encoding", "chunked"]]),
      400,
    ],
    [
      "Transfer-Encoding with Content-Length: 0",
      request([["Transfer-Encoding", "chunked"], ["Content-Length", "0"]]),
      400,
    ],
    [
      "Transfer-Encoding in HTTP/1.0",
      request([["Transfer-Encoding", "chunked"]], "HTTP/1.0"),
      400,
    ],
    ["Transfer-Encoding: gzip, chunked", request([["Transfer-Encoding", "gzip, chunked"]]), 501],
    [
      "Transfer-Encoding: chunked, identity",
      request([["Transfer-Encoding", "chunked, identity"]]),
      501,
    ],
    [
      "chunked twice, in two fields",
      request([["Transfer-Encoding", "chunked"], ["Transfer-Encoding", "chunked"]]),
      501,
    ],
    ["Transfer-Encoding: identity", request([["Transfer-Encoding", "identity"]]), 501],
    ["an empty Transfer-Encoding", request([["Transfer-Encoding", ""]]), 501],
    ["Content-Length: 1, 2", request([["Content-Length", "1, 2"]]), 400],
    [
      "two different Content-Length fields",
      request([
        ["Content-Length", "1"],
        ["Content-Length", "2"],
      ]),
      400,
    ],
    ["Content-Length: -1", request([["Content-Length", "-1"]]), 400],
    ["Content-Length: +1", request([["Content-Length", "+1"]]), 400],
    ["Content-Length: 0x10", request([["Content-Length", "0x10"]]), 400],
    ["Content-Length: 1.0", request([["Content-Length", "1.0"]]), 400],
    ["Content-Length: 1e3", request([["Content-Length", "1e3"]]), 400],
    ["an empty Content-Length", request([["Content-Length", ""]]), 400],
    ["Content-Length: 1,,1", request([["Content-Length", "1,,1"]]), 400],
    ["a Content-Length past 2^53", request([["Content-Length", "9007199254740993"]]), 400],
    ["a 17-digit Content-Length", request([["Content-Length", "10000000000000000"]]), 400],
  ];
  for (const [label, head, status] of cases) {
    throwsStatus(() => requestFraming(head), status, label);
  }
});

// ---------------------------------------------------------------- responseFraming

Deno.test("responseFraming() follows the status, the method and the framing fields", () => {
  const length10: HeaderField[] = [["Content-Length", "10"]];
  const cases: Array<[string, ResponseHead, string, BodyFraming]> = [
    ["a response to HEAD", responseHead(200, length10), "HEAD", { kind: "none" }],
    ["204 No Content", responseHead(204, length10), "GET", { kind: "none" }],
    ["304 Not Modified", responseHead(304, length10), "GET", { kind: "none" }],
    ["100 Continue", responseHead(100), "POST", { kind: "none" }],
    ["103 Early Hints", responseHead(103, length10), "GET", { kind: "none" }],
    ["199", responseHead(199), "GET", { kind: "none" }],
    ["chunked", responseHead(200, [["Transfer-Encoding", "chunked"]]), "GET", {
      kind: "chunked",
    }],
    [
      "gzip, then chunked",
      responseHead(200, [["Transfer-Encoding", "gzip, chunked"]]),
      "GET",
      { kind: "chunked" },
    ],
    [
      "chunked wins over Content-Length",
      responseHead(200, [["Transfer-Encoding", "chunked"], ["Content-Length", "3"]]),
      "GET",
      { kind: "chunked" },
    ],
    [
      "a coding that is not last-chunked reads until close",
      responseHead(200, [["Transfer-Encoding", "chunked, gzip"]]),
      "GET",
      { kind: "close" },
    ],
    ["no framing fields reads until close", responseHead(200), "GET", { kind: "close" }],
    ["Content-Length: 0", responseHead(200, [["Content-Length", "0"]]), "GET", { kind: "none" }],
    ["Content-Length: 10", responseHead(200, length10), "GET", { kind: "length", length: 10 }],
    ["a 404 with a body", responseHead(404, length10), "POST", { kind: "length", length: 10 }],
  ];
  for (const [label, head, method, framing] of cases) {
    deepEqual(responseFraming(head, method), framing, label);
  }
});

Deno.test("responseFraming() answers 502 for an invalid upstream Content-Length", () => {
  throwsStatus(
    () => responseFraming(responseHead(200, [["Content-Length", "x"]]), "GET"),
    502,
    "Content-Length: x",
  );
  throwsStatus(
    () => responseFraming(responseHead(200, [["Content-Length", "1, 2"]]), "GET"),
    502,
    "Content-Length: 1, 2",
  );
});

// ---------------------------------------------------------------- relayBody

Deno.test("relayBody() passes a chunked body with extensions and trailers through unchanged", async () => {
  const body = '5;name=value\r\nhello\r\n6 ; ext ; q="a b"\r\n world\r\n' +
    "A\r\n0123456789\r\nb\r\nabcdefghijk\r\n000;last\r\nExpires: never\r\nX-T: 1\r\n\r\n";
  for (const sizes of [[Infinity], [1], [4, 9]]) {
    const reader = new BufferedReader(new SplitStream(`${body}NEXT`, sizes), 8);
    deepEqual(await relay(reader, { kind: "chunked" }), { count: body.length, out: body });
    equal(await rest(reader), "NEXT", `pieces of ${sizes}`);
  }
});

Deno.test("relayBody() refuses invalid chunks with the given status", async () => {
  const cases: Array<[string, string]> = [
    ["a size that is not hex", "zz\r\nhello\r\n0\r\n\r\n"],
    ["an empty size line", "\r\nhello\r\n0\r\n\r\n"],
    ["a negative size", "-5\r\nhello\r\n0\r\n\r\n"],
    ["a 0x prefix", "0x5\r\nhello\r\n0\r\n\r\n"],
    ["16 hex digits", "0000000000000005\r\nhello\r\n0\r\n\r\n"],
    ["a huge size of 16 digits", "ffffffffffffffff\r\nhello\r\n0\r\n\r\n"],
    ["a bare LF after the size", "5\nhello\r\n0\r\n\r\n"],
    ["a bare CR inside the extension", "5;a\rb\r\nhello\r\n0\r\n\r\n"],
    ["no CRLF after the chunk data", "5\r\nhelloXX0\r\n\r\n"],
    ["a bare LF after the chunk data", "5\r\nhello\n0\r\n\r\n"],
    ["more data than the size", "3\r\nhello\r\n0\r\n\r\n"],
    ["a size line over the line limit", `5;${"e".repeat(HEAD_LIMITS.lineBytes)}\r\nhello\r\n`],
    ["a bare LF in the trailer", "5\r\nhello\r\n0\r\nX-T: 1\n\r\n"],
    [
      "a trailer line over the line limit",
      `0\r\nX-T: ${"t".repeat(HEAD_LIMITS.lineBytes)}\r\n\r\n`,
    ],
  ];
  for (const [label, body] of cases) {
    for (const status of [400, 502]) {
      const reader = new BufferedReader(new SplitStream(body, [3]));
      await rejectsStatus(relay(reader, { kind: "chunked" }, status), status, label);
    }
  }
});

Deno.test("relayBody() throws ConnectionClosed when a chunked body ends early", async () => {
  const bodies = ["5\r", "5\r\nhel", "5\r\nhello", "5\r\nhello\r", "5\r\nhello\r\n", "0\r\nX: y"];
  for (const body of bodies) {
    const reader = new BufferedReader(new SplitStream(body));
    await rejects(relay(reader, { kind: "chunked" }), ConnectionClosed, JSON.stringify(body));
  }
});

Deno.test("relayBody() relays exactly Content-Length bytes and leaves the rest", async () => {
  const reader = new BufferedReader(new SplitStream("0123456789NEXT", [3]), 4);
  deepEqual(await relay(reader, { kind: "length", length: 10 }), { count: 10, out: "0123456789" });
  equal(await rest(reader), "NEXT");
  await rejects(
    relay(new BufferedReader(new SplitStream("0123")), { kind: "length", length: 10 }),
    ConnectionClosed,
  );
});

Deno.test("relayBody() reads a close-delimited body to the end and no body for none", async () => {
  const reader = new BufferedReader(new SplitStream("all of it\r\n\r\nand more", [5]));
  deepEqual(await relay(reader, { kind: "close" }), {
    count: 21,
    out: "all of it\r\n\r\nand more",
  });
  const untouched = new SplitStream("GET http://a/ HTTP/1.1\r\n\r\n");
  deepEqual(await relay(new BufferedReader(untouched), { kind: "none" }), { count: 0, out: "" });
  equal(untouched.reads, 0);
});

Deno.test("relayBody() reproduces any chunked encoding from any read split", async () => {
  const encoding = fc.record({
    body: fc.uint8Array({ maxLength: 600 }),
    cuts: fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 10 }),
    upper: fc.boolean(),
    zeros: fc.integer({ min: 0, max: 3 }),
    extension: fc.constantFrom("", ";a", ";a=b", ' ;q="x y"', "\t;n=1;m"),
    trailers: fc.array(fc.stringMatching(/^[A-Za-z-]{1,8}: [\x21-\x7e]{0,10}$/), {
      maxLength: 3,
    }),
  }).map(({ body, cuts, upper, zeros, extension, trailers }) => {
    let encoded = "";
    let offset = 0;
    for (let i = 0; offset < body.length; i++) {
      const size = Math.min(cuts[i % cuts.length]!, body.length - offset);
      const hex = "0".repeat(zeros) + size.toString(16);
      encoded += `${upper ? hex.toUpperCase() : hex}${extension}\r\n`;
      encoded += `${text(body.subarray(offset, offset + size))}\r\n`;
      offset += size;
    }
    return `${encoded}0${extension}\r\n${trailers.map((t) => `${t}\r\n`).join("")}\r\n`;
  });
  const sizes = fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 });
  await fc.assert(
    fc.asyncProperty(
      encoding,
      sizes,
      fc.integer({ min: 1, max: 64 }),
      async (encoded, sizes, bufferSize) => {
        const reader = new BufferedReader(new SplitStream(`${encoded}NEXT`, sizes), bufferSize);
        deepEqual(await relay(reader, { kind: "chunked" }), {
          count: encoded.length,
          out: encoded,
        });
        equal(await rest(reader), "NEXT");
      },
    ),
    { numRuns: 300, seed: SEED },
  );
});

// ---------------------------------------------------------------- withoutHopByHop

Deno.test("withoutHopByHop() drops hop-by-hop fields and the names Connection lists", () => {
  const headers: HeaderField[] = [
    ["Host", "a.example"],
    ["Connection", "X-Secret, close"],
    ["connection", "X-Other"],
    ["x-secret", "1"],
    ["X-OTHER", "2"],
    ["Keep-Alive", "timeout=5"],
    ["Proxy-Connection", "keep-alive, X-Via-Proxy"],
    ["X-Via-Proxy", "3"],
    ["Proxy-Authorization", "Basic dTpw"],
    ["TE", "trailers"],
    ["Trailer", "Expires"],
    ["Upgrade", "websocket"],
    ["Accept", "*/*"],
    ["X-Secretive", "kept: only the exact name is listed"],
  ];
  deepEqual(withoutHopByHop(headers), [
    ["Host", "a.example"],
    ["Accept", "*/*"],
    ["X-Secretive", "kept: only the exact name is listed"],
  ]);
  deepEqual(withoutHopByHop(headers, ["upgrade", "x-secret"]), [
    ["Host", "a.example"],
    ["x-secret", "1"],
    ["Upgrade", "websocket"],
    ["Accept", "*/*"],
    ["X-Secretive", "kept: only the exact name is listed"],
  ]);
  deepEqual(withoutHopByHop([]), []);
});
