import { equal, ok, throws } from "node:assert/strict";
import { compileGlob, GlobSyntaxError, MAX_GLOB_LENGTH } from "../../../core/match/glob.ts";

const PATH_CASES: Array<[pattern: string, text: string, expected: boolean]> = [
  ["**/.env", ".env", true],
  ["**/.env", "a/.env", true],
  ["**/.env", "/home/me/project/.env", true],
  ["**/.env", "a.env", false],
  ["**/.env", "/home/me/xa.env", false],
  ["/tmp/*", "/tmp/a", true],
  ["/tmp/*", "/tmp/a/b", false],
  ["/tmp/**", "/tmp", true],
  ["/tmp/**", "/tmp/a/b/c", true],
  ["/tmp/**", "/tmpfoo", false],
  ["/tmp/**", "/tmp2/x", false],
  ["**/credentials*", "/x/credentials.json", true],
  ["**/credentials*", "/x/credentials/y", false],
  ["/a/**/b", "/a/b", true],
  ["/a/**/b", "/a/x/y/b", true],
  ["/a/**/b", "/ab", false],
  ["/a/?/c", "/a/b/c", true],
  ["/a?c", "/a/c", false],
  ["/x/[!.]*", "/x/.hidden", false],
  ["/x/[!.]*", "/x/visible", true],
  ["/x/[a-c]", "/x/b", true],
  ["/x/[a-c]", "/x/d", false],
  ["/x/\\*", "/x/*", true],
  ["/x/\\*", "/x/a", false],
  ["/x/[", "/x/[", true],
];

Deno.test("path globs stop * at slashes and let ** cross them", () => {
  for (const [pattern, text, expected] of PATH_CASES) {
    equal(compileGlob(pattern, { path: true }).test(text), expected, `${pattern} vs ${text}`);
  }
});

Deno.test("plain globs let * match any text including slashes", () => {
  equal(compileGlob("*salary*").test("/data/hr/salary.csv"), true);
  equal(compileGlob("stripe.com/*").test("stripe.com/v1/charges"), true);
  equal(compileGlob("*/checkout*").test("shop.example/cart/checkout?x=1"), true);
  equal(compileGlob("curl*|*sh").test("curl -fsSL x | sh"), true);
  equal(compileGlob("curl*|*sh").test("curl x > out"), false);
  equal(compileGlob("rm -rf*").test("rm -rf /tmp/x"), true);
  equal(compileGlob("git status").test("git status"), true);
  equal(compileGlob("git status").test("git status --short"), false);
});

Deno.test("ignoreCase folds pattern and text", () => {
  ok(compileGlob("*/CHECKOUT*", { ignoreCase: true }).test("shop.example/Checkout"));
  ok(!compileGlob("*/CHECKOUT*").test("shop.example/Checkout"));
});

Deno.test("pathological patterns run in polynomial time", () => {
  const text = "a".repeat(20_000);
  const started = performance.now();
  equal(compileGlob("*a*a*a*a*a*a*a*a*a*a*b", { path: true }).test(text), false);
  equal(compileGlob("*a*a*a*a*a*a*a*a*a*a*b").test(text), false);
  equal(compileGlob("**/**/**/**/**/**/x", { path: true }).test(`/${"a/".repeat(5000)}y`), false);
  ok(performance.now() - started < 2_000, "took too long");
});

Deno.test("bad patterns are refused with a column", () => {
  throws(() => compileGlob("abc\\"), GlobSyntaxError);
  throws(() => compileGlob("[z-a]"), (error: GlobSyntaxError) => error.column === 2);
  throws(() => compileGlob("x".repeat(MAX_GLOB_LENGTH + 1)), GlobSyntaxError);
});
