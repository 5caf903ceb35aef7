/** A scratch directory and a fake environment for calling the safe commands' plan functions. */
import { resolveEnvironment, type WatchtowerEnvironment } from "../../core/config.ts";

/** A fresh directory (`dir`, symlinks resolved) with a home inside it, and an environment there. */
export function scratch(): { dir: string; env: WatchtowerEnvironment } {
  const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-plan-" }));
  Deno.mkdirSync(`${dir}/home`);
  const env = resolveEnvironment((name) => ({ HOME: `${dir}/home` })[name], dir);
  return { dir, env };
}
