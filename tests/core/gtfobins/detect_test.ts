import { deepEqual, equal, ok } from "node:assert/strict";
import {
  GTFO_TABLE,
  type GtfoAlert,
  GtfoDetector,
  splitCommandLine,
} from "../../../core/gtfobins/mod.ts";
import { SystemInspector } from "../../../cli/file_inspector.ts";

const detector = new GtfoDetector(GTFO_TABLE);
const detect = (line: string): GtfoAlert[] => {
  const { argv, env } = splitCommandLine(line);
  return detector.detect({ argv, env });
};
const top = (line: string) => detect(line).at(-1);

const ESCAPES: Array<[string, string, string]> = [
  ["find . -exec /bin/sh \\; -quit", "find", "shell:-exec"],
  ["vim -c ':!/bin/sh'", "vim", "shell::!"],
  ["/usr/bin/vim.basic -c ':!sh'", "vim", "shell::!"],
  [`awk 'BEGIN {system("/bin/sh")}'`, "awk", "shell:system"],
  ["PAGER='/bin/sh -c \"exec sh 0<&1\"' git -p help", "git", "shell:env:PAGER"],
  [
    "tar cf /dev/null /dev/null --checkpoint=1 --checkpoint-action=exec=/bin/sh",
    "tar",
    "shell:--checkpoint-action",
  ],
  ["tar xf /dev/null -I '/bin/sh -c \"/bin/sh 0<&2 1>&2\"'", "tar", "shell:-I"],
  ["env /bin/sh", "env", "shell:exec-arg"],
  ["xargs -a /dev/null sh", "xargs", "shell:exec-arg"],
  [`python -c 'import os; os.execl("/bin/sh", "sh")'`, "python", "shell:-c"],
  [`python3 -c 'import pty; pty.spawn("/bin/bash")'`, "python", "shell:-c"],
  [`perl -e 'exec "/bin/sh";'`, "perl", "shell:exec"],
  ["ssh -o ProxyCommand=';sh 0<&2 1>&2' x", "ssh", "shell:-o ProxyCommand"],
  ["bash -c 'id'", "bash", "shell:bare"],
  ["zip /tmp/x.zip /etc/hosts -T -TT 'sh #'", "zip", "shell:-TT"],
];

for (const [line, binary, flag] of ESCAPES) {
  Deno.test(`detect() calls \`${line}\` critical (${flag})`, () => {
    const alert = top(line)!;
    equal(alert.binary, binary);
    equal(alert.risk, "critical");
    equal(alert.score, 1);
    ok(alert.flags.includes(flag), alert.flags.join(", "));
  });
}

const HARMLESS: Array<[string, string | undefined]> = [
  ["find . -name x", "find"],
  ["git status", "git"],
  ["tar -xf a.tar", "tar"],
  ["cp a b", "cp"],
  ["vim notes.txt", "vim"],
  ["ls -la", undefined],
  ["echo hello", undefined],
];

for (const [line, binary] of HARMLESS) {
  Deno.test(`detect() gives \`${line}\` no alert or a low one`, () => {
    const alerts = detect(line);
    if (binary === undefined) return equal(alerts.length, 0);
    equal(alerts.length, 1);
    equal(alerts[0]!.binary, binary);
    equal(alerts[0]!.risk, "low", alerts[0]!.flags.join(", "));
    deepEqual(alerts[0]!.functions, []);
  });
}

Deno.test("detect() scores other reached functions between low and critical", () => {
  const cases: Array<[string, string, number]> = [
    ["find . -name '*.o' -exec rm {} \\;", "command:-exec", 0.9],
    ["git apply --unsafe-paths --directory / x.patch", "file-write:--unsafe-paths", 0.9],
    ["python3 -c 'print(1)'", "shell:-c", 0.85],
    ["git -c core.pager='sh -c x' log", "command:shell-string", 0.9],
    ["xargs -a /etc/shadow", "file-read:-a", 0.6],
    ["curl --engine ./evil.so x", "library-load:--engine", 0.9],
  ];
  for (const [line, flag, score] of cases) {
    const alert = top(line)!;
    ok(alert.flags.includes(flag), `${line}: ${alert.flags.join(", ")}`);
    equal(alert.score, score, line);
  }
});

Deno.test("sudo and doas put the program in the sudo context, where any shell is critical", () => {
  for (
    const line of [
      "sudo less /etc/hosts",
      "sudo -u root -E vim",
      "doas -u root less x",
      "sudo -- cp a b",
    ]
  ) {
    const alerts = detect(line);
    equal(alerts[0]!.binary, line.startsWith("doas") ? "doas" : "sudo", line);
    const program = alerts.at(-1)!;
    equal(program.context, "sudo", line);
    ok(program.score >= 0.85, `${line}: ${program.score}`);
    ok(program.flags.includes("context:sudo"));
  }
  equal(top("sudo less /etc/hosts")!.risk, "critical");
});

Deno.test("a real setuid copy of a binary is seen in the suid context", () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-suid-" });
  const copy = `${dir}/find`;
  Deno.copyFileSync("/usr/bin/find", copy);
  Deno.chmodSync(copy, 0o4755);
  const inspecting = new GtfoDetector(GTFO_TABLE, { inspector: new SystemInspector() });
  const alert = inspecting.detect({ argv: [copy, ".", "-name", "x"] })[0]!;
  equal(alert.context, "suid");
  equal(alert.setuid, true);
  equal(alert.risk, "critical");
  const plain = inspecting.detect({ argv: ["find", ".", "-name", "x"] })[0]!;
  equal(plain.setuid, false);
  equal(plain.context, "unprivileged");
  equal(plain.capabilities, false);
});

Deno.test("symlinks are followed to the program they run", () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-link-" });
  Deno.symlinkSync("/usr/bin/find", `${dir}/innocent`);
  const inspecting = new GtfoDetector(GTFO_TABLE, { inspector: new SystemInspector() });
  const alert = inspecting.detect({ argv: [`${dir}/innocent`, ".", "-exec", "/bin/sh", ";"] })[0]!;
  equal(alert.binary, "find");
  equal(alert.invoked, "innocent");
  equal(alert.risk, "critical");
});

Deno.test("checks that cannot run are unknown, never safe", () => {
  const inspecting = new GtfoDetector(GTFO_TABLE, { inspector: new SystemInspector() });
  const alert = inspecting.detect({ argv: ["/nonexistent/dir/vim", "x"] })[0]!;
  equal(alert.setuid, "unknown");
  equal(alert.capabilities, "unknown");
  const broken = new GtfoDetector(GTFO_TABLE, {
    inspector: {
      inspect: () => {
        throw new Error("EACCES");
      },
    },
  });
  equal(broken.detect({ argv: ["vim"] })[0]!.setuid, "unknown");
});

Deno.test("bad input: empty argv, odd bytes and huge argument lists", () => {
  equal(detector.detect({ argv: [] }).length, 0);
  equal(detector.detect({ argv: [""] }).length, 0);
  equal(detector.detect({ argv: ["\uFFFD\uFFFDvim"] }).length, 0);
  const huge = [
    "find",
    ...Array.from({ length: 100_000 }, (_, i) => `f${i}`),
    "-exec",
    "/bin/sh",
    ";",
  ];
  const started = performance.now();
  equal(detector.detect({ argv: huge })[0]!.risk, "critical");
  ok(performance.now() - started < 2000);
  equal(detector.detect({ argv: ["sudo"] })[0]!.binary, "sudo");
  equal(detector.detect({ argv: ["sudo", "-u"] }).length, 1);
});

Deno.test("a copy with file capabilities is seen in the capabilities context", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-caps-" });
  const copy = `${dir}/python3`;
  Deno.copyFileSync("/usr/bin/find", copy);
  // CAP_SETUID in a version-2 capability set, written with Python's os.setxattr.
  const script = "import os, struct, sys; os.setxattr(sys.argv[1], 'security.capability', " +
    "struct.pack('<IIIII', 0x02000001, 1 << 7, 0, 0, 0))";
  const set = await new Deno.Command("python3", { args: ["-c", script, copy], stderr: "piped" })
    .output();
  if (set.code !== 0) {
    console.log(
      `skipped: cannot set file capabilities here: ${new TextDecoder().decode(set.stderr).trim()}`,
    );
    return;
  }
  const inspecting = new GtfoDetector(GTFO_TABLE, { inspector: new SystemInspector() });
  const alert = inspecting.detect({ argv: [copy, "-c", "import os; os.setuid(0)"] })[0]!;
  equal(alert.capabilities, true);
  equal(alert.context, "capabilities");
  ok(alert.score >= 0.85);
  const plain = inspecting.detect({ argv: ["/usr/bin/find", "."] })[0]!;
  equal(plain.capabilities, false);
});
