/**
 * The command guard's corpora (tests/corpus/): every adversarial line is denied or escalated,
 * every everyday developer line is allowed, under the default policy and under the coding-agent
 * profile. Decided in-process through the real analysis, rules and GTFOBins annotator.
 */
import { deepEqual, ok } from "node:assert/strict";
import { createGuard } from "../cli/guard.ts";
import { resolveEnvironment } from "../core/config.ts";
import { permits } from "../core/intent.ts";
import { loadPolicy } from "../core/policy/loader.ts";
import { decideLine } from "../core/shell_guard/mod.ts";
import { readCorpus } from "./_corpus.ts";

const REPO = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");

// A home with the secrets an attacker goes for (globs expand to them) and a workspace in it.
const home = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-corpus-" }));
const workspace = `${home}/project`;
Deno.mkdirSync(`${workspace}/src`, { recursive: true });
Deno.mkdirSync(`${home}/.ssh`);
Deno.mkdirSync(`${home}/.aws`);
Deno.writeTextFileSync(`${home}/.ssh/id_rsa`, "key");
Deno.writeTextFileSync(`${home}/.aws/credentials`, "key");
const vars = { home, workspace, stateDir: `${home}/.watchtower` };
const env = resolveEnvironment(
  (name) => ({ HOME: home, WATCHTOWER_WORKSPACE: workspace } as Record<string, string>)[name],
  workspace,
);

const malicious = readCorpus(`${REPO}/tests/corpus/commands-malicious.txt`, ["deny", "escalate"]);
const benign = readCorpus(`${REPO}/tests/corpus/commands-benign.txt`, ["allow"]);

Deno.test("the corpora are as large as the command guard promises", () => {
  ok(malicious.length >= 150, `${malicious.length} adversarial lines`);
  ok(benign.length >= 300, `${benign.length} benign lines`);
  deepEqual(new Set(malicious.map((l) => l.line)).size, malicious.length, "no duplicates");
  deepEqual(new Set(benign.map((l) => l.line)).size, benign.length, "no duplicates");
});

for (const profiles of [[], ["coding-agent"]]) {
  const name = profiles.length === 0 ? "the default policy" : `--profile ${profiles.join(", ")}`;
  const policy = await loadPolicy({
    stateDir: vars.stateDir,
    profileDirs: [`${REPO}/profiles`],
    profiles,
    vars,
  });
  const guard = createGuard(policy);
  const decide = (line: string) => decideLine(line, { guard, env, tool: "corpus" });

  Deno.test(`every adversarial line is denied or escalated under ${name}`, () => {
    const wrong = malicious.flatMap(({ number, line, expect }) => {
      const decided = decide(line);
      return expect.includes(decided.verdict)
        ? []
        : [`${number}: ${decided.verdict} ${line} — ${decided.decision.detail}`];
    });
    deepEqual(wrong, []);
  });

  Deno.test(`every everyday developer line is allowed under ${name}`, () => {
    const wrong = benign.flatMap(({ number, line }) => {
      const decided = decide(line);
      return permits(decided.verdict)
        ? []
        : [`${number}: ${decided.verdict} ${line} — ${decided.decision.detail}`];
    });
    deepEqual(wrong, []);
  });
}
