import { InternalError } from "../common/berth-error.js";
import { nodeKey, nodeKind } from "../graph/dependency-graph.js";
import { containerNode, networkNode, volumeNode, type EdgeKind } from "../map/resolve.js";
import type { ObservedContainer } from "../observe/observed-state.js";
import type { PlanContext } from "./plan-context.js";
import { planStateRecord } from "./state-record.js";
import { REJOIN_EDGES, rejoinReason, rejoins } from "./rejoin.js";
import type { ObjectRef, Reason } from "./plan-types.js";
import { remoteToken } from "./remote-steps.js";

const RUNNING_STATES = new Set(["running", "restarting", "paused"]);
/** Anonymous volumes have a 64-hex name. */
const ANONYMOUS = /^[0-9a-f]{64}$/;

/**
 * Plans the actions that work on what exists: shutdown, stop, remove, start, restart, kill.
 * Reverse actions (shutdown, stop, remove) take the targets' dependents too and go dependents
 * first; start takes their dependencies, dependencies first; restart and kill only the targets.
 */
export class TeardownPlanner {
  private readonly stops = new Map<string, string>();
  private readonly removals = new Map<string, string>();
  /** Each container started by this plan: its start step and its last step (its exec commands). */
  private readonly starts = new Map<string, { started: string; last: string }>();

  constructor(private readonly ctx: PlanContext) {}

  private get builder() {
    return this.ctx.builder;
  }

  run(selected: readonly string[]): void {
    const keys = selected.filter((k) => this.ctx.containers.has(k));
    // Reverse actions take the targets' dependents on this engine, whichever engine a target is on
    // (a `depends_on` across engines).
    switch (this.ctx.options.action) {
      case "shutdown":
        this.shutdown(selected);
        break;
      case "stop":
        for (const key of this.reverseOrder(selected)) this.stop(key, "stop requested");
        break;
      case "remove":
        for (const key of this.reverseOrder(selected)) this.removeStopped(key);
        this.removeAnonymousVolumes();
        break;
      case "start":
        for (const key of this.forwardOrder(keys)) this.start(key);
        this.restartStaleSharers();
        planStateRecord(this.ctx);
        break;
      case "restart":
        this.restartAll(this.withRejoiners(keys));
        planStateRecord(this.ctx);
        break;
      case "kill":
        for (const key of keys) this.kill(key);
        break;
      case "startup":
      case "update":
        break;
    }
  }

  /** Container keys of the targets and their dependents, dependents first. */
  private reverseOrder(keys: readonly string[]): string[] {
    const scope = this.ctx.graph.closure(keys.map(containerNode), "reverse");
    return this.ctx.graph
      .order()
      .filter((n) => nodeKind(n) === "container" && scope.has(n) && this.ctx.containers.has(nodeKey(n)))
      .map(nodeKey)
      .reverse();
  }

  /** Container keys of the targets (and their dependencies), dependencies first. */
  private forwardOrder(keys: readonly string[], withDependencies = true): string[] {
    const scope = withDependencies
      ? this.ctx.graph.closure(keys.map(containerNode), "forward")
      : new Set(keys.map(containerNode));
    return this.ctx.graph
      .order()
      .filter((n) => nodeKind(n) === "container" && scope.has(n) && this.ctx.containers.has(nodeKey(n)))
      .map(nodeKey);
  }

  private observedOf(key: string): ObservedContainer[] {
    const primary = this.ctx.primary(key);
    return [...(primary ? [primary] : []), ...this.ctx.temporaries(key)];
  }

  private fingerprint(ref: ObjectRef, container: ObservedContainer | undefined): void {
    this.builder.fingerprint({
      object: ref,
      id: container?.id ?? null,
      state: container?.state,
      specHash: container?.specHash ?? null,
    });
  }

  /**
   * Stops of the dependents of `key` that this plan makes (they go first), on this engine and, for
   * a dependent that runs on other engines too (a `depends_on` across engines), on those.
   */
  private dependentStops(key: string): string[] {
    const out: string[] = [];
    for (const edge of this.ctx.graph.dependentEdges(containerNode(key))) {
      if (nodeKind(edge.dependent) !== "container") continue;
      const dependent = nodeKey(edge.dependent);
      const local = this.stops.get(dependent);
      if (local !== undefined) out.push(local);
      for (const client of this.clientsOf(dependent)) {
        if (client === this.ctx.client.name) continue;
        out.push(this.builder.remote(remoteToken({ kind: "stopped", client, key: dependent })));
      }
    }
    return out;
  }

  private clientsOf(key: string): readonly string[] {
    return this.ctx.resolved.containers.find((c) => c.key === key)?.clients ?? [];
  }

  private stop(key: string, why: string): void {
    const ref = this.ctx.containerRef(key);
    const container = this.ctx.primary(key);
    this.fingerprint(ref, container);
    if (container === undefined || this.stopStep(key, container) === undefined) return;
    this.builder.change(ref, "stop", [{ message: why }]);
  }

  /** A stop of a running container, after the stops of its dependents. */
  private stopStep(key: string, container: ObservedContainer): string | undefined {
    if (!RUNNING_STATES.has(container.state)) return undefined;
    const instance = this.ctx.container(key);
    const id = this.builder.add({
      type: "stop-container",
      object: { ...this.ctx.containerRef(key), name: container.name },
      container: container.id,
      signal: instance.stop_signal ?? null,
      timeoutSeconds: instance.stop_timeout ?? null,
      after: this.dependentStops(key),
    });
    if (container.name === this.ctx.container(key).name) {
      this.stops.set(key, id);
      this.ctx.share("stopped", key, id);
    }
    return id;
  }

  private shutdown(targets: readonly string[]): void {
    const order = this.reverseOrder(targets);
    for (const key of order) {
      const ref = this.ctx.containerRef(key);
      const containers = this.observedOf(key);
      this.fingerprint(ref, containers[0]);
      if (containers.length === 0) continue;
      const reasons: Reason[] = [{ message: "shutdown" }];
      for (const container of containers) {
        const object = { ...ref, name: container.name };
        const stopped = this.stopStep(key, container);
        const removed = this.builder.add({
          type: "remove-container",
          object,
          container: container.id,
          removeVolumes: this.ctx.options.removeVolumes,
          force: false,
          after: [stopped],
        });
        this.removals.set(container.id, removed);
      }
      const anonymous = containers.flatMap((c) =>
        c.mounts.filter((m) => m.type === "volume" && ANONYMOUS.test(m.name ?? "")),
      ).length;
      if (anonymous > 0)
        reasons.push({
          message: this.ctx.options.removeVolumes
            ? `its ${anonymous} anonymous volume(s) are removed (--volumes)`
            : `its ${anonymous} anonymous volume(s) are kept (--volumes removes them)`,
        });
      this.builder.change(ref, "remove", reasons);
    }
    const removedKeys = new Set(order);
    this.shutdownVolumes(removedKeys);
    this.removeAnonymousVolumes();
    this.shutdownNetworks(removedKeys, this.everywhere(targets));
    this.removeStateRecord(removedKeys);
  }

  /** Once every container of the map is gone, so is its state record. */
  private removeStateRecord(removed: ReadonlySet<string>): void {
    const record = this.ctx.stateContainer();
    if (record === undefined || [...this.ctx.containers.keys()].some((k) => !removed.has(k))) return;
    const object: ObjectRef = { kind: "container", name: record.name, client: this.ctx.client.name };
    this.builder.fingerprint({ object, id: record.id });
    this.builder.add({
      type: "remove-container",
      object,
      container: record.id,
      removeVolumes: false,
      force: true,
      after: [...this.removals.values()],
    });
  }

  /**
   * With --volumes, the anonymous volumes of the removed containers go too, once no container that
   * stays mounts them. The engine's own `v=1` removes only volumes a container was created with as
   * anonymous; one carried over by a recreate is mounted by name and would be left behind.
   */
  private removeAnonymousVolumes(): void {
    if (!this.ctx.options.removeVolumes) return;
    const names = new Set<string>();
    for (const container of this.ctx.observed.containers) {
      if (!this.removals.has(container.id)) continue;
      for (const mount of container.mounts) {
        if (mount.type === "volume" && mount.name !== null && ANONYMOUS.test(mount.name))
          names.add(mount.name);
      }
    }
    for (const name of [...names].sort()) {
      const mounting = this.ctx.mountersOf(name);
      if (mounting.some((c) => !this.removals.has(c.id))) continue;
      const ref: ObjectRef = { kind: "volume", name, client: this.ctx.client.name };
      this.builder.fingerprint({ object: ref, id: name });
      this.builder.add({
        type: "remove-volume",
        object: ref,
        after: mounting.map((c) => this.removals.get(c.id)),
      });
    }
  }

  /** With --volumes, attached volumes go once nothing left in the map mounts them. */
  private shutdownVolumes(removed: ReadonlySet<string>): void {
    for (const volume of this.ctx.volumes.values()) {
      const ref: ObjectRef = {
        kind: "volume",
        name: volume.name,
        client: this.ctx.client.name,
        key: volume.key,
      };
      const users = this.ctx.graph.dependentEdges(volumeNode(volume.key)).map((e) => nodeKey(e.dependent));
      const allGone = users.length > 0 && users.every((k) => removed.has(k) || !this.ctx.containers.has(k));
      if (!allGone) continue;
      const existing = this.ctx.observedVolume(volume.name);
      if (existing === undefined || existing.mapName !== this.ctx.mapName) continue;
      this.builder.fingerprint({ object: ref, id: existing.name });
      if (!this.ctx.options.removeVolumes) {
        this.builder.change(ref, "skip", [{ message: "volumes are kept (--volumes removes them)" }]);
        continue;
      }
      const mounting = this.ctx.mountersOf(volume.name);
      const after = mounting.map((c) => this.removals.get(c.id));
      if (mounting.some((c) => !this.removals.has(c.id))) {
        this.builder.change(ref, "skip", [{ message: "still mounted by a container that stays" }]);
        continue;
      }
      this.builder.add({ type: "remove-volume", object: ref, after });
      this.builder.change(ref, "remove", [{ message: "shutdown --volumes" }]);
    }
  }

  /** Container keys the shutdown of the targets removes, on every engine. */
  private everywhere(targets: readonly string[]): Set<string> {
    const scope = this.ctx.graph.closure(targets.map(containerNode), "reverse");
    return new Set([...scope].filter((n) => nodeKind(n) === "container").map(nodeKey));
  }

  /**
   * Networks of the map go once no container is left on them. An overlay network goes on the
   * swarm manager that made it, once the map's containers on it are gone from every engine; the
   * other engines list it only while their containers use it, and leave it alone.
   */
  private shutdownNetworks(removed: ReadonlySet<string>, removedEverywhere: ReadonlySet<string>): void {
    for (const network of this.ctx.networks.values()) {
      const attached = this.ctx.containersOnNetwork(network.name);
      if (this.ctx.overlayElsewhere(network.key) !== undefined) {
        for (const c of attached) {
          const removal = this.removals.get(c.id);
          if (removal !== undefined) this.ctx.share("unattached", network.key, removal);
        }
        continue;
      }
      const ref: ObjectRef = {
        kind: "network",
        name: network.name,
        client: this.ctx.client.name,
        key: network.key,
      };
      const overlay = this.ctx.overlays.has(network.key);
      const members = this.ctx.graph
        .dependentEdges(networkNode(network.key))
        .map((e) => nodeKey(e.dependent));
      const gone = (k: string) =>
        overlay ? removedEverywhere.has(k) : removed.has(k) || !this.ctx.containers.has(k);
      if (!members.every(gone)) continue;
      const existing = this.ctx.observedNetworks(network.name)[0];
      if (existing === undefined || existing.mapName !== this.ctx.mapName) continue;
      if (attached.some((c) => !this.removals.has(c.id))) continue;
      const elsewhere = overlay
        ? this.ctx.resolved.clients
            .filter((client) => client !== this.ctx.client.name)
            .map((client) =>
              this.builder.remote(remoteToken({ kind: "unattached", client, key: network.key })),
            )
        : [];
      this.builder.fingerprint({ object: ref, id: existing.id });
      this.builder.add({
        type: "remove-network",
        object: ref,
        networkId: existing.id,
        ifUnused: true,
        after: [...attached.map((c) => this.removals.get(c.id)), ...elsewhere],
      });
      this.builder.change(ref, "remove", [
        { message: `no container of the map is left on it${overlay ? " on any engine" : ""}` },
      ]);
    }
  }

  private removeStopped(key: string): void {
    const ref = this.ctx.containerRef(key);
    const container = this.ctx.primary(key);
    this.fingerprint(ref, container);
    if (container === undefined) return;
    if (RUNNING_STATES.has(container.state)) {
      this.builder.change(ref, "skip", [{ message: "running: stop it first, or use shutdown" }]);
      return;
    }
    this.removals.set(
      container.id,
      this.builder.add({
        type: "remove-container",
        object: ref,
        container: container.id,
        removeVolumes: this.ctx.options.removeVolumes,
        force: false,
      }),
    );
    this.builder.change(ref, "remove", [{ message: "remove requested" }]);
  }

  private start(key: string): void {
    const ref = this.ctx.containerRef(key);
    const container = this.ctx.primary(key);
    this.fingerprint(ref, container);
    if (container === undefined) {
      this.builder.change(ref, "skip", [{ message: "does not exist (startup creates it)" }]);
      return;
    }
    if (RUNNING_STATES.has(container.state)) return;
    const dependencies = this.ctx.graph
      .dependencyEdges(containerNode(key))
      .filter((e) => nodeKind(e.dependency) === "container")
      .map((e) => this.starts.get(nodeKey(e.dependency))?.last);
    this.starts.set(key, this.emitStart(key, dependencies));
    this.builder.change(ref, "start", [{ message: `container is ${container.state}` }]);
  }

  /**
   * A running container whose network_mode target this plan starts still sits in the target's old
   * namespace, with its loopback interface only: it is restarted after the target.
   */
  private restartStaleSharers(): void {
    for (const key of this.forwardOrder([...this.ctx.containers.keys()], false)) {
      const container = this.ctx.primary(key);
      if (container === undefined || this.starts.has(key) || !RUNNING_STATES.has(container.state)) continue;
      const edge = this.ctx.graph
        .dependencyEdges(containerNode(key))
        .find(
          (e) =>
            this.starts.has(nodeKey(e.dependency)) && this.rejoinsAlong(e.kind, key, nodeKey(e.dependency)),
        );
      if (edge === undefined) continue;
      const target = nodeKey(edge.dependency);
      this.fingerprint(this.ctx.containerRef(key), container);
      const stopped = this.stopStep(key, container);
      this.starts.set(key, this.emitStart(key, [stopped], this.startedTargets([target])));
      this.builder.change(this.ctx.containerRef(key), "restart", [
        rejoinReason({ object: target, change: "start", edge: edge.kind }),
      ]);
    }
  }

  /**
   * The targets, and the containers that share a restarted container's network namespace or link
   * to it (see rejoin.ts), with their reasons.
   */
  private withRejoiners(keys: readonly string[]): Map<string, Reason> {
    const out = new Map<string, Reason>(keys.map((k) => [k, { message: "restart requested" }]));
    // A worklist, not recursion: each container restarted brings its own dependents along.
    const pending = [...keys];
    for (let key = pending.pop(); key !== undefined; key = pending.pop()) {
      for (const edge of this.ctx.graph.dependentEdges(containerNode(key))) {
        const sharer = nodeKey(edge.dependent);
        if (out.has(sharer) || !this.ctx.containers.has(sharer)) continue;
        if (!this.rejoinsAlong(edge.kind, sharer, key)) continue;
        out.set(sharer, rejoinReason({ object: key, change: "restart", edge: edge.kind }));
        pending.push(sharer);
      }
    }
    return out;
  }

  private rejoinsAlong(edge: EdgeKind, dependent: string, target: string): boolean {
    if (!REJOIN_EDGES.has(edge) || !this.ctx.containers.has(target)) return false;
    return rejoins(edge, this.ctx.spec(dependent), this.ctx.container(target).name);
  }

  /**
   * Stops go dependents first and starts dependencies first, so that nothing starts before a
   * container it links to or joins (the engine refuses both while the target is not running).
   */
  private restartAll(targets: ReadonlyMap<string, Reason>): void {
    const keys = [...targets.keys()];
    const stops = new Map<string, string | undefined>();
    for (const key of this.reverseOrder(keys).filter((k) => targets.has(k))) {
      const container = this.ctx.primary(key);
      this.fingerprint(this.ctx.containerRef(key), container);
      if (container !== undefined) stops.set(key, this.stopStep(key, container));
    }
    for (const key of this.forwardOrder(keys, false)) {
      const ref = this.ctx.containerRef(key);
      if (!stops.has(key)) {
        this.builder.change(ref, "skip", [{ message: "does not exist (startup creates it)" }]);
        continue;
      }
      const dependencies = this.ctx.graph
        .dependencyEdges(containerNode(key))
        .filter((e) => nodeKind(e.dependency) === "container")
        .map((e) => nodeKey(e.dependency));
      this.starts.set(key, this.emitStart(key, [stops.get(key)], this.startedTargets(dependencies)));
      this.builder.change(ref, "restart", [targets.get(key) as Reason]);
    }
  }

  /**
   * What a container this plan stopped waits for before it starts again: the containers it needs
   * started, and their exec commands ended. A command's failure does not keep it stopped: berth
   * stopped it, and the container it needs runs all the same.
   */
  private startedTargets(keys: readonly string[]): { after: string[]; tolerates: string[] } {
    const after: string[] = [];
    const tolerates: string[] = [];
    for (const key of keys) {
      const start = this.starts.get(key);
      if (start === undefined) continue;
      after.push(start.started, start.last);
      if (start.last !== start.started) tolerates.push(start.last);
    }
    return { after, tolerates };
  }

  private emitStart(
    key: string,
    after: (string | undefined)[],
    targets: { after: string[]; tolerates: string[] } = { after: [], tolerates: [] },
  ): { started: string; last: string } {
    const id = this.ctx.primary(key)?.id;
    if (id === undefined) throw new InternalError(`plan: start of ${key}, which does not exist`);
    return this.ctx.startSteps(key, [...after, ...targets.after], { kind: "started", id }, targets.tolerates);
  }

  private kill(key: string): void {
    const ref = this.ctx.containerRef(key);
    const container = this.ctx.primary(key);
    this.fingerprint(ref, container);
    if (container === undefined || !RUNNING_STATES.has(container.state)) return;
    this.builder.add({
      type: "kill-container",
      object: ref,
      container: container.id,
      signal: this.ctx.options.killSignal,
    });
    this.builder.change(ref, "kill", [{ message: `signal ${this.ctx.options.killSignal}` }]);
  }
}
