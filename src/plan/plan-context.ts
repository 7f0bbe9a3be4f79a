import { compareText } from "../common/text.js";
import { BerthError } from "../common/berth-error.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type {
  ContainerInstance,
  ResolvedBuild,
  ResolvedMap,
  ResolvedNetwork,
  ResolvedVolume,
} from "../map/model.js";
import type { ContextDigest } from "../desired/build-context.js";
import { LABEL } from "../model/labels.js";
import { normalizeImageReference } from "../model/image-reference.js";
import type {
  ObservedClient,
  ObservedContainer,
  ObservedNetwork,
  ObservedVolume,
} from "../observe/observed-state.js";
import { buildContainerSpec, containerNameLookup, type ContainerSpec } from "../desired/container-spec.js";
import type { ClientContext } from "../map/clients-file.js";
import {
  decodeMapState,
  emptyMapState,
  stateContainerName,
  type ExecRecord,
  type MapState,
} from "../desired/map-state.js";
import { emitExecSteps, type ExecOccasion } from "./exec-steps.js";
import type { OverlayPlacement } from "./overlay-networks.js";
import type { PlanBuilder } from "./plan-builder.js";
import type { SharedKind } from "./remote-steps.js";
import type { ExecRecordUpdate, ObjectRef, PlanOptions } from "./plan-types.js";

/** A plan cannot be made (name taken by a foreign object, image unavailable, ambiguous network). */
export class PlanError extends BerthError {
  readonly code = "plan";
}
export const isPlanError = (e: unknown): e is PlanError => e instanceof PlanError;

/** Suffix of the temporary name a container gets while it replaces another. */
export const TEMPORARY_SUFFIX = "_berth-new";

/**
 * What a plan does with a container whose name a foreign container holds: `refuse` (the plan
 * cannot be made: it would fail half-way), or `report` it, with its dependents, as left alone
 * (`status`, which shows every object, conflicts included, and is never applied).
 */
export type NameConflicts = "refuse" | "report";

/** A name the map needs, held by a container that is not this map's. */
export interface NameTaken {
  name: string;
  holder: ObservedContainer;
}

/** Everything one engine's part of a plan is made from, with the lookups planners share. */
export class PlanContext {
  readonly containers: Map<string, ContainerInstance>;
  readonly volumes: Map<string, ResolvedVolume>;
  readonly networks: Map<string, ResolvedNetwork>;
  private readonly specs = new Map<string, ContainerSpec>();
  private readonly byName = new Map<string, ObservedContainer>();
  private readonly byReplaced = new Map<string, ObservedContainer[]>();
  private readonly byVolume = new Map<string, ObservedContainer[]>();
  private readonly volumesByName = new Map<string, ObservedVolume>();
  private readonly networksByName = new Map<string, ObservedNetwork[]>();
  private readonly byNetwork = new Map<string, ObservedContainer[]>();
  private readonly nameOf: (key: string) => string;
  private state: MapState | undefined;
  private readonly execUpdates: ExecRecordUpdate[] = [];
  /** Steps other engines' parts wait for (remote-steps.ts), by kind and key. */
  private readonly shared = new Map<string, string[]>();

  constructor(
    readonly resolved: ResolvedMap,
    readonly graph: DependencyGraph,
    readonly client: ClientContext,
    readonly observed: ObservedClient,
    readonly options: PlanOptions,
    readonly builder: PlanBuilder,
    readonly nameConflicts: NameConflicts = "refuse",
    /** The contexts of the images the map builds, read before planning (by image reference). */
    readonly builds: Readonly<Record<string, ContextDigest>> = {},
    /** The map's overlay networks: which engine makes them, and what it does (by network key). */
    readonly overlays: ReadonlyMap<string, OverlayPlacement> = new Map(),
  ) {
    this.containers = new Map(
      resolved.containers.filter((c) => c.clients.includes(client.name)).map((c) => [c.key, c]),
    );
    this.volumes = new Map(resolved.volumes.map((v) => [v.key, v]));
    this.networks = new Map(resolved.networks.map((n) => [n.key, n]));
    this.nameOf = containerNameLookup(resolved);
    // Indexes, so that planning stays linear in the number of containers.
    for (const container of observed.containers) {
      this.byName.set(container.name, container);
      // Labels cannot change: a renamed container still says what it replaced, under the final name.
      if (
        container.replaces !== undefined &&
        container.replaces !== container.name &&
        this.isOurs(container)
      ) {
        const list = this.byReplaced.get(container.replaces);
        if (list === undefined) this.byReplaced.set(container.replaces, [container]);
        else list.push(container);
      }
      for (const mount of container.mounts)
        if (mount.name !== null) push(this.byVolume, mount.name, container);
      for (const network of Object.keys(container.networks)) push(this.byNetwork, network, container);
    }
    for (const volume of observed.volumes) this.volumesByName.set(volume.name, volume);
    for (const network of observed.networks) push(this.networksByName, network.name, network);
    for (const list of this.byReplaced.values())
      list.sort((a, b) => b.created - a.created || compareText(a.id, b.id));
  }

  get mapName(): string {
    return this.resolved.name;
  }

  spec(key: string): ContainerSpec {
    let spec = this.specs.get(key);
    if (!spec) {
      spec = buildContainerSpec(this.container(key), this.client, this.nameOf);
      this.specs.set(key, spec);
    }
    return spec;
  }

  container(key: string): ContainerInstance {
    const container = this.containers.get(key);
    if (!container) throw new PlanError(`internal: no container ${key} on engine ${this.client.name}`);
    return container;
  }

  containerRef(key: string): ObjectRef {
    return { kind: "container", name: this.container(key).name, client: this.client.name, key };
  }

  /** The volume of that name on the engine, whoever made it. */
  observedVolume(name: string): ObservedVolume | undefined {
    return this.volumesByName.get(name);
  }

  /** The networks of that name on the engine (before API 1.44 the engine allows several). */
  observedNetworks(name: string): readonly ObservedNetwork[] {
    return this.networksByName.get(name) ?? [];
  }

  /** Observed containers connected to a network, by the network's name. */
  containersOnNetwork(name: string): readonly ObservedContainer[] {
    return this.byNetwork.get(name) ?? [];
  }

  /** The container that holds a name on the engine, whoever made it. */
  observedByName(name: string): ObservedContainer | undefined {
    return this.byName.get(name);
  }

  /** Whether an observed container belongs to this map (and is a container, not a lock or helper). */
  isOurs(container: ObservedContainer): boolean {
    return (
      container.mapName === this.mapName && (container.kind === undefined || container.kind === "container")
    );
  }

  /** The container berth made for `key`, by its final name. */
  primary(key: string): ObservedContainer | undefined {
    const found = this.byName.get(this.container(key).name);
    return found !== undefined && this.isOurs(found) ? found : undefined;
  }

  /** Containers left under a temporary name by an interrupted recreate of `key`. */
  temporaries(key: string): ObservedContainer[] {
    return this.byReplaced.get(this.container(key).name) ?? [];
  }

  /** Observed containers that mount a volume (by volume name). */
  mountersOf(volume: string): ObservedContainer[] {
    return this.byVolume.get(volume) ?? [];
  }

  /** The state container of this map on this engine, if berth wrote one. */
  stateContainer(): ObservedContainer | undefined {
    const found = this.byName.get(stateContainerName(this.mapName));
    return found !== undefined && found.mapName === this.mapName && found.kind === "state"
      ? found
      : undefined;
  }

  /** What berth changed on the map's containers after making them (by container id). */
  mapState(): MapState {
    this.state ??= decodeMapState(this.stateContainer()?.labels) ?? emptyMapState();
    return this.state;
  }

  /** The exec commands recorded as run in a container (empty when none is). */
  execRecord(id: string): ExecRecord {
    return this.mapState().exec?.[id] ?? {};
  }

  /**
   * The swarm manager that makes an overlay network of the map, when it is another engine: this
   * engine's containers only join it (it is listed here only while one of them uses it).
   */
  overlayElsewhere(networkKey: string): OverlayPlacement | undefined {
    const placement = this.overlays.get(networkKey);
    return placement === undefined || placement.home === this.client.name ? undefined : placement;
  }

  /** Records a step of this engine that other engines' parts may wait for (remote-steps.ts). */
  share(kind: SharedKind, key: string, step: string): void {
    push(this.shared, `${kind}:${key}`, step);
  }

  /** The steps shared under a kind and key (none: nothing to wait for). */
  sharedSteps(kind: SharedKind, key: string): readonly string[] {
    return this.shared.get(`${kind}:${key}`) ?? [];
  }

  /** What the state record must learn from the exec steps planned so far. */
  get execRecordUpdates(): readonly ExecRecordUpdate[] {
    return this.execUpdates;
  }

  noteExecs(update: ExecRecordUpdate): void {
    this.execUpdates.push(update);
  }

  imageId(reference: string): string | undefined {
    return this.observed.images[normalizeImageReference(reference)];
  }

  /** Labels of an image berth built, when the engine has it under that reference. */
  imageLabels(reference: string): Readonly<Record<string, string>> | undefined {
    return this.observed.imageLabels?.[normalizeImageReference(reference)];
  }

  /** The `build:` that makes an image of this engine's part of the map, with its config. */
  buildOf(image: string): { config: string; build: ResolvedBuild } | undefined {
    for (const container of this.containers.values())
      if (container.image === image && container.build !== undefined)
        return { config: container.config, build: container.build };
    return undefined;
  }

  /** Every observed container of this map with its labels' key (orphans included). */
  ours(): ObservedContainer[] {
    return this.observed.containers.filter((c) => this.isOurs(c));
  }

  /** The name (final or temporary) of `key` that a container berth does not own holds, if any. */
  nameTaken(key: string): NameTaken | undefined {
    const name = this.container(key).name;
    for (const candidate of [name, `${name}${TEMPORARY_SUFFIX}`]) {
      const holder = this.byName.get(candidate);
      if (holder !== undefined && !this.isOurs(holder)) return { name: candidate, holder };
    }
    return undefined;
  }

  /**
   * A container berth does not own holding a name berth needs stops the plan before anything
   * runs. Only plans that need the name: targets that do not need `key` are planned as usual.
   */
  assertNameFree(key: string): void {
    const taken = this.nameTaken(key);
    if (taken === undefined) return;
    throw new PlanError(
      `engine ${this.client.name}: ${describeNameTaken(taken)}; the plan needs it for ${key}`,
      {
        hint:
          `rename that container with \`docker rename ${shortId(taken.holder.id)} NEW-NAME\` or remove it, ` +
          "or give this map another name with --map-name; targets that do not need it can still be updated, " +
          "and `berth status` shows the conflict",
      },
    );
  }

  /**
   * A container this plan creates must find its host ports free: a foreign container (not of this
   * map) that holds one would make the new container fail at start — after a recreate had already
   * removed the old one. Refused at plan time instead, naming the holder.
   */
  assertHostPortsFree(key: string): void {
    for (const entry of this.spec(key).exposes) {
      const binding = hostBinding(entry);
      if (binding === undefined) continue;
      for (const other of this.observed.containers) {
        if (other.mapName === this.mapName || other.state !== "running") continue;
        const held = other.publishedPorts.find((p) => bindingsOverlap(binding, p));
        if (held === undefined) continue;
        throw new PlanError(
          `engine ${this.client.name}: container ${key} publishes ${binding}, but container ${other.name} (${other.mapName === undefined ? "not created by berth" : `of map \`${other.mapName}\``}) holds ${held}`,
          { hint: `stop that container or change the host port; nothing was changed` },
        );
      }
    }
  }

  /**
   * A container this plan creates that joins another container's namespace by its Docker name
   * (`network_mode`, `ipc_mode` or `pid_mode` `container:NAME`) needs that container running, or
   * the engine refuses it at create or start — after a recreate had removed the old one. Refused
   * at plan time instead.
   */
  assertNamespaceTargetsRun(key: string): void {
    const spec = this.spec(key);
    const modes: [string, unknown][] = [
      ["network_mode", spec.network_mode],
      ["ipc_mode", spec.host_config.ipc_mode],
      ["pid_mode", spec.host_config.pid_mode],
    ];
    const ours = new Set([...this.containers.keys()].map((k) => this.containerRef(k).name));
    for (const [field, mode] of modes) {
      if (typeof mode !== "string" || !mode.startsWith("container:")) continue;
      const name = mode.slice("container:".length);
      // network_mode of a map config is ordered after it (a graph edge); ipc_mode and pid_mode
      // are not: their target must already run, even when it is the map's own.
      if (field === "network_mode" && ours.has(name)) continue;
      const target = this.observed.containers.find((c) => c.name === name || c.id.startsWith(name));
      if (target?.state === "running") continue;
      const configs = [...this.containers.keys()].filter((k) => k === name || k.startsWith(`${name}.`));
      throw new PlanError(
        `engine ${this.client.name}: container ${key} has ${field} \`${mode}\`, but ${target === undefined ? "no container of that name exists" : `container ${name} is ${target.state}`} on the engine`,
        {
          hint:
            configs.length > 0 && field === "network_mode"
              ? `to share the map's config, write \`network_mode: ${name}\`; nothing was changed`
              : `\`container:NAME\` names a Docker container (the map's run as \`${this.mapName}.CONFIG\`), which must already run: start it first, or fix the name; nothing was changed`,
        },
      );
    }
  }

  /**
   * A container's start and then its exec commands, one after the other (which ones: see
   * exec-steps.ts). Returns the start step and the last step (after which the container is ready).
   */
  startSteps(
    key: string,
    after: (string | undefined)[],
    occasion: Exclude<ExecOccasion, { kind: "running" }>,
    tolerates: readonly string[] = [],
    needsOneOf: readonly string[] = [],
  ): { started: string; last: string } {
    const ref = this.containerRef(key);
    const container = this.container(key);
    const started = this.builder.add({
      type: "start-container",
      object: ref,
      container: ref.name,
      delayMs: container.startDelayMs ?? 0,
      after,
      tolerates: [...tolerates],
      needsOneOf: [...needsOneOf],
    });
    const last = emitExecSteps(this, key, occasion, [started]) ?? started;
    return { started, last };
  }

  /** Labels berth puts on the lock and helper containers are not map containers. */
  static isBerthInfrastructure(container: ObservedContainer): boolean {
    return container.labels[LABEL.kind] === "lock" || container.labels[LABEL.kind] === "helper";
  }
}

/** `container name m.db is taken by container 0123456789ab (not created by berth)`. */
export function describeNameTaken({ name, holder }: NameTaken): string {
  const owner = holder.mapName === undefined ? "not created by berth" : `of map \`${holder.mapName}\``;
  return `container name ${name} is taken by container ${shortId(holder.id)} (${owner})`;
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}

function push<K, V>(index: Map<K, V[]>, key: K, value: V): void {
  const list = index.get(key);
  if (list === undefined) index.set(key, [value]);
  else list.push(value);
}

/** `HOSTIP:PORT/proto` of an `exposes` entry that binds a host port (`8080/tcp=0.0.0.0:80`). */
function hostBinding(entry: string): string | undefined {
  const eq = entry.indexOf("=");
  if (eq < 0) return undefined;
  const [port = "", proto = "tcp"] = entry.slice(0, eq).split("/");
  const binding = entry.slice(eq + 1);
  const colon = binding.lastIndexOf(":");
  const hostPort = binding.slice(colon + 1);
  if (hostPort === "" || port === "") return undefined;
  return `${binding.slice(0, colon)}:${hostPort}/${proto}`;
}

const ANY_ADDRESS = new Set(["0.0.0.0", "::", ""]);

/** Two `HOSTIP:PORT/proto` bindings collide: same port and protocol, and an address in common. */
export function bindingsOverlap(a: string, b: string): boolean {
  const split = (text: string) => {
    const slash = text.lastIndexOf("/");
    const colon = text.lastIndexOf(":", slash);
    return { ip: text.slice(0, colon), port: text.slice(colon + 1, slash), proto: text.slice(slash + 1) };
  };
  const x = split(a);
  const y = split(b);
  if (x.port !== y.port || x.proto !== y.proto) return false;
  return x.ip === y.ip || ANY_ADDRESS.has(x.ip) || ANY_ADDRESS.has(y.ip);
}
