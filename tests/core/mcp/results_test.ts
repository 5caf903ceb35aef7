import { deepEqual, equal } from "node:assert/strict";
import { WatchtowerError } from "../../../core/errors.ts";
import type { GuardDecision } from "../../../core/guard.ts";
import type { Verdict } from "../../../core/intent.ts";
import { type CallOutcome, callResult, rejectedResult } from "../../../core/mcp/results.ts";

function decision(
  verdict: Verdict,
  extra: Partial<GuardDecision> = {},
): GuardDecision {
  return {
    verdict,
    mode: "enforce",
    reason: "rule",
    detail: `rule r: ${verdict}`,
    matched_rules: ["r"],
    risk_score: 1,
    risk_level: "low",
    sensitivity: "internal",
    audit: "standard",
    annotations: {},
    ...extra,
  };
}

function outcome(
  result: Partial<CallOutcome["result"]> & { verdict: Verdict },
  out = { stdout: "", stderr: "" },
): CallOutcome {
  return {
    command: "safe-rm",
    result: { exitCode: 0, decisions: [], seqs: [], ...result },
    ...out,
  };
}

const texts = (o: CallOutcome) => callResult(o).content.map((c) => c.text);

Deno.test("callResult returns a program's output, stdout then stderr, as a success", () => {
  const both = callResult(
    outcome({ verdict: "allow", seqs: [1, 2] }, { stdout: "out\n", stderr: "warn\n" }),
  );
  deepEqual(both, {
    content: [{ type: "text", text: "out\n" }, { type: "text", text: "stderr:\nwarn\n" }],
    isError: false,
  });
  deepEqual(texts(outcome({ verdict: "allow" })), ["safe-rm: done (exit code 0)"]);
  // Redacted and shadowed runs are runs: the (already redacted) output comes back.
  deepEqual(texts(outcome({ verdict: "redact" }, { stdout: "[REDACTED:aws]\n", stderr: "" })), [
    "[REDACTED:aws]\n",
  ]);
});

Deno.test("callResult makes a failing or cut-short program a tool error with its code", () => {
  const failed = callResult(outcome({ verdict: "allow", exitCode: 1 }, {
    stdout: "",
    stderr: "rm: cannot remove 'x'\n",
  }));
  equal(failed.isError, true);
  deepEqual(failed.content.map((c) => c.text), [
    "stderr:\nrm: cannot remove 'x'\n",
    "safe-rm: failed with exit code 1",
  ]);
  deepEqual(
    texts(outcome({ verdict: "allow", exitCode: 70, message: "rm timed out after 120 s" })),
    ["safe-rm: failed with exit code 70: rm timed out after 120 s"],
  );
  // Output past the cap: still exit 0, so not an error, but it says so.
  const capped = callResult(outcome({ verdict: "allow", message: "cap reached" }, {
    stdout: "a",
    stderr: "",
  }));
  equal(capped.isError, false);
  deepEqual(capped.content.map((c) => c.text), ["a", "safe-rm: done (exit code 0): cap reached"]);
});

Deno.test("callResult says why a call was denied, with the reason code and the seqs", () => {
  const denied = callResult(outcome({
    verdict: "deny",
    exitCode: 77,
    seqs: [7],
    decisions: [
      decision("allow"),
      decision("deny", { reason: "builtin_refusal", detail: "removing / is never allowed" }),
    ],
  }));
  deepEqual(denied, {
    content: [{
      type: "text",
      text: "safe-rm denied by Watchtower (builtin_refusal): removing / is never allowed\n" +
        "Nothing was run (ledger seq 7).",
    }],
    isError: true,
  });
});

Deno.test("callResult gives an escalation's approval key and the wt approve step", () => {
  const held = callResult(outcome({
    verdict: "escalate",
    exitCode: 75,
    seqs: [3],
    decisions: [decision("escalate", { approval_key: "wt-0123456789abcdef" })],
  }));
  equal(held.isError, true);
  equal(
    held.content[0]!.text,
    "safe-rm: approval required (rule): rule r: escalate\nNothing was run (ledger seq 3). " +
      "Approval key: wt-0123456789abcdef. A human approves it with " +
      "`wt approve wt-0123456789abcdef` (`wt pending` lists waiting requests); then call this " +
      "tool again with the same arguments.",
  );
  const keyless = texts(outcome({ verdict: "escalate", decisions: [decision("escalate")] }));
  equal(keyless[0]!.endsWith("No approval key was issued: a human must change the policy."), true);
});

Deno.test("callResult follows the effective verdict: an observed deny runs", () => {
  const observed = callResult(outcome({
    verdict: "allow",
    decisions: [decision("deny", { mode: "observe" })],
  }, { stdout: "ok\n", stderr: "" }));
  deepEqual(observed, { content: [{ type: "text", text: "ok\n" }], isError: false });
});

Deno.test("rejectedResult is a tool error that says nothing ran", () => {
  deepEqual(
    rejectedResult("safe_rm", new WatchtowerError("usage", "Cannot call safe_rm: x is required")),
    {
      content: [{ type: "text", text: "Cannot call safe_rm: x is required\nNothing was run." }],
      isError: true,
    },
  );
  deepEqual(rejectedResult("jq_query", new WatchtowerError("usage", "missing FILTER")).content, [
    { type: "text", text: "jq_query: missing FILTER\nNothing was run." },
  ]);
});
