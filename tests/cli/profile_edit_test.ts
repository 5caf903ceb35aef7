import { equal, throws } from "node:assert/strict";
import { addProfile, removeProfile } from "../../cli/profile_edit.ts";
import { DEFAULT_POLICY_YAML } from "../../core/policy/mod.ts";

const yaml = { file: "policy.yaml" };
const json = { file: "policy.json" };

Deno.test("addProfile edits only the profiles list, in each of its shapes", () => {
  const cases: Array<[string, string, string]> = [
    [
      "an empty flow list",
      "a: 1 # one\nprofiles: []  # none\n",
      "a: 1 # one\nprofiles: [clawbot]  # none\n",
    ],
    ["a flow list", "profiles: [x, y]\n", "profiles: [x, y, clawbot]\n"],
    ["a flow list with a trailing comma", "profiles: [x,]\n", "profiles: [x, clawbot]\n"],
    ['a flow list of "quoted" names', 'profiles: ["x"]\n', 'profiles: ["x", "clawbot"]\n'],
    [
      "a block list, keeping its indentation and comments",
      "profiles:\n  - x # why\nmode: enforce\n",
      "profiles:\n  - x # why\n  - clawbot\nmode: enforce\n",
    ],
    ["a block list at the end without a newline", "profiles:\n- x", "profiles:\n- x\n- clawbot\n"],
    [
      "no profiles key",
      "# mine\ndefault: allow\n",
      "# mine\ndefault: allow\n# Profiles applied before this file (wt profile apply / remove).\nprofiles: [clawbot]\n",
    ],
    ["a flow mapping", '{"default": "allow"}\n', '{"profiles": ["clawbot"], "default": "allow"}\n'],
  ];
  for (const [what, before, after] of cases) {
    const edit = addProfile(before, "clawbot", yaml);
    equal(edit.text, after, what);
    equal(edit.changed, true, what);
  }
});

Deno.test("addProfile leaves a file that already lists the profile as it is", () => {
  const text = "profiles: [clawbot] # mine\n";
  const edit = addProfile(text, "clawbot", yaml);
  equal(edit.changed, false);
  equal(edit.text, text);
});

Deno.test("addProfile quotes a name YAML would read as another type", () => {
  equal(addProfile("profiles: []\n", "true", yaml).text, 'profiles: ["true"]\n');
  equal(addProfile("profiles: []\n", "0x1f", yaml).text, 'profiles: ["0x1f"]\n');
});

Deno.test("addProfile edits JSON files as JSON, keeping their layout", () => {
  equal(
    addProfile('{\n  "version": "2.0.0",\n  "policies": []\n}\n', "clawbot", json).text,
    '{\n  "profiles": ["clawbot"],\n  "version": "2.0.0",\n  "policies": []\n}\n',
  );
  equal(
    addProfile('{\n  "profiles": ["a"],\n  "policies": []\n}\n', "clawbot", json).text,
    '{\n  "profiles": ["a", "clawbot"],\n  "policies": []\n}\n',
  );
  equal(addProfile("{}", "clawbot", json).text, '{"profiles": ["clawbot"]}');
});

Deno.test("addProfile on the default policy changes exactly one line", () => {
  const edit = addProfile(DEFAULT_POLICY_YAML, "clawbot", yaml);
  const before = DEFAULT_POLICY_YAML.split("\n");
  const after = edit.text.split("\n");
  equal(after.length, before.length);
  const changed = after.flatMap((line, i) => line === before[i] ? [] : [line]);
  equal(changed.join("\n"), "profiles: [clawbot]");
});

Deno.test("removeProfile takes the name out and keeps an emptied list loadable", () => {
  const cases: Array<[string, string, string]> = [
    ["a flow list", "profiles: [x, clawbot, y] # c\n", "profiles: [x, y] # c\n"],
    ["the only flow item", "profiles: [clawbot]\n", "profiles: []\n"],
    [
      "a block item",
      "profiles:\n  - x\n  - clawbot # c\nmode: enforce\n",
      "profiles:\n  - x\nmode: enforce\n",
    ],
    [
      "the only block item",
      "profiles: # c\n  - clawbot\nmode: enforce\n",
      "profiles: [] # c\nmode: enforce\n",
    ],
    ["a JSON list", '{"profiles": ["clawbot", "x"]}', '{"profiles": ["x"]}'],
  ];
  for (const [what, before, after] of cases) {
    equal(removeProfile(before, "clawbot", yaml).text, after, what);
  }
  equal(removeProfile("mode: enforce\n", "clawbot", yaml).changed, false);
});

Deno.test("an edit that cannot be made safely is refused with the file named", () => {
  throws(
    () => addProfile("profiles: nope\n", "clawbot", yaml),
    /policy\.yaml: its profiles: is not/,
  );
  throws(() => addProfile("- a\n", "clawbot", yaml), /not a mapping/);
  throws(() => removeProfile("profiles: [a, # c\n clawbot]\n", "clawbot", yaml), /comments/);
  throws(() => addProfile("profiles: [\n", "clawbot", yaml), /policy\.yaml:\d+:\d+/);
});
