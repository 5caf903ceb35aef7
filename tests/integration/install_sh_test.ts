/**
 * install.sh as users run it, against release archives served from a loopback HTTP server: packed
 * by scripts/release.ts as the release workflow packs them (the runtime, the bundles, launcher
 * templates), one per version, with their SHA256SUMS; the runtime they ship is a script running
 * this Deno. Clean install, upgrade, uninstall; the installed launchers run, and a safe command
 * records in the state directory named when installing; every refusal (checksum mismatch, a
 * download cut short, a `wt` that does not run, a path a launcher cannot carry, unknown
 * platforms, no curl or wget, an unwritable prefix) leaves the prefix exactly as it was and no
 * temporary files behind. A release of compiled binaries (no lib/) still installs.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import {
  archiveName,
  packArchive,
  type PackOptions,
  sha256File,
  writeSums,
} from "../../scripts/release.ts";
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

/** Nothing left in TMPDIR and no staged copy (or runtime moved aside) beside the installed files. */
function assertNoLeftovers(box: Installer, prefix: string): void {
  deepEqual([...Deno.readDirSync(box.tmpdir)].map((entry) => entry.name), []);
  const staged = Object.keys(snapshot(prefix)).filter((path) => /\.wt-(new|old)-/.test(path));
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

/** Unpacks `archive`, lets `edit` change its folder, and packs it again. */
async function repack(archive: string, edit: (top: string) => void): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "wt-repack-" });
  const tar = async (args: string[]) => {
    const result = await new Deno.Command("tar", {
      args,
      env: { COPYFILE_DISABLE: "1" },
      stderr: "piped",
    }).output();
    equal(result.code, 0, new TextDecoder().decode(result.stderr));
  };
  try {
    await tar(["-xzf", archive, "-C", dir]);
    edit(`${dir}/watchtower-${TARGET}`);
    await tar(["-czf", archive, "-C", dir, `watchtower-${TARGET}`]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Whether `path` exists (as anything). */
function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The entries of the ledger in `stateDir`, parsed. */
// deno-lint-ignore no-explicit-any
function ledger(stateDir: string): Record<string, any>[] {
  if (!exists(stateDir)) return [];
  return [...Deno.readDirSync(stateDir)].map((entry) => entry.name)
    .filter((name) => name.startsWith("ledger-")).sort()
    .flatMap((name) => Deno.readTextFileSync(`${stateDir}/${name}`).split("\n"))
    .filter(Boolean).map((line) => JSON.parse(line));
}

Deno.test({
  name: "install.sh against a local release: install, upgrade, refusals, uninstall",
  ignore: !TARGETS.includes(TARGET),
  fn: async (t) => {
    const box = freshBox();
    const serveRoot = `${box.root}/releases`;
    // The runtime the archives ship: a script that runs this Deno. The archives have the real
    // shape; copying and packing Deno's ~100 MB binary for each of them would only cost time.
    const runtime = `${box.root}/runtime/deno`;
    Deno.mkdirSync(`${box.root}/runtime`);
    Deno.writeTextFileSync(runtime, `#!/bin/sh\nexec '${Deno.execPath()}' "$@"\n`, { mode: 0o755 });
    // A runtime that cannot run on this machine (what a binary of another architecture does).
    const broken = `${box.root}/runtime/broken`;
    Deno.writeTextFileSync(broken, "#!/bin/sh\nexit 126\n", { mode: 0o755 });
    // The state directory the installed programs may write (WATCHTOWER_DIR when installing), and
    // an empty module cache: the bundles need no npm download.
    const stateDir = `${box.root}/state`;
    const env = { WATCHTOWER_DIR: stateDir, DENO_DIR: `${box.root}/deno-dir` };

    const release = async (dir: string, version: string, options: Partial<PackOptions> = {}) => {
      const outDir = `${serveRoot}/${dir}`;
      const archive = await packArchive({
        target: TARGET,
        outDir,
        version,
        ...(options.binDir ? {} : { runtime }),
        ...options,
      });
      writeSums(outDir);
      return archive;
    };
    /** A copy of `archive` served as release `dir` (a download refused before it is unpacked). */
    const copy = (archive: string, dir: string) => {
      Deno.mkdirSync(`${serveRoot}/${dir}`, { recursive: true });
      Deno.copyFileSync(archive, `${serveRoot}/${dir}/${ARCHIVE}`);
      writeSums(`${serveRoot}/${dir}`);
      return `${serveRoot}/${dir}/${ARCHIVE}`;
    };
    // 0.1.0 has a program, a module and a manual the later versions do not.
    const oldManual = `${box.root}/old-manual.json`;
    Deno.writeTextFileSync(oldManual, '{"utcp_version": "old"}\n');
    await repack(await release("download/v0.1.0", "0.1.0", { manual: oldManual }), (top) => {
      Deno.writeTextFileSync(`${top}/bin/wt-legacy`, "#!/bin/sh\necho legacy\n", { mode: 0o755 });
      Deno.writeTextFileSync(`${top}/lib/watchtower/js/legacy.js`, "export {};\n");
    });
    writeSums(`${serveRoot}/download/v0.1.0`);
    const current = await release("download/v0.2.0", "0.2.0");
    copy(current, "latest/download");
    // 0.3.0: the archive changed after SHA256SUMS was written (one byte).
    const corrupt = copy(current, "download/v0.3.0");
    const bytes = Deno.readFileSync(corrupt);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0xff;
    Deno.writeFileSync(corrupt, bytes);
    // 0.4.0: the server cuts the archive's transfer short (below).
    copy(current, "download/v0.4.0");
    // 0.5.0: a mirror that has only the first half of the archive (served as a whole file).
    const half = copy(current, "download/v0.5.0");
    const whole = Deno.readFileSync(half);
    Deno.writeFileSync(half, whole.subarray(0, whole.length >> 1));
    await release("download/v0.6.0", "0.6.0", { runtime: broken });
    // 0.7.0: compiled binaries (no lib/), as `deno task compile` makes them.
    const compiled = `${box.root}/compiled`;
    Deno.mkdirSync(compiled);
    for (const name of TOOL_NAMES) {
      Deno.writeTextFileSync(`${compiled}/${name}`, `#!/bin/sh\necho "${name} 0.7.0"\n`);
    }
    await release("download/v0.7.0", "0.7.0", { binDir: compiled });

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
    const lib = `${prefix}/lib/watchtower`;
    const manifest = `${prefix}/share/watchtower/manifest`;
    const version = () => /^# version (\S+)$/m.exec(Deno.readTextFileSync(manifest))?.[1];
    const install = (
      args: string[],
      options: { path?: string; env?: Record<string, string> } = {},
    ) => installSh(box, args, { ...options, env: { ...env, ...options.env } });
    // Runs an installed program in a workspace (a git root), as a user does.
    const work = `${box.root}/work`;
    Deno.mkdirSync(`${work}/.git`, { recursive: true });
    const installed = async (name: string, args: string[], extra: Record<string, string> = {}) => {
      const output = await new Deno.Command(`${prefix}/bin/${name}`, {
        args,
        cwd: work,
        clearEnv: true,
        env: { HOME: box.home, PATH: HOST_PATH.join(":"), NO_COLOR: "1", ...env, ...extra },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decoder = new TextDecoder();
      return {
        code: output.code,
        stdout: decoder.decode(output.stdout),
        stderr: decoder.decode(output.stderr),
      };
    };
    try {
      // The user's own files in the prefix, which nothing may touch.
      Deno.mkdirSync(`${prefix}/bin`, { recursive: true });
      Deno.mkdirSync(`${prefix}/share`, { recursive: true });
      Deno.writeTextFileSync(`${prefix}/bin/my-tool`, "#!/bin/sh\n", { mode: 0o755 });
      Deno.writeTextFileSync(`${prefix}/share/notes.txt`, "mine\n");
      const theirs = snapshot(prefix);

      await t.step("a first install that fails leaves no directory behind", async () => {
        Deno.mkdirSync(`${box.root}/fresh`);
        const result = await install(["--version", "0.6.0", "--prefix", `${box.root}/fresh/a/b`]);
        equal(result.code, 69, result.stderr);
        match(result.stderr, /the downloaded wt does not run on this machine/);
        deepEqual([...Deno.readDirSync(`${box.root}/fresh`)], []);
        assertNoLeftovers(box, `${box.root}/fresh`);
      });

      await t.step(
        "a pinned version installs: the runtime, a launcher per program, the manual, a manifest",
        async () => {
          // PATH as the user has it: the prefix's bin (launchers must never find themselves) and
          // a directory no launcher can carry.
          const path = [`${prefix}/bin`, ...HOST_PATH, "/opt/it's"].join(":");
          const result = await install(["--version", "v0.1.0", "--prefix", prefix], { path });
          equal(result.code, 0, result.stderr);
          match(result.stdout, /checksum verified: [0-9a-f]{64}/);
          match(
            result.stdout,
            new RegExp(`installed Watchtower 0\\.1\\.0 \\(${TARGET}\\): 21 programs`),
          );
          match(result.stdout, new RegExp(`the safe commands record in ${stateDir} `));
          match(result.stdout, /next: wt init/);
          for (const name of [...TOOL_NAMES, "wt-legacy"]) {
            equal(Deno.statSync(`${prefix}/bin/${name}`).mode! & 0o777, 0o755, name);
          }
          equal(Deno.statSync(`${lib}/deno`).mode! & 0o777, 0o755);
          equal(
            Deno.readTextFileSync(`${prefix}/share/watchtower/watchtower.json`),
            '{"utcp_version": "old"}\n',
          );
          equal(version(), "0.1.0");
          // The launchers carry this user's paths, in the shape `deno task install` writes.
          const touch = Deno.readTextFileSync(`${prefix}/bin/safe-touch`);
          ok(!touch.includes("@WATCHTOWER_"), touch);
          match(touch, new RegExp(`'--allow-write=${stateDir}' '--allow-net=unix:${stateDir}/`));
          match(touch, new RegExp(`^exec '${lib}/deno' run -q --no-prompt --config '${lib}/`, "m"));
          ok(!touch.includes("/opt/it"), "a PATH entry with a quote is dropped");
          const safePath = /^PATH='([^']*)'; export PATH$/m.exec(touch)?.[1] ?? "";
          equal(safePath.split(":").includes(`${prefix}/bin`), false, safePath);
          ok(safePath.split(":").includes("/usr/bin"), safePath);
          deepEqual(JSON.parse(Deno.readTextFileSync(`${lib}/js/launchers.json`)), {
            bin: `${prefix}/bin`,
          });
          const wt = await installed("wt", ["version", "--json"]);
          equal(wt.code, 0, wt.stderr);
          const info = JSON.parse(wt.stdout);
          equal(info.runs, "bundle");
          equal(info.target, TARGET);
          equal(info.modules, `file://${lib}/js/`);
          assertNoLeftovers(box, prefix);
        },
      );

      await t.step(
        "a corrupted archive is refused (65) and the install stays as it was",
        async () => {
          const before = snapshot(prefix);
          const result = await install(["--version", "0.3.0", "--prefix", prefix]);
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
          const result = await install(["--version", "0.4.0", "--prefix", prefix]);
          equal(result.code, 65, result.stderr);
          match(result.stderr, /cannot download .*: the transfer failed or was cut short/);
          deepEqual(snapshot(prefix), before);
          assertNoLeftovers(box, prefix);
          // Half a file served whole: only the checksum can tell.
          const truncated = await install(["--version", "0.5.0", "--prefix", prefix]);
          equal(truncated.code, 65, truncated.stderr);
          match(truncated.stderr, /refusing watchtower-.*: its SHA-256 is [0-9a-f]{64} but/);
          deepEqual(snapshot(prefix), before);
          assertNoLeftovers(box, prefix);
        },
      );

      await t.step("a release that is not there is refused (69), nothing changes", async () => {
        const before = snapshot(prefix);
        const result = await install(["--version", "9.9.9", "--prefix", prefix]);
        equal(result.code, 69, result.stderr);
        match(result.stderr, /cannot download .*\/download\/v9\.9\.9\/SHA256SUMS/);
        deepEqual(snapshot(prefix), before);
        assertNoLeftovers(box, prefix);
      });

      await t.step("a wt that does not run here replaces nothing (69)", async () => {
        const before = snapshot(prefix);
        const result = await install(["--version", "0.6.0", "--prefix", prefix]);
        equal(result.code, 69, result.stderr);
        match(result.stderr, /the downloaded wt does not run on this machine/);
        deepEqual(snapshot(prefix), before);
        assertNoLeftovers(box, prefix);
      });

      await t.step(
        "a state directory or prefix a launcher cannot carry is refused (64), nothing changes",
        async () => {
          const before = snapshot(prefix);
          const quoted = await install(["--version", "0.2.0", "--prefix", prefix], {
            env: { WATCHTOWER_DIR: `${box.root}/it's` },
          });
          equal(quoted.code, 64, quoted.stderr);
          match(quoted.stderr, /cannot use the state directory '.*\/it's'.*set WATCHTOWER_DIR/);
          deepEqual(snapshot(prefix), before);
          assertNoLeftovers(box, prefix);
          const piped = await install(["--version", "0.2.0", "--prefix", `${box.root}/a|b`]);
          equal(piped.code, 64, piped.stderr);
          match(piped.stderr, /cannot install into '.*\/a\|b': the launchers cannot hold/);
          equal(exists(`${box.root}/a|b`), false);
          assertNoLeftovers(box, prefix);
        },
      );

      await t.step(
        "re-running upgrades to the latest: new files in place, dropped ones gone",
        async () => {
          const result = await install(["--prefix", prefix]);
          equal(result.code, 0, result.stderr);
          match(result.stdout, /latest release/);
          match(result.stdout, /upgraded Watchtower 0\.1\.0 -> 0\.2\.0/);
          match(result.stdout, /is not on your PATH[\s\S]*export PATH=".*\/prefix\/bin:\$PATH"/);
          equal(version(), "0.2.0");
          equal(
            Deno.readTextFileSync(`${prefix}/share/watchtower/watchtower.json`),
            Deno.readTextFileSync(`${REPO}/watchtower.json`),
          );
          equal(Deno.statSync(`${prefix}/bin/wt`).isFile, true);
          equal(exists(`${prefix}/bin/wt-legacy`), false, "wt-legacy (only in 0.1.0) is removed");
          equal(exists(`${lib}/js/legacy.js`), false, "the runtime directory is replaced whole");
          const listed = Deno.readTextFileSync(manifest).split("\n").filter((l) =>
            l && !l.startsWith("#")
          );
          deepEqual(
            listed,
            [
              ...TOOL_NAMES.map((n) => `bin/${n}`),
              "lib/watchtower",
              "share/watchtower/watchtower.json",
            ].sort(),
          );
          assertNoLeftovers(box, prefix);
        },
      );

      await t.step(
        "a safe command records in the state directory it was installed for, and only there",
        async () => {
          const touched = await installed("safe-touch", ["notes.txt"]);
          equal(touched.code, 0, touched.stderr);
          ok(exists(`${work}/notes.txt`));
          const entry = ledger(stateDir).find((e) => e.data.context?.tool === "safe-touch");
          equal(entry?.data.decision.verdict, "allow");
          equal(entry?.data.intent.target.path, `${work}/notes.txt`);
          // Another state directory at run time (what every user of a release compiled on a
          // build machine had): the decision cannot be recorded, so it is denied.
          const elsewhere = await installed("safe-touch", ["other.txt"], {
            WATCHTOWER_DIR: `${box.root}/other-state`,
          });
          equal(elsewhere.code, 77, elsewhere.stderr);
          match(elsewhere.stderr, /could not be recorded/);
          equal(exists(`${work}/other.txt`), false);
          equal(exists(`${box.root}/other-state`), false);
        },
      );

      await t.step("wt daemon starts and stops through the installed launchers", async () => {
        const started = await installed("wt", ["daemon", "start"]);
        equal(started.code, 0, started.stderr);
        match(started.stdout, new RegExp(`started \\(pid \\d+\\) on ${stateDir}/decider\\.sock`));
        try {
          const status = await installed("wt", ["daemon", "status", "--json"]);
          equal(status.code, 0, status.stderr);
          const { pid } = JSON.parse(status.stdout);
          if (exists(`/proc/${pid}/cmdline`)) {
            // The service runs from this installation (launchers.json names its bin/).
            const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
            ok(cmdline.includes(`${lib}/deno.json`), cmdline.join(" "));
            ok(cmdline.includes(`file://${lib}/js/cli/main.js`), cmdline.join(" "));
          }
          const touched = await installed("safe-touch", ["through-service.txt"]);
          equal(touched.code, 0, touched.stderr);
        } finally {
          const stopped = await installed("wt", ["daemon", "stop"]);
          equal(stopped.code, 0, stopped.stderr);
          match(stopped.stdout, /stopped/);
        }
      });

      await t.step(
        "a release of compiled binaries (no lib/) installs over it and the runtime goes",
        async () => {
          const result = await install(["--version", "0.7.0", "--prefix", prefix]);
          equal(result.code, 0, result.stderr);
          match(result.stdout, /upgraded Watchtower 0\.2\.0 -> 0\.7\.0 .*: 20 programs/);
          equal(Deno.readTextFileSync(`${prefix}/bin/wt`), '#!/bin/sh\necho "wt 0.7.0"\n');
          equal(exists(`${prefix}/lib`), false);
          ok(!Deno.readTextFileSync(manifest).includes("lib/"));
          assertNoLeftovers(box, prefix);
        },
      );

      await t.step({
        name: "with wget and no curl, the same install works",
        // macOS has no wget unless it was installed: only there is this step skipped.
        ignore: which("wget") === undefined,
        fn: async () => {
          const path = toolbox(`${box.root}/wget-only`, [...BASICS, "wget"]);
          const result = await install(["--version", "0.2.0", "--prefix", prefix], { path });
          equal(result.code, 0, result.stderr);
          match(result.stdout, /upgraded Watchtower 0\.7\.0 -> 0\.2\.0/);
          ok(exists(`${lib}/deno`));
          assertNoLeftovers(box, prefix);
        },
      });

      await t.step("--uninstall removes exactly what was installed", async () => {
        const result = await install(["--uninstall", "--prefix", prefix]);
        equal(result.code, 0, result.stderr);
        // 0.2.0 with its runtime after the wget step; else the compiled 0.7.0.
        match(result.stdout, /uninstalled Watchtower 0\.[27]\.0: removed 21 files/);
        if (which("wget") !== undefined) {
          match(result.stdout, new RegExp(`removed 21 files and the runtime ${lib} from`));
        }
        match(result.stdout, /state directory .* is kept/);
        deepEqual(snapshot(prefix), theirs);
        equal(exists(`${prefix}/share/watchtower`), false);
        equal(exists(`${prefix}/lib`), false);
        ok(ledger(stateDir).length > 0, "the ledger stays");
        const again = await install(["--uninstall", "--prefix", prefix]);
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
