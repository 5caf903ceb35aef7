/**
 * Runs command lines with the real bash against fake programs, recording what each program was
 * given. A temp directory holds `bin/` (only fakes, plus the real bash, env, nice, timeout and
 * nohup, so nothing else can run), `work/` (an empty current directory: globs match nothing)
 * and `out/` (where redirections in test lines write).
 *
 * `bin/argv-dump` is linked under every fake name; each call appends to `$ARGV_LOG` the
 * NUL-separated record: argument count, `$0` basename, `$WTV` (or `<unset>`), the arguments.
 */

export const BASH = "/bin/bash";

/**
 * Why the tests against the real bash cannot run here, or undefined. They need bash 5 (the
 * generated lines use its syntax) and GNU env, nice, timeout and nohup in /usr/bin.
 */
export const BASH_SKIP: string | undefined = (() => {
  try {
    const { stdout } = new Deno.Command(BASH, {
      args: ["--norc", "--noprofile", "-c", "echo ${BASH_VERSINFO[0]}"],
    }).outputSync();
    if (Number(new TextDecoder().decode(stdout)) < 5) return "bash is older than 5";
    for (const p of ["env", "nice", "timeout", "nohup"]) Deno.statSync(`/usr/bin/${p}`);
    return undefined;
  } catch {
    return "no /bin/bash or /usr/bin/{env,nice,timeout,nohup}";
  }
})();

export interface Sandbox {
  root: string;
  bin: string;
  work: string;
  out: string;
}

const DUMP = `#!/bin/bash
printf '%s\\0' "$#" "\${0##*/}" "\${WTV-<unset>}" "$@" >> "$ARGV_LOG"
`;

/** Creates the sandbox with fakes under `names` (which may be any file name but '/'). */
export async function sandbox(names: readonly string[]): Promise<Sandbox> {
  const root = await Deno.makeTempDir({ prefix: "wt-shell-" });
  const s: Sandbox = { root, bin: `${root}/bin`, work: `${root}/work`, out: `${root}/out` };
  await Promise.all([Deno.mkdir(s.bin), Deno.mkdir(s.work), Deno.mkdir(s.out)]);
  await Deno.writeTextFile(`${s.bin}/argv-dump`, DUMP, { mode: 0o755 });
  for (const n of names) await Deno.symlink(`${s.bin}/argv-dump`, `${s.bin}/${n}`);
  for (const real of ["bash", "sh"]) await Deno.symlink(BASH, `${s.bin}/${real}`);
  for (const real of ["env", "nice", "timeout", "nohup"]) {
    await Deno.symlink(`/usr/bin/${real}`, `${s.bin}/${real}`);
  }
  return s;
}

/** One record: the program's basename, its `$WTV`, then its arguments. */
export type Run = string[];

/**
 * Runs each line as `bash --norc --noprofile -c LINE` (one driver bash process loops over the
 * lines, in `jobs` parallel drivers) and returns the records of each line in order of writing.
 */
export async function runLines(s: Sandbox, lines: readonly string[], jobs = 2): Promise<Run[][]> {
  const logs = `${s.root}/logs`;
  await Deno.mkdir(logs, { recursive: true });
  const driver = `
set +o history
i=$1
while IFS= read -r -d '' line; do
  ARGV_LOG="${logs}/$i" "${BASH}" --norc --noprofile -c "$line" </dev/null >/dev/null 2>&1
  i=$((i + $2))
done
`;
  const chunks: string[][] = Array.from({ length: jobs }, () => []);
  lines.forEach((l, i) => chunks[i % jobs]!.push(l));
  await Promise.all(chunks.map(async (chunk, j) => {
    const child = new Deno.Command(BASH, {
      args: ["--norc", "--noprofile", "-c", driver, "driver", String(j), String(jobs)],
      cwd: s.work,
      env: { PATH: s.bin, HOME: "~", LC_ALL: "C.UTF-8" },
      clearEnv: true,
      stdin: "piped",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(chunk.map((l) => l + "\0").join("")));
    await w.close();
    await child.status;
  }));
  const out: Run[][] = [];
  for (let i = 0; i < lines.length; i++) {
    let data = "";
    try {
      data = await Deno.readTextFile(`${logs}/${i}`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const fields = data.split("\0");
    const runs: Run[] = [];
    for (let k = 0; k + 1 < fields.length;) {
      const n = Number(fields[k]);
      runs.push(fields.slice(k + 1, k + 3 + n));
      k += 3 + n;
    }
    out.push(runs);
  }
  return out;
}
