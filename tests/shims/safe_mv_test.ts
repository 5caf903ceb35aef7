import { deepEqual, equal, match, throws } from "node:assert/strict";
import { planMv } from "../../shims/safe_mv.ts";
import { scratch } from "./_fs_env.ts";

const { dir, env } = scratch();
Deno.mkdirSync(`${dir}/real`);
Deno.symlinkSync("real", `${dir}/link`);
Deno.writeTextFileSync(`${dir}/f`, "x");
Deno.symlinkSync("f", `${dir}/lf`);

Deno.test("planMv() moves a symlink itself, into the directory a symlink names", () => {
  const plan = planMv(["lf", "link"], env);
  deepEqual(plan.args, ["-t", `${dir}/real`, "--", `${dir}/lf`]);
  deepEqual(plan.intents.map((i) => [i.operation, i.target.path]), [
    ["move", `${dir}/lf`],
    ["write", `${dir}/real/lf`],
  ]);
  equal(plan.intents[0]!.target.destination, `${dir}/real/lf`);
});

Deno.test("planMv() renames with -T; of -f and -n the last wins", () => {
  deepEqual(planMv(["-n", "-f", "f", "g"], env).args, ["-f", "-T", "--", `${dir}/f`, `${dir}/g`]);
  deepEqual(planMv(["-fn", "f", "g"], env).args.slice(0, 1), ["-n"]);
  // Replacing a symlink: the write is on the link, not on what it points to.
  equal(planMv(["-T", "f", "lf"], env).intents[1]!.target.path, `${dir}/lf`);
});

Deno.test("planMv() refuses to move /, a top-level directory or the home directory", () => {
  for (const args of [["/etc", "x"], ["/", "x"], [`${dir}/home`, "x"], ["f", "/"]]) {
    match(planMv(args, env).refusal ?? "", /never allowed/, args.join(" "));
  }
  equal(planMv(["f", "g"], env).refusal, undefined);
});

Deno.test("planMv() refuses -i, -u and a missing destination", () => {
  for (const args of [["-i", "f", "g"], ["-u", "f", "g"], ["f"], ["-t"]]) {
    throws(() => planMv(args, env), (e: Error & { code?: string }) => e.code === "usage");
  }
});
