import type { Labels } from "../engine/engine-types.js";
import type { AppliedSpec } from "../desired/spec-label.js";

/** What one engine runs, as far as a map is concerned. Plain data: the planner reads only this. */
export interface ObservedState {
  /** By client (engine) name. */
  clients: Record<string, ObservedClient>;
  /**
   * Engines of a map of several that did not answer, by client name: why. They are not in
   * `clients`; their part of the map (and what waits for it) is not planned.
   */
  unreachable?: Record<string, string>;
}

export interface ObservedClient {
  client: string;
  /** Every container on the engine; `mapName` tells whose. */
  containers: ObservedContainer[];
  volumes: ObservedVolume[];
  networks: ObservedNetwork[];
  /** Image reference (normalized, `name:tag`) → image id. */
  images: Record<string, string>;
  /** Labels of the images berth built (`berth.build`), by reference as in `images`. */
  imageLabels?: Record<string, Labels>;
  /**
   * The engine is a swarm manager (`GET /info`: Swarm.ControlAvailable), asked only for a map with
   * an overlay network; undefined when not asked.
   */
  swarmManager?: boolean;
  /**
   * The engine's swarm, asked with `swarmManager`, when it is an active node of one: its node id
   * and the node ids of the swarm's managers (a manager lists itself). Two engines are in one
   * swarm when one's managers include the other's node.
   */
  swarmNode?: { nodeId: string; managers: string[] };
  /** Services, tasks and nodes, for a swarm manager client of the map; undefined otherwise. */
  swarm?: ObservedSwarm;
}

/** A network a container is on, as the container list tells: membership only (no aliases). */
export interface ObservedEndpoint {
  networkId: string;
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
  /** With `refresh: full`, what the engine runs, read back from an inspect. Undefined otherwise. */
  effective?: EffectiveConfig;
  /**
   * When it last started (ms since the epoch), read by an inspect: only for a running container
   * of the map that joins another's network namespace (`network_mode: container:…`) and for the
   * running container it joins (see namespaces.ts). Undefined otherwise.
   */
  startedAt?: number;
  /** Host bindings it holds while it runs: `HOSTIP:PORT/proto` (`0.0.0.0` or `::` for all). */
  publishedPorts: string[];
}

/** A container's configuration as the engine runs it (`refresh: full`, src/observe/refresh.ts). */
export interface EffectiveConfig {
  /**
   * Every registry field that has a read-back, in the spec's form, by spec path (`environment`,
   * `restart`, `host_config.mem_limit`, `create_options.tty`).
   */
  fields: Record<string, unknown>;
  /** Named volumes mounted (`name:path`, `name:path:ro`): `attaches` and `uses` together. */
  volumeBinds: string[];
  /** `NAME` or `NAME:ro`, as `volumes_from` takes them. */
  volumesFrom: string[];
  /** Aliases the engine gives every endpoint by itself (short id, name); the hostname is added too. */
  engineAliases: string[];
}

export interface ObservedVolume {
  name: string;
  driver: string;
  options: Record<string, string>;
  labels: Labels;
  mapName: string | undefined;
  /**
   * With `refresh: full`, the owner and mode of the volume's folder, read through a container that
   * mounts it. Undefined otherwise (and when no container mounts it).
   */
  folder?: ObservedFolder;
}

/** Owner and mode of a folder, as numbers (mode: permission and special bits only). */
export interface ObservedFolder {
  uid: number;
  gid: number;
  mode: number;
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

/**
 * What a swarm manager runs (only for a manager client of the map: three more list calls, of
 * berth's services, every task and every node, whatever the map's size).
 */
export interface ObservedSwarm {
  /** The services with berth's map label (any map); `mapName` tells whose. */
  services: ObservedService[];
  /** Every task of those services (other services' tasks are left out). */
  tasks: ObservedTask[];
  nodes: ObservedNode[];
}

export type ServiceMode = "replicated" | "global" | "replicated-job" | "global-job";

export interface ObservedService {
  id: string;
  name: string;
  /** The version index an update must name. */
  version: number;
  labels: Labels;
  mapName: string | undefined;
  /** `berth.kind`: `service` or `job`. */
  kind: string | undefined;
  specHash: string | undefined;
  /** Replicas (or a job's completions) asked for. */
  replicas: number;
  /**
   * How Swarm runs it: a replicated service (can be scaled), a global one (one task per node), or
   * a job; undefined when not known (taken as replicated for a service, a replicated job for a job).
   */
  mode?: ServiceMode;
  runningTasks: number;
  desiredTasks: number;
  /** `updating`, `completed`, `paused`, `rollback_started`, `rollback_completed`, …; undefined before any update. */
  updateState: string | undefined;
  updateMessage: string | undefined;
  /** A job's current iteration (its tasks of other iterations are from earlier runs). */
  jobIteration: number | undefined;
}

export interface ObservedTask {
  id: string;
  serviceId: string;
  nodeId: string | undefined;
  slot: number | undefined;
  /** `new`, `pending`, `assigned`, …, `starting`, `running`, `complete`, `failed`, `shutdown`, `rejected`, … */
  state: string;
  desiredState: string;
  message: string;
  error: string | undefined;
  containerId: string | undefined;
  exitCode: number | undefined;
  jobIteration: number | undefined;
  /** When its state last changed (ms since the epoch). */
  since: number;
}

export interface ObservedNode {
  id: string;
  hostname: string;
  labels: Labels;
  /** `ready`, `down`, `disconnected`, `unknown`. */
  state: string;
  availability: string;
  role: string;
}
