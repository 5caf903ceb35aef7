/**
 * scripts/release.ts: the archive layout install.sh expects, SHA256SUMS that `sha256sum -c`
 * accepts, the finished asset set, and the tag check of the release workflow.
 */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import {
  archiveName,
  finishRelease,
  packArchive,
  sha256File,
  SUMS_FILE,
  tagProblem,
  writeSums,
} from "../../scripts/release.ts";
import { TARGETS } from "../../scripts/compile.ts";
import { TOOLS } from "../../core/tools.ts";
import { VERSION } from "../../cli/version.ts";

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

Deno.test("packArchive() packs every tool (0755), the manual and VERSION under one folder", async () => {
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
    const files = lines.filter((line) => line.startsWith("-")).map((line) =>
      line.split(/\s+/).at(-1)
    )
      .sort();
    const top = "watchtower-aarch64-apple-darwin";
    deepEqual(
      files,
      [
        `${top}/VERSION`,
        ...TOOLS.map((tool) => `${top}/bin/${tool.name}`),
        `${top}/share/watchtower/watchtower.json`,
      ].sort(),
    );
    for (const line of lines.filter((l) => l.includes("/bin/") && l.startsWith("-"))) {
      match(line, /^-rwxr-xr-x/);
    }
    const unpacked = `${dir}/unpacked`;
    Deno.mkdirSync(unpacked);
    await new Deno.Command("tar", { args: ["-xzf", archive, "-C", unpacked] }).output();
    equal(Deno.readTextFileSync(`${unpacked}/${top}/VERSION`), `${VERSION}\n`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("packArchive() refuses a missing binary and a malformed version", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wt-release-test-" });
  try {
    const bin = fakeBinaries(`${dir}/dist`, ["wt"]);
    await rejects(
      packArchive({ target: "x86_64-unknown-linux-gnu", binDir: bin, outDir: `${dir}/out` }),
      /Cannot pack x86_64-unknown-linux-gnu: .*\/safe-rm is missing/,
    );
    await rejects(
      packArchive({ target: "x86_64-unknown-linux-gnu", binDir: bin, outDir: dir, version: "v1" }),
      /Cannot pack version 'v1'/,
    );
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
