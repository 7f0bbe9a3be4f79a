import { compareText } from "../common/text.js";
import { canonicalJson } from "../common/canonical-json.js";
import { nodeKey, nodeKind, STALE_MAKING_KINDS } from "../graph/dependency-graph.js";
import type { ContainerInstance, ResolvedNetwork, ResolvedVolume } from "../map/model.js";
import { containerNode, type DependencyEdge, type NodeId } from "../map/resolve.js";
import type { ObservedContainer } from "../observe/observed-state.js";
import type { ContainerSpec, EndpointSpec } from "../spec/container-spec.js";
import { extraEndpoints } from "../spec/create-body.js";
import { diffSpecs, type FieldChange } from "../spec/spec-diff.js";
import { protectSpec, specHash } from "../spec/spec-label.js";
import {
  effectiveSpec,
  inPlaceRecordOf,
  stateContainerName,
  type InPlaceRecord,
  type MapState,
} from "../spec/map-state.js";
import { PlanError, shortId, TEMPORARY_SUFFIX, type PlanContext } from "./plan-context.js";
import type { Cause, ObjectRef, Reason } from "./plan-types.js";

/** What the planner decided for one container. */
type Decision =
  | { kind: "create"; reasons: Reason[] }
  | { kind: "recreate"; reasons: Reason[]; old: ObservedContainer; mode: "safe" | "remove-first" }
  | {
      kind: "keep";
      container: ObservedContainer;
      start: boolean;
      update: string[];
      reconnect: EndpointChange[];
      reasons: Reason[];
    };

interface EndpointChange {
  network: string;
  connect?: EndpointSpec;
  disconnect: boolean;
  reason: string;
}

/**
 * Plans `startup` and `update` on one engine: create what is missing, start what is stopped, and
 * for `update` recreate, update in place or reconnect what differs from the map — each with its
 * reasons. Recreates cascade along the edges that make a dependent stale, and only those.
 */
export class ReconcilePlanner {
  private readonly decisions = new Map<string, Decision>();
  /** Step after which a container runs under its final name (its last exec, else its start). */
  private readonly ready = new Map<string, string>();
  /** Step after which a container exists under its final name. */
  private readonly exists = new Map<string, string>();
  private readonly volumeReady = new Map<string, string>();
  private readonly networkReady = new Map<string, string>();
  private readonly pulls = new Map<string, string>();
  /** Removals of containers left under a temporary name, by container key: a new one waits for them. */
  private readonly leftoverRemovals = new Map<string, string[]>();
  private readonly waits = new Map<string, string>();
  /** Containers this plan renames to their final name (an interrupted recreate), by key: their ids. */
  private readonly adoptedIds = new Map<string, string>();
  /** What berth changed on containers after making them, as recorded before this plan. */
  private readonly state: MapState;
  /** Containers updated in place or reconnected by this plan: their new record and the steps. */
  private readonly recorded = new Map<string, { record: InPlaceRecord; steps: string[] }>();
  /** Containers to recreate after a volume they mount is made again (volume keys). */
  private readonly volumeBlocked = new Map<string, string[]>();
  /** Containers to connect again after a network they are on is made again (network keys). */
  private readonly networkBlocked = new Map<string, string[]>();
  private readonly jobs: Set<string>;

  constructor(private readonly ctx: PlanContext) {
    this.state = ctx.mapState();
    // A container another one waits to `complete` is a job: exited with 0 is where it should be.
    this.jobs = new Set(
      [...ctx.containers.values()].flatMap((c) =>
        c.dependsOn.filter((d) => d.condition === "completed").map((d) => d.container),
      ),
    );
  }

  private get update(): boolean {
    return this.ctx.options.action === "update";
  }

  private get builder() {
    return this.ctx.builder;
  }

  run(selected: readonly string[]): void {
    const keys = selected.filter((k) => this.ctx.containers.has(k));
    const scope = this.ctx.graph.closure(keys.map(containerNode), "forward");
    for (const key of keys) this.ctx.assertNameFree(key);
    for (const node of this.ctx.graph.order()) {
      if (nodeKind(node) === "network" && scope.has(node))
        this.planNetwork(this.ctx.networks.get(nodeKey(node)) as ResolvedNetwork);
      if (nodeKind(node) === "volume" && scope.has(node))
        this.planVolume(this.ctx.volumes.get(nodeKey(node)) as ResolvedVolume);
    }
    for (const node of this.ctx.graph.order()) {
      if (nodeKind(node) !== "container") continue;
      const key = nodeKey(node);
      if (!this.ctx.containers.has(key)) continue;
      const cascade = this.cascadeCauses(node);
      const touched = this.volumeBlocked.has(key) || this.networkBlocked.has(key);
      if (!scope.has(node) && cascade.length === 0 && !touched) continue;
      this.ctx.assertNameFree(key);
      this.planContainer(key, cascade);
    }
    this.recordState();
  }

  /**
   * Labels cannot change: what this plan updates in place or reconnects is written to the map's
   * state record, once those steps are done, so the next plan compares against it.
   */
  private recordState(): void {
    if (this.recorded.size === 0) return;
    const live = new Set(this.ctx.ours().map((c) => c.id));
    const containers: MapState["containers"] = {};
    for (const [id, record] of Object.entries(this.state.containers))
      if (live.has(id)) containers[id] = record;
    for (const [id, { record }] of this.recorded) containers[id] = record;
    const current = this.ctx.stateContainer();
    const object: ObjectRef = {
      kind: "container",
      name: stateContainerName(this.ctx.mapName),
      client: this.ctx.client.name,
    };
    this.builder.fingerprint({ object, id: current?.id ?? null });
    this.builder.add({
      type: "record-state",
      object,
      state: { v: 1, containers },
      after: [...this.recorded.values()].flatMap((r) => r.steps),
    });
  }

  // ---- networks and volumes ---------------------------------------------------------------------

  private networkRef(network: ResolvedNetwork): ObjectRef {
    return { kind: "network", name: network.name, client: this.ctx.client.name, key: network.key };
  }

  private planNetwork(network: ResolvedNetwork): void {
    const ref = this.networkRef(network);
    const matches = this.ctx.observedNetworks(network.name);
    if (matches.length > 1) {
      throw new PlanError(`engine ${ref.client}: ${matches.length} networks are named ${network.name}`, {
        hint: `remove the extra ones (docker network ls --filter name=${network.name})`,
      });
    }
    const existing = matches[0];
    this.builder.fingerprint({ object: ref, id: existing?.id ?? null });
    if (existing === undefined) {
      this.networkReady.set(network.key, this.builder.add({ type: "create-network", object: ref }));
      this.builder.change(ref, "create", [{ message: "network does not exist" }]);
      return;
    }
    if (existing.mapName !== this.ctx.mapName) {
      this.builder.warn(
        `network ${network.name} on ${ref.client} was not created by berth; it is used as it is`,
      );
      return;
    }
    const reasons = differences([
      ["driver", existing.driver, network.driver],
      ["driver_options", existing.options, network.driverOptions],
      ["internal", existing.internal, network.internal],
    ]);
    if (reasons.length === 0) return;
    if (!this.update) {
      this.builder.change(ref, "outdated", reasons);
      return;
    }
    // A network cannot change: disconnect berth's containers, remove it, create it again,
    // and connect the containers that stay.
    const attached = this.ctx.ours().filter((c) => c.networks[network.name] !== undefined);
    const disconnects = attached.map((c) =>
      this.builder.add({ type: "disconnect-network", object: ref, network: network.name, container: c.id }),
    );
    const removed = this.builder.add({
      type: "remove-network",
      object: ref,
      networkId: existing.id,
      ifUnused: false,
      after: disconnects,
    });
    const created = this.builder.add({ type: "create-network", object: ref, after: [removed] });
    this.networkReady.set(network.key, created);
    this.builder.change(ref, "recreate", reasons);
    for (const container of attached) {
      if (container.key !== undefined) addTo(this.networkBlocked, container.key, network.key);
    }
  }

  private volumeRef(volume: ResolvedVolume): ObjectRef {
    return { kind: "volume", name: volume.name, client: this.ctx.client.name, key: volume.key };
  }

  private planVolume(volume: ResolvedVolume): void {
    const ref = this.volumeRef(volume);
    const existing = this.ctx.observedVolume(volume.name);
    this.builder.fingerprint({ object: ref, id: existing === undefined ? null : existing.name });
    if (existing === undefined) {
      const created = this.builder.add({ type: "create-volume", object: ref });
      this.volumeReady.set(volume.key, this.prepare(volume, created));
      this.builder.change(ref, "create", [{ message: "volume does not exist" }]);
      return;
    }
    if (existing.mapName !== this.ctx.mapName) {
      this.builder.warn(
        `volume ${volume.name} on ${ref.client} was not created by berth; it is used as it is`,
      );
      return;
    }
    const reasons = differences([
      ["driver", existing.driver, volume.driver],
      ["driver_options", existing.options, volume.driverOptions],
    ]);
    if (reasons.length === 0) return;
    if (!this.update || !this.ctx.options.recreateVolumes) {
      this.builder.change(ref, "outdated", [
        ...reasons,
        {
          message:
            "berth never recreates a volume implicitly: its data would be lost; update --recreate-volumes allows it",
        },
      ]);
      this.builder.warn(
        `volume ${volume.name} on ${ref.client} differs from the map and is kept as it is (update --recreate-volumes removes and recreates it, losing its data)`,
      );
      return;
    }
    // The volume is removed once every container mounting it is gone; they are made again after.
    const users = this.ctx.mountersOf(volume.name).filter((c) => this.ctx.isOurs(c));
    for (const user of users) {
      if (user.key !== undefined) addTo(this.volumeBlocked, user.key, volume.key);
    }
    const removal = this.builder.add({ type: "remove-volume", object: ref, after: [] });
    this.pendingVolumeRemovals.set(volume.key, removal);
    const created = this.builder.add({ type: "create-volume", object: ref, after: [removal] });
    this.volumeReady.set(volume.key, this.prepare(volume, created));
    this.builder.change(ref, "recreate", [...reasons, { message: "--recreate-volumes: its data is lost" }]);
  }

  /** Volume removals wait for the removal of every container that mounts the volume. */
  private readonly pendingVolumeRemovals = new Map<string, string>();

  /** Owner and permissions of a new attached volume, applied by a short-lived helper container. */
  private prepare(volume: ResolvedVolume, created: string): string {
    if (volume.user === undefined && volume.permissions === undefined) return created;
    const owner = this.ctx.resolved.configs[volume.owner]?.[0];
    const image =
      this.ctx.resolved.helperImage ??
      (owner === undefined ? "busybox:latest" : this.ctx.container(owner).image);
    const pull = this.pull(image);
    return this.builder.add({
      type: "prepare-volume",
      object: this.volumeRef(volume),
      volume: volume.name,
      image,
      user: volume.user ?? null,
      permissions: volume.permissions ?? null,
      after: [created, pull],
    });
  }

  private pull(image: string): string | undefined {
    if (this.ctx.imageId(image) !== undefined) return undefined;
    const known = this.pulls.get(image);
    if (known !== undefined) return known;
    const ref: ObjectRef = { kind: "image", name: image, client: this.ctx.client.name };
    if (this.ctx.options.pull === "never") {
      throw new PlanError(`engine ${ref.client}: image ${image} is not present and --pull never was given`, {
        hint: "pull or build the image first, or allow pulling (--pull missing)",
      });
    }
    this.builder.fingerprint({ object: ref, id: null });
    const id = this.builder.add({ type: "pull-image", object: ref, image });
    this.builder.change(ref, "pull", [{ message: "image is not present on the engine" }]);
    this.pulls.set(image, id);
    return id;
  }

  // ---- containers --------------------------------------------------------------------------------

  /** Recreates of dependencies that leave this container with a stale reference. */
  private cascadeCauses(node: NodeId): Cause[] {
    const causes: Cause[] = [];
    for (const edge of this.ctx.graph.dependencyEdges(node)) {
      if (!STALE_MAKING_KINDS.has(edge.kind) || nodeKind(edge.dependency) !== "container") continue;
      const dependency = nodeKey(edge.dependency);
      const decision = this.decisions.get(dependency);
      if (decision === undefined || decision.kind === "keep") continue;
      const cause: Cause = { object: dependency, change: decision.kind, edge: edge.kind };
      const upstream = decision.reasons.find((r) => r.cause !== undefined)?.cause;
      if (upstream !== undefined) cause.because = upstream;
      causes.push(cause);
    }
    return causes;
  }

  private planContainer(key: string, cascade: Cause[]): void {
    const ref = this.ctx.containerRef(key);
    const finalName = ref.name;
    let primary = this.ctx.primary(key);
    const temporaries = this.ctx.temporaries(key);
    // A recreate interrupted before its rename left the new container under its temporary name.
    let adopted: string | undefined;
    if (primary === undefined && temporaries.length > 0) {
      const [newest, ...rest] = temporaries as [ObservedContainer, ...ObservedContainer[]];
      this.leftoverRemovals.set(key, this.removeLeftovers(ref, rest));
      this.builder.fingerprint({
        object: { ...ref, name: newest.name },
        id: newest.id,
        state: newest.state,
        specHash: newest.specHash ?? null,
      });
      adopted = this.builder.add({
        type: "rename-container",
        object: ref,
        container: newest.id,
        to: finalName,
      });
      this.builder.change(ref, "rename", [
        { message: `finishes an interrupted recreate: ${newest.name} becomes ${finalName}` },
      ]);
      primary = { ...newest, name: finalName };
      this.adoptedIds.set(key, newest.id);
    } else {
      this.leftoverRemovals.set(key, this.removeLeftovers(ref, temporaries));
    }
    this.builder.fingerprint({
      object: ref,
      id: primary?.id ?? null,
      state: primary?.state,
      specHash: primary?.specHash ?? null,
    });

    const decision = this.decide(key, primary, cascade);
    this.decisions.set(key, decision);
    switch (decision.kind) {
      case "create":
        this.emitCreate(key, ref, decision.reasons, adopted);
        break;
      case "recreate":
        this.emitRecreate(key, ref, decision, adopted);
        break;
      case "keep":
        this.emitKeep(key, ref, decision, adopted);
        break;
    }
  }

  private removeLeftovers(ref: ObjectRef, leftovers: ObservedContainer[]): string[] {
    const removals: string[] = [];
    for (const leftover of leftovers) {
      const object = { ...ref, name: leftover.name };
      this.builder.fingerprint({
        object,
        id: leftover.id,
        state: leftover.state,
        specHash: leftover.specHash ?? null,
      });
      removals.push(
        this.builder.add({
          type: "remove-container",
          object,
          container: leftover.id,
          removeVolumes: false,
          force: true,
        }),
      );
      this.builder.change(object, "remove", [{ message: "left behind by an interrupted recreate" }]);
    }
    return removals;
  }

  private decide(key: string, observed: ObservedContainer | undefined, cascade: Cause[]): Decision {
    if (observed === undefined) return { kind: "create", reasons: [{ message: "container does not exist" }] };
    const container = this.ctx.container(key);
    const spec = this.ctx.spec(key);
    const recreate: Reason[] = [];
    const blocking = this.volumeBlocked.get(key) ?? [];

    const applied = observed.applied;
    const record = this.state.containers[observed.id];
    const sensitive = this.ctx.resolved.sensitive;
    let changes: FieldChange[] = [];
    /** In-place and reconnect fields compare against what berth set since: label plus record. */
    let current: FieldChange[] = [];
    if (applied === undefined) {
      recreate.push({ message: "created without a spec berth can read (made by hand or by another tool)" });
    } else if (
      record !== undefined ||
      specHash(protectSpec(spec, applied.salt, sensitive)) !== observed.specHash
    ) {
      changes = diffSpecs(applied.spec, spec, applied.salt, sensitive);
      current =
        record === undefined
          ? changes
          : diffSpecs(effectiveSpec(applied.spec, record), spec, applied.salt, sensitive);
    }
    for (const change of changes.filter((c) => c.class === "recreate")) recreate.push(fieldReason(change));
    recreate.push(...this.imageReasons(spec, observed));
    recreate.push(...this.replacedReferences(key, observed, cascade));
    for (const cause of cascade) {
      recreate.push({
        message: `${cause.object} is ${cause.change === "create" ? "created" : "recreated"} (${cause.edge})`,
        cause,
      });
    }
    if (observed.state === "dead") recreate.push({ message: "the container is dead" });
    if (
      observed.state === "exited" &&
      this.ctx.options.nonrecoverableExitCodes.includes(observed.exitCode ?? NaN)
    ) {
      recreate.push({
        message: `exited with code ${observed.exitCode}, which the engine cannot recover from by a start`,
      });
    }
    const inPlace = current.filter((c) => c.class === "in-place");
    const update: string[] = [];
    for (const change of inPlace) {
      if (change.new === undefined && change.field !== "restart") {
        recreate.push({
          ...fieldReason(change),
          message: `${change.field} removed; the engine cannot unset it in place`,
        });
      } else update.push(change.field);
    }
    for (const volume of blocking)
      recreate.push({ message: `volume ${volume} is recreated (--recreate-volumes)` });

    if (recreate.length > 0 && (this.update || observed.state === "dead")) {
      const mode = blocking.length > 0 ? "remove-first" : "safe";
      return { kind: "recreate", reasons: recreate, old: observed, mode };
    }
    const known = applied === undefined ? {} : effectiveSpec(applied.spec, record).networks;
    const reconnect = this.update ? this.endpointChanges(spec, observed, known) : [];
    const reasons: Reason[] = [];
    if (!this.update) {
      const outdated = [
        ...recreate,
        ...inPlace.map(fieldReason),
        ...this.endpointChanges(spec, observed, known).map((e) => ({ message: e.reason })),
      ];
      if (outdated.length > 0) this.builder.change(this.ctx.containerRef(key), "outdated", outdated);
    }
    const start = this.needsStart(key, container, observed);
    if (start)
      reasons.push({
        message:
          observed.state === "created"
            ? "created but never started"
            : `container is ${describeState(observed)}`,
      });
    return {
      kind: "keep",
      container: observed,
      start,
      update: this.update ? update : [],
      reconnect,
      reasons,
    };
  }

  private imageReasons(spec: ContainerSpec, observed: ObservedContainer): Reason[] {
    const current = this.ctx.imageId(spec.image);
    if (current === undefined) {
      if (this.ctx.options.pull === "never") return [];
      return [
        {
          message: `image ${spec.image} is not present; it is pulled and the container made from it`,
          field: "image",
        },
      ];
    }
    if (current === observed.imageId) return [];
    return [
      {
        message: `image ${spec.image} now refers to ${shortId(current)} (the container runs ${shortId(observed.imageId)})`,
        field: "image",
        old: shortId(observed.imageId),
        new: shortId(current),
      },
    ];
  }

  /** References recorded at creation (links, volumes_from, network_mode) to containers replaced since. */
  private replacedReferences(key: string, observed: ObservedContainer, cascade: Cause[]): Reason[] {
    const bound = observed.applied?.bound ?? {};
    const reasons: Reason[] = [];
    for (const edge of this.ctx.graph.dependencyEdges(containerNode(key))) {
      if (!STALE_MAKING_KINDS.has(edge.kind) || nodeKind(edge.dependency) !== "container") continue;
      const target = nodeKey(edge.dependency);
      if (cascade.some((c) => c.object === target)) continue;
      const targetName = this.ctx.containers.get(target)?.name;
      if (targetName === undefined) continue;
      const boundId = bound[targetName];
      // A replacement left under its temporary name is the target once this plan renames it.
      const adoptedId = this.adoptedIds.get(target);
      const current = adoptedId === undefined ? this.ctx.primary(target) : { id: adoptedId };
      if (boundId !== undefined && current !== undefined && current.id !== boundId) {
        reasons.push({
          message: `${target} was replaced after this container was made (${edge.kind}): its reference is stale`,
          cause: { object: target, change: "replaced", edge: edge.kind },
        });
      }
    }
    return reasons;
  }

  private needsStart(key: string, container: ContainerInstance, observed: ObservedContainer): boolean {
    if (observed.state === "running" || observed.state === "restarting") return false;
    if (observed.state === "paused") return false;
    if (observed.state === "created") return true;
    if (this.jobs.has(key) && observed.exitCode === 0) return false;
    // docker-map's persistent containers are not started again once they ran and stopped.
    if (container.persistent) return false;
    return true;
  }

  /**
   * Network endpoints: membership from the container list; aliases, links and addresses from what
   * berth set (the label, or the state record after a reconnect).
   */
  private endpointChanges(
    spec: ContainerSpec,
    observed: ObservedContainer,
    known: Record<string, EndpointSpec>,
  ): EndpointChange[] {
    const mode = spec.network_mode;
    if (mode === "host" || mode === "none" || mode === "disabled" || mode.startsWith("container:")) return [];
    const changes: EndpointChange[] = [];
    for (const [network, endpoint] of Object.entries(spec.networks)) {
      const current = known[network];
      if (observed.networks[network] === undefined) {
        changes.push({
          network,
          connect: endpoint,
          disconnect: false,
          reason: `not connected to network ${network}`,
        });
      } else if (current !== undefined && !sameEndpoint(current, endpoint)) {
        changes.push({
          network,
          connect: endpoint,
          disconnect: true,
          reason: `endpoint on network ${network} differs (aliases, links or addresses)`,
        });
      }
    }
    const implicit = mode === "default" || mode === "bridge" ? ["bridge"] : [];
    for (const network of Object.keys(observed.networks)) {
      if (spec.networks[network] === undefined && !implicit.includes(network)) {
        changes.push({
          network,
          disconnect: true,
          reason: `connected to network ${network}, which the map does not list`,
        });
      }
    }
    return changes;
  }

  // ---- steps -------------------------------------------------------------------------------------

  /** What a container's first step waits for: its image (when it is made), volumes, networks, dependencies. */
  private prerequisites(
    key: string,
    spec: ContainerSpec,
    options: { pull: boolean },
  ): (string | undefined)[] {
    const after: (string | undefined)[] = options.pull ? [this.pull(spec.image)] : [];
    for (const edge of this.ctx.graph.dependencyEdges(containerNode(key))) after.push(this.readyOf(edge));
    return after;
  }

  private readyOf(edge: DependencyEdge): string | undefined {
    const key = nodeKey(edge.dependency);
    switch (nodeKind(edge.dependency)) {
      case "volume":
        return this.volumeReady.get(key);
      case "network":
        return this.networkReady.get(key);
      case "container":
        // depends_on with a condition gates the start (see waitsFor), not the create.
        return edge.kind === "depends-on" ? this.exists.get(key) : this.ready.get(key);
    }
  }

  /** Health and completion gates of a container's start. */
  private waitsFor(key: string): string[] {
    const out: string[] = [];
    for (const dependency of this.ctx.container(key).dependsOn) {
      const target = dependency.container;
      if (!this.ctx.containers.has(target)) continue;
      if (dependency.condition === "started") {
        const ready = this.ready.get(target);
        if (ready !== undefined) out.push(ready);
        continue;
      }
      const waitKey = `${dependency.condition}:${target}`;
      let wait = this.waits.get(waitKey);
      if (wait === undefined) {
        const object = this.ctx.containerRef(target);
        wait = this.builder.add({
          type: dependency.condition === "healthy" ? "wait-healthy" : "wait-completed",
          object,
          container: object.name,
          after: [this.ready.get(target)],
        });
        this.waits.set(waitKey, wait);
      }
      out.push(wait);
    }
    return out;
  }

  private emitCreate(key: string, ref: ObjectRef, reasons: Reason[], adopted: string | undefined): void {
    const spec = this.ctx.spec(key);
    const created = this.builder.add({
      type: "create-container",
      object: ref,
      name: ref.name,
      temporary: false,
      carriedVolumes: [],
      after: [...this.prerequisites(key, spec, { pull: true }), adopted],
    });
    this.exists.set(key, created);
    this.builder.change(ref, "create", reasons);
    this.emitStart(key, [created, ...this.connects(ref, spec, created)], true);
  }

  private emitRecreate(
    key: string,
    ref: ObjectRef,
    decision: Extract<Decision, { kind: "recreate" }>,
    adopted: string | undefined,
  ): void {
    const spec = this.ctx.spec(key);
    const old = decision.old;
    const carried = carriedVolumes(old, spec);
    this.builder.change(ref, "recreate", decision.reasons);
    const running = old.state === "running" || old.state === "restarting" || old.state === "paused";
    const stopOld = (after: (string | undefined)[]) =>
      running
        ? this.builder.add({
            type: "stop-container",
            object: ref,
            container: old.id,
            signal: this.ctx.container(key).stopSignal ?? null,
            timeoutSeconds: this.ctx.container(key).stopTimeoutSeconds ?? null,
            after,
          })
        : undefined;
    if (decision.mode === "remove-first") {
      // A volume or network it uses must be made again first, which needs the old container gone.
      const stopped = stopOld([adopted]);
      const removed = this.builder.add({
        type: "remove-container",
        object: ref,
        container: old.id,
        removeVolumes: false,
        force: false,
        after: [stopped ?? adopted],
      });
      for (const [volumeKey, removal] of this.pendingVolumeRemovals) {
        if (old.mounts.some((m) => m.name === this.ctx.volumes.get(volumeKey)?.name))
          this.addAfter(removal, removed);
      }
      const created = this.builder.add({
        type: "create-container",
        object: ref,
        name: ref.name,
        temporary: false,
        carriedVolumes: carried,
        after: [...this.prerequisites(key, spec, { pull: true }), removed],
      });
      this.exists.set(key, created);
      this.emitStart(key, [created, ...this.connects(ref, spec, created)], true);
      return;
    }
    // Safe order: the new container exists before the old one goes, and takes its name after.
    const temporaryName = `${ref.name}${TEMPORARY_SUFFIX}`;
    const created = this.builder.add({
      type: "create-container",
      object: ref,
      name: temporaryName,
      temporary: true,
      carriedVolumes: carried,
      // A container left under the temporary name must be gone before the name is taken again.
      after: [
        ...this.prerequisites(key, spec, { pull: true }),
        adopted,
        ...(this.leftoverRemovals.get(key) ?? []),
      ],
    });
    const stopped = stopOld([created]);
    const removed = this.builder.add({
      type: "remove-container",
      object: ref,
      container: old.id,
      removeVolumes: false,
      force: false,
      after: [stopped ?? created],
    });
    const renamed = this.builder.add({
      type: "rename-container",
      object: ref,
      container: temporaryName,
      to: ref.name,
      after: [removed],
    });
    this.exists.set(key, renamed);
    this.emitStart(key, [renamed, ...this.connects(ref, spec, renamed)], true);
  }

  private addAfter(stepId: string, dependency: string): void {
    const step = this.builder.steps.find((s) => s.id === stepId);
    if (step !== undefined && !step.after.includes(dependency))
      step.after = [...step.after, dependency].sort();
  }

  private emitKeep(
    key: string,
    ref: ObjectRef,
    decision: Extract<Decision, { kind: "keep" }>,
    adopted: string | undefined,
  ): void {
    const container = decision.container;
    const reasons: Reason[] = [...decision.reasons];
    const spec = this.ctx.spec(key);
    let last: string | undefined = adopted;
    if (adopted !== undefined) this.exists.set(key, adopted);
    if (decision.update.length > 0) {
      last = this.builder.add({
        type: "update-container",
        object: ref,
        container: ref.name,
        fields: decision.update,
        after: [adopted],
      });
      const changes = decision.update.map((field) => ({ message: `${field} changes in place`, field }));
      this.builder.change(ref, "update", changes);
    }
    const reconnects: string[] = [];
    for (const change of decision.reconnect) {
      const networkKey = [...this.ctx.networks.values()].find((n) => n.name === change.network)?.key;
      let step: string | undefined = last;
      if (change.disconnect) {
        step = this.builder.add({
          type: "disconnect-network",
          object: ref,
          network: change.network,
          container: ref.name,
          after: [step],
        });
      }
      if (change.connect !== undefined) {
        step = this.builder.add({
          type: "connect-network",
          object: ref,
          network: change.network,
          container: ref.name,
          endpoint: change.connect,
          after: [step, networkKey === undefined ? undefined : this.networkReady.get(networkKey)],
        });
      }
      if (step !== undefined) reconnects.push(step);
    }
    if (decision.reconnect.length > 0)
      this.builder.change(
        ref,
        "reconnect",
        decision.reconnect.map((c) => ({ message: c.reason })),
      );
    if (decision.update.length > 0 || decision.reconnect.length > 0) {
      const steps = [...(decision.update.length > 0 && last !== undefined ? [last] : []), ...reconnects];
      this.recorded.set(container.id, { record: inPlaceRecordOf(spec), steps });
    }
    // A network made again drops its endpoints; connect the containers that stay.
    for (const [network, endpoint] of Object.entries(spec.networks)) {
      const networkKey = [...this.ctx.networks.values()].find((n) => n.name === network)?.key;
      const blocked = networkKey !== undefined && (this.networkBlocked.get(key) ?? []).includes(networkKey);
      if (blocked && !decision.reconnect.some((c) => c.network === network)) {
        reconnects.push(
          this.builder.add({
            type: "connect-network",
            object: ref,
            network,
            container: ref.name,
            endpoint,
            after: [networkKey === undefined ? undefined : this.networkReady.get(networkKey)],
          }),
        );
      }
    }
    if (decision.start) {
      this.builder.change(ref, "start", reasons);
      this.emitStart(key, [last, ...reconnects, ...this.prerequisites(key, spec, { pull: false })], false);
    } else if (last !== undefined || reconnects.length > 0) {
      this.ready.set(key, reconnects.at(-1) ?? (last as string));
    }
    void container;
  }

  /** Extra endpoints (API 1.41 takes one network at create) are connected before the start. */
  private connects(ref: ObjectRef, spec: ContainerSpec, after: string): string[] {
    return extraEndpoints(spec).map(([network, endpoint]) =>
      this.builder.add({
        type: "connect-network",
        object: ref,
        network,
        container: ref.name,
        endpoint,
        after: [after],
      }),
    );
  }

  private emitStart(key: string, after: (string | undefined)[], created: boolean): void {
    const { started, last } = this.ctx.startSteps(key, [...after, ...this.waitsFor(key)], created);
    if (!this.exists.has(key)) this.exists.set(key, started);
    this.ready.set(key, last);
  }
}

function addTo(map: Map<string, string[]>, key: string, value: string): void {
  map.set(key, [...(map.get(key) ?? []), value]);
}

function fieldReason(change: FieldChange): Reason {
  const reason: Reason = { message: `${change.field} changed`, field: change.field };
  if (change.old !== undefined) reason.old = change.old;
  if (change.new !== undefined) reason.new = change.new;
  return reason;
}

function differences(pairs: [string, unknown, unknown][]): Reason[] {
  return pairs
    .filter(([, before, after]) => canonicalJson(before) !== canonicalJson(after))
    .map(([field, before, after]) => ({ message: `${field} changed`, field, old: before, new: after }));
}

function sameEndpoint(current: EndpointSpec, desired: EndpointSpec): boolean {
  const sorted = (values: readonly string[]) => canonicalJson([...values].sort());
  return (
    sorted(current.aliases) === sorted(desired.aliases) &&
    sorted(current.links) === sorted(desired.links) &&
    current.ipv4_address === desired.ipv4_address &&
    current.ipv6_address === desired.ipv6_address &&
    sorted(current.link_local_ips) === sorted(desired.link_local_ips)
  );
}

function describeState(container: ObservedContainer): string {
  return container.state === "exited" && container.exitCode !== undefined
    ? `exited (${container.exitCode})`
    : container.state;
}

/**
 * Anonymous volumes of the container being replaced, to mount again in the new one at the same
 * path: the data in `shares` (and image VOLUMEs) survives the recreate. A path the new spec mounts
 * otherwise is left to the new spec.
 */
export function carriedVolumes(
  old: ObservedContainer,
  spec: ContainerSpec,
): { name: string; path: string }[] {
  const taken = new Set([
    ...spec.binds.map((b) => b.split(":")[1]),
    ...spec.attaches.map((a) => a.split(":")[1]),
    ...spec.uses.filter((u) => u.startsWith("volume:")).map((u) => u.split(":")[2]),
  ]);
  return old.mounts
    .filter(
      (m) =>
        m.type === "volume" && m.name !== null && /^[0-9a-f]{64}$/.test(m.name) && !taken.has(m.destination),
    )
    .map((m) => ({ name: m.name as string, path: m.destination }))
    .sort((a, b) => compareText(a.path, b.path));
}
