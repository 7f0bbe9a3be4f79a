import type { Readable } from "node:stream";
import type { CallCounter } from "./call-counter.js";
import type {
  BuildRequest,
  BuildResult,
  ContainerCreateBody,
  PushResult,
  ContainerDetails,
  ContainerSummary,
  ContainerUpdateBody,
  EngineEvent,
  EngineInfo,
  EngineVersion,
  ExecResult,
  ImageSummary,
  EndpointConfig,
  NetworkCreateBody,
  NetworkSummary,
  RegistryAuth,
  VolumeCreateBody,
  VolumeSummary,
} from "./engine-types.js";
import type {
  NodeSummary,
  SecretCreateBody,
  SecretSummary,
  ServiceSpec,
  ServiceSummary,
  TaskFilter,
  TaskSummary,
} from "./swarm-types.js";

/** `{ "berth.map": "main" }` selects objects with that label value; `true` selects any value. */
export type LabelSelector = Record<string, string | true>;

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface ExecOptions {
  user?: string;
  env?: string[];
  workingDir?: string;
  /** Start and return at once, without waiting for the command to end. */
  detach?: boolean;
  timeoutMs?: number;
}

/**
 * The read-only half of an engine. Planning, dry runs and `status` hold only this, so they cannot
 * change anything on the engine: the object they get has no mutating method at all.
 */
export interface EngineReader {
  /** The client name (`default` for DOCKER_HOST); every error and step carries it. */
  readonly name: string;
  readonly calls: CallCounter;
  ping(): Promise<void>;
  version(): Promise<EngineVersion>;
  /** `GET /info`: the engine's part in a swarm (a manager can create overlay networks). */
  info(): Promise<EngineInfo>;
  listContainers(labels: LabelSelector): Promise<ContainerSummary[]>;
  listVolumes(labels: LabelSelector): Promise<VolumeSummary[]>;
  listNetworks(labels: LabelSelector): Promise<NetworkSummary[]>;
  listImages(): Promise<ImageSummary[]>;
  /**
   * Bytes each container's writable layer takes (`SizeRw` of the container list with `size`),
   * by id, for the containers with these labels: the engine measures every one listed, so the
   * selector should be narrow.
   */
  containerSizes(labels: LabelSelector): Promise<Map<string, number>>;
  /**
   * Bytes each volume's contents take (`UsageData.Size` of `GET /system/df`), by name; -1 where
   * the engine cannot tell (a volume of another driver). Before API 1.42 the engine measures its
   * images and containers for it too: a disk-usage scan of the whole engine.
   */
  volumeSizes(): Promise<Map<string, number>>;
  inspectContainer(idOrName: string): Promise<ContainerDetails>;
  /** Engine events between two times (seconds since the epoch); returns once `until` has passed. */
  events(options: { since: number; until: number; labels?: LabelSelector }): Promise<EngineEvent[]>;
  /** The container's output, demultiplexed into stdout and stderr chunks. */
  containerLogs(id: string, options: LogOptions): Promise<Readable>;
  /**
   * Owner and mode of a path in a container (running or not), e.g. a volume's mount point: read
   * from the first header of the engine's archive of it, one call, without reading its contents.
   */
  pathOwner(id: string, path: string): Promise<PathOwner>;
  // ---- Swarm (a manager answers; any other engine answers 503 "not a swarm manager") ----
  /** Services with these labels, with their running and desired task counts (`status=true`). */
  listServices(labels: LabelSelector): Promise<ServiceSummary[]>;
  inspectService(idOrName: string): Promise<ServiceSummary>;
  /** Tasks, filtered by the engine (none: every task of the swarm, one call). */
  listTasks(filter?: TaskFilter): Promise<TaskSummary[]>;
  listNodes(): Promise<NodeSummary[]>;
  listSecrets(labels: LabelSelector): Promise<SecretSummary[]>;
  /** The output of every task of a service, demultiplexed, in one stream. */
  serviceLogs(idOrName: string, options: LogOptions): Promise<Readable>;
}

/** Numeric owner and mode (permission and special bits) of a path. */
export interface PathOwner {
  uid: number;
  gid: number;
  mode: number;
}

/** The mutating half; only `apply` gets one. */
export interface EngineWriter extends EngineReader {
  pullImage(reference: string, auth?: RegistryAuth, onProgress?: (event: unknown) => void): Promise<void>;
  /** Builds an image; each line of the builder's output goes to `onOutput`. Fails with ImageBuildError. */
  buildImage(request: BuildRequest, onOutput?: (line: string) => void): Promise<BuildResult>;
  tagImage(source: string, repository: string, tag: string): Promise<void>;
  /**
   * Pushes a local image reference to its registry (`auth` travels in the X-Registry-Auth header
   * only); each progress line goes to `onProgress`. Fails with ImagePushError.
   */
  pushImage(reference: string, auth?: RegistryAuth, onProgress?: (line: string) => void): Promise<PushResult>;
  removeImage(reference: string): Promise<void>;
  /** Imports a tar stream as an image (used to make berth's own tiny lock image). */
  importImage(tar: Buffer, repository: string, tag: string): Promise<void>;
  createContainer(name: string, body: ContainerCreateBody): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds?: number): Promise<void>;
  killContainer(id: string, signal?: string): Promise<void>;
  removeContainer(id: string, options?: { volumes?: boolean; force?: boolean }): Promise<void>;
  renameContainer(id: string, newName: string): Promise<void>;
  updateContainer(id: string, body: ContainerUpdateBody): Promise<void>;
  /** Waits until the container is not running; returns its exit code. */
  waitContainer(id: string, signal?: AbortSignal): Promise<number>;
  exec(id: string, command: string[], options?: ExecOptions): Promise<ExecResult>;
  createVolume(body: VolumeCreateBody): Promise<void>;
  removeVolume(name: string): Promise<void>;
  createNetwork(body: NetworkCreateBody): Promise<string>;
  removeNetwork(idOrName: string): Promise<void>;
  connectNetwork(network: string, container: string, endpoint?: EndpointConfig): Promise<void>;
  disconnectNetwork(network: string, container: string, force?: boolean): Promise<void>;
  /** Creates a service; returns its id. */
  createService(spec: ServiceSpec, auth?: RegistryAuth): Promise<string>;
  /**
   * Sends a service's new spec, naming the version it was read at: a service changed since is
   * refused by the engine (EngineConflictError, never overwritten). `rollback`: go back to the
   * previous spec instead (the spec sent must then be the current one).
   */
  updateService(
    id: string,
    version: number,
    spec: ServiceSpec,
    options?: { rollback?: boolean; auth?: RegistryAuth },
  ): Promise<string[]>;
  removeService(idOrName: string): Promise<void>;
  createSecret(body: SecretCreateBody): Promise<string>;
  removeSecret(idOrName: string): Promise<void>;
}

const readerMethods = [
  "ping",
  "version",
  "info",
  "listContainers",
  "listVolumes",
  "listNetworks",
  "listImages",
  "containerSizes",
  "volumeSizes",
  "inspectContainer",
  "events",
  "containerLogs",
  "pathOwner",
  "listServices",
  "inspectService",
  "listTasks",
  "listNodes",
  "listSecrets",
  "serviceLogs",
] as const satisfies readonly (keyof EngineReader)[];

/**
 * A view of an engine with only the read-only methods, as a separate object: a cast back to
 * EngineWriter would find nothing to call.
 */
export function readOnly(engine: EngineReader): EngineReader {
  const view: Record<string, unknown> = {};
  for (const method of readerMethods) {
    view[method] = (...args: unknown[]) =>
      (engine[method] as (...a: unknown[]) => unknown).apply(engine, args);
  }
  Object.defineProperty(view, "name", { value: engine.name, enumerable: true });
  Object.defineProperty(view, "calls", { value: engine.calls, enumerable: true });
  return Object.freeze(view) as unknown as EngineReader;
}
