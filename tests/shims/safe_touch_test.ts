import { deepEqual, equal, throws } from "node:assert/strict";
import { planTouch } from "../../shims/safe_touch.ts";
import { scratch } from "./_fs_env.ts";

const { dir, env } = scratch();
Deno.writeTextFileSync(`${dir}/f`, "x");
Deno.symlinkSync("f", `${dir}/lf`);
Deno.symlinkSync("missing", `${dir}/dangling`);

Deno.test("planTouch() acts on what symlinks point to, and reads a reference file", () => {
  const plan = planTouch(["-c", "-r", "lf", "-d", "-1 day", "lf", "dangling", "new/"], env);
  deepEqual(plan.args, [
    "-c",
    "--date=-1 day",
    `--reference=${dir}/f`,
    "--",
    `${dir}/f`,
    `${dir}/missing`,
    `${dir}/new/`,
  ]);
  deepEqual(plan.intents.map((i) => [i.operation, i.target.path]), [
    ["read", `${dir}/f`],
    ["touch", `${dir}/f`],
    ["touch", `${dir}/missing`],
    ["touch", `${dir}/new`],
  ]);
  equal(plan.intents[1]!.target.create, false);
});

Deno.test("planTouch() passes -a, -m and -t, and refuses a malformed stamp", () => {
  deepEqual(planTouch(["-am", "-t", "202401021504.05", "f"], env).args.slice(0, 4), [
    "-a",
    "-m",
    "-t",
    "202401021504.05",
  ]);
  for (const args of [["-t", "yesterday", "f"], ["--time=atime", "f"], [], ["-h", "f"]]) {
    throws(() => planTouch(args, env), (e: Error & { code?: string }) => e.code === "usage");
  }
});

Deno.test("planTouch() plans 10,000 operands, one intent each, quickly", () => {
  const names = Array.from({ length: 10_000 }, (_, i) => `many/file-${i}`);
  const started = performance.now();
  const plan = planTouch(names, env);
  const elapsed = performance.now() - started;
  equal(plan.intents.length, 10_000);
  equal(plan.args.length, 10_001);
  equal(plan.intents[9_999]!.target.path, `${dir}/many/file-9999`);
  equal(elapsed < 2_000, true, `${elapsed} ms`);
});
