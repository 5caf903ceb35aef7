/**
 * The forms of a URL that URL patterns are matched against: scheme dropped, host lower-cased,
 * default port dropped, percent-encoding decoded, and each parent domain, so that `stripe.com/*`
 * also covers `api.stripe.com/v1/...` and `/%63heckout` is seen as `/checkout`.
 * @module
 */

/** Parsed facts about a URL that rules match on. */
export interface UrlFacts {
  /** Host name, lower case, no brackets for IPv6. Empty when the URL does not parse. */
  host: string;
  /** Port as a number (default port of the scheme when absent), or 0 when unknown. */
  port: number;
  scheme: string;
  /** Candidate strings for URL patterns, most specific first. */
  forms: string[];
}

const DEFAULT_PORTS: Record<string, number> = {
  "http:": 80,
  "https:": 443,
  "ws:": 80,
  "wss:": 443,
};

/**
 * Works out {@link UrlFacts} for a URL or an authority (`host:port`, as CONNECT sends).
 *
 * @example
 * ```ts
 * import { urlFacts } from "./url.ts";
 * import { ok } from "node:assert/strict";
 * ok(urlFacts("https://API.Stripe.com/v1/%63heckout").forms.includes("stripe.com/v1/checkout"));
 * ```
 */
export function urlFacts(raw: string): UrlFacts {
  let url: URL | undefined;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    url = undefined;
  }
  if (!url) {
    const stripped = raw.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").toLowerCase();
    return { host: "", port: 0, scheme: "", forms: [stripped] };
  }
  const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "");
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol] ?? 0;
  const portPart = url.port && Number(url.port) !== DEFAULT_PORTS[url.protocol]
    ? `:${url.port}`
    : "";
  const rest = `${url.pathname}${url.search}`;
  const decoded = safeDecode(rest);
  const hosts = [host];
  const labels = host.split(".");
  if (!/^[\d.]+$/.test(host) && !host.includes(":")) {
    for (let i = 1; i < labels.length - 1; i++) hosts.push(labels.slice(i).join("."));
  }
  const forms: string[] = [];
  for (const h of hosts) {
    for (const path of decoded === rest ? [rest] : [rest, decoded]) {
      forms.push(`${h}${portPart}${path}`.toLowerCase());
    }
  }
  return { host, port, scheme: url.protocol.replace(/:$/, ""), forms };
}

function safeDecode(text: string): string {
  // Decode repeatedly (bounded) so double-encoding cannot hide a path from a pattern.
  let current = text;
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      next = current.replace(
        /%([0-9a-f]{2})/gi,
        (_, hex) => String.fromCharCode(parseInt(hex, 16)),
      );
    }
    if (next === current) break;
    current = next;
  }
  return current;
}
