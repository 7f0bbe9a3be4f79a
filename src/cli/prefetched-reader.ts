import type { Readable } from "node:stream";
import { baseUrlEndpoint } from "../engine/docker-engine.js";
import { resolveDockerEndpoint, socketPathOf, type DockerEndpoint } from "../engine/docker-context.js";
import {
  readOnly,
  type EngineReader,
  type LabelSelector,
  type LogOptions,
  type PathOwner,
} from "../engine/engine.js";
import type {
  ContainerDetails,
  ContainerSummary,
  EngineEvent,
  EngineInfo,
  EngineVersion,
  ImageSummary,
  NetworkSummary,
  VolumeSummary,
} from "../engine/engine-types.js";
import type {
  NodeSummary,
  SecretSummary,
  ServiceSummary,
  TaskFilter,
  TaskSummary,
} from "../engine/swarm-types.js";
import type { ClientConfig } from "../map/clients-file.js";
import type { Engines } from "../reconcile.js";
import { type ListName, type PrefetchedAnswer, type PrefetchedLists } from "./prefetch.js";

/**
 * A read-only engine whose first call of each whole list (no label selector) is answered from
 * the lists the executable prefetched (prefetch.ts), once; every other call, and any list whose
 * prefetch failed, goes to the engine it decorates. An answer that is used counts as the call it
 * stands for, so call counts are the same with or without the prefetch.
 *
 * Its container list holds berth's containers only (see prefetch.ts): it is made for
 * reconcile's first look (ReconcileOptions.firstLook), which only ever concludes that there is
 * nothing to do, and for nothing else.
 */
export class PrefetchedReader implements EngineReader {
  private readonly unused: Partial<Record<ListName, Promise<PrefetchedAnswer>>>;

  constructor(
    private readonly inner: EngineReader,
    lists: PrefetchedLists,
  ) {
    this.unused = { ...lists.answers };
  }

  get name(): string {
    return this.inner.name;
  }

  get calls(): EngineReader["calls"] {
    return this.inner.calls;
  }

  listContainers(labels: LabelSelector): Promise<ContainerSummary[]> {
    if (!isWhole(labels)) return this.inner.listContainers(labels);
    return this.answer(
      "containers",
      "list containers",
      () => this.inner.listContainers(labels),
      (body) => asList<ContainerSummary>(body),
    );
  }

  listVolumes(labels: LabelSelector): Promise<VolumeSummary[]> {
    if (!isWhole(labels)) return this.inner.listVolumes(labels);
    return this.answer(
      "volumes",
      "list volumes",
      () => this.inner.listVolumes(labels),
      (body) => (body as { Volumes: VolumeSummary[] | null }).Volumes ?? [],
    );
  }

  listNetworks(labels: LabelSelector): Promise<NetworkSummary[]> {
    if (!isWhole(labels)) return this.inner.listNetworks(labels);
    return this.answer(
      "networks",
      "list networks",
      () => this.inner.listNetworks(labels),
      (body) => asList<NetworkSummary>(body),
    );
  }

  listImages(): Promise<ImageSummary[]> {
    return this.answer(
      "images",
      "list images",
      () => this.inner.listImages(),
      (body) => asList<ImageSummary>(body),
    );
  }

  containerSizes(labels: LabelSelector): Promise<Map<string, number>> {
    return this.inner.containerSizes(labels);
  }

  volumeSizes(): Promise<Map<string, number>> {
    return this.inner.volumeSizes();
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  version(): Promise<EngineVersion> {
    return this.inner.version();
  }

  info(): Promise<EngineInfo> {
    return this.inner.info();
  }

  inspectContainer(idOrName: string): Promise<ContainerDetails> {
    return this.inner.inspectContainer(idOrName);
  }

  events(options: { since: number; until: number; labels?: LabelSelector }): Promise<EngineEvent[]> {
    return this.inner.events(options);
  }

  containerLogs(id: string, options: LogOptions): Promise<Readable> {
    return this.inner.containerLogs(id, options);
  }

  pathOwner(id: string, path: string): Promise<PathOwner> {
    return this.inner.pathOwner(id, path);
  }

  // Swarm lists are not prefetched: only a map with a swarm client asks for them.
  listServices(labels: LabelSelector): Promise<ServiceSummary[]> {
    return this.inner.listServices(labels);
  }

  inspectService(idOrName: string): Promise<ServiceSummary> {
    return this.inner.inspectService(idOrName);
  }

  listTasks(filter?: TaskFilter): Promise<TaskSummary[]> {
    return this.inner.listTasks(filter);
  }

  listNodes(): Promise<NodeSummary[]> {
    return this.inner.listNodes();
  }

  listSecrets(labels: LabelSelector): Promise<SecretSummary[]> {
    return this.inner.listSecrets(labels);
  }

  serviceLogs(idOrName: string, options: LogOptions): Promise<Readable> {
    return this.inner.serviceLogs(idOrName, options);
  }

  /** The prefetched answer to `list` (taken once) when it succeeded, else the engine's. */
  private async answer<T>(
    list: ListName,
    operation: string,
    ask: () => Promise<T>,
    decode: (body: unknown) => T,
  ): Promise<T> {
    const pending = this.unused[list];
    delete this.unused[list];
    const answer = pending === undefined ? undefined : await pending;
    if (answer === undefined || !answer.ok) return ask();
    this.calls.record(operation);
    return decode(answer.body);
  }
}

function isWhole(labels: LabelSelector): boolean {
  return Object.keys(labels).length === 0;
}

/** The engine's JSON, as the engine's list call returns it (the same request's answer). */
function asList<T>(body: unknown): T[] {
  return body as T[];
}

/**
 * Readers for reconcile's first look: the engines' read-only views, the `default` one decorated
 * with the prefetched lists when they were requested on the socket it dials. Undefined without a
 * prefetch, or when it cannot be used: reconcile then looks through the engines themselves.
 */
export function firstLookReaders(
  engines: Engines,
  clients: Record<string, ClientConfig>,
  prefetch: PrefetchedLists | undefined,
  defaultEndpoint?: DockerEndpoint,
): Record<string, EngineReader> | undefined {
  const engine = engines.default;
  if (prefetch === undefined || engine === undefined) return undefined;
  // The socket the engine dials (see openEngines): the clients file's, else the one the CLI chose.
  const baseUrl = clients.default?.base_url;
  const endpoint =
    clients.default?.endpoint ??
    (baseUrl === undefined
      ? (defaultEndpoint ?? resolveDockerEndpoint({}, process.env))
      : baseUrlEndpoint(baseUrl));
  if (socketPathOf(endpoint) !== prefetch.socketPath) return undefined;
  const readers = Object.fromEntries(Object.entries(engines).map(([name, e]) => [name, readOnly(e)]));
  return { ...readers, default: new PrefetchedReader(readOnly(engine), prefetch) };
}
