/**
 * A ledger writer for concurrency and crash tests: appends COUNT entries to the ledger in
 * STATE_DIR, one append (lock, write, fdatasync, head) at a time, tagged with WRITER.
 * Usage: deno run -A append_entries.ts STATE_DIR WRITER COUNT [batch]
 */
import { Ledger } from "../../core/ledger/writer.ts";

const [dir, writer, count, mode] = Deno.args;
const ledger = new Ledger(dir!, mode === "batch" ? { sync: "batch" } : {});
const total = Number(count);
if (mode === "batch") {
  await Promise.all(
    Array.from(
      { length: total },
      (_, i) => ledger.append({ data: { event: { type: "test", writer, i } } }),
    ),
  );
} else {
  for (let i = 0; i < total; i++) {
    ledger.appendSync([{ data: { event: { type: "test", writer, i } } }]);
  }
}
