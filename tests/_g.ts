import { GTFO_TABLE, GtfoDetector, splitCommandLine } from "../core/gtfobins/mod.ts";
const d = new GtfoDetector(GTFO_TABLE);
const cases = [
  "find . -exec /bin/sh \\; -quit",
  "find . -name x",
  "find . -name '*.o' -exec rm {} \\;",
  "vim -c ':!/bin/sh'",
  "vim file.txt",
  "/usr/bin/vim.basic -c ':!sh'",
  "awk 'BEGIN {system(\"/bin/sh\")}'",
  "awk '{print $1}' f",
  "less /etc/profile",
  "git status",
  "PAGER='/bin/sh -c x' git -p help",
  "git -c core.pager='sh -c x' log",
  "tar -xf a.tar",
  "tar cf /dev/null /dev/null --checkpoint=1 --checkpoint-action=exec=/bin/sh",
  "env /bin/sh",
  "env FOO=1 ls",
  "xargs -a /dev/null sh",
  "python -c 'import os; os.system(\"/bin/sh\")'",
  "python3 -c 'print(1)'",
  "python3.11 script.py",
  "perl -e 'exec \"/bin/sh\";'",
  "sudo less /etc/hosts",
  "sudo -u root vim",
  "bash -c 'id'",
  "git apply --unsafe-paths --directory / x.patch",
  "cp a b",
  "ls -la",
  "ssh -o ProxyCommand=';sh 0<&2 1>&2' x",
  "ssh host",
  "docker run -v /:/mnt --rm -it alpine chroot /mnt /bin/sh",
  "c89 -wrapper /bin/sh,-s x",
  "zip x.zip a -T -TT 'sh #'",
];
for (const c of cases) {
  const { argv, env } = splitCommandLine(c);
  const alerts = d.detect({ argv, env });
  console.log(
    c.padEnd(60),
    alerts.map((a) =>
      `${a.binary}${a.invoked ? "(" + a.invoked + ")" : ""} ${a.risk} ${a.score} [${
        a.flags.join(",")
      }] ${a.context}`
    ).join(" | "),
  );
}
const argv = ["find", ".", "-name", "x", "-exec", "/bin/sh", ";"];
for (let i = 0; i < 50000; i++) d.detect({ argv });
const t = performance.now();
for (let i = 0; i < 100000; i++) d.detect({ argv });
console.log("µs", (performance.now() - t) / 100);
