import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stronglyConnected } from "../../../src/graph/dependency-graph.js";

/** Nodes reachable from `start` (itself included), by a plain walk. */
function reachable(start: number, successors: (n: number) => number[]): Set<number> {
  const seen = new Set<number>([start]);
  const stack = [start];
  while (stack.length > 0) {
    for (const next of successors(stack.pop() as number)) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}

const canonical = (components: number[][]): number[][] =>
  components.map((c) => [...c].sort((a, b) => a - b)).sort((a, b) => (a[0] as number) - (b[0] as number));

describe("stronglyConnected", () => {
  it("finds the components mutual reachability defines", () => {
    const graph = fc
      .integer({ min: 1, max: 14 })
      .chain((n) =>
        fc.tuple(
          fc.constant(n),
          fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.nat({ max: n - 1 })), { maxLength: 3 * n }),
        ),
      );
    fc.assert(
      fc.property(graph, ([n, edges]) => {
        const nodes = Array.from({ length: n }, (_, i) => i);
        const successors = (node: number) => edges.filter(([from]) => from === node).map(([, to]) => to);
        const reach = nodes.map((node) => reachable(node, successors));
        const expected = nodes
          .filter((node) =>
            nodes.every((other) => other >= node || !(reach[node]?.has(other) && reach[other]?.has(node))),
          )
          .map((node) => nodes.filter((other) => reach[node]?.has(other) && reach[other]?.has(node)));
        expect(canonical(stronglyConnected(nodes, successors))).toEqual(canonical(expected));
      }),
    );
  });

  it("walks a cycle through 100,000 nodes without exhausting the stack", () => {
    const n = 100_000;
    const nodes = Array.from({ length: n }, (_, i) => i);
    const components = stronglyConnected(nodes, (node) => [(node + 1) % n]);
    expect(components).toHaveLength(1);
    expect(components[0]).toHaveLength(n);
  });
});
