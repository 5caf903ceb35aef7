/**
 * Validates a parsed document against the policy schema and turns zod's issues into one-line
 * messages that name the file, line, column, field path and expectation.
 * @module
 */
import type { z } from "zod";
import { WatchtowerError } from "../errors.ts";
import { closest } from "../suggest.ts";
import { isSupportedVersion, type PolicyDocument, PolicyDocumentSchema } from "./schema.ts";
import type { FieldPath, SourceDocument } from "./source.ts";

/**
 * Validates `doc` strictly. Throws a `policy_invalid` {@link WatchtowerError} whose message names
 * the first problem and whose `details` list every problem.
 */
export function validateDocument(doc: SourceDocument): PolicyDocument {
  if (doc.value === null || doc.value === undefined) {
    throw invalid(doc, [], "the document is empty; expected a mapping of policy keys");
  }
  if (typeof doc.value !== "object" || Array.isArray(doc.value)) {
    throw invalid(doc, [], "expected a mapping of policy keys at the top level");
  }
  const result = PolicyDocumentSchema.safeParse(doc.value);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => describeIssue(doc, issue));
    throw new WatchtowerError("policy_invalid", lines[0]!, {
      location: locationOf(doc, issuePath(result.error.issues[0]!)),
      details: lines,
    });
  }
  const version = result.data.version;
  if (version !== undefined && !isSupportedVersion(version)) {
    throw invalid(
      doc,
      ["version"],
      `version ${JSON.stringify(version)} is not supported; expected 2.x`,
    );
  }
  return result.data;
}

/** Builds a `policy_invalid` error located at `path` in `doc`. */
export function invalid(doc: SourceDocument, path: FieldPath, message: string): WatchtowerError {
  const location = locationOf(doc, path);
  const field = location.field ? `${location.field}: ` : "";
  return new WatchtowerError(
    "policy_invalid",
    `Cannot load policy ${doc.file}:${location.line}:${location.column}: ${field}${message}`,
    { location },
  );
}

function locationOf(doc: SourceDocument, path: FieldPath) {
  const { line, column } = doc.locate(path);
  return { file: doc.file, line, column, field: formatPath(path) };
}

/** Formats a field path as `policies[3].match.domain`. */
export function formatPath(path: FieldPath): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${key}` : key;
  }
  return out;
}

function issuePath(issue: z.core.$ZodIssue): FieldPath {
  return issue.path.filter((key): key is string | number => typeof key !== "symbol");
}

function describeIssue(doc: SourceDocument, issue: z.core.$ZodIssue): string {
  const path = issuePath(issue);
  if (issue.code === "unrecognized_keys") {
    const known = knownKeys(path);
    const parts = issue.keys.map((key) => {
      const suggestion = closest(key, known);
      return `unknown key '${key}'${suggestion ? ` (did you mean '${suggestion}'?)` : ""}`;
    });
    const { line, column } = doc.locate([...path, issue.keys[0]!], { key: true });
    const expected = known.length ? `; expected one of ${known.join(", ")}` : "";
    return `Cannot load policy ${doc.file}:${line}:${column}: ${formatPath(path) || "top level"}: ${
      parts.join(", ")
    }${expected}`;
  }
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    // Report the branch that got furthest into the value: it is the one the author meant.
    const depth = (issues: z.core.$ZodIssue[]) => Math.max(...issues.map((i) => i.path.length));
    const branch = issue.errors.reduce((best, next) => depth(next) > depth(best) ? next : best);
    const inner = branch[0];
    if (inner && inner.path.length > 0) {
      return describeIssue(doc, { ...inner, path: [...issue.path, ...inner.path] });
    }
  }
  return invalid(doc, path, messageOf(issue)).message;
}

function messageOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.message.startsWith("Invalid input")
        ? `expected ${issue.expected}`
        : issue.message;
    case "too_big":
      return `too large: at most ${issue.maximum}`;
    case "too_small":
      return `too small: at least ${issue.minimum}`;
    default:
      return issue.message;
  }
}

/** The keys the schema allows at `path` (an object's shape), for "did you mean". */
function knownKeys(path: FieldPath): string[] {
  let schema: unknown = PolicyDocumentSchema;
  for (const key of path) {
    schema = unwrapSchema(schema);
    const def = defOf(schema);
    if (def?.type === "object" && typeof key === "string") {
      schema = (def.shape as Record<string, unknown>)[key];
    } else if (def?.type === "array" && typeof key === "number") {
      schema = def.element;
    } else if (def?.type === "record") {
      schema = def.valueType;
    } else return [];
  }
  const def = defOf(unwrapSchema(schema));
  return def?.type === "object" ? Object.keys(def.shape as object) : [];
}

interface SchemaDef {
  type: string;
  shape?: unknown;
  element?: unknown;
  valueType?: unknown;
  innerType?: unknown;
  options?: unknown[];
}

function defOf(schema: unknown): SchemaDef | undefined {
  return (schema as { _zod?: { def?: SchemaDef } } | undefined)?._zod?.def;
}

function unwrapSchema(schema: unknown): unknown {
  let current = schema;
  for (let i = 0; i < 8; i++) {
    const def = defOf(current);
    if (def && (def.type === "optional" || def.type === "default") && def.innerType) {
      current = def.innerType;
    } else if (def?.type === "union" && def.options) {
      current = def.options.find((option) => defOf(option)?.type === "object") ?? current;
      if (defOf(current)?.type === "union") return current;
    } else return current;
  }
  return current;
}
