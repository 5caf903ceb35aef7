/**
 * `wt monitor --explain`: which mechanism the monitor would use on this machine, and why the
 * others are not available. It never pretends: no mechanism means the monitor refuses to start.
 * @module
 */
import { openLibc } from "./libc.ts";

/** The report: the mechanism chosen (or none) and one line per mechanism. */
export interface MechanismReport {
  chosen: "ptrace" | "proc-polling" | "ps-polling" | undefined;
  mechanisms: Array<{ name: string; available: boolean; why: string }>;
  text: string;
}

function readNumber(read: (path: string) => Uint8Array | undefined, path: string) {
  const bytes = read(path);
  return bytes ? Number(new TextDecoder().decode(bytes).trim()) : undefined;
}

/** Works out what this machine allows. */
export function explainMechanisms(): MechanismReport {
  const mechanisms: MechanismReport["mechanisms"] = [];
  const linux = Deno.build.os === "linux";
  let ptrace = { available: false, why: `not Linux (${Deno.build.os})` };
  if (linux) {
    let libc = true;
    let libcWhy = "";
    let scope: number | undefined;
    try {
      const opened = openLibc();
      scope = readNumber((path) => opened.readFile(path), "/proc/sys/kernel/yama/ptrace_scope");
    } catch (error) {
      libc = false;
      libcWhy = error instanceof Error ? error.message : String(error);
    }
    if (!libc) ptrace = { available: false, why: `libc through FFI: ${libcWhy}` };
    else if (scope === 3) {
      ptrace = { available: false, why: "Yama ptrace_scope is 3 (ptrace is off)" };
    } else {
      ptrace = {
        available: true,
        why: `libc through FFI; Yama ptrace_scope ${scope ?? "absent"}${
          scope === 2 ? " (needs CAP_SYS_PTRACE: run as root or with the capability)" : ""
        }; exec-time decisions for the whole tree`,
      };
    }
  }
  mechanisms.push({ name: "ptrace", ...ptrace });
  mechanisms.push({
    name: "proc-polling",
    available: linux,
    why: linux
      ? "the fallback where ptrace is refused: acts after the fact, misses programs shorter than a poll"
      : "Linux only",
  });
  const ps = ["/bin/ps", "/usr/bin/ps"].some((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
  mechanisms.push({
    name: "ps-polling",
    available: ps,
    why: ps
      ? "best effort (macOS, BSD): acts after the fact, misses programs shorter than a poll"
      : "ps not found",
  });
  const chosen = ptrace.available
    ? "ptrace"
    : linux
    ? "proc-polling"
    : ps
    ? "ps-polling"
    : undefined;
  const text = [
    `mechanism: ${chosen ?? "none — the monitor cannot watch here"}`,
    ...mechanisms.map((m) => `  ${m.available ? "+" : "-"} ${m.name}: ${m.why}`),
  ].join("\n");
  return { chosen, mechanisms, text };
}
