import { containerNode } from "../map/resolve.js";
import { ContainerPlanner } from "./container-planner.js";
import type { PlanContext } from "./plan-context.js";
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
  const keys = selected.filter((k) => ctx.containers.has(k));
  const scope = ctx.graph.closure(keys.map(containerNode), "forward");
  for (const key of keys) ctx.assertNameFree(key);
  const index = new StepIndex();
  const state = ctx.mapState();
  const prepared: PreparedVolumes = new Map();
  const recreated = planResources(ctx, index, scope, state, prepared);
  const containers = new ContainerPlanner({ ctx, index, recreated }, state);
  containers.run(scope);
  planStateRecord(ctx, containers.inPlace, prepared);
  return index;
}
