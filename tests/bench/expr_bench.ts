/**
 * Evaluation cost of conditions: the four Watchtower 2.0 examples and a few heavier forms.
 * Run with `deno bench tests/bench/expr_bench.ts`.
 */
import { compileCondition, loadRegexCompiler, type Scope } from "../../core/policy/expr/mod.ts";

const scope: Scope = {
  identity: { principal: "agent:clawbot", capabilities: ["fs:read", "fs:write", "net:fetch"] },
  intent: { domain: "filesystem", operation: "read" },
  target: { path: "/home/alice/project/src/main.ts" },
  context: { session: "s1", cwd: "/home/alice/project" },
  zone: "SAFE",
  risk: 0.2,
};

const regex = await loadRegexCompiler();
const cases: Record<string, string> = {
  "startswith and not in": "target.path.startswith('/home/') and '..' not in target.path",
  "list count": "identity.capabilities.count('fs:read') > 0",
  "any over a tuple": "any(target.path.startswith(p) for p in ('/etc', '/usr'))",
  "startswith": "target.path.startswith('/tmp/')",
  "in a tuple of strings": "intent.operation in ('read', 'list', 'stat')",
  "chained comparison": "0 <= risk < 0.5",
  "glob literal": "glob(target.path, '/home/*/project/**/*.ts')",
  "regex literal": "regex(target.path, '^/home/[^/]+/project/')",
};

for (const [name, source] of Object.entries(cases)) {
  const condition = compileCondition(source, { regex });
  Deno.bench(`evaluate: ${name}`, { group: "evaluate" }, () => {
    condition.test(scope);
  });
}

Deno.bench("compile: the first example", { group: "compile" }, () => {
  compileCondition("target.path.startswith('/home/') and '..' not in target.path");
});
