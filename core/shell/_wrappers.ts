/**
 * Programs that run other programs: how to find, in their arguments, the command or shell string
 * they run. Each wrapper's options are listed with the ones that take a value, so
 * `sudo -u root rm` reaches `rm` and `timeout -s KILL 5 rm` skips the duration.
 * @module
 */
import type { Field } from "./_expand.ts";
import type { ShellOrigin } from "./_types.ts";

/** What a wrapper runs. */
export type Inner =
  | {
    kind: "argv";
    argv: Field[];
    env: Record<string, string>;
    origin: ShellOrigin;
    /** xargs: the arguments are completed from stdin, split as described. */
    xargs?: { replace?: string; delimiter?: string };
    /** Runs elsewhere: `docker:IMAGE`, `kubectl:POD`. */
    remote?: string;
  }
  | {
    kind: "shell";
    text: Field;
    origin: ShellOrigin;
    remote?: string;
    /** Typed text that may be incomplete (`tmux send-keys`): not parsing it is no failure. */
    partial?: boolean;
  }
  | { kind: "unknown"; detail: string };

interface Spec {
  /** Short options that take a value (rest of the cluster or the next word). */
  short?: string;
  /** Long options that take a value when written without `=`. */
  long?: readonly string[];
  /** Short options after which nothing runs (`command -v`, `sudo -l`). */
  stop?: string;
  stopLong?: readonly string[];
  /** Operands before the command (timeout's DURATION, chroot's NEWROOT). */
  operands?: number;
  /** NAME=VALUE words before the command are its environment (env, sudo). */
  assignments?: boolean;
}

const SPECS: Record<string, Spec> = {
  sudo: {
    short: "ugpCDrtTUR",
    long: [
      "user",
      "group",
      "prompt",
      "close-from",
      "chdir",
      "role",
      "type",
      "command-timeout",
      "other-user",
      "chroot",
      "host",
    ],
    stop: "elvKV",
    stopLong: ["edit", "list", "validate", "remove-timestamp", "version", "help"],
    assignments: true,
  },
  doas: { short: "uC", stop: "L" },
  pkexec: { long: ["user"] },
  env: { short: "uCSP", long: ["unset", "chdir", "split-string"], assignments: true },
  nice: { short: "n", long: ["adjustment"] },
  nohup: {},
  timeout: { short: "sk", long: ["signal", "kill-after"], operands: 1 },
  time: { short: "fo", long: ["format", "output"] },
  command: { stop: "vV" },
  builtin: {},
  exec: { short: "a" },
  setsid: {},
  stdbuf: { short: "ioe", long: ["input", "output", "error"] },
  ionice: {
    short: "cn",
    long: ["class", "classdata"],
    stop: "pPu",
    stopLong: ["pid", "pgid", "uid"],
  },
  chroot: { long: ["userspec", "groups"], operands: 1 },
  taskset: { stop: "p", stopLong: ["pid"], operands: 1 },
  chrt: { stop: "p", stopLong: ["pid"], operands: 1 },
  unbuffer: {},
  rlwrap: {
    short: "bCDefgHlOpPqsStwz",
    long: ["break-chars", "command-name", "file", "history-filename", "histsize", "filter"],
  },
  busybox: {},
  strace: { short: "abeEIoOpPsSuUX", long: ["output", "attach", "user"] },
  ltrace: { short: "aAbDeEFnoOpPsSuUX", long: ["output", "library"] },
  flock: { short: "wEc", long: ["timeout", "wait", "conflict-exit-code", "command"], operands: 1 },
  "systemd-run": {
    short: "pEMHu",
    long: [
      "unit",
      "property",
      "description",
      "slice",
      "uid",
      "gid",
      "setenv",
      "working-directory",
      "machine",
      "host",
      "nice",
      "on-calendar",
      "on-active",
      "on-boot",
      "on-startup",
      "timer-property",
      "path-property",
      "socket-property",
    ],
  },
  unshare: { short: "SGRw", long: ["root", "wd", "setuid", "setgid"] },
  nsenter: { short: "tSG", long: ["target", "setuid", "setgid"] },
  firejail: {},
  proxychains: { short: "f" },
  proxychains4: { short: "f" },
  torsocks: { short: "uapP", long: ["user", "pass", "address", "port"] },
  fakeroot: { short: "sil", long: ["lib", "faked"] },
  faketime: { operands: 1 },
  "xvfb-run": { short: "nsfepw", long: ["server-num", "server-args", "auth-file", "error-file"] },
  "dbus-run-session": {},
  caffeinate: { short: "tw" },
  catchsegv: {},
  valgrind: {},
  setpriv: {},
  xargs: {
    short: "adEILnPs",
    long: ["arg-file", "delimiter", "eof", "max-lines", "max-args", "max-procs", "max-chars"],
  },
  ssh: { short: "BbcDEeFIiJLlmOopQRSWw" },
  watch: { short: "nq", long: ["interval", "equexit"] },
  parallel: {
    short: "aIjJLNnPSsdEX",
    long: [
      "arg-file",
      "jobs",
      "sshlogin",
      "sshloginfile",
      "colsep",
      "joblog",
      "results",
      "tmpdir",
      "workdir",
      "env",
      "timeout",
      "retries",
      "delay",
      "max-args",
      "max-replace-args",
      "halt",
      "memfree",
      "load",
      "nice",
      "basefile",
      "return",
      "transferfile",
      "tagstring",
      "header",
      "block",
      "recstart",
      "recend",
      "delimiter",
      "arg-sep",
      "arg-file-sep",
      "replace",
      "profile",
      "plus",
    ],
  },
};

interface Scan {
  /** Index of the first word after options, operands and assignments. */
  at: number;
  values: Array<[name: string, value: Field]>;
  flags: string[];
  env: Record<string, string>;
  stopped: boolean;
}

function scan(args: readonly Field[], spec: Spec, from = 0): Scan {
  const values: Array<[string, Field]> = [];
  const flags: string[] = [];
  let i = from;
  let stopped = false;
  while (i < args.length) {
    const a = args[i]!.text;
    if (a === "--") {
      i++;
      break;
    }
    if (a.startsWith("--") && a.length > 2) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (spec.stopLong?.includes(name)) stopped = true;
      if (eq >= 0) values.push([name, { ...args[i]!, text: a.slice(eq + 1) }]);
      else if (spec.long?.includes(name) && i + 1 < args.length) values.push([name, args[++i]!]);
      else flags.push(name);
      i++;
      continue;
    }
    if (a.length < 2 || a[0] !== "-") break;
    for (let k = 1; k < a.length; k++) {
      const c = a[k]!;
      if (spec.stop?.includes(c)) stopped = true;
      if (spec.short?.includes(c)) {
        if (k + 1 < a.length) values.push([c, { ...args[i]!, text: a.slice(k + 1) }]);
        else if (i + 1 < args.length) values.push([c, args[++i]!]);
        break;
      }
      flags.push(c);
    }
    i++;
  }
  i = Math.min(args.length, i + (spec.operands ?? 0));
  const env: Record<string, string> = {};
  if (spec.assignments) {
    for (; i < args.length; i++) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(args[i]!.text);
      if (!m) break;
      env[m[1]!] = m[2]!;
    }
  }
  return { at: i, values, flags, env, stopped };
}

function value(s: Scan, ...names: string[]): Field | undefined {
  for (const [n, v] of s.values) if (names.includes(n)) return v;
  return undefined;
}

function join(fields: readonly Field[]): Field {
  const reasons: string[] = [];
  for (const f of fields) for (const r of f.reasons) if (!reasons.includes(r)) reasons.push(r);
  return { text: fields.map((f) => f.text).join(" "), reasons, pos: fields[0]?.pos ?? 0 };
}

function argv(
  fields: Field[],
  origin: ShellOrigin = "wrapper",
  env: Record<string, string> = {},
): Inner[] {
  return fields.length === 0 ? [] : [{ kind: "argv", argv: fields, env, origin }];
}

/** Marks fields containing a replacement string the wrapper fills in at run time. */
function marking(fields: Field[], token: string, reason: string): Field[] {
  return fields.map((f) =>
    f.text.includes(token) && !f.reasons.includes(reason)
      ? { ...f, reasons: [...f.reasons, reason] }
      : f
  );
}

/** Whether `program` is a wrapper this module knows. */
export function isWrapper(program: string): boolean {
  return Object.hasOwn(SPECS, program) || SPECIAL.has(program);
}

const SPECIAL = new Set([
  "find",
  "git",
  "su",
  "runuser",
  "script",
  "sg",
  "docker",
  "podman",
  "kubectl",
  "tmux",
  "screen",
]);

/**
 * What `program` (a wrapper) runs, given the words after it. `splitString` splits an
 * `env -S` string into words (the shell parser's word splitting).
 */
export function unwrap(
  program: string,
  args: Field[],
  splitString: (f: Field) => Field[],
): Inner[] {
  switch (program) {
    case "find":
      return findExec(args);
    case "git":
      return gitSettings(args);
    case "su":
    case "runuser":
      return su(program, args);
    case "script": {
      const s = scan(args, { short: "cEtTIOBm", long: ["command"] });
      const c = value(s, "c", "command");
      return c ? [{ kind: "shell", text: c, origin: "shell-string" }] : [];
    }
    case "sg": {
      // `sg GROUP [-c] COMMAND…`: run through /bin/sh -c.
      const rest = args.slice(args[1]?.text === "-c" ? 2 : 1);
      return rest.length > 0 ? [{ kind: "shell", text: join(rest), origin: "shell-string" }] : [];
    }
    case "docker":
    case "podman":
      return container(program, args);
    case "kubectl":
      return kubectl(args);
    case "tmux":
      return tmux(args);
    case "screen":
      return screen(args);
  }
  const spec = SPECS[program]!;
  const s = scan(args, spec);
  if (s.stopped) return [];
  const rest = args.slice(s.at);
  switch (program) {
    case "env": {
      const split = value(s, "S", "split-string");
      return argv(split ? [...splitString(split), ...rest] : rest, "wrapper", s.env);
    }
    case "flock": {
      // `flock FILE -c CMD`: the option may follow the lock file.
      const i = args.findIndex((f) => f.text === "-c" || f.text === "--command");
      const c = value(s, "c", "command") ?? (i >= 0 ? args[i + 1] : undefined);
      return c ? [{ kind: "shell", text: c, origin: "shell-string" }] : argv(rest);
    }
    case "busybox":
      return rest[0]?.text.startsWith("-") ? [] : argv(rest);
    case "xargs": {
      let replace = value(s, "I", "replace")?.text;
      const i = s.flags.find((f) => f === "i" || f === "replace");
      if (replace === undefined && i !== undefined) replace = "{}";
      let inner = rest.length > 0 ? rest : [{ text: "echo", reasons: [], pos: args[0]?.pos ?? 0 }];
      if (replace) inner = marking(inner, replace, "xargs replacement");
      const xargs: { replace?: string; delimiter?: string } = {};
      if (replace) xargs.replace = replace;
      const delimiter = s.flags.includes("0") || s.flags.includes("null")
        ? "\0"
        : value(s, "d", "delimiter")?.text;
      if (delimiter !== undefined) xargs.delimiter = delimiter;
      return [{ kind: "argv", argv: inner, env: {}, origin: "xargs", xargs }];
    }
    case "ssh":
      return ssh(args, spec);
    case "watch":
      if (rest.length === 0) return [];
      if (s.flags.includes("x") || s.flags.includes("exec")) return argv(rest, "watch");
      return [{ kind: "shell", text: join(rest), origin: "watch" }];
    case "parallel":
      return parallel(rest);
  }
  return argv(rest, "wrapper", s.env);
}

/**
 * Git settings whose value git runs through the shell (`core.pager`, `alias.X` starting with `!`,
 * `core.sshCommand`, filters, credential helpers, …); `core.fsmonitor` and `core.hooksPath`
 * name programs git runs.
 */
const GIT_COMMAND_KEYS =
  /^(core\.(pager|sshcommand|editor|askpass|fsmonitor)|pager\.[^.]+|sequence\.editor|diff\.external|diff\..+\.(textconv|command)|(diff|merge)tool\..+\.cmd|merge\..+\.driver|filter\..+\.(clean|smudge|process)|gpg(\..+)?\.program|credential(\..+)?\.helper|alias\..+|uploadpack\.packobjectshook|remote\..+\.(uploadpack|receivepack|vcs)|web\.browser|browser\..+\.cmd|man\..+\.cmd|sendemail\.(.+\.)?(smtpserver|tocmd|cccmd)|interactive\.difffilter)$/;

/** Git's options before the subcommand that take a separate value. */
const GIT_VALUED = new Set(["-C", "--git-dir", "--work-tree", "--namespace", "--super-prefix"]);

/** `git config`'s options that take a separate value. */
const GIT_CONFIG_VALUED = new Set(["-f", "--file", "--blob", "--type", "--default", "--comment"]);

/**
 * What git would run through the shell from settings on its command line: `git -c KEY=VALUE …`
 * runs it now; `git config KEY VALUE` stores it for every later git command in the repository.
 * Values git reads from elsewhere (`--config-env`) and a hooks directory are unknown.
 */
function gitSettings(args: Field[]): Inner[] {
  const inners: Inner[] = [];
  const setting = (key: string, value: Field) => {
    const name = key.toLowerCase();
    if (name === "core.hookspath") {
      inners.push({
        kind: "unknown",
        detail: "git core.hooksPath: hooks from another directory run",
      });
      return;
    }
    if (!GIT_COMMAND_KEYS.test(name)) return;
    let text = value.text;
    if (name.startsWith("alias.") || name.includes("helper")) {
      // `!cmd` is shell; otherwise a git subcommand (alias) or a helper named by git.
      if (!text.startsWith("!")) return;
      text = text.slice(1);
    }
    if (name === "core.fsmonitor" && /^(true|false|yes|no|on|off|0|1)?$/i.test(text)) return;
    if (text.trim() === "") return;
    inners.push({ kind: "shell", text: { ...value, text }, origin: "shell-string" });
  };
  let i = 0;
  for (; i < args.length; i++) {
    const word = args[i]!;
    if (word.text === "-c" && i + 1 < args.length) {
      const pair = args[++i]!;
      const eq = pair.text.indexOf("=");
      if (eq > 0) setting(pair.text.slice(0, eq), { ...pair, text: pair.text.slice(eq + 1) });
      continue;
    }
    if (word.text === "--config-env" || word.text.startsWith("--config-env=")) {
      if (word.text === "--config-env") i++;
      inners.push({
        kind: "unknown",
        detail: "git --config-env: a setting comes from the environment",
      });
      continue;
    }
    if (GIT_VALUED.has(word.text)) {
      i++;
      continue;
    }
    if (!word.text.startsWith("-")) break;
  }
  if (args[i]?.text === "config") {
    const positional: Field[] = [];
    for (let j = i + 1; j < args.length; j++) {
      const word = args[j]!;
      if (GIT_CONFIG_VALUED.has(word.text)) j++;
      else if (!word.text.startsWith("-")) positional.push(word);
    }
    // `git config set KEY VALUE` (git 2.46) and `git config KEY VALUE`.
    const [key, value] = positional[0]?.text === "set" ? positional.slice(1) : positional;
    if (key && value) setting(key.text, value);
  }
  return inners;
}

function su(program: string, args: Field[]): Inner[] {
  // GNU su permutes: options may follow the user name.
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!.text;
    if (a === "--") break;
    if (program === "runuser" && (a === "-u" || a === "--user")) {
      const s = scan(args, { short: "ugGcsw", long: ["user", "group", "supp-group", "shell"] });
      return argv(args.slice(s.at));
    }
    const long = /^--(command|session-command)(=([\s\S]*))?$/.exec(a);
    if (long) {
      const text = long[2] !== undefined ? { ...args[i]!, text: long[3]! } : args[i + 1];
      return text ? [{ kind: "shell", text, origin: "shell-string" }] : [];
    }
    if (/^-[A-Za-z]*c$/.test(a) && args[i + 1]) {
      return [{ kind: "shell", text: args[i + 1]!, origin: "shell-string" }];
    }
    if (/^-(s|g|G|w)$/.test(a)) i++;
  }
  return [];
}

function ssh(args: Field[], spec: Spec): Inner[] {
  let s = scan(args, spec);
  const host = args[s.at];
  if (!host) return [];
  s = scan(args, spec, s.at + 1);
  const rest = args.slice(s.at);
  // No command: the remote login shell runs what arrives on stdin (an empty string says so).
  const text = rest.length > 0 ? join(rest) : { text: "", reasons: [], pos: host.pos };
  return [{ kind: "shell", text, origin: "ssh", remote: host.text }];
}

const FIND_EXEC = new Set(["-exec", "-execdir", "-ok", "-okdir"]);

function findExec(args: Field[]): Inner[] {
  const out: Inner[] = [];
  for (let i = 0; i < args.length; i++) {
    if (!FIND_EXEC.has(args[i]!.text)) continue;
    const start = i + 1;
    let end = start;
    while (end < args.length) {
      const t = args[end]!.text;
      if (t === ";" || (t === "+" && args[end - 1]?.text === "{}")) break;
      end++;
    }
    const inner = marking(args.slice(start, end), "{}", "find replacement");
    if (inner.length > 0) out.push({ kind: "argv", argv: inner, env: {}, origin: "find-exec" });
    i = end;
  }
  return out;
}

const PARALLEL_SEPARATORS = new Set([":::", "::::", ":::+", "::::+"]);

/** At most this many argument values are substituted into a parallel command. */
const MAX_VALUES = 64;

function parallel(rest: Field[]): Inner[] {
  let sep = rest.findIndex((f) => PARALLEL_SEPARATORS.has(f.text));
  if (sep < 0) sep = rest.length;
  if (sep > 0) {
    const cmd = join(rest.slice(0, sep));
    const values = rest[sep]?.text === ":::"
      ? rest.slice(sep).filter((f) => !PARALLEL_SEPARATORS.has(f.text)).slice(0, MAX_VALUES)
      : [];
    if (values.length === 0) return [{ kind: "shell", text: cmd, origin: "parallel" }];
    // parallel quotes each value and puts it at {} or at the end.
    return values.map((v) => {
      const q = quote(v.text);
      const text = cmd.text.includes("{}") ? cmd.text.replaceAll("{}", q) : `${cmd.text} ${q}`;
      return {
        kind: "shell",
        text: { text, reasons: [...new Set([...cmd.reasons, ...v.reasons])], pos: cmd.pos },
        origin: "parallel",
      };
    });
  }
  if (sep === rest.length || rest[0]!.text.startsWith("::::")) {
    return [{ kind: "unknown", detail: "parallel runs command lines read from stdin or a file" }];
  }
  // No command: each argument after ::: is a command line.
  const out: Inner[] = [];
  for (const f of rest.slice(sep)) {
    if (PARALLEL_SEPARATORS.has(f.text)) continue;
    out.push({ kind: "shell", text: f, origin: "parallel" });
  }
  return out;
}

function quote(s: string): string {
  return /^[A-Za-z0-9_@%+,.\/:=-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

const DOCKER_GLOBAL: Spec = {
  short: "Hcl",
  long: ["host", "context", "config", "log-level", "tlscacert", "tlscert", "tlskey"],
};
const DOCKER_RUN: Spec = {
  short: "acehlmpuvw",
  long: [
    "attach",
    "cpu-shares",
    "env",
    "hostname",
    "label",
    "memory",
    "publish",
    "user",
    "volume",
    "workdir",
    "name",
    "network",
    "net",
    "entrypoint",
    "env-file",
    "label-file",
    "mount",
    "platform",
    "pull",
    "restart",
    "runtime",
    "cpus",
    "cpuset-cpus",
    "memory-swap",
    "device",
    "add-host",
    "cap-add",
    "cap-drop",
    "security-opt",
    "ulimit",
    "log-driver",
    "log-opt",
    "dns",
    "dns-search",
    "ipc",
    "pid",
    "shm-size",
    "tmpfs",
    "gpus",
    "cidfile",
    "cgroupns",
    "cgroup-parent",
    "expose",
    "health-cmd",
    "health-interval",
    "health-retries",
    "health-timeout",
    "link",
    "mac-address",
    "oom-score-adj",
    "stop-signal",
    "stop-timeout",
    "sysctl",
    "userns",
    "uts",
    "volumes-from",
    "group-add",
    "ip",
    "ip6",
    "network-alias",
    "detach-keys",
  ],
};
const DOCKER_EXEC: Spec = {
  short: "euw",
  long: ["env", "env-file", "user", "workdir", "detach-keys"],
};

/** `docker run [opts] IMAGE CMD…`, `docker exec [opts] CONTAINER CMD…` (podman alike). */
function container(program: string, args: Field[]): Inner[] {
  let i = scan(args, DOCKER_GLOBAL).at;
  if (args[i]?.text === "container") i++;
  const sub = args[i]?.text;
  if (sub !== "run" && sub !== "exec") return [];
  const s = scan(args, sub === "run" ? DOCKER_RUN : DOCKER_EXEC, i + 1);
  const target = args[s.at];
  if (!target) return [];
  const entrypoint = value(s, "entrypoint");
  const rest = [...(entrypoint ? [entrypoint] : []), ...args.slice(s.at + 1)];
  if (rest.length === 0) return [];
  return [{
    kind: "argv",
    argv: rest,
    env: {},
    origin: "wrapper",
    remote: `${program}:${target.text}`,
  }];
}

const KUBECTL: Spec = {
  short: "ncf",
  long: [
    "namespace",
    "container",
    "context",
    "kubeconfig",
    "cluster",
    "user",
    "filename",
    "selector",
  ],
};

/** `kubectl exec [opts] POD [-c C] -- CMD…`. */
function kubectl(args: Field[]): Inner[] {
  let s = scan(args, KUBECTL);
  if (args[s.at]?.text !== "exec") return [];
  s = scan(args, KUBECTL, s.at + 1);
  const pod = args[s.at];
  if (!pod || args[s.at - 1]?.text === "--") return [];
  s = scan(args, KUBECTL, s.at + 1);
  const rest = args.slice(s.at);
  if (rest.length === 0) return [];
  return [{ kind: "argv", argv: rest, env: {}, origin: "wrapper", remote: `kubectl:${pod.text}` }];
}

const TMUX_COMMANDS = new Set([
  "new-session",
  "new",
  "new-window",
  "neww",
  "split-window",
  "splitw",
  "run-shell",
  "run",
  "respawn-pane",
  "respawnp",
  "respawn-window",
  "respawnw",
]);
const TMUX_KEYS = /^(Enter|C-m|C-j|KPEnter|Escape|Space|Tab|BSpace|C-[a-z])$/;

/** tmux runs a shell command for new sessions, windows and panes, and types send-keys text. */
function tmux(args: Field[]): Inner[] {
  const g = scan(args, { short: "LSfcT" });
  const c = value(g, "c");
  if (c) return [{ kind: "shell", text: c, origin: "shell-string" }];
  const sub = args[g.at]?.text;
  if (sub === undefined) return [];
  if (sub === "send-keys" || sub === "send") {
    const s = scan(args, { short: "Nt" }, g.at + 1);
    const typed = args.slice(s.at).filter((f) => !TMUX_KEYS.test(f.text));
    if (typed.length === 0) return [];
    return [{ kind: "shell", text: join(typed), origin: "shell-string", partial: true }];
  }
  if (!TMUX_COMMANDS.has(sub)) return [];
  const s = scan(args, { short: "ceFfnstxyl" }, g.at + 1);
  const rest = args.slice(s.at);
  return rest.length > 0 ? [{ kind: "shell", text: join(rest), origin: "shell-string" }] : [];
}

/** `screen [opts] CMD…`; `screen -X stuff TEXT` types text into a session. */
function screen(args: Field[]): Inner[] {
  const x = args.findIndex((f) => f.text === "-X");
  if (x >= 0) {
    const text = args[x + 1]?.text === "stuff" ? args[x + 2] : undefined;
    return text ? [{ kind: "shell", text, origin: "shell-string", partial: true }] : [];
  }
  const s = scan(args, { short: "SceEhpTt" });
  return argv(args.slice(s.at));
}
