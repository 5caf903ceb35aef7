/**
 * A cache of the validated, merged policy for hot paths (every safe command and hook call is a
 * new process): when none of the files the policy was built from has changed, the merged rule
 * model is read back from JSON and compiled, without loading YAML, zod or checking examples
 * again (~25 ms of start-up). Files are compared by their metadata (inode, size, modification and
 * change times), not read. Any difference, or an unreadable cache, means a full load.
 * @module
 */
import { sha256, toHex } from "../ledger/sha256.ts";
import { BUILTIN_RULES_SOURCE } from "./builtin_rules.ts";
import { BUILTIN_COMMAND_RULES_SOURCE } from "./builtin_command_rules.ts";
import { BUILTIN_AUTHORITY_RULES_SOURCE } from "./builtin_authority_rules.ts";
import { type CompiledPolicy, compilePolicy, needsRegex } from "./compile.ts";
import { DEFAULT_POLICY_SOURCE } from "./default_policy.ts";
import { loadRegexCompiler } from "./expr/regex.ts";
import type { SettingsPatch } from "./layer.ts";
import type { MergedPolicy } from "./model.ts";
import type { PolicyVars } from "./vars.ts";

/** Where to look for the policy (as the loader takes it). */
export interface CacheLoadOptions {
  stateDir: string;
  policyFile?: string;
  profiles?: readonly string[];
  profileDirs: readonly string[];
  overrides?: SettingsPatch;
  vars: PolicyVars;
}

/**
 * Bump when the cached form changes, or when a built-in text is added (a cache written before
 * does not list its file, so nothing else would notice it: 7 added the authority rules).
 */
const CACHE_FORMAT = 7;
const USER_FILE_NAMES = ["policy.yaml", "policy.yml", "policy.json"];
const PROFILE_EXTENSIONS = [".yaml", ".yml", ".json"];

interface CacheEntry {
  format: number;
  /** What the options and built-in texts were. */
  key: string;
  /** When the cache was written (ms since the epoch). */
  written: number;
  /** Every file the policy depends on: its metadata fingerprint and content hash (null: absent). */
  files: Array<[path: string, stat: string | null, hash: string | null]>;
  merged: MergedPolicy;
}

const encoder = new TextEncoder();
const RACY_MS = 3000;

function mtimeOf(path: string): number {
  try {
    return Deno.statSync(path).mtime?.getTime() ?? Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function contentHash(path: string): string | null {
  try {
    return hashText(Deno.readTextFileSync(path));
  } catch {
    return null;
  }
}
const hashText = (text: string) => toHex(sha256(encoder.encode(text)));

/** The cache file of a state directory. */
export function cachePath(stateDir: string): string {
  return `${stateDir}/cache/policy.json`;
}

/**
 * Loads the effective policy, from the cache when it is current. Throws as the full loader does
 * when the policy is invalid (nothing is cached then).
 */
export async function loadPolicyFast(options: CacheLoadOptions): Promise<CompiledPolicy> {
  return (await loadPolicyKept(options)).policy;
}

/** A policy a long-running process keeps, with how to tell when it must be loaded again. */
export interface KeptPolicy {
  policy: CompiledPolicy;
  /** Whether every file the policy was built from is as it was (a few stats; content when racy). */
  isCurrent(): boolean;
}

/**
 * Loads the effective policy as {@link loadPolicyFast} does, for a process that keeps it (the
 * decision service): `isCurrent()` checks the files it depends on as the cache itself does.
 */
export async function loadPolicyKept(options: CacheLoadOptions): Promise<KeptPolicy> {
  const key = cacheKey(options);
  const cached = readCache(options.stateDir, key);
  if (cached) {
    // Content had to be compared: once the files are old enough, record them as settled.
    if (
      cached.racy && cached.entry.files.every(([path]) => Date.now() - mtimeOf(path) >= RACY_MS)
    ) {
      rewrite(options.stateDir, { ...cached.entry, written: Date.now() });
    }
    const policy = await compileCached(cached.entry, options.vars);
    return { policy, isCurrent: () => checkFiles(cached.entry) !== undefined };
  }
  // Only a miss pays for YAML and zod.
  const [loader, { mergeLayers }] = await Promise.all([
    import("./loader.ts"),
    import("./layer.ts"),
  ]);
  const layers = loader.resolveLayers(options);
  const merged = mergeLayers(layers);
  const policy = await loader.compileMerged(merged, options.vars, { checkExamples: true });
  // Layers are: built-in rules, profiles, the user's file, then command-line overrides.
  const userLayer = layers[layers.length - (options.overrides ? 2 : 1)];
  const profileNames = [...new Set([...(userLayer?.profiles ?? []), ...(options.profiles ?? [])])];
  const entry = writeCache(options, key, merged, profileNames);
  return { policy, isCurrent: () => checkFiles(entry) !== undefined };
}

/**
 * A fast non-cryptographic hash (cyrb53) for the cache key: the key only tells configurations
 * apart (the files' own fingerprints guard the content), and SHA-256 in a cold process would
 * cost milliseconds on every run.
 */
function quickHash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `${(h2 >>> 0).toString(16).padStart(8, "0")}${(h1 >>> 0).toString(16).padStart(8, "0")}`;
}

function cacheKey(options: CacheLoadOptions): string {
  return quickHash(JSON.stringify([
    CACHE_FORMAT,
    options.policyFile ?? null,
    options.profiles ?? [],
    options.profileDirs,
    options.overrides ?? null,
  ]));
}

/** The files a policy may depend on: the user's file candidates and each profile's. */
function dependencies(options: CacheLoadOptions, profileNames: readonly string[]): string[] {
  // Watchtower's own built-in texts come first: an upgrade changes their module files.
  const files = [
    BUILTIN_RULES_SOURCE,
    BUILTIN_COMMAND_RULES_SOURCE,
    BUILTIN_AUTHORITY_RULES_SOURCE,
    DEFAULT_POLICY_SOURCE,
  ]
    .filter((url) => url.startsWith("file:"))
    .map((url) => decodeURIComponent(new URL(url).pathname));
  files.push(
    ...(options.policyFile !== undefined
      ? [options.policyFile]
      : USER_FILE_NAMES.map((name) => `${options.stateDir}/${name}`)),
  );
  for (const name of profileNames) {
    for (const dir of options.profileDirs) {
      for (const extension of PROFILE_EXTENSIONS) files.push(`${dir}/${name}${extension}`);
    }
  }
  return [...new Set(files)];
}

/**
 * What identifies a file's content without reading it: device, inode, size, and modification
 * and change times in nanoseconds. The change time cannot be set back by a user, so any write
 * changes the fingerprint (and, as every fingerprint is checked, invalidates the cache).
 */
function fingerprint(path: string): string | null {
  try {
    const info = Deno.statSync(path);
    const ns = (date: Date | null, nanos: number | null) =>
      date === null ? "-" : `${date.getTime()}.${nanos ?? 0}`;
    const { dev, ino, size, mtime, ctime } = info;
    return `${dev}:${ino}:${size}:${ns(mtime, null)}:${ns(ctime, null)}`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    // Unreadable: a value no recorded fingerprint equals, so the cache is not used.
    return `unreadable:${error instanceof Error ? error.name : "error"}`;
  }
}

function readCache(
  stateDir: string,
  key: string,
): { entry: CacheEntry; racy: boolean } | undefined {
  let entry: CacheEntry;
  try {
    entry = JSON.parse(Deno.readTextFileSync(cachePath(stateDir)));
  } catch {
    return undefined;
  }
  if (
    entry === null || typeof entry !== "object" || entry.format !== CACHE_FORMAT ||
    entry.key !== key || !Array.isArray(entry.files) || typeof entry.merged !== "object"
  ) {
    return undefined;
  }
  return checkFiles(entry);
}

/**
 * Whether every file of `entry` still has its recorded fingerprint (and, when it changed within
 * RACY_MS of the entry being written, its recorded content): the entry, and whether content had
 * to be compared; undefined when anything differs.
 */
function checkFiles(entry: CacheEntry): { entry: CacheEntry; racy: boolean } | undefined {
  let racy = false;
  for (const file of entry.files) {
    if (!Array.isArray(file) || typeof file[0] !== "string") return undefined;
    const [path, stat, hash] = file;
    if (fingerprint(path) !== stat) return undefined;
    // Metadata has millisecond times: a file changed within RACY_MS of the cache being written
    // could have changed again unseen, so its content is compared too (git's "racy" check).
    if (stat !== null && entry.written - mtimeOf(path) < RACY_MS) {
      racy = true;
      if (contentHash(path) !== hash) return undefined;
    }
  }
  return { entry, racy };
}

function writeCache(
  options: CacheLoadOptions,
  key: string,
  merged: MergedPolicy,
  profileNames: readonly string[],
): CacheEntry {
  const entry: CacheEntry = {
    format: CACHE_FORMAT,
    key,
    written: Date.now(),
    files: dependencies(options, profileNames).map((
      path,
    ) => [path, fingerprint(path), contentHash(path)]),
    merged,
  };
  rewrite(options.stateDir, entry);
  return entry;
}

function rewrite(stateDir: string, entry: CacheEntry): void {
  const path = cachePath(stateDir);
  try {
    Deno.mkdirSync(`${stateDir}/cache`, { recursive: true, mode: 0o700 });
    const temp = `${path}.tmp-${Deno.pid}`;
    Deno.writeTextFileSync(temp, JSON.stringify(entry), { mode: 0o600 });
    Deno.renameSync(temp, path);
  } catch {
    // A cache that cannot be written only costs the next process a full load.
  }
}

async function compileCached(entry: CacheEntry, vars: PolicyVars): Promise<CompiledPolicy> {
  const regex = needsRegex(entry.merged) ? await loadRegexCompiler() : undefined;
  return compilePolicy(entry.merged, { vars, lazyConditions: true, ...(regex ? { regex } : {}) });
}
