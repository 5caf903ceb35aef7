/**
 * Watchtower's entries in Claude Code's settings: merged after the user's hooks, idempotent,
 * removed without a byte of anything else changing; a file that is not settings is refused.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import fc from "fast-check";
import {
  CLAUDE_HOOK_ENTRIES,
  installClaudeHooks,
  installedHooks,
  isWatchtowerHook,
  uninstallClaudeHooks,
} from "../../../core/hooks/mod.ts";

const COMMAND = "'/home/u/.local/bin/wt' hook claude-code; s=$?; exit $s";

/** A settings file with the user's own hooks and other keys, as people write them. */
const USER_SETTINGS = `{
  "model": "sonnet",
  "permissions": {
    "allow": ["Bash(npm run lint)", "Read(~/.zshrc)"],
    "deny": ["Read(./.env)"]
  },
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [
          {
            "type": "command",
            "command": "jq -r '.tool_input.command' >> ~/.claude/bash-log.txt"
          }
        ]
      }
    ],
    "Stop": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "notify-send done"
          }
        ]
      }
    ]
  },
  "env": {
    "DISABLE_TELEMETRY": "1"
  }
}
`;

// deno-lint-ignore no-explicit-any
const parse = (text: string): any => JSON.parse(text);

function installed(text: string | undefined, command = COMMAND): string {
  const result = installClaudeHooks(text, command);
  if (!result.ok) throw new Error(result.problem);
  return result.text;
}

Deno.test("install adds Watchtower's entries after the user's hooks, keeping every other key", () => {
  const text = installed(USER_SETTINGS);
  const settings = parse(text);
  const before = parse(USER_SETTINGS);
  deepEqual(Object.keys(settings), ["model", "permissions", "hooks", "env"]);
  deepEqual(settings.permissions, before.permissions);
  deepEqual(settings.hooks.Stop, before.hooks.Stop);
  deepEqual(settings.hooks.PreToolUse[0], before.hooks.PreToolUse[0]);
  deepEqual(settings.hooks.PreToolUse[1], {
    matcher: "*",
    hooks: [{ type: "command", command: COMMAND, timeout: 30 }],
  });
  deepEqual(settings.hooks.PostToolUse, [{
    matcher: "WebFetch|WebSearch|Read|mcp__.*",
    hooks: [{ type: "command", command: COMMAND, timeout: 30 }],
  }]);
  deepEqual(
    installedHooks(text).map((hook) => hook.event),
    CLAUDE_HOOK_ENTRIES.map((entry) => entry.event),
  );
});

Deno.test("install is idempotent, and replaces an older Watchtower command", () => {
  const once = installed(USER_SETTINGS);
  const again = installClaudeHooks(once, COMMAND);
  deepEqual(again, { ok: true, text: once, changed: false });
  const moved = installed(once, "/opt/wt hook claude-code");
  const hooks = installedHooks(moved);
  equal(hooks.length, 2);
  ok(hooks.every((hook) => hook.command === "/opt/wt hook claude-code"));
});

Deno.test("uninstall gives back the very bytes there were before install", () => {
  for (const original of [USER_SETTINGS, '{\n\t"model": "opus"\n}', "{}\n", '{"a":1}']) {
    const removed = uninstallClaudeHooks(installed(original));
    deepEqual(removed, { ok: true, text: original, changed: true });
  }
  deepEqual(uninstallClaudeHooks(USER_SETTINGS), { ok: true, text: USER_SETTINGS, changed: false });
});

Deno.test("uninstall drops a hooks object or event list that only Watchtower's entry filled", () => {
  // Install cannot mark what it created: a list (or `hooks`) left empty goes, as it would have
  // had install created it. A `hooks: {}` or `"PostToolUse": []` of the user's is the cost.
  const removed = uninstallClaudeHooks(
    installed('{\n  "hooks": {\n    "PostToolUse": []\n  }\n}\n'),
  );
  deepEqual(removed, { ok: true, text: "{}\n", changed: true });
});

Deno.test("install into no file writes a settings file with only Watchtower's hooks", () => {
  const settings = parse(installed(undefined));
  deepEqual(Object.keys(settings), ["hooks"]);
  deepEqual(Object.keys(settings.hooks), ["PreToolUse", "PostToolUse"]);
});

Deno.test("uninstall keeps a user's hook that shares a group with Watchtower's", () => {
  const shared = JSON.stringify({
    hooks: {
      PreToolUse: [{
        matcher: "*",
        hooks: [
          { type: "command", command: "audit.sh" },
          { type: "command", command: "wt hook claude-code" },
        ],
      }],
    },
  });
  const removed = uninstallClaudeHooks(shared);
  if (!removed.ok) throw new Error(removed.problem);
  deepEqual(parse(removed.text), {
    hooks: { PreToolUse: [{ matcher: "*", hooks: [{ type: "command", command: "audit.sh" }] }] },
  });
});

Deno.test("files that are not Claude Code settings are refused, not rewritten", () => {
  for (const bad of ["{not json", "[]", '{"hooks": []}', '{"hooks": {"PreToolUse": {}}}']) {
    const install = installClaudeHooks(bad, COMMAND);
    const uninstall = uninstallClaudeHooks(bad);
    equal(install.ok, false, bad);
    equal(uninstall.ok, false, bad);
  }
});

Deno.test("isWatchtowerHook() knows Watchtower's commands only", () => {
  ok(isWatchtowerHook({ type: "command", command: "'/x/wt' hook claude-code; s=$?" }));
  ok(!isWatchtowerHook({ type: "command", command: "python3 hook.py" }));
  ok(!isWatchtowerHook("wt hook claude-code"));
});

Deno.test("property: install then uninstall is the identity on any settings, user hooks included", () => {
  const key = fc.string({ minLength: 1 }).filter((k) => k !== "hooks" && !/^\d+$/.test(k));
  const userHook = fc.record({
    type: fc.constant("command"),
    command: fc.string().filter((c) => !/hook claude-code/.test(c)),
  });
  const userGroup = fc.record(
    { matcher: fc.string(), hooks: fc.array(userHook, { maxLength: 2 }) },
    {
      requiredKeys: ["hooks"],
    },
  );
  // Lists with a hook each: an empty `hooks` or event list is the one thing a round trip drops
  // (see the test above).
  const hooks = fc.dictionary(
    fc.constantFrom("PreToolUse", "PostToolUse", "Stop", "Notification"),
    fc.array(userGroup, { minLength: 1, maxLength: 2 }),
    { minKeys: 1 },
  );
  const settings = fc.tuple(fc.dictionary(key, fc.jsonValue()), fc.option(hooks)).map((
    [rest, userHooks],
  ) => (userHooks === null ? rest : { ...rest, hooks: userHooks }));
  fc.assert(
    fc.property(settings, fc.constantFrom(0, 2, 4, "\t"), fc.boolean(), (value, indent, nl) => {
      const text = `${JSON.stringify(value, null, indent)}${nl ? "\n" : ""}`;
      const added = installed(text);
      // What install wrote is the user's settings plus exactly Watchtower's two entries.
      equal(installedHooks(added).length, 2);
      const removed = uninstallClaudeHooks(added);
      return removed.ok && removed.text === text;
    }),
    { numRuns: 300 },
  );
});
