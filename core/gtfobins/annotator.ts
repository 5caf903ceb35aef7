/**
 * The guard's GTFOBins annotator: for command and process intents, the alerts of the command
 * they run go into the decision (`annotations.gtfo_alerts`), raise its risk and risk level, and
 * are there for policy conditions (the built-in rules escalate critical and shadow high alerts).
 * @module
 */
import type { Annotation, Annotator } from "../guard.ts";
import { type Intent, RISK_LEVELS, type RiskLevel } from "../intent.ts";
import { type GtfoAlert, GtfoDetector } from "./detect.ts";
import { splitCommandLine } from "./words.ts";

/** Risk points an alert adds: its score times this. */
export const GTFO_RISK_POINTS = 5;

/** An annotator over `detector`. */
export function gtfoAnnotator(detector: GtfoDetector): Annotator {
  return {
    name: "gtfobins",
    annotate(intent: Intent): Annotation | undefined {
      if (intent.domain !== "command" && intent.domain !== "process") return undefined;
      const argv = argvOf(intent);
      const env = envOf(intent);
      const alerts: GtfoAlert[] = argv ? detector.detect({ argv, env }) : [];
      if (alerts.length === 0) return { annotations: { gtfo_alerts: [] } };
      const top = Math.max(...alerts.map((a) => a.score));
      let level: RiskLevel = "low";
      for (const alert of alerts) {
        if (RISK_LEVELS.indexOf(alert.risk) > RISK_LEVELS.indexOf(level)) level = alert.risk;
      }
      return {
        annotations: { gtfo_alerts: alerts as unknown as Record<string, unknown>[] },
        risk: Math.round(top * GTFO_RISK_POINTS),
        level,
      };
    },
  };
}

/** The argv of a command intent: `target.argv`, else the words of `target.command`. */
function argvOf(intent: Intent): string[] | undefined {
  const argv = intent.target.argv;
  if (Array.isArray(argv) && argv.every((word) => typeof word === "string")) {
    return argv as string[];
  }
  const command = intent.target.command;
  return typeof command === "string" ? splitCommandLine(command).argv : undefined;
}

function envOf(intent: Intent): Record<string, string> {
  const command = intent.target.command;
  const env = typeof command === "string" && !Array.isArray(intent.target.argv)
    ? splitCommandLine(command).env
    : {};
  const given = intent.target.env;
  if (Array.isArray(given)) {
    for (const pair of given) {
      if (typeof pair !== "string") continue;
      const eq = pair.indexOf("=");
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}
