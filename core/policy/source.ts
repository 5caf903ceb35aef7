/**
 * Parses a policy document (YAML or JSON) and remembers where every value sits, so that schema
 * errors can name the line and column of the field at fault.
 * @module
 */
import yaml from "js-yaml";
import { WatchtowerError } from "../errors.ts";

/** A key path into a document, e.g. `["policies", 3, "priority"]`. */
export type FieldPath = ReadonlyArray<string | number>;

/** A 1-based position in the source text. */
export interface Position {
  line: number;
  column: number;
}

/** A parsed document with a way back from field paths to positions. */
export interface SourceDocument {
  /** The file name used in messages (or a label such as `<built-in>`). */
  readonly file: string;
  readonly value: unknown;
  /**
   * The position of the value at `path`, or of its nearest ancestor that exists; with `key`, the
   * position of the last key of `path` itself rather than its value.
   */
  locate(path: FieldPath, options?: { key?: boolean }): Position;
}

/** Documents larger than this are refused before parsing. */
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

interface Node {
  start: number;
  end: number;
  kind: string | null;
  children: Node[];
}

/**
 * Parses YAML (JSON is accepted as YAML) with the YAML 1.2 core schema: no custom tags, no
 * timestamps or binary, duplicate keys rejected.
 *
 * @example
 * ```ts
 * import { parseDocument } from "./source.ts";
 * import { equal } from "node:assert/strict";
 * const doc = parseDocument("a: 1\nb:\n  - x\n  - y\n", "p.yaml");
 * equal(doc.locate(["b", 1]).line, 4);
 * ```
 */
export function parseDocument(text: string, file: string): SourceDocument {
  if (text.length > MAX_DOCUMENT_BYTES) {
    throw new WatchtowerError(
      "policy_invalid",
      `Cannot load policy ${file}: larger than ${MAX_DOCUMENT_BYTES} bytes`,
      { location: { file } },
    );
  }
  const root: Node = { start: 0, end: text.length, kind: null, children: [] };
  const stack: Node[] = [root];
  let value: unknown;
  try {
    value = yaml.load(text, {
      filename: file,
      schema: yaml.CORE_SCHEMA,
      json: false,
      listener(event: "open" | "close", state: { position: number; kind: string | null }) {
        if (event === "open") {
          const node: Node = {
            start: state.position,
            end: state.position,
            kind: null,
            children: [],
          };
          stack.at(-1)!.children.push(node);
          stack.push(node);
        } else if (stack.length > 1) {
          const node = stack.pop()!;
          node.end = state.position;
          node.kind = state.kind;
        }
      },
    });
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      const { mark, reason: why } = error as {
        mark?: { line: number; column: number };
        reason?: string;
      };
      const line = (mark?.line ?? 0) + 1;
      const column = (mark?.column ?? 0) + 1;
      const reason = String(why ?? "cannot parse").replace(/\s+/g, " ");
      throw new WatchtowerError(
        "policy_invalid",
        `Cannot load policy ${file}:${line}:${column}: ${reason}`,
        { location: { file, line, column }, cause: error },
      );
    }
    throw error;
  }
  const locate = (path: FieldPath, options: { key?: boolean } = {}) =>
    locateIn(text, root, value, path, options.key ?? false);
  rejectProtoKeys(value, [], file, locate);
  return { file, value, locate };
}

function rejectProtoKeys(
  value: unknown,
  path: Array<string | number>,
  file: string,
  locate: (path: FieldPath, options?: { key?: boolean }) => Position,
): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => rejectProtoKeys(item, [...path, i], file, locate));
  } else if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      if (key === "__proto__" || key === "constructor" || key === "prototype") {
        const { line, column } = locate([...path, key], { key: true });
        throw new WatchtowerError(
          "policy_invalid",
          `Cannot load policy ${file}:${line}:${column}: key '${key}' is not allowed`,
          { location: { file, line, column } },
        );
      }
      rejectProtoKeys((value as Record<string, unknown>)[key], [...path, key], file, locate);
    }
  }
}

/** Collapses the wrapper nodes js-yaml opens around one value (block and flow contexts). */
function unwrap(node: Node): Node {
  let current = node;
  while (current.children.length === 1 && current.kind !== "scalar") {
    const child = current.children[0]!;
    if (current.kind !== null && child.kind !== current.kind) break;
    current = child;
  }
  return current;
}

function locateIn(
  text: string,
  root: Node,
  value: unknown,
  path: FieldPath,
  wantKey: boolean,
): Position {
  let node = unwrap(root);
  let current: unknown = value;
  for (const [depth, key] of path.entries()) {
    const last = depth === path.length - 1;
    let child: Node | undefined;
    if (Array.isArray(current) && typeof key === "number") {
      child = node.kind === "sequence" ? node.children[key] : undefined;
      current = current[key];
    } else if (current !== null && typeof current === "object" && typeof key === "string") {
      const keys = Object.keys(current);
      const index = keys.indexOf(key);
      // A mapping's children alternate key, value in document order.
      if (node.kind === "mapping" && index >= 0 && node.children.length === keys.length * 2) {
        child = node.children[index * 2 + (last && wantKey ? 0 : 1)];
      }
      current = (current as Record<string, unknown>)[key];
    }
    if (!child) break;
    node = unwrap(child);
  }
  return positionOf(text, node.start);
}

function positionOf(text: string, offset: number): Position {
  let at = offset;
  // js-yaml reports where it started looking; skip to the value itself.
  while (at < text.length && /[\s:?-]/.test(text[at]!)) {
    if (text[at] === "-" && !/\s/.test(text[at + 1] ?? " ")) break;
    at++;
  }
  if (at >= text.length) at = offset;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: at - lineStart + 1 };
}
