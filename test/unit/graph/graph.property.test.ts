import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DependencyGraph } from "../../../src/graph/dependency-graph.js";
import { loadMap, MapError } from "../../../src/load-map.js";
import type { DependencyEdge, EdgeKind, NodeId } from "../../../src/map/resolve.js";
import { cyclicMapArbitrary } from "../../helpers/map-arbitraries.js";

// ---- random graphs --------------------------------------------------------------------------------

const KINDS: EdgeKind[] = [
  "attaches",
  "uses-volume",
  "uses-container",
  "links",
  "network-mode",
  "network",
  "network-link",
  "depends-on",
];

interface GraphCase {
  nodes: NodeId[];
  edges: DependencyEdge[];
}

const nodeIdArbitrary = (index: number): fc.Arbitrary<NodeId> =>
  fc.constantFrom<NodeId[]>(
    `container:c${index}`,
    `container:c${index}.1`,
    `volume:v${index}`,
    `network:n${index}`,
  );

const edge = (dependency: NodeId, dependent: NodeId, kind: EdgeKind, line: number): DependencyEdge => ({
  dependency,
  dependent,
  kind,
  at: { file: "m.yaml", line, col: 1 },
});

/**
 * A random DAG: nodes in a random topological order, edges only from earlier to later nodes
 * (several kinds between one pair, and repeated edges, included).
 */
const dagArbitrary: fc.Arbitrary<GraphCase> = fc
  .integer({ min: 1, max: 12 })
  .chain((n) =>
    fc.tuple(
      fc.tuple(...Array.from({ length: n }, (_, i) => nodeIdArbitrary(i))),
      fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.nat({ max: n - 1 }), fc.constantFrom(...KINDS)), {
        maxLength: 3 * n,
      }),
    ),
  )
  .map(([nodes, pairs]) => ({
    nodes,
    edges: pairs
      .filter(([a, b]) => a !== b)
      .map(([a, b, kind], i) =>
        edge(nodes[Math.min(a, b)] as NodeId, nodes[Math.max(a, b)] as NodeId, kind, i + 1),
      ),
  }));

/** A DAG plus at least one cycle: a back edge along a path, a self-loop, or a 2-cycle. */
const cyclicArbitrary: fc.Arbitrary<GraphCase> = dagArbitrary.chain((dag) => {
  const n = dag.nodes.length;
  const index = fc.nat({ max: n - 1 });
  const kind = fc.constantFrom(...KINDS);
  const shapes: fc.Arbitrary<DependencyEdge[]>[] = [
    fc.tuple(index, kind).map(([i, k]) => [edge(dag.nodes[i] as NodeId, dag.nodes[i] as NodeId, k, 1000)]),
  ];
  if (n >= 2) {
    shapes.push(
      // A 2-cycle.
      fc
        .tuple(index, index, kind, kind)
        .filter(([a, b]) => a !== b)
        .map(([a, b, k1, k2]) => [
          edge(dag.nodes[a] as NodeId, dag.nodes[b] as NodeId, k1, 1000),
          edge(dag.nodes[b] as NodeId, dag.nodes[a] as NodeId, k2, 1001),
        ]),
      // A path through increasing nodes, closed by a back edge from its first to its last node.
      fc
        .uniqueArray(index, { minLength: 2, maxLength: n })
        .chain((picked) =>
          fc.tuple(
            fc.constant([...picked].sort((a, b) => a - b)),
            fc.array(kind, { minLength: picked.length, maxLength: picked.length }),
          ),
        )
        .map(([path, kinds]) => {
          const out: DependencyEdge[] = [];
          for (let i = 1; i < path.length; i++) {
            out.push(
              edge(
                dag.nodes[path[i - 1] as number] as NodeId,
                dag.nodes[path[i] as number] as NodeId,
                kinds[i] as EdgeKind,
                1000 + i,
              ),
            );
          }
          out.push(
            edge(
              dag.nodes[path.at(-1) as number] as NodeId,
              dag.nodes[path[0] as number] as NodeId,
              kinds[0] as EdgeKind,
              2000,
            ),
          );
          return out;
        }),
    );
  }
  return fc
    .array(fc.oneof(...shapes), { minLength: 1, maxLength: 2 })
    .chain((extra) =>
      fc.shuffledSubarray([...dag.edges, ...extra.flat()], {
        minLength: dag.edges.length + extra.flat().length,
      }),
    )
    .map((edges) => ({ nodes: dag.nodes, edges }));
});

/** The same graph with its nodes and edges listed in another order. */
function shuffled(graph: GraphCase): fc.Arbitrary<GraphCase> {
  return fc
    .tuple(
      fc.shuffledSubarray(graph.nodes, { minLength: graph.nodes.length }),
      fc.shuffledSubarray(graph.edges, { minLength: graph.edges.length }),
    )
    .map(([nodes, edges]) => ({ nodes, edges }));
}

const build = (graph: GraphCase): DependencyGraph => new DependencyGraph(graph.nodes, graph.edges);

// ---- brute force ----------------------------------------------------------------------------------

/** Every node reachable from `start` by following `next` (start included). */
function reachable(start: Iterable<NodeId>, next: (node: NodeId) => NodeId[]): Set<NodeId> {
  const seen = new Set<NodeId>();
  const stack = [...start];
  while (stack.length > 0) {
    const node = stack.pop() as NodeId;
    if (seen.has(node)) continue;
    seen.add(node);
    stack.push(...next(node));
  }
  return seen;
}

const dependenciesOf = (graph: GraphCase) => (node: NodeId) =>
  graph.edges.filter((e) => e.dependent === node).map((e) => e.dependency);
const dependentsOf = (graph: GraphCase) => (node: NodeId) =>
  graph.edges.filter((e) => e.dependency === node).map((e) => e.dependent);

/** Strongly connected parts that hold a cycle (more than one node, or a self-loop). */
function cyclicComponents(graph: GraphCase): Set<NodeId>[] {
  const out: Set<NodeId>[] = [];
  const placed = new Set<NodeId>();
  for (const node of graph.nodes) {
    if (placed.has(node)) continue;
    const down = reachable([node], dependentsOf(graph));
    const up = reachable([node], dependenciesOf(graph));
    const component = new Set([...down].filter((n) => up.has(n)));
    component.forEach((n) => placed.add(n));
    const selfLoop = graph.edges.some((e) => e.dependency === node && e.dependent === node);
    if (component.size > 1 || selfLoop) out.push(component);
  }
  return out;
}

const sameEdge = (a: DependencyEdge, b: DependencyEdge): boolean =>
  a.dependency === b.dependency && a.dependent === b.dependent && a.kind === b.kind;

/** A reported cycle is a closed walk over edges of the graph, each needing the next. */
function expectRealCycle(cycle: DependencyEdge[], graph: GraphCase): void {
  expect(cycle.length).toBeGreaterThan(0);
  cycle.forEach((e, i) => {
    expect(graph.edges.some((g) => sameEdge(g, e))).toBe(true);
    const next = cycle[(i + 1) % cycle.length] as DependencyEdge;
    expect(e.dependency).toBe(next.dependent);
  });
}

const RUNS = { numRuns: 200 };

// ---- properties -----------------------------------------------------------------------------------

describe("DependencyGraph on random DAGs (property)", () => {
  it("levels() holds every node once, each one level after its deepest dependency", () => {
    fc.assert(
      fc.property(dagArbitrary, (graph) => {
        const levels = build(graph).levels();
        const flat = levels.flat();
        expect([...flat].sort()).toEqual([...new Set(graph.nodes)].sort());
        const level = new Map(levels.flatMap((nodes, i) => nodes.map((node) => [node, i] as const)));
        for (const node of new Set(graph.nodes)) {
          const deps = dependenciesOf(graph)(node);
          const expected = deps.length === 0 ? 0 : Math.max(...deps.map((d) => level.get(d) as number)) + 1;
          expect(level.get(node)).toBe(expected);
        }
        for (const e of graph.edges)
          expect(level.get(e.dependency)).toBeLessThan(level.get(e.dependent) as number);
        for (const nodes of levels) {
          expect(nodes.length).toBeGreaterThan(0);
          expect(nodes).toEqual([...nodes].sort());
        }
      }),
      RUNS,
    );
  });

  it("order() holds every node once, each dependency before its dependents", () => {
    fc.assert(
      fc.property(dagArbitrary, (graph) => {
        const order = build(graph).order();
        expect(order.length).toBe(new Set(graph.nodes).size);
        expect(new Set(order)).toEqual(new Set(graph.nodes));
        const position = new Map(order.map((node, i) => [node, i]));
        for (const e of graph.edges) {
          expect(position.get(e.dependency)).toBeLessThan(position.get(e.dependent) as number);
        }
      }),
      RUNS,
    );
  });

  it("levels() and order() do not depend on the order nodes and edges are given in", () => {
    fc.assert(
      fc.property(
        dagArbitrary.chain((graph) => fc.tuple(fc.constant(graph), shuffled(graph))),
        ([graph, other]) => {
          expect(build(other).levels()).toEqual(build(graph).levels());
          expect(build(other).order()).toEqual(build(graph).order());
        },
      ),
      RUNS,
    );
  });

  it("closure() is the targets plus all their dependencies (forward) or dependents (reverse)", () => {
    fc.assert(
      fc.property(
        fc
          .oneof(dagArbitrary, cyclicArbitrary)
          .chain((graph) => fc.tuple(fc.constant(graph), fc.subarray(graph.nodes))),
        ([graph, targets]) => {
          const g = build(graph);
          expect(g.closure(targets, "forward")).toEqual(reachable(targets, dependenciesOf(graph)));
          expect(g.closure(targets, "reverse")).toEqual(reachable(targets, dependentsOf(graph)));
        },
      ),
      RUNS,
    );
  });

  it("cycles() is empty", () => {
    fc.assert(
      fc.property(dagArbitrary, (graph) => {
        expect(build(graph).cycles()).toEqual([]);
      }),
      RUNS,
    );
  });
});

describe("DependencyGraph on random graphs with cycles (property)", () => {
  it("cycles() reports real cycles, one in each strongly connected part that has one", () => {
    fc.assert(
      fc.property(cyclicArbitrary, (graph) => {
        const cycles = build(graph).cycles();
        expect(cycles.length).toBeGreaterThan(0);
        for (const cycle of cycles) expectRealCycle(cycle, graph);
        const components = cyclicComponents(graph);
        for (const component of components) {
          const inside = cycles.filter((c) => c.every((e) => component.has(e.dependent)));
          expect(inside.length).toBe(1);
        }
        expect(cycles.length).toBe(components.length);
      }),
      RUNS,
    );
  });

  it("cycleProblems() names each cycle as `a -> … -> a` along its edges", () => {
    fc.assert(
      fc.property(cyclicArbitrary, (graph) => {
        const g = build(graph);
        const problems = g.cycleProblems();
        const cycles = g.cycles();
        expect(problems.length).toBe(cycles.length);
        problems.forEach((problem, i) => {
          const cycle = cycles[i] as DependencyEdge[];
          const label = (node: NodeId) =>
            node.startsWith("container:") ? node.slice(10) : node.replace(":", " ");
          const names = [
            label((cycle[0] as DependencyEdge).dependent),
            ...cycle.map((e) => label(e.dependency)),
          ];
          // A cycle of more than 10 edges is shortened: its first 10 steps, then its end.
          const more = cycle.length - 10;
          const shown = more > 0 ? [...names.slice(0, 10), `… (${more} more)`, names.at(-1)] : names;
          expect(problem.message).toBe(`dependency cycle: ${shown.join(" -> ")}`);
          expect(names[0]).toBe(names.at(-1));
        });
      }),
      RUNS,
    );
  });

  it("cycles() does not depend on the order nodes and edges are given in", () => {
    const walk = (cycles: DependencyEdge[][]) =>
      cycles.map((c) => c.map((e) => `${e.dependent} ${e.kind} ${e.dependency}`));
    fc.assert(
      fc.property(
        cyclicArbitrary.chain((graph) => fc.tuple(fc.constant(graph), shuffled(graph))),
        ([graph, other]) => {
          expect(walk(build(other).cycles())).toEqual(walk(build(graph).cycles()));
        },
      ),
      RUNS,
    );
  });
});

// ---- cyclic maps ----------------------------------------------------------------------------------

// Loading a hundred maps takes a few seconds; more when test files run side by side.
describe("loadMap on random maps with reference cycles (property)", { timeout: 30_000 }, () => {
  it("throws a MapError naming only real cycles, one per strongly connected part", () => {
    fc.assert(
      fc.property(cyclicMapArbitrary(), (map) => {
        let error: unknown;
        try {
          loadMap({ files: ["m.yaml"], texts: { "m.yaml": map.text }, env: {}, mapName: "app", cwd: "/srv" });
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(MapError);
        const problems = (error as MapError).problems;
        // The map is valid but for its cycles.
        for (const problem of problems) expect(problem.message).toMatch(/^dependency cycle: /);
        expect((error as MapError).message).toContain("dependency cycle:");

        const paths = problems.map((p) => p.message.slice("dependency cycle: ".length).split(" -> "));
        for (const path of paths) {
          expect(path.length).toBeGreaterThanOrEqual(2);
          expect(path[0]).toBe(path.at(-1));
          for (let i = 0; i + 1 < path.length; i++) {
            expect(map.needs[path[i] as string] ?? []).toContain(path[i + 1]);
          }
        }
        // One cycle for each strongly connected part of the instances' "needs" relation.
        const graph: GraphCase = {
          nodes: Object.keys(map.needs).map((k): NodeId => `container:${k}`),
          edges: Object.entries(map.needs).flatMap(([from, tos]) =>
            tos.map((to) => edge(`container:${to}`, `container:${from}`, "links", 1)),
          ),
        };
        const components = cyclicComponents(graph);
        expect(paths.length).toBe(components.length);
        for (const component of components) {
          expect(paths.filter((p) => p.every((n) => component.has(`container:${n}`))).length).toBe(1);
        }
      }),
      { numRuns: 100 },
    );
  });
});
