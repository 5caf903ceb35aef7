/**
 * opencode's tools (names and arguments as in opencode's tool sources) planned as Watchtower
 * intents: each built-in mapped onto its Claude Code equivalent, patches as the files they name,
 * unknown and MCP tools as tool intents under their own names, bad arguments refused.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import {
  opencodeOutputSource,
  type PlanContext,
  planOpencodeTool,
  type ToolPlan,
} from "../../../core/hooks/mod.ts";

const home = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-oc-tools-" }));
const project = `${home}/project`;
Deno.mkdirSync(`${project}/src`, { recursive: true });
Deno.mkdirSync(`${home}/.ssh`);
Deno.writeTextFileSync(`${home}/.ssh/id_ed25519`, "key");
const context: PlanContext = { cwd: project, home, stateDir: `${home}/.watchtower` };

const plan = (tool: string, args: Record<string, unknown>) => planOpencodeTool(tool, args, context);
const fs = (operation: string, path: string, extra: Record<string, unknown> = {}) => ({
  domain: "filesystem" as const,
  operation,
  target: { path, ...extra },
});
const intents = (result: ToolPlan) => result.kind === "intents" ? result.intents : [];

/** opencode built-ins: arguments, and the intents they are decided as. */
const MAPPED: ReadonlyArray<[string, Record<string, unknown>, ToolPlan]> = [
  ["bash", { command: "git status", description: "Shows status" }, {
    kind: "line",
    line: "git status",
  }],
  ["bash", { command: "ls", timeout: 1000, workdir: "/tmp", description: "List" }, {
    kind: "line",
    line: "ls",
  }],
  ["read", { filePath: "src/main.ts", offset: 1, limit: 20 }, {
    kind: "intents",
    intents: [fs("read", `${project}/src/main.ts`)],
  }],
  ["read", { filePath: "~/.ssh/id_ed25519" }, {
    kind: "intents",
    intents: [fs("read", `${home}/.ssh/id_ed25519`)],
  }],
  ["write", { filePath: `${project}/new.ts`, content: "x" }, {
    kind: "intents",
    intents: [fs("write", `${project}/new.ts`)],
  }],
  ["edit", { filePath: "src/../a.ts", oldString: "a", newString: "b", replaceAll: true }, {
    kind: "intents",
    intents: [fs("write", `${project}/a.ts`)],
  }],
  ["multiedit", { filePath: "/etc/hosts", edits: [{ oldString: "a", newString: "b" }] }, {
    kind: "intents",
    intents: [fs("write", "/etc/hosts")],
  }],
  ["list", { path: "src", ignore: ["node_modules"] }, {
    kind: "intents",
    intents: [fs("list", `${project}/src`)],
  }],
  ["list", {}, { kind: "intents", intents: [fs("list", project)] }],
  ["glob", { pattern: "**/*.ts" }, {
    kind: "intents",
    intents: [fs("list", project, { pattern: "**/*.ts" })],
  }],
  ["glob", { pattern: "*", path: `${home}/.ssh` }, {
    kind: "intents",
    intents: [fs("list", `${home}/.ssh`, { pattern: "*" })],
  }],
  ["grep", { pattern: "TODO", path: "src", include: "*.ts" }, {
    kind: "intents",
    intents: [{
      domain: "search",
      operation: "search",
      target: { path: `${project}/src`, pattern: "TODO", recursive: true, glob: "*.ts" },
    }],
  }],
  ["webfetch", { url: "https://docs.example/guide?q=1", format: "markdown" }, {
    kind: "intents",
    intents: [{
      domain: "http",
      operation: "get",
      target: {
        url: "https://docs.example/guide?q=REDACTED",
        method: "GET",
        host: "docs.example",
        port: 443,
        path: "/guide",
        query_keys: ["q"],
      },
    }],
  }],
];

for (const [tool, args, expected] of MAPPED) {
  Deno.test(`opencode's ${tool} ${JSON.stringify(args).slice(0, 50)} is planned as Claude Code's equivalent`, async () => {
    deepEqual(await plan(tool, args), expected);
  });
}

Deno.test("a grep over a directory that holds secrets is decided on them too", async () => {
  const result = intents(await plan("grep", { pattern: "BEGIN", path: home }));
  deepEqual(result.map((intent) => intent.target.path), [home, `${home}/.ssh`]);
});

Deno.test("websearch and codesearch are tool intents under their own names, with the query", async () => {
  for (const tool of ["websearch", "codesearch"]) {
    const [intent] = intents(await plan(tool, { query: "deno permissions", numResults: 8 }));
    equal(intent?.domain, "permission");
    equal(intent?.operation, "tool");
    equal(intent?.target.value, tool);
    equal(intent?.target.query, "deno permissions");
    deepEqual(intent?.target.input_keys, ["query", "numResults"]);
  }
});

Deno.test("MCP tools (server_tool), plugin tools and unknown names are tool intents under their opencode name", async () => {
  // Names Claude Code's planner knows are not planned as Claude Code's tools here: opencode's
  // tools are lower case, so these can only be someone else's tools.
  for (const tool of ["github_create_issue", "my-plugin-tool", "Bash", "TodoWrite", "mcp__x__y"]) {
    const [intent, ...rest] = intents(
      await plan(tool, { title: "x", token: "ghp_" + "a".repeat(36) }),
    );
    equal(rest.length, 0, tool);
    equal(intent?.domain, "permission", tool);
    equal(intent?.target.value, tool);
    ok(!String(intent?.target.input).includes("a".repeat(36)), "secrets in the input are masked");
    match(String(intent?.target.input_sha256), /^[0-9a-f]{64}$/);
  }
});

Deno.test("opencode's own tools get no opinion", async () => {
  for (const tool of ["todowrite", "todoread", "task", "question", "invalid"]) {
    deepEqual(await plan(tool, {}), { kind: "pass", why: `${tool} acts only inside opencode` });
  }
});

Deno.test("a patch writes, deletes and moves the files it names", async () => {
  const patchText = [
    "*** Begin Patch",
    "*** Add File: src/new.ts",
    "+export const x = 1;",
    "*** Update File: src/main.ts",
    "*** Move to: src/moved.ts",
    "@@",
    "-a",
    "+b",
    "*** Delete File: old.txt",
    " *** Update File: /etc/hosts",
    "*** End Patch",
  ].join("\n");
  for (const tool of ["apply_patch", "patch"]) {
    deepEqual(intents(await plan(tool, { patchText })), [
      fs("write", `${project}/src/new.ts`),
      fs("write", `${project}/src/main.ts`),
      fs("move", `${project}/src/main.ts`),
      fs("write", `${project}/src/moved.ts`),
      fs("delete", `${project}/old.txt`),
      fs("write", "/etc/hosts"),
    ]);
  }
});

Deno.test("a patch that names no file is a tool intent (no rule of the default policy allows it)", async () => {
  const [intent] = intents(
    await plan("apply_patch", { patchText: "*** Begin Patch\n*** End Patch" }),
  );
  equal(intent?.domain, "permission");
  equal(intent?.target.value, "apply_patch");
  equal(intent?.target.problem, "the patch names no file");
});

/** Arguments that cannot be read: refused, the problem named in opencode's terms. */
const INVALID: ReadonlyArray<[string, Record<string, unknown>, RegExp]> = [
  ["bash", { description: "no command" }, /args\.command: expected a string/],
  ["bash", { command: 42 }, /args\.command: expected a string/],
  ["read", {}, /args\.filePath: expected a string/],
  ["read", { filePath: "" }, /args\.filePath: empty path/],
  ["write", { filePath: "a\0b", content: "x" }, /NUL/],
  ["edit", { filePath: ["a"] }, /args\.filePath: expected a string/],
  ["glob", { path: "src" }, /args\.pattern: expected a string/],
  ["grep", { pattern: "x", include: 3 }, /args\.include: expected a string/],
  ["webfetch", { url: "file:///etc/passwd" }, /args\.url: expected an http or https URL/],
  ["webfetch", { url: "not a url" }, /args\.url: expected an absolute URL/],
  ["websearch", { numResults: 3 }, /args\.query: expected a string/],
  ["apply_patch", { patch: "x" }, /args\.patchText: expected a string/],
  ["apply_patch", { patchText: "*** Add File: \0" }, /NUL/],
];

for (const [tool, args, problem] of INVALID) {
  Deno.test(`opencode's ${tool} with ${JSON.stringify(args).slice(0, 40)} cannot be planned`, async () => {
    const result = await plan(tool, args);
    equal(result.kind, "invalid");
    if (result.kind !== "invalid") return;
    match(result.problem, problem);
    equal(result.intent.target.value, tool);
  });
}

Deno.test("a patch naming more than 1024 files is refused, not cut", async () => {
  const patchText = Array.from({ length: 1100 }, (_, i) => `*** Add File: f${i}.txt\n+x`).join(
    "\n",
  );
  const result = await plan("apply_patch", { patchText });
  equal(result.kind, "invalid");
});

Deno.test("opencodeOutputSource(): web reads and searches, file reads, MCP tools; not the other built-ins", () => {
  deepEqual(
    [
      "webfetch",
      "websearch",
      "codesearch",
      "read",
      "github_get_file",
      "bash",
      "write",
      "grep",
      "task",
      "apply_patch",
    ]
      .map(opencodeOutputSource),
    [
      "webpage",
      "webpage",
      "webpage",
      "file",
      "tool-output",
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ],
  );
});
