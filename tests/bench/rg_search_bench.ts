/**
 * `rg-search -n PATTERN` through its launcher against the raw `rg -n PATTERN`, in the same run
 * (target: ≤ 25 ms added median per call), on a 100-file source tree. Under the default policy
 * the search is allowed with its output redacted, so the redactor is part of the cost.
 */
import { benchHome, printAddedMedian, runner } from "./_shim_bench.ts";

const box = await benchHome("wt-bench-rg-");
for (let d = 0; d < 10; d++) {
  Deno.mkdirSync(`${box.work}/src/m${d}`, { recursive: true });
  for (let f = 0; f < 10; f++) {
    const body = Array.from(
      { length: 50 },
      (_, i) =>
        i % 25 === 7
          ? `export const needle${i} = ${f};`
          : `const line${i} = "text ${d}.${f}.${i}";`,
    ).join("\n");
    Deno.writeTextFileSync(`${box.work}/src/m${d}/f${f}.ts`, `${body}\n`);
  }
}
const search = runner(box, ["-n", "needle"], { output: true });
const launcher = `${box.bin}/rg-search`;
await printAddedMedian({ raw: "rg", safe: "rg-search" }, search, { raw: "rg", safe: launcher });

Deno.bench({ name: "baseline: rg -n needle", group: "rg", baseline: true, n: 30 }, async () => {
  await search("rg");
});

Deno.bench({ name: "rg-search -n needle (launcher)", group: "rg", n: 30 }, async () => {
  await search(launcher);
});
