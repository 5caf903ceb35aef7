import { deepEqual, equal, throws } from "node:assert/strict";
import { parseArgs } from "../../cli/args.ts";
import { WatchtowerError } from "../../core/errors.ts";

const SPEC = {
  json: { type: "boolean" as const },
  path: { type: "string" as const, short: "p" },
  target: { type: "string" as const, multiple: true },
};

Deno.test("parseArgs reads long, short, inline and repeated flags and positionals", () => {
  const args = parseArgs(
    ["--json", "-p", "/tmp/x", "--target=a=1", "--target", "b=2", "rest"],
    SPEC,
  );
  deepEqual(args.flags, { json: true, path: "/tmp/x", target: ["a=1", "b=2"] });
  deepEqual(args.positionals, ["rest"]);
});

Deno.test("parseArgs stops at -- so operands can look like flags", () => {
  deepEqual(parseArgs(["--", "--json", "-p"], SPEC).positionals, ["--json", "-p"]);
  deepEqual(parseArgs(["-"], SPEC).positionals, ["-"]);
});

Deno.test("parseArgs refuses unknown flags, missing values and values for booleans", () => {
  const cases: Array<[string[], RegExp]> = [
    [["--nope"], /unknown option --nope/],
    [["-x"], /unknown option -x/],
    [["--path"], /option --path needs a value/],
    [["--json=yes"], /option --json takes no value/],
  ];
  for (const [argv, message] of cases) {
    throws(() => parseArgs(argv, SPEC), (error: WatchtowerError) => {
      equal(error.code, "usage");
      return message.test(error.message);
    });
  }
});
