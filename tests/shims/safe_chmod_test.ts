import { deepEqual, equal, match, throws } from "node:assert/strict";
import { planChmod } from "../../shims/safe_chmod.ts";
import { scratch } from "./_fs_env.ts";

const { dir, env } = scratch();
Deno.writeTextFileSync(`${dir}/f`, "x");
Deno.symlinkSync("f", `${dir}/lf`);
Deno.writeTextFileSync(`${dir}/ref`, "x");
Deno.chmodSync(`${dir}/ref`, 0o4777);

Deno.test("planChmod() hands the mode to chmod after --, the resolved paths after it", () => {
  deepEqual(planChmod(["-R", "-v", "755", "lf"], env).args, ["-R", "-v", "--", "755", `${dir}/f`]);
  deepEqual(planChmod(["--", "u+x", "-rf"], env).args, ["--", "u+x", `${dir}/-rf`]);
});

Deno.test("planChmod() accepts a mode written like an option (-x, -rwx) and keeps it an operand", () => {
  deepEqual(planChmod(["-x", "f"], env).args, ["--", "-x", `${dir}/f`]);
  deepEqual(planChmod(["-rwx", "-v", "f"], env).args, ["-v", "--", "-rwx", `${dir}/f`]);
  deepEqual(planChmod(["-w", "-x", "f"], env).args, ["--", "-w,-x", `${dir}/f`]);
  equal(planChmod(["-x", "f"], env).intents[0]!.target.mode, "-x");
  // After --, -x is the MODE operand (then FILE), as for chmod itself.
  deepEqual(planChmod(["--", "-x", "f"], env).args, ["--", "-x", `${dir}/f`]);
  for (const args of [["-rf", "f"], ["-q", "f"], ["-x", "--reference=ref", "f"]]) {
    throws(() => planChmod(args, env), (e: Error & { code?: string }) => e.code === "usage");
  }
});

Deno.test("planChmod() flags world-writable, setuid, setgid and sticky modes", () => {
  const facts = (mode: string) => {
    const t = planChmod([mode, "f"], env).intents[0]!.target;
    return [t.world_writable, t.setuid, t.setgid, t.sticky, t.sensitivity ?? null];
  };
  deepEqual(facts("777"), [true, false, false, false, "restricted"]);
  deepEqual(facts("o+w"), [true, false, false, false, "restricted"]);
  deepEqual(facts("u+s"), [false, true, false, false, "restricted"]);
  deepEqual(facts("+s"), [false, true, true, false, "restricted"]);
  deepEqual(facts("a+rwx,o-w"), [false, false, false, false, null]);
  deepEqual(facts("+t"), [false, false, false, true, null]);
  deepEqual(facts("644"), [false, false, false, false, null]);
});

Deno.test("planChmod() --reference reads the reference file and flags its mode", () => {
  const plan = planChmod(["--reference=ref", "f"], env);
  deepEqual(plan.args, [`--reference=${dir}/ref`, "--", `${dir}/f`]);
  deepEqual(plan.intents.map((i) => i.operation), ["read", "chmod"]);
  equal(plan.intents[1]!.target.mode, "4777");
  equal(plan.intents[1]!.target.setuid, true);
  equal(plan.intents[1]!.target.world_writable, true);
});

Deno.test("planChmod() refuses / and top-level directories recursively, and --no-preserve-root", () => {
  for (const args of [["-R", "755", "/etc"], ["644", "/"], ["--no-preserve-root", "755", "f"]]) {
    match(planChmod(args, env).refusal ?? "", /never allowed/, args.join(" "));
  }
  equal(planChmod(["755", "/etc"], env).refusal, undefined); // the policy decides that one
  for (const args of [["u+q", "f"], ["755"], [], ["-x"]]) {
    throws(() => planChmod(args, env), (e: Error & { code?: string }) => e.code === "usage");
  }
});
