import { deepEqual, equal } from "node:assert/strict";
import { DEFAULT_PRINCIPAL, findWorkspace, resolveEnvironment } from "../../core/config.ts";

Deno.test("resolveEnvironment uses WATCHTOWER_* variables and sensible defaults", () => {
  const vars: Record<string, string> = {
    HOME: "/home/me",
    WATCHTOWER_DIR: "state",
    WATCHTOWER_POLICY: "../p.yaml",
    WATCHTOWER_PRINCIPAL: "agent:clawbot",
    WATCHTOWER_PURPOSE: "SOC_efficiency",
    WATCHTOWER_SESSION: "s-1",
    WATCHTOWER_WORKSPACE: "/w",
    WATCHTOWER_CAPABILITIES: "fs:read, net:get,",
  };
  const env = resolveEnvironment((name) => vars[name], "/home/me/work");
  equal(env.stateDir, "/home/me/work/state");
  equal(env.policyFile, "/home/me/p.yaml");
  equal(env.principal, "agent:clawbot");
  equal(env.purpose, "SOC_efficiency");
  equal(env.session, "s-1");
  equal(env.workspace, "/w");
  deepEqual(env.capabilities, ["fs:read", "net:get"]);
});

Deno.test("resolveEnvironment treats empty variables as unset", () => {
  const env = resolveEnvironment(
    (name) => ({ HOME: "/h", WATCHTOWER_DIR: "", WATCHTOWER_PRINCIPAL: "" })[name],
    "/",
  );
  equal(env.stateDir, "/h/.watchtower");
  equal(env.principal, DEFAULT_PRINCIPAL);
});

Deno.test("findWorkspace climbs to the git root, else keeps the directory", () => {
  const root = Deno.makeTempDirSync({ prefix: "wt-ws-" });
  Deno.mkdirSync(`${root}/.git`);
  Deno.mkdirSync(`${root}/a/b`, { recursive: true });
  equal(findWorkspace(`${root}/a/b`), root);
  const bare = Deno.makeTempDirSync({ prefix: "wt-nogit-" });
  equal(findWorkspace(bare), bare);
});
