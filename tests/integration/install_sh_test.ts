/**
 * install.sh as users run it, against release-shaped archives served from a loopback HTTP server:
 * the archives are packed by scripts/release.ts from the launchers `deno task install` writes (the
 * Deno runtime `deno compile` needs cannot be downloaded here), one per version, with their
 * SHA256SUMS. Clean install, upgrade, uninstall, and every refusal (checksum mismatch, a download
 * cut short, a `wt` that does not run, unknown platforms, no curl or wget, an unwritable prefix)
 * leaving the prefix exactly as it was and no temporary files behind.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { archiveName, packArchive, sha256File, writeSums } from "../../scripts/release.ts";
import { TARGETS } from "../../scripts/compile.ts";
import { TOOLS } from "../../core/tools.ts";
import { denoDir, REPO, type RunResult } from "./_wt.ts";

const INSTALL_SH = `${REPO}/install.sh`;
const TARGET = Deno.build.target;
const ARCHIVE = archiveName(TARGET);
const TOOL_NAMES = TOOLS.map((tool) => tool.name);

/** The directories of the PATH this test runs with. */
const HOST_PATH = (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":").filter(Boolean);

function which(name: string): string | undefined {
  for (const dir of HOST_PATH) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** What install.sh uses, apart from the downloaders. */
const BASICS = [
  "sh",
  "uname",
  "tar",
  "gzip",
  "mktemp",
  "mkdir",
  "rm",
  "rmdir",
  "mv",
  "cp",
  "chmod",
  "awk",
  "sed",
  "grep",
  "sort",
  "head",
  "tr",
  "id",
  "dirname",
  "cat",
  "sha256sum",
  "shasum",
  "openssl",
];

/** A directory of links to `names` (those this machine has): a PATH with only those programs. */
function toolbox(dir: string, names: readonly string[]): string {
  Deno.mkdirSync(dir, { recursive: true });
  for (const name of names) {
    const path = which(name);
    if (path) Deno.symlinkSync(path, `${dir}/${name}`);
  }
  return dir;
}

/** A `uname` that says what FAKE_OS and FAKE_ARCH say. */
function fakeUname(dir: string): string {
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(
    `${dir}/uname`,
    '#!/bin/sh\ncase "$1" in -s) echo "$FAKE_OS" ;; -m) echo "$FAKE_ARCH" ;; *) echo "$FAKE_OS" ;; esac\n',
    { mode: 0o755 },
  );
  return dir;
}

interface Installer {
  home: string;
  tmpdir: string;
  /** The base URL install.sh downloads from (WATCHTOWER_DOWNLOAD_URL). */
  url: string;
}

/** Runs install.sh with a clean environment: a home of its own and TMPDIR to check it leaves nothing. */
async function installSh(
  box: Installer,
  args: string[],
  options: { path?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const output = await new Deno.Command("/bin/sh", {
    args: [INSTALL_SH, ...args],
    clearEnv: true,
    env: {
      HOME: box.home,
      TMPDIR: box.tmpdir,
      PATH: options.path ?? HOST_PATH.join(":"),
      WATCHTOWER_DOWNLOAD_URL: box.url,
      NO_COLOR: "1",
      ...denoDir(),
      ...options.env,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Every file under `dir` (relative path → SHA-256), to prove a failure changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (path: string, rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(path)];
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = `${path}/${entry.name}`;
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory) walk(child, name);
      else files[name] = entry.isFile ? sha256File(child) : "(not a file)";
    }
  };
  walk(dir, "");
  return files;
}

/** Nothing left in TMPDIR and no staged copy beside the installed files. */
function assertNoLeftovers(box: Installer, prefix: string): void {
  deepEqual([...Deno.readDirSync(box.tmpdir)].map((entry) => entry.name), []);
  const staged = Object.keys(snapshot(prefix)).filter((path) => path.includes(".wt-new-"));
  deepEqual(staged, []);
}

function freshBox(url = "http://127.0.0.1:9"): Installer & { root: string } {
  const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "wt-install-sh-" }));
  Deno.mkdirSync(`${root}/home`);
  Deno.mkdirSync(`${root}/tmp`);
  return { root, home: `${root}/home`, tmpdir: `${root}/tmp`, url };
}

Deno.test("install.sh passes shellcheck (the Debian package; .ci/run installs it)", async () => {
  const shellcheck = which("shellcheck");
  ok(shellcheck, "shellcheck is not installed: apt-get install shellcheck (.ci/run installs it)");
  const result = await new Deno.Command(shellcheck, {
    args: ["--shell=sh", INSTALL_SH],
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(result.code, 0, new TextDecoder().decode(result.stdout));
});

Deno.test("install.sh --help and bad options: usage text, or exit 64 with the reason", async () => {
  const box = freshBox();
  try {
    const help = await installSh(box, ["--help"]);
    equal(help.code, 0);
    match(
      help.stdout,
      /--prefix DIR[\s\S]*--version V[\s\S]*--uninstall[\s\S]*WATCHTOWER_DOWNLOAD_URL/,
    );
    const unknown = await installSh(box, ["--frobnicate"]);
    equal(unknown.code, 64);
    match(unknown.stderr, /unknown option '--frobnicate'/);
    const version = await installSh(box, ["--version", "latest; rm -rf /"]);
    equal(version.code, 64);
    match(version.stderr, /--version takes a release version such as 0\.2\.0/);
  } finally {
    Deno.removeSync(box.root, { recursive: true });
  }
});

Deno.test("install.sh explains the BSD path and refuses unknown platforms (exit 69)", async () => {
  const box = freshBox();
  const path = `${fakeUname(`${box.root}/fake`)}:${HOST_PATH.join(":")}`;
  try {
    for (const os of ["FreeBSD", "OpenBSD", "NetBSD"]) {
      const result = await installSh(box, ["--prefix", `${box.root}/prefix`], {
        path,
        env: { FAKE_OS: os, FAKE_ARCH: "amd64" },
      });
      equal(result.code, 69, os);
      match(result.stderr, new RegExp(`no prebuilt Watchtower binaries for ${os}`));
      match(result.stderr, /Deno from the system's packages/);
      match(result.stderr, /deno task install/);
      match(result.stderr, /wt init/);
    }
    for (
      const [os, arch, expected] of [
        ["Linux", "riscv64", /no Watchtower release for Linux on 'riscv64'/],
        ["Darwin", "ppc", /no Watchtower release for Darwin on 'ppc'/],
        ["SunOS", "i86pc", /no Watchtower release for this system \('SunOS' on 'i86pc'\)/],
      ] as const
    ) {
      const result = await installSh(box, ["--prefix", `${box.root}/prefix`], {
        path,
        env: { FAKE_OS: os, FAKE_ARCH: arch },
      });
      equal(result.code, 69, `${os} ${arch}`);
      match(result.stderr, expected);
    }
    deepEqual(snapshot(`${box.root}/prefix`), {});
    assertNoLeftovers(box, `${box.root}/prefix`);
  } finally {
    Deno.removeSync(box.root, { recursive: true });
  }
});

Deno.test("install.sh without curl or wget says so and installs nothing (exit 69)", async () => {
  const box = freshBox();
  try {
    const path = toolbox(`${box.root}/toolbox`, BASICS);
    const result = await installSh(box, ["--prefix", `${box.root}/prefix`], { path });
    equal(result.code, 69, result.stderr);
    match(result.stderr, /neither curl nor wget is installed/);
    deepEqual(snapshot(`${box.root}/prefix`), {});
    assertNoLeftovers(box, `${box.root}/prefix`);
  } finally {
    Deno.removeSync(box.root, { recursive: true });
  }
});

Deno.test("install.sh refuses a prefix it cannot write before downloading (exit 73)", async () => {
  const box = freshBox();
  try {
    // Under a regular file: nothing can be created there, even by root.
    Deno.writeTextFileSync(`${box.root}/file`, "not a directory\n");
    const result = await installSh(box, ["--prefix", `${box.root}/file/prefix`]);
    equal(result.code, 73, result.stderr);
    match(result.stderr, /cannot install into .*\/file\/prefix: .*\/file is not a directory/);
    equal(Deno.readTextFileSync(`${box.root}/file`), "not a directory\n");
    // A directory without write permission (root writes anywhere: then only the case above).
    if (Deno.uid() !== 0) {
      Deno.mkdirSync(`${box.root}/locked`, { mode: 0o555 });
      Deno.chmodSync(`${box.root}/locked`, 0o555);
      const locked = await installSh(box, ["--prefix", `${box.root}/locked`]);
      equal(locked.code, 73, locked.stderr);
      match(locked.stderr, /is not writable by .*--sudo/);
      deepEqual(snapshot(`${box.root}/locked`), {});
      Deno.chmodSync(`${box.root}/locked`, 0o755);
    }
    assertNoLeftovers(box, `${box.root}/prefix`);
  } finally {
    Deno.removeSync(box.root, { recursive: true });
  }
});

Deno.test({
  name: "install.sh against a local release: install, upgrade, refusals, uninstall",
  ignore: !TARGETS.includes(TARGET),
  fn: async (t) => {
    const box = freshBox();
    const serveRoot = `${box.root}/releases`;
    // The project's own launchers, as `deno task install` writes them (they run this checkout).
    const install = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-run",
        "--allow-env=HOME,PATH,WATCHTOWER_DIR",
        `${REPO}/scripts/install.ts`,
        "--root",
        `${box.root}/launchers`,
      ],
      clearEnv: true,
      env: { HOME: box.home, PATH: HOST_PATH.join(":"), ...denoDir() },
      stdout: "null",
      stderr: "piped",
    }).output();
    equal(install.code, 0, new TextDecoder().decode(install.stderr));
    const bin = `${box.root}/launchers/bin`;
    // 0.1.0 has a program and a manual the later versions do not.
    const oldBin = `${box.root}/old-bin`;
    Deno.mkdirSync(oldBin);
    for (const name of TOOL_NAMES) Deno.copyFileSync(`${bin}/${name}`, `${oldBin}/${name}`);
    Deno.writeTextFileSync(`${oldBin}/wt-legacy`, "#!/bin/sh\necho legacy\n", { mode: 0o755 });
    const oldManual = `${box.root}/old-manual.json`;
    Deno.writeTextFileSync(oldManual, '{"utcp_version": "old"}\n');
    // A release whose wt cannot run on this machine.
    const brokenBin = `${box.root}/broken-bin`;
    Deno.mkdirSync(brokenBin);
    for (const name of TOOL_NAMES) Deno.copyFileSync(`${bin}/${name}`, `${brokenBin}/${name}`);
    Deno.writeTextFileSync(`${brokenBin}/wt`, "#!/bin/sh\nexit 126\n", { mode: 0o755 });

    const release = async (
      dir: string,
      version: string,
      options: { binDir?: string; names?: string[]; manual?: string } = {},
    ) => {
      const outDir = `${serveRoot}/${dir}`;
      await packArchive({
        target: TARGET,
        binDir: options.binDir ?? bin,
        outDir,
        version,
        ...(options.names ? { names: options.names } : {}),
        ...(options.manual ? { manual: options.manual } : {}),
      });
      writeSums(outDir);
      return outDir;
    };
    await release("download/v0.1.0", "0.1.0", {
      binDir: oldBin,
      names: [...TOOL_NAMES, "wt-legacy"],
      manual: oldManual,
    });
    await release("download/v0.2.0", "0.2.0");
    await release("latest/download", "0.2.0");
    // 0.3.0: the archive changed after SHA256SUMS was written (one byte).
    const corrupt = await release("download/v0.3.0", "0.3.0");
    const bytes = Deno.readFileSync(`${corrupt}/${ARCHIVE}`);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0xff;
    Deno.writeFileSync(`${corrupt}/${ARCHIVE}`, bytes);
    // 0.5.0: a mirror that has only the first half of the archive (served as a whole file).
    const half = await release("download/v0.5.0", "0.5.0");
    const whole = Deno.readFileSync(`${half}/${ARCHIVE}`);
    Deno.writeFileSync(`${half}/${ARCHIVE}`, whole.subarray(0, whole.length >> 1));
    // 0.4.0: the server cuts the archive's transfer short (below).
    await release("download/v0.4.0", "0.4.0");
    await release("download/v0.6.0", "0.6.0", { binDir: brokenBin });

    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (request) => {
        const path = decodeURIComponent(new URL(request.url).pathname);
        if (path.includes("..")) return new Response("bad path\n", { status: 400 });
        let data: Uint8Array<ArrayBuffer>;
        try {
          data = await Deno.readFile(`${serveRoot}${path}`);
        } catch {
          return new Response("not found\n", { status: 404 });
        }
        if (path === `/download/v0.4.0/${ARCHIVE}`) {
          const half = data.subarray(0, data.length >> 1);
          const body = new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(half);
              controller.close();
            },
          });
          return new Response(body, { headers: { "content-length": String(data.length) } });
        }
        return new Response(data);
      },
    );
    box.url = `http://127.0.0.1:${server.addr.port}`;
    const prefix = `${box.root}/prefix`;
    const manifest = `${prefix}/share/watchtower/manifest`;
    const version = () => /^# version (\S+)$/m.exec(Deno.readTextFileSync(manifest))?.[1];
    try {
      // The user's own files in the prefix, which nothing may touch.
      Deno.mkdirSync(`${prefix}/bin`, { recursive: true });
      Deno.mkdirSync(`${prefix}/share`, { recursive: true });
      Deno.writeTextFileSync(`${prefix}/bin/my-tool`, "#!/bin/sh\n", { mode: 0o755 });
      Deno.writeTextFileSync(`${prefix}/share/notes.txt`, "mine\n");
      const theirs = snapshot(prefix);

      await t.step("a first install that fails leaves no directory behind", async () => {
        Deno.mkdirSync(`${box.root}/fresh`);
        const result = await installSh(box, [
          "--version",
          "0.6.0",
          "--prefix",
          `${box.root}/fresh/a/b`,
        ]);
        equal(result.code, 69, result.stderr);
        deepEqual([...Deno.readDirSync(`${box.root}/fresh`)], []);
        assertNoLeftovers(box, `${box.root}/fresh`);
      });

      await t.step("a pinned version installs: every program, the manual, a manifest", async () => {
        const result = await installSh(box, ["--version", "v0.1.0", "--prefix", prefix]);
        equal(result.code, 0, result.stderr);
        match(result.stdout, /checksum verified: [0-9a-f]{64}/);
        match(
          result.stdout,
          new RegExp(`installed Watchtower 0\\.1\\.0 \\(${TARGET}\\): 21 programs`),
        );
        match(result.stdout, /is not on your PATH[\s\S]*export PATH=".*\/prefix\/bin:\$PATH"/);
        match(result.stdout, /next: wt init/);
        for (const name of [...TOOL_NAMES, "wt-legacy"]) {
          equal(Deno.statSync(`${prefix}/bin/${name}`).mode! & 0o777, 0o755, name);
        }
        equal(
          Deno.readTextFileSync(`${prefix}/share/watchtower/watchtower.json`),
          '{"utcp_version": "old"}\n',
        );
        equal(version(), "0.1.0");
        const wt = await new Deno.Command(`${prefix}/bin/wt`, {
          args: ["version", "--json"],
          clearEnv: true,
          env: { HOME: box.home, PATH: HOST_PATH.join(":"), ...denoDir() },
          stdout: "piped",
          stderr: "piped",
        }).output();
        equal(wt.code, 0, new TextDecoder().decode(wt.stderr));
        const info = JSON.parse(new TextDecoder().decode(wt.stdout));
        equal(info.runs, "bundle");
        equal(info.target, TARGET);
        assertNoLeftovers(box, prefix);
      });

      await t.step(
        "a corrupted archive is refused (65) and the install stays as it was",
        async () => {
          const before = snapshot(prefix);
          const result = await installSh(box, ["--version", "0.3.0", "--prefix", prefix]);
          equal(result.code, 65, result.stderr);
          match(
            result.stderr,
            /refusing watchtower-.*: its SHA-256 is [0-9a-f]{64} but SHA256SUMS says [0-9a-f]{64}/,
          );
          match(result.stderr, /nothing was installed/);
          deepEqual(snapshot(prefix), before);
          assertNoLeftovers(box, prefix);
        },
      );

      await t.step(
        "a download cut short is refused (65) and the install stays as it was",
        async () => {
          const before = snapshot(prefix);
          const result = await installSh(box, ["--version", "0.4.0", "--prefix", prefix]);
          equal(result.code, 65, result.stderr);
          match(result.stderr, /cannot download .*: the transfer failed or was cut short/);
          deepEqual(snapshot(prefix), before);
          assertNoLeftovers(box, prefix);
          // Half a file served whole: only the checksum can tell.
          const truncated = await installSh(box, ["--version", "0.5.0", "--prefix", prefix]);
          equal(truncated.code, 65, truncated.stderr);
          match(truncated.stderr, /refusing watchtower-.*: its SHA-256 is [0-9a-f]{64} but/);
          deepEqual(snapshot(prefix), before);
          assertNoLeftovers(box, prefix);
        },
      );

      await t.step("a release that is not there is refused (69), nothing changes", async () => {
        const before = snapshot(prefix);
        const result = await installSh(box, ["--version", "9.9.9", "--prefix", prefix]);
        equal(result.code, 69, result.stderr);
        match(result.stderr, /cannot download .*\/download\/v9\.9\.9\/SHA256SUMS/);
        deepEqual(snapshot(prefix), before);
        assertNoLeftovers(box, prefix);
      });

      await t.step("a wt that does not run here replaces nothing (69)", async () => {
        const before = snapshot(prefix);
        const result = await installSh(box, ["--version", "0.6.0", "--prefix", prefix]);
        equal(result.code, 69, result.stderr);
        match(result.stderr, /the downloaded wt does not run on this machine/);
        deepEqual(snapshot(prefix), before);
        assertNoLeftovers(box, prefix);
      });

      await t.step(
        "re-running upgrades to the latest: new files in place, dropped ones gone",
        async () => {
          const result = await installSh(box, ["--prefix", prefix]);
          equal(result.code, 0, result.stderr);
          match(result.stdout, /latest release/);
          match(result.stdout, /upgraded Watchtower 0\.1\.0 -> 0\.2\.0/);
          equal(version(), "0.2.0");
          equal(
            Deno.readTextFileSync(`${prefix}/share/watchtower/watchtower.json`),
            Deno.readTextFileSync(`${REPO}/watchtower.json`),
          );
          equal(Deno.statSync(`${prefix}/bin/wt`).isFile, true);
          let legacy = true;
          try {
            Deno.statSync(`${prefix}/bin/wt-legacy`);
          } catch {
            legacy = false;
          }
          equal(legacy, false, "wt-legacy (only in 0.1.0) is removed");
          const listed = Deno.readTextFileSync(manifest).split("\n").filter((l) =>
            l && !l.startsWith("#")
          );
          deepEqual(
            listed,
            [...TOOL_NAMES.map((n) => `bin/${n}`), "share/watchtower/watchtower.json"].sort(),
          );
          assertNoLeftovers(box, prefix);
        },
      );

      await t.step({
        name: "with wget and no curl, the same install works",
        // macOS has no wget unless it was installed: only there is this step skipped.
        ignore: which("wget") === undefined,
        fn: async () => {
          const path = toolbox(`${box.root}/wget-only`, [...BASICS, "wget"]);
          const result = await installSh(box, ["--version", "0.2.0", "--prefix", prefix], { path });
          equal(result.code, 0, result.stderr);
          match(result.stdout, /upgraded Watchtower 0\.2\.0 -> 0\.2\.0/);
          assertNoLeftovers(box, prefix);
        },
      });

      await t.step("--uninstall removes exactly what was installed", async () => {
        const result = await installSh(box, ["--uninstall", "--prefix", prefix]);
        equal(result.code, 0, result.stderr);
        match(result.stdout, /uninstalled Watchtower 0\.2\.0: removed 21 files/);
        match(result.stdout, /state directory .* is kept/);
        deepEqual(snapshot(prefix), theirs);
        let share = true;
        try {
          Deno.statSync(`${prefix}/share/watchtower`);
        } catch {
          share = false;
        }
        equal(share, false);
        const again = await installSh(box, ["--uninstall", "--prefix", prefix]);
        equal(again.code, 0, again.stderr);
        match(again.stdout, /nothing to uninstall/);
        assertNoLeftovers(box, prefix);
      });
    } finally {
      await server.shutdown();
      Deno.removeSync(box.root, { recursive: true });
    }
  },
});
