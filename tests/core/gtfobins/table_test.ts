import { deepEqual, equal, ok } from "node:assert/strict";
import { GTFO_TABLE } from "../../../core/gtfobins/mod.ts";
import { DEFAULT_DATA_DIR, generate, TABLE_PATH } from "../../../scripts/gen_gtfobins.ts";

let dataPresent = true;
try {
  Deno.statSync(`${DEFAULT_DATA_DIR}/_gtfobins`);
} catch {
  dataPresent = false;
}
const NO_DATA = "the GTFOBins data (../shared/gtfobins) is not beside this checkout";
// Every skip states its reason.
if (!dataPresent) console.log(`skipping the table-currency and count tests: ${NO_DATA}`);

Deno.test({
  name: "the committed table is exactly what the generator makes from the data",
  ignore: !dataPresent,
  fn() {
    equal(
      generate(DEFAULT_DATA_DIR),
      Deno.readTextFileSync(TABLE_PATH),
      "run deno task gen:gtfobins",
    );
  },
});

Deno.test({
  name: "the table's counts match the data, counted independently by Python",
  ignore: !dataPresent,
  async fn() {
    const script = `
import glob, json, os, re, sys
counts = {"files": 0, "aliases": 0, "functions": {}}
for path in sorted(glob.glob(os.path.join(sys.argv[1], "_gtfobins", "*"))):
    counts["files"] += 1
    text = open(path).read()
    if re.search(r"^alias: ", text, re.M): counts["aliases"] += 1
    for name in set(re.findall(r"^  ([a-z-]+):$", text, re.M)):
        if name != "inherit": counts["functions"][name] = counts["functions"].get(name, 0) + 1
print(json.dumps(counts))`;
    const out = await new Deno.Command("python3", {
      args: ["-c", script, DEFAULT_DATA_DIR],
      stdout: "piped",
    }).output();
    const expected = JSON.parse(new TextDecoder().decode(out.stdout));
    const binaries = Object.values(GTFO_TABLE.binaries);
    equal(GTFO_TABLE.count, expected.files);
    equal(binaries.length, expected.files);
    equal(binaries.filter((b) => b.alias_of).length, expected.aliases);
    const ours: Record<string, number> = {};
    for (const b of binaries) {
      for (const fn of Object.keys(b.functions)) ours[fn] = (ours[fn] ?? 0) + 1;
    }
    deepEqual(ours, expected.functions);
  },
});

Deno.test("the table is facts only: no example text", () => {
  const text = JSON.stringify(GTFO_TABLE);
  for (const snippet of ["/path/to/", "attacker.com", "DATA", "/bin/sh -c", "import os", "12345"]) {
    ok(!text.includes(snippet), `the table contains '${snippet}'`);
  }
  for (const b of Object.values(GTFO_TABLE.binaries)) {
    for (const f of Object.values(b.functions)) {
      for (const t of f.options) ok(t.option.length <= 40 && !/\s/.test(t.option), t.option);
    }
  }
});

Deno.test("well-known facts come out of the data", () => {
  const fn = (name: string) => GTFO_TABLE.binaries[name]!.functions;
  ok(fn("find").shell!.options.some((t) => t.option === "-exec"));
  ok(fn("tar").shell!.options.some((t) => t.option === "--checkpoint-action"));
  ok(fn("less").shell!.interactive);
  ok(fn("bash").shell!.bare);
  ok(fn("env").shell!.shapes.includes("exec-arg"));
  ok(fn("git").shell!.env.includes("PAGER"));
  equal(GTFO_TABLE.binaries["awk"]!.alias_of, "mawk");
  ok(fn("python")["library-load"]!.contexts.includes("capabilities"));
  ok(GTFO_TABLE.binaries["vim"]!.inherits.includes("vi"));
});
