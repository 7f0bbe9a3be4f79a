import { describe, expect, it } from "vitest";
import { EDGE_FILTERS, graphView, viewToDot, viewToMermaid } from "../../../src/graph/graph-view.js";
import { loadMap } from "../../../src/load-map.js";

/** web ×2 on two networks, linking app; app on backend, waiting for db healthy; worker shares app's network. */
const MAP = `
name: shop
networks:
  backend: {}
  frontend: {}
volumes:
  data: /data
db:
  image: db:1
  attaches: data
  networks: backend
app:
  image: app:1
  networks: backend
  depends_on:
    db: { condition: healthy }
worker:
  image: app:1
  network_mode: app
  depends_on: app
web:
  image: web:1
  instances: [a, b]
  networks: [frontend, backend]
  links: app
  depends_on:
    app: started
`;

function load() {
  return loadMap({ files: ["m.yaml"], texts: { "m.yaml": MAP }, env: {}, cwd: "/srv" });
}

describe("graph view (berth graph)", () => {
  it("collapses instances into their config, labels depends_on with its condition, and draws networks as clusters", () => {
    const map = load();
    const view = graphView(map.graph, map.resolved);
    expect(view.nodes.map((n) => n.id)).toEqual([
      "container:app",
      "container:db",
      "container:web",
      "container:worker",
      "volume:data",
    ]);
    expect(view.nodes.find((n) => n.id === "container:web")?.label).toBe("web ×2\n(also on frontend)");
    expect(view.edges.map((e) => `${e.from} -> ${e.to} [${e.label}]`)).toEqual([
      "container:app -> container:db [depends_on: healthy]",
      "container:db -> volume:data [attaches]",
      "container:web -> container:app [depends_on: started]",
      "container:web -> container:app [links]",
      "container:worker -> container:app [depends_on: started]",
      "container:worker -> container:app [network-mode]",
    ]);
    // No network node and no network edge: membership is a cluster.
    expect(view.clusters).toEqual([
      { network: "backend", members: ["container:app", "container:db", "container:web"] },
    ]);
  });

  it("shows every instance with --instances", () => {
    const map = load();
    const view = graphView(map.graph, map.resolved, { instances: true });
    expect(view.nodes.map((n) => n.id)).toContain("container:web.a");
    expect(view.nodes.map((n) => n.id)).toContain("container:web.b");
    expect(view.nodes.map((n) => n.id)).not.toContain("container:web");
    expect(view.edges.filter((e) => e.label === "links").map((e) => e.from)).toEqual([
      "container:web.a",
      "container:web.b",
    ]);
  });

  it("shows only the edge kinds asked for; without networks, no clusters; without uses, no volumes", () => {
    const map = load();
    const view = graphView(map.graph, map.resolved, { edges: new Set(["depends_on"] as const) });
    expect(new Set(view.edges.map((e) => e.filter))).toEqual(new Set(["depends_on"]));
    expect(view.clusters).toEqual([]);
    expect(view.nodes.map((n) => n.id)).not.toContain("volume:data");
    const all = graphView(map.graph, map.resolved, { edges: new Set(EDGE_FILTERS) });
    expect(all).toEqual(graphView(map.graph, map.resolved));
  });

  it("writes dot with cluster subgraphs and labelled edges, and mermaid with subgraphs", () => {
    const map = load();
    const view = graphView(map.graph, map.resolved);
    const dot = viewToDot(view);
    expect(dot).toContain('subgraph cluster_0 {\n    label="network backend";');
    expect(dot).toContain('"container:app" -> "container:db" [label="depends_on: healthy", style=dotted];');
    expect(dot).toContain('"container:web" [label="web ×2\\n(also on frontend)", shape=box];');
    expect(dot).not.toContain("network:");
    const mermaid = viewToMermaid(view);
    expect(mermaid).toContain('subgraph net0["network backend"]');
    expect(mermaid).toMatch(/n\d -->\|depends_on: healthy\| n\d/);
  });
});
