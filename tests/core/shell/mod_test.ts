import { deepEqual, equal, ok } from "node:assert/strict";
import { analyzeShell, quoteArgv } from "../../../core/shell/mod.ts";
import { check, type Row } from "./_check.ts";

const QUOTING: Row[] = [
  ["empty quotes join", `r''m -rf x`, { cmds: [{ argv: ["rm", "-rf", "x"], program: "rm" }] }],
  ["a backslash quotes", `\\rm \\-rf`, { cmds: [{ argv: ["rm", "-rf"], program: "rm" }] }],
  ["ANSI-C hex", `$'\\x72m' x`, { cmds: [{ argv: ["rm", "x"], program: "rm" }] }],
  ["ANSI-C octal, unicode, escapes", `p $'\\162\\u00e9\\n\\t\\'\\\\'`, {
    cmds: [{ argv: ["p", "ré\n\t'\\"] }],
  }],
  ["ANSI-C NUL ends the string only", `p $'ab\\0cd'ef`, { cmds: [{ argv: ["p", "abef"] }] }],
  ["double then bare", `"r"m`, { cmds: [{ argv: ["rm"], program: "rm" }] }],
  ["single then double", `'r'"m"`, { cmds: [{ argv: ["rm"], program: "rm" }] }],
  ["locale quotes", `$"rm" x`, { cmds: [{ argv: ["rm", "x"] }] }],
  ["line continuation inside a word", `r\\\nm -rf`, { cmds: [{ argv: ["rm", "-rf"] }] }],
  ["double quotes keep only some backslashes", `p "a\\"b\\$c\\\\d\\xe"`, {
    cmds: [{ argv: ["p", 'a"b$c\\d\\xe'] }],
  }],
  ["single quotes keep everything", `p '$x \`y\` \\n "'`, {
    cmds: [{ argv: ["p", '$x `y` \\n "'] }],
  }],
  ["an empty quoted word is a word", `p "" ''`, { cmds: [{ argv: ["p", "", ""] }] }],
  ["a hash inside a word is text", `p a#b # comment`, {
    cmds: [{ argv: ["p", "a#b"] }],
    exact: true,
  }],
  ["trailing backslash is literal", `p a\\`, { cmds: [{ argv: ["p", "a\\"] }] }],
];

const PATHS: Row[] = [
  ["dot-dot", `/bin/../bin/rm -rf /`, {
    cmds: [{ argv: ["/bin/../bin/rm", "-rf", "/"], program: "rm", path: "/bin/rm" }],
  }],
  ["double slash", `//usr/bin/rm x`, {
    cmds: [{ argv: ["//usr/bin/rm", "x"], program: "rm", path: "/usr/bin/rm" }],
  }],
  ["relative", `./x/../tool`, {
    cmds: [{ argv: ["./x/../tool"], program: "tool", path: "./tool" }],
  }],
  ["home", `~/bin/tool`, { cmds: [{ argv: ["~/bin/tool"], program: "tool", path: "~/bin/tool" }] }],
];

Deno.test("analyzeShell resolves quoting and escapes the way bash does", () => {
  for (const row of QUOTING) check(row);
});

Deno.test("analyzeShell normalises command paths to a program name", () => {
  for (const row of PATHS) check(row);
});

const STRUCTURE: Row[] = [
  ["one command is top", `ls -la`, { cmds: [{ argv: ["ls", "-la"], origin: "top", depth: 0 }] }],
  ["a pipeline feeds stdin transitively", `curl -s x | base64 -d | sh`, {
    cmds: [
      { argv: ["curl", "-s", "x"], origin: "pipeline", stdinFrom: [] },
      { argv: ["base64", "-d"], stdinFrom: ["curl"] },
      { argv: ["sh"], stdinFrom: ["curl", "base64"] },
    ],
    exact: true,
  }],
  ["lists with && || ; & and newlines", `a && b || c; d & e\nf`, {
    cmds: ["a", "b", "c", "d", "e", "f"].map((p) => ({ argv: [p], origin: "list" as const })),
    exact: true,
  }],
  ["a subshell", `(cd x && rm y)`, {
    cmds: [{ argv: ["cd", "x"], origin: "subshell", depth: 1 }, { argv: ["rm", "y"] }],
  }],
  ["a group with redirection passes it on", `{ a; b; } > /etc/x`, {
    cmds: [{ argv: ["a"], origin: "group", redirects: [{ op: ">", target: "/etc/x" }] }],
  }],
  ["command substitution, nested", `echo "$(a "$(b)")"`, {
    cmds: [
      { argv: ["a", "$(b)"], origin: "command-substitution", depth: 1 },
      { argv: ["b"], origin: "command-substitution", depth: 2 },
      { argv: ["echo", `$(a "$(b)")`], dynamic: ["$(...) in argument"] },
    ],
  }],
  ["backticks, nested", "echo `a \\`b\\``", {
    cmds: [{ argv: ["a", "`b`"], origin: "backticks" }, {
      argv: ["b"],
      origin: "backticks",
      depth: 2,
    }],
  }],
  ["process substitution feeds the reader", `diff <(sort a) <(curl x)`, {
    cmds: [
      { argv: ["sort", "a"], origin: "process-substitution" },
      { argv: ["diff", "<(sort a)", "<(curl x)"], stdinFrom: ["sort", "curl"] },
    ],
  }],
  ["output process substitution reads the command", `curl x > >(sh)`, {
    cmds: [{ argv: ["sh"], origin: "process-substitution", stdinFrom: ["curl"] }],
  }],
  ["if elif else", `if a; then b; elif c; then d; else e; fi`, {
    cmds: ["a", "b", "c", "d", "e"].map((p) => ({ argv: [p], origin: "group" as const, depth: 1 })),
    exact: true,
  }],
  [
    "for, while, until, select",
    `for i in $(ls); do a; done; while b; do c; done; until d; do e; done; select x in 1; do f; done`,
    {
      cmds: [{ argv: ["ls"], origin: "command-substitution" }, { argv: ["a"] }, { argv: ["f"] }],
    },
  ],
  ["arithmetic for", `for ((i=$(n); i<3; i++)); do a; done`, {
    cmds: [{ argv: ["n"] }, { argv: ["a"] }],
  }],
  ["case, patterns expanded", `case $(a) in $(b)|x) c;; (y) d;& *) ;; esac`, {
    cmds: [{ argv: ["a"] }, { argv: ["b"] }, { argv: ["c"] }, { argv: ["d"] }],
    exact: true,
  }],
  [
    "[[ ]] and (( )) are not commands but run substitutions",
    `[[ -f $(a) && $x =~ ^(b|c)$ ]] && (( $(d) > 1 ))`,
    {
      cmds: [{ argv: ["a"] }, { argv: ["d"] }],
      exact: true,
    },
  ],
  ["extglob inside [[ ]]", `[[ $x == @(a|b)* ]] && ok`, { cmds: [{ argv: ["ok"] }], exact: true }],
  ["negation and time", `! time -p a | b`, {
    cmds: [{ argv: ["a"] }, { argv: ["b"] }],
    exact: true,
  }],
  ["coproc", `coproc W { a; }`, { cmds: [{ argv: ["a"] }], exact: true }],
  ["comments and blank lines", `# only a comment\n\n  a # x\n`, {
    cmds: [{ argv: ["a"] }],
    exact: true,
  }],
];

Deno.test("analyzeShell extracts every simple command of every construct", () => {
  for (const row of STRUCTURE) check(row);
});

const HEREDOCS: Row[] = [
  ["a here-document body is the redirect target", `cat <<EOF\nhello $USER\nEOF`, {
    cmds: [{
      argv: ["cat"],
      redirects: [{ op: "<<", target: "hello $USER\n" }],
      stdinFrom: ["heredoc"],
    }],
  }],
  ["<<- strips tabs", `cat <<-EOF\n\tx\n\tEOF`, {
    cmds: [{ argv: ["cat"], redirects: [{ op: "<<", target: "x\n" }] }],
  }],
  ["substitutions in an unquoted body run", `cat <<EOF\n$(rm -rf /)\nEOF`, {
    cmds: [{ argv: ["rm", "-rf", "/"] }],
  }],
  ["a quoted delimiter keeps the body literal", `cat <<'EOF'\n$(rm -rf /)\nEOF`, {
    cmds: [{ argv: ["cat"], redirects: [{ op: "<<", target: "$(rm -rf /)\n" }] }],
    exact: true,
  }],
  ["a here-document fed to a shell is read as shell", `bash <<'EOF'\nrm -rf ~\nEOF`, {
    cmds: [{ argv: ["rm", "-rf", "~"], origin: "heredoc", wrappers: ["bash"], depth: 1 }],
  }],
  ["behind a wrapper too", `sudo -u root sh -s <<EOF\ncurl x | sh\nEOF`, {
    cmds: [{ argv: ["curl", "x"], origin: "heredoc", wrappers: ["sudo", "sh"] }],
  }],
  ["with expansions the shell's input is not known", `bash <<EOF\nrm $X\nEOF`, {
    cmds: [{ argv: ["rm", "$X"] }],
    findings: ["dynamic-command"],
  }],
  ["fed to another interpreter it is a finding", `python3 <<'EOF'\nprint(1)\nEOF`, {
    cmds: [{ argv: ["python3"] }],
    findings: ["unknown-interpreter-string"],
  }],
  ["a here-string fed to a shell", `bash <<< 'rm -rf /'`, {
    cmds: [{ argv: ["bash"], stdinFrom: ["herestring"] }, {
      argv: ["rm", "-rf", "/"],
      origin: "heredoc",
    }],
  }],
  ["here-string with a substitution", `sh <<< "$(curl x)"`, {
    cmds: [{ argv: ["sh"], stdinFrom: ["herestring", "curl"] }],
    findings: ["dynamic-command", "dynamic-command"],
  }],
  ["echo piped to a shell is read", `echo 'rm -rf /' | sh`, {
    cmds: [{ argv: ["rm", "-rf", "/"], origin: "heredoc" }],
  }],
  ["cat of a here-document piped to a shell is read", `cat <<EOF | bash\nreboot\nEOF`, {
    cmds: [{ argv: ["reboot"], stdinFrom: ["cat", "heredoc"] }],
  }],
  ["two here-documents on a line", `a <<X; b <<Y\n1\nX\n2\nY`, {
    cmds: [
      { argv: ["a"], redirects: [{ op: "<<", target: "1\n" }] },
      { argv: ["b"], redirects: [{ op: "<<", target: "2\n" }] },
    ],
  }],
  ["ssh reading a here-document runs it remotely", `ssh host <<EOF\nrm -rf /\nEOF`, {
    cmds: [{ argv: ["rm", "-rf", "/"], origin: "ssh", remote: "host" }],
  }],
];

Deno.test("analyzeShell reads here-documents and here-strings, and what they feed", () => {
  for (const row of HEREDOCS) check(row);
});

const STRINGS: Row[] = [
  ["sh -c", `sh -c 'rm -rf /tmp/x; ls'`, {
    cmds: [
      { argv: ["sh", "-c", "rm -rf /tmp/x; ls"], origin: "top" },
      { argv: ["rm", "-rf", "/tmp/x"], origin: "shell-string", wrappers: ["sh"], depth: 1 },
      { argv: ["ls"] },
    ],
  }],
  ["bash with options before -c", `bash --norc -xec "r''m a"`, {
    cmds: [{ argv: ["rm", "a"], origin: "shell-string" }],
  }],
  ["zsh and dash too, recursively", `zsh -c "dash -c 'rm b'"`, {
    cmds: [{ argv: ["rm", "b"], wrappers: ["zsh", "dash"], depth: 2 }],
  }],
  ["a shell string built at run time is a finding", `bash -c "$CMD"`, {
    cmds: [{
      argv: ["$CMD"],
      dynamic: ["shell string built at run time", "$VAR in command position"],
    }],
    findings: ["dynamic-command", "dynamic-command"],
  }],
  ["eval of static text", `eval 'rm -rf /' x`, {
    cmds: [{ argv: ["rm", "-rf", "/", "x"], origin: "eval" }],
  }],
  ["eval of dynamic text", `eval "$(ssh-agent -s)"`, {
    cmds: [{ argv: ["ssh-agent", "-s"], origin: "command-substitution" }],
    findings: ["eval", "dynamic-command"],
  }],
  ["eval of unreadable dynamic text does not fail the line", `eval "f_$1 () { :; }"`, {
    findings: ["eval", "dynamic-command"],
  }],
  ["trap runs a string later", `trap 'rm -rf /' EXIT`, {
    cmds: [{ argv: ["rm", "-rf", "/"], origin: "shell-string" }],
  }],
  ["a script file is only recorded", `bash ./install.sh; . ./env.sh; source x`, {
    cmds: [{ argv: ["bash", "./install.sh"] }, { argv: [".", "./env.sh"] }, {
      argv: ["source", "x"],
    }],
    exact: true,
  }],
  ["an unparsable shell string fails the line", `sh -c 'echo "x'`, {
    parsed: false,
    findings: ["unparsable"],
  }],
  ["an unknown program given -c may be a shell", `$SHELL -c 'rm -rf /'`, {
    cmds: [{ argv: ["rm", "-rf", "/"], origin: "shell-string", wrappers: ["$SHELL"] }],
    findings: ["dynamic-command"],
  }],
  [
    "a script written earlier in the line is read when run",
    `cat > /tmp/x.sh <<'EOF'\nrm -rf ~\nEOF\nchmod +x /tmp/x.sh && /tmp/x.sh; bash /tmp/x.sh; . /tmp/x.sh`,
    {
      cmds: [{ argv: ["rm", "-rf", "~"], origin: "shell-string" }],
    },
  ],
  ["echo into a file then sh", `echo 'curl x | sh' > a.sh; sh ./a.sh`, {
    cmds: [{ argv: ["curl", "x"], wrappers: ["sh"] }],
  }],
  [
    "a written python script run directly is a finding",
    `printf '#!/usr/bin/env python3\nimport os\n' > p.py; ./p.py`,
    {
      findings: ["unknown-interpreter-string"],
    },
  ],
];

Deno.test("analyzeShell reads shell strings, eval and trap recursively", () => {
  for (const row of STRINGS) check(row);
});

const INTERPRETERS: Row[] = [
  ["static code without process calls", `python3 -c 'print(1)'`, {
    cmds: [{ argv: ["python3", "-c", "print(1)"] }],
    exact: true,
  }],
  ["os.system is lifted out", `python3 -c 'import os; os.system("rm -rf /")'`, {
    cmds: [{ argv: ["rm", "-rf", "/"], origin: "interpreter-string", wrappers: ["python3"] }],
    findings: ["unknown-interpreter-string"],
  }],
  ["subprocess with a list", `python -c 'import subprocess; subprocess.run(["rm", "-rf", "/x"])'`, {
    cmds: [{ argv: ["rm", "-rf", "/x"], origin: "interpreter-string" }],
    findings: ["unknown-interpreter-string"],
  }],
  ["perl -e with backquotes", "perl -e 'print `id`'", {
    cmds: [{ argv: ["id"], origin: "interpreter-string" }],
    findings: ["unknown-interpreter-string"],
  }],
  ["perl -ne cluster", `perl -ne 'system("reboot")' f`, {
    cmds: [{ argv: ["reboot"] }],
    findings: ["unknown-interpreter-string"],
  }],
  ["node -e child_process", `node -e "require('child_process').execSync('curl x | sh')"`, {
    cmds: [{ argv: ["curl", "x"] }, { argv: ["sh"], stdinFrom: ["curl"] }],
    findings: ["unknown-interpreter-string"],
  }],
  ["ruby -e and php -r", `ruby -e 'system("a")'; php -r 'shell_exec("b");'`, {
    cmds: [{ argv: ["a"] }, { argv: ["b"] }],
    findings: ["unknown-interpreter-string", "unknown-interpreter-string"],
  }],
  ["decoding is a finding", `python3 -c 'import base64;exec(base64.b64decode("cm0="))'`, {
    findings: ["unknown-interpreter-string"],
  }],
  ["code built at run time is a finding", `python3 -c "$CODE"`, {
    findings: ["unknown-interpreter-string"],
  }],
  ["a script file is only recorded", `python3 manage.py migrate; node x.js`, {
    exact: true,
    cmds: [{ argv: ["python3", "manage.py", "migrate"] }, { argv: ["node", "x.js"] }],
  }],
  ["awk without process calls", `awk -F: '{print $1}' /etc/passwd`, {
    exact: true,
    cmds: [{ argv: ["awk", "-F:", "{print $1}", "/etc/passwd"] }],
  }],
  [
    "awk system() and pipes",
    `awk 'BEGIN { system("rm -rf /"); "id" | getline x; print x | "sh" }'`,
    {
      cmds: [{ argv: ["rm", "-rf", "/"] }, { argv: ["id"] }, { argv: ["sh"] }],
      findings: ["unknown-interpreter-string"],
    },
  ],
];

Deno.test("analyzeShell keeps interpreter code in argv and lifts out its shell calls", () => {
  for (const row of INTERPRETERS) check(row);
});

const WRAPPERS: Row[] = [
  ["sudo with options and env", `sudo -u root -E FOO=1 rm -rf /`, {
    cmds: [
      { argv: ["sudo", "-u", "root", "-E", "FOO=1", "rm", "-rf", "/"], wrappers: [] },
      {
        argv: ["rm", "-rf", "/"],
        wrappers: ["sudo"],
        origin: "wrapper",
        env: { FOO: "1" },
        depth: 1,
      },
    ],
    exact: true,
  }],
  ["sudo -l runs nothing", `sudo -l rm`, { cmds: [{ argv: ["sudo", "-l", "rm"] }], exact: true }],
  [
    "a chain of wrappers",
    `doas env -i PATH=/x timeout -s KILL 5 nice -n 5 nohup time -f %e stdbuf -oL rm a`,
    {
      cmds: [{
        argv: ["rm", "a"],
        wrappers: ["doas", "env", "timeout", "nice", "nohup", "time", "stdbuf"],
        env: { PATH: "/x" },
        depth: 7,
      }],
    },
  ],
  ["env -S splits a string", `env -S 'rm -rf' /x`, {
    cmds: [{ argv: ["rm", "-rf", "/x"], wrappers: ["env"] }],
  }],
  ["command, builtin, exec", `command -p rm a; builtin eval b; exec -a x rm c; command -v rm`, {
    cmds: [
      { argv: ["rm", "a"], wrappers: ["command"] },
      { argv: ["b"], wrappers: ["builtin", "eval"] },
      { argv: ["rm", "c"], wrappers: ["exec"] },
    ],
  }],
  ["su -c", `su - root -c 'rm -rf /'`, {
    cmds: [{ argv: ["rm", "-rf", "/"], wrappers: ["su"], origin: "shell-string" }],
  }],
  ["xargs: argv known up to stdin arguments", `find . -name '*.o' | xargs -0 -n 1 rm -f`, {
    cmds: [{
      argv: ["rm", "-f"],
      origin: "xargs",
      wrappers: ["xargs"],
      dynamic: ["arguments from stdin (xargs)"],
      stdinFrom: ["find"],
    }],
  }],
  ["xargs -I into a shell string is a finding", `xargs -I{} sh -c 'rm {}'`, {
    findings: ["dynamic-command"],
  }],
  ["find -exec, -execdir, -ok", `find / -exec rm {} \\; -execdir sh -c 'id' \\; -ok cat {} +`, {
    cmds: [
      { argv: ["rm", "{}"], origin: "find-exec", wrappers: ["find"] },
      { argv: ["sh", "-c", "id"], origin: "find-exec" },
      { argv: ["id"], wrappers: ["find", "sh"], origin: "shell-string" },
      { argv: ["cat", "{}"], origin: "find-exec" },
    ],
  }],
  ["parallel", `parallel -j 4 gzip {} ::: a b; parallel ::: 'rm x' ls`, {
    cmds: [
      { argv: ["gzip", "a"], origin: "parallel" },
      { argv: ["gzip", "b"], origin: "parallel" },
      { argv: ["rm", "x"], origin: "parallel" },
      { argv: ["ls"] },
    ],
  }],
  ["parallel reading commands from stdin is a finding", `cat cmds | parallel`, {
    findings: ["dynamic-command"],
  }],
  ["watch runs a shell string", `watch -n 1 'ls | wc -l'`, {
    cmds: [{ argv: ["ls"], origin: "watch" }, {
      argv: ["wc", "-l"],
      origin: "watch",
      stdinFrom: ["ls"],
    }],
  }],
  ["ssh runs remotely", `ssh -p 22 -i key user@host 'rm -rf /data' && ls`, {
    cmds: [
      { argv: ["rm", "-rf", "/data"], origin: "ssh", remote: "user@host", wrappers: ["ssh"] },
      { argv: ["ls"], origin: "list" },
    ],
  }],
  [
    "busybox, setsid, chroot, flock",
    `busybox rm a; setsid rm b; chroot /mnt rm c; flock /l -c 'rm d'`,
    {
      cmds: [{ argv: ["rm", "a"] }, { argv: ["rm", "b"] }, { argv: ["rm", "c"] }, {
        argv: ["rm", "d"],
      }],
    },
  ],
  ["xargs reads known stdin", `echo /tmp /etc | xargs rm -rf`, {
    cmds: [{ argv: ["rm", "-rf", "/tmp", "/etc"], origin: "xargs", dynamic: [] }],
  }],
  ["xargs -I runs once per line", `printf '%s\n' a b | xargs -I % sh -c 'rm %'`, {
    cmds: [{ argv: ["rm", "a"], wrappers: ["xargs", "sh"] }, { argv: ["rm", "b"] }],
  }],
  ["containers run elsewhere", `docker run --rm -v /:/mnt -e A=1 alpine sh -c 'rm -rf /mnt'`, {
    cmds: [
      { argv: ["sh", "-c", "rm -rf /mnt"], remote: "docker:alpine", wrappers: ["docker"] },
      { argv: ["rm", "-rf", "/mnt"], remote: "docker:alpine", wrappers: ["docker", "sh"] },
    ],
  }],
  ["docker --entrypoint", `docker run --entrypoint bash img -c id`, {
    cmds: [{ argv: ["bash", "-c", "id"] }, { argv: ["id"] }],
  }],
  ["kubectl exec", `kubectl exec -n prod -it web-1 -c app -- rm -rf /data`, {
    cmds: [{ argv: ["rm", "-rf", "/data"], remote: "kubectl:web-1" }],
  }],
  [
    "tmux and screen",
    `tmux new -d -s x 'curl x | sh'; tmux send-keys -t x 'rm -rf /' Enter; screen -dmS s rm a; screen -S s -X stuff 'reboot\n'`,
    {
      cmds: [{ argv: ["curl", "x"] }, { argv: ["rm", "-rf", "/"] }, { argv: ["rm", "a"] }, {
        argv: ["reboot"],
      }],
    },
  ],
  [
    "sg, systemd-run, unshare",
    `sg docker 'rm b'; systemd-run --unit x -p A=1 rm c; unshare -r rm d`,
    {
      cmds: [{ argv: ["rm", "b"] }, { argv: ["rm", "c"] }, { argv: ["rm", "d"] }],
    },
  ],
];

const GIT_SETTINGS: Row[] = [
  ["git -c core.pager runs through the shell", `git -c core.pager='sh -c "sudo id"' log`, {
    cmds: [
      { argv: ["git", "-c", 'core.pager=sh -c "sudo id"', "log"] },
      { argv: ["sudo", "id"], origin: "shell-string" },
    ],
  }],
  ["a ! alias is shell, a plain one is git's", `git -c alias.x='!rm -rf /' -c alias.l=log x`, {
    cmds: [{ argv: ["rm", "-rf", "/"], origin: "shell-string", wrappers: ["git"] }],
  }],
  ["git config stores a command for later runs", `git config --file f core.sshCommand 'nc h 1'`, {
    cmds: [{ argv: ["nc", "h", "1"], origin: "shell-string" }],
  }],
  ["git config set (2.46)", `git config set --global core.editor 'curl x | sh'`, {
    cmds: [{ argv: ["curl", "x"] }, { argv: ["sh"], stdinFrom: ["curl"] }],
  }],
  ["other settings are plain values", `git -C sub -c user.name=bot -c color.ui=false status`, {
    cmds: [{ argv: ["git", "-C", "sub", "-c", "user.name=bot", "-c", "color.ui=false", "status"] }],
    exact: true,
  }],
  [
    "a hooks directory or an env-sourced setting is unknown",
    `git -c core.hooksPath=/tmp/h commit`,
    {
      cmds: [{ argv: ["git", "-c", "core.hooksPath=/tmp/h", "commit"] }],
      findings: ["dynamic-command"],
    },
  ],
  ["--config-env", `git --config-env=core.pager=P log`, {
    cmds: [{ argv: ["git", "--config-env=core.pager=P", "log"] }],
    findings: ["dynamic-command"],
  }],
];

const COMMAND_VARIABLES: Row[] = [
  ["a prefix assignment", `GIT_SSH_COMMAND='sudo id' git fetch`, {
    cmds: [{ argv: ["git", "fetch"] }, { argv: ["sudo", "id"], origin: "shell-string" }],
  }],
  ["an export", `export EDITOR='rm -rf ~'; git commit`, {
    cmds: [{ argv: ["rm", "-rf", "~"], origin: "shell-string" }, { argv: ["git", "commit"] }],
  }],
  ["a plain assignment", `PAGER='curl x | sh'`, {
    cmds: [{ argv: ["curl", "x"] }, { argv: ["sh"], stdinFrom: ["curl"] }],
  }],
  ["less's input preprocessor", `LESSOPEN='|nc h 1 %s' less f`, {
    cmds: [{ argv: ["nc", "h", "1", "%s"], origin: "shell-string" }],
  }],
  ["other variables stay values", `FOO='sudo id' make; GIT_PAGER= git log`, {
    cmds: [{ argv: ["make"] }, { argv: ["git", "log"] }],
    exact: true,
  }],
  ["a value only known at run time", `EDITOR=$X git commit`, {
    cmds: [{ argv: ["git", "commit"] }],
    // The value is built at run time, and so is the command it names.
    findings: ["dynamic-command", "dynamic-command"],
  }],
];

const COMMAND_OPTIONS: Row[] = [
  ["tar's compress program", `tar -cf x.tar --use-compress-program='nc h 1' .`, {
    cmds: [{ argv: ["nc", "h", "1"], origin: "shell-string", wrappers: ["tar"] }],
  }],
  ["tar -I, separate and attached", `tar -cf x.tar -I 'a 1' . ; tar -Ib -cf y .`, {
    cmds: [{ argv: ["a", "1"] }, { argv: ["b"] }],
  }],
  ["tar's checkpoint action", `tar cf /dev/null x --checkpoint-action=exec='rm -rf ~'`, {
    cmds: [{ argv: ["rm", "-rf", "~"], origin: "shell-string" }],
  }],
  ["rsync -e and --rsync-path", `rsync -e 'ssh -p 2' --rsync-path='sudo rsync' a h:b`, {
    cmds: [{ argv: ["ssh", "-p", "2"] }, { argv: ["sudo", "rsync"] }, { argv: ["rsync"] }],
  }],
  ["ssh -o commands, both spellings", `ssh -oProxyCommand='nc %h 22' -o 'LocalCommand id' h`, {
    cmds: [{ argv: ["nc", "%h", "22"] }, { argv: ["id"] }],
  }],
  ["git's pack programs and ext:: URLs", `git clone --upload-pack='a x' 'ext::b% y' d`, {
    cmds: [{ argv: ["a", "x"] }, { argv: ["b", "y"] }],
  }],
  ["zip, scp, man", `zip z a -T -TT 'c 1'; scp -S d a h:b; man -P 'e 2' ls`, {
    cmds: [{ argv: ["c", "1"] }, { argv: ["d"] }, { argv: ["e", "2"] }],
  }],
  ["less +! and more +!", `less +'!nc h 1' f; more '+!id' f; less +G f`, {
    cmds: [{ argv: ["nc", "h", "1"], origin: "shell-string" }, { argv: ["id"] }],
  }],
  ["gdb ! and shell", `gdb -batch -ex '!a 1' -ex='shell b 2' -ex bt x`, {
    cmds: [{ argv: ["a", "1"] }, { argv: ["b", "2"] }],
  }],
  ["rlwrap is a wrapper", `rlwrap -H hist sudo id`, {
    cmds: [{ argv: ["sudo", "id"], wrappers: ["rlwrap"] }],
  }],
  ["other options stay arguments", `tar -xzf x.tgz -C out; ssh -o StrictHostKeyChecking=no h`, {
    cmds: [
      { argv: ["tar", "-xzf", "x.tgz", "-C", "out"] },
      { argv: ["ssh", "-o", "StrictHostKeyChecking=no", "h"] },
    ],
    exact: true,
  }],
];

Deno.test("analyzeShell reads a script a shell takes from /dev/stdin", () => {
  check([". /dev/stdin", `. /dev/stdin <<< 'sudo id'`, {
    cmds: [{ argv: ["sudo", "id"], origin: "heredoc" }],
  }]);
  check(["source /dev/fd/0", `echo 'rm -rf ~' | source /dev/fd/0`, {
    cmds: [{ argv: ["rm", "-rf", "~"], origin: "heredoc" }],
  }]);
  check(["bash /proc/self/fd/0", `bash /proc/self/fd/0 <<EOF\nreboot\nEOF`, {
    cmds: [{ argv: ["reboot"], origin: "heredoc" }],
  }]);
});

Deno.test("analyzeShell reads option values programs run as commands", () => {
  for (const row of COMMAND_OPTIONS) check(row);
});

Deno.test("analyzeShell reads variables programs run as commands where they are set", () => {
  for (const row of COMMAND_VARIABLES) check(row);
});

Deno.test("analyzeShell reads the commands git runs from settings on its command line", () => {
  for (const row of GIT_SETTINGS) check(row);
});

Deno.test("analyzeShell peels wrappers to the programs they run", () => {
  for (const row of WRAPPERS) check(row);
});

const ENVIRONMENT: Row[] = [
  ["leading assignments", `LD_PRELOAD=/tmp/x.so A='b c' ls`, {
    cmds: [{ argv: ["ls"], env: { LD_PRELOAD: "/tmp/x.so", A: "b c" } }],
  }],
  ["assignments only are recorded", `PATH=/tmp:$PATH`, {
    cmds: [{ argv: [], env: { PATH: "/tmp:$PATH" }, dynamic: ["$VAR in assignment"], program: "" }],
  }],
  ["export is a command and reaches later commands", `export LD_PRELOAD=/x.so; ls`, {
    cmds: [{ argv: ["export", "LD_PRELOAD=/x.so"] }, {
      argv: ["ls"],
      env: { LD_PRELOAD: "/x.so" },
    }],
  }],
  ["an assignment reaches a shell string", `X=1 bash -c 'ls'`, {
    cmds: [{ argv: ["ls"], env: { X: "1" } }],
  }],
  ["arrays", `a=(1 "$(id)" 3) cmd`, {
    cmds: [{ argv: ["id"] }, { argv: ["cmd"], env: { a: "(1 $(id) 3)" } }],
  }],
  ["append", `PATH+=:/x ls`, { cmds: [{ argv: ["ls"], env: { PATH: ":/x" } }] }],
];

Deno.test("analyzeShell records environment assignments", () => {
  for (const row of ENVIRONMENT) check(row);
});

const REDIRECTS: Row[] = [
  ["every operator", `a > o >> p < i <> q >| r &> s &>> t 2>&1 <&0 3>&- 2>/dev/null`, {
    cmds: [{
      argv: ["a"],
      redirects: [
        { op: ">", target: "o" },
        { op: ">>", target: "p" },
        { op: "<", target: "i" },
        { op: "<>", target: "q" },
        { op: ">|", target: "r" },
        { op: "&>", target: "s" },
        { op: "&>>", target: "t" },
        { op: ">&", fd: 2, target: "1" },
        { op: "<&", target: "0" },
        { op: ">&", fd: 3, target: "-" },
        { op: ">", fd: 2, target: "/dev/null" },
      ],
    }],
  }],
  [">& to a file is &>", `a >& out`, {
    cmds: [{ argv: ["a"], redirects: [{ op: "&>", target: "out" }] }],
  }],
  ["a redirection alone is recorded", `> /dev/sda`, {
    cmds: [{ argv: [], redirects: [{ op: ">", target: "/dev/sda" }] }],
  }],
  ["quoted targets resolve", `echo x > "/etc/"'pass'wd`, {
    cmds: [{ argv: ["echo", "x"], redirects: [{ op: ">", target: "/etc/passwd" }] }],
  }],
  ["dd to a device", `dd if=/dev/zero of=/dev/sda`, {
    cmds: [{ argv: ["dd", "if=/dev/zero", "of=/dev/sda"] }],
  }],
];

Deno.test("analyzeShell records redirections with resolved targets", () => {
  for (const row of REDIRECTS) check(row);
});

const DYNAMIC: Row[] = [
  ["$VAR in command position", `$CMD -rf /`, {
    cmds: [{ argv: ["$CMD", "-rf", "/"], program: "", dynamic: ["$VAR in command position"] }],
    findings: ["dynamic-command"],
  }],
  ["an empty expansion may vanish", `$EMPTY rm -rf /`, {
    cmds: [{
      argv: ["rm", "-rf", "/"],
      program: "rm",
      dynamic: ["possibly-empty $VAR before command"],
    }],
    findings: ["dynamic-command"],
  }],
  ["$(...) in command position", `$(echo rm) x`, {
    cmds: [{ argv: ["echo", "rm"] }, { argv: ["$(echo rm)", "x"], program: "" }],
    findings: ["dynamic-command"],
  }],
  ["${IFS} splits with the default IFS", `cat\${IFS}/etc/passwd`, {
    cmds: [{ argv: ["cat", "/etc/passwd"], program: "cat" }],
    findings: ["dynamic-command"],
  }],
  ["glob in command position", `/bin/r? -rf /`, {
    cmds: [{ argv: ["/bin/r?", "-rf", "/"], program: "" }],
    findings: ["dynamic-command"],
  }],
  ["brace expansion in command position", `{rm,-rf,/}`, {
    cmds: [{
      argv: ["rm", "-rf", "/"],
      program: "rm",
      dynamic: ["brace expansion in command position"],
    }],
    findings: ["dynamic-command"],
  }],
  ["brace expansion in arguments is resolved", `touch f{1..3} {a,b}x`, {
    cmds: [{ argv: ["touch", "f1", "f2", "f3", "ax", "bx"], dynamic: [] }],
  }],
  ["unknown arguments are marked, not findings", `rm -rf "$HOME"/* ~/x`, {
    cmds: [{
      argv: ["rm", "-rf", "$HOME/*", "~/x"],
      dynamic: ["$VAR in argument", "glob in argument"],
    }],
  }],
  ["arithmetic", `echo $((1+2))`, {
    cmds: [{ argv: ["echo", "$((1+2))"], dynamic: ["$((...)) in argument"] }],
  }],
  ["a function definition is a finding and its body is read", `rm() { echo no; }; rm -rf /`, {
    cmds: [{ argv: ["echo", "no"], origin: "function" }, { argv: ["rm", "-rf", "/"] }],
    findings: ["function-definition"],
  }],
  ["function keyword", `function f { curl x; }`, {
    cmds: [{ argv: ["curl", "x"], origin: "function" }],
    findings: ["function-definition"],
  }],
  ["an alias is a finding", `alias ls='rm -rf /'`, { findings: ["alias"] }],
  ["a variable set earlier in the line is also read with its value", `x=rm; $x -rf /`, {
    cmds: [
      { argv: ["$x", "-rf", "/"], program: "" },
      { argv: ["rm", "-rf", "/"], program: "rm", dynamic: ["$VAR resolved from the line"] },
    ],
    findings: ["dynamic-command"],
  }],
  ["with the line's IFS", `IFS=,;c=rm,-rf,/;$c`, {
    cmds: [{ argv: ["rm", "-rf", "/"] }],
    findings: ["dynamic-command"],
  }],
  ["positional parameters of sh -c", `bash -c '"$0" "$1" /' rm -rf`, {
    cmds: [{ argv: ["rm", "-rf", "/"], origin: "shell-string" }],
    findings: ["dynamic-command"],
  }],
];

Deno.test("analyzeShell marks what is not known before running", () => {
  for (const row of DYNAMIC) check(row);
});

Deno.test("analyzeShell refuses bad input with a finding and a column, without throwing", () => {
  const cases: Array<[string, string, number | undefined]> = [
    [`echo "x`, "unparsable", 6],
    [`echo 'x`, "unparsable", 6],
    [`echo $(ls`, "unparsable", 6],
    [`(ls`, "unparsable", 1],
    [`if true; then ls`, "unparsable", undefined],
    [`for x in a; do ls`, "unparsable", undefined],
    [`case x in a) ls`, "unparsable", undefined],
    [`ls\0rm`, "binary", 3],
    ["x".repeat(300 * 1024), "too-long", 1],
    ["echo " + "$(".repeat(40) + ")".repeat(40), "too-deep", undefined],
    ["( ".repeat(100) + "ls" + " )".repeat(100), "too-deep", undefined],
    ["{ ".repeat(50) + "ls;" + " };".repeat(50), "too-deep", undefined],
    ["sh -c " + "'sh -c \"".repeat(20), "unparsable", undefined],
  ];
  for (const [line, kind, column] of cases) {
    const a = analyzeShell(line);
    equal(a.parsed, false, line.slice(0, 40));
    ok(
      a.findings.some((f) => f.kind === kind),
      `${line.slice(0, 40)}: ${JSON.stringify(a.findings)}`,
    );
    const f = a.findings.find((f) => f.kind === kind)!;
    ok(f.column !== undefined, line.slice(0, 40));
    if (column !== undefined) equal(f.column, column, line.slice(0, 40));
  }
});

Deno.test("analyzeShell takes maxLength and maxDepth options", () => {
  equal(analyzeShell("echo hello", { maxLength: 5 }).findings[0]!.kind, "too-long");
  equal(analyzeShell("echo $(a $(b))", { maxDepth: 1 }).findings[0]!.kind, "too-deep");
  equal(analyzeShell("echo $(a $(b))", { maxDepth: 2 }).parsed, true);
  const nested = "bash -c " + quoteArgv(["bash -c " + quoteArgv(["bash -c 'rm x'"])]);
  equal(analyzeShell(nested, { maxDepth: 2 }).findings[0]!.kind, "too-deep");
  deepEqual(analyzeShell(nested).commands.at(-1)!.argv, ["rm", "x"]);
});

Deno.test("quoteArgv quotes only what needs it", () => {
  const cases: Array<[string[], string]> = [
    [["ls", "-la", "src/a.ts"], "ls -la src/a.ts"],
    [["rm", "my file", "it's"], `rm 'my file' 'it'\\''s'`],
    [["echo", "$HOME", "`id`", "*", "~", "#x", ""], `echo '$HOME' '\`id\`' '*' '~' '#x' ''`],
    [["if", "x"], `'if' x`],
    [["A=1", "B=2"], `'A=1' B=2`],
    [[], ""],
  ];
  for (const [argv, line] of cases) {
    equal(quoteArgv(argv), line);
    if (argv.length > 0) deepEqual(analyzeShell(line).commands[0]!.argv, argv);
  }
});
