import { equal } from "node:assert/strict";
import { expandHome, normalizePath } from "../../../core/match/path.ts";

Deno.test("normalizePath resolves dots, repeated slashes and relative paths", () => {
  const cases: Array<[string, string | undefined, string]> = [
    ["/tmp/../etc/passwd", undefined, "/etc/passwd"],
    ["/tmp/./a//b/", undefined, "/tmp/a/b"],
    ["/../../x", undefined, "/x"],
    ["src/a.ts", "/work/p", "/work/p/src/a.ts"],
    ["../../../../etc/shadow", "/work/p", "/etc/shadow"],
    ["a/../../b", undefined, "../b"],
    ["", undefined, "."],
    ["/", undefined, "/"],
  ];
  for (const [path, cwd, expected] of cases) equal(normalizePath(path, cwd), expected, path);
});

Deno.test("expandHome expands only a leading ~ or ~/", () => {
  equal(expandHome("~/.ssh/id", "/home/me"), "/home/me/.ssh/id");
  equal(expandHome("~", "/home/me"), "/home/me");
  equal(expandHome("~other/x", "/home/me"), "~other/x");
  equal(expandHome("/a/~/b", "/home/me"), "/a/~/b");
  equal(expandHome("~/x", undefined), "~/x");
});
