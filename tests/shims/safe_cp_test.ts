import { deepEqual, equal, throws } from "node:assert/strict";
import { planCp } from "../../shims/safe_cp.ts";
import { scratch } from "./_fs_env.ts";

const { dir, env } = scratch();
Deno.mkdirSync(`${dir}/real`);
Deno.symlinkSync("real", `${dir}/link`);
Deno.writeTextFileSync(`${dir}/f`, "x");
Deno.symlinkSync("f", `${dir}/lf`);

Deno.test("planCp() reads each source and copies to DIR/basename, pinned with -t", () => {
  const plan = planCp(["-r", "lf", "f", "link"], env);
  deepEqual(plan.args, ["-R", "-t", `${dir}/real`, "--", `${dir}/lf`, `${dir}/f`]);
  deepEqual(plan.intents.map((i) => [i.operation, i.target.path]), [
    ["read", `${dir}/f`],
    ["copy", `${dir}/real/lf`],
    ["read", `${dir}/f`],
    ["copy", `${dir}/real/f`],
  ]);
});

Deno.test("planCp() copies to a new path with -T, and writes through a symlink already there", () => {
  deepEqual(planCp(["f", "new"], env).args, ["-T", "--", `${dir}/f`, `${dir}/new`]);
  const through = planCp(["-T", "f", "lf"], env);
  equal(through.intents[1]!.target.path, `${dir}/f`);
});

Deno.test("planCp() carries preserve: true when ownership is preserved", () => {
  const preserve = (args: string[]) => planCp([...args, "f", "g"], env).intents[1]!.target.preserve;
  equal(preserve(["-a"]), true);
  equal(preserve(["-p"]), true);
  equal(preserve(["--preserve"]), true);
  equal(preserve(["--preserve=all"]), true);
  equal(preserve(["--preserve=mode,timestamps"]), false);
  equal(preserve(["-r"]), false);
  deepEqual(planCp(["--preserve", "f", "g"], env).args.slice(0, 1), [
    "--preserve=mode,ownership,timestamps",
  ]);
  throws(() => planCp(["--preserve=owner", "f", "g"], env), /invalid argument 'owner'/);
});

Deno.test("planCp() keeps the last of -a, -L and -P", () => {
  deepEqual(planCp(["-a", "-L", "f", "g"], env).args.slice(0, 2), ["-a", "-L"]);
  deepEqual(planCp(["-L", "-a", "f", "g"], env).args.slice(0, 2), ["-a", "-T"]);
  deepEqual(planCp(["-LP", "f", "g"], env).args.slice(0, 2), ["-P", "-T"]);
});

Deno.test("planCp() refuses unknown options, missing operands and NUL bytes", () => {
  for (
    const args of [["-i", "f", "g"], ["--parents", "f", "g"], ["f"], [], ["-u", "f", "g"], [
      "f\0",
      "g",
    ]]
  ) {
    throws(() => planCp(args, env), (e: Error & { code?: string }) => e.code === "usage");
  }
});

Deno.test("planCp() passes a source named -rf after --", () => {
  deepEqual(planCp(["--", "-rf", "g"], env).args, ["-T", "--", `${dir}/-rf`, `${dir}/g`]);
});
