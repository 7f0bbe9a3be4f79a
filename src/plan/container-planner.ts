import { nodeKey, nodeKind, STALE_MAKING_KINDS } from "../graph/dependency-graph.js";
import { OVERLAY_DRIVER } from "../map/model.js";
import { containerNode } from "../map/resolve.js";
import type { ObservedContainer } from "../observe/observed-state.js";
import type { MapState } from "../desired/map-state.js";
import { decideContainer, type Decision, type ReferenceTarget } from "./container-decision.js";
import { buildDecision } from "./image-builds.js";
import {
  emitCreate,
  emitKeep,
  emitRecreate,
  type ContainerPlanning,
  type InPlaceChange,
} from "./container-steps.js";
import type { PlanContext } from "./plan-context.js";
import { REJOIN_EDGES, rejoins } from "./rejoin.js";
import type { Cause, ObjectRef } from "./plan-types.js";

/** A container found under its final name, or adopted from an interrupted recreate. */
interface Current {
  observed: ObservedContainer | undefined;
  /** The rename that makes an adopted replacement the container (when one is adopted). */
  adopted: string | undefined;
  /** Removals of other containers left under the temporary name. */
  leftovers: string[];
}

/**
 * Plans the map's containers in graph order, one decision each (container-decision.ts), turned into
 * steps (container-steps.ts). Decisions are kept: a recreate cascades to the dependents whose
 * reference it makes stale, and only those.
 */
export class ContainerPlanner {
  private readonly decisions = new Map<string, Decision>();
  /** Adopted replacements, by container key: their ids (the target of references once renamed). */
  private readonly adoptedIds = new Map<string, string>();
  /** Containers updated in place or reconnected by this plan, by container id. */
  readonly inPlace = new Map<string, InPlaceChange>();
  private readonly jobs: ReadonlySet<string>;
  private readonly ctx: PlanContext;
  /** The map's overlay networks (Docker names): the engine addresses their endpoints itself. */
  private readonly overlayNames: ReadonlySet<string>;

  constructor(
    private readonly planning: ContainerPlanning,
    private readonly state: MapState,
    /** Containers left out of the plan (a name conflict reported by `status`, and what needs it). */
    private readonly skipped: ReadonlySet<string> = new Set(),
  ) {
    this.ctx = planning.ctx;
    this.overlayNames = new Set(
      [...this.ctx.networks.values()].filter((n) => n.driver === OVERLAY_DRIVER).map((n) => n.name),
    );
    // A container another one waits to `complete` is a job: exited with 0 is where it should be.
    this.jobs = new Set(
      [...this.ctx.containers.values()].flatMap((c) =>
        c.dependsOn.filter((d) => d.condition === "completed").map((d) => d.container),
      ),
    );
  }

  /** Plans every container in scope, and those a recreate or a network or volume made again reaches. */
  run(scope: ReadonlySet<string>): void {
    const { recreated } = this.planning;
    for (const node of this.ctx.graph.order()) {
      if (nodeKind(node) !== "container") continue;
      const key = nodeKey(node);
      if (!this.ctx.containers.has(key) || this.skipped.has(key)) continue;
      const cascade = this.cascadeCauses(key);
      const touched = recreated.volumes.has(key) || recreated.networks.has(key);
      if (!scope.has(node) && cascade.length === 0 && !touched) continue;
      this.ctx.assertNameFree(key);
      this.plan(key, cascade);
    }
  }

  /** Recreates of dependencies that leave this container with a stale reference. */
  private cascadeCauses(key: string): Cause[] {
    const causes: Cause[] = [];
    for (const edge of this.ctx.graph.dependencyEdges(containerNode(key))) {
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

  private plan(key: string, cascade: Cause[]): void {
    const current = this.current(key);
    const observed = current.observed;
    const container = this.ctx.container(key);
    const spec = this.ctx.spec(key);
    const built = buildDecision(this.ctx, spec.image);
    const decision = decideContainer({
      update: this.ctx.options.action === "update",
      spec,
      observed,
      record: observed === undefined ? undefined : this.state.containers[observed.id],
      sensitive: this.ctx.resolved.sensitive,
      imageId: this.ctx.imageId(spec.image),
      pullNever: this.ctx.options.pull === "never",
      rebuild: built?.build === true ? built.reasons : undefined,
      cascade,
      references: this.references(key),
      recreatedVolumes: [...(this.planning.recreated.volumes.get(key) ?? [])],
      namespaceStart: this.namespaceStart(key) ?? this.staleNamespace(key, observed),
      nonrecoverableExitCodes: this.ctx.options.nonrecoverableExitCodes,
      job: this.jobs.has(key),
      persistent: container.persistent,
      engineAddressed: this.overlayNames,
    });
    this.decisions.set(key, decision);
    if (decision.kind !== "keep") {
      this.ctx.assertHostPortsFree(key);
      this.ctx.assertNamespaceTargetsRun(key);
    }
    switch (decision.kind) {
      case "create":
        emitCreate(this.planning, key, decision.reasons, [current.adopted]);
        break;
      case "recreate":
        emitRecreate(this.planning, key, decision, current);
        break;
      case "keep": {
        const change = emitKeep(this.planning, key, decision, current.adopted);
        if (change !== undefined) this.inPlace.set(decision.container.id, change);
        break;
      }
    }
  }

  /**
   * The container berth made for `key`. A recreate interrupted before its rename left the new one
   * under its temporary name: the newest such is adopted (renamed), the others removed. Containers
   * this plan already removes (a volume made again) are gone.
   */
  private current(key: string): Current {
    const ref = this.ctx.containerRef(key);
    const { index } = this.planning;
    const primary = this.ctx.primary(key);
    const temporaries = this.ctx.temporaries(key).filter((c) => !index.has("removed", c.id));
    const newest = primary === undefined ? temporaries[0] : undefined;
    const leftovers = temporaries.filter((c) => c !== newest).map((c) => this.removeLeftover(ref, c));
    let observed = primary;
    let adopted: string | undefined;
    if (newest !== undefined) {
      this.fingerprint({ ...ref, name: newest.name }, newest);
      adopted = this.ctx.builder.add({
        type: "rename-container",
        object: ref,
        container: newest.id,
        to: ref.name,
      });
      this.ctx.builder.change(ref, "rename", [
        { message: `finishes an interrupted recreate: ${newest.name} becomes ${ref.name}` },
      ]);
      observed = { ...newest, name: ref.name };
      this.adoptedIds.set(key, newest.id);
    }
    this.fingerprint(ref, observed);
    return { observed, adopted, leftovers };
  }

  private removeLeftover(ref: ObjectRef, leftover: ObservedContainer): string {
    const object = { ...ref, name: leftover.name };
    this.fingerprint(object, leftover);
    const removal = this.ctx.builder.add({
      type: "remove-container",
      object,
      container: leftover.id,
      removeVolumes: false,
      force: true,
    });
    this.ctx.builder.change(object, "remove", [{ message: "left behind by an interrupted recreate" }]);
    return this.planning.index.set("removed", leftover.id, removal);
  }

  private fingerprint(object: ObjectRef, container: ObservedContainer | undefined): void {
    this.ctx.builder.fingerprint({
      object,
      id: container?.id ?? null,
      state: container?.state,
      specHash: container?.specHash ?? null,
    });
  }

  /**
   * A network_mode or links target of `key` that this plan starts (it was not running): it comes
   * back in a new network namespace, with a new address, which a running `key` would not see.
   */
  private namespaceStart(key: string): Cause | undefined {
    for (const edge of this.ctx.graph.dependencyEdges(containerNode(key))) {
      if (!REJOIN_EDGES.has(edge.kind) || nodeKind(edge.dependency) !== "container") continue;
      const target = nodeKey(edge.dependency);
      if (!rejoins(edge.kind, this.ctx.spec(key), this.ctx.container(target).name)) continue;
      const decision = this.decisions.get(target);
      // A create or recreate of the target cascades along this edge already (a stale reference).
      if (decision?.kind !== "keep" || !(decision.start || decision.restart)) continue;
      return { object: target, change: decision.start ? "start" : "restart", edge: edge.kind };
    }
    return undefined;
  }

  /**
   * The network_mode target of `key`, running and kept by this plan, when it started after `key`
   * did (restarted by hand or by its restart policy): `key` still runs in the namespace of the
   * target's previous start, with loopback only. The start times come from the observation
   * (observe/namespaces.ts); without them nothing is concluded.
   */
  private staleNamespace(key: string, observed: ObservedContainer | undefined): Cause | undefined {
    if (observed?.startedAt === undefined) return undefined;
    for (const edge of this.ctx.graph.dependencyEdges(containerNode(key))) {
      if (edge.kind !== "network-mode" || nodeKind(edge.dependency) !== "container") continue;
      const target = nodeKey(edge.dependency);
      const joined = this.ctx.primary(target);
      if (joined?.startedAt === undefined || joined.state !== "running") continue;
      // Joined to another container than the current target: a stale reference, a recreate.
      if (!this.joins(observed, joined)) continue;
      if (joined.startedAt > observed.startedAt)
        return { object: target, change: "restarted", edge: edge.kind };
    }
    return undefined;
  }

  private joins(dependent: ObservedContainer, target: ObservedContainer): boolean {
    return (
      dependent.networkMode === `container:${target.id}` ||
      dependent.networkMode === `container:${target.name}`
    );
  }

  /** The containers `key` refers to by id (links, volumes_from, network_mode), as they are now. */
  private references(key: string): ReferenceTarget[] {
    const targets: ReferenceTarget[] = [];
    for (const edge of this.ctx.graph.dependencyEdges(containerNode(key))) {
      if (!STALE_MAKING_KINDS.has(edge.kind) || nodeKind(edge.dependency) !== "container") continue;
      const target = nodeKey(edge.dependency);
      const name = this.ctx.containers.get(target)?.name;
      if (name === undefined) continue;
      // A replacement left under its temporary name is the target once this plan renames it.
      const currentId = this.adoptedIds.get(target) ?? this.ctx.primary(target)?.id;
      targets.push({ key: target, name, edge: edge.kind, currentId });
    }
    return targets;
  }
}
