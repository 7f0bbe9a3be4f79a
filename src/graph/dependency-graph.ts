import { compareText } from "../common/text.js";
import { UsageError } from "../common/berth-error.js";
import { didYouMean } from "../map/did-you-mean.js";
import { formatPosition, type MapProblem } from "../map/map-error.js";
import type { ResolvedMap } from "../map/model.js";
import {
  containerNode,
  networkNode,
  volumeNode,
  type DependencyEdge,
  type EdgeKind,
  type NodeId,
} from "../map/resolve.js";

/** Steps of a cycle printed in its problem; a longer cycle is shortened. */
const SHOWN_CYCLE_STEPS = 10;

/** Forward actions (startup, update) need dependencies; reverse ones (stop, shutdown) dependents. */
export type Direction = "forward" | "reverse";

/** Edge kinds after which a dependent holds a stale reference when its dependency is recreated. */
export const STALE_MAKING_KINDS: ReadonlySet<EdgeKind> = new Set<EdgeKind>([
  "links",
  "uses-container",
  "network-mode",
]);

export function nodeKind(node: NodeId): "container" | "volume" | "network" {
  return node.slice(0, node.indexOf(":")) as "container" | "volume" | "network";
}

export function nodeKey(node: NodeId): string {
  return node.slice(node.indexOf(":") + 1);
}

/** A node as people read it: containers by key, others with their kind. */
export function nodeLabel(node: NodeId): string {
  const kind = nodeKind(node);
  return kind === "container" ? nodeKey(node) : `${kind} ${nodeKey(node)}`;
}

/**
 * The dependency graph of a map: container instances, attached volumes and networks, with edges
 * from a dependency to its dependent, each remembering its kind and where the map wrote it.
 */
export class DependencyGraph {
  private readonly nodeSet = new Set<NodeId>();
  private readonly edgeList: DependencyEdge[];
  private levelsCache: NodeId[][] | undefined;
  /** Set with the levels: nodes whose dependencies never all got a level (on or after a cycle). */
  private nodesAfterCycles = 0;
  /** Edges by node: planning asks for them once per node. */
  private readonly incoming = new Map<NodeId, DependencyEdge[]>();
  private readonly outgoing = new Map<NodeId, DependencyEdge[]>();

  constructor(nodes: Iterable<NodeId>, edges: DependencyEdge[]) {
    // Adjacency lists only: a graphlib graph cost about 1 KB per edge for as long as the map lived.
    for (const node of nodes) this.nodeSet.add(node);
    // One edge per (dependency, dependent, kind): several entries saying the same thing are one edge.
    const seen = new Set<string>();
    this.edgeList = [];
    for (const edge of edges) {
      const id = `${edge.dependency}\u0000${edge.dependent}\u0000${edge.kind}`;
      if (seen.has(id)) continue;
      seen.add(id);
      this.edgeList.push(edge);
      this.nodeSet.add(edge.dependency).add(edge.dependent);
      append(this.incoming, edge.dependent, edge);
      append(this.outgoing, edge.dependency, edge);
    }
  }

  static fromMap(resolved: ResolvedMap, edges: DependencyEdge[]): DependencyGraph {
    const nodes: NodeId[] = [
      ...resolved.containers.map((c) => containerNode(c.key)),
      ...resolved.volumes.map((v) => volumeNode(v.key)),
      ...resolved.networks.map((n) => networkNode(n.key)),
    ];
    return new DependencyGraph(nodes, edges);
  }

  nodes(): NodeId[] {
    return [...this.nodeSet].sort();
  }

  edges(): readonly DependencyEdge[] {
    return this.edgeList;
  }

  hasNode(node: NodeId): boolean {
    return this.nodeSet.has(node);
  }

  /** Direct dependencies of a node, with the edges that make them. */
  dependencyEdges(node: NodeId): DependencyEdge[] {
    return this.incoming.get(node) ?? [];
  }

  /** Direct dependents of a node, with the edges that make them. */
  dependentEdges(node: NodeId): DependencyEdge[] {
    return this.outgoing.get(node) ?? [];
  }

  /** Every cycle, each as its list of edges (dependent first), reported once per strongly connected part. */
  cycles(): DependencyEdge[][] {
    // Most maps have none: the levels, which planning needs anyway, prove it without building a
    // second graph for the strongly-connected search (a 300-container map: 1 ms instead of 20).
    if (this.isAcyclic()) return [];
    const out: DependencyEdge[][] = [];
    const covered = new Set<NodeId>();
    const dependents = (node: NodeId) => this.dependentEdges(node).map((e) => e.dependent);
    for (const component of stronglyConnected([...this.nodeSet], dependents)) {
      const only = component[0] as NodeId;
      if (component.length === 1 && !dependents(only).includes(only)) continue;
      component.forEach((node) => covered.add(node));
      const cycle = this.cycleWithin(new Set(component));
      if (cycle) out.push(cycle);
    }
    // A self-loop is a cycle of its own unless its node is already in a reported part.
    for (const edge of this.edgeList) {
      if (edge.dependency !== edge.dependent || covered.has(edge.dependent)) continue;
      covered.add(edge.dependent);
      out.push([edge]);
    }
    return out.sort((a, b) => compareText(a[0]?.dependent ?? "", b[0]?.dependent ?? ""));
  }

  /** Whether every node's dependencies all get placed: never true of a node on a cycle. */
  private isAcyclic(): boolean {
    this.levels();
    return this.nodesAfterCycles === 0;
  }

  /** A concrete cycle inside a strongly connected set, starting at its smallest node. */
  private cycleWithin(component: Set<NodeId>): DependencyEdge[] | undefined {
    const start = [...component].sort()[0];
    if (start === undefined) return undefined;
    // A depth-first walk along "needs" edges (dependent → dependency), smallest names first,
    // until an edge leads back to the start; with an explicit stack, as a cycle through thousands
    // of containers would exhaust the call stack.
    const needs = (node: NodeId) =>
      this.dependencyEdges(node)
        .filter((e) => component.has(e.dependency))
        .sort((a, b) => compareText(a.dependency, b.dependency) || compareText(a.kind, b.kind));
    const path: DependencyEdge[] = [];
    const visited = new Set<NodeId>([start]);
    const pending: { edges: DependencyEdge[]; next: number }[] = [{ edges: needs(start), next: 0 }];
    while (pending.length > 0) {
      const top = pending[pending.length - 1] as { edges: DependencyEdge[]; next: number };
      const edge = top.edges[top.next++];
      if (edge === undefined) {
        pending.pop();
        path.pop();
        continue;
      }
      if (edge.dependency === start) return [...path, edge];
      if (visited.has(edge.dependency)) continue;
      visited.add(edge.dependency);
      path.push(edge);
      pending.push({ edges: needs(edge.dependency), next: 0 });
    }
    return undefined;
  }

  /** Cycles as map problems: `a -> b -> a`, with where each edge was written. */
  cycleProblems(): MapProblem[] {
    return this.cycles().map((cycle) => {
      const names = [
        nodeLabel((cycle[0] as DependencyEdge).dependent),
        ...cycle.map((e) => nodeLabel(e.dependency)),
      ];
      const steps = cycle
        .slice(0, SHOWN_CYCLE_STEPS)
        .map(
          (e) =>
            `${nodeLabel(e.dependent)} ${describeKind(e.kind)} ${nodeLabel(e.dependency)} at ${formatPosition(e.at)}`,
        );
      // A cycle through thousands of containers is named by its ends, not printed whole.
      const more = cycle.length - SHOWN_CYCLE_STEPS;
      const shownNames =
        more > 0 ? [...names.slice(0, SHOWN_CYCLE_STEPS), `… (${more} more)`, names.at(-1)] : names;
      return {
        at: (cycle[0] as DependencyEdge).at,
        message: `dependency cycle: ${shownNames.join(" -> ")}`,
        hint: more > 0 ? `${steps.join("; ")}; and ${more} more` : steps.join("; "),
      };
    });
  }

  /** Deterministic topological levels: each node one level after its deepest dependency. */
  levels(): NodeId[][] {
    if (this.levelsCache) return this.levelsCache;
    const level = new Map<NodeId, number>();
    const remaining = new Map<NodeId, number>();
    for (const node of this.nodes()) {
      remaining.set(node, new Set(this.dependencyEdges(node).map((e) => e.dependency)).size);
    }
    let frontier = this.nodes().filter((n) => remaining.get(n) === 0);
    for (const node of frontier) level.set(node, 0);
    let placed = 0;
    while (frontier.length > 0) {
      placed += frontier.length;
      const next: NodeId[] = [];
      for (const node of frontier) {
        const dependents = new Set(this.dependentEdges(node).map((e) => e.dependent));
        for (const dependent of dependents) {
          level.set(dependent, Math.max(level.get(dependent) ?? 0, (level.get(node) ?? 0) + 1));
          const left = (remaining.get(dependent) ?? 0) - 1;
          remaining.set(dependent, left);
          if (left === 0) next.push(dependent);
        }
      }
      frontier = next;
    }
    const out: NodeId[][] = [];
    for (const [node, n] of level) (out[n] ??= []).push(node);
    this.nodesAfterCycles = this.nodeSet.size - placed;
    this.levelsCache = out.map((nodes) => nodes.sort());
    return this.levelsCache;
  }

  /** All nodes, dependencies before dependents (ties broken by name). */
  order(): NodeId[] {
    return this.levels().flat();
  }

  /** The nodes plus everything they need (forward) or everything that needs them (reverse). */
  closure(nodes: Iterable<NodeId>, direction: Direction): Set<NodeId> {
    const out = new Set<NodeId>();
    const stack = [...nodes];
    while (stack.length > 0) {
      const node = stack.pop() as NodeId;
      if (out.has(node)) continue;
      out.add(node);
      const next =
        direction === "forward"
          ? this.dependencyEdges(node).map((e) => e.dependency)
          : this.dependentEdges(node).map((e) => e.dependent);
      stack.push(...next);
    }
    return out;
  }
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function describeKind(kind: EdgeKind): string {
  switch (kind) {
    case "links":
      return "links to";
    case "uses-container":
      return "uses the volumes of";
    case "uses-volume":
      return "uses a volume of";
    case "network-mode":
      return "shares the network of";
    case "network-link":
      return "links (on a network) to";
    case "depends-on":
      return "depends on";
    case "attaches":
      return "attaches";
    case "network":
      return "joins";
  }
}

/**
 * Turns command-line targets into container keys: `config`, `config.instance`, a group, or none
 * (all). Unknown targets are a usage error with a suggestion.
 */
export function targetKeys(resolved: ResolvedMap, targets: readonly string[]): string[] {
  if (targets.length === 0) return resolved.containers.map((c) => c.key);
  const keys = new Set<string>();
  const known = [
    ...Object.keys(resolved.groups),
    ...Object.keys(resolved.configs),
    ...resolved.containers.map((c) => c.key),
  ];
  for (const target of targets) {
    const members =
      resolved.groups[target] ??
      resolved.configs[target] ??
      (resolved.containers.some((c) => c.key === target) ? [target] : undefined);
    if (members === undefined) {
      throw new UsageError(`unknown target \`${target}\``, {
        hint: didYouMean(target, known) ?? "a target is a config, config.instance, or a group",
      });
    }
    for (const key of members) keys.add(key);
  }
  return [...keys].sort();
}

/**
 * The strongly connected components of a directed graph (Tarjan's algorithm), written with an
 * explicit stack: the graph is the user's map, and a chain of thousands of containers must not
 * exhaust the call stack.
 */
export function stronglyConnected<T>(nodes: readonly T[], successors: (node: T) => readonly T[]): T[][] {
  const index = new Map<T, number>();
  const lowLink = new Map<T, number>();
  const onStack = new Set<T>();
  const stack: T[] = [];
  const components: T[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { node: T; next: readonly T[]; at: number }[] = [];
    const open = (node: T) => {
      index.set(node, counter);
      lowLink.set(node, counter++);
      stack.push(node);
      onStack.add(node);
      work.push({ node, next: successors(node), at: 0 });
    };
    open(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: T; next: readonly T[]; at: number };
      if (frame.at < frame.next.length) {
        const successor = frame.next[frame.at++] as T;
        if (!index.has(successor)) open(successor);
        else if (onStack.has(successor))
          lowLink.set(
            frame.node,
            Math.min(lowLink.get(frame.node) as number, index.get(successor) as number),
          );
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined)
        lowLink.set(
          parent.node,
          Math.min(lowLink.get(parent.node) as number, lowLink.get(frame.node) as number),
        );
      if (lowLink.get(frame.node) !== index.get(frame.node)) continue;
      const component: T[] = [];
      let member: T;
      do {
        member = stack.pop() as T;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      components.push(component);
    }
  }
  return components;
}
