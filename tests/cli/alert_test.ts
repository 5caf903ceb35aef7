import { deepEqual } from "node:assert/strict";
import { alertEnv } from "../../cli/alert.ts";
import { viewOf } from "../../cli/ledger_view.ts";
import { decision } from "./_entries.ts";

Deno.test("alertEnv names the entry's seq, operation, path, verdict and principal", () => {
  const view = viewOf(
    decision({ seq: 12, operation: "delete", target: { path: "/tmp/x y" }, verdict: "deny" }),
  );
  deepEqual(alertEnv(view), {
    WT_ALERT_SEQ: "12",
    WT_ALERT_OPERATION: "delete",
    WT_ALERT_PATH: "/tmp/x y",
    WT_ALERT_VERDICT: "deny",
    WT_ALERT_PRINCIPAL: "user:alice",
  });
});
