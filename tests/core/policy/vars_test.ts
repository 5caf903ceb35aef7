import { equal } from "node:assert/strict";
import { fillVars } from "../../../core/policy/vars.ts";

Deno.test("fillVars fills known variables and a leading ~, and refuses unknown ones", () => {
  const vars = { home: "/home/me/", workspace: "/w", stateDir: "/s" };
  equal(fillVars("${workspace}/src", vars), "/w/src");
  equal(fillVars("${state_dir}/ledger", vars), "/s/ledger");
  equal(fillVars("~/.ssh", vars), "/home/me/.ssh");
  equal(fillVars("${nope}/x", vars), undefined);
  equal(fillVars("~/x", {}), undefined);
  equal(fillVars("/a/~/b", vars), "/a/~/b");
  equal(fillVars("${workspace}/*", { workspace: "/w[1]" }, { glob: true }), "/w\\[1\\]/*");
});
