import { deepEqual, equal, throws } from "node:assert/strict";
import {
  applyMode,
  baseName,
  changeFacts,
  literalPath,
  optionOrder,
  parseMode,
  place,
  readUmask,
  targetPath,
} from "../../shims/_fs.ts";

const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-fs-" }));
Deno.mkdirSync(`${dir}/real`);
Deno.symlinkSync("real", `${dir}/link`);

Deno.test("applyMode() computes what GNU chmod computes, for octal and symbolic modes", () => {
  const cases: Array<[string, number, boolean, number]> = [
    ["755", 0o600, false, 0o755],
    ["4755", 0, false, 0o4755],
    ["u+x", 0o644, false, 0o744],
    ["go-w", 0o666, false, 0o644],
    ["a=r", 0o777, false, 0o444],
    ["u+x,go-rwx", 0o664, false, 0o700],
    ["+w", 0o444, false, 0o644], // who-less clauses follow the umask (022 here)
    ["o=u", 0o750, false, 0o757],
    ["a+X", 0o644, true, 0o755], // X: directories get x
    ["a+X", 0o644, false, 0o644], // ... files only when some x is set
    ["+s", 0o755, false, 0o6755],
    ["o+t", 0o777, true, 0o1777],
    ["-x", 0o755, false, 0o644],
    ["755", 0o2755, true, 0o2755], // fewer than five digits keep a directory's setgid
    ["00755", 0o2755, true, 0o755],
  ];
  for (const [mode, base, isDir, expected] of cases) {
    equal(
      applyMode(parseMode(mode), base, { dir: isDir, umask: 0o022 }).toString(8),
      expected.toString(8),
      `${mode} on ${base.toString(8)}`,
    );
  }
});

Deno.test("applyMode() agrees with the real chmod on files and directories", async () => {
  const umask = readUmask();
  const modes = [
    "u+x",
    "go-w",
    "a=r",
    "+w",
    "o=u",
    "a+X",
    "+s",
    "g+s,o+t",
    "-x",
    "u=rwx,g=u,o=",
    "644",
  ];
  for (const isDir of [false, true]) {
    for (const base of [0o644, 0o2750, 0o777]) {
      for (const mode of modes) {
        const path = `${dir}/m-${isDir}`;
        if (isDir) Deno.mkdirSync(path);
        else Deno.writeTextFileSync(path, "");
        Deno.chmodSync(path, base);
        const out = await new Deno.Command("chmod", { args: ["--", mode, path] }).output();
        equal(out.code, 0, mode);
        const real = Deno.statSync(path).mode! & 0o7777;
        Deno.removeSync(path);
        equal(
          applyMode(parseMode(mode), base, { dir: isDir, umask }).toString(8),
          real.toString(8),
          `${mode} on ${isDir ? "a directory" : "a file"} of mode ${base.toString(8)}`,
        );
      }
    }
  }
});

Deno.test("parseMode() refuses what chmod refuses", () => {
  for (const bad of ["", "8", "17777", "u", "u+x,", "x+u", "u+q", ",u+x", "rwx", "u+x;rm"]) {
    throws(() => parseMode(bad), /invalid mode/, bad);
  }
});

Deno.test("changeFacts() flags an octal mode's bits and what a symbolic mode can add", () => {
  const facts = (mode: string) => {
    const f = changeFacts(parseMode(mode), 0o022);
    return [f.world_writable, f.setuid, f.setgid, f.sticky];
  };
  deepEqual(facts("777"), [true, false, false, false]);
  deepEqual(facts("4755"), [false, true, false, false]);
  deepEqual(facts("2775"), [false, false, true, false]);
  deepEqual(facts("1777"), [true, false, false, true]);
  deepEqual(facts("o+w"), [true, false, false, false]);
  deepEqual(facts("a=rwx"), [true, false, false, false]);
  deepEqual(facts("+s"), [false, true, true, false]);
  deepEqual(facts("u+s"), [false, true, false, false]);
  deepEqual(facts("g+s,o+t"), [false, false, true, true]);
  deepEqual(facts("o=u"), [true, false, false, false]); // copies u's w when u has it
  deepEqual(facts("u+x"), [false, false, false, false]);
  deepEqual(facts("go-w"), [false, false, false, false]);
  deepEqual(facts("+w"), [false, false, false, false]); // the umask keeps o from w
  deepEqual(facts("u-w,o=u"), [false, false, false, false]);
  equal(changeFacts(parseMode("+w"), 0).world_writable, true);
});

Deno.test("literalPath() resolves the directories and keeps the last component as written", () => {
  equal(literalPath("link", dir), `${dir}/link`);
  equal(literalPath("link/", dir), `${dir}/link/`);
  equal(literalPath("link/x", dir), `${dir}/real/x`);
  equal(literalPath("link/.", dir), `${dir}/real/.`);
  equal(literalPath("/", dir), "/");
  throws(() => literalPath("", dir), /empty path/);
  equal(baseName("a/b//"), "b");
});

Deno.test("targetPath() with parent follows a last component written as x/, x/. or x/..", () => {
  equal(targetPath("link", dir, "parent"), `${dir}/link`);
  equal(targetPath("link/", dir, "parent"), `${dir}/real`);
  equal(targetPath("link/.", dir, "parent"), `${dir}/real`);
  equal(targetPath("link", dir, "all"), `${dir}/real`);
});

Deno.test("place() reads operands as cp, mv and ln do", () => {
  const opts = { cwd: dir, targetDir: undefined, noTargetDir: false };
  deepEqual(place(["a", "link"], opts).destination, { kind: "directory", dir: `${dir}/real` });
  deepEqual(place(["a", "new"], opts).destination, { kind: "path", operand: "new" });
  deepEqual(place(["a", "b", "c"], opts).destination, { kind: "directory", dir: `${dir}/c` });
  deepEqual(place(["a", "link"], { ...opts, noTargetDir: true }).destination, {
    kind: "path",
    operand: "link",
  });
  deepEqual(place(["a", "b"], { ...opts, targetDir: "link" }).sources, ["a", "b"]);
  throws(() => place(["a"], opts), /missing destination/);
  throws(() => place(["a", "b", "c"], { ...opts, noTargetDir: true }), /extra operand/);
  throws(() => place(["a", "b"], { ...opts, targetDir: "x", noTargetDir: true }), /combine/);
  deepEqual(place(["a"], { ...opts, allowSingle: true }).destination, {
    kind: "directory",
    dir,
  });
});

Deno.test("optionOrder() lists options in the order given, skipping option values", () => {
  const spec = {
    short: { f: { name: "force" }, n: { name: "no-clobber" }, t: { name: "dir", value: true } },
    long: { force: { name: "force" }, dir: { name: "dir", value: true } },
  };
  deepEqual(optionOrder(["-fn", "-t", "-f", "--force", "--dir", "x", "--", "-n"], spec), [
    "force",
    "no-clobber",
    "dir",
    "force",
    "dir",
  ]);
});
