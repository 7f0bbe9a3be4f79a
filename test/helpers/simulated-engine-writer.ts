/**
 * berth's engine interface over a simulated engine: `SimulatedEngineWriter` implements
 * `EngineWriter`, so the real executor (src/apply) and the real observation (src/observe) run
 * against the model of simulated-engine-state.ts. Every refusal of the model becomes the typed
 * error DockerEngine gives for that HTTP status (404 → EngineNotFoundError, 409 →
 * EngineConflictError, others → EngineApiError), so the executors react as they do to Docker.
 * What the engine answers 304 (start a running container, stop a stopped one) succeeds.
 *
 * Every call is answered at once (a resolved or rejected promise): there is no I/O and no waiting.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { CallCounter } from "../../src/engine/call-counter.js";
import type { EngineWriter, ExecOptions, LabelSelector, PathOwner } from "../../src/engine/engine.js";
import {
  EngineApiError,
  EngineConflictError,
  EngineNotFoundError,
  EngineTimeoutError,
  type EngineErrorContext,
} from "../../src/engine/engine-errors.js";
import type {
  BuildRequest,
  BuildResult,
  PushResult,
  ContainerCreateBody,
  ContainerDetails,
  ContainerSummary,
  ContainerUpdateBody,
  EndpointConfig,
  EngineEvent,
  EngineInfo,
  EngineVersion,
  ExecResult,
  ImageSummary,
  Labels,
  NetworkCreateBody,
  NetworkSummary,
  VolumeCreateBody,
  VolumeSummary,
} from "../../src/engine/engine-types.js";
import type {
  NodeSummary,
  SecretSummary,
  ServiceSummary,
  TaskSummary,
} from "../../src/engine/swarm-types.js";
import { normalizeImageReference } from "../../src/model/image-reference.js";
import { SimulationError, type SimulatedContainer } from "./simulated-container.js";
import type { SimulatedEngine } from "./simulated-engine-state.js";
import { FRESH_FOLDER } from "./simulated-programs.js";

export class SimulatedEngineWriter implements EngineWriter {
  readonly calls = new CallCounter();
  readonly name: string;

  constructor(readonly engine: SimulatedEngine) {
    this.name = engine.client;
  }

  /** One engine call: counted, answered at once, a refusal translated as DockerEngine does. */
  private call<T>(operation: string, object: string, action: () => T): Promise<T> {
    this.calls.record(operation);
    try {
      return Promise.resolve(action());
    } catch (err) {
      return Promise.reject(translate({ engine: this.name, operation, object }, err));
    }
  }

  // ---- read-only ----------------------------------------------------------------------------------

  ping(): Promise<void> {
    return this.call("ping", "engine", () => undefined);
  }

  version(): Promise<EngineVersion> {
    return this.call("version", "engine", () => ({ Version: "simulated", ApiVersion: "1.41" }));
  }

  /** A simulated engine is never in a swarm. */
  info(): Promise<EngineInfo> {
    return this.call("info", "engine", () => ({
      Swarm: { LocalNodeState: "inactive", ControlAvailable: false },
    }));
  }

  listContainers(labels: LabelSelector): Promise<ContainerSummary[]> {
    return this.call("list containers", "", () =>
      this.engine.containers.filter((c) => selects(labels, c.labels)).map((c) => this.summary(c)),
    );
  }

  listVolumes(labels: LabelSelector): Promise<VolumeSummary[]> {
    return this.call("list volumes", "", () =>
      this.engine.volumes
        .filter((v) => selects(labels, v.labels))
        .map((v) => ({
          Name: v.name,
          Driver: v.driver,
          Mountpoint: `/var/lib/docker/volumes/${v.name}/_data`,
          Labels: { ...v.labels },
          Options: { ...v.options },
        })),
    );
  }

  /** The model keeps no files: every container's writable layer and volume is empty. */
  containerSizes(labels: LabelSelector): Promise<Map<string, number>> {
    return this.call("measure containers", "", () => {
      const selected = this.engine.containers.filter((c) => selects(labels, c.labels));
      return new Map(selected.map((c) => [this.summary(c).Id, 0]));
    });
  }

  volumeSizes(): Promise<Map<string, number>> {
    return this.call(
      "measure volumes",
      "volumes",
      () => new Map(this.engine.volumes.map((v) => [v.name, 0])),
    );
  }

  listNetworks(labels: LabelSelector): Promise<NetworkSummary[]> {
    return this.call("list networks", "", () =>
      this.engine.networks
        .filter((n) => selects(labels, n.labels))
        .map((n) => ({
          Id: n.id,
          Name: n.name,
          Driver: n.driver,
          Internal: n.internal,
          Labels: { ...n.labels },
          Options: { ...n.options },
        })),
    );
  }

  listImages(): Promise<ImageSummary[]> {
    return this.call("list images", "images", () => {
      const byId = new Map<string, ImageSummary>();
      for (const [reference, id] of Object.entries(this.engine.images)) {
        let image = byId.get(id);
        if (image === undefined) {
          image = { Id: id, RepoTags: [], RepoDigests: [], Created: 0, Size: 0 };
          const labels = this.engine.imageLabels[id];
          if (labels !== undefined) image.Labels = { ...labels };
          byId.set(id, image);
        }
        (reference.includes("@") ? image.RepoDigests : image.RepoTags)?.push(reference);
      }
      return [...byId.values()];
    });
  }

  inspectContainer(idOrName: string): Promise<ContainerDetails> {
    return this.call("inspect container", `container ${idOrName}`, () =>
      this.details(this.engine.watch(idOrName)),
    );
  }

  // ---- swarm: a simulated engine is never in one, and answers as Docker does then (503) ----

  private notInSwarm<T>(operation: string, object: string): Promise<T> {
    return this.call(operation, object, () => {
      throw new SimulationError("This node is not a swarm manager.", 503);
    });
  }

  listServices(): Promise<ServiceSummary[]> {
    return this.notInSwarm("list services", "");
  }

  inspectService(idOrName: string): Promise<ServiceSummary> {
    return this.notInSwarm("inspect service", `service ${idOrName}`);
  }

  listTasks(): Promise<TaskSummary[]> {
    return this.notInSwarm("list tasks", "swarm");
  }

  listNodes(): Promise<NodeSummary[]> {
    return this.notInSwarm("list nodes", "swarm");
  }

  listSecrets(): Promise<SecretSummary[]> {
    return this.notInSwarm("list secrets", "");
  }

  serviceLogs(idOrName: string): Promise<Readable> {
    return this.notInSwarm("logs", `service ${idOrName}`);
  }

  createService(spec: { Name: string }): Promise<string> {
    return this.notInSwarm("create service", `service ${spec.Name}`);
  }

  updateService(id: string): Promise<string[]> {
    return this.notInSwarm("update service", `service ${id}`);
  }

  removeService(idOrName: string): Promise<void> {
    return this.notInSwarm("remove service", `service ${idOrName}`);
  }

  createSecret(body: { Name: string }): Promise<string> {
    return this.notInSwarm("create secret", `secret ${body.Name}`);
  }

  removeSecret(idOrName: string): Promise<void> {
    return this.notInSwarm("remove secret", `secret ${idOrName}`);
  }

  events(): Promise<EngineEvent[]> {
    return this.call("events", "engine", () => []);
  }

  containerLogs(id: string): Promise<Readable> {
    return this.call("logs", `container ${id}`, () =>
      Readable.from([Buffer.from(this.engine.container(id).output)]),
    );
  }

  pathOwner(id: string, path: string): Promise<PathOwner> {
    return this.call("read path owner", `container ${id} path ${path}`, () => {
      const mount = this.engine.container(id).mounts.find((m) => m.Destination === path);
      const volume = mount?.Name === undefined ? undefined : this.engine.volume(mount.Name);
      if (volume === undefined) throw new SimulationError(`no volume mounted at ${path}`, 404);
      return { ...(volume.folder ?? FRESH_FOLDER) };
    });
  }

  // ---- images -------------------------------------------------------------------------------------

  pullImage(reference: string): Promise<void> {
    return this.call("pull image", `image ${reference}`, () => this.engine.pullImage(reference));
  }

  tagImage(source: string, repository: string, tag: string): Promise<void> {
    return this.call("tag image", `image ${source}`, () => {
      const id = this.engine.images[normalizeImageReference(source)];
      if (id === undefined) throw new SimulationError(`No such image: ${source}`, 404);
      this.engine.tagImage(`${repository}:${tag}`, id);
    });
  }

  /** A push of a local image succeeds (the simulation has no registry to receive it). */
  pushImage(reference: string): Promise<PushResult> {
    return this.call("push image", `image ${reference}`, () => {
      const id = this.engine.images[normalizeImageReference(reference)];
      if (id === undefined)
        throw new SimulationError(`An image does not exist locally with the tag: ${reference}`, 404);
      return { digest: undefined };
    });
  }

  /** A build makes an image whose id is the digest of its context and labels. */
  buildImage(request: BuildRequest): Promise<BuildResult> {
    return this.call("build image", `image ${request.tag}`, () => {
      const id = `sha256:${createHash("sha256")
        .update(request.context)
        .update(JSON.stringify(request.labels))
        .update(JSON.stringify(request.args))
        .digest("hex")}`;
      this.engine.tagImage(request.tag, id);
      this.engine.imageLabels[id] = { ...request.labels };
      return { imageId: id };
    });
  }

  removeImage(reference: string): Promise<void> {
    return this.call("remove image", `image ${reference}`, () => this.engine.removeImage(reference));
  }

  importImage(tar: Buffer, repository: string, tag: string): Promise<void> {
    return this.call("import image", `image ${repository}:${tag}`, () => {
      const id = `sha256:${createHash("sha256").update(tar).digest("hex")}`;
      this.engine.tagImage(`${repository}:${tag}`, id);
    });
  }

  // ---- containers ---------------------------------------------------------------------------------

  createContainer(name: string, body: ContainerCreateBody): Promise<string> {
    return this.call("create container", `container ${name}`, () => this.engine.createContainer(name, body));
  }

  startContainer(id: string): Promise<void> {
    return this.call("start container", `container ${id}`, () => this.engine.startContainer(id));
  }

  stopContainer(id: string): Promise<void> {
    return this.call("stop container", `container ${id}`, () => this.engine.stopContainer(id, 0));
  }

  killContainer(id: string, signal?: string): Promise<void> {
    return this.call("kill container", `container ${id}`, () => this.engine.killContainer(id, signal));
  }

  removeContainer(id: string, options: { volumes?: boolean; force?: boolean } = {}): Promise<void> {
    return this.call("remove container", `container ${id}`, () => this.engine.removeContainer(id, options));
  }

  renameContainer(id: string, newName: string): Promise<void> {
    return this.call("rename container", `container ${id}`, () => this.engine.renameContainer(id, newName));
  }

  updateContainer(id: string, body: ContainerUpdateBody): Promise<void> {
    return this.call("update container", `container ${id}`, () => this.engine.updateContainer(id, body));
  }

  /** A stopped container's exit code; one still running (not a job) does not stop in time. */
  waitContainer(id: string): Promise<number> {
    return this.call("wait container", `container ${id}`, () => {
      const container = this.engine.watch(id);
      if (container.state === "running")
        throw new EngineTimeoutError(
          { engine: this.name, operation: "wait container", object: `container ${id}` },
          "cancelled",
        );
      return container.exitCode ?? 0;
    });
  }

  /**
   * The command runs and is recorded on the container as one line; it succeeds, unless it ends
   * with `exit N` (N > 0: `sh -c 'exit 3'`), which is its exit code.
   */
  exec(id: string, command: string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.call("create exec", `container ${id}`, () => {
      const text = command.join(" ");
      this.engine.exec(id, text);
      if (options.detach === true) return { exitCode: null, output: "" };
      return { exitCode: Number(/\bexit (\d+)$/.exec(text)?.[1] ?? 0), output: "" };
    });
  }

  // ---- volumes and networks -----------------------------------------------------------------------

  createVolume(body: VolumeCreateBody): Promise<void> {
    return this.call("create volume", `volume ${body.Name}`, () => this.engine.createVolume(body));
  }

  removeVolume(name: string): Promise<void> {
    return this.call("remove volume", `volume ${name}`, () => this.engine.removeVolume(name));
  }

  createNetwork(body: NetworkCreateBody): Promise<string> {
    return this.call("create network", `network ${body.Name}`, () => this.engine.createNetwork(body));
  }

  removeNetwork(idOrName: string): Promise<void> {
    return this.call("remove network", `network ${idOrName}`, () => this.engine.removeNetwork(idOrName));
  }

  connectNetwork(network: string, container: string, endpoint?: EndpointConfig): Promise<void> {
    return this.call("connect network", `network ${network} / container ${container}`, () =>
      this.engine.connectNetwork(network, container, endpoint),
    );
  }

  disconnectNetwork(network: string, container: string): Promise<void> {
    return this.call("disconnect network", `network ${network} / container ${container}`, () =>
      this.engine.disconnectNetwork(network, container),
    );
  }

  // ---- the engine's answers -----------------------------------------------------------------------

  /** A row of GET /containers/json?all=1. */
  summary(container: SimulatedContainer): ContainerSummary {
    return {
      Id: container.id,
      // A container linked by others is also listed under `/dependent/alias`.
      Names: [
        ...this.engine.containers
          .filter((c) => c.references.some((r) => r.kind === "links" && r.id === container.id))
          .map((c) => `/${c.name}/${container.name.replace(/[._]/g, "-")}`),
        `/${container.name}`,
      ],
      Image: container.image,
      ImageID: container.imageId,
      Created: container.created,
      Labels: { ...container.labels },
      State: container.state,
      Status: statusText(container),
      HostConfig: { NetworkMode: container.networkMode },
      NetworkSettings: { Networks: structuredClone(container.networks) },
      Mounts: structuredClone(container.mounts),
      Ports: container.state === "running" ? publishedPorts(container) : [],
    };
  }

  /** GET /containers/{id}/json, the parts berth reads. */
  details(c: SimulatedContainer): ContainerDetails {
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
      // As dockerd: the create body's settings come back (limits and policy as updated since).
      Config: {
        ...structuredClone(configOf(c.body)),
        Image: c.image,
        Labels: { ...c.labels },
      },
      HostConfig: {
        ...structuredClone(c.body?.HostConfig ?? {}),
        NetworkMode: c.networkMode,
        RestartPolicy: { ...c.restartPolicy },
        ...c.limits,
      },
      Mounts: structuredClone(c.mounts),
      NetworkSettings: { Networks: structuredClone(c.networks) },
    };
  }
}

/** The create body without what inspect reports elsewhere (HostConfig, NetworkingConfig). */
function configOf(body: SimulatedContainer["body"]): Record<string, unknown> {
  if (body === undefined) return {};
  const { HostConfig: _host, NetworkingConfig: _networks, ...config } = body as Record<string, unknown>;
  return config;
}

function statusText(container: SimulatedContainer): string {
  switch (container.state) {
    case "running": {
      const health = container.health;
      if (health === undefined) return "Up 2 seconds";
      return `Up 2 seconds (${health === "starting" ? "health: starting" : health})`;
    }
    case "exited":
      return `Exited (${container.exitCode ?? 0}) 3 seconds ago`;
    case "created":
      return "Created";
    case "dead":
      return "Dead";
    case "paused":
    case "restarting":
      return container.state;
  }
}

/** Whether an object's labels match a list filter (`true`: the label is there, any value). */
function selects(selector: LabelSelector, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) =>
    value === true ? labels[key] !== undefined : labels[key] === value,
  );
}

/** The typed error DockerEngine gives for the status the engine answers a refusal with. */
function translate(context: EngineErrorContext, err: unknown): Error {
  if (!(err instanceof SimulationError)) return err instanceof Error ? err : new Error(String(err));
  if (err.status === 404) return new EngineNotFoundError(context, err.message, { cause: err });
  if (err.status === 409) return new EngineConflictError(context, err.message, { cause: err });
  return new EngineApiError(context, err.status, err.message, { cause: err });
}

/** The host bindings a running container holds, as the engine's list shows them. */
function publishedPorts(container: SimulatedContainer): NonNullable<ContainerSummary["Ports"]> {
  const bindings = (container.body?.HostConfig?.PortBindings ?? {}) as Record<
    string,
    { HostIp?: string; HostPort?: string }[]
  >;
  return Object.entries(bindings).flatMap(([port, hosts]) =>
    hosts.map((h) => ({
      IP: h.HostIp === "" || h.HostIp === undefined ? "0.0.0.0" : h.HostIp,
      PrivatePort: Number(port.split("/")[0]),
      PublicPort: Number(h.HostPort),
      Type: port.split("/")[1] ?? "tcp",
    })),
  );
}
