import type { EngineReader } from "../engine/engine.js";
import { isEngineUnreachableError } from "../engine/engine-errors.js";
import type {
  ContainerSummary,
  EndpointSettings,
  ImageSummary,
  NetworkSummary,
  VolumeSummary,
} from "../engine/engine-types.js";
import { normalizeImageReference } from "../model/image-reference.js";
import { LABEL } from "../model/labels.js";
import { decodeSpecLabel } from "../desired/spec-label.js";
import { BUILD_LABEL } from "../desired/build-record.js";
import { observeSwarm } from "./observe-swarm.js";
import type {
  ObservedClient,
  ObservedContainer,
  ObservedEndpoint,
  ObservedNetwork,
  ObservedState,
  ObservedVolume,
} from "./observed-state.js";

/**
 * Observes what each engine runs with a constant number of calls per engine, whatever the map's
 * size: one list each of containers, volumes, networks and images, all in parallel. Whole lists,
 * so that a foreign object holding a name berth needs is seen at plan time rather than failing
 * half-way through an apply.
 */
export async function observe(
  engines: readonly EngineReader[],
  skip: Readonly<Record<string, string>> = {},
  options: ObserveOptions = {},
): Promise<ObservedState> {
  const looked = await Promise.all(
    engines.map((engine) =>
      engine.name in skip
        ? Promise.resolve(new Unanswered(engine.name, skip[engine.name] as string))
        : observeEngine(engine, options).catch((err: unknown) => {
            if (isEngineUnreachableError(err)) return new Unanswered(engine.name, err.message, err);
            throw err;
          }),
    ),
  );
  const clients = looked.filter((c): c is ObservedClient => !(c instanceof Unanswered));
  const unanswered = looked.filter((c): c is Unanswered => c instanceof Unanswered);
  // One engine down among several: the others are still worth converging. All of them: nothing is.
  if (clients.length === 0 && unanswered.length > 0) {
    const first = unanswered[0] as Unanswered;
    throw first.error ?? new Error(first.why);
  }
  const observed: ObservedState = { clients: Object.fromEntries(clients.map((c) => [c.client, c])) };
  if (unanswered.length > 0)
    observed.unreachable = Object.fromEntries(unanswered.map((u) => [u.client, u.why]));
  return observed;
}

/** An engine that did not answer the observation. */
class Unanswered {
  constructor(
    readonly client: string,
    readonly why: string,
    readonly error?: Error,
  ) {}
}

export interface ObserveOptions {
  /**
   * Also ask each engine whether it is a swarm manager (one more call each): only a map with an
   * overlay network needs to know, so the usual look stays at four calls per engine.
   */
  swarmRoles?: boolean;
  /** Swarm manager clients: their services, tasks and nodes are observed too (three more calls each). */
  swarmManagers?: readonly string[];
}

export async function observeEngine(
  engine: EngineReader,
  options: ObserveOptions = {},
): Promise<ObservedClient> {
  const [containers, volumes, networks, images, info, swarm] = await Promise.all([
    engine.listContainers({}),
    engine.listVolumes({}),
    engine.listNetworks({}),
    engine.listImages(),
    options.swarmRoles === true ? engine.info() : undefined,
    options.swarmManagers?.includes(engine.name) === true ? observeSwarm(engine) : undefined,
  ]);
  const observed: ObservedClient = {
    client: engine.name,
    containers: containers.map(observedContainer),
    volumes: volumes.map(observedVolume),
    networks: networks.map(observedNetwork),
    images: imageIndex(images),
    imageLabels: builtImageLabels(images),
  };
  if (info !== undefined) {
    observed.swarmManager = info.Swarm?.ControlAvailable === true;
    const node = info.Swarm?.NodeID;
    if (info.Swarm?.LocalNodeState === "active" && node !== undefined && node !== "") {
      const managers = (info.Swarm.RemoteManagers ?? []).map((m) => m.NodeID);
      observed.swarmNode = { nodeId: node, managers };
    }
  }
  if (swarm !== undefined) observed.swarm = swarm;
  return observed;
}

export function observedContainer(summary: ContainerSummary): ObservedContainer {
  const labels = summary.Labels ?? {};
  const config = labels[LABEL.config];
  const instance = labels[LABEL.instance];
  const applied = decodeSpecLabel(labels);
  const { exitCode, health } = parseStatus(summary.Status);
  return {
    id: summary.Id,
    // A linked container is also listed under `/dependent/alias`; its own name has one slash.
    name: (summary.Names.find((n) => n.lastIndexOf("/") === 0) ?? summary.Names[0] ?? summary.Id).replace(
      /^\//,
      "",
    ),
    labels,
    mapName: labels[LABEL.map],
    kind: labels[LABEL.kind],
    key: config === undefined ? undefined : instance ? `${config}.${instance}` : config,
    replaces: labels[LABEL.replaces],
    state: summary.State,
    exitCode: summary.State === "exited" || summary.State === "dead" ? exitCode : undefined,
    health,
    image: summary.Image,
    imageId: summary.ImageID,
    created: summary.Created,
    applied,
    specHash: labels[LABEL.specHash],
    networkMode: summary.HostConfig?.NetworkMode ?? "default",
    networks: Object.fromEntries(
      Object.entries(summary.NetworkSettings?.Networks ?? {}).map(([name, endpoint]) => [
        name,
        observedEndpoint(endpoint),
      ]),
    ),
    mounts: (summary.Mounts ?? []).map((m) => ({
      type: m.Type,
      name: m.Name ?? null,
      source: m.Source,
      destination: m.Destination,
      rw: m.RW,
    })),
    publishedPorts: (summary.Ports ?? []).flatMap((p) =>
      p.PublicPort === undefined ? [] : [`${p.IP ?? "0.0.0.0"}:${p.PublicPort}/${p.Type}`],
    ),
  };
}

function observedEndpoint(endpoint: EndpointSettings): ObservedEndpoint {
  return { networkId: endpoint.NetworkID ?? "" };
}

/** `Exited (137) 5 minutes ago`, `Up 3 seconds (healthy)`, `Up 1 second (health: starting)`. */
export function parseStatus(status: string): { exitCode: number | undefined; health: string | undefined } {
  const exit = /\((-?\d+)\)/.exec(status);
  const health = /\((healthy|unhealthy|health: starting)\)/.exec(status);
  return {
    exitCode: exit ? Number(exit[1]) : undefined,
    health: health ? (health[1] === "health: starting" ? "starting" : health[1]) : undefined,
  };
}

function observedVolume(summary: VolumeSummary): ObservedVolume {
  const labels = summary.Labels ?? {};
  return {
    name: summary.Name,
    driver: summary.Driver,
    options: summary.Options ?? {},
    labels,
    mapName: labels[LABEL.map],
  };
}

function observedNetwork(summary: NetworkSummary): ObservedNetwork {
  const labels = summary.Labels ?? {};
  return {
    id: summary.Id,
    name: summary.Name,
    driver: summary.Driver,
    options: summary.Options ?? {},
    internal: summary.Internal,
    labels,
    mapName: labels[LABEL.map],
  };
}

/** Image ids by normalized reference (tags and digests). */
export function imageIndex(images: readonly ImageSummary[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const image of images) {
    for (const tag of image.RepoTags ?? [])
      if (tag !== "<none>:<none>") out[normalizeImageReference(tag)] = image.Id;
    for (const digest of image.RepoDigests ?? [])
      if (!digest.startsWith("<none>")) out[normalizeImageReference(digest)] = image.Id;
  }
  return out;
}

/** Labels of images that carry berth's build record: what the planner compares a build with. */
function builtImageLabels(images: readonly ImageSummary[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const image of images) {
    const labels = image.Labels ?? {};
    if (labels[BUILD_LABEL.record] === undefined) continue;
    for (const tag of image.RepoTags ?? [])
      if (tag !== "<none>:<none>") out[normalizeImageReference(tag)] = labels;
  }
  return out;
}
