import { equal, throws } from "node:assert/strict";
import { parseCount } from "../../cli/tail.ts";
import { WatchtowerError } from "../../core/errors.ts";

Deno.test("parseCount takes a whole number, falls back when absent, and refuses anything else", () => {
  equal(parseCount(undefined, 10, "-n"), 10);
  equal(parseCount("0", 10, "-n"), 0);
  equal(parseCount("25", 10, "-n"), 25);
  for (const bad of ["-1", "1.5", "ten", "", "1e3", "9999999999"]) {
    throws(
      () => parseCount(bad, 10, "-n"),
      (e) => e instanceof WatchtowerError && e.code === "usage" && /^-n takes/.test(e.message),
      bad,
    );
  }
});
