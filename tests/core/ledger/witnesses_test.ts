import { deepEqual, equal, match, throws } from "node:assert/strict";
import { parseCosignerKey } from "../../../core/ledger/cosignature.ts";
import {
  lastWitnessedSize,
  MAX_WITNESSES,
  parsePins,
  readPins,
  recordWitnessed,
  witnessPaths,
} from "../../../core/ledger/witnesses.ts";

const KEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";
const doc = (witnesses: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ version: 1, witnesses, ...extra });

Deno.test("parsePins() reads witnesses with and without a URL", () => {
  const pins = parsePins(doc([{ url: "https://w.example/", key: KEY }, {
    key: "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6",
  }]));
  deepEqual(pins.map((p) => [p.key.name, p.url]), [
    ["remora.n621.de", "https://w.example/"],
    ["TEST", undefined],
  ]);
  equal(pins[0]!.keyText, KEY);
});

Deno.test("parsePins() refuses what it does not understand, naming the key path", () => {
  const cases: Array<[string, RegExp]> = [
    ["{", /line 1: not JSON/],
    [JSON.stringify({ version: 2, witnesses: [] }), /version: must be 1/],
    [doc([], { extra: true }), /\(top\)\.extra: unknown key/],
    [doc({}), /witnesses: must be a list/],
    [doc([{ key: KEY, name: "x" }]), /witnesses\[0\]\.name: unknown key/],
    [doc([{ url: "https://w/" }]), /witnesses\[0\]\.key: must be a witness key text/],
    [doc([{ key: "x+1+2" }]), /witnesses\[0\]\.key: Cannot parse witness key/],
    [doc([{ key: KEY, url: "ftp://w/" }]), /witnesses\[0\]\.url: .*only http and https/],
    [doc([{ key: KEY }, { key: KEY }]), /witnesses\[1\]\.key: 'remora.n621.de' is pinned twice/],
    [doc(Array(MAX_WITNESSES + 1).fill({ key: KEY })), /witnesses: at most 32/],
  ];
  for (const [text, message] of cases) throws(() => parsePins(text), message, text);
});

Deno.test("readPins() tells missing from invalid", () => {
  const dir = Deno.makeTempDirSync();
  equal(readPins(dir).status, "missing");
  Deno.writeTextFileSync(witnessPaths(dir).pins, "[]");
  const invalid = readPins(dir);
  equal(invalid.status, "invalid");
  if (invalid.status === "invalid") match(invalid.message, /witnesses\.json: \(top\): must be/);
  Deno.writeTextFileSync(witnessPaths(dir).pins, doc([{ key: KEY }]));
  equal(readPins(dir).status, "ok");
});

Deno.test("the size a witness last cosigned is kept per log origin, and a damaged record reads as 0", () => {
  const dir = Deno.makeTempDirSync();
  Deno.mkdirSync(`${dir}/checkpoints`);
  const key = parseCosignerKey(KEY);
  equal(lastWitnessedSize(dir, "log/a", key), 0);
  recordWitnessed(dir, "log/a", key, { size: 12, url: "https://w/", timestamp: 1 });
  recordWitnessed(dir, "log/b", key, { size: 3, url: "https://w/", timestamp: 2 });
  equal(lastWitnessedSize(dir, "log/a", key), 12);
  equal(lastWitnessedSize(dir, "log/b", key), 3);
  Deno.writeTextFileSync(witnessPaths(dir).state, "{not json");
  equal(lastWitnessedSize(dir, "log/a", key), 0);
});
