import { OVERLAY_DRIVER } from "../map/model.js";
import type { ObservedContainer } from "../observe/observed-state.js";
import type { PlanContext } from "./plan-context.js";
import type { ObjectRef, PlanOptions } from "./plan-types.js";
import type { StepIndex } from "./step-index.js";

const ORPHAN = "has the map's label but is not in the map (--remove-orphans removes it)";
const ANONYMOUS = /^[0-9a-f]{64}$/;

/**
 * Objects with the map's label that the map no longer has. Listed always; removed with
 * --remove-orphans (volumes only with --volumes too, as they hold data). Containers the plan
 * already removes (`index`, e.g. for a volume made again) are not removed twice.
 */
export function planOrphans(ctx: PlanContext, options: PlanOptions, index?: StepIndex): void {
  if (options.targets.length > 0) return;
  const remove =
    options.removeOrphans &&
    (options.action === "update" || options.action === "startup" || options.action === "shutdown");
  const desiredNames = new Set([...ctx.containers.values()].map((c) => c.name));
  for (const container of ctx.ours()) {
    const target = container.replaces ?? container.name;
    if (desiredNames.has(target) || index?.has("removed", container.id)) continue;
    orphanContainer(ctx, container, remove, options.removeVolumes);
  }
  orphanNetworks(ctx, remove);
  orphanVolumes(ctx, remove && options.removeVolumes);
}

function orphanContainer(
  ctx: PlanContext,
  container: ObservedContainer,
  remove: boolean,
  volumes: boolean,
): void {
  const builder = ctx.builder;
  const ref: ObjectRef = { kind: "container", name: container.name, client: ctx.client.name };
  if (container.key !== undefined) ref.key = container.key;
  builder.fingerprint({
    object: ref,
    id: container.id,
    state: container.state,
    specHash: container.specHash ?? null,
  });
  if (!remove) {
    builder.change(ref, "orphan", [{ message: ORPHAN }]);
    return;
  }
  const running =
    container.state === "running" || container.state === "restarting" || container.state === "paused";
  const stopped = running
    ? builder.add({
        type: "stop-container",
        object: ref,
        container: container.id,
        signal: null,
        timeoutSeconds: null,
      })
    : undefined;
  const removed = builder.add({
    type: "remove-container",
    object: ref,
    container: container.id,
    removeVolumes: volumes,
    force: false,
    after: [stopped],
  });
  builder.change(ref, "remove", [{ message: "orphan: not in the map (--remove-orphans)" }]);
  if (volumes) removeCarriedVolumes(ctx, container, removed);
}

/** Removals of containers planned so far: an orphan network or volume goes after them. */
function containerRemovals(ctx: PlanContext): string[] {
  return ctx.builder.steps.filter((s) => s.type === "remove-container").map((s) => s.id);
}

function orphanNetworks(ctx: PlanContext, remove: boolean): void {
  const networkNames = new Set([...ctx.networks.values()].map((n) => n.name));
  for (const network of ctx.observed.networks) {
    if (network.mapName !== ctx.mapName || networkNames.has(network.name)) continue;
    // An overlay is removed on a swarm manager; a worker lists it while its containers use it.
    if (network.driver === OVERLAY_DRIVER && ctx.observed.swarmManager === false) continue;
    const ref: ObjectRef = { kind: "network", name: network.name, client: ctx.client.name };
    ctx.builder.fingerprint({ object: ref, id: network.id });
    if (!remove) {
      ctx.builder.change(ref, "orphan", [{ message: ORPHAN }]);
      continue;
    }
    ctx.builder.add({
      type: "remove-network",
      object: ref,
      networkId: network.id,
      ifUnused: true,
      after: containerRemovals(ctx),
    });
    ctx.builder.change(ref, "remove", [{ message: "orphan: not in the map (--remove-orphans)" }]);
  }
}

function orphanVolumes(ctx: PlanContext, remove: boolean): void {
  const volumeNames = new Set([...ctx.volumes.values()].map((v) => v.name));
  for (const volume of ctx.observed.volumes) {
    if (volume.mapName !== ctx.mapName || volumeNames.has(volume.name)) continue;
    const ref: ObjectRef = { kind: "volume", name: volume.name, client: ctx.client.name };
    ctx.builder.fingerprint({ object: ref, id: volume.name });
    if (!remove) {
      ctx.builder.change(ref, "orphan", [
        {
          message:
            "has the map's label but is not in the map (--remove-orphans --volumes removes it and its data)",
        },
      ]);
      continue;
    }
    ctx.builder.add({ type: "remove-volume", object: ref, after: containerRemovals(ctx) });
    ctx.builder.change(ref, "remove", [{ message: "orphan: not in the map (--remove-orphans --volumes)" }]);
  }
}

/**
 * Anonymous volumes mounted by name (carried over by a recreate) survive the engine's `v=1`;
 * with --volumes they go once the container holding them is removed and nothing else mounts them.
 */
function removeCarriedVolumes(ctx: PlanContext, container: ObservedContainer, removal: string): void {
  for (const mount of container.mounts) {
    if (mount.type !== "volume" || mount.name === null || !ANONYMOUS.test(mount.name)) continue;
    const name = mount.name;
    if (ctx.mountersOf(name).some((c) => c.id !== container.id)) continue;
    const ref: ObjectRef = { kind: "volume", name, client: ctx.client.name };
    ctx.builder.fingerprint({ object: ref, id: name });
    ctx.builder.add({ type: "remove-volume", object: ref, after: [removal] });
  }
}
