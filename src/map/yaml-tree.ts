import type { Document, Node as YamlNode, Scalar } from "yaml";
import { yamlLibrary } from "../common/lazy-modules.js";

/**
 * A parsed YAML document as plain data: what berth reads from the yaml package's nodes (kinds,
 * scalar values and styles, tags, source offsets, aliases), before any `${VAR}` is interpolated.
 * It can be saved as JSON and read back instead of parsing the same text again; it holds nothing
 * that is not in the text itself.
 */
export interface YamlTree {
  /** Nodes by index; children and alias targets refer to indexes (-1: none). */
  nodes: TreeNode[];
  root: number;
  /** Offsets where lines start, as the yaml package's LineCounter records them. */
  lineStarts: number[];
  /**
   * The map schema (its digest) that the document's value passed, when that value depends on
   * nothing but the text (no `${VAR}`, no `!path`): then it passes again without being checked.
   */
  passed?: string;
}

/** Values of the core schema; in memory, a custom tag's value may be something else (never saved). */
export type ScalarValue = string | number | boolean | null;

interface NodeBase {
  /** Offset of the node in the text, when the yaml package gave one. */
  o?: number;
  tag?: string;
}

export interface TreeScalar extends NodeBase {
  k: "s";
  v: ScalarValue | object;
  /** The scalar's style (`PLAIN`, `QUOTE_DOUBLE`, …). */
  st?: string;
  /** A `<<` merge key. */
  merge?: true;
}

export interface TreeMap extends NodeBase {
  k: "m";
  pairs: [key: number, value: number][];
}

export interface TreeSeq extends NodeBase {
  k: "q";
  items: number[];
}

export interface TreeAlias extends NodeBase {
  k: "a";
  /** The alias's name, without `*`. */
  src: string;
  to: number;
}

export type TreeNode = TreeScalar | TreeMap | TreeSeq | TreeAlias;

export const NO_NODE = -1;

/** Scalar styles, as the yaml package names them. */
export const PLAIN = "PLAIN";
export const QUOTE_DOUBLE = "QUOTE_DOUBLE";
export const QUOTE_SINGLE = "QUOTE_SINGLE";

/** The tree of a document the yaml package parsed without errors. */
export function treeOf(doc: Document, lineStarts: readonly number[]): YamlTree {
  const { isAlias, isMap, isScalar, isSeq } = yamlLibrary();
  const nodes: TreeNode[] = [];
  const indexes = new Map<unknown, number>();
  // Nodes are converted in document order, so the latest node seen with an anchor is the one an
  // alias refers to (the last one before it, as YAML says). The yaml package's own Alias.resolve
  // walks the whole document for each alias: quadratic, 18 s for a list of 10,000 aliases.
  const anchors = new Map<string, YamlNode>();
  const add = (node: unknown): number => {
    if (node === null || node === undefined) return NO_NODE;
    const known = indexes.get(node);
    if (known !== undefined) return known;
    // The index is taken before the children are converted: an alias inside a node to that node
    // itself (reported when values are built) refers to it like any other.
    const index = nodes.length;
    indexes.set(node, index);
    nodes.push({ k: "s", v: null });
    nodes[index] = convert(node as YamlNode);
    return index;
  };
  const base = (node: YamlNode): NodeBase => ({
    ...(node.range ? { o: node.range[0] } : {}),
    ...(node.tag === undefined ? {} : { tag: node.tag }),
  });
  const convert = (node: YamlNode): TreeNode => {
    if (isAlias(node)) return { ...base(node), k: "a", src: node.source, to: add(anchors.get(node.source)) };
    if (node.anchor !== undefined) anchors.set(node.anchor, node);
    if (isScalar(node)) return scalarOf(node, base(node));
    if (isMap(node))
      return { ...base(node), k: "m", pairs: node.items.map((pair) => [add(pair.key), add(pair.value)]) };
    if (isSeq(node)) return { ...base(node), k: "q", items: node.items.map((item) => add(item)) };
    return { ...base(node), k: "s", v: null };
  };
  const root = add(doc.contents);
  return { nodes, root, lineStarts: [...lineStarts] };
}

function scalarOf(node: Scalar, base: NodeBase): TreeScalar {
  const style = node.type === undefined ? {} : { st: node.type };
  if (typeof node.value === "symbol" || (node.value === "<<" && node.type === PLAIN))
    return { ...base, ...style, k: "s", v: "<<", merge: true };
  return { ...base, ...style, k: "s", v: node.value as ScalarValue | object };
}

/**
 * Whether the tree survives a trip through JSON unchanged: numbers JSON cannot hold (NaN,
 * ±Infinity, -0) and values of custom tags are kept in memory but not saved.
 */
export function isJsonSafe(tree: YamlTree): boolean {
  return tree.nodes.every((node) => node.k !== "s" || isJsonScalar(node.v));
}

function isJsonScalar(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value) && !Object.is(value, -0);
  return value === null || typeof value === "string" || typeof value === "boolean";
}

/**
 * A tree read back from JSON, checked enough that building values from it cannot go astray:
 * every node has a known kind and every reference points at a node.
 */
export function asYamlTree(value: unknown): YamlTree | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { nodes, root, lineStarts } = value as Partial<YamlTree>;
  if (!Array.isArray(nodes) || !Array.isArray(lineStarts) || typeof root !== "number") return undefined;
  const count = nodes.length;
  const isRef = (i: unknown) => typeof i === "number" && i >= NO_NODE && i < count && Number.isInteger(i);
  if (!isRef(root)) return undefined;
  for (const start of lineStarts) if (typeof start !== "number") return undefined;
  for (const node of nodes as unknown[]) if (!isTreeNode(node, isRef)) return undefined;
  const { passed } = value as { passed?: unknown };
  return typeof passed === "string" ? { nodes, root, lineStarts, passed } : { nodes, root, lineStarts };
}

function isTreeNode(node: unknown, isRef: (i: unknown) => boolean): boolean {
  if (typeof node !== "object" || node === null) return false;
  const n = node as Record<string, unknown>;
  if ((n.o !== undefined && typeof n.o !== "number") || (n.tag !== undefined && typeof n.tag !== "string"))
    return false;
  switch (n.k) {
    case "s":
      return isJsonScalar(n.v) && (n.st === undefined || typeof n.st === "string");
    case "m": {
      if (!Array.isArray(n.pairs)) return false;
      for (const pair of n.pairs as unknown[]) {
        if (!Array.isArray(pair) || pair.length !== 2 || !isRef(pair[0]) || !isRef(pair[1])) return false;
      }
      return true;
    }
    case "q": {
      if (!Array.isArray(n.items)) return false;
      for (const item of n.items as unknown[]) if (!isRef(item)) return false;
      return true;
    }
    case "a":
      return typeof n.src === "string" && isRef(n.to);
    default:
      return false;
  }
}
