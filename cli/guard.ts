/**
 * The guard as every `wt` command that decides builds it: the policy plus the annotators
 * (GTFOBins, with this system's file checks).
 * @module
 */
import { GTFO_TABLE, gtfoAnnotator, GtfoDetector } from "../core/gtfobins/mod.ts";
import { Guard } from "../core/guard.ts";
import type { CompiledPolicy } from "../core/policy/mod.ts";
import { SystemInspector } from "./file_inspector.ts";

/** A guard over `policy` with Watchtower's annotators. */
export function createGuard(policy: CompiledPolicy): Guard {
  const detector = new GtfoDetector(GTFO_TABLE, { inspector: new SystemInspector() });
  return new Guard(policy, { annotators: [gtfoAnnotator(detector)] });
}
