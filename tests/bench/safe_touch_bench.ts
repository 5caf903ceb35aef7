/**
 * `safe-touch FILE` through its launcher against the raw `touch FILE`, in the same run (target:
 * ≤ 25 ms added median per call). The default policy allows the file (it is in the workspace).
 */
import { benchHome, printAddedMedian, runner } from "./_shim_bench.ts";

const box = await benchHome("wt-bench-touch-");
const touch = runner(box, ["file.txt"]);
const launcher = `${box.bin}/safe-touch`;
await printAddedMedian({ raw: "touch", safe: "safe-touch" }, touch, {
  raw: "touch",
  safe: launcher,
});

Deno.bench({ name: "baseline: touch FILE", group: "touch", baseline: true, n: 30 }, async () => {
  await touch("touch");
});

Deno.bench({ name: "safe-touch FILE (launcher)", group: "touch", n: 30 }, async () => {
  await touch(launcher);
});
