/**
 * Boundary zones: what an action does to a session, `SAFE < SENSITIVE < COMMITMENT <
 * IRREVERSIBLE`. Reads of ordinary data are SAFE; reads of secrets or sensitive resources are
 * SENSITIVE; writes, egress of data and commitments such as POSTs are COMMITMENT; deletions,
 * payments, force-pushes and privilege changes are IRREVERSIBLE. A session's zone is the highest
 * zone of the actions it has taken, and it only ever advances (see store.ts).
 * @module
 */
import { type Intent, type Zone, ZONES } from "../intent.ts";
import { urlFacts } from "../match/url.ts";

/** The order of a zone (SAFE 0 … IRREVERSIBLE 3). */
export function zoneRank(zone: Zone): number {
  return ZONES.indexOf(zone);
}

/** The later of two zones. */
export function laterZone(a: Zone, b: Zone): Zone {
  return zoneRank(a) >= zoneRank(b) ? a : b;
}

/** Whether `text` names a zone. */
export function isZone(text: unknown): text is Zone {
  return typeof text === "string" && (ZONES as readonly string[]).includes(text);
}

const READ_OPERATIONS = new Set([
  "read",
  "list",
  "stat",
  "search",
  "query",
  "get",
  "head",
  "options",
  "logs",
  "exec-read",
  "ps",
  "admit",
  "connect",
]);
const DELETE_OPERATIONS = new Set(["delete", "remove", "unlink", "rmdir", "destroy", "drain"]);
const PRIVILEGE_OPERATIONS = new Set(["chmod", "chown", "chgrp", "setcap", "setuid"]);

/** Programs that only read (or print): running them is a read. */
const READ_PROGRAMS = new Set([
  "ls",
  "cat",
  "head",
  "tail",
  "less",
  "more",
  "grep",
  "egrep",
  "fgrep",
  "rg",
  "ag",
  "find",
  "fd",
  "wc",
  "sort",
  "uniq",
  "cut",
  "tr",
  "column",
  "nl",
  "od",
  "xxd",
  "hexdump",
  "strings",
  "echo",
  "printf",
  "pwd",
  "whoami",
  "id",
  "groups",
  "date",
  "cal",
  "which",
  "type",
  "command",
  "file",
  "stat",
  "du",
  "df",
  "free",
  "uptime",
  "ps",
  "pgrep",
  "top",
  "htop",
  "tree",
  "diff",
  "cmp",
  "comm",
  "jq",
  "yq",
  "true",
  "false",
  "test",
  "[",
  "basename",
  "dirname",
  "realpath",
  "readlink",
  "uname",
  "hostname",
  "env",
  "printenv",
  "man",
  "help",
  "history",
  "sleep",
  "seq",
  "md5sum",
  "sha1sum",
  "sha256sum",
  "sha512sum",
  "base64",
  "ldd",
  "lsof",
  "netstat",
  "ss",
  "ip",
  "ping",
  "dig",
  "host",
  "nslookup",
  "tput",
  "clear",
  "cd",
  "ls-files",
]); // deno-fmt-ignore
/** Programs that destroy data or change privileges. */
const IRREVERSIBLE_PROGRAMS = new Set([
  "rm", "rmdir", "unlink", "shred", "wipe", "dd", "truncate", "mkfs", "fdisk", "parted",
  "sudo", "su", "doas", "pkexec", "chmod", "chown", "chgrp", "setcap", "chattr", "passwd",
  "useradd", "userdel", "usermod", "groupadd", "visudo", "crontab",
]); // deno-fmt-ignore
const GIT_READS = new Set([
  "status", "log", "diff", "show", "blame", "ls-files", "ls-tree", "rev-parse", "describe",
  "shortlog", "grep", "cat-file", "reflog", "help", "version", "whatchanged",
]); // deno-fmt-ignore

/** URL patterns of payments and checkouts (the Clawbot list): a POST there is irreversible. */
const PAYMENT = [/\/checkout/, /\/payment/, /(^|\.)stripe\.com\//, /(^|\.)paypal\.com\//];

/**
 * The zone an action puts a session in. `sensitive`: whether the target's sensitivity is
 * confidential or above (the guard's classification).
 *
 * @example
 * ```ts
 * import { classifyAction } from "./zones.ts";
 * import { equal } from "node:assert/strict";
 * const intent = (domain: "filesystem" | "http", operation: string, target: Record<string, string>) =>
 *   ({ identity: { principal: "p", capabilities: [] }, domain, operation, target, context: {} });
 * equal(classifyAction(intent("filesystem", "read", { path: "/srv/hr/salary.csv" }), true), "SENSITIVE");
 * equal(classifyAction(intent("http", "post", { url: "https://x.example/api" }), false), "COMMITMENT");
 * equal(classifyAction(intent("http", "post", { url: "https://shop.example/checkout" }), false), "IRREVERSIBLE");
 * ```
 */
export function classifyAction(intent: Intent, sensitive: boolean): Zone {
  const read: Zone = sensitive ? "SENSITIVE" : "SAFE";
  const { domain, operation, target } = intent;
  if (domain === "command" || domain === "process") {
    if (operation === "kill") return "COMMITMENT";
    return laterZone(read, commandZone(target));
  }
  if (domain === "http") {
    if (operation === "delete") return "IRREVERSIBLE";
    if (READ_OPERATIONS.has(operation)) return read;
    const url = typeof target.url === "string" ? target.url : "";
    const forms = urlFacts(url).forms;
    if (forms.some((form) => PAYMENT.some((pattern) => pattern.test(form)))) return "IRREVERSIBLE";
    return "COMMITMENT";
  }
  if (domain === "permission") {
    return ["read", "env", "sys", "import"].includes(operation) ? read : "COMMITMENT";
  }
  if (DELETE_OPERATIONS.has(operation) || PRIVILEGE_OPERATIONS.has(operation)) {
    return "IRREVERSIBLE";
  }
  if (READ_OPERATIONS.has(operation)) return read;
  return "COMMITMENT";
}

function commandZone(target: Intent["target"]): Zone {
  const argv = Array.isArray(target.argv) ? target.argv.map(String) : [];
  const program = basename(typeof target.program === "string" ? target.program : argv[0] ?? "");
  if (target.dynamic === true || program === "") return "COMMITMENT";
  if (IRREVERSIBLE_PROGRAMS.has(program) || program.startsWith("mkfs.")) return "IRREVERSIBLE";
  if (program === "git") return gitZone(argv.slice(1));
  if (READ_PROGRAMS.has(program)) return readProgramZone(program, argv.slice(1));
  return "COMMITMENT";
}

/** A program of the read list, unless its options make it write (or delete). */
function readProgramZone(program: string, args: readonly string[]): Zone {
  if (program === "find") {
    if (args.includes("-delete")) return "IRREVERSIBLE";
    if (args.some((a) => /^-(exec|execdir|ok|okdir|fprint0?|fprintf|fls)$/.test(a))) {
      return "COMMITMENT";
    }
  }
  if (program === "sort" && args.some((a) => /^(-o|--output)/.test(a) || /^-[a-zA-Z]*o/.test(a))) {
    return "COMMITMENT";
  }
  if (
    (program === "yq" || program === "jq") &&
    args.some((a) => a === "-i" || a.startsWith("--inplace") || /^-[a-zA-Z]*i/.test(a))
  ) {
    return "COMMITMENT";
  }
  // The environment holds tokens and keys: printing it is a read of secrets.
  if (program === "env" || program === "printenv") return "SENSITIVE";
  const operands = args.filter((a) => !a.startsWith("-"));
  if (program === "tree" && args.some((a) => a === "-o" || a.startsWith("--output"))) {
    return "COMMITMENT";
  }
  if (program === "uniq" && operands.length >= 2) return "COMMITMENT"; // uniq IN OUT writes OUT
  if (program === "hostname" && operands.length >= 1) return "COMMITMENT"; // sets the name
  if (program === "date" && args.some((a) => a === "-s" || a.startsWith("--set"))) {
    return "COMMITMENT";
  }
  if (program === "ip") {
    const verbs = ["add", "del", "delete", "set", "change", "replace", "flush", "append"];
    if (operands.some((a) => verbs.includes(a))) return "COMMITMENT";
  }
  return "SAFE";
}

/** git's global options that take a value (`git -C DIR push`). */
const GIT_VALUED = new Set(["-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path"]);

function gitZone(all: readonly string[]): Zone {
  let start = 0;
  while (start < all.length && all[start]!.startsWith("-")) {
    start += GIT_VALUED.has(all[start]!) ? 2 : 1;
  }
  const args = all.slice(start);
  const sub = args[0];
  if (sub === "reflog" && (args[1] === "expire" || args[1] === "delete")) return "IRREVERSIBLE";
  if (sub === undefined || GIT_READS.has(sub)) return "SAFE";
  if (sub === "push") {
    const forced = args.some((arg) =>
      /^-[a-zA-Z]*[fd]/.test(arg) || arg.startsWith("--force") || arg === "--delete" ||
      arg === "--mirror" || arg === "--prune" || /^\+/.test(arg) ||
      (/^:/.test(arg) && arg.length > 1)
    );
    return forced ? "IRREVERSIBLE" : "COMMITMENT";
  }
  if (sub === "reset" && args.includes("--hard")) return "IRREVERSIBLE";
  if (sub === "clean" && args.some((arg) => /^-[a-z]*f/.test(arg) || arg === "--force")) {
    return "IRREVERSIBLE";
  }
  if (sub === "branch") {
    const deletes = args.some((arg) => /^-[a-zA-Z]*[dD]/.test(arg) || arg === "--delete");
    const forced = args.some((arg) => /^-[a-zA-Z]*[fD]/.test(arg) || arg === "--force");
    if (deletes && forced) return "IRREVERSIBLE";
    if (deletes) return "COMMITMENT";
  }
  if (sub === "branch" || sub === "remote" || sub === "tag") {
    return args.length <= 1 || args.includes("-l") || args.includes("--list") ||
        args.includes("-v")
      ? "SAFE"
      : "COMMITMENT";
  }
  return "COMMITMENT";
}

function basename(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash >= 0 ? path.slice(slash + 1) : path;
}
