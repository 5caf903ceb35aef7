/**
 * scripts/release.ts: the archive layouts install.sh expects (the runtime archive the release
 * workflow packs, and compiled binaries), the permission sets it ships, SHA256SUMS that
 * `sha256sum -c` accepts, the finished asset set, and the tag check of the release workflow.
 */
import { deepEqual, equal, match, ok, rejects, throws } from "node:assert/strict";
import {
  archiveName,
  finishRelease,
  packArchive,
  PLACEHOLDERS,
  releaseConfig,
  sha256File,
  SUMS_FILE,
  tagProblem,
  writeSums,
} from "../../scripts/release.ts";
import { launcher } from "../../scripts/install.ts";
import { TARGETS } from "../../scripts/compile.ts";
import { TOOLS } from "../../core/tools.ts";
import { VERSION } from "../../cli/version.ts";

const REPO = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(/\/$/, "");

function fakeBinaries(dir: string, names = TOOLS.map((tool) => tool.name)): string {
  Deno.mkdirSync(dir, { recursive: true });
  for (const name of names) {
    Deno.writeTextFileSync(`${dir}/${name}`, `#!/bin/sh\necho ${name}\n`, { mode: 0o600 });
  }
  return dir;
}

async function listArchive(path: string): Promise<string[]> {
  const tar = await new Deno.Command("tar", { args: ["-tvzf", path], stdout: "piped" }).output();
  equal(tar.code, 0);
  return new TextDecoder().decode(tar.stdout).trim().split("\n");
}

/** The regular files of an archive listing (`tar -tv`), by path, with their mode column. */
function files(lines: string[]): Map<string, string> {
  return new Map(
    lines.filter((line) => line.startsWith("-")).map((line) => {
      const fields = line.split(/\s+/);
      return [fields.at(-1)!, fields[0]!];
    }),
  );
}

async function unpack(archive: string, dir: string): Promise<void> {
  Deno.mkdirSync(dir, { recursive: true });
  const tar = await new Deno.Command("tar", { args: ["-xzf", archive, "-C", dir] }).output();
  equal(tar.code, 0);
}

Deno.test("archiveName() names one archive per compile target, without a version", () => {
  deepEqual(
    TARGETS.map(archiveName),
    [
      "watchtower-x86_64-unknown-linux-gnu.tar.gz",
      "watchtower-aarch64-unknown-linux-gnu.tar.gz",
      "watchtower-x86_64-apple-darwin.tar.gz",
      "watchtower-aarch64-apple-darwin.tar.gz",
    ],
  );
});

Deno.test(
  "packArchive() with a runtime packs it once, the bundles, the permission sets and a launcher template per tool",
  async () => {
    const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-release-test-" }));
    try {
      // A stand-in for Deno's binary: a script that runs this Deno.
      const runtime = `${dir}/deno-runtime`;
      Deno.writeTextFileSync(runtime, `#!/bin/sh\nexec '${Deno.execPath()}' "$@"\n`);
      const archive = await packArchive({
        target: "aarch64-apple-darwin",
        runtime,
        outDir: `${dir}/out`,
        version: "1.2.3",
      });
      equal(archive, `${dir}/out/watchtower-aarch64-apple-darwin.tar.gz`);
      const top = "watchtower-aarch64-apple-darwin";
      const listed = files(await listArchive(archive));
      const expected = [
        "VERSION",
        ...TOOLS.map((tool) => `bin/${tool.name}`),
        "lib/watchtower/deno",
        "lib/watchtower/deno.json",
        "lib/watchtower/js/launchers.json",
        ...TOOLS.map((tool) => `lib/watchtower/js/${tool.entry.replace(/\.ts$/, ".js")}`),
        "lib/watchtower/js/proxy/ledger_worker.js",
        "lib/watchtower/profiles/coding-agent.yaml",
        "lib/watchtower/js/profiles/coding-agent.yaml",
        "share/watchtower/watchtower.json",
      ];
      for (const path of expected) ok(listed.has(`${top}/${path}`), path);
      for (const path of ["lib/watchtower/deno", ...TOOLS.map((tool) => `bin/${tool.name}`)]) {
        match(listed.get(`${top}/${path}`)!, /^-rwxr-xr-x/, path);
      }

      await unpack(archive, `${dir}/unpacked`);
      const root = `${dir}/unpacked/${top}`;
      const lib = `${root}/lib/watchtower`;
      equal(Deno.readTextFileSync(`${root}/VERSION`), "1.2.3\n");
      equal(Deno.readTextFileSync(`${lib}/deno`), Deno.readTextFileSync(runtime));
      const config = JSON.parse(Deno.readTextFileSync(`${REPO}/deno.json`));
      deepEqual(JSON.parse(Deno.readTextFileSync(`${lib}/deno.json`)), {
        permissions: config.permissions,
        lock: false,
      });
      deepEqual(JSON.parse(Deno.readTextFileSync(`${lib}/js/launchers.json`)), {
        bin: PLACEHOLDERS.bin,
      });
      // Every template is the launcher `deno task install` writes, with placeholders for what
      // install.sh knows on the user's machine, and nothing of the machine that packed it.
      for (const tool of TOOLS) {
        const template = Deno.readTextFileSync(`${root}/bin/${tool.name}`);
        const expected = launcher(tool, {
          deno: `${PLACEHOLDERS.lib}/deno`,
          config: `${PLACEHOLDERS.lib}/deno.json`,
          stateDir: PLACEHOLDERS.stateDir,
          path: PLACEHOLDERS.path,
        }, `${PLACEHOLDERS.lib}/js/${tool.entry.replace(/\.ts$/, ".js")}`);
        equal(
          template,
          expected.replace("written by `deno task install`", "written by install.sh"),
        );
        ok(!template.includes(dir) && !template.includes(REPO), tool.name);
      }
      // The npm packages are bundled in: no import the runtime would have to download.
      const imports: string[] = [];
      const walk = (path: string) => {
        for (const entry of Deno.readDirSync(path)) {
          if (entry.isDirectory) walk(`${path}/${entry.name}`);
          else if (entry.name.endsWith(".js")) {
            const text = Deno.readTextFileSync(`${path}/${entry.name}`);
            imports.push(
              ...text.match(/(from\s*|import\s*\(?\s*)["'](npm|jsr|https?):[^"']*/g) ?? [],
            );
          }
        }
      };
      walk(`${lib}/js`);
      deepEqual(imports, []);
      // Filled in, the runtime runs the bundled `wt` with an empty module cache.
      const wt = await new Deno.Command("/bin/sh", {
        args: [
          `${lib}/deno`,
          "run",
          "-q",
          "--no-prompt",
          "--config",
          `${lib}/deno.json`,
          "-P=wt",
          `file://${lib}/js/cli/main.js`,
          "version",
        ],
        clearEnv: true,
        env: { HOME: dir, PATH: "/usr/bin:/bin", DENO_DIR: `${dir}/empty-deno-dir` },
        stdout: "piped",
        stderr: "piped",
      }).output();
      equal(wt.code, 0, new TextDecoder().decode(wt.stderr));
      match(new TextDecoder().decode(wt.stdout), /^wt 0\./);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
);

Deno.test("packArchive() with binDir packs every compiled tool (0755), the manual and VERSION", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-release-test-" });
  try {
    const bin = fakeBinaries(`${dir}/dist`);
    const archive = await packArchive({
      target: "aarch64-apple-darwin",
      binDir: bin,
      outDir: `${dir}/out`,
    });
    equal(archive, `${dir}/out/watchtower-aarch64-apple-darwin.tar.gz`);
    const lines = await listArchive(archive);
    const top = "watchtower-aarch64-apple-darwin";
    deepEqual(
      [...files(lines).keys()].sort(),
      [
        `${top}/VERSION`,
        ...TOOLS.map((tool) => `${top}/bin/${tool.name}`),
        `${top}/share/watchtower/watchtower.json`,
      ].sort(),
    );
    for (const line of lines.filter((l) => l.includes("/bin/") && l.startsWith("-"))) {
      match(line, /^-rwxr-xr-x/);
    }
    await unpack(archive, `${dir}/unpacked`);
    equal(Deno.readTextFileSync(`${dir}/unpacked/${top}/VERSION`), `${VERSION}\n`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("packArchive() refuses a missing binary or runtime, both or neither, a bad version", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-release-test-" });
  const target = "x86_64-unknown-linux-gnu";
  try {
    const bin = fakeBinaries(`${dir}/dist`, ["wt"]);
    for (
      const [options, expected] of [
        [{ binDir: bin }, /Cannot pack x86_64-unknown-linux-gnu: .*\/safe-rm is missing/],
        [
          { runtime: `${dir}/no-deno` },
          /Cannot pack x86_64-unknown-linux-gnu: cannot copy the runtime/,
        ],
        [
          { runtime: `${dir}/no-deno`, binDir: bin },
          /give either a runtime or a folder of binaries/,
        ],
        [{}, /give either a runtime or a folder of binaries/],
        [{ binDir: bin, version: "v1" }, /Cannot pack version 'v1'/],
      ] as const
    ) {
      await rejects(packArchive({ target, outDir: `${dir}/out`, ...options }), expected);
    }
    deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["dist"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("releaseConfig() ships the permission sets alone, and refuses relative paths", () => {
  const config = JSON.parse(Deno.readTextFileSync(`${REPO}/deno.json`));
  deepEqual(releaseConfig(config), { permissions: config.permissions, lock: false });
  const accepted = {
    read: true,
    write: { allow: ["/srv/out"], deny: ["/srv/out/secret"] },
    run: ["rm", "/usr/bin/ps"],
    ffi: ["/lib64/libc.so.6"],
    net: ["127.0.0.1:8080"],
    env: ["HOME"],
  };
  deepEqual(releaseConfig({ permissions: { a: accepted } }).permissions, { a: accepted });
  for (
    const [set, path] of [
      [{ read: ["./data"] }, "./data"],
      [{ write: { allow: ["/ok"], deny: ["out/secret"] } }, "out/secret"],
      [{ run: ["./bin/tool"] }, "./bin/tool"],
      [{ ffi: ["libc.so.6"] }, "libc.so.6"],
    ] as const
  ) {
    throws(
      () => releaseConfig({ permissions: { "safe-x": set } }),
      new RegExp(`set 'safe-x' gives \\w+ the relative path '${path.replaceAll(".", "\\.")}'`),
    );
  }
  throws(() => releaseConfig({}), /no 'permissions' object/);
});

Deno.test("release.ts pack --runtime, with the release workflow's permissions, prints the archive", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-release-test-" });
  try {
    Deno.writeTextFileSync(`${dir}/deno`, "#!/bin/sh\n");
    const pack = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-run",
          `${REPO}/scripts/release.ts`,
          "pack",
          ...args,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const target = "x86_64-unknown-linux-gnu";
    const packed = await pack(["--target", target, "--runtime", `${dir}/deno`, "--out", dir]);
    equal(packed.code, 0, new TextDecoder().decode(packed.stderr));
    equal(new TextDecoder().decode(packed.stdout), `${dir}/${archiveName(target)}\n`);
    const both = await pack(["--target", target, "--runtime", "x", "--bin", "y"]);
    equal(both.code, 64);
    match(new TextDecoder().decode(both.stderr), /--runtime DENO \| \[--bin DIR\]/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("writeSums() writes what sha256sum -c checks, for every asset but itself", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-release-test-" });
  try {
    Deno.writeTextFileSync(`${dir}/b.txt`, "abc");
    Deno.writeTextFileSync(`${dir}/a.txt`, "");
    const text = writeSums(dir);
    equal(
      text,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a.txt\n" +
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  b.txt\n",
    );
    equal(writeSums(dir), text, "SHA256SUMS does not list itself");
    const check = await new Deno.Command("sha256sum", {
      args: ["--check", "--strict", SUMS_FILE],
      cwd: dir,
      stdout: "null",
      stderr: "null",
    }).output().catch(() => undefined);
    // macOS has shasum instead of sha256sum: the expected text above is the contract there.
    if (check) equal(check.code, 0);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("finishRelease() adds the UTCP manual and install.sh and sums them all", () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-release-test-" });
  try {
    Deno.writeTextFileSync(`${dir}/watchtower-x86_64-unknown-linux-gnu.tar.gz`, "archive");
    const text = finishRelease(dir);
    const names = text.trim().split("\n").map((line) => line.split("  ")[1]);
    deepEqual(names, [
      "install.sh",
      "watchtower-x86_64-unknown-linux-gnu.tar.gz",
      "watchtower.json",
    ]);
    const repo = new URL("../../", import.meta.url).pathname;
    equal(sha256File(`${dir}/watchtower.json`), sha256File(`${repo}watchtower.json`));
    equal(sha256File(`${dir}/install.sh`), sha256File(`${repo}install.sh`));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("tagProblem() accepts only v + this version", () => {
  equal(tagProblem(`v${VERSION}`), undefined);
  for (const tag of [VERSION, `v${VERSION}-rc1`, "v0.0.0", ""]) {
    const problem = tagProblem(tag);
    ok(problem, tag);
    match(problem, new RegExp(`expected v${VERSION.replaceAll(".", "\\.")}`));
  }
});
