import { containerNode } from "../map/resolve.js";
import { stateContainerName, type MapState } from "../desired/map-state.js";
import { ContainerPlanner } from "./container-planner.js";
import type { PlanContext } from "./plan-context.js";
import type { ObjectRef } from "./plan-types.js";
import { planResources, type PreparedVolumes } from "./resource-planner.js";
import { StepIndex } from "./step-index.js";

/**
 * Plans `startup` and `update` on one engine: create what is missing, start what is stopped, and
 * for `update` recreate, update in place or reconnect what differs from the map — each with its
 * reasons. In three parts: networks and volumes (resource-planner.ts), then containers
 * (container-planner.ts), then the record of what was changed in place. Returns the index of the
 * steps it emitted (what the orphan planner must not remove twice).
 */
export function planReconcile(ctx: PlanContext, selected: readonly string[]): StepIndex {
  const keys = selected.filter((k) => ctx.containers.has(k));
  const scope = ctx.graph.closure(keys.map(containerNode), "forward");
  for (const key of keys) ctx.assertNameFree(key);
  const index = new StepIndex();
  const state = ctx.mapState();
  const prepared: PreparedVolumes = new Map();
  const recreated = planResources(ctx, index, scope, state, prepared);
  const containers = new ContainerPlanner({ ctx, index, recreated }, state);
  containers.run(scope);
  recordState(ctx, state, containers.inPlace, prepared);
  return index;
}

/**
 * Labels cannot change: what this plan updates in place or reconnects, and the owner and mode it
 * applies to volumes, is written to the map's state record once those steps are done, so the next
 * plan compares against it. Entries of containers and volumes that are gone are dropped.
 */
function recordState(
  ctx: PlanContext,
  state: MapState,
  inPlace: ReadonlyMap<string, { record: MapState["containers"][string]; steps: string[] }>,
  prepared: PreparedVolumes,
): void {
  if (inPlace.size === 0 && prepared.size === 0) return;
  const live = new Set(ctx.ours().map((c) => c.id));
  const containers: MapState["containers"] = {};
  for (const [id, record] of Object.entries(state.containers)) if (live.has(id)) containers[id] = record;
  for (const [id, { record }] of inPlace) containers[id] = record;
  const volumes: NonNullable<MapState["volumes"]> = {};
  for (const [name, record] of Object.entries(state.volumes ?? {}))
    if (ctx.observedVolume(name) !== undefined) volumes[name] = record;
  for (const [name, { record }] of prepared) volumes[name] = record;
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
    state: Object.keys(volumes).length === 0 ? { v: 1, containers } : { v: 1, containers, volumes },
    after: [...[...inPlace.values()].flatMap((r) => r.steps), ...[...prepared.values()].map((v) => v.step)],
  });
}
