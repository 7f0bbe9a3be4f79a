import { compareText } from "../common/text.js";
import { formatPosition } from "../map/map-error.js";
import type { NodeId } from "../map/resolve.js";
import { nodeKey, nodeKind, nodeLabel, type DependencyGraph } from "./dependency-graph.js";

export type GraphFormat = "json" | "dot" | "mermaid";

/** Renders the graph restricted to `nodes`; edges point from a dependent to what it needs. */
export function renderGraph(
  graph: DependencyGraph,
  format: GraphFormat,
  nodes?: ReadonlySet<NodeId>,
): string {
  const keep = (n: NodeId) => nodes === undefined || nodes.has(n);
  const nodeList = graph.order().filter(keep);
  const edges = graph
    .edges()
    .filter((e) => keep(e.dependency) && keep(e.dependent))
    .slice()
    .sort(
      (a, b) =>
        compareText(a.dependent, b.dependent) ||
        compareText(a.dependency, b.dependency) ||
        compareText(a.kind, b.kind),
    );
  switch (format) {
    case "json":
      return `${JSON.stringify(
        {
          nodes: nodeList.map((id) => ({ id, kind: nodeKind(id), key: nodeKey(id) })),
          edges: edges.map((e) => ({
            dependent: e.dependent,
            dependency: e.dependency,
            kind: e.kind,
            at: formatPosition(e.at),
          })),
          levels: graph
            .levels()
            .map((level) => level.filter(keep))
            .filter((level) => level.length > 0),
        },
        null,
        2,
      )}\n`;
    case "dot": {
      const lines = ["digraph berth {", "  rankdir=LR;"];
      for (const id of nodeList) {
        const shape =
          nodeKind(id) === "container" ? "box" : nodeKind(id) === "volume" ? "cylinder" : "ellipse";
        lines.push(`  ${quote(id)} [label=${quote(nodeLabel(id))}, shape=${shape}];`);
      }
      for (const e of edges)
        lines.push(`  ${quote(e.dependent)} -> ${quote(e.dependency)} [label=${quote(e.kind)}];`);
      lines.push("}");
      return `${lines.join("\n")}\n`;
    }
    case "mermaid": {
      const ids = new Map(nodeList.map((id, i) => [id, `n${i}`]));
      const lines = ["graph LR"];
      for (const id of nodeList) {
        const label = nodeLabel(id).replace(/"/g, "'");
        const shape =
          nodeKind(id) === "container"
            ? [`["`, `"]`]
            : nodeKind(id) === "volume"
              ? [`[("`, `")]`]
              : [`(["`, `"])`];
        lines.push(`  ${ids.get(id)}${shape[0]}${label}${shape[1]}`);
      }
      for (const e of edges) lines.push(`  ${ids.get(e.dependent)} -->|${e.kind}| ${ids.get(e.dependency)}`);
      return `${lines.join("\n")}\n`;
    }
  }
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
