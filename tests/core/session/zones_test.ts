import { deepEqual, equal, ok } from "node:assert/strict";
import fc from "fast-check";
import {
  type Domain,
  DOMAINS,
  type Intent,
  type Target,
  type Zone,
  ZONES,
} from "../../../core/intent.ts";
import { classifyAction, isZone, laterZone, zoneRank } from "../../../core/session/zones.ts";

function intent(domain: Domain, operation: string, target: Target): Intent {
  return {
    identity: { principal: "agent:test", capabilities: [] },
    domain,
    operation,
    target,
    context: {},
  };
}

/** A command intent as the shell guard builds it: the program and its words. */
function command(line: string, extra: Target = {}): Intent {
  const argv = line.split(" ");
  return intent("command", "exec", { command: line, argv, program: argv[0]!, ...extra });
}

interface Case {
  name: string;
  intent: Intent;
  sensitive?: boolean;
  zone: Zone;
}

const fs = (operation: string, path = "/work/p/notes.txt") =>
  intent("filesystem", operation, { path });
const http = (operation: string, url: string) =>
  intent("http", operation, { url, method: operation.toUpperCase() });

const CASES: Case[] = [
  // filesystem
  { name: "reading an ordinary file", intent: fs("read"), zone: "SAFE" },
  { name: "listing a directory", intent: fs("list", "/work/p"), zone: "SAFE" },
  { name: "stat of a file", intent: fs("stat"), zone: "SAFE" },
  {
    name: "reading a sensitive file",
    intent: fs("read", "/srv/hr/salary.csv"),
    sensitive: true,
    zone: "SENSITIVE",
  },
  { name: "writing a file", intent: fs("write"), zone: "COMMITMENT" },
  { name: "writing a sensitive file", intent: fs("write"), sensitive: true, zone: "COMMITMENT" },
  { name: "creating a file", intent: fs("create"), zone: "COMMITMENT" },
  { name: "moving a file", intent: fs("move"), zone: "COMMITMENT" },
  { name: "copying a file", intent: fs("copy"), zone: "COMMITMENT" },
  { name: "appending to a file", intent: fs("append"), zone: "COMMITMENT" },
  { name: "making a directory", intent: fs("mkdir", "/work/p/d"), zone: "COMMITMENT" },
  { name: "deleting a file", intent: fs("delete"), zone: "IRREVERSIBLE" },
  { name: "unlinking a file", intent: fs("unlink"), zone: "IRREVERSIBLE" },
  { name: "removing a directory", intent: fs("rmdir", "/work/p/d"), zone: "IRREVERSIBLE" },
  { name: "chmod of a file", intent: fs("chmod"), zone: "IRREVERSIBLE" },
  { name: "chown of a file", intent: fs("chown"), zone: "IRREVERSIBLE" },
  { name: "chgrp of a file", intent: fs("chgrp"), zone: "IRREVERSIBLE" },
  // search
  { name: "a search", intent: intent("search", "search", { path: "/work/p" }), zone: "SAFE" },
  {
    name: "a search of sensitive files",
    intent: intent("search", "search", { path: "/srv/hr" }),
    sensitive: true,
    zone: "SENSITIVE",
  },
  // http
  { name: "an http GET", intent: http("get", "https://docs.example/guide"), zone: "SAFE" },
  { name: "an http HEAD", intent: http("head", "https://docs.example/guide"), zone: "SAFE" },
  { name: "an http OPTIONS", intent: http("options", "https://docs.example/"), zone: "SAFE" },
  {
    name: "an http GET of a sensitive resource",
    intent: http("get", "https://hr.example/salaries"),
    sensitive: true,
    zone: "SENSITIVE",
  },
  { name: "an http POST", intent: http("post", "https://api.example/items"), zone: "COMMITMENT" },
  { name: "an http PUT", intent: http("put", "https://api.example/items/1"), zone: "COMMITMENT" },
  {
    name: "an http PATCH",
    intent: http("patch", "https://api.example/items/1"),
    zone: "COMMITMENT",
  },
  {
    name: "an http POST of a sensitive resource",
    intent: http("post", "https://hr.example/salaries"),
    sensitive: true,
    zone: "COMMITMENT",
  },
  {
    name: "a POST to a checkout",
    intent: http("post", "https://shop.example/checkout"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "a POST to a percent-encoded checkout",
    intent: http("post", "https://shop.example/%63heckout/cart"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "a POST to an upper-case CHECKOUT",
    intent: http("post", "https://shop.example/CHECKOUT"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "a POST to a payment endpoint",
    intent: http("post", "https://shop.example/api/payment/submit"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "a POST to stripe.com",
    intent: http("post", "https://api.stripe.com/v1/charges"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "a POST to Stripe in upper case with its default port",
    intent: http("post", "https://API.STRIPE.COM:443/v1/charges"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "a POST to paypal.com",
    intent: http("post", "https://www.paypal.com/cgi-bin/webscr"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "a PUT to a checkout",
    intent: http("put", "https://shop.example/checkout/1"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "a POST to a host that only ends in stripe.com",
    intent: http("post", "https://notstripe.com/v1/charges"),
    zone: "COMMITMENT",
  },
  {
    name: "a POST to a host under an attacker's domain named like stripe.com",
    intent: http("post", "https://stripe.com.evil.example/v1/charges"),
    zone: "COMMITMENT",
  },
  {
    name: "a GET of a checkout page",
    intent: http("get", "https://shop.example/checkout"),
    zone: "SAFE",
  },
  {
    name: "an http DELETE",
    intent: http("delete", "https://api.example/items/1"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "an http CONNECT tunnel",
    intent: intent("http", "connect", { url: "https://api.example:443", host: "api.example" }),
    zone: "SAFE",
  },
  // commands
  { name: "ls", intent: command("ls -la /work/p"), zone: "SAFE" },
  { name: "cat", intent: command("cat /work/p/README.md"), zone: "SAFE" },
  { name: "grep", intent: command("grep -rn TODO /work/p"), zone: "SAFE" },
  { name: "wc", intent: command("wc -l notes.txt"), zone: "SAFE" },
  {
    name: "cat of a sensitive file",
    intent: command("cat /srv/hr/salary.csv"),
    sensitive: true,
    zone: "SENSITIVE",
  },
  { name: "git status", intent: command("git status"), zone: "SAFE" },
  { name: "git log", intent: command("git log --oneline -5"), zone: "SAFE" },
  { name: "git diff", intent: command("git diff HEAD~1"), zone: "SAFE" },
  { name: "git with no subcommand", intent: command("git"), zone: "SAFE" },
  {
    name: "git status by its full path",
    intent: command("/usr/bin/git status"),
    zone: "SAFE",
  },
  { name: "git branch (a listing)", intent: command("git branch"), zone: "SAFE" },
  { name: "git commit", intent: command("git commit -m x"), zone: "COMMITMENT" },
  { name: "git branch NEW", intent: command("git branch feature"), zone: "COMMITMENT" },
  { name: "git push", intent: command("git push origin main"), zone: "COMMITMENT" },
  {
    name: "git push --force",
    intent: command("git push --force origin main"),
    zone: "IRREVERSIBLE",
  },
  { name: "git push -f", intent: command("git push -f origin main"), zone: "IRREVERSIBLE" },
  {
    name: "git push --force-with-lease",
    intent: command("git push --force-with-lease origin main"),
    zone: "IRREVERSIBLE",
  },
  { name: "git push origin +main", intent: command("git push origin +main"), zone: "IRREVERSIBLE" },
  {
    name: "git push --delete",
    intent: command("git push origin --delete feature"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "git push origin :feature",
    intent: command("git push origin :feature"),
    zone: "IRREVERSIBLE",
  },
  { name: "git push --mirror", intent: command("git push --mirror backup"), zone: "IRREVERSIBLE" },
  { name: "git reset --hard", intent: command("git reset --hard HEAD~3"), zone: "IRREVERSIBLE" },
  { name: "git reset --soft", intent: command("git reset --soft HEAD~1"), zone: "COMMITMENT" },
  { name: "git clean -fdx", intent: command("git clean -fdx"), zone: "IRREVERSIBLE" },
  { name: "git branch -D", intent: command("git branch -D feature"), zone: "IRREVERSIBLE" },
  { name: "rm", intent: command("rm -rf build"), zone: "IRREVERSIBLE" },
  { name: "rm by its full path", intent: command("/bin/rm notes.txt"), zone: "IRREVERSIBLE" },
  { name: "sudo", intent: command("sudo ls /root"), zone: "IRREVERSIBLE" },
  { name: "chmod", intent: command("chmod 777 /work/p"), zone: "IRREVERSIBLE" },
  { name: "dd", intent: command("dd if=/dev/zero of=/dev/sda"), zone: "IRREVERSIBLE" },
  { name: "mkfs.ext4", intent: command("mkfs.ext4 /dev/sdb1"), zone: "IRREVERSIBLE" },
  { name: "an unknown program", intent: command("python3 deploy.py"), zone: "COMMITMENT" },
  { name: "a script", intent: command("./deploy.sh --prod"), zone: "COMMITMENT" },
  { name: "sed (it may write)", intent: command("sed -i s/a/b/ f"), zone: "COMMITMENT" },
  {
    name: "a read program whose words are dynamic",
    intent: command("ls $DIR", { dynamic: true }),
    zone: "COMMITMENT",
  },
  {
    name: "an empty command",
    intent: intent("command", "exec", { command: "", argv: [], program: "" }),
    zone: "COMMITMENT",
  },
  { name: "find -name", intent: command("find . -name *.log"), zone: "SAFE" },
  { name: "find -newer (not -fls or -exec)", intent: command("find . -newer x"), zone: "SAFE" },
  { name: "sort -k2 (no output file)", intent: command("sort -k2 data.csv"), zone: "SAFE" },
  { name: "yq reading", intent: command("yq .replicas deploy.yaml"), zone: "SAFE" },
  { name: "jq reading", intent: command("jq -r .name package.json"), zone: "SAFE" },
  { name: "git -C DIR status", intent: command("git -C /work/p status"), zone: "SAFE" },
  {
    name: "git push -u (not forced)",
    intent: command("git push -u origin feature-d"),
    zone: "COMMITMENT",
  },
  {
    name: "git push --dry-run (not forced)",
    intent: command("git push --dry-run origin main"),
    zone: "COMMITMENT",
  },
  { name: "find -exec", intent: command("find . -exec touch {} +"), zone: "COMMITMENT" },
  { name: "find -fprint", intent: command("find . -fprint /tmp/out"), zone: "COMMITMENT" },
  // processes
  {
    name: "a process running ls",
    intent: intent("process", "exec", { command: "ls", argv: ["ls"] }),
    zone: "SAFE",
  },
  {
    name: "killing a process",
    intent: intent("process", "kill", { command: "sleep 100", pid: 42 }),
    zone: "COMMITMENT",
  },
  // kubernetes
  {
    name: "kubernetes get",
    intent: intent("kubernetes", "get", { resource: "pod/web" }),
    zone: "SAFE",
  },
  {
    name: "kubernetes logs",
    intent: intent("kubernetes", "logs", { resource: "pod/web" }),
    zone: "SAFE",
  },
  {
    name: "kubernetes exec-read",
    intent: intent("kubernetes", "exec-read", { resource: "pod/web" }),
    zone: "SAFE",
  },
  {
    name: "kubernetes get of a secret",
    intent: intent("kubernetes", "get", { resource: "secret/db" }),
    sensitive: true,
    zone: "SENSITIVE",
  },
  {
    name: "kubernetes apply",
    intent: intent("kubernetes", "apply", { resource: "deployment/web" }),
    zone: "COMMITMENT",
  },
  {
    name: "kubernetes delete",
    intent: intent("kubernetes", "delete", { resource: "pod/web" }),
    zone: "IRREVERSIBLE",
  },
  {
    name: "kubernetes drain",
    intent: intent("kubernetes", "drain", { resource: "node/n1" }),
    zone: "IRREVERSIBLE",
  },
  // ssh, instruction, permission
  {
    name: "an ssh read",
    intent: intent("ssh", "read", { host: "db1", path: "/etc/hosts" }),
    zone: "SAFE",
  },
  { name: "an ssh ps", intent: intent("ssh", "ps", { host: "db1" }), zone: "SAFE" },
  {
    name: "an ssh read of a sensitive file",
    intent: intent("ssh", "read", { host: "db1", path: "/etc/shadow" }),
    sensitive: true,
    zone: "SENSITIVE",
  },
  {
    name: "admitting an instruction",
    intent: intent("instruction", "admit", { text: "summarise the logs" }),
    zone: "SAFE",
  },
  {
    name: "a read permission",
    intent: intent("permission", "read", { value: "/work/p" }),
    zone: "SAFE",
  },
  {
    name: "a net permission",
    intent: intent("permission", "net", { value: "api.example" }),
    zone: "COMMITMENT",
  },
  {
    name: "a run permission",
    intent: intent("permission", "run", { value: "curl" }),
    zone: "COMMITMENT",
  },
];

for (const c of CASES) {
  const sensitive = c.sensitive ?? false;
  Deno.test(`classifyAction puts ${c.name}${sensitive ? " (sensitive)" : ""} in ${c.zone}`, () => {
    equal(classifyAction(c.intent, sensitive), c.zone);
  });
}

// Actions simple word lists miss (git's global options and bundled flags, read programs that
// write or delete): a session must not stay in an earlier zone than what the action does.
const DISGUISED: Case[] = [
  {
    name: "git --no-pager push --force",
    intent: command("git --no-pager push --force origin main"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "git --git-dir DIR push -f",
    intent: command("git --git-dir /work/p/.git push -f origin main"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "git push -d (delete, bundled)",
    intent: command("git push -vd origin feature"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "find -execdir",
    intent: command("find . -execdir touch {} ;"),
    zone: "COMMITMENT",
  },
  {
    name: "sort --output=FILE",
    intent: command("sort --output=/work/p/x /work/p/x"),
    zone: "COMMITMENT",
  },
  {
    // The environment holds tokens and keys.
    name: "printenv",
    intent: command("printenv"),
    zone: "SENSITIVE",
  },
  { name: "env", intent: command("env"), zone: "SENSITIVE" },
  {
    // Expiring the reflog destroys what makes `reset --hard` recoverable: not a read.
    name: "git reflog expire --expire=now --all",
    intent: command("git reflog expire --expire=now --all"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "git reflog delete",
    intent: command("git reflog delete HEAD@{1}"),
    zone: "IRREVERSIBLE",
  },
  {
    // -d with --force (or bundled -df) is -D: it deletes unmerged work.
    name: "git branch -df",
    intent: command("git branch -df feature"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "git branch -d --force",
    intent: command("git branch -d --force feature"),
    zone: "IRREVERSIBLE",
  },
  {
    // --prune deletes remote branches that have no local counterpart, as --delete does.
    name: "git push --prune",
    intent: command("git push --prune origin refs/heads/*:refs/heads/*"),
    zone: "IRREVERSIBLE",
  },
  {
    // Read programs that also write a file or change the system when given operands.
    name: "tree -o FILE",
    intent: command("tree -o /work/p/listing.txt"),
    zone: "COMMITMENT",
  },
  { name: "uniq IN OUT (writes OUT)", intent: command("uniq in.txt out.txt"), zone: "COMMITMENT" },
  { name: "ip link set DEV down", intent: command("ip link set eth0 down"), zone: "COMMITMENT" },
  { name: "ip route del default", intent: command("ip route del default"), zone: "COMMITMENT" },
  { name: "hostname NAME (sets it)", intent: command("hostname evil"), zone: "COMMITMENT" },
  { name: "date -s (sets the clock)", intent: command("date -s 2020-01-01"), zone: "COMMITMENT" },
  {
    // `-C DIR` (and `-c k=v`) take a value: the subcommand is the word after it, not DIR.
    name: "git -C DIR push --force",
    intent: command("git -C /work/p push --force origin main"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "git -C DIR reset --hard",
    intent: command("git -C /work/p reset --hard HEAD~3"),
    zone: "IRREVERSIBLE",
  },
  {
    name: "git -c KEY=VALUE push -f",
    intent: command("git -c core.askpass=true push -f origin main"),
    zone: "IRREVERSIBLE",
  },
  {
    // git bundles short options: -fu is -f -u.
    name: "git push -fu (bundled short options)",
    intent: command("git push -fu origin main"),
    zone: "IRREVERSIBLE",
  },
  {
    // find -delete deletes files as rm does (rm is IRREVERSIBLE; so is find -exec rm, whose
    // inner rm the shell guard classifies on its own), and no file part names what it deletes.
    name: "find -delete",
    intent: command("find /work/p -name *.log -delete"),
    zone: "IRREVERSIBLE",
  },
  {
    // Read programs that write a file named by an option: not a read.
    name: "find -fls FILE (writes FILE)",
    intent: command("find . -fls /tmp/listing"),
    zone: "COMMITMENT",
  },
  {
    name: "sort -o FILE (writes FILE)",
    intent: command("sort -o /work/p/data.csv /work/p/data.csv"),
    zone: "COMMITMENT",
  },
  {
    name: "yq -i (edits the file in place)",
    intent: command("yq -i .replicas=0 /work/p/deploy.yaml"),
    zone: "COMMITMENT",
  },
];

for (const c of DISGUISED) {
  Deno.test(`classifyAction puts ${c.name} in ${c.zone}, not in an earlier zone`, () => {
    equal(classifyAction(c.intent, c.sensitive ?? false), c.zone);
  });
}

Deno.test("classifyAction treats a sensitive target as never earlier, and never SAFE", () => {
  const value = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.integer()), { maxLength: 6 }),
  );
  const target = fc.record({
    url: fc.oneof(value, fc.webUrl()),
    path: value,
    program: fc.oneof(value, fc.constantFrom("git", "rm", "ls", "find", "sudo", "")),
    argv: fc.array(
      fc.oneof(
        fc.constantFrom("git", "push", "-f", "reset", "--hard", "-delete"),
        fc.string({ maxLength: 8 }),
      ),
      { maxLength: 6 },
    ),
    dynamic: fc.boolean(),
  }, { requiredKeys: [] }) as fc.Arbitrary<Target>;
  const operation = fc.oneof(
    fc.constantFrom("read", "get", "post", "delete", "chmod", "exec", "kill", "connect", "admit"),
    fc.string({ maxLength: 10 }),
  );
  fc.assert(
    fc.property(fc.constantFrom(...DOMAINS), operation, target, (domain, op, t) => {
      const plain = classifyAction(intent(domain, op, t), false);
      const sensitive = classifyAction(intent(domain, op, t), true);
      ok(isZone(plain) && isZone(sensitive));
      ok(zoneRank(sensitive) >= zoneRank(plain), `${domain} ${op}: ${sensitive} < ${plain}`);
      ok(sensitive !== "SAFE", `${domain} ${op} of a sensitive target is SAFE`);
    }),
    { numRuns: 500 },
  );
});

Deno.test("zoneRank orders SAFE < SENSITIVE < COMMITMENT < IRREVERSIBLE", () => {
  deepEqual(ZONES.map(zoneRank), [0, 1, 2, 3]);
  deepEqual([...ZONES], ["SAFE", "SENSITIVE", "COMMITMENT", "IRREVERSIBLE"]);
});

Deno.test("laterZone returns the later of two zones, in either order", () => {
  for (const a of ZONES) {
    for (const b of ZONES) {
      const later = laterZone(a, b);
      equal(later, zoneRank(a) >= zoneRank(b) ? a : b, `${a} ${b}`);
      equal(laterZone(b, a), later, `${b} ${a}`);
    }
    equal(laterZone(a, a), a);
  }
  equal(laterZone("SENSITIVE", "COMMITMENT"), "COMMITMENT");
  equal(laterZone("IRREVERSIBLE", "SAFE"), "IRREVERSIBLE");
});

Deno.test("isZone accepts the four zone names exactly and nothing else", () => {
  for (const zone of ZONES) equal(isZone(zone), true, zone);
  for (
    const other of [
      "safe",
      "Safe",
      " SAFE",
      "SAFE ",
      "",
      "UNKNOWN",
      "toString",
      "__proto__",
      "length",
      0,
      1,
      null,
      undefined,
      ["SAFE"],
      { zone: "SAFE" },
    ]
  ) {
    equal(isZone(other), false, JSON.stringify(other));
  }
});
