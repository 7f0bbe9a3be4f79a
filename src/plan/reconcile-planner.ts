import { nodeKey, nodeKind } from "../graph/dependency-graph.js";
import { containerNode, networkNode, type NodeId } from "../map/resolve.js";
import { ContainerPlanner } from "./container-planner.js";
import { describeNameTaken, type PlanContext } from "./plan-context.js";
import { planResources, type PreparedVolumes } from "./resource-planner.js";
import { planStateRecord } from "./state-record.js";
import { StepIndex } from "./step-index.js";

/**
 * Plans `startup` and `update` on one engine: create what is missing, start what is stopped, and
 * for `update` recreate, update in place or reconnect what differs from the map — each with its
 * reasons. In three parts: networks and volumes (resource-planner.ts), then containers
 * (container-planner.ts), then the record of what was changed in place. Returns the index of the
 * steps it emitted (what the orphan planner must not remove twice).
 */
export function planReconcile(ctx: PlanContext, selected: readonly string[]): StepIndex {
  // What the targets need, through other engines too (a `depends_on` across engines): this
  // engine's part of that, and what it needs here.
  const needed = ctx.graph.closure(selected.map(containerNode), "forward");
  const wanted = [...needed]
    .filter((node) => nodeKind(node) === "container" && ctx.containers.has(nodeKey(node)))
    .map(nodeKey);
  const blocked = ctx.nameConflicts === "report" ? reportNameConflicts(ctx, wanted) : new Set<string>();
  const keys = wanted.filter((k) => !blocked.has(k));
  const scope = ctx.graph.closure(keys.map(containerNode), "forward");
  for (const node of overlaysToPlan(ctx, needed)) scope.add(node);
  for (const key of keys) ctx.assertNameFree(key);
  const index = new StepIndex();
  const state = ctx.mapState();
  const prepared: PreparedVolumes = new Map();
  const recreated = planResources(ctx, index, scope, state, prepared);
  const containers = new ContainerPlanner({ ctx, index, recreated }, state, blocked);
  containers.run(scope);
  planStateRecord(ctx, containers.inPlace, prepared);
  return index;
}

/**
 * Overlay networks this engine's part plans though none of its containers needs them: the swarm
 * manager makes those that the targets need, on any engine; another engine disconnects its
 * containers from one the manager makes again.
 */
function overlaysToPlan(ctx: PlanContext, needed: ReadonlySet<NodeId>): NodeId[] {
  const out: NodeId[] = [];
  for (const [key, placement] of ctx.overlays) {
    const node = networkNode(key);
    const mine = placement.home === ctx.client.name;
    if (needed.has(node) && (mine || placement.decision === "recreate")) out.push(node);
  }
  return out;
}

/**
 * `status`: a container whose name a foreign container holds, and every container that needs it,
 * is left out of the plan and reported as left alone, with the reason; the others are planned as
 * usual. Returns the keys left out (what the targets need included).
 */
function reportNameConflicts(ctx: PlanContext, selected: readonly string[]): Set<string> {
  const needed = ctx.graph.closure(selected.map(containerNode), "forward");
  const blocked = new Set<string>();
  for (const key of ctx.containers.keys()) {
    const taken = ctx.nameTaken(key);
    if (taken === undefined) continue;
    const reason = `${describeNameTaken(taken)}: berth leaves both alone; remove or rename that container, then update`;
    if (needed.has(containerNode(key)))
      ctx.builder.change(ctx.containerRef(key), "skip", [{ message: reason }]);
    blocked.add(key);
    for (const node of ctx.graph.closure([containerNode(key)], "reverse")) {
      const dependent = nodeKey(node);
      if (nodeKind(node) !== "container" || dependent === key || !ctx.containers.has(dependent)) continue;
      if (blocked.has(dependent) || ctx.nameTaken(dependent) !== undefined) continue;
      blocked.add(dependent);
      if (needed.has(node)) {
        ctx.builder.change(ctx.containerRef(dependent), "skip", [
          { message: `needs ${key}, whose container name is taken by a foreign container: left as it is` },
        ]);
      }
    }
  }
  return blocked;
}
