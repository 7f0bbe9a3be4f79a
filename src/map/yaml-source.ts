import type { LineCounter as YamlLineCounter } from "yaml";
import { yamlLibrary } from "../common/lazy-modules.js";
import { text } from "../common/text.js";
import { expandPath, interpolate, type Environment } from "./interpolate.js";
import type { ProblemList } from "./map-error.js";
import { type SourcePosition } from "./map-error.js";
import type { ParseCache } from "./parse-cache.js";
import {
  composeWithinLimits,
  lineAndColumn,
  MAX_ALIAS_VALUES,
  MAX_NESTING,
  nestingBreach,
  sizeBreach,
} from "./yaml-limits.js";
import {
  isJsonSafe,
  NO_NODE,
  PLAIN,
  QUOTE_DOUBLE,
  QUOTE_SINGLE,
  treeOf,
  type TreeScalar,
  type YamlTree,
} from "./yaml-tree.js";

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
  /** Values and keys written in quotes: their text starts one column after their position. */
  private readonly quoted = new Set<string>();

  constructor(readonly file: string) {}

  setQuoted(path: MapPath, key: boolean): void {
    this.quoted.add(`${key ? "k" : "v"}${pathKey(path)}`);
  }

  /** The column of the text's first character, past an opening quote. */
  textColumn(path: MapPath, key: boolean): number {
    const at = key ? this.keyAt(path) : this.valueAt(path);
    return at.col + (this.quoted.has(`${key ? "k" : "v"}${pathKey(path)}`) ? 1 : 0);
  }

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
  /**
   * The map schema this value is known to pass (see YamlTree.passed), and a way to remember that
   * it passed the current one (only for a cached text whose value depends on nothing else).
   */
  passed?: string;
  rememberPassed?: (schemaDigest: string) => void;
}

export interface ParseOptions {
  env: Environment;
  /** Most values aliases may expand to in a document (default MAX_ALIAS_VALUES); bounds "billion laughs". */
  maxNodes?: number;
  /** Trees of texts parsed before: a text found there is not parsed again. */
  cache?: ParseCache;
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
  const positions = new PositionIndex(file);
  const tooLarge = sizeBreach(text);
  if (tooLarge !== undefined) {
    problems.add({ file, ...lineAndColumn(text, tooLarge.offset) }, tooLarge.message, tooLarge.hint);
    return { file, value: null, positions };
  }
  const tree = options.cache?.get(text) ?? parseTree(text, file, problems, options.cache);
  if (tree === undefined) return { file, value: null, positions };
  const at = (offset: number): SourcePosition => ({ file, ...linePosition(tree.lineStarts, offset) });
  const builder = new ValueBuilder(tree, text, positions, at, options, problems);
  const value = builder.build(tree.root, [], { file, line: 1, col: 1 });
  const source: YamlSource = { file, value, positions };
  // A value that used the environment may pass or fail with other variables: not remembered.
  if (builder.usedEnvironment || options.cache === undefined || tree.root === NO_NODE) return source;
  if (tree.passed !== undefined) source.passed = tree.passed;
  const cache = options.cache;
  source.rememberPassed = (schemaDigest) => {
    if (tree.passed !== schemaDigest && isJsonSafe(tree)) cache.set(text, { ...tree, passed: schemaDigest });
  };
  return source;
}

/**
 * The yaml package's parse of a text as a tree, or undefined after reporting its problems.
 * Only a text without problems is kept in the cache.
 */
function parseTree(
  text: string,
  file: string,
  problems: ProblemList,
  cache: ParseCache | undefined,
): YamlTree | undefined {
  const { Composer, LineCounter } = yamlLibrary();
  const lineCounter: YamlLineCounter = new LineCounter();
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const composer = new Composer({
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
  const composed = composeWithinLimits(text, lineCounter, composer);
  if (!("documents" in composed)) {
    problems.add(at(composed.offset), composed.message, composed.hint);
    return undefined;
  }
  const docs = composed.documents;
  const first = docs[0];
  if (first === undefined) return { nodes: [], root: NO_NODE, lineStarts: [] };
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
  if (reported) return undefined;
  const tree = treeOf(first, lineCounter.lineStarts);
  if (cache !== undefined && docs.length === 1 && isJsonSafe(tree)) cache.set(text, tree);
  return tree;
}

/**
 * The line and column (from 1) of an offset, given the offsets where lines start, as the yaml
 * package's LineCounter answers it: an offset before the first recorded line start is on line 0.
 */
export function linePosition(lineStarts: readonly number[], offset: number): { line: number; col: number } {
  // The first line start at or after the offset.
  let low = 0;
  let high = lineStarts.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((lineStarts[middle] as number) < offset) low = middle + 1;
    else high = middle;
  }
  if (lineStarts[low] === offset) return { line: low + 1, col: 1 };
  if (low === 0) return { line: 0, col: offset };
  return { line: low, col: offset - (lineStarts[low - 1] as number) + 1 };
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
  /** Whether any value was interpolated or expanded with the environment. */
  usedEnvironment = false;
  /** Values built while expanding an alias: what an alias bomb multiplies. */
  private expanded = 0;
  private readonly maxNodes: number;
  private bombReported = false;
  private nestingReported = false;
  private readonly resolving = new Set<number>();

  /** Positions of the aliases being expanded, innermost last (where an alias bomb is reported). */
  private readonly aliasStack: SourcePosition[] = [];

  constructor(
    private readonly tree: YamlTree,
    private readonly text: string,
    private readonly positions: PositionIndex,
    private readonly at: (offset: number) => SourcePosition,
    private readonly options: ParseOptions,
    private readonly problems: ProblemList,
  ) {
    this.maxNodes = options.maxNodes ?? MAX_ALIAS_VALUES;
  }

  build(index: number, path: MapPath, fallback: SourcePosition, pathTag = false): unknown {
    if (this.aliasStack.length > 0 && ++this.expanded > this.maxNodes) {
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
    // The text's own nesting was bounded while parsing; aliases can nest values deeper still.
    if (path.length > MAX_NESTING) {
      if (!this.nestingReported) {
        this.nestingReported = true;
        const { message, hint } = nestingBreach(0);
        this.problems.add(this.aliasStack[0] ?? fallback, message, hint);
      }
      return null;
    }
    const node = this.tree.nodes[index];
    if (node === undefined) {
      this.positions.setValue(path, fallback);
      return null;
    }
    const position = node.o === undefined ? fallback : this.at(node.o);
    if (node.k === "a") {
      this.positions.setValue(path, position);
      if (node.to === NO_NODE) {
        this.problems.add(position, `unknown alias *${node.src}`);
        return null;
      }
      if (this.resolving.has(node.to)) {
        this.problems.add(position, `alias *${node.src} refers to a value that contains it`);
        return null;
      }
      this.resolving.add(node.to);
      this.aliasStack.push(position);
      try {
        const value = this.build(node.to, path, position, pathTag);
        this.positions.setValue(path, position);
        return value;
      } finally {
        this.resolving.delete(node.to);
        this.aliasStack.pop();
      }
    }
    this.positions.setValue(path, position);
    if (node.k === "s" && isQuoted(node.st)) this.positions.setQuoted(path, false);
    const tagged = node.tag === "!path" || node.tag === "!path_lazy";
    switch (node.k) {
      case "s":
        return this.scalar(node, position, pathTag || tagged);
      case "m":
        return this.mapping(node.pairs, path, position, tagged);
      case "q":
        return node.items.map((item, i) => this.build(item, [...path, i], position, tagged));
    }
  }

  private scalar(node: TreeScalar, position: SourcePosition, pathTag: boolean): unknown {
    const value = node.v;
    if (typeof value !== "string") return value;
    if (pathTag) {
      this.usedEnvironment = true;
      return expandPath(value, this.options.env);
    }
    if (value.includes("${")) this.usedEnvironment = true;
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
    if (result.value !== value && node.st === PLAIN && result.value.trim() !== "") {
      try {
        const reread = yamlLibrary().parse(result.value) as unknown;
        if (typeof reread === "number" || typeof reread === "boolean") return reread;
      } catch {
        // not a scalar of its own: keep the text
      }
    }
    return result.value;
  }

  /** Where an offset inside a scalar's value is in the file, when the source is the value itself. */
  private offsetPosition(node: TreeScalar, offset: number): SourcePosition | undefined {
    if (node.o === undefined || typeof node.v !== "string") return undefined;
    const start = node.o;
    const quote = node.st === QUOTE_DOUBLE || node.st === QUOTE_SINGLE ? 1 : 0;
    if (node.st !== PLAIN && quote === 0) return undefined;
    if (this.text.slice(start + quote, start + quote + node.v.length) !== node.v) return undefined;
    return this.at(start + quote + offset);
  }

  private mapping(
    pairs: readonly (readonly [number, number])[],
    path: MapPath,
    position: SourcePosition,
    pathTag: boolean,
  ): Record<string, unknown> {
    // Merge sources are built first, so positions of explicit keys overwrite theirs.
    const merged: Record<string, unknown>[] = [];
    for (const [key, value] of pairs) {
      const keyNode = this.tree.nodes[key];
      if (keyNode?.k === "s" && keyNode.merge) {
        const keyPosition = keyNode.o === undefined ? position : this.at(keyNode.o);
        merged.push(...this.mergeSources(value, path, keyPosition));
      }
    }
    this.positions.setValue(path, position);
    const out: Record<string, unknown> = {};
    for (const [key, value] of pairs) {
      const keyNode = this.tree.nodes[key];
      if (keyNode?.k === "s" && keyNode.merge) continue;
      const keyPosition = keyNode?.o === undefined ? position : this.at(keyNode.o);
      if (keyNode?.k !== "s" || keyNode.v === null || typeof keyNode.v === "object") {
        this.problems.add(keyPosition, "a mapping key must be a plain value (a name, a path or a number)");
        continue;
      }
      const name = text(keyNode.v);
      if (Object.hasOwn(out, name)) {
        this.problems.add(keyPosition, `duplicate key \`${name}\``, "a mapping holds each key once");
        continue;
      }
      const childPath = [...path, name];
      this.positions.setKey(childPath, keyPosition);
      if (isQuoted(keyNode.st)) this.positions.setQuoted(childPath, true);
      // `!path` on a mapping expands its values, one level deep (as docker-map does).
      out[name] = this.build(value, childPath, keyPosition, pathTag);
    }
    // Explicit keys win over merged ones, and earlier merge sources over later ones (YAML 1.1).
    for (const source of merged) {
      for (const [key, value] of Object.entries(source)) {
        if (!(key in out)) out[key] = value;
      }
    }
    return out;
  }

  private mergeSources(index: number, path: MapPath, position: SourcePosition): Record<string, unknown>[] {
    const node = this.tree.nodes[index];
    const sources = node?.k === "q" ? node.items : [index];
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

function isQuoted(style: string | undefined): boolean {
  return style === "QUOTE_DOUBLE" || style === "QUOTE_SINGLE";
}
