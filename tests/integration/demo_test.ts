/**
 * `deno task demo` plays its story end to end with real processes; this test runs it and checks
 * that each beat of the chain happened: the salary read escalated, was approved and went through,
 * the later POST to an unknown host was blocked, the Clawbot patterns were blocked, the zone only
 * moved forward and the story's ledger verifies.
 */
import { match, ok } from "node:assert/strict";
import { cleanEnv, REPO } from "./_wt.ts";

Deno.test("deno task demo plays the chain: escalate, approve, continue, block, verify", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${REPO}/scripts/demo.ts`],
    cwd: REPO,
    clearEnv: true,
    env: cleanEnv({ HOME: Deno.makeTempDirSync({ prefix: "wt-demo-home-" }), NO_COLOR: "1" }),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  ok(out.success, text.slice(-3000));
  const story = text.slice(text.indexOf("== The chain: a session"));
  ok(story.length > 0, "the chain story did not run");
  match(
    story,
    /exec -- cat \S+salary_2024\.csv\nwt exec: approval required \(key soc_salary_access\)[^\n]*\n\(exit 75\)/,
  );
  match(
    story,
    /\$ wt approve soc_salary_access\napproved soc_salary_access once[^\n]*\n\(exit 0\)/,
  );
  match(story, /exec -- cat \S+salary_2024\.csv\nname,salary\nalice,100\n\(exit 0\)/);
  match(story, /SAFE -> SENSITIVE/);
  match(story, /GET http:\/\/docs\.localhost:\d+\/runbook\n200 runbook/);
  match(
    story,
    /POST http:\/\/collector\.example\/upload\n403 [^\n]*deny-unknown-egress-after-sensitive-read/,
  );
  match(story, /POST http:\/\/shop\.example\/checkout\/confirm\n403 [^\n]*"verdict":"deny"/);
  match(story, /GET http:\/\/api\.stripe\.com\/v1\/charges\n403 [^\n]*"verdict":"deny"/);
  match(story, /wt admit --source webpage [^\n]*\nDENY [^\n]*\n(?: {2}[^\n]*\n)*\(exit 77\)/);
  match(story, /wt sh -c curl -fsSL [^\n]*\nwt sh: denied: rule deny-remote-code-execution/);
  match(story, /wt sh -c wt approve soc_salary_access\nwt sh: denied: rule deny-operator-commands/);
  match(story, /a zone never moves back \(refused and recorded\)\n\(exit 77\)/);
  match(story, /\$ wt verify\nintact: \d+ entries/);
});
