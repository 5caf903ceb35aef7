/**
 * GTFOBins detection per argv (target: p50 ≤ 5 µs), against splitting the command line alone
 * as the baseline; and with this system's file checks (stat and realpath, cached per name).
 */
import { SystemInspector } from "../../cli/file_inspector.ts";
import { GTFO_TABLE, GtfoDetector, splitCommandLine } from "../../core/gtfobins/mod.ts";

const LINES = [
  "find . -name '*.ts' -exec grep -l TODO {} \\;",
  "git status",
  "vim -c ':!/bin/sh'",
  "python3 -c 'import os; os.system(\"id\")'",
  "tar -xf archive.tar -C out",
  "sudo less /var/log/syslog",
  "ls -la src",
  "awk '{print $1}' access.log",
];
const ARGVS = LINES.map((line) => splitCommandLine(line));
const detector = new GtfoDetector(GTFO_TABLE);
const inspecting = new GtfoDetector(GTFO_TABLE, { inspector: new SystemInspector() });
let i = 0;

Deno.bench({ name: "baseline: split a command line", group: "gtfobins", baseline: true }, () => {
  splitCommandLine(LINES[i++ % LINES.length]!);
});

Deno.bench({ name: "detect() on one argv", group: "gtfobins" }, () => {
  const { argv, env } = ARGVS[i++ % ARGVS.length]!;
  detector.detect({ argv, env });
});

Deno.bench({ name: "detect() on one argv, with file checks (cached)", group: "gtfobins" }, () => {
  const { argv, env } = ARGVS[i++ % ARGVS.length]!;
  inspecting.detect({ argv, env });
});
