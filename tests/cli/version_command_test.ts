import { deepEqual, equal, match } from "node:assert/strict";
import { buildInfo, describeRun, runMode } from "../../cli/version_command.ts";
import { VERSION } from "../../cli/version.ts";
import { wt } from "../integration/_wt.ts";

Deno.test("runMode() tells a compiled binary, an installed bundle and the sources apart", () => {
  const cases: Array<[boolean, string, string]> = [
    [true, "file:///tmp/deno-compile-wt/cli/version_command.ts", "compiled"],
    [false, "file:///home/a/.local/lib/watchtower/js/chunk-ABC123.js", "bundle"],
    [false, "file:///home/a/.local/lib/watchtower/js/cli/main.js", "bundle"],
    [false, "file:///src/watchtower/cli/version_command.ts", "sources"],
  ];
  for (const [standalone, url, mode] of cases) equal(runMode(standalone, url), mode, url);
});

Deno.test("buildInfo() has the version, Deno's target and versions, and how it runs", () => {
  const info = buildInfo();
  equal(info.version, VERSION);
  equal(info.target, Deno.build.target);
  equal(info.runs, "sources");
  equal(info.deno, Deno.version.deno);
  match(info.modules, /^file:\/\/.*\/cli\/$/);
  match(describeRun(info), /^the sources in .*, with /);
  match(
    describeRun({ ...info, runs: "bundle", modules: "file:///h/.local/lib/watchtower/js/" }),
    /^an installed launcher running the bundle in \/h\/\.local\/lib\/watchtower$/,
  );
  equal(
    describeRun({ ...info, runs: "compiled", executable: "/h/.local/bin/wt" }),
    "a compiled binary (/h/.local/bin/wt)",
  );
});

Deno.test("wt version prints the version first, then target, how it runs and Deno", async () => {
  const text = await wt(["version"]);
  equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split("\n");
  equal(lines[0], `wt ${VERSION}`);
  match(lines[1]!, new RegExp(`^target  ${Deno.build.target}$`));
  match(lines[2]!, /^runs {4}the sources in /);
  match(lines[3]!, new RegExp(`^deno    ${Deno.version.deno.replaceAll(".", "\\.")} \\(v8 `));
  const json = await wt(["version", "--json"]);
  equal(json.code, 0, json.stderr);
  deepEqual(Object.keys(JSON.parse(json.stdout)), [
    "version",
    "target",
    "runs",
    "executable",
    "modules",
    "deno",
    "v8",
    "typescript",
  ]);
  equal((await wt(["--version"])).stdout.split("\n")[0], `wt ${VERSION}`);
});
