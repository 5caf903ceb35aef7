import { deepEqual, equal, ok } from "node:assert/strict";
import fc from "fast-check";
import {
  MAX_SECRET_LENGTH,
  REDACTION_KINDS,
  redactText,
  StreamRedactor,
} from "../../core/redact.ts";

// Secret-shaped values are assembled at run time so that no scanner mistakes this file for a leak.
const ALNUM = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4Y5z6";
const fake = (n: number, alphabet = ALNUM) =>
  alphabet.repeat(Math.ceil(n / alphabet.length)).slice(0, n);
const UPPER = "IOSFODNN7EXAMPLE";
const join = (...parts: string[]) => parts.join("");
const b64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

const AWS_ID = join("AKIA", UPPER);
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const GITHUB = join("gh", "p_", fake(36));
const JWT = join(b64url({ alg: "HS256", typ: "JWT" }), ".", b64url({ sub: "1234" }), ".", fake(43));
const PEM_RSA = join(
  "-----BEGIN RSA PRIVATE KEY-----\n",
  `${fake(64)}\n${fake(64)}\n${fake(20)}==\n`,
  "-----END RSA PRIVATE KEY-----",
);
const PEM_OPENSSH = join(
  "-----BEGIN OPENSSH PRIVATE KEY-----\n",
  `b3BlbnNzaC1rZXktdjEAAAAA${fake(46)}\n${fake(70)}\n`,
  "-----END OPENSSH PRIVATE KEY-----",
);
const PEM_ENCRYPTED = join(
  "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233\n\n",
  `${fake(64)}\n`,
  "-----END RSA PRIVATE KEY-----",
);
const GCP_KEY = join(
  "-----BEGIN PRIVATE KEY-----\\n",
  fake(64),
  "\\n",
  fake(30),
  "\\n-----END PRIVATE KEY-----\\n",
);
const R = (kind: string) => `[REDACTED:${kind}]`;

const POSITIVE: Array<[name: string, input: string, output: string]> = [
  ["an AWS access key id is masked", `key ${AWS_ID} used`, `key ${R("aws_access_key")} used`],
  [
    "an AWS temporary access key id is masked",
    `"AccessKeyId": "${join("ASIA", UPPER)}"`,
    `"AccessKeyId": "${R("aws_access_key")}"`,
  ],
  [
    "a labelled AWS secret key in a credentials file is masked",
    `aws_secret_access_key = ${AWS_SECRET}`,
    `aws_secret_access_key = ${R("aws_secret_key")}`,
  ],
  [
    "an AWS secret key in CLI JSON output is masked",
    `"SecretAccessKey": "${AWS_SECRET}",`,
    `"SecretAccessKey": "${R("aws_secret_key")}",`,
  ],
  [
    "the private key of a GCP service-account JSON is masked, other fields kept",
    `{"type": "service_account", "private_key": "${GCP_KEY}", "client_email": "a@b.iam"}`,
    `{"type": "service_account", "private_key": "${R("gcp_service_account_key")}", ` +
    `"client_email": "a@b.iam"}`,
  ],
  [
    "the account key of an Azure storage connection string is masked",
    `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${fake(86)}==;EndpointSuffix=x`,
    `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${R("azure_key")};EndpointSuffix=x`,
  ],
  [
    "a GitHub personal access token is masked",
    `token is ${GITHUB}.`,
    `token is ${R("github_token")}.`,
  ],
  [
    "GitHub OAuth, user, server and refresh tokens are masked",
    ["gho_", "ghu_", "ghs_", "ghr_"].map((p) => p + fake(36)).join(" "),
    Array(4).fill(R("github_token")).join(" "),
  ],
  [
    "a fine-grained GitHub token is masked",
    `GH=${join("github", "_pat_", fake(22), "_", fake(59))}`,
    `GH=${R("github_token")}`,
  ],
  [
    "a GitLab token is masked",
    `use ${join("glpat", "-", fake(20))} now`,
    `use ${R("gitlab_token")} now`,
  ],
  [
    "Slack bot and app tokens are masked",
    `${join("xox", "b-", "1234567890-", fake(24))} ${join("xa", "pp-1-", fake(30))}`,
    `${R("slack_token")} ${R("slack_token")}`,
  ],
  [
    "a Slack webhook URL keeps its host and loses its path",
    `curl https://hooks.slack.com/services/${join("T0", fake(8), "/B0", fake(8), "/", fake(24))}`,
    `curl https://hooks.slack.com/services/${R("slack_webhook")}`,
  ],
  [
    "Stripe secret and restricted keys are masked",
    `${join("sk", "_live_", fake(24))}, ${join("rk", "_live_", fake(30))}`,
    `${R("stripe_key")}, ${R("stripe_key")}`,
  ],
  [
    "an OpenAI project key is masked",
    `OPENAI: ${join("sk", "-proj-", fake(48))}`,
    `OPENAI: ${R("openai_api_key")}`,
  ],
  [
    "an Anthropic key is masked as such, not as an OpenAI key",
    `key=${join("sk", "-ant-api03-", fake(93), "AA")}`,
    `key=${R("anthropic_api_key")}`,
  ],
  [
    "an npm token is masked",
    `//registry/:_authToken=${join("npm", "_", fake(36))}`,
    `//registry/:_authToken=${R("npm_token")}`,
  ],
  [
    "an RSA private key block is masked whole",
    `key:\n${PEM_RSA}\ndone`,
    `key:\n${R("private_key")}\ndone`,
  ],
  ["an OpenSSH private key block is masked whole", `${PEM_OPENSSH}\n`, `${R("private_key")}\n`],
  ["an encrypted PEM block with headers is masked whole", PEM_ENCRYPTED, R("private_key")],
  [
    "a truncated private key is masked over its base64 lines",
    `-----BEGIN PRIVATE KEY-----\n${fake(64)}\n${fake(64)}\nnext: log line\n`,
    `${R("private_key")}\nnext: log line\n`,
  ],
  [
    "a base64-encoded private key, as in a Kubernetes secret, is masked",
    `  tls.key: ${btoa(PEM_RSA)}\n  tls.crt: ${btoa("-----BEGIN CERTIFICATE-----\nMIIB\n")}`,
    `  tls.key: ${R("private_key")}\n  tls.crt: ${btoa("-----BEGIN CERTIFICATE-----\nMIIB\n")}`,
  ],
  ["a JWT is masked", `session ${JWT} ok`, `session ${R("jwt")} ok`],
  [
    "a bearer token that is not a JWT is masked as an authorization header",
    `-H "Authorization: Bearer ${fake(40)}"`,
    `-H "Authorization: Bearer ${R("authorization_header")}"`,
  ],
  [
    "basic credentials in an authorization header are masked",
    `authorization: Basic ${btoa("user:pass")}`,
    `authorization: Basic ${R("authorization_header")}`,
  ],
  [
    "a password assignment keeps its key",
    "password=hunter2",
    `password=${R("password_assignment")}`,
  ],
  [
    "assignments in key: value, JSON and quoted forms are masked, case-insensitively",
    `PassWd: s3cret "api_key": "abc def" apikey:xyz secret='q q' Token = t0k`,
    `PassWd: ${R("password_assignment")} "api_key": "${R("password_assignment")}" ` +
    `apikey:${R("password_assignment")} secret='${R("password_assignment")}' ` +
    `Token = ${R("password_assignment")}`,
  ],
  [
    "a token in a query string stops at the next parameter",
    "GET /cb?access_token=abc123&state=xyz",
    `GET /cb?access_token=${R("password_assignment")}&state=xyz`,
  ],
  [
    "a password on a command line is masked",
    "mysql --password hunter2 --host db",
    `mysql --password ${R("password_assignment")} --host db`,
  ],
  [
    "a well-known default password is still a password",
    "password=changeme",
    `password=${R("password_assignment")}`,
  ],
  [
    ".env lines ending in _KEY, _SECRET, _TOKEN, _PASSWORD, _PASS and _PWD are masked",
    "APP_KEY=k1\nexport CLIENT_SECRET='s 2'\nBOT_TOKEN=t3\nDB_PASSWORD=p4\nSMTP_PASS=p5\nDB_PWD=p6\n",
    `APP_KEY=${R("env_secret")}\nexport CLIENT_SECRET='${R("env_secret")}'\n` +
    `BOT_TOKEN=${R("env_secret")}\nDB_PASSWORD=${R("env_secret")}\nSMTP_PASS=${R("env_secret")}\n` +
    `DB_PWD=${R("env_secret")}\n`,
  ],
  [
    "an environment entry inside JSON is masked up to its quote",
    `"Env": ["PATH=/bin", "REDIS_PASSWORD=r3d1s"]`,
    `"Env": ["PATH=/bin", "REDIS_PASSWORD=${R("env_secret")}"]`,
  ],
  [
    "a database URL loses only its password",
    "DATABASE_URL=postgres://admin:pa55w0rd@db.internal:5432/app",
    `DATABASE_URL=postgres://admin:${R("url_password")}@db.internal:5432/app`,
  ],
  [
    "credentials in any URL lose their password, even one holding a raw @",
    "git clone https://bob:p@ss@git.example.com/r.git; redis-cli -u redis://:s3cr3t@cache:6379",
    `git clone https://bob:${R("url_password")}@git.example.com/r.git; ` +
    `redis-cli -u redis://:${R("url_password")}@cache:6379`,
  ],
  [
    "a multi-byte password is masked whole",
    "password=hünter2 ok",
    `password=${R("password_assignment")} ok`,
  ],
];

const NEGATIVE: Array<[name: string, ...inputs: string[]]> = [
  ["a git commit sha", "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 (HEAD -> main)"],
  ["a UUID", "request 123e4567-e89b-12d3-a456-426614174000 done"],
  [
    "a base64 image fragment",
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  ],
  [
    "wording such as password_reset_url",
    "password_reset_url=https://example.com/reset passwordless=true",
  ],
  ["token counts", "max_tokens: 1000 prompt_tokens=12 tokens: 5"],
  [
    "a JWT-shaped string whose header has no alg",
    join(b64url({ not: "jwt" }), ".", b64url({ a: 1 }), ".abc"),
  ],
  [
    "a JWT-shaped string whose header is not JSON",
    join("eyJ", fake(20), ".", fake(20), ".", fake(20)),
  ],
  ["an AWS-like id one character short", join("AKIA", UPPER.slice(1))],
  ["an AWS-like id inside a longer word", join("XAKIA", UPPER), join("AKIA", UPPER, "X")],
  ["an AWS-like id in lower case", join("akia", UPPER.toLowerCase())],
  ["an unlabelled 40-character base64 string", `value ${AWS_SECRET}`],
  ["a GitHub prefix with too short a token", join("gh", "p_", fake(20))],
  [
    "a kebab-case identifier after sk-",
    "sk-this-is-a-long-kebab-case-feature-name-here and task-" + fake(40),
  ],
  ["an empty password", 'password= \npassword=\n"password": ""'],
  [
    "placeholder values",
    'password=*** token=${TOKEN} secret=<redacted> api_key=$API_KEY "password": "{{ .Values.pw }}" ' +
    "passwd=xxxx secret=null token: true password=[REDACTED]",
  ],
  [
    "the start of a structure after a key",
    '"token": {"type": "x"}, "secrets": [], secret: |\n  "password": [',
  ],
  ["placeholders in .env lines", "DB_PASSWORD=\nAPI_KEY=${API_KEY}\nSECRET_TOKEN=<token>"],
  ["the working directory variables", "PWD=/home/me\nOLDPWD=/tmp"],
  ["lower-case names in an env-like line", "cache_key=abc sort_key=name"],
  ["a URL without a password", "https://bob@example.com/x http://localhost:8080/a?b=c:d@e"],
  [
    "a public key or a certificate",
    "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----",
  ],
  ["an authorization header naming a variable", 'curl -H "Authorization: Bearer $TOKEN"'],
  ["prose mentioning passwords", "the password is stored in the vault; rotate secrets weekly"],
  [
    "an already redacted text",
    `password=${R("password_assignment")} https://u:${R("url_password")}@h`,
  ],
];

for (const [name, input, output] of POSITIVE) {
  Deno.test(`redactText(): ${name}`, () => {
    const result = redactText(input);
    equal(result.text, output);
    const expected: Record<string, number> = {};
    for (const [, kind] of output.matchAll(/\[REDACTED:([a-z_]+)\]/g)) {
      expected[kind!] = (expected[kind!] ?? 0) + 1;
    }
    deepEqual(result.counts, expected);
  });
}

for (const [name, ...inputs] of NEGATIVE) {
  Deno.test(`redactText() leaves ${name} alone`, () => {
    for (const input of inputs) deepEqual(redactText(input), { text: input, counts: {} });
  });
}

Deno.test("every kind in REDACTION_KINDS has a positive case", () => {
  const seen = new Set(
    POSITIVE.flatMap(([, , out]) => [...out.matchAll(/REDACTED:([a-z_]+)/g)].map((m) => m[1])),
  );
  deepEqual([...seen].sort(), [...REDACTION_KINDS].sort());
});

Deno.test("redactText() masks several secrets on one line and counts each", () => {
  const line = `AKIA${UPPER} ${GITHUB} password=a password=b ${JWT}`;
  const { text, counts } = redactText(`${line}\n${line}\n`);
  equal(text.includes("password=a"), false);
  deepEqual(counts, { aws_access_key: 2, github_token: 2, password_assignment: 4, jwt: 2 });
});

Deno.test("a secret also matched by a generic pattern is counted once, under the specific kind", () => {
  deepEqual(redactText(`token=${GITHUB}`), {
    text: `token=${R("github_token")}`,
    counts: { github_token: 1 },
  });
  deepEqual(redactText(`AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`).counts, { aws_secret_key: 1 });
});

// Texts that mix secrets of every kind with look-alikes, multi-byte characters and line breaks.
const fragment = fc.oneof(
  fc.constantFrom(
    ...POSITIVE.map(([, input]) => input),
    ...NEGATIVE.flatMap(([, ...inputs]) => inputs),
    PEM_RSA,
    "-----BEGIN PRIVATE KEY-----\n",
    "-----END PRIVATE KEY-----\n",
    "héllo wörld ✓ 日本語 🎉",
    "password=",
    "\n",
    "\r\n",
    " ",
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
);
const text = fc.array(fragment, { maxLength: 24 }).map((parts) => parts.join(""));
const chunkSizes = fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 16 });

/** Feeds `bytes` to a new redactor in chunks of the given sizes (cycled); the joined output. */
function stream(
  bytes: Uint8Array,
  sizes: readonly number[],
): { bytes: Uint8Array; counts: unknown } {
  const redactor = new StreamRedactor();
  const parts: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    parts.push(redactor.push(bytes.subarray(at, at + size)));
    at += size;
  }
  parts.push(redactor.flush());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return { bytes: out, counts: redactor.counts };
}

const encode = (s: string) => new TextEncoder().encode(s);

Deno.test("the stream redactor split at arbitrary bytes equals redactText on the whole", () => {
  fc.assert(
    fc.property(text, chunkSizes, (input, sizes) => {
      const whole = redactText(input);
      const streamed = stream(encode(input), sizes);
      deepEqual(streamed.bytes, encode(whole.text));
      deepEqual(streamed.counts, whole.counts);
    }),
    { numRuns: 300 },
  );
});

// Not when secrets touch: `password=a-----BEGIN…END…-----key` masks as one span, leaving `key`
// stuck to the marker, and that value is masked again. Both outputs are safe.
Deno.test("redactText() is idempotent on separated secrets: a redacted text has nothing left to mask", () => {
  const separated = fc.array(fragment, { maxLength: 24 }).map((parts) => parts.join(" \n"));
  fc.assert(
    fc.property(separated, (input) => {
      const once = redactText(input);
      deepEqual(redactText(once.text), { text: once.text, counts: {} });
    }),
  );
});

Deno.test("the stream redactor cuts lines longer than the bound outside secrets", () => {
  const secrets = [`password=${fake(300)}`, AWS_ID, JWT, `"private_key": "${GCP_KEY}"`, PEM_RSA];
  fc.assert(
    fc.property(
      fc.tuple(
        fc.array(fc.oneof(fc.constantFrom(...secrets), fc.constant("x".repeat(997))), {
          minLength: 20,
          maxLength: 60,
        }),
        fc.constantFrom(" ", "", "\n"),
      ).map(([parts, glue]) => parts.join(glue)),
      chunkSizes.map((sizes) => sizes.map((n) => n * 211)),
      (input, sizes) => {
        const whole = redactText(input);
        const streamed = stream(encode(input), sizes);
        deepEqual(streamed.bytes, encode(whole.text));
        deepEqual(streamed.counts, whole.counts);
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("a cut inside a long line keeps the text before it in view", () => {
  // The first push is cut exactly before the key id; the `x` before it means it is no token.
  const input = encode(`${"x".repeat(5000)}${AWS_ID} ${"y".repeat(MAX_SECRET_LENGTH - 21)}`);
  const redactor = new StreamRedactor();
  equal(redactor.push(input).length, 5000);
  equal(redactor.flush().length, input.length - 5000);
  deepEqual(redactor.counts, {});
});

Deno.test("a private key block longer than the bound without END is decided alike by both", () => {
  const input = `-----BEGIN PRIVATE KEY-----\n${`${fake(64)}\n`.repeat(300)}tail\n`;
  const whole = redactText(input);
  ok(whole.text.startsWith(R("private_key")) && whole.text.endsWith(`${fake(64)}\ntail\n`));
  for (const size of [1000, 4096, 65536]) {
    deepEqual(stream(encode(input), [size]).bytes, encode(whole.text));
  }
});

Deno.test("the stream redactor holds a private key block back until its END line", () => {
  const redactor = new StreamRedactor();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  equal(decode(redactor.push(encode("before\n-----BEGIN RSA PRIVATE KEY-----\n"))), "before\n");
  equal(redactor.push(encode(`${fake(64)}\n${fake(64)}\n`)).length, 0);
  equal(
    decode(redactor.push(encode("-----END RSA PRIVATE KEY-----\nafter\n"))),
    `${R("private_key")}\nafter\n`,
  );
  equal(redactor.flush().length, 0);
  deepEqual(redactor.counts, { private_key: 1 });
});

Deno.test("flush() emits a trailing partial line, masked", () => {
  const redactor = new StreamRedactor();
  equal(redactor.push(encode("line\npassword=hun")).length, 5);
  equal(redactor.push(encode("ter2")).length, 0);
  equal(new TextDecoder().decode(redactor.flush()), `password=${R("password_assignment")}`);
  deepEqual(redactor.counts, { password_assignment: 1 });
});

Deno.test("invalid UTF-8 passes through unchanged, and is masked only inside a secret", () => {
  const bytes = new Uint8Array([
    0xff,
    0xfe,
    0x0a,
    ...encode("password=ab"),
    0xff,
    ...encode("cd tail "),
    0xc3,
    0x0a,
    0xe2,
    0x82,
  ]);
  const expected = new Uint8Array([
    0xff,
    0xfe,
    0x0a,
    ...encode(`password=${R("password_assignment")} tail `),
    0xc3,
    0x0a,
    0xe2,
    0x82,
  ]);
  for (const size of [1, 3, 100]) deepEqual(stream(bytes, [size]).bytes, expected);
});

Deno.test("arbitrary bytes never throw and stream alike however they are split", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), chunkSizes, (bytes, sizes) => {
      deepEqual(stream(bytes, sizes), stream(bytes, [bytes.length || 1]));
    }),
  );
});

Deno.test("redactText() never throws on lone surrogates (encoded as U+FFFD, as UTF-8 has it)", () => {
  deepEqual(redactText("\ud800 password=x"), {
    text: `\ufffd password=${R("password_assignment")}`,
    counts: { password_assignment: 1 },
  });
});

Deno.test("a 10 MiB line without a newline goes out in pieces, holding back only the bound", () => {
  const size = 10 * 1024 * 1024;
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const redactor = new StreamRedactor();
  let pushed = 0;
  let emitted = 0;
  while (pushed < size) {
    emitted += redactor.push(chunk).length;
    pushed += chunk.length;
    ok(pushed - emitted <= MAX_SECRET_LENGTH, `held back ${pushed - emitted} bytes`);
  }
  equal(emitted + redactor.flush().length, size);
});

Deno.test("small chunks of a long line are held back within the bound plus 4 KiB", () => {
  const redactor = new StreamRedactor();
  const chunk = encode("a".repeat(999) + " ");
  let held = 0;
  for (let i = 0; i < 200; i++) {
    held += chunk.length - redactor.push(chunk).length;
    ok(held <= MAX_SECRET_LENGTH + 4096 + chunk.length, `held back ${held} bytes`);
  }
});

const MiB = 1024 * 1024;
const fill = (unit: string) => unit.repeat(Math.ceil(MiB / unit.length)).slice(0, MiB);
const ADVERSARIAL: Array<[name: string, input: string]> = [
  ["a run of 'a'", fill("a")],
  ["a run of '='", fill("=")],
  ["a run of '-'", fill("-")],
  ["a run of 'A'", fill("A")],
  ["a run of base64 characters", fill("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo+/")],
  ["repeated BEGIN markers without END", fill("-----BEGIN PRIVATE KEY-----")],
  ["repeated BEGIN lines without END", fill("-----BEGIN RSA PRIVATE KEY-----\n")],
  ["a BEGIN line and a megabyte of base64 lines", `-----BEGIN PRIVATE KEY-----\n${fill("QUJD\n")}`],
  ["repeated assignments", fill("password=a ")],
  ["repeated unterminated quotes", fill('password="')],
  ["repeated placeholders", fill("password=*** ")],
  ["repeated JWT-like segments", fill("eyJhbGciOiJIUzI1NiJ9.")],
  ["repeated key prefixes", fill("AKIAghp_sk-npm_xoxb-")],
  ["repeated URL schemes", fill("a://a:")],
  ["repeated env-like names", fill("A_B_")],
  ["repeated GCP key openings", fill('"private_key": "-----BEGIN')],
  ["repeated authorization headers", fill("Authorization: Bearer ")],
];

for (const [name, input] of ADVERSARIAL) {
  Deno.test(`1 MiB of ${name} is redacted in well under a second`, () => {
    const start = performance.now();
    redactText(input);
    stream(encode(input), [64 * 1024]);
    const ms = performance.now() - start;
    ok(ms < 1000, `${ms.toFixed(0)} ms`);
  });
}

Deno.test({
  name: "the redactor works without any permission",
  permissions: "none",
  fn() {
    const redactor = new StreamRedactor();
    const out = new TextDecoder().decode(redactor.push(encode(`id ${AWS_ID}\n`)));
    equal(out, `id ${R("aws_access_key")}\n`);
    equal(redactText(`id ${AWS_ID}`).text, `id ${R("aws_access_key")}`);
  },
});
