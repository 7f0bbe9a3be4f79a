import { stateContainerName, type InPlaceRecord, type MapState } from "../desired/map-state.js";
import type { PreparedVolumes } from "./resource-planner.js";
import type { PlanContext } from "./plan-context.js";
import type { ObjectRef } from "./plan-types.js";

/** A container updated in place or reconnected: its new record, once these steps are done. */
export interface InPlaceChange {
  record: InPlaceRecord;
  steps: string[];
}

/**
 * Labels cannot change: what this plan updates in place or reconnects, and the exec commands it
 * runs, and the owner and mode it applies to volumes, are written to the map's state record at the
 * end of the run, so the next plan compares against them. The step runs once the steps it learns from have ended, however they ended: a
 * failed exec command is recorded as failed (and run again by the next plan); an in-place change
 * is recorded only when all its steps are done.
 */
export function planStateRecord(
  ctx: PlanContext,
  inPlace: ReadonlyMap<string, InPlaceChange> = new Map(),
  prepared: PreparedVolumes = new Map(),
): void {
  const exec = ctx.execRecordUpdates;
  if (inPlace.size === 0 && exec.length === 0 && prepared.size === 0) return;
  const state = ctx.mapState();
  // Containers this plan removes (replaced ones) lose their entries with them.
  const removed = new Set(
    ctx.builder.steps.flatMap((s) => (s.type === "remove-container" ? [s.container] : [])),
  );
  const live = new Set(
    ctx
      .ours()
      .map((c) => c.id)
      .filter((id) => !removed.has(id)),
  );
  const base: MapState = { v: 1, containers: {} };
  for (const [id, record] of Object.entries(state.containers)) if (live.has(id)) base.containers[id] = record;
  for (const [id, record] of Object.entries(state.exec ?? {})) {
    if (!live.has(id)) continue;
    base.exec ??= {};
    base.exec[id] = record;
  }
  for (const [name, record] of Object.entries(state.volumes ?? {})) {
    if (ctx.observedVolume(name) === undefined) continue;
    base.volumes ??= {};
    base.volumes[name] = record;
  }
  const current = ctx.stateContainer();
  const object: ObjectRef = {
    kind: "container",
    name: stateContainerName(ctx.mapName),
    client: ctx.client.name,
  };
  ctx.builder.fingerprint({ object, id: current?.id ?? null });
  const after = new Set<string>();
  for (const { steps } of inPlace.values()) for (const step of steps) after.add(step);
  for (const update of exec) {
    if (update.made !== null) after.add(update.made);
    for (const { step } of update.ran) after.add(step);
  }
  for (const { step } of prepared.values()) after.add(step);
  ctx.builder.add({
    type: "record-state",
    object,
    state: base,
    inPlace: [...inPlace].map(([id, { record, steps }]) => ({ id, record, steps })),
    exec: [...exec],
    volumes: [...prepared].map(([name, { record, step }]) => ({ name, record, step })),
    after: [...after],
  });
}
