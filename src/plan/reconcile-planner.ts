import { nodeKey, nodeKind } from "../graph/dependency-graph.js";
import { containerNode } from "../map/resolve.js";
import { stateContainerName, type MapState } from "../desired/map-state.js";
import { ContainerPlanner } from "./container-planner.js";
import type { PlanContext } from "./plan-context.js";
import type { ObjectRef } from "./plan-types.js";
import { planResources } from "./resource-planner.js";
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
  const keys = [...needed]
    .filter((node) => nodeKind(node) === "container" && ctx.containers.has(nodeKey(node)))
    .map(nodeKey);
  const scope = ctx.graph.closure(keys.map(containerNode), "forward");
  for (const key of keys) ctx.assertNameFree(key);
  const index = new StepIndex();
  const recreated = planResources(ctx, index, scope);
  const state = ctx.mapState();
  const containers = new ContainerPlanner({ ctx, index, recreated }, state);
  containers.run(scope);
  recordState(ctx, state, containers.inPlace);
  return index;
}

/**
 * Labels cannot change: what this plan updates in place or reconnects is written to the map's
 * state record, once those steps are done, so the next plan compares against it.
 */
function recordState(
  ctx: PlanContext,
  state: MapState,
  inPlace: ReadonlyMap<string, { record: MapState["containers"][string]; steps: string[] }>,
): void {
  if (inPlace.size === 0) return;
  const live = new Set(ctx.ours().map((c) => c.id));
  const containers: MapState["containers"] = {};
  for (const [id, record] of Object.entries(state.containers)) if (live.has(id)) containers[id] = record;
  for (const [id, { record }] of inPlace) containers[id] = record;
  const current = ctx.stateContainer();
  const object: ObjectRef = {
    kind: "container",
    name: stateContainerName(ctx.mapName),
    client: ctx.client.name,
  };
  ctx.builder.fingerprint({ object, id: current?.id ?? null });
  ctx.builder.add({
    type: "record-state",
    object,
    state: { v: 1, containers },
    after: [...inPlace.values()].flatMap((r) => r.steps),
  });
}
