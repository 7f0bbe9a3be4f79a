import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  parse as parseYamlScalar,
  Scalar,
  type Document,
  type Node as YamlNode,
  type Pair,
} from "yaml";
import { text } from "../common/text.js";
import { expandPath, interpolate, type Environment } from "./interpolate.js";
import type { ProblemList } from "./map-error.js";
import { type SourcePosition } from "./map-error.js";

/** A path into a map value: keys and list indexes, e.g. `["containers", "web", "links", 0]`. */
export type MapPath = readonly (string | number)[];

const SEPARATOR = "\u0000";
const pathKey = (path: MapPath): string => path.join(SEPARATOR);

/**
 * Where each value (and each mapping key) of a parsed file came from, so any later stage can
 * report a problem at the right line and column.
 */
export class PositionIndex {
  private readonly values = new Map<string, SourcePosition>();
  private readonly keys = new Map<string, SourcePosition>();

  constructor(readonly file: string) {}

  setValue(path: MapPath, at: SourcePosition): void {
    this.values.set(pathKey(path), at);
  }

  setKey(path: MapPath, at: SourcePosition): void {
    this.keys.set(pathKey(path), at);
  }

  has(path: MapPath): boolean {
    return this.values.has(pathKey(path));
  }

  /** The position of the value at `path`, or of its nearest recorded ancestor. */
  valueAt(path: MapPath): SourcePosition {
    for (let n = path.length; n >= 0; n--) {
      const found = this.values.get(pathKey(path.slice(0, n)));
      if (found) return found;
    }
    return { file: this.file, line: 1, col: 1 };
  }

  /** The position of the mapping key that leads to `path` (falls back to the value). */
  keyAt(path: MapPath): SourcePosition {
    return this.keys.get(pathKey(path)) ?? this.valueAt(path);
  }
}

export interface YamlSource {
  file: string;
  value: unknown;
  positions: PositionIndex;
}

export interface ParseOptions {
  env: Environment;
  /** Most nodes a document may expand to through aliases; bounds "billion laughs" documents. */
  maxNodes?: number;
}

const CUSTOM_TAGS = ["!path", "!path_lazy"];

/**
 * Parses one map file into a plain value plus a position index. Interpolates `${VAR}` in string
 * scalars, expands `!path` values, resolves aliases and `<<` merge keys, and reports every YAML
 * problem (syntax, duplicate keys, unknown tags, alias bombs) with its position.
 */
export function parseYamlSource(
  text: string,
  file: string,
  options: ParseOptions,
  problems: ProblemList,
): YamlSource {
  const lineCounter = new LineCounter();
  const positions = new PositionIndex(file);
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const documents = parseAllDocuments(text, {
    lineCounter,
    merge: true,
    // Duplicate keys are found while building values (the yaml package's check is quadratic in
    // the keys of a mapping, and a map's top level can hold thousands of containers).
    uniqueKeys: false,
    prettyErrors: false,
    customTags: CUSTOM_TAGS.flatMap((tag) => [
      { tag, resolve: (value: string) => value },
      { tag, collection: "map" as const, resolve: (value: unknown) => value },
      { tag, collection: "seq" as const, resolve: (value: unknown) => value },
    ]),
  });
  const docs = Array.isArray(documents) ? documents : [documents];
  const first = docs[0];
  if (first === undefined) return { file, value: null, positions };
  for (const extra of docs.slice(1)) {
    problems.add(
      at(extra.range[0]),
      "a map file holds one YAML document; found another one here",
      "remove the `---`",
    );
  }
  let reported = false;
  // One mistake often makes the yaml package report several errors on a line: keep the first.
  const lines = new Set<number>();
  const errors = [...first.errors].sort((a, b) => errorRank(a.code) - errorRank(b.code));
  for (const error of errors) {
    const { offset, message, hint } = explainYamlError(
      error.code,
      error.pos[0],
      yamlMessage(error.message),
      text,
    );
    const position = atFirstNonSpace(at(offset), text);
    if (lines.has(position.line)) continue;
    lines.add(position.line);
    problems.add(position, message, hint);
    reported = true;
  }
  for (const warning of first.warnings) {
    // An unknown tag is a warning to the yaml package; to berth it is a mistake in the map.
    problems.add(at(warning.pos[0]), yamlMessage(warning.message), hintForWarning(warning.code));
    reported = true;
  }
  if (reported) return { file, value: null, positions };

  const builder = new ValueBuilder(first, text, positions, at, options, problems);
  const value = builder.build(first.contents, [], { file, line: 1, col: 1 });
  return { file, value, positions };
}

/** Of several errors on a line, the clearer one first. */
function errorRank(code: string): number {
  return code === "MULTILINE_IMPLICIT_KEY" ? 0 : code === "BLOCK_AS_IMPLICIT_KEY" ? 2 : 1;
}

/**
 * Moves some yaml errors to where the mistake is: an unclosed quote or `[` to where it opens,
 * an over-indented line to that line.
 */
function explainYamlError(
  code: string,
  offset: number,
  message: string,
  text: string,
): { offset: number; message: string; hint?: string } {
  if (code === "MISSING_CHAR" && /quote/i.test(message)) {
    const quote = message.includes("'") ? "'" : '"';
    const open = text.lastIndexOf(quote, Math.max(0, offset - 1));
    if (open >= 0)
      return { offset: open, message: `this ${quote === '"' ? "double" : "single"} quote is never closed` };
  }
  if (/Flow sequence|Flow mapping/.test(message)) {
    const [openChar, closeChar] = message.includes("sequence") ? ["[", "]"] : ["{", "}"];
    let depth = 0;
    for (let i = Math.min(offset, text.length) - 1; i >= 0; i--) {
      if (text[i] === closeChar) depth++;
      else if (text[i] === openChar) {
        if (depth === 0)
          return {
            offset: i,
            message: `this \`${openChar}\` is never closed`,
            hint: `end the list with \`${closeChar}\` on the same line or indent its items`,
          };
        depth--;
      }
    }
  }
  if (code === "MULTILINE_IMPLICIT_KEY" || code === "BLOCK_AS_IMPLICIT_KEY") {
    const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
    const lineEnd = text.indexOf("\n", offset);
    const indent = (line: string) => /^ */.exec(line)?.[0].length ?? 0;
    const current = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
    if (lineEnd >= 0) {
      const nextEnd = text.indexOf("\n", lineEnd + 1);
      const next = text.slice(lineEnd + 1, nextEnd < 0 ? undefined : nextEnd);
      if (next.trim() !== "" && indent(next) > indent(current)) {
        return {
          offset: lineEnd + 1 + indent(next),
          message: "this line is indented deeper than the key above it",
          hint: "YAML reads it as a continuation of the value above; align it with the other keys",
        };
      }
    }
  }
  return { offset, message };
}

/** The yaml package reports some errors at the start of a line; the mistake is at its first word. */
function atFirstNonSpace(position: SourcePosition, text: string): SourcePosition {
  if (position.col !== 1) return position;
  const line = text.split("\n")[position.line - 1] ?? "";
  const indent = /^ */.exec(line)?.[0].length ?? 0;
  return indent > 0 && indent < line.length ? { ...position, col: indent + 1 } : position;
}

function yamlMessage(message: string): string {
  // The yaml package appends " at line L, column C:" and a code excerpt; berth prints positions itself.
  const firstLine = message.split("\n")[0] ?? message;
  return firstLine
    .replace(/ at line \d+, column \d+:?$/, "")
    .replace(/^Unresolved tag: (.*)$/, "unknown YAML tag $1");
}

function hintForWarning(code: string): string | undefined {
  return code === "TAG_RESOLVE_FAILED" ? "the only custom tags are `!path` and `!path_lazy`" : undefined;
}

class ValueBuilder {
  private nodes = 0;
  private readonly maxNodes: number;
  private bombReported = false;
  private readonly resolving = new Set<YamlNode>();

  /** Positions of the aliases being expanded, innermost last (where an alias bomb is reported). */
  private readonly aliasStack: SourcePosition[] = [];

  constructor(
    private readonly doc: Document,
    private readonly text: string,
    private readonly positions: PositionIndex,
    private readonly at: (offset: number) => SourcePosition,
    private readonly options: ParseOptions,
    private readonly problems: ProblemList,
  ) {
    this.maxNodes = options.maxNodes ?? 100_000;
  }

  build(
    node: YamlNode | null | undefined,
    path: MapPath,
    fallback: SourcePosition,
    pathTag = false,
  ): unknown {
    if (++this.nodes > this.maxNodes) {
      if (!this.bombReported) {
        this.bombReported = true;
        this.problems.add(
          this.aliasStack[0] ?? fallback,
          `the document expands to more than ${this.maxNodes} values through aliases`,
          "an alias bomb? reduce the nesting of aliases",
        );
      }
      return null;
    }
    if (node === null || node === undefined) {
      this.positions.setValue(path, fallback);
      return null;
    }
    const position = node.range ? this.at(node.range[0]) : fallback;
    if (isAlias(node)) {
      this.positions.setValue(path, position);
      const target = node.resolve(this.doc) as YamlNode | undefined;
      if (target === undefined) {
        this.problems.add(position, `unknown alias *${node.source}`);
        return null;
      }
      if (this.resolving.has(target)) {
        this.problems.add(position, `alias *${node.source} refers to a value that contains it`);
        return null;
      }
      this.resolving.add(target);
      this.aliasStack.push(position);
      try {
        const value = this.build(target, path, position, pathTag);
        this.positions.setValue(path, position);
        return value;
      } finally {
        this.resolving.delete(target);
        this.aliasStack.pop();
      }
    }
    this.positions.setValue(path, position);
    const tagged = node.tag === "!path" || node.tag === "!path_lazy";
    if (isScalar(node)) return this.scalar(node, position, pathTag || tagged);

    if (isMap(node)) return this.mapping(node.items as Pair<YamlNode, YamlNode>[], path, position, tagged);
    if (isSeq(node)) {
      return (node.items as YamlNode[]).map((item, index) =>
        this.build(item, [...path, index], position, tagged),
      );
    }
    return null;
  }

  private scalar(node: Scalar, position: SourcePosition, pathTag: boolean): unknown {
    const value = node.value;
    if (typeof value !== "string") return value;
    if (pathTag) return expandPath(value, this.options.env);
    const result = interpolate(value, this.options.env);
    if (!result.ok) {
      const hint =
        result.failure.message.endsWith("is not set") && !result.failure.message.includes(":")
          ? `set it in the environment or in .env beside the map, or write \${${result.failure.variable}:-default}`
          : undefined;
      this.problems.add(
        this.offsetPosition(node, result.failure.offset) ?? position,
        result.failure.message,
        hint,
      );
      return value;
    }
    // An unquoted `${PORT}` becomes the number (or boolean) it stands for, as if written so;
    // any other text stays text.
    if (result.value !== value && node.type === Scalar.PLAIN && result.value.trim() !== "") {
      try {
        const reread = parseYamlScalar(result.value) as unknown;
        if (typeof reread === "number" || typeof reread === "boolean") return reread;
      } catch {
        // not a scalar of its own: keep the text
      }
    }
    return result.value;
  }

  /** Where an offset inside a scalar's value is in the file, when the source is the value itself. */
  private offsetPosition(node: Scalar, offset: number): SourcePosition | undefined {
    if (node.range === undefined || node.range === null || typeof node.value !== "string") return undefined;
    const start = node.range[0];
    const quote = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE ? 1 : 0;
    if (node.type !== Scalar.PLAIN && quote === 0) return undefined;
    if (this.text.slice(start + quote, start + quote + node.value.length) !== node.value) return undefined;
    return this.at(start + quote + offset);
  }

  private mapping(
    pairs: Pair<YamlNode, YamlNode>[],
    path: MapPath,
    position: SourcePosition,
    pathTag: boolean,
  ): Record<string, unknown> {
    // Merge sources are built first, so positions of explicit keys overwrite theirs.
    const merged: Record<string, unknown>[] = [];
    for (const pair of pairs) {
      if (isMergeKey(pair.key)) {
        const keyPosition = pair.key.range ? this.at(pair.key.range[0]) : position;
        merged.push(...this.mergeSources(pair.value, path, keyPosition));
      }
    }
    this.positions.setValue(path, position);
    const out: Record<string, unknown> = {};
    for (const pair of pairs) {
      const keyNode = pair.key;
      if (isMergeKey(keyNode)) continue;
      const keyPosition = keyNode?.range ? this.at(keyNode.range[0]) : position;
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === "object") {
        this.problems.add(keyPosition, "a mapping key must be a plain value (a name, a path or a number)");
        continue;
      }
      const key = text(keyNode.value);
      if (Object.hasOwn(out, key)) {
        this.problems.add(keyPosition, `duplicate key \`${key}\``, "a mapping holds each key once");
        continue;
      }
      const childPath = [...path, key];
      this.positions.setKey(childPath, keyPosition);
      // `!path` on a mapping expands its values, one level deep (as docker-map does).
      out[key] = this.build(pair.value, childPath, keyPosition, pathTag);
    }
    // Explicit keys win over merged ones, and earlier merge sources over later ones (YAML 1.1).
    for (const source of merged) {
      for (const [key, value] of Object.entries(source)) {
        if (!(key in out)) out[key] = value;
      }
    }
    return out;
  }

  private mergeSources(
    node: YamlNode | null | undefined,
    path: MapPath,
    position: SourcePosition,
  ): Record<string, unknown>[] {
    const sources = isSeq(node) ? (node.items as YamlNode[]) : [node];
    const out: Record<string, unknown>[] = [];
    for (const source of sources) {
      // Positions of merged values point into the anchored mapping; build it under this path.
      const value = this.build(source, path, position);
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        out.push(value as Record<string, unknown>);
      } else {
        this.problems.add(position, "a `<<` merge key takes a mapping or a list of mappings");
      }
    }
    return out;
  }
}

function isMergeKey(node: YamlNode | null | undefined): node is Scalar {
  return (
    isScalar(node) && (typeof node.value === "symbol" || (node.value === "<<" && node.type === Scalar.PLAIN))
  );
}
