/**
 * What a simulated engine makes of a create request: the container's mounts, the references it
 * binds by id (links, volumes_from, network_mode container:), its network mode and endpoint.
 * Part of the engine model of simulated-engine-state.ts, kept apart for size.
 */
import { createHash } from "node:crypto";
import type {
  ContainerCreateBody,
  EndpointConfig,
  EndpointSettings,
  Labels,
  MountPoint,
} from "../../src/engine/engine-types.js";
import type { ObservedNetwork } from "../../src/observe/observed-state.js";
import { UPDATABLE_LIMITS } from "../../src/spec/field-classes.js";

/** What the engine refuses, with the HTTP status the Docker API answers it with. */
export class SimulationError extends Error {
  constructor(
    message: string,
    /** 404 missing, 409 name or object in use, 403/400/500 as the engine answers. */
    readonly status = 500,
    /** The plan step that asked for it (when applying a plan). */
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
  /** Commands run in it (exec steps), in order, as one line each. */
  execs: string[];
  /** What its program printed (its logs). */
  output: string;
  /** The create request it was made from (undefined for containers put in by hand). */
  body: ContainerCreateBody | undefined;
}

export const PRESET_NETWORKS = ["bridge", "host", "none"];

export function hex64(seed: string): string {
  return createHash("sha256").update(seed).digest("hex");
}

/** The parts of an engine that making a container reads and changes. */
export interface ContainerHost {
  readonly client: string;
  find(idOrName: string): SimulatedContainer | undefined;
  network(idOrName: string): ObservedNetwork | undefined;
  /** Creates a named volume unless it exists; returns its driver. */
  ensureVolume(name: string): string;
}

/** An endpoint on a network as the engine makes it (the short id is an alias on user networks). */
export function endpointFor(
  network: ObservedNetwork,
  config: EndpointConfig | undefined,
  id: string,
): EndpointSettings {
  const user = !PRESET_NETWORKS.includes(network.name);
  const aliases = [...(config?.Aliases ?? [])];
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

/** POST /containers/create: the container the engine makes (name and image already checked). */
export function makeContainer(
  host: ContainerHost,
  made: { id: string; time: number; name: string; imageId: string },
  body: ContainerCreateBody,
): SimulatedContainer {
  const hostConfig = body.HostConfig ?? {};
  const references: BoundReference[] = [];
  const mounts = mountsOf(host, made.id, body, references);
  for (const link of (hostConfig.Links as string[] | undefined) ?? []) {
    // Legacy links bind to the target's id now.
    const target = link.slice(0, link.lastIndexOf(":"));
    const found = host.find(target);
    if (found === undefined) throw new SimulationError(`Could not get container for ${target} (links)`, 404);
    references.push({ kind: "links", name: target, id: found.id });
  }
  const { networkMode, networks } = networkingOf(host, made.id, body, references);
  const restart = hostConfig.RestartPolicy as { Name: string; MaximumRetryCount?: number } | undefined;
  const limits: Record<string, unknown> = {};
  for (const engineName of Object.values(UPDATABLE_LIMITS))
    if (hostConfig[engineName] !== undefined) limits[engineName] = hostConfig[engineName];
  return {
    id: made.id,
    name: made.name,
    labels: { ...(body.Labels ?? {}) },
    state: "created",
    exitCode: undefined,
    health: undefined,
    image: body.Image,
    imageId: made.imageId,
    created: made.time,
    networkMode,
    networks,
    mounts,
    references,
    hasHealthcheck: body.Healthcheck !== undefined && body.Healthcheck.Test?.[0] !== "NONE",
    restartPolicy: restart === undefined ? { Name: "" } : { ...restart },
    limits,
    execs: [],
    output: "",
    body: structuredClone(body),
  };
}

/** Binds and named volumes, anonymous volumes, then the volumes of other containers. */
function mountsOf(
  host: ContainerHost,
  id: string,
  body: ContainerCreateBody,
  references: BoundReference[],
): MountPoint[] {
  const hostConfig = body.HostConfig ?? {};
  const mounts: MountPoint[] = [];
  const addMount = (mount: MountPoint) => {
    if (mounts.some((m) => m.Destination === mount.Destination))
      throw new SimulationError(`Duplicate mount point: ${mount.Destination}`, 400);
    mounts.push(mount);
  };
  const volumeMount = (name: string, destination: string, rw: boolean): MountPoint => ({
    Type: "volume",
    Name: name,
    Source: `/var/lib/docker/volumes/${name}/_data`,
    Destination: destination,
    // A named volume the engine does not have is made on the spot, without labels.
    Driver: host.ensureVolume(name),
    RW: rw,
  });
  for (const bind of (hostConfig.Binds as string[] | undefined) ?? []) {
    const [source = "", destination = "", mode] = bind.split(":");
    const rw = mode !== "ro";
    if (source.startsWith("/"))
      addMount({ Type: "bind", Source: source, Destination: destination, RW: rw, Mode: mode ?? "" });
    else addMount(volumeMount(source, destination, rw));
  }
  for (const path of Object.keys(body.Volumes ?? {})) {
    if (mounts.some((m) => m.Destination === path)) continue;
    addMount(volumeMount(hex64(`${host.client} anonymous ${id} ${path}`), path, true));
  }
  for (const entry of (hostConfig.VolumesFrom as string[] | undefined) ?? []) {
    const [source = "", mode] = entry.split(":");
    const from = host.find(source);
    if (from === undefined) throw new SimulationError(`No such container: ${source} (volumes_from)`, 404);
    references.push({ kind: "volumes-from", name: source, id: from.id });
    for (const mount of from.mounts) {
      if (mounts.some((m) => m.Destination === mount.Destination)) continue;
      mounts.push({ ...mount, RW: mount.RW && mode !== "ro" });
    }
  }
  return mounts;
}

/** The network mode, and the one endpoint the create request may carry. */
function networkingOf(
  host: ContainerHost,
  id: string,
  body: ContainerCreateBody,
  references: BoundReference[],
): { networkMode: string; networks: Record<string, EndpointSettings> } {
  const hostConfig = body.HostConfig ?? {};
  const mode = typeof hostConfig.NetworkMode === "string" ? hostConfig.NetworkMode : "default";
  const endpoints = body.NetworkingConfig?.EndpointsConfig ?? {};
  for (const endpointName of Object.keys(endpoints)) {
    if (endpointName !== mode && !(mode === "default" && endpointName === "bridge"))
      throw new SimulationError(
        `create request carries an endpoint for ${endpointName}, not its network mode`,
        400,
      );
  }
  if (mode.startsWith("container:")) {
    const target = mode.slice("container:".length);
    const found = host.find(target);
    if (found === undefined) throw new SimulationError(`No such container: ${target} (network_mode)`, 404);
    references.push({ kind: "network-mode", name: target, id: found.id });
    return { networkMode: `container:${found.id}`, networks: {} };
  }
  const networkName = mode === "default" ? "bridge" : mode;
  const network = host.network(networkName);
  if (network === undefined) throw new SimulationError(`network ${networkName} not found`, 404);
  return {
    networkMode: mode,
    networks: { [network.name]: endpointFor(network, endpoints[network.name] ?? endpoints[mode], id) },
  };
}
