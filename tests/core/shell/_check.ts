/** Table helpers for the shell analysis tests. */
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  analyzeShell,
  type ShellAnalysis,
  type ShellCommand,
  type ShellFinding,
} from "../../../core/shell/mod.ts";

/** What a line must give: commands (matched by argv, only the listed fields compared). */
export interface Expect {
  /** Expected commands; with `exact`, the whole list of argv in order. */
  cmds?: Array<Partial<ShellCommand> & { argv: string[] }>;
  exact?: boolean;
  /** Kinds of all findings, in any order (default: none). */
  findings?: Array<ShellFinding["kind"]>;
  parsed?: boolean;
}

export type Row = [description: string, line: string, expect: Expect];

/** Checks one row; returns the analysis for further asserts. */
export function check([description, line, e]: Row): ShellAnalysis {
  const a = analyzeShell(line);
  const where = `${description}: ${JSON.stringify(line)}\n${JSON.stringify(a, null, 1)}`;
  equal(a.parsed, e.parsed ?? true, where);
  for (const exp of e.cmds ?? []) {
    const c = a.commands.find((c) => JSON.stringify(c.argv) === JSON.stringify(exp.argv));
    ok(c, `no command ${JSON.stringify(exp.argv)} in ${where}`);
    for (const [k, v] of Object.entries(exp)) {
      deepEqual((c as unknown as Record<string, unknown>)[k], v, `${k} of ${exp.argv}: ${where}`);
    }
  }
  if (e.exact) deepEqual(a.commands.map((c) => c.argv), (e.cmds ?? []).map((c) => c.argv), where);
  deepEqual(a.findings.map((f) => f.kind).sort(), [...(e.findings ?? [])].sort(), where);
  return a;
}
