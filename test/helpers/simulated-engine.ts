/**
 * A test model of Docker engines for checking plans, over plain data (no Docker, no I/O).
 *
 * `SimulatedWorld` holds one `SimulatedEngine` per client. An engine keeps containers, volumes,
 * networks and images, and answers `observe()` with an `ObservedClient` built by berth's own
 * `observedContainer` from a `ContainerSummary`, as `observe` would from a real engine.
 *
 * `applyPlan(world, plan, map)` carries a plan's steps out on a copy of the world, one step at a
 * time in an order that respects every step's `after` (the input world is not changed). Each step
 * does what the engine would: `create-container` makes a container from berth's real
 * `buildContainerSpec` + `createBody`, labelled with the real `encodeSpecLabels` (state created;
 * temporary ones carry `berth.replaces`); `start` makes it running with its image id; `stop`
 * makes it exited (0); and so on. What the engine refuses (a name that is taken, removing a
 * running container without force, a volume in use, a start whose link target is gone or not
 * running, …) throws a `SimulationError` naming the step, so a plan that could not run fails.
 *
 * References that bind to a container id when a container is made (links, volumes_from,
 * network_mode container:) are kept by id, as the engine keeps them: replacing the target leaves
 * them pointing at the removed container (`staleReferences` lists them).
 *
 * This is a model to check plans with, not a stand-in for Docker in integration tests.
 */
import { createHash } from "node:crypto";
import type {
  ContainerCreateBody,
  ContainerDetails,
  ContainerSummary,
  ContainerUpdateBody,
  EndpointConfig,
  EndpointSettings,
  Labels,
  MountPoint,
} from "../../src/engine/engine-types.js";
import type { LoadedMap } from "../../src/map/load-map.js";
import type { ContainerInstance } from "../../src/map/model.js";
import { LABEL } from "../../src/model/labels.js";
import { MARKER_IMAGE } from "../../src/apply/engine-lock.js";
import { normalizeImageReference, observedContainer } from "../../src/observe/observe.js";
import { encodeMapState } from "../../src/spec/map-state.js";
import type {
  ObservedClient,
  ObservedNetwork,
  ObservedState,
  ObservedVolume,
} from "../../src/observe/observed-state.js";
import { networkLabels, volumeLabels } from "../../src/plan/object-definition.js";
import { defaultClientContext } from "../../src/plan/plan.js";
import type { Plan, Step } from "../../src/plan/plan-types.js";
import {
  buildContainerSpec,
  containerNameLookup,
  type ClientContext,
  type ContainerSpec,
} from "../../src/spec/container-spec.js";
import { createBody, endpointConfig, updateBody } from "../../src/spec/create-body.js";
import { UPDATABLE_LIMITS } from "../../src/spec/field-classes.js";
import { encodeSpecLabels } from "../../src/spec/spec-label.js";

/** What the engine refuses; `step` is the plan step that asked for it (when applying a plan). */
export class SimulationError extends Error {
  constructor(
    message: string,
    readonly step?: string,
  ) {
    super(step === undefined ? message : `${step}: ${message}`);
    this.name = "SimulationError";
  }
}

export type ContainerState = "created" | "running" | "paused" | "restarting" | "exited" | "dead";

/** A reference recorded (by id) when the container was made. */
export interface BoundReference {
  kind: "links" | "volumes-from" | "network-mode";
  /** The name the reference was made with. */
  name: string;
  id: string;
}

export interface SimulatedContainer {
  id: string;
  name: string;
  labels: Labels;
  state: ContainerState;
  exitCode: number | undefined;
  health: string | undefined;
  /** Image reference it was made with, and the id that reference had then. */
  image: string;
  imageId: string;
  created: number;
  networkMode: string;
  networks: Record<string, EndpointSettings>;
  mounts: MountPoint[];
  references: BoundReference[];
  hasHealthcheck: boolean;
  restartPolicy: { Name: string; MaximumRetryCount?: number };
  /** Engine limit names (Memory, CpuShares, …) → values. */
  limits: Record<string, unknown>;
  /** Commands run in it (exec steps), in order. */
  execs: string[];
  /** The create request it was made from (undefined for containers put in by hand). */
  body: ContainerCreateBody | undefined;
}

export interface SimulatedVolume extends ObservedVolume {
  /** Owner and permissions applied by a prepare-volume step. */
  prepared?: { user: string | null; permissions: string | null };
}

const PRESET_NETWORKS = ["bridge", "host", "none"];
const HEX64 = /^[0-9a-f]{64}$/;

function hex64(seed: string): string {
  return createHash("sha256").update(seed).digest("hex");
}

/** The image id a registry gives for a reference (stable, so tests can compare). */
export function registryImageId(reference: string, version = 1): string {
  return `sha256:${hex64(`image ${normalizeImageReference(reference)} v${version}`)}`;
}

/** One engine: containers, volumes, networks and images, as plain data. */
export class SimulatedEngine {
  containers: SimulatedContainer[] = [];
  volumes: SimulatedVolume[] = [];
  networks: ObservedNetwork[] = [];
  /** Normalized reference → image id. */
  images: Record<string, string> = {};
  /** What a pull of a reference gives (default: `registryImageId(reference)`). */
  registry: Record<string, string> = {};
  private counter = 0;

  constructor(readonly client: string) {
    for (const name of PRESET_NETWORKS) {
      this.networks.push({
        id: hex64(`${client} network ${name}`),
        name,
        driver: name === "bridge" ? "bridge" : name === "host" ? "host" : "null",
        options: {},
        internal: false,
        labels: {},
        mapName: undefined,
      });
    }
  }

  clone(): SimulatedEngine {
    const copy = new SimulatedEngine(this.client);
    copy.containers = structuredClone(this.containers);
    copy.volumes = structuredClone(this.volumes);
    copy.networks = structuredClone(this.networks);
    copy.images = { ...this.images };
    copy.registry = { ...this.registry };
    copy.counter = this.counter;
    return copy;
  }

  /** A new id (64 hex digits, deterministic) and creation time. */
  private next(what: string): { id: string; time: number } {
    this.counter++;
    return { id: hex64(`${this.client} ${what} ${this.counter}`), time: 1_700_000_000 + this.counter };
  }

  // ---- lookups ------------------------------------------------------------------------------------

  /** A container by id or name, as the engine resolves `{id}` in its paths. */
  find(idOrName: string): SimulatedContainer | undefined {
    return (
      this.containers.find((c) => c.id === idOrName) ??
      this.containers.find((c) => c.name === idOrName.replace(/^\//, ""))
    );
  }

  container(idOrName: string): SimulatedContainer {
    const found = this.find(idOrName);
    if (found === undefined) throw new SimulationError(`No such container: ${idOrName}`);
    return found;
  }

  /** The container holding a name (throws when none does). */
  named(name: string): SimulatedContainer {
    const found = this.containers.find((c) => c.name === name);
    if (found === undefined) throw new SimulationError(`no container is named ${name}`);
    return found;
  }

  network(idOrName: string): ObservedNetwork | undefined {
    return this.networks.find((n) => n.id === idOrName) ?? this.networks.find((n) => n.name === idOrName);
  }

  volume(name: string): SimulatedVolume | undefined {
    return this.volumes.find((v) => v.name === name);
  }

  // ---- images -------------------------------------------------------------------------------------

  pullImage(reference: string): void {
    const ref = normalizeImageReference(reference);
    this.images[ref] = this.registry[ref] ?? registryImageId(ref);
  }

  /** Points a tag at another image id (a `docker tag` or a pull of a newer image). */
  tagImage(reference: string, imageId: string): void {
    this.images[normalizeImageReference(reference)] = imageId;
  }

  removeImage(reference: string): void {
    delete this.images[normalizeImageReference(reference)];
  }

  // ---- volumes and networks -----------------------------------------------------------------------

  createVolume(body: {
    Name: string;
    Driver?: string;
    DriverOpts?: Record<string, string>;
    Labels?: Labels;
  }): void {
    // The engine answers a create of an existing volume with that volume, unchanged.
    if (this.volume(body.Name) !== undefined) return;
    const labels = body.Labels ?? {};
    this.volumes.push({
      name: body.Name,
      driver: body.Driver ?? "local",
      options: body.DriverOpts ?? {},
      labels,
      mapName: labels[LABEL.map],
    });
  }

  removeVolume(name: string): void {
    if (this.volume(name) === undefined) return;
    const users = this.containers.filter((c) => c.mounts.some((m) => m.Type === "volume" && m.Name === name));
    if (users.length > 0)
      throw new SimulationError(
        `volume ${name} is in use by ${users.map((c) => c.name).join(", ")} (409 Conflict)`,
      );
    this.volumes = this.volumes.filter((v) => v.name !== name);
  }

  createNetwork(body: {
    Name: string;
    Driver?: string;
    Options?: Record<string, string>;
    Internal?: boolean;
    Labels?: Labels;
  }): string {
    // berth creates networks with CheckDuplicate: a second network of the same name is refused.
    if (this.networks.some((n) => n.name === body.Name))
      throw new SimulationError(`network with name ${body.Name} already exists (409 Conflict)`);
    const { id } = this.next(`network ${body.Name}`);
    const labels = body.Labels ?? {};
    this.networks.push({
      id,
      name: body.Name,
      driver: body.Driver ?? "bridge",
      options: body.Options ?? {},
      internal: body.Internal ?? false,
      labels,
      mapName: labels[LABEL.map],
    });
    return id;
  }

  /** Containers with an endpoint on a network. */
  attachedTo(network: ObservedNetwork): SimulatedContainer[] {
    return this.containers.filter((c) =>
      Object.entries(c.networks).some(([name, e]) => name === network.name || e.NetworkID === network.id),
    );
  }

  removeNetwork(idOrName: string): "removed" | "missing" {
    const network = this.network(idOrName);
    if (network === undefined) return "missing";
    if (PRESET_NETWORKS.includes(network.name))
      throw new SimulationError(`${network.name} is a pre-defined network and cannot be removed`);
    const attached = this.attachedTo(network);
    if (attached.length > 0)
      throw new SimulationError(
        `network ${network.name} has active endpoints (${attached.map((c) => c.name).join(", ")})`,
      );
    this.networks = this.networks.filter((n) => n !== network);
    return "removed";
  }

  private endpoint(
    network: ObservedNetwork,
    config: EndpointConfig | undefined,
    id: string,
  ): EndpointSettings {
    const user = !PRESET_NETWORKS.includes(network.name);
    const aliases = [...(config?.Aliases ?? [])];
    // The engine adds the container's short id as an alias on user networks.
    if (user) aliases.push(id.slice(0, 12));
    const endpoint: EndpointSettings = {
      NetworkID: network.id,
      EndpointID: hex64(`${network.id} ${id}`),
      Aliases: user ? aliases : null,
      Links: config?.Links ?? null,
    };
    if (config?.IPAMConfig !== undefined) endpoint.IPAMConfig = { ...config.IPAMConfig };
    return endpoint;
  }

  connectNetwork(networkName: string, containerIdOrName: string, config?: EndpointConfig): void {
    const network = this.network(networkName);
    if (network === undefined) throw new SimulationError(`network ${networkName} not found`);
    const container = this.container(containerIdOrName);
    if (
      container.networkMode === "host" ||
      container.networkMode === "none" ||
      container.networkMode.startsWith("container:")
    )
      throw new SimulationError(
        `container ${container.name} shares the network namespace of another (${container.networkMode}) and cannot be connected to networks`,
      );
    if (container.networks[network.name] !== undefined)
      throw new SimulationError(
        `endpoint with name ${container.name} already exists in network ${network.name} (409)`,
      );
    container.networks[network.name] = this.endpoint(network, config, container.id);
  }

  disconnectNetwork(networkName: string, containerIdOrName: string): "disconnected" | "not connected" {
    // A container that is gone is not connected (the executor takes the engine's 404 so).
    const container = this.find(containerIdOrName);
    if (container === undefined) return "not connected";
    const network = this.network(networkName);
    const name = network?.name ?? networkName;
    if (container.networks[name] === undefined) return "not connected";
    delete container.networks[name];
    return "disconnected";
  }

  // ---- containers ---------------------------------------------------------------------------------

  /** POST /containers/create: what the engine makes of a create request. */
  createContainer(name: string, body: ContainerCreateBody): string {
    if (this.containers.some((c) => c.name === name))
      throw new SimulationError(`Conflict. The container name "/${name}" is already in use (409)`);
    const imageId = this.images[normalizeImageReference(body.Image)];
    if (imageId === undefined) throw new SimulationError(`No such image: ${body.Image}`);
    const { id, time } = this.next(`container ${name}`);
    const host = body.HostConfig ?? {};
    const references: BoundReference[] = [];

    // Mounts: binds and named volumes, anonymous volumes, then the volumes of other containers.
    const mounts: MountPoint[] = [];
    const addMount = (mount: MountPoint) => {
      if (mounts.some((m) => m.Destination === mount.Destination))
        throw new SimulationError(`Duplicate mount point: ${mount.Destination}`);
      mounts.push(mount);
    };
    for (const bind of (host.Binds as string[] | undefined) ?? []) {
      const [source = "", destination = "", mode] = bind.split(":");
      const rw = mode !== "ro";
      if (source.startsWith("/")) {
        addMount({ Type: "bind", Source: source, Destination: destination, RW: rw, Mode: mode ?? "" });
        continue;
      }
      // A named volume the engine does not have is made on the spot, without labels.
      this.createVolume({ Name: source });
      addMount({
        Type: "volume",
        Name: source,
        Source: `/var/lib/docker/volumes/${source}/_data`,
        Destination: destination,
        Driver: this.volume(source)?.driver ?? "local",
        RW: rw,
      });
    }
    for (const path of Object.keys(body.Volumes ?? {})) {
      if (mounts.some((m) => m.Destination === path)) continue;
      const anonymous = hex64(`${this.client} anonymous ${id} ${path}`);
      this.createVolume({ Name: anonymous });
      addMount({
        Type: "volume",
        Name: anonymous,
        Source: `/var/lib/docker/volumes/${anonymous}/_data`,
        Destination: path,
        Driver: "local",
        RW: true,
      });
    }
    for (const entry of (host.VolumesFrom as string[] | undefined) ?? []) {
      const [source = "", mode] = entry.split(":");
      const from = this.find(source);
      if (from === undefined) throw new SimulationError(`No such container: ${source} (volumes_from)`);
      references.push({ kind: "volumes-from", name: source, id: from.id });
      for (const mount of from.mounts) {
        if (mounts.some((m) => m.Destination === mount.Destination)) continue;
        mounts.push({ ...mount, RW: mount.RW && mode !== "ro" });
      }
    }

    // Legacy links bind to the target's id now.
    for (const link of (host.Links as string[] | undefined) ?? []) {
      const target = link.slice(0, link.lastIndexOf(":"));
      const found = this.find(target);
      if (found === undefined) throw new SimulationError(`Could not get container for ${target} (links)`);
      references.push({ kind: "links", name: target, id: found.id });
    }

    // Networking: the network mode, and the one endpoint the create request may carry.
    const mode = typeof host.NetworkMode === "string" ? host.NetworkMode : "default";
    const networks: Record<string, EndpointSettings> = {};
    let networkMode = mode;
    const endpoints = body.NetworkingConfig?.EndpointsConfig ?? {};
    if (mode.startsWith("container:")) {
      const target = mode.slice("container:".length);
      const found = this.find(target);
      if (found === undefined) throw new SimulationError(`No such container: ${target} (network_mode)`);
      references.push({ kind: "network-mode", name: target, id: found.id });
      networkMode = `container:${found.id}`;
    } else {
      const networkName = mode === "default" ? "bridge" : mode;
      const network = this.network(networkName);
      if (network === undefined) throw new SimulationError(`network ${networkName} not found`);
      networks[network.name] = this.endpoint(network, endpoints[network.name] ?? endpoints[mode], id);
    }
    for (const endpointName of Object.keys(endpoints)) {
      if (endpointName !== mode && !(mode === "default" && endpointName === "bridge"))
        throw new SimulationError(
          `create request carries an endpoint for ${endpointName}, not its network mode`,
        );
    }

    const restart = host.RestartPolicy as { Name: string; MaximumRetryCount?: number } | undefined;
    const limits: Record<string, unknown> = {};
    for (const engineName of Object.values(UPDATABLE_LIMITS))
      if (host[engineName] !== undefined) limits[engineName] = host[engineName];
    this.containers.push({
      id,
      name,
      labels: { ...(body.Labels ?? {}) },
      state: "created",
      exitCode: undefined,
      health: undefined,
      image: body.Image,
      imageId,
      created: time,
      networkMode,
      networks,
      mounts,
      references,
      hasHealthcheck: body.Healthcheck !== undefined && body.Healthcheck.Test?.[0] !== "NONE",
      restartPolicy: restart === undefined ? { Name: "" } : { ...restart },
      limits,
      execs: [],
      body: structuredClone(body),
    });
    return id;
  }

  /** A container put in by hand (another tool, a leftover): give what matters, the rest defaults. */
  addContainer(fields: Partial<SimulatedContainer> & { name: string }): SimulatedContainer {
    const { id, time } = this.next(`container ${fields.name}`);
    const image = fields.image ?? "busybox:latest";
    const container: SimulatedContainer = {
      id,
      labels: {},
      state: "running",
      exitCode: undefined,
      health: undefined,
      image,
      imageId: this.images[normalizeImageReference(image)] ?? registryImageId(image),
      created: time,
      networkMode: "default",
      networks: {},
      mounts: [],
      references: [],
      hasHealthcheck: false,
      restartPolicy: { Name: "" },
      limits: {},
      execs: [],
      body: undefined,
      ...fields,
    };
    this.containers.push(container);
    return container;
  }

  startContainer(idOrName: string): void {
    const container = this.container(idOrName);
    if (container.state === "running" || container.state === "restarting") return; // 304
    if (container.state === "dead") throw new SimulationError(`container ${container.name} is dead`);
    for (const ref of container.references) {
      if (ref.kind === "volumes-from") continue;
      const target = this.find(ref.id);
      if (target === undefined || target.state !== "running")
        throw new SimulationError(
          `Cannot link to a non running container: /${ref.name} AS /${container.name} (${ref.kind})`,
        );
    }
    for (const [networkName, endpoint] of Object.entries(container.networks)) {
      if (this.network(endpoint.NetworkID ?? "") === undefined)
        throw new SimulationError(`network ${networkName} not found (start of ${container.name})`);
    }
    container.state = "running";
    container.exitCode = undefined;
    container.health = container.hasHealthcheck ? "starting" : undefined;
  }

  stopContainer(idOrName: string, exitCode = 0): void {
    const container = this.container(idOrName);
    if (container.state !== "running" && container.state !== "restarting" && container.state !== "paused")
      return;
    container.state = "exited";
    container.exitCode = exitCode;
    container.health = undefined;
  }

  killContainer(idOrName: string, signal = "SIGKILL"): void {
    const container = this.container(idOrName);
    if (container.state !== "running")
      throw new SimulationError(`container ${container.name} is not running (409)`);
    this.stopContainer(container.id, signal === "SIGKILL" || signal === "KILL" ? 137 : 143);
  }

  removeContainer(
    idOrName: string,
    options: { force?: boolean; volumes?: boolean } = {},
  ): "removed" | "missing" {
    const container = this.find(idOrName);
    if (container === undefined) return "missing";
    if ((container.state === "running" || container.state === "restarting") && options.force !== true)
      throw new SimulationError(
        `You cannot remove a running container ${container.name}. Stop the container before attempting removal or force remove (409)`,
      );
    this.containers = this.containers.filter((c) => c !== container);
    if (options.volumes === true) {
      for (const mount of container.mounts) {
        if (mount.Type !== "volume" || mount.Name === undefined || !HEX64.test(mount.Name)) continue;
        if (this.containers.some((c) => c.mounts.some((m) => m.Name === mount.Name))) continue;
        this.volumes = this.volumes.filter((v) => v.name !== mount.Name);
      }
    }
    return "removed";
  }

  renameContainer(idOrName: string, to: string): void {
    const container = this.container(idOrName);
    if (this.containers.some((c) => c.name === to && c !== container))
      throw new SimulationError(`Conflict. The container name "/${to}" is already in use (409)`);
    container.name = to;
  }

  updateContainer(idOrName: string, body: ContainerUpdateBody): void {
    const container = this.container(idOrName);
    for (const [key, value] of Object.entries(body)) {
      if (key === "RestartPolicy") container.restartPolicy = { ...(value as { Name: string }) };
      else container.limits[key] = value;
    }
  }

  exec(idOrName: string, text: string): void {
    const container = this.container(idOrName);
    if (container.state !== "running")
      throw new SimulationError(`Container ${container.name} is not running (exec ${text})`);
    container.execs.push(text);
  }

  /** A health wait: the container must run and have a health check; it becomes healthy. */
  waitHealthy(idOrName: string): void {
    const container = this.container(idOrName);
    if (!container.hasHealthcheck)
      throw new SimulationError(`container ${container.name} has no health check`);
    if (container.state !== "running")
      throw new SimulationError(`container ${container.name} stopped before it was healthy`);
    container.health = "healthy";
  }

  /** A completion wait: a started container runs to its end and exits with 0. */
  waitCompleted(idOrName: string): void {
    const container = this.container(idOrName);
    if (container.state === "created")
      throw new SimulationError(`container ${container.name} was never started (wait completed)`);
    if (container.state === "running") this.stopContainer(container.id, 0);
    if (container.exitCode !== 0)
      throw new SimulationError(`container ${container.name} exited with code ${container.exitCode}`);
  }

  // ---- observation --------------------------------------------------------------------------------

  summary(container: SimulatedContainer): ContainerSummary {
    const status =
      container.state === "running"
        ? `Up 2 seconds${container.health === undefined ? "" : container.health === "starting" ? " (health: starting)" : ` (${container.health})`}`
        : container.state === "exited"
          ? `Exited (${container.exitCode ?? 0}) 3 seconds ago`
          : container.state === "created"
            ? "Created"
            : container.state === "dead"
              ? "Dead"
              : container.state;
    return {
      Id: container.id,
      // A container linked by others is also listed under `/dependent/alias`.
      Names: [
        ...this.containers
          .filter((c) => c.references.some((r) => r.kind === "links" && r.id === container.id))
          .map((c) => `/${c.name}/${container.name.replace(/[._]/g, "-")}`),
        `/${container.name}`,
      ],
      Image: container.image,
      ImageID: container.imageId,
      Created: container.created,
      Labels: { ...container.labels },
      State: container.state,
      Status: status,
      HostConfig: { NetworkMode: container.networkMode },
      NetworkSettings: { Networks: structuredClone(container.networks) },
      Mounts: structuredClone(container.mounts),
    };
  }

  /** GET /containers/{id}/json, the parts berth reads. */
  inspect(idOrName: string): ContainerDetails {
    const c = this.container(idOrName);
    return {
      Id: c.id,
      Name: `/${c.name}`,
      Image: c.imageId,
      Created: new Date(c.created * 1000).toISOString(),
      State: {
        Status: c.state,
        Running: c.state === "running",
        ExitCode: c.exitCode ?? 0,
        StartedAt: "",
        FinishedAt: "",
        Health: c.hasHealthcheck ? { Status: c.health ?? "starting", FailingStreak: 0 } : null,
      },
      Config: {
        Image: c.image,
        Labels: { ...c.labels },
        ...(c.body?.Hostname === undefined ? {} : { Hostname: c.body.Hostname }),
      },
      HostConfig: { NetworkMode: c.networkMode, RestartPolicy: { ...c.restartPolicy }, ...c.limits },
      Mounts: structuredClone(c.mounts),
      NetworkSettings: { Networks: structuredClone(c.networks) },
    };
  }

  /** The engine as the planner sees it (one list each, as `observe` makes them). */
  observe(): ObservedClient {
    const images: Record<string, string> = {};
    for (const [ref, id] of Object.entries(this.images)) images[ref] = id;
    return {
      client: this.client,
      containers: this.containers.map((c) => observedContainer(this.summary(c))),
      volumes: this.volumes.map(({ prepared: _prepared, ...v }) => structuredClone(v)),
      networks: structuredClone(this.networks),
      images,
    };
  }

  /**
   * References recorded by id that no longer name the container holding that name: links,
   * volumes_from and network_mode made before their target was replaced (or removed).
   */
  staleReferences(): string[] {
    const out: string[] = [];
    for (const container of this.containers) {
      for (const ref of container.references) {
        const current = this.containers.find((c) => c.name === ref.name);
        if (current?.id !== ref.id)
          out.push(
            `${container.name} ${ref.kind} ${ref.name}: bound to ${ref.id.slice(0, 12)}, ${current === undefined ? "which is gone" : `now ${current.id.slice(0, 12)}`}`,
          );
      }
    }
    return out.sort();
  }
}

/** One simulated engine per client. */
export type SimulatedWorld = Record<string, SimulatedEngine>;

/** Engines for every client of a map, with every image the map names already present. */
export function worldFor(map: LoadedMap, options: { images?: boolean } = {}): SimulatedWorld {
  const world: SimulatedWorld = {};
  for (const client of map.resolved.clients) {
    const engine = new SimulatedEngine(client);
    if (options.images !== false) for (const c of map.resolved.containers) engine.pullImage(c.image);
    world[client] = engine;
  }
  return world;
}

export function cloneWorld(world: SimulatedWorld): SimulatedWorld {
  return Object.fromEntries(Object.entries(world).map(([client, engine]) => [client, engine.clone()]));
}

export function engineOf(world: SimulatedWorld, client = "default"): SimulatedEngine {
  const engine = world[client];
  if (engine === undefined) throw new Error(`no simulated engine ${client}`);
  return engine;
}

/** The observed state of the world without inspections (plain lists). */
export function observeWorldLists(world: SimulatedWorld): ObservedState {
  return {
    clients: Object.fromEntries(Object.entries(world).map(([client, engine]) => [client, engine.observe()])),
  };
}

/** What `observeAndPlan` observes: the four lists (the map's state record among the containers). */
export function observeWorld(
  world: SimulatedWorld,
  _map?: LoadedMap,
  _clients: Record<string, ClientContext> = {},
): Promise<ObservedState> {
  return Promise.resolve(observeWorldLists(world));
}

// ---- applying plans -----------------------------------------------------------------------------

/**
 * In which order ready steps run. The executor runs every step whose `after` is done, in parallel;
 * a plan must be right in any such order. `listed`: the plan's order; `reverse`: of the ready
 * steps, the one listed last first (finds a missing `after` that the listed order hides);
 * a number: a seeded shuffle of the ready steps.
 */
export type StepOrder = "listed" | "reverse" | number;

export interface ApplyPlanOptions {
  clients?: Record<string, ClientContext>;
  order?: StepOrder;
  /** Stop after this many steps, as an interrupted run does (the rest never runs). */
  stopAfter?: number;
}

export interface AppliedPlan {
  world: SimulatedWorld;
  /** Step ids in the order they ran. */
  ran: string[];
  /** Notes a step's executor would give (`already gone`, `kept: still used`, …) by step id. */
  notes: Record<string, string>;
}

/** Checks that `after` names steps of the plan and has no cycle; throws otherwise. */
export function checkStepGraph(plan: Plan): void {
  const ids = new Set<string>();
  for (const step of plan.steps) {
    if (ids.has(step.id)) throw new SimulationError(`step id ${step.id} is used twice`);
    ids.add(step.id);
  }
  for (const step of plan.steps)
    for (const dependency of step.after)
      if (!ids.has(dependency)) throw new SimulationError(`after names unknown step ${dependency}`, step.id);
  topologicalOrder(plan, "listed");
}

function topologicalOrder(plan: Plan, order: StepOrder): Step[] {
  const waiting = new Map(plan.steps.map((s) => [s.id, new Set(s.after)]));
  const done = new Set<string>();
  const out: Step[] = [];
  let seed = typeof order === "number" ? order >>> 0 || 1 : 1;
  const random = () => {
    // xorshift32: deterministic for a seed.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  while (out.length < plan.steps.length) {
    const ready = plan.steps.filter(
      (s) => !done.has(s.id) && [...(waiting.get(s.id) ?? [])].every((d) => done.has(d)),
    );
    if (ready.length === 0)
      throw new SimulationError(
        `the steps' after relation has a cycle among: ${plan.steps
          .filter((s) => !done.has(s.id))
          .map((s) => s.id)
          .join(", ")}`,
      );
    const pick =
      order === "listed"
        ? ready[0]
        : order === "reverse"
          ? ready[ready.length - 1]
          : ready[Math.floor(random() * ready.length)];
    const step = pick as Step;
    done.add(step.id);
    out.push(step);
  }
  return out;
}

/** Carries a plan out on a copy of the world; throws a SimulationError where the engine would refuse. */
export function applyPlan(
  world: SimulatedWorld,
  plan: Plan,
  map: LoadedMap,
  options: ApplyPlanOptions = {},
): AppliedPlan {
  checkStepGraph(plan);
  const next = cloneWorld(world);
  const ran: string[] = [];
  const notes: Record<string, string> = {};
  const nameOf = containerNameLookup(map.resolved);
  const specs = new Map<string, ContainerSpec>();
  const specOf = (client: string, key: string): ContainerSpec => {
    const id = `${client}/${key}`;
    let spec = specs.get(id);
    if (spec === undefined) {
      const instance = map.resolved.containers.find((c) => c.key === key);
      if (instance === undefined) throw new SimulationError(`container ${key} is not in the map`);
      spec = buildContainerSpec(instance, options.clients?.[client] ?? defaultClientContext(client), nameOf);
      specs.set(id, spec);
    }
    return spec;
  };
  for (const step of topologicalOrder(plan, options.order ?? "listed")) {
    if (options.stopAfter !== undefined && ran.length >= options.stopAfter) break;
    const engine = next[step.object.client];
    if (engine === undefined) throw new SimulationError(`no engine ${step.object.client}`, step.id);
    try {
      const note = runStep(step, engine, map, specOf);
      if (note !== undefined) notes[step.id] = note;
    } catch (err) {
      if (err instanceof SimulationError && err.step === undefined)
        throw new SimulationError(err.message, step.id);
      throw err;
    }
    ran.push(step.id);
  }
  return { world: next, ran, notes };
}

function instanceOf(map: LoadedMap, key: string | undefined): ContainerInstance {
  const found = map.resolved.containers.find((c) => c.key === key);
  if (found === undefined) throw new SimulationError(`container ${key ?? "(no key)"} is not in the map`);
  return found;
}

/** What one step does to its engine (mirrors the executors in src/apply/step-executors.ts). */
function runStep(
  step: Step,
  engine: SimulatedEngine,
  map: LoadedMap,
  specOf: (client: string, key: string) => ContainerSpec,
): string | undefined {
  switch (step.type) {
    case "pull-image":
      engine.pullImage(step.image);
      return undefined;
    case "create-network": {
      const network = map.resolved.networks.find((n) => n.key === step.object.key);
      if (network === undefined) throw new SimulationError(`network ${step.object.key} is not in the map`);
      engine.createNetwork({
        Name: network.name,
        Driver: network.driver,
        Options: network.driverOptions,
        Internal: network.internal,
        Labels: networkLabels(map.resolved.name, network),
      });
      return undefined;
    }
    case "remove-network": {
      try {
        return engine.removeNetwork(step.networkId) === "missing" ? "already gone" : undefined;
      } catch (err) {
        if (step.ifUnused && err instanceof SimulationError && /active endpoints/.test(err.message))
          return "kept: still used by containers outside the map";
        throw err;
      }
    }
    case "connect-network":
      engine.connectNetwork(step.network, step.container, endpointConfig(step.endpoint));
      return undefined;
    case "disconnect-network":
      return engine.disconnectNetwork(step.network, step.container) === "not connected"
        ? "already disconnected"
        : undefined;
    case "create-volume": {
      const volume = map.resolved.volumes.find((v) => v.key === step.object.key);
      if (volume === undefined) throw new SimulationError(`volume ${step.object.key} is not in the map`);
      engine.createVolume({
        Name: volume.name,
        Driver: volume.driver,
        DriverOpts: volume.driverOptions,
        Labels: volumeLabels(map.resolved.name, volume),
      });
      return undefined;
    }
    case "remove-volume":
      engine.removeVolume(step.object.name);
      return undefined;
    case "prepare-volume": {
      const volume = engine.volume(step.volume);
      if (volume === undefined) throw new SimulationError(`No such volume: ${step.volume}`);
      if (engine.images[normalizeImageReference(step.image)] === undefined)
        throw new SimulationError(`No such image: ${step.image} (volume preparation)`);
      volume.prepared = { user: step.user, permissions: step.permissions };
      return undefined;
    }
    case "create-container": {
      const key = step.object.key;
      const instance = instanceOf(map, key);
      const spec = specOf(step.object.client, instance.key);
      const bound: Record<string, string> = {};
      for (const name of referencedNames(spec)) {
        const target = engine.find(name);
        if (target !== undefined) bound[name] = target.id;
      }
      const salt = hex64(`salt ${step.object.client} ${step.name} ${engine.containers.length}`).slice(0, 32);
      const labels: Record<string, string> = {
        [LABEL.map]: map.resolved.name,
        [LABEL.config]: instance.config,
        [LABEL.instance]: instance.instance ?? "",
        [LABEL.kind]: "container",
        ...encodeSpecLabels(spec, salt, map.resolved.sensitive, bound),
      };
      if (step.temporary) labels[LABEL.replaces] = step.object.name;
      engine.createContainer(step.name, createBody(spec, { labels, carriedVolumes: step.carriedVolumes }));
      return undefined;
    }
    case "start-container":
      engine.startContainer(step.container);
      return undefined;
    case "stop-container":
      engine.stopContainer(step.container);
      return undefined;
    case "kill-container":
      engine.killContainer(step.container, step.signal);
      return undefined;
    case "remove-container":
      return engine.removeContainer(step.container, { force: step.force, volumes: step.removeVolumes }) ===
        "missing"
        ? "already gone"
        : undefined;
    case "rename-container":
      engine.renameContainer(step.container, step.to);
      return undefined;
    case "update-container":
      engine.updateContainer(
        step.container,
        updateBody(specOf(step.object.client, step.object.key as string), step.fields),
      );
      return step.fields.join(", ");
    case "exec":
      engine.exec(step.container, step.text);
      return undefined;
    case "wait-healthy":
      engine.waitHealthy(step.container);
      return "healthy";
    case "wait-completed":
      engine.waitCompleted(step.container);
      return "completed";
    case "record-state": {
      // As the executor: the state container is replaced whole (never started, no image needed here).
      engine.removeContainer(step.object.name, { force: true });
      engine.pullImage(MARKER_IMAGE);
      engine.createContainer(step.object.name, {
        Image: MARKER_IMAGE,
        Labels: encodeMapState(map.name, step.state),
        HostConfig: { NetworkMode: "none" },
      });
      return undefined;
    }
  }
}

/** Names a spec refers to in ways that bind to an id at create (links, volumes_from, network_mode). */
function referencedNames(spec: ContainerSpec): string[] {
  const names = [
    ...spec.links.map((l) => l.slice(0, l.lastIndexOf(":"))),
    ...spec.uses.filter((u) => u.startsWith("container:")).map((u) => u.split(":")[1] as string),
  ];
  if (spec.network_mode.startsWith("container:")) names.push(spec.network_mode.slice("container:".length));
  return names;
}
