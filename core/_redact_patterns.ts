/**
 * The secret detectors behind `redact.ts` and the scan that turns their matches into masked spans.
 *
 * Text here is a "byte string": one UTF-16 unit per input byte (ASCII as itself, bytes 0x80–0xFF
 * as the windows-1252 characters `TextDecoder("latin1")` gives them), so positions are byte
 * offsets and invalid UTF-8 needs no special case. Every pattern matches ASCII only at its edges
 * and never crosses a newline, except private key blocks, which `scanPem` handles by hand.
 *
 * Linear time in a backtracking engine: every repetition is bounded, every token pattern starts
 * behind a negative lookbehind (so a long run is tried once, at its start, not at each position),
 * alternations inside repetitions are disjoint, and a rejected match resumes one position later.
 * @module
 */

/** The most bytes one secret spans (a private key block, BEGIN to END): what a stream holds back. */
export const MAX_SECRET_LENGTH = 16 * 1024;

/** One masked span: `[start, end)` is replaced; `[matchStart, matchEnd)` is what decided it. */
export interface Hit {
  kind: string;
  start: number;
  end: number;
  matchStart: number;
  matchEnd: number;
  rank: number;
}

interface Detector {
  kind: string;
  /** Flags `g` and `d`; the first capture group that took part is the value masked, else the match. */
  regex: RegExp;
  /** Values such as `***` or `${VAR}` name a secret without being one. */
  placeholders?: boolean;
  /** A check the pattern cannot express (a JWT header decodes to JSON with `alg`). */
  accept?: (value: string) => boolean;
}

// Unquoted values end at ASCII whitespace or a quote (`\s` would also stop at byte 0xA0, a UTF-8
// continuation byte). Assignments also end at `&`, `,` and `;` (query strings, connection strings).
const QUOTED = String.raw`"((?:[^"\\\n]|\\[^\n]){1,4096})"?|'([^'\n]{1,4096})'?`;
const ASSIGN = String.raw`["']?[ \t]{0,8}[:=][ \t]{0,8}`;

const PEM_BEGIN_HEAD = /^-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY/;
const ENV_SUFFIX = "_(?:KEY|SECRET|TOKEN|PASSWORD|PASS|PWD)";
const ENV_NAME = String.raw`(?<![A-Za-z0-9_])[A-Z][A-Z0-9_]{0,100}${ENV_SUFFIX}`;

// Longest match of any pattern: 16,330 bytes (a base64 private key), below MAX_SECRET_LENGTH, so
// a match starting before a cut that keeps MAX_SECRET_LENGTH bytes back is entirely in view.
const REGEX_DETECTORS: readonly Detector[] = [
  {
    kind: "gcp_service_account_key",
    regex: /"private_key"[ \t]{0,16}:[ \t]{0,16}"(-----BEGIN(?:[^"\\\n]|\\[^\n]){0,12288})/dg,
  },
  {
    kind: "private_key",
    // A whole PEM block in base64, as `kubectl get secret -o yaml` shows `tls.key`; certificates
    // share the prefix (`-----BEGIN`), so the decoded head must name a private key.
    regex: /(?<![A-Za-z0-9+/])LS0tLS1CRUdJTi[A-Za-z0-9+/]{20,16300}={0,2}(?![A-Za-z0-9+/=])/dg,
    accept: (value) => {
      try {
        return PEM_BEGIN_HEAD.test(atob(value.slice(0, 96)));
      } catch {
        return false;
      }
    },
  },
  {
    kind: "aws_access_key",
    regex: /(?<![A-Za-z0-9+/])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/dg,
  },
  {
    kind: "aws_secret_key",
    regex: new RegExp(
      String.raw`(?:(?:aws_?)?secret_?access_?key|aws_?secret_?key)${ASSIGN}["']?` +
        String.raw`([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
      "dgi",
    ),
  },
  {
    kind: "azure_key",
    regex: /(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/]{20,200}={0,2})(?![A-Za-z0-9+/=])/dg,
  },
  {
    kind: "github_token",
    regex:
      /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{80,240})(?![A-Za-z0-9_])/dg,
  },
  {
    kind: "gitlab_token",
    regex: /(?<![A-Za-z0-9_-])gl(?:pat|dt|rt)-[A-Za-z0-9_-]{20,255}(?![A-Za-z0-9_-])/dg,
  },
  {
    kind: "slack_token",
    regex: /(?<![A-Za-z0-9_-])(?:xox[abps]|xapp)-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])/dg,
  },
  {
    kind: "slack_webhook",
    regex:
      /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/([A-Za-z0-9/_-]{8,250})/dg,
  },
  {
    kind: "stripe_key",
    regex:
      /(?<![A-Za-z0-9_])(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,247}|whsec_[A-Za-z0-9]{24,100})(?![A-Za-z0-9])/dg,
  },
  {
    kind: "anthropic_api_key",
    regex: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{32,300}(?![A-Za-z0-9_-])/dg,
  },
  {
    kind: "openai_api_key",
    regex:
      /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,300}(?![A-Za-z0-9_-])/dg,
    // A kebab-case identifier (`sk-some-long-feature-flag-name-here`) has the shape but not the mix.
    accept: (key) => {
      const body = key.replace(/^sk-(?:proj-|svcacct-|admin-)?/, "");
      return /[0-9]/.test(body) && /[A-Z]/.test(body) && /[a-z]/.test(body);
    },
  },
  {
    kind: "npm_token",
    regex: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/dg,
  },
  {
    kind: "jwt",
    // A `.` before the start is excluded too, so a dotted run is tried once, at its start.
    regex:
      /(?<![A-Za-z0-9_.-])eyJ[A-Za-z0-9_-]{4,1024}\.[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{0,1024}(?![A-Za-z0-9_-])/dg,
    accept: isJwt,
  },
  {
    kind: "url_password",
    // `user:pass@` after `scheme://`; the password may hold a raw `@` (the last one before the host
    // wins). The user may be empty (`redis://:pass@host`).
    regex:
      /(?<=[A-Za-z0-9]):\/\/(?:[^ \t\r\n\f\v:/@"'<>]{0,256}):([^ \t\r\n\f\v/?#"'<>]{1,256})@/dg,
    placeholders: true,
  },
  {
    kind: "authorization_header",
    regex: new RegExp(
      String.raw`authorization${ASSIGN}["']?(?:bearer|basic|token|bot|negotiate)[ \t]{1,8}` +
        String.raw`([A-Za-z0-9._~+/=-]{4,4096})`,
      "dgi",
    ),
  },
  {
    kind: "env_secret",
    regex: new RegExp(
      String.raw`${ENV_NAME}${ASSIGN}(?:${QUOTED}|([^ \t\r\n\f\v"']{1,4096}))`,
      "dg",
    ),
    placeholders: true,
  },
  {
    kind: "password_assignment",
    regex: new RegExp(
      String.raw`(?:password|passwd|passphrase|secret|token|api[_-]?key)${ASSIGN}` +
        String.raw`(?:${QUOTED}|([^ \t\r\n\f\v"'&,;]{1,4096}))`,
      "dgi",
    ),
    placeholders: true,
  },
  {
    kind: "password_assignment",
    // Command-line flags as `ps` shows them: `--password hunter2`.
    regex:
      /(?<![A-Za-z0-9_-])--?(?:password|passwd|token|secret|api-key)[ \t]{1,8}(?!-)([^ \t\r\n\f\v"'&,;]{1,4096})/dg,
    placeholders: true,
  },
];

/** Every kind, in rank order: where two detectors mask the same span, the earlier kind names it. */
export const KINDS: readonly string[] = [
  ...new Set(["private_key", ...REGEX_DETECTORS.map((d) => d.kind)]),
];

const RANK = new Map(KINDS.map((kind, i) => [kind, i]));

// Not secrets but references to one, or the start of a structure (`"token": {`, `secret: |`).
// `changeme` and `password` are not here: they are real (if weak) values that work somewhere,
// and masking them costs nothing.
const PLACEHOLDER =
  /^(?:[{[]|\{\}|\[\]|[|>][-+]?|\*+|x{3,}|X{3,}|\.{3,}|-|<[^<>]*>|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|\{\{[^}]*\}\}|%[sd]|%\([a-z_]+\)s|\[REDACTED[^\]]*\])$/;
const PLACEHOLDER_WORD = /^(?:redacted|hidden|masked|null|nil|none|true|false|undefined)$/i;

function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value) || PLACEHOLDER_WORD.test(value);
}

/** The first segment of a JWT is base64url JSON with an `alg`; random dotted strings are not. */
function isJwt(token: string): boolean {
  const header = token.slice(0, token.indexOf(".")).replaceAll("-", "+").replaceAll("_", "/");
  try {
    const parsed: unknown = JSON.parse(atob(header + "=".repeat((4 - header.length % 4) % 4)));
    return typeof parsed === "object" && parsed !== null &&
      typeof (parsed as { alg?: unknown }).alg === "string";
  } catch {
    return false;
  }
}

const BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const BODY_LINE = /^[A-Za-z0-9+/=]{1,128}$/;
const HEADER_LINE = /^(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset):[^\n]{0,256}$/;
const REST_OF_BEGIN_LINE = /^[A-Za-z0-9+/=\\ \t]*$/;

/** The first match at or after a position, cached: rising positions cost linear time in all. */
class NextMatch {
  #from = Infinity;
  #at = -1;
  #end = -1;
  constructor(readonly text: string, readonly regex: RegExp) {}
  /** Start and end of the first match at or after `pos` (start -1 when none). */
  after(pos: number): [number, number] {
    if (!(this.#from <= pos && (this.#at === -1 || this.#at >= pos))) {
      this.regex.lastIndex = pos;
      const m = this.regex.exec(this.text);
      this.#from = pos;
      this.#at = m ? m.index : -1;
      this.#end = m ? m.index + m[0].length : -1;
    }
    return [this.#at, this.#end];
  }
}

/**
 * Private key blocks from `from`. A block runs from BEGIN to the first END within
 * MAX_SECRET_LENGTH bytes; without one (a truncated key), it runs over the base64 and header lines
 * that follow. When the text may go on (`final` false) and the window is not all there, the scan
 * stops and reports where the undecided block begins.
 */
function scanPem(s: string, from: number, final: boolean, hits: Hit[]): number | undefined {
  if (s.indexOf("-----BEGIN ", from) === -1) return undefined;
  const ends = new NextMatch(s, END);
  const newlines = new NextMatch(s, /\n/g);
  BEGIN.lastIndex = from;
  for (let m = BEGIN.exec(s); m !== null; m = BEGIN.exec(s)) {
    const begin = m.index;
    const markerEnd = begin + m[0].length;
    const windowEnd = begin + MAX_SECRET_LENGTH;
    const [endAt, endEnd] = ends.after(markerEnd);
    let end: number;
    if (endAt !== -1 && endEnd <= windowEnd) end = endEnd;
    else if (!final && windowEnd > s.length) return begin;
    else end = truncatedBlockEnd(s, markerEnd, Math.min(windowEnd, s.length), newlines);
    hits.push({
      kind: "private_key",
      start: begin,
      end,
      matchStart: begin,
      matchEnd: end,
      rank: 0,
    });
    BEGIN.lastIndex = end;
  }
  return undefined;
}

/** Where a block without END stops: after the last base64 or header line following BEGIN. */
function truncatedBlockEnd(s: string, pos: number, limit: number, newlines: NextMatch): number {
  const lineEnd = (at: number) => {
    const [nl] = newlines.after(at);
    return nl === -1 || nl > limit ? limit : nl;
  };
  let end = pos;
  let eol = lineEnd(pos);
  if (REST_OF_BEGIN_LINE.test(s.slice(pos, eol))) end = trimEnd(s, pos, eol);
  while (eol < limit) {
    const start = eol + 1;
    eol = lineEnd(start);
    const contentEnd = trimEnd(s, start, eol);
    const line = s.slice(start, contentEnd);
    if (BODY_LINE.test(line) || HEADER_LINE.test(line)) end = contentEnd;
    else if (line !== "") break;
  }
  return end;
}

function trimEnd(s: string, start: number, end: number): number {
  while (end > start && (s[end - 1] === "\r" || s[end - 1] === " " || s[end - 1] === "\t")) end--;
  return end;
}

// Bytes 0x80–0xBF (UTF-8 continuation bytes) as the latin1 decoder spells them.
const CONTINUATION = new Set(
  new TextDecoder("latin1").decode(new Uint8Array(64).map((_, i) => 0x80 + i)),
);

/**
 * Every span to mask in `s` from `from` (earlier text is context for lookbehinds only), sorted and
 * merged so that no two overlap, plus where an undecided private key block starts, if any.
 */
export function findHits(
  s: string,
  from: number,
  final: boolean,
): { hits: Hit[]; pending: number | undefined } {
  const hits: Hit[] = [];
  const pending = scanPem(s, from, final, hits);
  for (const detector of REGEX_DETECTORS) collect(s, from, detector, hits);
  return { hits: merge(hits), pending };
}

function collect(s: string, from: number, detector: Detector, hits: Hit[]): void {
  const { regex, kind } = detector;
  const rank = RANK.get(kind)!;
  regex.lastIndex = from;
  for (let m = regex.exec(s); m !== null; m = regex.exec(s)) {
    let group = 1;
    while (group < m.length && m[group] === undefined) group++;
    const [start, end] = group < m.length ? m.indices![group]! : [m.index, m.index + m[0].length];
    const value = s.slice(start, end);
    if (
      (detector.placeholders && isPlaceholder(value)) ||
      (detector.accept !== undefined && !detector.accept(value))
    ) {
      regex.lastIndex = m.index + 1;
      continue;
    }
    // A bounded value may stop inside a multi-byte character; take the whole character.
    let stop = end;
    while (stop < s.length && stop < end + 3 && CONTINUATION.has(s[stop]!)) stop++;
    const matchEnd = Math.max(stop, m.index + m[0].length);
    hits.push({ kind, start, end: stop, matchStart: m.index, matchEnd, rank });
  }
}

/** Sorted by start, longest first, then rank; overlapping spans become one (the first names it). */
function merge(hits: Hit[]): Hit[] {
  if (hits.length < 2) return hits;
  hits.sort((a, b) => a.start - b.start || b.end - a.end || a.rank - b.rank);
  const merged: Hit[] = [hits[0]!];
  for (let i = 1; i < hits.length; i++) {
    const hit = hits[i]!;
    const last = merged[merged.length - 1]!;
    if (hit.start < last.end) {
      last.end = Math.max(last.end, hit.end);
      last.matchStart = Math.min(last.matchStart, hit.matchStart);
      last.matchEnd = Math.max(last.matchEnd, hit.matchEnd);
    } else {
      merged.push(hit);
    }
  }
  return merged;
}
