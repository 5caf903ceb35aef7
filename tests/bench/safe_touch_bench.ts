/**
 * `safe-touch FILE` through its launcher against the raw `touch FILE`, in the same run (target:
 * ≤ 25 ms added median per call), deciding in its own process and through the decision service
 * (`wt daemon`). The default policy allows the file (it is in the workspace).
 */
import { benchHome, printAddedMedian, runner, startService } from "./_shim_bench.ts";

const box = await benchHome("wt-bench-touch-");
const touch = runner(box, ["file.txt"]);
const launcher = `${box.bin}/safe-touch`;
await printAddedMedian({ raw: "touch", safe: "safe-touch (in its own process)" }, touch, {
  raw: "touch",
  safe: launcher,
});
const stopService = await startService(box);
await printAddedMedian({ raw: "touch", safe: "safe-touch (through wt daemon)" }, touch, {
  raw: "touch",
  safe: launcher,
});
stopService();

Deno.bench({ name: "baseline: touch FILE", group: "touch", baseline: true, n: 30 }, async () => {
  await touch("touch");
});

Deno.bench({ name: "safe-touch FILE (launcher, own process)", group: "touch", n: 30 }, async () => {
  await touch(launcher);
});
