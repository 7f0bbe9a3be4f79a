import type { Labels } from "../engine/engine-types.js";
import type { AppliedSpec } from "../spec/spec-label.js";

/** What one engine runs, as far as a map is concerned. Plain data: the planner reads only this. */
export interface ObservedState {
  /** By client (engine) name. */
  clients: Record<string, ObservedClient>;
}

export interface ObservedClient {
  client: string;
  /** Every container on the engine; `mapName` tells which are berth's and whose. */
  containers: ObservedContainer[];
  volumes: ObservedVolume[];
  networks: ObservedNetwork[];
  /** Image reference (normalized, `name:tag`) → image id. */
  images: Record<string, string>;
}

/** A network a container is on, as the container list tells: membership only (no aliases). */
export interface ObservedEndpoint {
  networkId: string;
}

/** An endpoint as an inspect tells it, in the spec's terms (engine-added aliases left out). */
export interface InspectedEndpoint {
  aliases: string[];
  links: string[];
  ipv4_address: string | null;
  ipv6_address: string | null;
  link_local_ips: string[];
}

export interface ObservedMount {
  type: string;
  /** Volume name for volumes. */
  name: string | null;
  source: string;
  destination: string;
  rw: boolean;
}

export interface ObservedContainer {
  id: string;
  /** Without the leading `/`. */
  name: string;
  labels: Labels;
  /** `berth.map` label: undefined for containers berth did not create. */
  mapName: string | undefined;
  /** `berth.kind`: container, lock, helper. */
  kind: string | undefined;
  /** `config` or `config.instance` from the labels. */
  key: string | undefined;
  /** Set on a container made under a temporary name by a recreate: the name it is meant to get. */
  replaces: string | undefined;
  /** created, running, paused, restarting, removing, exited, dead. */
  state: string;
  exitCode: number | undefined;
  /** healthy, unhealthy, starting; undefined without a health check. */
  health: string | undefined;
  image: string;
  imageId: string;
  created: number;
  applied: AppliedSpec | undefined;
  specHash: string | undefined;
  networkMode: string;
  networks: Record<string, ObservedEndpoint>;
  mounts: ObservedMount[];
  /** Filled by a targeted inspect only (in-place fields whose label may be stale). */
  details?: ContainerDetailsSummary;
}

/** The parts of an inspect the planner uses: values `docker update` or a reconnect may have changed. */
export interface ContainerDetailsSummary {
  restartPolicy: string;
  /** Engine names (Memory, CpuShares, …) → values. */
  limits: Record<string, unknown>;
  /** By network name. */
  endpoints: Record<string, InspectedEndpoint>;
}

export interface ObservedVolume {
  name: string;
  driver: string;
  options: Record<string, string>;
  labels: Labels;
  mapName: string | undefined;
}

export interface ObservedNetwork {
  id: string;
  name: string;
  driver: string;
  options: Record<string, string>;
  internal: boolean;
  labels: Labels;
  mapName: string | undefined;
}

export function emptyObservedClient(client: string): ObservedClient {
  return { client, containers: [], volumes: [], networks: [], images: {} };
}
