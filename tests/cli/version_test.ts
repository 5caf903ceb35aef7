import { equal } from "node:assert/strict";
import { VERSION } from "../../cli/version.ts";

Deno.test("the CLI's VERSION equals deno.json's version", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  equal(VERSION, config.version);
});
