/**
 * The state and rules of one simulated Docker engine, as plain data: containers, volumes,
 * networks and images. Its methods are the engine's own operations, synchronous, and refuse what
 * the engine refuses (a name that is taken, removing a running container without force, a volume
 * in use, a start whose link target is gone or not running, …) with a `SimulationError` carrying
 * the HTTP status the Docker API answers with. Tests use them to set a world up ("stop this
 * container with 137"); berth's executor reaches them only through `SimulatedEngineWriter`.
 *
 * References that bind to a container id when a container is made (links, volumes_from,
 * network_mode container:) are kept by id, as the engine keeps them: replacing the target leaves
 * them pointing at the removed container (`staleReferences` lists them).
 *
 * Time: `tick()` is time passing (the fake clock of an apply calls it): health checks pass. The
 * map's jobs (`jobs`: keys waited for with `condition: completed`) end with 0 when watched.
 */
import type {
  ContainerCreateBody,
  ContainerUpdateBody,
  EndpointConfig,
  Labels,
} from "../../src/engine/engine-types.js";
import { LABEL } from "../../src/model/labels.js";
import { normalizeImageReference } from "../../src/model/image-reference.js";
import type { ObservedNetwork, ObservedVolume } from "../../src/observe/observed-state.js";
import {
  endpointFor,
  hex64,
  makeContainer,
  PRESET_NETWORKS,
  SimulationError,
  type SimulatedContainer,
} from "./simulated-container.js";
import { runHelperProgram } from "./simulated-programs.js";

export interface SimulatedVolume extends ObservedVolume {
  /** Owner and permissions applied by a volume-preparation helper. */
  prepared?: { user: string | null; permissions: string | null };
}

const HEX64 = /^[0-9a-f]{64}$/;

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
  /** Labels of images, by id (builds set them). */
  imageLabels: Record<string, Record<string, string>> = {};
  /** What a pull of a reference gives (default: `registryImageId(reference)`). */
  registry: Record<string, string> = {};
  /** Map keys (`config[.instance]`) of the containers that run to an end: the map's jobs. */
  jobs = new Set<string>();
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
    copy.imageLabels = { ...this.imageLabels };
    copy.registry = { ...this.registry };
    copy.jobs = new Set(this.jobs);
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
    if (found === undefined) throw new SimulationError(`No such container: ${idOrName}`, 404);
    return found;
  }

  /** The container holding a name (throws when none does). */
  named(name: string): SimulatedContainer {
    const found = this.containers.find((c) => c.name === name);
    if (found === undefined) throw new SimulationError(`no container is named ${name}`, 404);
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
    const ref = normalizeImageReference(reference);
    if (this.images[ref] === undefined) throw new SimulationError(`No such image: ${reference}`, 404);
    delete this.images[ref];
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
    if (this.volume(name) === undefined) throw new SimulationError(`get ${name}: no such volume`, 404);
    const users = this.containers.filter((c) => c.mounts.some((m) => m.Type === "volume" && m.Name === name));
    if (users.length > 0)
      throw new SimulationError(`volume ${name} is in use by ${users.map((c) => c.name).join(", ")}`, 409);
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
      throw new SimulationError(`network with name ${body.Name} already exists`, 409);
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

  removeNetwork(idOrName: string): void {
    const network = this.network(idOrName);
    if (network === undefined) throw new SimulationError(`network ${idOrName} not found`, 404);
    if (PRESET_NETWORKS.includes(network.name))
      throw new SimulationError(`${network.name} is a pre-defined network and cannot be removed`, 403);
    const attached = this.attachedTo(network);
    if (attached.length > 0)
      throw new SimulationError(
        `error while removing network: network ${network.name} id ${network.id} has active endpoints (${attached.map((c) => c.name).join(", ")})`,
        403,
      );
    this.networks = this.networks.filter((n) => n !== network);
  }

  connectNetwork(networkName: string, containerIdOrName: string, config?: EndpointConfig): void {
    const network = this.network(networkName);
    if (network === undefined) throw new SimulationError(`network ${networkName} not found`, 404);
    const container = this.container(containerIdOrName);
    const mode = container.networkMode;
    if (mode === "host" || mode === "none" || mode.startsWith("container:"))
      throw new SimulationError(
        `container ${container.name} shares the network namespace of another (${mode}) and cannot be connected to networks`,
        400,
      );
    if (container.networks[network.name] !== undefined)
      throw new SimulationError(
        `endpoint with name ${container.name} already exists in network ${network.name}`,
        403,
      );
    container.networks[network.name] = endpointFor(network, config, container.id);
  }

  disconnectNetwork(networkName: string, containerIdOrName: string): void {
    const container = this.container(containerIdOrName);
    const name = this.network(networkName)?.name ?? networkName;
    if (container.networks[name] === undefined)
      throw new SimulationError(
        `container ${container.name} is not connected to network ${networkName}`,
        404,
      );
    delete container.networks[name];
  }

  // ---- containers ---------------------------------------------------------------------------------

  /** POST /containers/create: what the engine makes of a create request. */
  createContainer(name: string, body: ContainerCreateBody): string {
    if (this.containers.some((c) => c.name === name))
      throw new SimulationError(`Conflict. The container name "/${name}" is already in use`, 409);
    const imageId = this.images[normalizeImageReference(body.Image)];
    if (imageId === undefined) throw new SimulationError(`No such image: ${body.Image}`, 404);
    const { id, time } = this.next(`container ${name}`);
    const host = {
      client: this.client,
      find: (idOrName: string) => this.find(idOrName),
      network: (idOrName: string) => this.network(idOrName),
      ensureVolume: (volume: string) => {
        this.createVolume({ Name: volume });
        return this.volume(volume)?.driver ?? "local";
      },
    };
    this.containers.push(makeContainer(host, { id, time, name, imageId }, body));
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
      output: "",
      body: undefined,
      ...fields,
    };
    this.containers.push(container);
    return container;
  }

  /** Starts a container (a running one is left as it is: the engine's 304) and runs its program. */
  startContainer(idOrName: string): void {
    const container = this.container(idOrName);
    if (container.state === "running" || container.state === "restarting") return;
    if (container.state === "dead") throw new SimulationError(`container ${container.name} is dead`, 500);
    for (const ref of container.references) {
      if (ref.kind === "volumes-from") continue;
      const target = this.find(ref.id);
      if (target === undefined || target.state !== "running")
        throw new SimulationError(
          `Cannot link to a non running container: /${ref.name} AS /${container.name} (${ref.kind})`,
          500,
        );
    }
    for (const [networkName, endpoint] of Object.entries(container.networks)) {
      if (this.network(endpoint.NetworkID ?? "") === undefined)
        throw new SimulationError(`network ${networkName} not found (start of ${container.name})`, 404);
    }
    container.state = "running";
    container.exitCode = undefined;
    container.health = container.hasHealthcheck ? "starting" : undefined;
    const helper = runHelperProgram(container, (name) => this.volume(name));
    if (helper !== undefined) {
      container.output = helper.output;
      this.stopContainer(container.id, helper.exitCode);
    }
  }

  /** Stops a running container with an exit code (a stopped one is left as it is: the engine's 304). */
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
      throw new SimulationError(`Container ${container.id} is not running`, 409);
    this.stopContainer(container.id, signal === "SIGKILL" || signal === "KILL" ? 137 : 143);
  }

  removeContainer(idOrName: string, options: { force?: boolean; volumes?: boolean } = {}): void {
    const container = this.container(idOrName);
    if ((container.state === "running" || container.state === "restarting") && options.force !== true)
      throw new SimulationError(
        `You cannot remove a running container ${container.name}. Stop the container before attempting removal or force remove`,
        409,
      );
    this.containers = this.containers.filter((c) => c !== container);
    if (options.volumes !== true) return;
    // Anonymous volumes go with it, unless another container mounts them too.
    for (const mount of container.mounts) {
      if (mount.Type !== "volume" || mount.Name === undefined || !HEX64.test(mount.Name)) continue;
      if (this.containers.some((c) => c.mounts.some((m) => m.Name === mount.Name))) continue;
      this.volumes = this.volumes.filter((v) => v.name !== mount.Name);
    }
  }

  renameContainer(idOrName: string, to: string): void {
    const container = this.container(idOrName);
    if (this.containers.some((c) => c.name === to && c !== container))
      throw new SimulationError(`Conflict. The container name "/${to}" is already in use`, 409);
    container.name = to;
  }

  updateContainer(idOrName: string, body: ContainerUpdateBody): void {
    const container = this.container(idOrName);
    for (const [key, value] of Object.entries(body)) {
      if (key === "RestartPolicy") {
        // As dockerd does: an empty policy name in an update leaves the policy as it is.
        const policy = value as { Name: string };
        if (policy.Name !== "") container.restartPolicy = { ...policy };
      } else container.limits[key] = value;
    }
  }

  /** Runs a command in a running container (it succeeds, and is recorded as one line). */
  exec(idOrName: string, text: string): void {
    const container = this.container(idOrName);
    if (container.state !== "running")
      throw new SimulationError(`Container ${container.id} is not running (exec ${text})`, 409);
    container.execs.push(text);
  }

  // ---- time ---------------------------------------------------------------------------------------

  /** Time passes: running containers' health checks pass. */
  tick(): void {
    for (const container of this.containers)
      if (container.state === "running" && container.hasHealthcheck) container.health = "healthy";
  }

  /**
   * Someone watches a container (inspects it, waits for it): a running job is seen to have run
   * to its end, with 0. Jobs end only when watched, so that a job's exec commands, which run
   * after its start, find it still running.
   */
  watch(idOrName: string): SimulatedContainer {
    const container = this.container(idOrName);
    if (container.state === "running" && this.isJob(container)) this.stopContainer(container.id, 0);
    return container;
  }

  private isJob(container: SimulatedContainer): boolean {
    const config = container.labels[LABEL.config];
    if (config === undefined) return false;
    const instance = container.labels[LABEL.instance];
    return this.jobs.has(instance ? `${config}.${instance}` : config);
  }

  // ---- checks -------------------------------------------------------------------------------------

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
