/**
 * The GitHub workflows are valid YAML with the structure the release process relies on: the
 * release runs on version tags, checks with .ci/run first, packs every target of
 * scripts/compile.ts on a machine of that target with that machine's Deno as the runtime
 * (`scripts/release.ts pack --runtime`, never `deno task compile`, whose binaries would fix the
 * runner's state directory), installs it there with install.sh and runs it, and publishes the
 * archives, SHA256SUMS, the UTCP manual and install.sh; pull requests run .ci/run.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import yaml from "js-yaml";
import { TARGETS } from "../scripts/compile.ts";

// deno-lint-ignore no-explicit-any
type Yaml = any;

const REPO = decodeURIComponent(new URL("../", import.meta.url).pathname);

function workflow(name: string): Yaml {
  return yaml.load(Deno.readTextFileSync(`${REPO}.github/workflows/${name}`));
}

/** Every `run:` script of a job. */
function runs(job: Yaml): string[] {
  return (job.steps as Yaml[]).flatMap((step) => typeof step.run === "string" ? [step.run] : []);
}

/** Every action a job uses (`uses:`), without the version. */
function uses(job: Yaml): string[] {
  return (job.steps as Yaml[]).flatMap((step) =>
    typeof step.uses === "string" ? [step.uses.split("@")[0]] : []
  );
}

Deno.test("release.yml runs on version tags and packs every target with its own runtime", () => {
  const release = workflow("release.yml");
  deepEqual(Object.keys(release.on), ["push"]);
  deepEqual(release.on.push.tags, ["v*"]);
  deepEqual(release.permissions, { contents: "read" });
  const { checks, build } = release.jobs;
  ok(runs(checks).some((run) => run.trim() === ".ci/run"), "checks run .ci/run");
  ok(runs(checks).some((run) => run.includes("deno task release check-tag")));
  equal(build.needs, "checks");
  const targets = build.strategy.matrix.include.map((entry: Yaml) => entry.target);
  deepEqual([...targets].sort(), [...TARGETS].sort());
  for (const entry of build.strategy.matrix.include) {
    const native = entry.target.includes("apple-darwin") ? /^macos-/ : /^ubuntu-/;
    ok(native.test(entry.runner), `${entry.target} builds on ${entry.runner}`);
    const arm = /-arm$|^macos-15$/.test(entry.runner);
    equal(entry.target.startsWith("aarch64"), arm, `${entry.target} on ${entry.runner}`);
  }
  equal(build.env.TARGET, "${{ matrix.target }}");
  const scripts = runs(build);
  ok(scripts.every((run) => !run.includes("deno task compile")), "no compiled binaries");
  // The runtime is this runner's Deno, checked to be the target's.
  ok(scripts.some((run) => run.includes("Deno.build.target") && run.includes('= "$TARGET"')));
  const pack = scripts.find((run) => /deno task release pack\s/.test(run));
  ok(pack, "a pack step");
  match(pack, /deno task release pack/);
  match(pack, /--target "\$TARGET" --runtime "\$\(command -v deno\)"/);
  match(pack, /--version "\$\{GITHUB_REF_NAME#v\}"/);
  // The packed archive installs with install.sh on its own platform, and what it installs runs.
  const installs = scripts.findIndex((run) => run.includes("sh install.sh --version"));
  ok(installs > scripts.indexOf(pack), "installed after it is packed");
  const smoke = scripts[installs]!;
  match(smoke, /deno task release finish --out "\$mirror"/);
  match(smoke, /WATCHTOWER_DOWNLOAD_URL="file:\/\/\$RUNNER_TEMP\/mirror"/);
  match(smoke, /"\$RUNNER_TEMP\/wt\/bin\/wt" version/);
  match(smoke, /"\$RUNNER_TEMP\/wt\/bin\/safe-touch"/);
  ok(uses(build).includes("actions/upload-artifact"));
});

Deno.test("release.yml publishes the archives, SHA256SUMS, the manual and the installer", () => {
  const { publish } = workflow("release.yml").jobs;
  equal(publish.needs, "build");
  deepEqual(publish.permissions, {
    contents: "write",
    "id-token": "write",
    attestations: "write",
  });
  ok(uses(publish).includes("actions/download-artifact"));
  ok(uses(publish).includes("actions/attest-build-provenance"));
  const scripts = runs(publish);
  ok(scripts.some((run) => run.includes("deno task release finish")));
  ok(scripts.some((run) => run.includes("sha256sum --check --strict SHA256SUMS")));
  ok(scripts.some((run) => run.includes('gh release create "$GITHUB_REF_NAME" release/*')));
  // finish adds the manual and the installer to the archives in release/.
  const finish = Deno.readTextFileSync(`${REPO}scripts/release.ts`);
  ok(finish.includes("watchtower.json") && finish.includes("install.sh"));
});

Deno.test("every job pins Deno to the project's version", () => {
  for (const file of ["release.yml", "ci.yml"]) {
    for (const [name, job] of Object.entries(workflow(file).jobs as Record<string, Yaml>)) {
      const setup = (job.steps as Yaml[]).find((step) =>
        String(step.uses ?? "").startsWith("denoland/setup-deno@")
      );
      equal(setup?.with?.["deno-version"], "v2.9.6", `${file}: ${name}`);
    }
  }
});

Deno.test("ci.yml runs .ci/run on pull requests, and the installer test on macOS", () => {
  const ci = workflow("ci.yml");
  ok("pull_request" in ci.on);
  deepEqual(ci.permissions, { contents: "read" });
  ok(runs(ci.jobs.checks).some((run) => run.trim() === ".ci/run"));
  equal(ci.jobs["installer-macos"]["runs-on"], "macos-15");
  ok(
    runs(ci.jobs["installer-macos"]).some((run) =>
      run.includes("tests/integration/install_sh_test.ts")
    ),
  );
});
