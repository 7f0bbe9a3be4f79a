import { nodeKey, nodeKind } from "../graph/dependency-graph.js";
import type { ResolvedNetwork, ResolvedVolume } from "../map/model.js";
import type { NodeId } from "../map/resolve.js";
import type { ObservedContainer, ObservedNetwork } from "../observe/observed-state.js";
import { pullStep } from "./image-pulls.js";
import { PlanError, type PlanContext } from "./plan-context.js";
import type { ObjectRef, Reason } from "./plan-types.js";
import type { MapState, VolumeOwnerRecord } from "../desired/map-state.js";
import {
  decideNetwork,
  decideVolume,
  describeReasons,
  REPAIRED_IN_PLACE,
  volumeOwnerDifferences,
  type ResourceAction,
} from "./resource-decision.js";
import type { StepIndex } from "./step-index.js";
import type { OverlayPlacement } from "./overlay-networks.js";
import { remoteToken } from "./remote-steps.js";

/** Which of a container's networks and volumes this plan makes again (keys), by container key. */
export interface RecreatedResources {
  networks: ReadonlyMap<string, readonly string[]>;
  volumes: ReadonlyMap<string, readonly string[]>;
}

/** The owner and mode this plan applies to volumes (by volume name), and the step doing it. */
export type PreparedVolumes = Map<string, { record: VolumeOwnerRecord; step: string }>;

/**
 * Plans the map's networks and volumes in scope (graph order): create what is missing, make again
 * what differs (a network; a volume with --recreate-volumes), report the rest. Records in the index
 * when each is ready, and returns which containers must follow a network or volume made again.
 */
export function planResources(
  ctx: PlanContext,
  index: StepIndex,
  scope: ReadonlySet<NodeId>,
  state: MapState,
  prepared: PreparedVolumes,
): RecreatedResources {
  const networks = new Map<string, string[]>();
  const volumes = new Map<string, string[]>();
  const action: ResourceAction = {
    mapName: ctx.mapName,
    update: ctx.options.action === "update",
    recreateVolumes: ctx.options.recreateVolumes,
  };
  for (const node of ctx.graph.order()) {
    if (!scope.has(node)) continue;
    if (nodeKind(node) === "network") {
      const network = ctx.networks.get(nodeKey(node)) as ResolvedNetwork;
      for (const key of planNetwork(ctx, index, network, action)) addTo(networks, key, network.key);
    }
    if (nodeKind(node) === "volume") {
      const volume = ctx.volumes.get(nodeKey(node)) as ResolvedVolume;
      const planning = { ctx, index, state, prepared };
      for (const key of planVolume(planning, volume, action)) addTo(volumes, key, volume.key);
    }
  }
  return { networks, volumes };
}

function networkRef(ctx: PlanContext, network: ResolvedNetwork): ObjectRef {
  return { kind: "network", name: network.name, client: ctx.client.name, key: network.key };
}

/** Returns the keys of the containers to connect again (the network is made again). */
function planNetwork(
  ctx: PlanContext,
  index: StepIndex,
  network: ResolvedNetwork,
  action: ResourceAction,
): string[] {
  const elsewhere = ctx.overlayElsewhere(network.key);
  if (elsewhere !== undefined) return joinOverlay(ctx, index, network, elsewhere);
  const ref = networkRef(ctx, network);
  const matches = ctx.observedNetworks(network.name);
  if (matches.length > 1) {
    throw new PlanError(`engine ${ref.client}: ${matches.length} networks are named ${network.name}`, {
      hint: `remove the extra ones (docker network ls --filter name=${network.name})`,
    });
  }
  const existing = matches[0];
  ctx.builder.fingerprint({ object: ref, id: existing?.id ?? null });
  const decision = decideNetwork(network, existing, action);
  switch (decision.kind) {
    case "create": {
      const created = ctx.builder.add({ type: "create-network", object: ref });
      index.set("network", network.key, created);
      ctx.share("network", network.key, created);
      ctx.builder.change(ref, "create", decision.reasons);
      return [];
    }
    case "foreign":
      ctx.builder.warn(
        `network ${network.name} on ${ref.client} was not created by berth; it is used as it is`,
      );
      return [];
    case "keep":
    case "refuse":
      return [];
    case "outdated":
      ctx.builder.change(ref, "outdated", decision.reasons);
      return [];
    case "recreate":
      ctx.builder.change(ref, "recreate", decision.reasons);
      return recreateNetwork(
        ctx,
        index,
        network,
        existing as ObservedNetwork,
        describeReasons(decision.reasons),
      );
  }
}

/**
 * A network cannot change: disconnect the map's containers, remove it, create it again; the
 * containers that stay are connected again (their planner reads the returned keys).
 */
function recreateNetwork(
  ctx: PlanContext,
  index: StepIndex,
  network: ResolvedNetwork,
  existing: ObservedNetwork,
  why: string,
): string[] {
  const ref = networkRef(ctx, network);
  const attached = ctx.containersOnNetwork(network.name);
  const foreign = attached.filter((c) => c.mapName !== ctx.mapName);
  if (foreign.length > 0) {
    throw new PlanError(
      `engine ${ref.client}: network ${network.name} must be made again (${why}), but ${describeContainers(foreign)} not of map ${ctx.mapName} ${foreign.length === 1 ? "is" : "are"} connected to it`,
      {
        hint: `disconnect ${foreign.length === 1 ? "it" : "them"} (docker network disconnect ${network.name} NAME), then plan again`,
      },
    );
  }
  const disconnects = attached.map((c) =>
    ctx.builder.add({ type: "disconnect-network", object: ref, network: network.name, container: c.id }),
  );
  // An overlay goes once the containers of every engine are off it.
  const elsewhere = ctx.overlays.has(network.key)
    ? ctx.resolved.clients
        .filter((client) => client !== ctx.client.name)
        .map((client) => ctx.builder.remote(remoteToken({ kind: "detached", client, key: network.key })))
    : [];
  const removed = ctx.builder.add({
    type: "remove-network",
    object: ref,
    networkId: existing.id,
    ifUnused: false,
    after: [...disconnects, ...elsewhere],
  });
  const created = ctx.builder.add({ type: "create-network", object: ref, after: [removed] });
  index.set("network", network.key, created);
  ctx.share("network", network.key, created);
  return attached.flatMap((c) => (c.key === undefined ? [] : [c.key]));
}

/**
 * An overlay network another engine (a swarm manager) makes: this engine's containers join it by
 * name, and it is listed here only while one of them uses it, so it is neither created here nor
 * missing. Containers made here wait for it to be made there; when it is made again, this
 * engine's containers leave it first and join it again after (returns their keys).
 */
function joinOverlay(
  ctx: PlanContext,
  index: StepIndex,
  network: ResolvedNetwork,
  placement: OverlayPlacement,
): string[] {
  if (placement.decision !== "create" && placement.decision !== "recreate") return [];
  const made = ctx.builder.remote(remoteToken({ kind: "network", client: placement.home, key: network.key }));
  index.set("network", network.key, made);
  if (placement.decision === "create") return [];
  const ref = networkRef(ctx, network);
  const attached = ctx.containersOnNetwork(network.name);
  const foreign = attached.filter((c) => c.mapName !== ctx.mapName);
  if (foreign.length > 0) {
    throw new PlanError(
      `engine ${ref.client}: overlay network ${network.name} must be made again on ${placement.home}, but ${describeContainers(foreign)} not of map ${ctx.mapName} ${foreign.length === 1 ? "is" : "are"} connected to it`,
      {
        hint: `disconnect ${foreign.length === 1 ? "it" : "them"} (docker network disconnect ${network.name} NAME), then plan again`,
      },
    );
  }
  for (const container of attached) {
    const step = ctx.builder.add({
      type: "disconnect-network",
      object: ref,
      network: network.name,
      container: container.id,
    });
    ctx.share("detached", network.key, step);
  }
  return attached.flatMap((c) => (c.key === undefined ? [] : [c.key]));
}

function volumeRef(ctx: PlanContext, volume: ResolvedVolume): ObjectRef {
  return { kind: "volume", name: volume.name, client: ctx.client.name, key: volume.key };
}

/** What planning a volume reads and adds to. */
interface VolumePlanning {
  ctx: PlanContext;
  index: StepIndex;
  state: MapState;
  prepared: PreparedVolumes;
}

/** Returns the keys of the containers to make again after the volume (it is made again). */
function planVolume(p: VolumePlanning, volume: ResolvedVolume, action: ResourceAction): string[] {
  const { ctx, index } = p;
  const ref = volumeRef(ctx, volume);
  const existing = ctx.observedVolume(volume.name);
  ctx.builder.fingerprint({ object: ref, id: existing === undefined ? null : existing.name });
  const decision = decideVolume(volume, existing, action);
  switch (decision.kind) {
    case "create": {
      const created = ctx.builder.add({ type: "create-volume", object: ref });
      index.set("volume", volume.key, prepare(p, volume, created));
      ctx.builder.change(ref, "create", decision.reasons);
      return [];
    }
    case "foreign":
      ctx.builder.warn(
        `volume ${volume.name} on ${ref.client} was not created by berth; it is used as it is`,
      );
      return [];
    case "keep":
      // startup changes nothing that exists, but a volume berth holds no record for (the map was
      // shut down, which removes the record) is prepared as when it was made: its containers are
      // created after it.
      if (action.update || p.state.volumes?.[volume.name] === undefined)
        repairOwner(p, volume, ownerReasons(p, volume));
      else reportOwner(p, volume, ownerReasons(p, volume));
      return [];
    case "outdated":
      ctx.builder.change(ref, "outdated", [...decision.reasons, ...ownerReasons(p, volume)]);
      ctx.builder.warn(
        `volume ${volume.name} on ${ref.client} differs from the map and is kept as it is (update --recreate-volumes removes and recreates it, losing its data)`,
      );
      return [];
    case "refuse":
      throw new PlanError(
        `engine ${ref.client}: volume ${volume.name} differs from the map (${describeReasons(decision.reasons)}); berth does not recreate a volume implicitly, its data would be lost`,
        {
          hint: `keep the map's old definition, or remove the volume and its data explicitly (berth update --recreate-volumes, or berth shutdown --volumes / docker volume rm ${volume.name}) and run again`,
        },
      );
    case "recreate":
      ctx.builder.change(ref, "recreate", decision.reasons);
      return recreateVolume(p, volume);
  }
}

/** The volume is removed once every container mounting it is gone; they are made again after it. */
function recreateVolume(p: VolumePlanning, volume: ResolvedVolume): string[] {
  const { ctx, index } = p;
  const ref = volumeRef(ctx, volume);
  const mounting = ctx.mountersOf(volume.name);
  const foreign = mounting.filter((c) => !ctx.isOurs(c));
  if (foreign.length > 0) {
    throw new PlanError(
      `engine ${ref.client}: volume ${volume.name} is to be made again (--recreate-volumes), but ${describeContainers(foreign)} not of map ${ctx.mapName} ${foreign.length === 1 ? "mounts" : "mount"} it`,
      { hint: "remove those containers first, or run without --recreate-volumes" },
    );
  }
  const removals = mounting.map((c) => index.getOrSet("removed", c.id, () => removeContainer(ctx, c)));
  const removed = ctx.builder.add({ type: "remove-volume", object: ref, after: removals });
  const created = ctx.builder.add({ type: "create-volume", object: ref, after: [removed] });
  index.set("volume", volume.key, prepare(p, volume, created));
  return mounting.flatMap((c) => (c.key === undefined || !ctx.containers.has(c.key) ? [] : [c.key]));
}

/** Stops (when running) and removes one of the map's containers; returns the removal. */
function removeContainer(ctx: PlanContext, container: ObservedContainer): string {
  const key = container.key !== undefined && ctx.containers.has(container.key) ? container.key : undefined;
  const instance = key === undefined ? undefined : ctx.container(key);
  const object: ObjectRef =
    key === undefined
      ? { kind: "container", name: container.name, client: ctx.client.name }
      : { ...ctx.containerRef(key), name: container.name };
  const running = ["running", "restarting", "paused"].includes(container.state);
  const stopped = running
    ? ctx.builder.add({
        type: "stop-container",
        object,
        container: container.id,
        signal: instance?.stop_signal ?? null,
        timeoutSeconds: instance?.stop_timeout ?? null,
      })
    : undefined;
  return ctx.builder.add({
    type: "remove-container",
    object,
    container: container.id,
    removeVolumes: false,
    force: false,
    after: [stopped],
  });
}

/** Owner and permissions of a new attached volume, applied by a short-lived helper container. */
function prepare(p: VolumePlanning, volume: ResolvedVolume, after: string): string {
  if (volume.user === undefined && volume.permissions === undefined) return after;
  return prepareStep(p, volume, after);
}

/** Why the volume's owner or mode must be applied again: see volumeOwnerDifferences. */
function ownerReasons(p: VolumePlanning, volume: ResolvedVolume) {
  const recorded = p.state.volumes?.[volume.name];
  return volumeOwnerDifferences(volume, recorded, p.ctx.observedVolume(volume.name)?.folder);
}

/**
 * An existing volume whose owner or mode differs: the helper applies them again while its
 * containers keep running; a container this plan creates (a recreate under a new user) waits for it.
 */
function repairOwner(p: VolumePlanning, volume: ResolvedVolume, reasons: Reason[]): void {
  if (reasons.length === 0) return;
  p.index.set("volume", volume.key, prepareStep(p, volume, undefined));
  p.ctx.builder.change(volumeRef(p.ctx, volume), "prepare", [...reasons, REPAIRED_IN_PLACE]);
}

/** `startup` changes nothing that exists: the difference is reported. */
function reportOwner(p: VolumePlanning, volume: ResolvedVolume, reasons: Reason[]): void {
  if (reasons.length === 0) return;
  p.ctx.builder.change(volumeRef(p.ctx, volume), "outdated", [
    ...reasons,
    { message: "update repairs the owner and mode in place" },
  ]);
}

function prepareStep(p: VolumePlanning, volume: ResolvedVolume, after: string | undefined): string {
  const { ctx, index } = p;
  const owner = ctx.resolved.configs[volume.owner]?.[0];
  const image =
    ctx.resolved.helperImage ?? (owner === undefined ? "busybox:latest" : ctx.container(owner).image);
  const record: VolumeOwnerRecord = { user: volume.user ?? null, permissions: volume.permissions ?? null };
  const step = ctx.builder.add({
    type: "prepare-volume",
    object: volumeRef(ctx, volume),
    volume: volume.name,
    image,
    ...record,
    after: [after, pullStep(ctx, index, image)],
  });
  p.prepared.set(volume.name, { record, step });
  return step;
}

function describeContainers(containers: readonly ObservedContainer[]): string {
  const names = containers.map((c) => c.name).sort();
  return `container${names.length === 1 ? "" : "s"} ${names.join(", ")}`;
}

function addTo(map: Map<string, string[]>, key: string, value: string): void {
  map.set(key, [...(map.get(key) ?? []), value]);
}
