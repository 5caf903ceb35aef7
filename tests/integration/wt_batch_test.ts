import { deepEqual, equal, ok } from "node:assert/strict";
import fc from "fast-check";
import { sandbox, wt } from "./_wt.ts";

const encoder = new TextEncoder();

Deno.test("wt check --batch answers every line, with an error for each bad one", async () => {
  const { home, env } = sandbox();
  const lines: Uint8Array[] = [
    encoder.encode(
      JSON.stringify({
        id: "a",
        domain: "filesystem",
        target: { path: `${home}/project/x` },
        operation: "write",
      }),
    ),
    encoder.encode("{not json"),
    new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), // not UTF-8
    encoder.encode(""),
    encoder.encode(
      JSON.stringify({ id: 7, domain: "filesystem", target: { path: `${home}/.ssh/id_rsa` } }),
    ),
    encoder.encode(`{"domain":"filesystem","target":{"path":"${"a".repeat(1 << 20)}"}}`), // too long
    encoder.encode(JSON.stringify([1, 2, 3])),
    encoder.encode(
      JSON.stringify({ domain: "http", target: { url: "https://docs.deno.com/", method: "GET" } }),
    ),
  ];
  const input = new Uint8Array(lines.reduce((n, line) => n + line.length + 1, 0));
  let offset = 0;
  for (const line of lines) {
    input.set(line, offset);
    offset += line.length;
    input[offset++] = 10;
  }
  const result = await wt(["check", "--batch"], { env, stdin: input });
  equal(result.code, 65, result.stderr);
  const out = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
  deepEqual(out.map((record) => record.line), [1, 2, 3, 5, 6, 7, 8]);
  equal(out[0].id, "a");
  equal(out[0].decision.verdict, "allow");
  ok(out[1].error.startsWith("not JSON"));
  equal(out[2].error, "line is not valid UTF-8");
  equal(out[3].id, 7);
  equal(out[3].decision.verdict, "deny");
  ok(out[4].error.includes("longer than"));
  ok(out[5].error.includes("expected a JSON object"));
  equal(out[6].decision.verdict, "allow");
});

Deno.test("wt check --batch with only good lines exits 0", async () => {
  const { env } = sandbox();
  const input = Array.from(
    { length: 100 },
    (_, i) => JSON.stringify({ domain: "filesystem", target: { path: `/tmp/f${i}` } }),
  ).join("\n");
  const result = await wt(["check", "--batch"], { env, stdin: input });
  equal(result.code, 0, result.stderr);
  equal(result.stdout.trim().split("\n").length, 100);
});

Deno.test("wt check --batch never crashes on arbitrary bytes (property)", async () => {
  const { env } = sandbox();
  // One process per sample is slow, so each sample is a whole batch of random lines.
  const line = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((bytes) => bytes.filter((b) => b !== 10)),
    fc.json().map((text) => encoder.encode(text)),
    fc.record({
      domain: fc.constantFrom("filesystem", "http", "command", "nope"),
      operation: fc.oneof(fc.constant("read"), fc.string()),
      target: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.constant(null))),
    }).map((value) => encoder.encode(JSON.stringify(value))),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 60 }), async (lines) => {
      const size = lines.reduce((n, l) => n + l.length + 1, 0);
      const input = new Uint8Array(size);
      let offset = 0;
      for (const l of lines) {
        input.set(l, offset);
        offset += l.length;
        input[offset++] = 10;
      }
      const result = await wt(["check", "--batch"], { env, stdin: input });
      ok(result.code === 0 || result.code === 65, `exit ${result.code}: ${result.stderr}`);
      equal(result.stderr, "");
      const expected = lines.filter((l) => new TextDecoder().decode(l).trim() !== "").length;
      const records = result.stdout.split("\n").filter(Boolean).map((text) => JSON.parse(text));
      equal(records.length, expected);
      for (const record of records) ok("decision" in record || "error" in record);
    }),
    { numRuns: 8 },
  );
});
