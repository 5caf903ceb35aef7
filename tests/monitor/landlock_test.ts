/**
 * The write fence's grants: everything but the protected directories, their ancestors split
 * into their other children, links never followed, /dev's device files granted one by one.
 */
import { equal, ok } from "node:assert/strict";
import { ACCESS, fenceGrants, handledRights, PROTECTED } from "../../monitor/landlock.ts";

// dev and proc are "other": Deno will not stat them without --allow-all.
const ROOT: Array<[string, "dir" | "file" | "link" | "other"]> = [
  ["etc", "dir"],
  ["usr", "dir"],
  ["var", "dir"],
  ["home", "dir"],
  ["lib", "link"],
  ["tmp", "dir"],
  ["notes", "file"],
  ["dev", "other"],
  ["proc", "other"],
];
const TREE: Record<string, Array<[string, "dir" | "file" | "link" | "other"]>> = {
  "/": ROOT,
  "/var": [["lib", "dir"], ["spool", "dir"], ["log", "dir"], ["tmp", "dir"]],
};
const reader = {
  list: (dir: string) => (TREE[dir] ?? []).map(([name]) => name),
  kind: (path: string) => {
    const slash = path.lastIndexOf("/");
    const dir = slash === 0 ? "/" : path.slice(0, slash);
    return TREE[dir]?.find(([name]) => name === path.slice(slash + 1))?.[1] ?? "other";
  },
};

Deno.test("the fence grants everything but the protected trees, splitting their ancestors", () => {
  const grants = fenceGrants(PROTECTED, reader);
  const paths = grants.map((g) => g.path);
  for (const blocked of ["/etc", "/usr", "/var", "/var/lib", "/var/spool", "/lib", "/"]) {
    ok(!paths.includes(blocked), blocked);
  }
  for (
    const open of ["/home", "/tmp", "/var/log", "/var/tmp", "/notes", "/dev", "/dev/null", "/proc"]
  ) {
    ok(paths.includes(open), open);
  }
  equal(grants.find((g) => g.path === "/notes")?.directory, false);
});

Deno.test("the rights handled grow with the Landlock ABI; files get file rights only", () => {
  const v1 = handledRights(1);
  const v3 = handledRights(3);
  equal(v1.file, ACCESS.WRITE_FILE);
  equal(v3.file, ACCESS.WRITE_FILE | ACCESS.TRUNCATE);
  ok((v3.dir & ACCESS.REFER) !== 0);
  ok((v1.dir & ACCESS.REFER) === 0);
  ok((v3.dir & ACCESS.READ_FILE) === 0, "reads are never fenced");
});
