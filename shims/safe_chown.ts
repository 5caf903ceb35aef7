/**
 * `safe-chown`: chown, decided per file on the path whose owner it changes, with a change to
 * root flagged in the target. Refuses, whatever the policy, to change `/`, a top-level directory
 * recursively, and `--no-preserve-root`.
 * @module
 */
import type { WatchtowerEnvironment } from "../core/config.ts";
import type { PlannedIntent, ShimPlan } from "../core/shim/runner.ts";
import { has, last, parseCommand, usage } from "./_args.ts";
import { main, type ShimSpec } from "./_entry.ts";
import { flagRisk, isTopLevel, literalPath, rejectNul, targetPath, withSlash } from "./_fs.ts";

const USAGE = `safe-chown — chown, checked by Watchtower

Usage: safe-chown [OPTION]... [OWNER][:[GROUP]] FILE...
       safe-chown [OPTION]... --reference=RFILE FILE...

Options: -R, --recursive  -h, --no-dereference  -v, --verbose  -c, --changes
         -f, --silent, --quiet
         --reference=RFILE   use RFILE's owner and group (decided as a read of RFILE)
         --preserve-root     (passed on; / is refused anyway)

Each FILE is decided (operation chown) on the path chown will change: every symlink followed,
except with -h or -R, where chown changes a symlink operand itself (its directory's symlinks and
.. resolved). It is passed to chown as that absolute path after --. The target carries owner,
group (null when unchanged), recursive and to_root: true when the new owner or group is root
(by name, as 0, or as any account or group whose id is 0 in /etc/passwd or /etc/group). A change
to root also declares the target restricted, which raises the decision's risk score for the
policy to act on; it is not denied by this alone.
Never changed, whatever the policy: /, and a top-level directory such as /etc recursively;
--no-preserve-root is refused.
Exit: chown's code; 77 denied, 75 approval required, 64 bad usage, 69 chown is not installed.`;

const SPEC = {
  short: {
    R: { name: "recursive" },
    h: { name: "no-dereference" },
    v: { name: "verbose" },
    c: { name: "changes" },
    f: { name: "silent" },
  },
  long: {
    recursive: { name: "recursive" },
    "no-dereference": { name: "no-dereference" },
    verbose: { name: "verbose" },
    changes: { name: "changes" },
    silent: { name: "silent" },
    quiet: { name: "silent" },
    reference: { name: "reference", value: true },
    "preserve-root": { name: "preserve-root" },
    "no-preserve-root": { name: "no-preserve-root" },
  },
};

/** The ids in an /etc/passwd- or /etc/group-style file, by name (empty when unreadable). */
function readIds(file: string, column: number): Map<string, number> {
  const ids = new Map<string, number>();
  try {
    for (const line of Deno.readTextFileSync(file).split("\n")) {
      const fields = line.split(":");
      const id = Number(fields[column]);
      if (fields[0] && Number.isInteger(id)) ids.set(fields[0], id);
    }
  } catch {
    // No such file (or not readable): only literal root and 0 are recognised.
  }
  return ids;
}

/** An owner or group spec and what it names. */
export interface OwnerSpec {
  owner: string | null;
  group: string | null;
  to_root: boolean;
}

/**
 * Reads OWNER[:GROUP] as chown does (`OWNER:` means OWNER's login group, named in `group`;
 * `OWNER.GROUP` when no user has the whole name) and tells whether the new owner or group is
 * root.
 */
export function parseOwner(spec: string): OwnerSpec {
  let passwd: Map<string, number> | undefined;
  const users = () => passwd ??= readIds("/etc/passwd", 2);
  let owner: string | null;
  let group: string | null;
  const colon = spec.indexOf(":");
  const dot = spec.indexOf(".");
  if (colon >= 0) {
    owner = spec.slice(0, colon) || null;
    group = spec.slice(colon + 1) || null;
  } else if (dot > 0 && !users().has(spec)) {
    owner = spec.slice(0, dot) || null;
    group = spec.slice(dot + 1) || null;
  } else {
    owner = spec || null;
    group = null;
  }
  const idOf = (name: string, names: Map<string, number>): number | undefined => {
    const numeric = /^\+?\d+$/.test(name) ? Number(name.replace(/^\+/, "")) : undefined;
    if (name.startsWith("+")) return numeric;
    return names.get(name) ?? numeric;
  };
  let uid: number | undefined;
  if (owner !== null) uid = owner === "root" ? 0 : idOf(owner, users());
  let gid: number | undefined;
  if (group !== null) {
    gid = group === "root" ? 0 : idOf(group, readIds("/etc/group", 2));
  } else if (colon >= 0 && owner !== null) {
    // OWNER: with an empty group is the owner's login group: name it in the target.
    gid = owner === "root" ? 0 : readIds("/etc/passwd", 3).get(owner);
    if (gid !== undefined) {
      const byId = [...readIds("/etc/group", 2)].find(([, id]) => id === gid);
      group = byId?.[0] ?? String(gid);
    }
  }
  return { owner, group, to_root: uid === 0 || gid === 0 };
}

/** Works out what `safe-chown ARGS` will do. */
export function planChown(argv: readonly string[], env: WatchtowerEnvironment): ShimPlan {
  rejectNul(argv);
  const parsed = parseCommand(argv, SPEC);
  const operands = [...parsed.operands];
  const referenceOperand = last(parsed, "reference");
  let spec: string | undefined;
  let who: OwnerSpec;
  let reference: string | undefined;
  if (referenceOperand !== undefined) {
    reference = targetPath(referenceOperand, env.cwd, "all");
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(reference);
    } catch {
      throw usage(`failed to get attributes of '${referenceOperand}'`);
    }
    who = {
      owner: String(info.uid),
      group: String(info.gid),
      to_root: info.uid === 0 || info.gid === 0,
    };
  } else {
    spec = operands.shift();
    if (spec === undefined) throw usage("missing operand");
    who = parseOwner(spec);
  }
  if (operands.length === 0) throw usage(`missing operand after '${spec ?? referenceOperand}'`);
  const recursive = has(parsed, "recursive");
  // chown -h, and chown -R (whose default is -P), change a symlink operand itself.
  const follow = recursive || has(parsed, "no-dereference") ? "parent" : "all";
  const paths = operands.map((operand) => targetPath(operand, env.cwd, follow));
  let refusal: string | undefined;
  if (has(parsed, "no-preserve-root")) refusal = "--no-preserve-root is never allowed";
  for (const path of paths) {
    if (path === "/" || (recursive && isTopLevel(path))) {
      refusal ??= `changing the owner of ${path}${
        recursive ? " recursively" : ""
      } is never allowed`;
    }
  }
  const intents: PlannedIntent[] = paths.map((path) => ({
    domain: "filesystem",
    operation: "chown",
    target: flagRisk({
      path,
      owner: who.owner,
      group: who.group,
      to_root: who.to_root,
      recursive,
      ...(reference !== undefined ? { reference } : {}),
    }, who.to_root),
  }));
  if (reference !== undefined) {
    intents.unshift({ domain: "filesystem", operation: "read", target: { path: reference } });
  }
  const programPath = (operand: string, i: number) =>
    follow === "all" ? withSlash(operand, paths[i]!) : literalPath(operand, env.cwd);
  return {
    tool: "safe-chown",
    program: "chown",
    args: [
      ...(recursive ? ["-R"] : []),
      ...(has(parsed, "no-dereference") ? ["-h"] : []),
      ...(has(parsed, "verbose") ? ["-v"] : []),
      ...(has(parsed, "changes") ? ["-c"] : []),
      ...(has(parsed, "silent") ? ["-f"] : []),
      ...(has(parsed, "preserve-root") ? ["--preserve-root"] : []),
      ...(reference !== undefined ? [`--reference=${reference}`, "--"] : ["--", spec!]),
      ...operands.map(programPath),
    ],
    intents,
    ...(refusal !== undefined ? { refusal } : {}),
  };
}

/** The safe-chown command. */
export const SAFE_CHOWN: ShimSpec = {
  name: "safe-chown",
  program: "chown",
  usage: USAGE,
  plan: planChown,
};

if (import.meta.main) await main(SAFE_CHOWN);
