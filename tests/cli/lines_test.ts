import { deepEqual } from "node:assert/strict";
import { readLines } from "../../cli/lines.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(chunks.map((chunk) => encoder.encode(chunk)));
}

async function collect(chunks: string[], max: number) {
  const out: Array<string | number> = [];
  for await (const lines of readLines(streamOf(chunks), max)) {
    for (const line of lines) {
      out.push("bytes" in line ? new TextDecoder().decode(line.bytes) : -line.tooLong);
    }
  }
  return out;
}

Deno.test("readLines splits across chunk boundaries and keeps a final unterminated line", async () => {
  deepEqual(await collect(["ab", "c\nde", "f\n\ng"], 100), ["abc", "def", "", "g"]);
});

Deno.test("readLines reports over-long lines without buffering them, then goes on", async () => {
  deepEqual(await collect(["12345", "6789\nok\n", "abcdefghij"], 8), [-9, "ok", -10]);
});

Deno.test("readLines numbers lines from 1, counting skipped ones", async () => {
  const numbers: number[] = [];
  for await (const lines of readLines(streamOf(["a\n", "bbbbbbbbbbbb\n", "c"]), 4)) {
    for (const line of lines) numbers.push(line.number);
  }
  deepEqual(numbers, [1, 2, 3]);
});
