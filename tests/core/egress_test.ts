import { deepEqual, equal, match, ok } from "node:assert/strict";
import fc from "fast-check";
import {
  type AddressClass,
  classifyAddress,
  type EgressRefusal,
  egressRefusal,
  type EgressSettings,
  parseIp,
  resolveForEgress,
} from "../../core/egress.ts";

const CLOSED: EgressSettings = { allowLoopback: false, allowPrivate: false };
const OPEN: EgressSettings = { allowLoopback: true, allowPrivate: true };
const CLASSES: AddressClass[] = [
  "public",
  "loopback",
  "private",
  "link-local",
  "metadata",
  "unspecified",
  "multicast",
  "broadcast",
  "reserved",
  "invalid",
];

const CASES: Record<AddressClass, string[]> = {
  metadata: [
    "169.254.169.254",
    "169.254.170.2",
    "169.254.170.23",
    "169.254.0.23",
    "169.254.42.42",
    "100.100.100.200",
    "168.63.129.16",
    "192.0.0.192",
    "fd00:ec2::254",
    "FD00:0EC2:0000:0000:0000:0000:0000:0254",
    "[fd00:ec2::254]",
    "fd00:ec2::23",
    "fd20:ce::254",
    "fd00:c1::a9fe:a9fe",
    "fd00:42::42",
  ],
  "link-local": [
    "169.254.0.1",
    "169.254.169.123",
    "169.254.169.253",
    "169.254.255.255",
    "fe80::1",
    "fe80::1%eth0",
    "[fe80::1%25eth0]",
    "febf:ffff::1",
    "fd00:ec2::123",
    "fd00:ec2::253",
  ],
  loopback: ["127.0.0.1", "127.255.255.254", "::1", "0:0:0:0:0:0:0:1", "[::1]", "::1%lo"],
  private: [
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "100.64.0.1",
    "100.127.255.255",
    "198.18.0.1",
    "198.19.255.255",
    "fc00::1",
    "fd12:3456:789a::1",
    "fec0::1",
    "2001:2::1",
    "64:ff9b:1::808:808",
  ],
  unspecified: ["0.0.0.0", "0.1.2.3", "::", "0:0:0:0:0:0:0:0", "[::]"],
  multicast: ["224.0.0.1", "239.255.255.255", "ff02::1", "ff05::1:3", "FF0E::1"],
  broadcast: ["255.255.255.255"],
  reserved: [
    "240.0.0.1",
    "255.255.255.254",
    "192.0.0.1",
    "192.0.2.1",
    "198.51.100.1",
    "203.0.113.9",
    "192.88.99.1",
    "2001:db8::1",
    "3fff::1",
    "100::1",
    "2001:10::1",
    "2001:20::1",
    "::2:3:4:5",
    "4000::1",
    "5f00::1",
  ],
  public: [
    "8.8.8.8",
    "1.1.1.1",
    "9.255.255.255",
    "11.0.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "169.253.255.255",
    "172.15.255.255",
    "172.32.0.0",
    "192.167.255.255",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
    "2606:4700::1111",
    "2001:4860:4860::8888",
    "2001:1::1",
    "2620:4f:8000::1",
  ],
  invalid: [
    "",
    "localhost",
    "example.com",
    "2852039166",
    "0xa9fea9fe",
    "0251.0376.0251.0376",
    "169.254.43518",
    "01.2.3.4",
    "1.2.3.4\0",
    "::1\0",
    "1".repeat(5000),
  ],
};

Deno.test("classifyAddress puts each address in its class", () => {
  for (const [expected, addresses] of Object.entries(CASES)) {
    for (const address of addresses) {
      equal(classifyAddress(address), expected, JSON.stringify(address));
    }
  }
});

// [address, class, embedded IPv4 the refusal names (when the embedded class decides)]
const EMBEDDED: Array<[string, AddressClass, string?]> = [
  ["::ffff:169.254.169.254", "metadata", "IPv4-mapped 169.254.169.254"],
  ["[::ffff:169.254.169.254]", "metadata", "IPv4-mapped 169.254.169.254"],
  ["::ffff:a9fe:a9fe", "metadata", "IPv4-mapped 169.254.169.254"],
  ["0:0:0:0:0:FFFF:A9FE:A9FE", "metadata", "IPv4-mapped 169.254.169.254"],
  ["::ffff:100.100.100.200", "metadata", "IPv4-mapped 100.100.100.200"],
  ["::ffff:127.0.0.1", "loopback", "IPv4-mapped 127.0.0.1"],
  ["::ffff:7f00:1", "loopback", "IPv4-mapped 127.0.0.1"],
  ["::ffff:10.0.0.1", "private", "IPv4-mapped 10.0.0.1"],
  ["::ffff:0.0.0.0", "unspecified", "IPv4-mapped 0.0.0.0"],
  ["::ffff:255.255.255.255", "broadcast", "IPv4-mapped 255.255.255.255"],
  ["::ffff:8.8.8.8", "public"],
  // IPv4-compatible (deprecated, reserved space): refused, named by the IPv4 when that is worse.
  ["::169.254.169.254", "metadata", "IPv4-compatible 169.254.169.254"],
  ["::a9fe:a9fe", "metadata", "IPv4-compatible 169.254.169.254"],
  ["::127.0.0.1", "reserved"],
  ["::8.8.8.8", "reserved"],
  // IPv4-translated (SIIT)
  ["::ffff:0:169.254.169.254", "metadata", "IPv4-translated 169.254.169.254"],
  ["::ffff:0:8.8.8.8", "reserved"],
  // NAT64 well-known prefix
  ["64:ff9b::169.254.169.254", "metadata", "NAT64 169.254.169.254"],
  ["64:ff9b::a9fe:a9fe", "metadata", "NAT64 169.254.169.254"],
  ["64:ff9b::7f00:1", "loopback", "NAT64 127.0.0.1"],
  ["64:ff9b::a00:1", "private", "NAT64 10.0.0.1"],
  ["64:ff9b::808:808", "public"],
  // NAT64 local-use prefix: private itself, every RFC 6052 position read
  ["64:ff9b:1::a9fe:a9fe", "metadata", "NAT64 /96 169.254.169.254"],
  ["64:ff9b:1:a9fe:a9:fe00::", "metadata", "NAT64 /48 169.254.169.254"],
  ["64:ff9b:1:7f:0:1::", "loopback", "NAT64 /56 127.0.0.1"],
  ["64:ff9b:1:0:7f:0:100:0", "loopback", "NAT64 /64 127.0.0.1"],
  ["64:ff9b:1:5d:b8:d70e::", "private"], // 93.184.215.14 at /56; the zero padding is no address
  ["64:ff9b:1::", "private"],
  // 6to4
  ["2002:a9fe:a9fe::1", "metadata", "6to4 169.254.169.254"],
  ["2002:7f00:1::", "loopback", "6to4 127.0.0.1"],
  ["2002:0a00:0001::", "private", "6to4 10.0.0.1"],
  ["2002:e000:1::", "multicast", "6to4 224.0.0.1"],
  ["2002:808:808::1", "public"],
  // Teredo: server 65.54.227.120, client inverted in the last 32 bits
  ["2001:0:4136:e378:8000:63bf:5601:5601", "metadata", "Teredo client 169.254.169.254"],
  ["2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback", "Teredo client 127.0.0.1"],
  ["2001:0:7f00:1:8000:63bf:f7f7:f7f7", "loopback", "Teredo server 127.0.0.1"],
  ["2001:0000:4136:e378:8000:63bf:3fff:fdd2", "reserved", "Teredo client 192.0.2.45"], // RFC 4380
  ["2001:0:4136:e378:8000:63bf:f7f7:f7f7", "public"],
  // ISATAP interface ids
  ["fe80::5efe:a9fe:a9fe", "metadata", "ISATAP 169.254.169.254"],
  ["2001:4860:1:2:0:5efe:7f00:1", "loopback", "ISATAP 127.0.0.1"],
  ["2001:4860:1:2:200:5efe:808:808", "public"],
];

Deno.test("classifyAddress reads the IPv4 inside every IPv6 form that carries one", () => {
  for (const [address, expected, via] of EMBEDDED) {
    equal(classifyAddress(address), expected, address);
    const refusal = egressRefusal(address, CLOSED);
    if (via) ok(refusal?.detail.includes(`(${via})`), `${address}: ${refusal?.detail}`);
  }
});

Deno.test("egressRefusal refuses the always-refused classes whatever the settings", () => {
  const always: AddressClass[] = [
    "metadata",
    "link-local",
    "unspecified",
    "multicast",
    "broadcast",
    "reserved",
    "invalid",
  ];
  for (const addressClass of always) {
    for (const address of CASES[addressClass]) {
      const refusal = egressRefusal(address, OPEN);
      equal(refusal?.addressClass, addressClass, address);
      equal(refusal?.overridable, false, address);
      equal(refusal?.reason, addressClass === "invalid" ? "invalid_address" : "always_refused");
      match(refusal?.detail ?? "", /^Cannot reach .*(never allowed|not an IP address)/);
    }
  }
});

Deno.test("egressRefusal lets loopback and private through only when the settings say so", () => {
  const table: Array<[string, EgressSettings, EgressRefusal["reason"] | undefined]> = [
    ["127.0.0.1", CLOSED, "loopback_not_allowed"],
    ["127.0.0.1", { allowLoopback: true, allowPrivate: false }, undefined],
    ["127.0.0.1", { allowLoopback: false, allowPrivate: true }, "loopback_not_allowed"],
    ["::1", { allowLoopback: true, allowPrivate: false }, undefined],
    ["10.0.0.1", CLOSED, "private_not_allowed"],
    ["10.0.0.1", { allowLoopback: true, allowPrivate: false }, "private_not_allowed"],
    ["fd12::1", { allowLoopback: false, allowPrivate: true }, undefined],
    ["::ffff:192.168.0.1", { allowLoopback: false, allowPrivate: true }, undefined],
    ["8.8.8.8", CLOSED, undefined],
    ["2606:4700::1111", CLOSED, undefined],
  ];
  for (const [address, settings, reason] of table) {
    const refusal = egressRefusal(address, settings);
    equal(refusal?.reason, reason, `${address} ${JSON.stringify(settings)}`);
    if (refusal) {
      equal(refusal.overridable, true);
      match(refusal.detail, reason === "loopback_not_allowed" ? /allowLoopback/ : /allowPrivate/);
    }
  }
  // A truthy non-boolean from an unchecked caller is not a yes.
  const loose = { allowLoopback: "yes", allowPrivate: 1 } as unknown as EgressSettings;
  equal(egressRefusal("127.0.0.1", loose)?.reason, "loopback_not_allowed");
});

Deno.test("egressRefusal names the canonical address", () => {
  equal(egressRefusal("[0:0:0:0:0:FFFF:A9FE:A9FE]", OPEN)?.address, "::ffff:169.254.169.254");
  equal(egressRefusal("FE80:0:0:0:0:0:0:1%eth0", OPEN)?.address, "fe80::1");
  equal(egressRefusal("x".repeat(1000), OPEN)?.address.length, 128);
});

Deno.test("parseIp writes RFC 5952 canonical text", () => {
  const table: Array<[string, string]> = [
    ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // first of two equal runs
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // the longest run
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single zero group stays
    ["2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["1:0:0:4:5:0:0:0", "1:0:0:4:5::"],
    ["::ffff:a9fe:a9fe", "::ffff:169.254.169.254"], // RFC 5952 §5
    ["::ffff:0:0", "::ffff:0.0.0.0"],
    ["::1.2.3.4", "::102:304"],
    ["[::1]", "::1"],
    ["fe80::1%eth0", "fe80::1"],
    ["[fe80::1%25en0]", "fe80::1"],
    ["::", "::"],
    ["10.0.0.1", "10.0.0.1"],
  ];
  for (const [text, canonical] of table) equal(parseIp(text)?.canonical, canonical, text);
  deepEqual(parseIp("10.0.0.1"), {
    version: 4,
    canonical: "10.0.0.1",
    bytes: Uint8Array.of(10, 0, 0, 1),
  });
  equal(parseIp("::1")?.version, 6);
  deepEqual(parseIp("::1")?.bytes, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
});

Deno.test("parseIp refuses whatever is not a canonical dotted quad or RFC 4291 IPv6", () => {
  const refused = [
    "",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1.2.3.4\n",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.4.",
    "01.2.3.4",
    "256.1.1.1",
    "1.2.3.-1",
    "2852039166",
    "0xa9fea9fe",
    "0xa9.0xfe.0xa9.0xfe",
    "0251.0376.0251.0376",
    "169.254.43518",
    "١٢٧.0.0.1",
    "[1.2.3.4]",
    "1.2.3.4%eth0",
    ":",
    ":::",
    "1::2::3",
    ":1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "12345::",
    "g::1",
    "::1.2.3",
    "::1.2.3.04",
    "::256.1.1.1",
    "1.2.3.4::",
    "::1.2.3.4:5",
    "1:2:3:4:5:6:7:1.2.3.4",
    "[::1",
    "::1]",
    "[[::1]]",
    "fe80::1%",
    "fe80::1%eth 0",
    "fe80::1%a%b",
    `fe80::1%${"z".repeat(65)}`,
    "::1\0",
    "1".repeat(1000),
  ];
  for (const text of refused) equal(parseIp(text), undefined, JSON.stringify(text));
  equal(parseIp(undefined as unknown as string), undefined);
  equal(classifyAddress(42 as unknown as string), "invalid");
});

Deno.test("the URL parser turns other IPv4 spellings into the dotted quad the proxy passes", () => {
  for (const spelling of ["2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518"]) {
    const { hostname } = new URL(`http://${spelling}/latest/meta-data/`);
    equal(hostname, "169.254.169.254");
    equal(classifyAddress(hostname), "metadata");
  }
  equal(classifyAddress(new URL("http://[::ffff:169.254.169.254]/").hostname), "metadata");
});

// --- properties ---

const hex = (value: number) => value.toString(16);
const groupsOf = (bytes: Uint8Array) =>
  Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
/** 16 bytes, often with runs of zero groups so that "::" has something to stand for. */
const ipv6Bytes = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
  minLength: 8,
  maxLength: 8,
}).map((groups) => Uint8Array.from(groups.flatMap((group) => [group >> 8, group & 0xff])));

/** Writes 16 bytes with "::" over the zero run starting at `at` (any run, not only the longest). */
function compressAt(bytes: Uint8Array, at: number, upper: boolean): string {
  const groups = groupsOf(bytes).map(hex);
  let end = at;
  while (end < 8 && groups[end] === "0") end++;
  const text = end > at
    ? `${groups.slice(0, at).join(":")}::${groups.slice(end).join(":")}`
    : groups.join(":");
  return upper ? text.toUpperCase() : text;
}

Deno.test("an IPv4 address and its IPv4-mapped IPv6 forms classify the same (property)", () => {
  fc.assert(
    fc.property(fc.ipV4(), (v4) => {
      const bytes = parseIp(v4)!.bytes;
      const words = `${hex(((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0))}:${
        hex(((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0))
      }`;
      const expected = classifyAddress(v4);
      equal(classifyAddress(`::ffff:${v4}`), expected);
      equal(classifyAddress(`[::ffff:${words}]`), expected);
      equal(classifyAddress(`0:0:0:0:0:ffff:${v4}`), expected);
      // Prefixes that only carry an IPv4 address take its class exactly.
      equal(classifyAddress(`64:ff9b::${v4}`), expected);
      equal(classifyAddress(`2002:${words}::1`), expected);
      const inverted = Array.from(bytes, (b) => b ^ 0xff);
      const client = `${hex(((inverted[0] ?? 0) << 8) | (inverted[1] ?? 0))}:${
        hex(((inverted[2] ?? 0) << 8) | (inverted[3] ?? 0))
      }`;
      equal(classifyAddress(`2001:0:4136:e378:8000:63bf:${client}`), expected);
    }),
    { numRuns: 3000 },
  );
});

Deno.test("IPv6 in full, compressed or URL-parsed form classifies the same (property)", () => {
  fc.assert(
    fc.property(ipv6Bytes, fc.nat(7), fc.boolean(), (bytes, at, upper) => {
      const full = groupsOf(bytes).map((group) => hex(group).padStart(4, "0")).join(":");
      const canonical = parseIp(full)!.canonical;
      const compressed = compressAt(bytes, at, upper);
      const whatwg = new URL(`http://[${compressed}]/`).hostname;
      const expected = classifyAddress(full);
      for (const form of [compressed, canonical, whatwg, `[${canonical}]`]) {
        deepEqual(parseIp(form)?.bytes, bytes, form);
        equal(parseIp(form)?.canonical, canonical, form);
        equal(classifyAddress(form), expected, form);
      }
    }),
    { numRuns: 3000 },
  );
});

Deno.test("parseIp(canonical) round-trips (property)", () => {
  const literal = fc.oneof(fc.ipV4(), fc.ipV6());
  fc.assert(
    fc.property(literal, (text) => {
      const parsed = parseIp(text);
      ok(parsed, text);
      deepEqual(parseIp(parsed.canonical), parsed);
      // The URL parser agrees on the bytes.
      const host = parsed.version === 6 ? `[${parsed.canonical}]` : parsed.canonical;
      deepEqual(parseIp(new URL(`http://${host}/`).hostname)?.bytes, parsed.bytes);
    }),
    { numRuns: 3000 },
  );
});

Deno.test("parseIp accepts an IPv4 spelling only if it is the dotted quad (property)", () => {
  fc.assert(
    fc.property(fc.ipV4Extended(), (spelling) => {
      const normal = new URL(`http://${spelling}/`).hostname;
      equal(parseIp(spelling)?.canonical, spelling === normal ? spelling : undefined, spelling);
      equal(parseIp(normal)?.canonical, normal);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("arbitrary text never throws and always gets a class (property)", () => {
  const codeUnit = fc.nat(0xffff).map((code) => String.fromCharCode(code));
  const near = fc.array(fc.constantFrom(..."0123456789abcdefABCDEF:.[]%x "), { maxLength: 50 })
    .map((chars) => chars.join(""));
  for (const text of [fc.string({ maxLength: 200 }), fc.string({ unit: codeUnit }), near]) {
    fc.assert(
      fc.property(text, (input) => {
        ok(CLASSES.includes(classifyAddress(input)));
        const parsed = parseIp(input);
        if (parsed) equal(parseIp(parsed.canonical)?.canonical, parsed.canonical);
        const refusal = egressRefusal(input, CLOSED);
        ok(refusal === undefined || refusal.detail.startsWith("Cannot reach "));
      }),
      { numRuns: 2000 },
    );
  }
});

// --- resolveForEgress ---

/** A resolver that answers from a table and records what it was asked. */
function fakeResolver(answers: Record<string, string[]>) {
  const asked: string[] = [];
  const resolve = (host: string) => {
    asked.push(host);
    const answer = answers[host];
    return answer ? Promise.resolve(answer) : Promise.reject(new Error(`NXDOMAIN ${host}`));
  };
  return { asked, resolve };
}

const DNS = {
  "api.example": ["10.0.0.7", "127.0.0.1", "93.184.215.14"],
  "internal.example": ["10.0.0.7", "127.0.0.1"],
  "local.example": ["127.0.0.1"],
  "rebind.example": ["93.184.215.14", "169.254.169.254"],
  "mapped.example": ["93.184.215.14", "::ffff:a9fe:a9fe"],
  "linklocal.example": ["fe80::1", "93.184.215.14"],
  "worst.example": ["fe80::1", "169.254.169.254"],
  "sinkhole.example": ["0.0.0.0", "93.184.215.14"],
  "broken.example": ["93.184.215.14", "not an address"],
  "empty.example": [],
  "v6.example": ["2606:4700:0:0:0:0:0:1111"],
  "2852039166": ["169.254.169.254"],
};

Deno.test("resolveForEgress returns the first allowed address of a name, canonical", async () => {
  const { resolve } = fakeResolver(DNS);
  deepEqual(await resolveForEgress("api.example", CLOSED, resolve), {
    address: "93.184.215.14",
    addressClass: "public",
  });
  deepEqual(
    await resolveForEgress("api.example", { allowLoopback: false, allowPrivate: true }, resolve),
    { address: "10.0.0.7", addressClass: "private" },
  );
  deepEqual(
    await resolveForEgress("local.example", { allowLoopback: true, allowPrivate: false }, resolve),
    { address: "127.0.0.1", addressClass: "loopback" },
  );
  deepEqual(await resolveForEgress("v6.example", CLOSED, resolve), {
    address: "2606:4700::1111",
    addressClass: "public",
  });
});

Deno.test("resolveForEgress gives the first refusal when no address is allowed", async () => {
  const { resolve } = fakeResolver(DNS);
  const refusal = await resolveForEgress("internal.example", CLOSED, resolve) as EgressRefusal;
  equal(refusal.reason, "private_not_allowed");
  equal(refusal.address, "10.0.0.7");
  equal(refusal.overridable, true);
  match(refusal.detail, /internal\.example resolves to no allowed address/);
});

Deno.test("resolveForEgress refuses a name outright if any answer is always refused", async () => {
  const { resolve } = fakeResolver(DNS);
  const table: Array<[string, AddressClass, string, EgressRefusal["reason"]]> = [
    ["rebind.example", "metadata", "169.254.169.254", "hostile_name"],
    ["mapped.example", "metadata", "::ffff:169.254.169.254", "hostile_name"],
    ["linklocal.example", "link-local", "fe80::1", "hostile_name"],
    ["worst.example", "metadata", "169.254.169.254", "hostile_name"], // the worst answer is named
    ["sinkhole.example", "unspecified", "0.0.0.0", "hostile_name"],
    ["broken.example", "invalid", "not an address", "invalid_answer"],
    ["2852039166", "metadata", "169.254.169.254", "hostile_name"], // a name, not a literal
  ];
  for (const [host, addressClass, address, reason] of table) {
    const refusal = await resolveForEgress(host, OPEN, resolve) as EgressRefusal;
    deepEqual(
      [refusal.addressClass, refusal.address, refusal.reason, refusal.overridable],
      [addressClass, address, reason, false],
      host,
    );
    ok(refusal.detail.startsWith(`Cannot reach ${host}: it resolves to `), refusal.detail);
  }
});

Deno.test("resolveForEgress refuses when resolution fails or finds nothing", async () => {
  const { resolve } = fakeResolver(DNS);
  const nothing = await resolveForEgress("empty.example", OPEN, resolve) as EgressRefusal;
  deepEqual([nothing.reason, nothing.addressClass, nothing.address], [
    "no_addresses",
    "invalid",
    "",
  ]);
  match(nothing.detail, /^Cannot resolve empty\.example: the name has no addresses$/);

  const failed = await resolveForEgress("nowhere.example", OPEN, resolve) as EgressRefusal;
  equal(failed.reason, "resolution_failed");
  match(failed.detail, /resolution failed: NXDOMAIN nowhere\.example/);

  const thrown = await resolveForEgress("x.example", OPEN, () => {
    throw "not an Error";
  }) as EgressRefusal;
  equal(thrown.reason, "resolution_failed");
  match(thrown.detail, /resolution failed: not an Error/);

  const odd = () => Promise.resolve("1.2.3.4" as unknown as string[]);
  equal(
    (await resolveForEgress("x.example", OPEN, odd) as EgressRefusal).reason,
    "resolution_failed",
  );
});

Deno.test("resolveForEgress checks literal hosts without asking the resolver", async () => {
  const { asked, resolve } = fakeResolver(DNS);
  deepEqual(await resolveForEgress("93.184.215.14", CLOSED, resolve), {
    address: "93.184.215.14",
    addressClass: "public",
  });
  deepEqual(
    await resolveForEgress("[::1]", { allowLoopback: true, allowPrivate: false }, resolve),
    {
      address: "::1",
      addressClass: "loopback",
    },
  );
  const mapped = await resolveForEgress("[::ffff:a9fe:a9fe]", OPEN, resolve) as EgressRefusal;
  deepEqual([mapped.addressClass, mapped.address, mapped.reason], [
    "metadata",
    "::ffff:169.254.169.254",
    "always_refused",
  ]);
  equal(
    (await resolveForEgress("127.0.0.1", CLOSED, resolve) as EgressRefusal).reason,
    "loopback_not_allowed",
  );
  deepEqual(asked, []);
});

Deno.test("resolveForEgress refuses a host that is no literal and no name, unresolved", async () => {
  const { asked, resolve } = fakeResolver(DNS);
  for (
    const host of [
      "",
      " ",
      "a b",
      "evil.example/",
      "a..b",
      "x\0.example",
      "é.example",
      "a".repeat(64),
      `${"a.".repeat(127)}a`,
    ]
  ) {
    const refusal = await resolveForEgress(host, OPEN, resolve) as EgressRefusal;
    equal(refusal.reason, "invalid_host", JSON.stringify(host));
    equal(refusal.overridable, false);
  }
  deepEqual(asked, []);
});
