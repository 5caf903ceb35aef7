/** The condition lexer: Python token rules for the subset, and refusals that name what is missing. */
import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { tokenize } from "../../../../core/policy/expr/_lexer.ts";
import { SourceText } from "../../../../core/policy/expr/_source.ts";
import { WatchtowerError } from "../../../../core/errors.ts";

const lex = (text: string) => tokenize(new SourceText(text));
const values = (text: string) => lex(text).slice(0, -1).map((t) => t.value);

Deno.test("tokenize() splits names, operators and literals with 0-based positions", () => {
  const tokens = lex("target.path != 'x' # comment");
  deepStrictEqual(
    tokens.map((t) => [t.kind, t.text, t.pos]),
    [
      ["name", "target", 0],
      ["op", ".", 6],
      ["name", "path", 7],
      ["op", "!=", 12],
      ["string", "'x'", 15],
      ["end", "", 28],
    ],
  );
});

Deno.test("tokenize() reads the longest operator first", () => {
  deepStrictEqual(values("a//b**c<=d>=e==f!=g<h>i"), [
    "a",
    "//",
    "b",
    "**",
    "c",
    "<=",
    "d",
    ">=",
    "e",
    "==",
    "f",
    "!=",
    "g",
    "<",
    "h",
    ">",
    "i",
  ]);
});

Deno.test("tokenize() decodes Python number literals", () => {
  const cases: Array<[string, number]> = [
    ["0", 0],
    ["42", 42],
    ["1_000_000", 1_000_000],
    ["0x1F", 31],
    ["0o17", 15],
    ["0b101", 5],
    ["0x_ff", 255],
    ["1.5", 1.5],
    [".5", 0.5],
    ["1.", 1],
    ["1e3", 1000],
    ["1.5E-3", 0.0015],
    ["00", 0],
    ["9007199254740991", 9007199254740991],
  ];
  for (const [text, want] of cases) deepStrictEqual(values(text), [want], text);
});

Deno.test("tokenize() decodes string escapes, raw strings, triple quotes and u-prefixes", () => {
  const cases: Array<[string, string]> = [
    [String.raw`'a\nb'`, "a\nb"],
    [String.raw`"tab\there"`, "tab\there"],
    [String.raw`'\r\\\'\"'`, "\r\\'\""],
    [String.raw`'\x41\u0042\U00000043'`, "ABC"],
    [String.raw`'\0\101'`, "\0A"],
    [String.raw`'\d+'`, "\\d+"],
    [String.raw`r'\d+\''`, "\\d+\\'"],
    [String.raw`R"\n"`, "\\n"],
    [String.raw`u'x'`, "x"],
    [`'''it's'''`, "it's"],
    [`"""a\nb"""`, "a\nb"],
    [`'it\\\nline'`, "itline"],
    [`"it's"`, "it's"],
    [`'\u00e9\u{1F600}'`, "\u00e9\u{1F600}"],
  ];
  for (const [text, want] of cases) deepStrictEqual(values(text), [want], text);
});

Deno.test("tokenize() skips whitespace, comments and explicit line joins", () => {
  deepStrictEqual(values("a \t\n\r\f b # c\n c \\\n d"), ["a", "b", "c", "d"]);
});

Deno.test("tokenize() refuses what the language lacks, naming it at its column", () => {
  const cases: Array<[string, number, RegExp]> = [
    ["'abc", 1, /unterminated string/],
    ["x == 'abc\ndef'", 6, /unterminated string/],
    ["'''abc''", 1, /unterminated string/],
    ["r'abc\\", 1, /unterminated string/],
    ["(a := 1)", 4, /assignment expressions/],
    ["f'{x}'", 1, /f-strings are not supported/],
    ["rf'x'", 1, /f-strings are not supported/],
    ["b'x'", 1, /bytes literals are not supported/],
    ["{'a': 1}", 1, /dict and set displays/],
    ["a | b", 3, /'\|' is not supported: use 'or'/],
    ["a & b", 3, /use 'and'/],
    ["~a", 1, /use 'not'/],
    ["a << 1", 3, /'<<' is not supported/],
    ["a; b", 2, /single expression/],
    ["!a", 1, /use 'not' or '!='/],
    ["a <> b", 3, /use '!='/],
    ["a $ b", 3, /unexpected character '\$'/],
    ["a ? b", 3, /unexpected character '\?'/],
    ["x = `id`", 5, /unexpected character '`'/],
    ["é", 1, /unexpected character 'é' \(U\+00E9\)/],
    ["a\u0000", 2, /unexpected character U\+0000/],
    ["012", 1, /leading zeros/],
    ["1abc", 1, /invalid number literal/],
    ["1__0", 1, /invalid number literal/],
    ["1_", 1, /invalid number literal/],
    ["0x", 1, /invalid number literal/],
    ["1e", 1, /invalid number literal/],
    ["3j", 1, /complex numbers/],
    ["9007199254740993", 1, /beyond the supported range/],
    ["1e999", 1, /too large/],
    ["'\\x4'", 2, /truncated \\x escape/],
    ["'\\u12'", 2, /truncated \\u escape/],
    ["'\\U00110000'", 2, /not a valid character/],
    ["'\\N{DASH}'", 2, /named escapes/],
  ];
  for (const [text, column, message] of cases) {
    throws(
      () => lex(text),
      (e) =>
        e instanceof WatchtowerError && e.code === "condition_syntax" &&
        e.location?.column === column && message.test(e.message),
      text,
    );
  }
});

Deno.test("tokenize() reports lines and columns in multi-line conditions", () => {
  throws(
    () => lex("target.path == 'a'\n  and $"),
    (e) =>
      e instanceof WatchtowerError && e.location?.line === 2 && e.location?.column === 7 &&
      e.message.startsWith("Cannot parse condition: line 2, col 7: "),
  );
});

Deno.test("tokenize() stops at the token cap", () => {
  equal(lex("a,".repeat(2047) + "a").length, 4096);
  throws(() => lex("a,".repeat(2048) + "a"), /more than 4096 tokens/);
});
