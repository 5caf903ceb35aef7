import { deepEqual, equal, throws } from "node:assert/strict";
import { planMkdir } from "../../shims/safe_mkdir.ts";
import { scratch } from "./_fs_env.ts";

const { dir, env } = scratch();
Deno.mkdirSync(`${dir}/real`);
Deno.symlinkSync("real", `${dir}/link`);

Deno.test("planMkdir() creates on the resolved path, mode passed as --mode=", () => {
  const plan = planMkdir(["-p", "-m", "700", "link/a/b", "c/"], env);
  deepEqual(plan.args, ["-p", "--mode=700", "--", `${dir}/real/a/b`, `${dir}/c/`]);
  deepEqual(plan.intents[0]!.target, {
    path: `${dir}/real/a/b`,
    parents: true,
    mode: "700",
    world_writable: false,
    setuid: false,
    setgid: false,
    sticky: false,
  });
});

Deno.test("planMkdir() flags world-writable and setgid modes and declares them restricted", () => {
  const target = (mode: string) => planMkdir(["-m", mode, "d"], env).intents[0]!.target;
  equal(target("777").world_writable, true);
  equal(target("777").sensitivity, "restricted");
  equal(target("u+x").world_writable, true); // mkdir applies a symbolic mode to a=rwx
  equal(target("go-w").world_writable, false);
  equal(target("go-w").sensitivity, undefined);
  equal(target("g+s,go-w").setgid, true);
  equal(target("1755").sticky, true);
  equal(target("1755").sensitivity, undefined); // sticky alone is not a risk
  equal(planMkdir(["d"], env).intents[0]!.target.mode, null);
});

Deno.test("planMkdir() refuses a bad mode, unknown options and no operand", () => {
  for (const args of [["-m", "u+q", "d"], ["-Z", "d"], [], ["--mode=999", "d"]]) {
    throws(() => planMkdir(args, env), (e: Error & { code?: string }) => e.code === "usage");
  }
});
