/**
 * `jq-query -c FILTER FILE` through its launcher against the raw `jq`, in the same run (target:
 * ≤ 25 ms added median per call), on a 200-item JSON file. Under the default policy the query is
 * allowed with its output redacted, so the redactor is part of the cost.
 */
import { benchHome, printAddedMedian, runner } from "./_shim_bench.ts";

const box = await benchHome("wt-bench-jq-");
Deno.writeTextFileSync(
  `${box.work}/items.json`,
  JSON.stringify({
    items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item-${i}`, ok: i % 3 === 0 })),
  }),
);
const query = runner(box, ["-c", "[.items[] | select(.ok) | .name]", "items.json"], {
  output: true,
});
const launcher = `${box.bin}/jq-query`;
await printAddedMedian({ raw: "jq", safe: "jq-query" }, query, { raw: "jq", safe: launcher });

Deno.bench(
  { name: "baseline: jq -c FILTER FILE", group: "jq", baseline: true, n: 30 },
  async () => {
    await query("jq");
  },
);

Deno.bench({ name: "jq-query -c FILTER FILE (launcher)", group: "jq", n: 30 }, async () => {
  await query(launcher);
});
