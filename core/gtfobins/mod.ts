/**
 * GTFOBins: the generated table (facts from the GTFOBins database, GPL-3.0 data), detection of
 * the functions a command reaches, and the guard's annotator.
 * @module
 */
import type { GtfoTable } from "./table.ts";
import data from "./table.json" with { type: "json" };

export { GTFO_RISK_POINTS, gtfoAnnotator } from "./annotator.ts";
export {
  type FileFacts,
  type FileInspector,
  type GtfoAlert,
  type GtfoContext,
  GtfoDetector,
  type Invocation,
  riskOf,
} from "./detect.ts";
export type { BinaryFacts, FunctionFacts, GtfoTable, OptionTrigger } from "./table.ts";
export { type CommandWords, splitCommandLine } from "./words.ts";

/** The generated table (core/gtfobins/table.json). */
export const GTFO_TABLE: GtfoTable = data as GtfoTable;
