/**
 * The `--denylist FILE` of the egress proxy: URL patterns (as in a policy's `url` match) that
 * are always refused. YAML (or JSON): a list of patterns, or a mapping with `urls:`.
 *
 * ```yaml
 * urls:
 *   - "pastebin.com/**"
 *   - "uploads.example.com/**"
 * ```
 * @module
 */
import yaml from "js-yaml";
import { WatchtowerError } from "../core/errors.ts";
import { compileGlob } from "../core/match/glob.ts";

/** Most patterns one denylist may hold. */
export const MAX_DENYLIST_PATTERNS = 10_000;

/** Reads and checks a denylist file; throws a {@link WatchtowerError} naming the problem. */
export function readDenylist(path: string): string[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new WatchtowerError(
      "policy_invalid",
      `Cannot read the denylist ${path}: ${error instanceof Error ? error.message : error}`,
    );
  }
  return parseDenylist(text, path);
}

/** Parses denylist text; `path` names it in errors. */
export function parseDenylist(text: string, path: string): string[] {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: path });
  } catch (error) {
    throw new WatchtowerError(
      "policy_invalid",
      `Cannot load the denylist ${path}: ${
        error instanceof Error ? error.message.split("\n")[0] : error
      }`,
    );
  }
  const list = Array.isArray(doc)
    ? doc
    : doc && typeof doc === "object" && Object.keys(doc).every((key) => key === "urls")
    ? (doc as { urls?: unknown }).urls
    : undefined;
  if (!Array.isArray(list)) {
    throw new WatchtowerError(
      "policy_invalid",
      `Cannot load the denylist ${path}: expected a list of URL patterns or 'urls: [...]'`,
    );
  }
  if (list.length > MAX_DENYLIST_PATTERNS) {
    throw new WatchtowerError(
      "policy_invalid",
      `Cannot load the denylist ${path}: more than ${MAX_DENYLIST_PATTERNS} patterns`,
    );
  }
  return list.map((pattern, index) => {
    if (typeof pattern !== "string" || pattern.trim() === "") {
      throw new WatchtowerError(
        "policy_invalid",
        `Cannot load the denylist ${path}: entry ${index + 1} is not a URL pattern (a string)`,
      );
    }
    try {
      compileGlob(pattern, { ignoreCase: true });
    } catch (error) {
      throw new WatchtowerError(
        "policy_invalid",
        `Cannot load the denylist ${path}: entry ${index + 1} '${pattern}': ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
    return pattern;
  });
}
