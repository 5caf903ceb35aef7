/**
 * The egress guard: what kind of address an outbound connection would reach (public, loopback,
 * cloud metadata, …), whether the egress settings allow it, and which resolved address to use.
 *
 * The proxy resolves a name itself, checks the answers here and connects to the exact `address`
 * returned, so there is no window for DNS rebinding. It must hand over the WHATWG URL parser's
 * `hostname`: that parser turns IPv4 spellings such as `2852039166`, `0xa9fea9fe`,
 * `0251.0376.0251.0376` or `169.254.43518` into `169.254.169.254`. This module accepts only the
 * canonical dotted quad as an IPv4 literal; any other spelling is a name for the resolver, whose
 * answers are classified in turn.
 * @module
 */

import { WatchtowerError } from "./errors.ts";

/** What an address reaches. Only `public` is always allowed; see {@link egressRefusal}. */
export type AddressClass =
  | "public"
  | "loopback"
  | "private"
  | "link-local"
  | "metadata"
  | "unspecified"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "invalid";

/** An IP literal as {@link parseIp} reads it. */
export interface IpLiteral {
  version: 4 | 6;
  /** Dotted quad, or RFC 5952 text for IPv6 (no brackets, zone dropped): what to connect to. */
  canonical: string;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

/** Which overridable classes the egress settings let through. */
export interface EgressSettings {
  allowLoopback: boolean;
  allowPrivate: boolean;
}

/** Why egress refused: a small fixed vocabulary (the specifics are in `detail`). */
export type EgressReason =
  | "always_refused"
  | "loopback_not_allowed"
  | "private_not_allowed"
  | "invalid_address"
  | "invalid_host"
  | "resolution_failed"
  | "no_addresses"
  | "invalid_answer"
  | "hostile_name";

/** A refused destination. */
export interface EgressRefusal {
  /** Class of the refused address (`invalid` when there was no usable address). */
  addressClass: AddressClass;
  /** The refused address (canonical when it parses); empty when resolution gave none. */
  address: string;
  reason: EgressReason;
  /** One line for people: what was refused, why, and the setting that would allow it. */
  detail: string;
  /** Whether a setting (`allowLoopback`, `allowPrivate`) would let the address through. */
  overridable: boolean;
}

/** Where the allowed destination is: connect to exactly this address. */
export interface EgressTarget {
  address: string;
  addressClass: AddressClass;
}

/**
 * Reads an IP literal: a canonical IPv4 dotted quad, or IPv6 in any RFC 4291 §2.2 form, with or
 * without brackets and a zone id (RFC 4007 §11). Returns undefined for anything else, including
 * IPv4 with leading zeros, fewer than four parts or hex (the URL parser's job, see the module doc).
 *
 * @example
 * ```ts
 * import { parseIp } from "./egress.ts";
 * import { equal } from "node:assert/strict";
 * equal(parseIp("[FE80:0:0::A9FE:A9FE%eth0]")?.canonical, "fe80::a9fe:a9fe");
 * equal(parseIp("0251.0376.0251.0376"), undefined);
 * ```
 */
export function parseIp(text: string): IpLiteral | undefined {
  if (typeof text !== "string" || text.length === 0 || text.length > 128) return undefined;
  const v4 = parseV4(text);
  if (v4) return { version: 4, canonical: text, bytes: v4 };
  let body = text;
  if (body.startsWith("[")) {
    if (!body.endsWith("]")) return undefined;
    body = body.slice(1, -1);
  }
  const percent = body.indexOf("%");
  if (percent !== -1) {
    // The zone only picks an interface; the address connected to is the canonical one without it.
    if (!/^[\w.~-]{1,64}$/.test(body.slice(percent + 1))) return undefined;
    body = body.slice(0, percent);
  }
  const bytes = parseV6(body);
  return bytes && { version: 6, canonical: formatV6(bytes), bytes };
}

/**
 * Classifies one IP literal (IPv4 dotted quad, IPv6 in any RFC 4291/5952 form, with or without
 * brackets and zone id). IPv6 forms that carry an IPv4 address get the more restrictive of the
 * two classes. Never throws: anything that is not an IP literal is `invalid`.
 *
 * @example
 * ```ts
 * import { classifyAddress } from "./egress.ts";
 * import { equal } from "node:assert/strict";
 * equal(classifyAddress("[::ffff:169.254.169.254]"), "metadata");
 * equal(classifyAddress("2002:7f00:1::"), "loopback"); // 6to4 around 127.0.0.1
 * equal(classifyAddress("8.8.8.8"), "public");
 * ```
 */
export function classifyAddress(ip: string): AddressClass {
  const parsed = parseIp(ip);
  return parsed ? classify(parsed.bytes).addressClass : "invalid";
}

/**
 * Decides whether `address` may be reached: undefined when it may, else why not. `metadata`,
 * `link-local`, `unspecified`, `multicast`, `broadcast`, `reserved` and `invalid` are always
 * refused; `loopback` unless `allowLoopback`, `private` unless `allowPrivate` (overridable).
 *
 * @example
 * ```ts
 * import { egressRefusal } from "./egress.ts";
 * import { equal } from "node:assert/strict";
 * const settings = { allowLoopback: false, allowPrivate: true };
 * equal(egressRefusal("10.1.2.3", settings), undefined);
 * equal(egressRefusal("127.0.0.1", settings)?.reason, "loopback_not_allowed");
 * equal(egressRefusal("169.254.169.254", settings)?.overridable, false);
 * ```
 */
export function egressRefusal(
  address: string,
  settings: EgressSettings,
): EgressRefusal | undefined {
  const parsed = parseIp(address);
  if (!parsed) {
    const shown = typeof address === "string" ? address.slice(0, 128) : "";
    return {
      addressClass: "invalid",
      address: shown,
      reason: "invalid_address",
      detail: `Cannot reach ${JSON.stringify(shown)}: not an IP address`,
      overridable: false,
    };
  }
  const { addressClass, via } = classify(parsed.bytes);
  const setting = addressClass === "loopback"
    ? "allowLoopback"
    : addressClass === "private"
    ? "allowPrivate"
    : undefined;
  if (addressClass === "public" || (setting && settings?.[setting] === true)) return undefined;
  const what = `${CLASS_TEXT[addressClass]}${via ? ` (${via})` : ""}`;
  return {
    addressClass,
    address: parsed.canonical,
    reason: setting === "allowLoopback"
      ? "loopback_not_allowed"
      : setting === "allowPrivate"
      ? "private_not_allowed"
      : "always_refused",
    detail: `Cannot reach ${parsed.canonical}: ${what}; ${
      setting ? `set ${setting} to allow it` : "never allowed"
    }`,
    overridable: setting !== undefined,
  };
}

/**
 * Resolves `host` (a name, or an IP literal that skips the resolver) and returns the first
 * address egress allows, or the refusal of the first one refused when none is. A name with any
 * always-refused address among its answers (metadata, link-local, …) is refused outright: such a
 * name is hostile or broken. Never rejects; a failing resolver ends in `resolution_failed`.
 * Bounding the resolver's time is the caller's job.
 *
 * @example
 * ```ts
 * import { resolveForEgress } from "./egress.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const settings = { allowLoopback: false, allowPrivate: false };
 * const dns = (answers: string[]) => () => Promise.resolve(answers);
 * const split = await resolveForEgress("api.example", settings, dns(["10.0.0.9", "9.9.9.9"]));
 * deepEqual(split, { address: "9.9.9.9", addressClass: "public" });
 * const evil = await resolveForEgress("evil.test", settings, dns(["8.8.8.8", "169.254.169.254"]));
 * equal("reason" in evil && evil.reason, "hostile_name");
 * ```
 */
export async function resolveForEgress(
  host: string,
  settings: EgressSettings,
  resolve: (host: string) => Promise<string[]>,
): Promise<EgressTarget | EgressRefusal> {
  const literal = typeof host === "string" ? parseIp(host) : undefined;
  if (literal) {
    const refusal = egressRefusal(literal.canonical, settings);
    return refusal ??
      { address: literal.canonical, addressClass: classifyAddress(literal.canonical) };
  }
  const failed = (reason: EgressReason, detail: string): EgressRefusal => ({
    addressClass: "invalid",
    address: "",
    reason,
    detail,
    overridable: false,
  });
  if (typeof host !== "string" || !HOST_NAME.test(host)) {
    const shown = JSON.stringify(typeof host === "string" ? host.slice(0, 256) : String(host));
    return failed("invalid_host", `Cannot resolve ${shown}: not a host name`);
  }
  let answers: unknown;
  try {
    answers = await resolve(host);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const message = text.replace(/\s+/g, " ").slice(0, 200); // one line, bounded
    return failed("resolution_failed", `Cannot resolve ${host}: resolution failed: ${message}`);
  }
  if (!Array.isArray(answers)) {
    return failed("resolution_failed", `Cannot resolve ${host}: the resolver gave no address list`);
  }
  if (answers.length === 0) {
    return failed("no_addresses", `Cannot resolve ${host}: the name has no addresses`);
  }
  const checked = answers.map((answer) => {
    const text = typeof answer === "string" ? answer : "";
    return { text, refusal: egressRefusal(text, settings) };
  });
  // Worst answer first: a metadata address among the answers is what the refusal names.
  const worst = checked
    .filter((c) => c.refusal && !c.refusal.overridable)
    .sort((a, b) => rank(a.refusal!.addressClass) - rank(b.refusal!.addressClass))[0]?.refusal;
  if (worst) {
    const invalid = worst.addressClass === "invalid";
    return {
      ...worst,
      reason: invalid ? "invalid_answer" : "hostile_name",
      detail: `Cannot reach ${host}: it resolves to ${
        invalid ? JSON.stringify(worst.address) : worst.address
      }, ${
        invalid ? "which is not an IP address" : CLASS_TEXT[worst.addressClass]
      }; a name with such an answer is refused whatever its other addresses`,
    };
  }
  const allowed = checked.find((c) => !c.refusal);
  if (allowed) {
    const canonical = parseIp(allowed.text)!.canonical;
    return { address: canonical, addressClass: classifyAddress(canonical) };
  }
  const first = checked[0]!.refusal!;
  return { ...first, detail: `${first.detail} (${host} resolves to no allowed address)` };
}

/** LDH labels (plus `_`, seen in real names), 1–63 bytes each, 253 in all, optional root dot. */
const HOST_NAME = /^(?=.{1,253}\.?$)[\w-]{1,63}(?:\.[\w-]{1,63})*\.?$/;

const CLASS_TEXT: Record<AddressClass, string> = {
  public: "a public address",
  loopback: "a loopback address (this host)",
  private: "a private-network address",
  "link-local": "a link-local address (host-internal services live there)",
  metadata: "a cloud instance-metadata endpoint (it hands out credentials)",
  unspecified: "the unspecified address (connecting to it reaches this host)",
  multicast: "a multicast address",
  broadcast: "the limited broadcast address",
  reserved: "a reserved or documentation address, not globally routable",
  invalid: "not an IP address",
};

/** Most restrictive first: where an IPv6 address and the IPv4 it carries differ, the first wins. */
const SEVERITY: readonly AddressClass[] = [
  "metadata",
  "link-local",
  "unspecified",
  "broadcast",
  "multicast",
  "reserved",
  "invalid", // after the real dangers, so a hostile answer is named before a garbled one
  "loopback",
  "private",
  "public",
];

function rank(addressClass: AddressClass): number {
  return SEVERITY.indexOf(addressClass);
}

// Decimal octets without leading zeros (RFC 3986 dec-octet): `010` is octal to inet_aton.
const DEC_OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const DOTTED_QUAD = new RegExp(`^${DEC_OCTET}\\.${DEC_OCTET}\\.${DEC_OCTET}\\.${DEC_OCTET}$`);

/**
 * Instance-metadata and platform endpoints: exact addresses, checked before any range. Several sit
 * in ranges that are refused anyway; listing them names the danger in the refusal.
 */
const METADATA = new Set([
  "169.254.169.254", // AWS, GCP, Azure, OCI, DigitalOcean, OpenStack IMDS
  "169.254.170.2", // AWS ECS task metadata and credentials
  "169.254.170.23", // AWS EKS Pod Identity agent
  "169.254.0.23", // Tencent Cloud metadata
  "169.254.42.42", // Scaleway metadata
  "100.100.100.200", // Alibaba Cloud metadata (inside 100.64.0.0/10)
  "168.63.129.16", // Azure WireServer (a public address, host-internal on Azure)
  "192.0.0.192", // Oracle Cloud Classic metadata (inside 192.0.0.0/24)
  "fd00:ec2::254", // AWS IMDS over IPv6
  "fd00:ec2::23", // AWS EKS Pod Identity agent over IPv6
  "fd20:ce::254", // GCP metadata over IPv6
  "fd00:c1::a9fe:a9fe", // OCI IMDS over IPv6
  "fd00:42::42", // Scaleway metadata over IPv6
]);

/** IPv4 ranges (RFC 6890 and the IANA special-purpose registry); the longest prefix wins. */
const V4_RANGES = compile(4, [
  ["0.0.0.0/8", "unspecified"], // RFC 1122 §3.2.1.3 "this network"; Linux routes 0.0.0.0 to lo
  ["10.0.0.0/8", "private"], // RFC 1918
  ["100.64.0.0/10", "private"], // RFC 6598 shared address space (carrier-grade NAT, Tailscale)
  ["127.0.0.0/8", "loopback"], // RFC 1122 §3.2.1.3
  ["169.254.0.0/16", "link-local"], // RFC 3927 (AWS time sync .169.123 and DNS .169.253 too)
  ["172.16.0.0/12", "private"], // RFC 1918
  ["192.0.0.0/24", "reserved"], // RFC 6890 §2.2.2 IETF protocol assignments
  ["192.0.2.0/24", "reserved"], // RFC 5737 TEST-NET-1
  ["192.88.99.0/24", "reserved"], // RFC 7526 deprecated 6to4 relay anycast
  ["192.168.0.0/16", "private"], // RFC 1918
  // RFC 2544 benchmarking: lab networks, and the "fake IP" answers of some local DNS proxies,
  // so private (allowPrivate lets it through) rather than always refused.
  ["198.18.0.0/15", "private"],
  ["198.51.100.0/24", "reserved"], // RFC 5737 TEST-NET-2
  ["203.0.113.0/24", "reserved"], // RFC 5737 TEST-NET-3
  ["224.0.0.0/4", "multicast"], // RFC 5771
  ["240.0.0.0/4", "reserved"], // RFC 1112 §4 class E
  ["255.255.255.255/32", "broadcast"], // RFC 919 / RFC 8190 limited broadcast
]);

/** Where an IPv6 address carries an IPv4 one, as byte offsets (and a mask it is XORed with). */
interface Embedding {
  label: string;
  at: readonly number[];
  xor?: number;
  /** One of several guessed layouts: a reading in 0.0.0.0/8 is another layout's zero padding. */
  guess?: boolean;
}

const LAST_32 = [12, 13, 14, 15];

/**
 * IPv6 ranges (RFC 4291, RFC 6890 and the IANA registries); the longest prefix wins. A null class
 * means the prefix only carries an IPv4 address and is classified by it alone.
 */
const V6_RANGES = compile(6, [
  ["::/128", "unspecified"], // RFC 4291 §2.5.2
  ["::1/128", "loopback"], // RFC 4291 §2.5.3
  ["::ffff:0:0/96", null, [{ label: "IPv4-mapped", at: LAST_32 }]], // RFC 4291 §2.5.5.2
  // Deprecated forms in reserved space: refused, and named by the IPv4 inside when that is worse.
  ["::/96", "reserved", [{ label: "IPv4-compatible", at: LAST_32 }]], // RFC 4291 §2.5.5.1
  ["::ffff:0:0:0/96", "reserved", [{ label: "IPv4-translated", at: LAST_32 }]], // RFC 2765
  ["::/8", "reserved"], // RFC 4291 §2.4: reserved by the IETF
  ["64:ff9b::/96", null, [{ label: "NAT64", at: LAST_32 }]], // RFC 6052 well-known prefix
  // RFC 8215 local-use NAT64 prefix: the operator picks the prefix length, so every RFC 6052 §2.2
  // position that fits inside a /48 is read (bits 64–71 are the "u" octet, skipped). No translator
  // sends to 0.0.0.0/8, so such a reading is taken as padding, not as an address.
  ["64:ff9b:1::/48", "private", [
    { label: "NAT64 /48", at: [6, 7, 9, 10], guess: true },
    { label: "NAT64 /56", at: [7, 9, 10, 11], guess: true },
    { label: "NAT64 /64", at: [9, 10, 11, 12], guess: true },
    { label: "NAT64 /96", at: LAST_32, guess: true },
  ]],
  ["100::/64", "reserved"], // RFC 6666 discard-only
  ["2001::/23", "reserved"], // RFC 2928 IETF protocol assignments (ORCHID, DETs: not routable)
  // RFC 4380 Teredo: server IPv4 in bits 32–63, client IPv4 in the last 32 bits, inverted.
  ["2001::/32", null, [
    { label: "Teredo server", at: [4, 5, 6, 7] },
    { label: "Teredo client", at: LAST_32, xor: 0xff },
  ]],
  ["2001:1::1/128", "public"], // RFC 7723 PCP anycast
  ["2001:1::2/128", "public"], // RFC 8155 TURN anycast
  ["2001:2::/48", "private"], // RFC 5180 benchmarking, private like 198.18.0.0/15
  ["2001:3::/32", "public"], // RFC 7450 AMT
  ["2001:4:112::/48", "public"], // RFC 7535 AS112
  ["2001:db8::/32", "reserved"], // RFC 3849 documentation
  ["2002::/16", null, [{ label: "6to4", at: [2, 3, 4, 5] }]], // RFC 3056
  ["3fff::/20", "reserved"], // RFC 9637 documentation
  ["fc00::/7", "private"], // RFC 4193 unique local
  // AWS instance-local services (IMDS, DNS ::253, time sync ::123), like 169.254.169.0/24.
  ["fd00:ec2::/32", "link-local"],
  ["fe80::/10", "link-local"], // RFC 4291 §2.5.6
  ["fec0::/10", "private"], // RFC 3879 deprecated site-local, the forerunner of fc00::/7
  ["ff00::/8", "multicast"], // RFC 4291 §2.7
  ["2000::/3", "public"], // RFC 4291 §2.4 global unicast
  ["::/0", "reserved"], // everything else is reserved by the IETF
]);

/** RFC 5214 ISATAP interface ids (`::0:5efe:a.b.c.d`, u/g bits free) tunnel to that IPv4. */
function isIsatap(b: Uint8Array): boolean {
  return ((b[8] ?? 0) & 0xfc) === 0 && b[9] === 0 && b[10] === 0x5e && b[11] === 0xfe;
}

function classify(b: Uint8Array): { addressClass: AddressClass; via: string } {
  if (b.length === 4) {
    return { addressClass: classifyV4(b), via: "" };
  }
  if (METADATA.has(formatV6(b))) return { addressClass: "metadata", via: "" };
  const range = V6_RANGES.find((r) => matches(b, r.bytes, r.length));
  let best = { addressClass: range?.addressClass ?? "public", via: "" };
  const embedded = [
    ...range?.embeds ?? [],
    ...isIsatap(b) ? [{ label: "ISATAP", at: LAST_32 }] : [],
  ];
  for (const { label, at, xor = 0, guess = false } of embedded) {
    const v4 = Uint8Array.from(at, (i) => (b[i] ?? 0) ^ xor);
    if (guess && v4[0] === 0) continue;
    const addressClass = classifyV4(v4);
    if (rank(addressClass) < rank(best.addressClass)) {
      best = { addressClass, via: `${label} ${formatV4(v4)}` };
    }
  }
  return best;
}

function classifyV4(b: Uint8Array): AddressClass {
  if (METADATA.has(formatV4(b))) return "metadata";
  return V4_RANGES.find((r) => matches(b, r.bytes, r.length))?.addressClass ?? "public";
}

function matches(address: Uint8Array, prefix: Uint8Array, length: number): boolean {
  const whole = length >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== prefix[i]) return false;
  const bits = length & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((address[whole] ?? 0) & mask) === ((prefix[whole] ?? 0) & mask);
}

type RangeRow = [cidr: string, addressClass: AddressClass | null, embeds?: Embedding[]];

function compile(version: 4 | 6, rows: RangeRow[]) {
  return rows.map(([cidr, addressClass, embeds]) => {
    const [text = "", bits = ""] = cidr.split("/");
    const bytes = version === 4 ? parseV4(text) : parseV6(text);
    const length = Number(bits);
    if (!bytes || !(length >= 0 && length <= bytes.length * 8)) {
      throw new WatchtowerError("internal", `Cannot compile egress range ${cidr}: not a CIDR`);
    }
    return { bytes, length, addressClass, embeds: embeds ?? [] };
  }).sort((a, b) => b.length - a.length);
}

function parseV4(text: string): Uint8Array | undefined {
  const match = DOTTED_QUAD.exec(text);
  return match ? Uint8Array.from(match.slice(1), Number) : undefined;
}

function parseV6(text: string): Uint8Array | undefined {
  if (!text.includes(":")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const [left = "", right] = halves;
  const head = left ? left.split(":") : [];
  const tail = right ? right.split(":") : [];
  // RFC 4291 §2.2 form 3: a dotted quad may stand for the last two groups.
  const last = right === undefined ? head : tail;
  let v4: Uint8Array | undefined;
  if (last.at(-1)?.includes(".")) {
    v4 = parseV4(last.pop()!);
    if (!v4) return undefined;
  }
  if (![...head, ...tail].every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  const count = head.length + tail.length + (v4 ? 2 : 0);
  // "::" stands for one or more zero groups, so at most seven are written around it.
  if (right === undefined ? count !== 8 : count > 7) return undefined;
  const bytes = new Uint8Array(16);
  const put = (groups: string[], start: number) =>
    groups.forEach((group, i) => {
      const value = parseInt(group, 16);
      bytes[start + 2 * i] = value >> 8;
      bytes[start + 2 * i + 1] = value & 0xff;
    });
  put(head, 0);
  put(tail, 16 - 2 * tail.length - (v4 ? 4 : 0));
  if (v4) bytes.set(v4, 12);
  return bytes;
}

function formatV4(b: Uint8Array): string {
  return Array.from(b).join(".");
}

function formatV6(b: Uint8Array): string {
  // RFC 5952 §5: IPv4-mapped addresses are written with the dotted quad.
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return `::ffff:${formatV4(b.subarray(12))}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => ((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0));
  // RFC 5952 §4.2: "::" replaces the longest run of two or more zero groups, the first on a tie.
  let start = -1;
  let length = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > length) [start, length] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (start === -1) return hex.join(":");
  return `${hex.slice(0, start).join(":")}::${hex.slice(start + length).join(":")}`;
}
