import { deepEqual, equal, match, throws } from "node:assert/strict";
import { planLn } from "../../shims/safe_ln.ts";
import { scratch } from "./_fs_env.ts";

const { dir, env } = scratch();
Deno.mkdirSync(`${dir}/real/sub`, { recursive: true });
Deno.symlinkSync("real", `${dir}/link`);
Deno.writeTextFileSync(`${dir}/f`, "x");

Deno.test("planLn() keeps a symbolic link's text and resolves it against the link's directory", () => {
  const plan = planLn(["-s", "../f", "link/sub/x"], env);
  deepEqual(plan.args, ["-s", "-T", "--", "../f", `${dir}/real/sub/x`]);
  deepEqual(plan.intents.map((i) => [i.operation, i.target.path]), [
    ["read", `${dir}/real/f`],
    ["link", `${dir}/real/sub/x`],
  ]);
  equal(plan.intents[1]!.target.text, "../f");
  equal(plan.intents[1]!.target.points_to, `${dir}/real/f`);
});

Deno.test("planLn() with -r resolves the target against the working directory", () => {
  const plan = planLn(["-sr", "f", "real/sub/x"], env);
  deepEqual(plan.args, ["-s", "-r", "-T", "--", `${dir}/f`, `${dir}/real/sub/x`]);
  equal(plan.intents[0]!.target.path, `${dir}/f`);
  throws(() => planLn(["-r", "f", "x"], env), /--relative without --symbolic/);
});

Deno.test("planLn() enters a directory symlink, unless -n makes it a name to replace", () => {
  deepEqual(planLn(["-s", "f", "link"], env).args, ["-s", "-t", `${dir}/real`, "--", "f"]);
  deepEqual(planLn(["-sfn", "f", "link"], env).args, [
    "-s",
    "-f",
    "-n",
    "-T",
    "--",
    "f",
    `${dir}/link`,
  ]);
  deepEqual(planLn(["-s", "/etc/hosts"], env).intents[1]!.target.path, `${dir}/hosts`);
});

Deno.test("planLn() hard links name the target's absolute path", () => {
  const plan = planLn(["f", "g"], env);
  deepEqual(plan.args, ["-T", "--", `${dir}/f`, `${dir}/g`]);
  equal(plan.intents[1]!.target.symbolic, false);
});

Deno.test("planLn() -f never replaces /, a top-level entry or the home directory", () => {
  match(planLn(["-sfn", "x", "/bin"], env).refusal ?? "", /never allowed/);
  match(planLn(["-sfT", "x", `${dir}/home`], env).refusal ?? "", /never allowed/);
  equal(planLn(["-sn", "x", "/bin"], env).refusal, undefined);
  for (const args of [["-i", "f", "g"], [], ["-L", "f", "g"], ["-T", "f"]]) {
    throws(() => planLn(args, env), (e: Error & { code?: string }) => e.code === "usage");
  }
});
