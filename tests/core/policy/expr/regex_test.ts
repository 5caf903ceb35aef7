/** The on-demand RE2 engine and the regex() builtin it powers. */
import { equal, ok, throws } from "node:assert/strict";
import {
  compileCondition,
  loadRegexCompiler,
  usesRegex,
} from "../../../../core/policy/expr/mod.ts";
import { WatchtowerError } from "../../../../core/errors.ts";

Deno.test("loadRegexCompiler() loads the engine once and compiles searches", async () => {
  const [first, second] = await Promise.all([loadRegexCompiler(), loadRegexCompiler()]);
  equal(first, second);
  ok(first("b+")("aabbc"), "search, not a full match");
  ok(!first("^b+$")("aabbc"));
  throws(() => first("(unclosed"));
  throws(() => first("(?=lookahead)"), "RE2 has no lookaround");
});

Deno.test("usesRegex() tells a loader when a condition may call regex()", () => {
  const cases: Array<[string, boolean]> = [
    ["regex(target.path, '^/etc/')", true],
    ["zone == 'SAFE' and regex (target.url, 'x')", true],
    ["target.path.startswith('/tmp/')", false],
    ["target.regex == 'x'", false],
    ["myregex(x)", false],
  ];
  for (const [source, want] of cases) equal(usesRegex(source), want, source);
});

Deno.test("regex() searches with RE2 syntax and reports bad literal patterns at compile time", async () => {
  const regex = await loadRegexCompiler();
  const scope = {
    target: { url: "https://api.example.com/v1/users", pattern: "example\\.(com|org)" },
  };
  const cases: Array<[string, boolean]> = [
    ["regex(target.url, '^https://[a-z.]+\\.example\\.com/')", true],
    ["regex(target.url, 'users$')", true],
    ["regex(target.url, '(?i)EXAMPLE')", true],
    ["regex(target.url, '^http://')", false],
    ["regex(target.url, target.pattern)", true],
    ["any(regex(target.url, p) for p in ('/v2/', '/v1/'))", true],
  ];
  for (const [source, want] of cases) {
    equal(compileCondition(source, { regex }).evaluate(scope), want, source);
  }
  throws(
    () => compileCondition("regex(target.url, '(')", { regex }),
    (e) =>
      e instanceof WatchtowerError && e.code === "condition_syntax" && e.location?.column === 19 &&
      /bad regex pattern: .*missing closing \)/.test(e.message),
  );
  throws(
    () => compileCondition("regex(target.url, target.url + '(')", { regex }).evaluate(scope),
    (e) =>
      e instanceof WatchtowerError && e.code === "condition_runtime" &&
      /bad regex pattern/.test(e.message),
  );
});

Deno.test("regex() keeps at most 64 computed patterns compiled per call site", async () => {
  const regex = await loadRegexCompiler();
  let compiled = 0;
  const counting = (pattern: string) => {
    compiled++;
    return regex(pattern);
  };
  const condition = compileCondition("regex(target.url, target.pattern)", { regex: counting });
  const run = (i: number) => condition.evaluate({ target: { url: "x7", pattern: `x${i}` } });
  for (let i = 0; i < 64; i++) run(i);
  equal(compiled, 64);
  for (let i = 0; i < 64; i++) run(i);
  equal(compiled, 64, "all 64 stay cached");
  run(64);
  run(0);
  equal(compiled, 66, "the 65th evicts the least recently used");
  equal(run(7), true);
});
