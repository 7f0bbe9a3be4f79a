import { Graph } from "@dagrejs/graphlib";
import { compareText } from "../common/text.js";
import type { ResolvedMap } from "../map/model.js";
import type { EdgeKind, NodeId } from "../map/resolve.js";
import { nodeKey, nodeKind, type DependencyGraph } from "./dependency-graph.js";

/** The edge kinds `berth graph --edges` filters by, as the map's keys name them. */
export const EDGE_FILTERS = ["links", "uses", "network_mode", "depends_on", "networks"] as const;
export type EdgeFilter = (typeof EDGE_FILTERS)[number];

const FILTER_OF: Record<EdgeKind, EdgeFilter> = {
  links: "links",
  "network-link": "links",
  attaches: "uses",
  "uses-volume": "uses",
  "uses-container": "uses",
  "network-mode": "network_mode",
  "depends-on": "depends_on",
  network: "networks",
};

export interface GraphViewOptions {
  /** One node per instance; default: one per config (`web ×3`). */
  instances?: boolean;
  /** Edge kinds shown (default: all); `networks` shows network membership as clusters. */
  edges?: ReadonlySet<EdgeFilter>;
  /** Only these graph nodes (a target's closure); default: all. */
  nodes?: ReadonlySet<NodeId>;
}

export interface ViewNode {
  id: string;
  kind: "container" | "volume";
  label: string;
}

export interface ViewEdge {
  /** The dependent. */
  from: string;
  /** What it needs. */
  to: string;
  filter: EdgeFilter;
  /** The edge kind, and for `depends_on` its condition: `depends_on: healthy`. */
  label: string;
}

export interface ViewCluster {
  network: string;
  /** The ids of the nodes drawn inside it. */
  members: string[];
}

/** The graph as people read it: nodes, labelled edges, and network clusters. */
export interface GraphView {
  nodes: ViewNode[];
  edges: ViewEdge[];
  clusters: ViewCluster[];
}

/** What the drawing holds: the nodes people see, and one node per network as their cluster. */
type DrawingNode = ViewNode | { id: string; kind: "network"; network: string };
type Drawing = Graph<unknown, DrawingNode, ViewEdge>;

/**
 * The dependency graph drawn for people: instances collapsed into their config unless asked,
 * only the chosen edge kinds, networks as clusters of their members. It is built as a compound
 * multigraph (graphlib): a network is a parent node, and since a node has one parent at most it
 * is drawn in one cluster only — the first of its networks by name; its label names the others.
 * Parallel edges of one kind between two drawn nodes (instances collapsed) are one edge.
 */
export function graphView(
  graph: DependencyGraph,
  resolved: ResolvedMap,
  options: GraphViewOptions = {},
): GraphView {
  const shown = options.edges ?? new Set(EDGE_FILTERS);
  const keep = (n: NodeId) => options.nodes === undefined || options.nodes.has(n);
  const configOf = new Map(resolved.containers.map((c) => [c.key, c.config]));
  const viewId = (n: NodeId): string => {
    if (nodeKind(n) !== "container" || options.instances === true) return n;
    return `container:${configOf.get(nodeKey(n)) ?? nodeKey(n)}`;
  };

  const drawing: Drawing = new Graph({ directed: true, multigraph: true, compound: true });
  const membership = new Map<string, Set<string>>();
  for (const n of graph.order()) {
    if (!keep(n) || nodeKind(n) === "network") continue;
    // Volumes are drawn with the edges that reach them (`uses`) only.
    if (nodeKind(n) === "volume" && !shown.has("uses")) continue;
    drawing.setNode(viewId(n));
  }
  for (const e of graph.edges()) {
    if (!keep(e.dependent) || !keep(e.dependency)) continue;
    const filter = FILTER_OF[e.kind];
    if (!shown.has(filter)) continue;
    if (filter === "networks") {
      const member = viewId(e.dependent);
      membership.set(member, (membership.get(member) ?? new Set<string>()).add(nodeKey(e.dependency)));
      continue;
    }
    const label =
      e.kind === "depends-on" ? `depends_on: ${conditionOf(resolved, e.dependent, e.dependency)}` : e.kind;
    const edge: ViewEdge = { from: viewId(e.dependent), to: viewId(e.dependency), filter, label };
    drawing.setEdge(edge.from, edge.to, edge, label);
  }
  labelNodes(drawing, resolved, membership, options.instances === true);
  placeInClusters(drawing, membership);
  return viewOf(drawing);
}

/** Each drawn node's label: its key, `×N` for a collapsed config, and its other networks. */
function labelNodes(
  drawing: Drawing,
  resolved: ResolvedMap,
  membership: ReadonlyMap<string, ReadonlySet<string>>,
  instances: boolean,
): void {
  const instancesOf = new Map<string, number>();
  for (const c of resolved.containers) instancesOf.set(c.config, (instancesOf.get(c.config) ?? 0) + 1);
  for (const id of drawing.nodes()) {
    const kind = id.startsWith("container:") ? "container" : "volume";
    const key = id.slice(id.indexOf(":") + 1);
    const count = kind === "container" && !instances ? (instancesOf.get(key) ?? 1) : 1;
    const others = [...(membership.get(id) ?? [])].sort(compareText).slice(1);
    const label = [
      kind === "container" ? key : `volume ${key}`,
      count > 1 ? ` ×${count}` : "",
      others.length > 0 ? `\n(also on ${others.join(", ")})` : "",
    ].join("");
    drawing.setNode(id, { id, kind, label });
  }
}

function placeInClusters(drawing: Drawing, membership: ReadonlyMap<string, ReadonlySet<string>>): void {
  for (const [member, networks] of membership) {
    const first = [...networks].sort(compareText)[0];
    if (first === undefined || !drawing.hasNode(member)) continue;
    const cluster = `network:${first}`;
    if (!drawing.hasNode(cluster)) drawing.setNode(cluster, { id: cluster, kind: "network", network: first });
    drawing.setParent(member, cluster);
  }
}

/** The drawing as plain, sorted data for the renderers and `--format json`. */
function viewOf(drawing: Drawing): GraphView {
  const labels = drawing.nodes().map((id) => drawing.node(id));
  const nodes = labels
    .filter((n): n is ViewNode => n.kind !== "network")
    .sort((a, b) => compareText(a.id, b.id));
  const clusters = labels
    .filter((n) => n.kind === "network")
    .map((n) => ({ network: n.network, members: drawing.children(n.id).sort(compareText) }))
    .sort((a, b) => compareText(a.network, b.network));
  const edges = drawing
    .edges()
    .map((e) => drawing.edge(e))
    .sort((a, b) => compareText(a.from, b.from) || compareText(a.to, b.to) || compareText(a.label, b.label));
  return { nodes, edges, clusters };
}

function conditionOf(resolved: ResolvedMap, dependent: NodeId, dependency: NodeId): string {
  const container = resolved.containers.find((c) => c.key === nodeKey(dependent));
  return container?.dependsOn.find((d) => d.container === nodeKey(dependency))?.condition ?? "started";
}

const EDGE_STYLE: Record<EdgeFilter, string> = {
  links: "solid",
  uses: "dashed",
  network_mode: "bold",
  depends_on: "dotted",
  networks: "solid",
};

/** Graphviz dot: networks as `cluster_` subgraphs, edges from the dependent to what it needs. */
export function viewToDot(view: GraphView): string {
  const lines = ["digraph berth {", "  rankdir=LR;", "  compound=true;"];
  const clustered = new Set(view.clusters.flatMap((c) => c.members));
  const nodeLine = (node: ViewNode, indent: string) =>
    `${indent}${quote(node.id)} [label=${quote(node.label)}, shape=${node.kind === "container" ? "box" : "cylinder"}];`;
  view.clusters.forEach((cluster, i) => {
    lines.push(
      `  subgraph cluster_${i} {`,
      `    label=${quote(`network ${cluster.network}`)};`,
      "    style=dashed;",
    );
    for (const id of cluster.members) {
      const node = view.nodes.find((n) => n.id === id);
      if (node !== undefined) lines.push(nodeLine(node, "    "));
    }
    lines.push("  }");
  });
  for (const node of view.nodes) if (!clustered.has(node.id)) lines.push(nodeLine(node, "  "));
  for (const e of view.edges)
    lines.push(
      `  ${quote(e.from)} -> ${quote(e.to)} [label=${quote(e.label)}, style=${EDGE_STYLE[e.filter]}];`,
    );
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** Mermaid: networks as subgraphs. */
export function viewToMermaid(view: GraphView): string {
  const ids = new Map(view.nodes.map((n, i) => [n.id, `n${i}`]));
  const lines = ["graph LR"];
  const nodeLine = (node: ViewNode, indent: string) => {
    const label = node.label.replace(/"/g, "'").replace(/\n/g, "<br>");
    const [open, close] = node.kind === "container" ? [`["`, `"]`] : [`[("`, `")]`];
    return `${indent}${ids.get(node.id)}${open}${label}${close}`;
  };
  const clustered = new Set(view.clusters.flatMap((c) => c.members));
  view.clusters.forEach((cluster, i) => {
    lines.push(`  subgraph net${i}["network ${cluster.network.replace(/"/g, "'")}"]`);
    for (const node of view.nodes.filter((n) => cluster.members.includes(n.id)))
      lines.push(nodeLine(node, "    "));
    lines.push("  end");
  });
  for (const node of view.nodes) if (!clustered.has(node.id)) lines.push(nodeLine(node, "  "));
  for (const e of view.edges) lines.push(`  ${ids.get(e.from)} -->|${e.label}| ${ids.get(e.to)}`);
  return `${lines.join("\n")}\n`;
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}
