import { deepEqual, equal, match, throws } from "node:assert/strict";
import { parseOwner, planChown } from "../../shims/safe_chown.ts";
import { scratch } from "./_fs_env.ts";

const { dir, env } = scratch();
Deno.mkdirSync(`${dir}/real`);
Deno.symlinkSync("real", `${dir}/link`);

Deno.test("parseOwner() reads OWNER[:GROUP] and flags root by name, number and id", () => {
  const read = (spec: string) => {
    const o = parseOwner(spec);
    return [o.owner, o.group, o.to_root];
  };
  deepEqual(read("root"), ["root", null, true]);
  deepEqual(read("0"), ["0", null, true]);
  deepEqual(read("+0"), ["+0", null, true]);
  deepEqual(read("nobody"), ["nobody", null, false]);
  deepEqual(read("nobody:root"), ["nobody", "root", true]);
  deepEqual(read(":0"), [null, "0", true]);
  deepEqual(read("nobody:nogroup"), ["nobody", "nogroup", false]);
  deepEqual(read("root:"), ["root", "root", true]);
  deepEqual(read("nobody.root"), ["nobody", "root", true]);
  deepEqual(read("1000:1000"), ["1000", "1000", false]);
});

Deno.test("planChown() follows symlinks, except with -h or -R (which change the link itself)", () => {
  deepEqual(planChown(["nobody", "link"], env).args, ["--", "nobody", `${dir}/real`]);
  deepEqual(planChown(["-h", "nobody", "link"], env).args, ["-h", "--", "nobody", `${dir}/link`]);
  deepEqual(planChown(["-R", "nobody", "link"], env).intents[0]!.target, {
    path: `${dir}/link`,
    owner: "nobody",
    group: null,
    to_root: false,
    recursive: true,
  });
});

Deno.test("planChown() carries to_root and declares a change to root restricted", () => {
  const target = planChown(["root:root", "link"], env).intents[0]!.target;
  equal(target.to_root, true);
  equal(target.sensitivity, "restricted");
});

Deno.test("planChown() --reference reads the reference and takes its ids", () => {
  const plan = planChown(["--reference", "link", "link"], env);
  deepEqual(plan.intents.map((i) => i.operation), ["read", "chown"]);
  equal(plan.intents[1]!.target.owner, String(Deno.statSync(`${dir}/real`).uid));
});

Deno.test("planChown() refuses / and top-level directories recursively, and bad usage", () => {
  for (
    const args of [["-R", "nobody", "/usr"], ["nobody", "/"], ["--no-preserve-root", "x", "f"]]
  ) {
    match(planChown(args, env).refusal ?? "", /never allowed/, args.join(" "));
  }
  for (const args of [["nobody"], [], ["--from=root", "nobody", "f"], ["-L", "nobody", "f"]]) {
    throws(() => planChown(args, env), (e: Error & { code?: string }) => e.code === "usage");
  }
});
