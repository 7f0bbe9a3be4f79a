/**
 * The two shapes a loaded map takes.
 *
 * - NormalizedMap: config-level, every short form expanded to its long form, `extends` resolved,
 *   abstract configs dropped. It is itself a valid map (a fixed point of loading) and is what
 *   `berth config` prints.
 * - ResolvedMap: instance-level, the desired state the planner works from: one entry per container
 *   instance with its Docker name, image with repository and tag, host paths, and references
 *   resolved to other instances, attached volumes and networks.
 */

// ---- long forms (NormalizedMap) ------------------------------------------------------------------

/** `host_path` absent: `path` is a volume alias whose container path and host path the map gives. */
export interface BindEntry {
  path: string;
  host_path?: string;
  readonly: boolean;
}

export interface AttachEntry {
  name: string;
  path?: string;
}

/** `name` is an attached-volume alias (`alias` or `config.alias`) or a container (`config[.instance]`). */
export interface UseEntry {
  name: string;
  path?: string;
  readonly: boolean;
}

export interface LinkEntry {
  container: string;
  alias?: string;
}

export interface ExposeEntry {
  /** `8080` for TCP, `"53/udp"` otherwise. */
  exposed_port: number | string;
  host_port?: number;
  interface?: string;
  ipv6: boolean;
}

export interface NetworkEndpointEntry {
  network: string;
  aliases: string[];
  links: LinkEntry[];
  ipv4_address?: string;
  ipv6_address?: string;
  link_local_ips: string[];
}

export type ExecPolicy = "restart" | "initial";

export interface ExecEntry {
  cmd: string | string[];
  user?: string;
  policy: ExecPolicy;
  detach: boolean;
  /** Canonical duration text. */
  timeout?: string;
}

export interface HealthcheckEntry {
  /** `["NONE"]` disables the image's health check. */
  test: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

export type DependencyCondition = "started" | "healthy" | "completed";

export interface DependsOnEntry {
  container: string;
  condition: DependencyCondition;
}

/**
 * `build:` of a config: how its image is made from a folder (the context), or — `from` present —
 * from a Dockerfile written in the map (the generated form's keys, as written, side by side).
 */
export interface BuildEntry extends Partial<DockerfileEntry> {
  /** As written: relative to the map file's folder, or absolute. Absent in the generated form. */
  context?: string;

  dockerfile?: string;
  /** Build arguments; names that look secret (or listed under `sensitive`) are never shown. */
  args?: Record<string, string>;
  target?: string;
  labels?: Record<string, string>;
  /** Extra tags: `latest` (same repository) or a whole reference. */
  tags?: string[];
  /** Pull the base images before building. Empty, empty and false values are left out. */
  pull?: boolean;
  no_cache?: boolean;
}

/** A file a generated Dockerfile adds (`add`) or copies (`copy`) from the map's side. */
export interface BuildFileEntry {
  /** Host path, relative to the map file's folder, or absolute. */
  src: string;
  /** Path in the image. */
  dest: string;
}

/** The generated form of `build:` (docker-map's DockerFile builder as data), normalized. */
export interface DockerfileEntry {
  from: string;
  run?: (string | string[])[];
  add?: BuildFileEntry[];
  copy?: BuildFileEntry[];
  env?: Record<string, string>;
  workdir?: string;
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
  expose?: string[];
  volumes?: string[];
}

export interface NormalizedContainer {
  image?: string;
  build?: BuildEntry;
  instances: string[];
  clients?: string[];
  /** Instance name → the client it runs on (instead of `clients`). */
  placement: Record<string, string>;
  shares: string[];
  binds: BindEntry[];
  attaches: AttachEntry[];
  uses: UseEntry[];
  links: LinkEntry[];
  exposes: ExposeEntry[];
  user?: string;
  permissions?: string;
  /** Seconds. */
  /** Seconds. */
  stop_timeout?: number;
  stop_signal?: string;
  start_delay?: string;
  network_mode?: string;
  networks: NetworkEndpointEntry[];
  exec_commands: ExecEntry[];
  healthcheck?: HealthcheckEntry;
  persistent: boolean;
  create_options: Record<string, unknown>;
  host_config: Record<string, unknown>;
  environment: Record<string, string>;
  command?: string[];
  entrypoint?: string[];
  labels: Record<string, string>;
  working_dir?: string;
  hostname?: string;
  domainname?: string;
  /** `no`, `always`, `unless-stopped`, `on-failure[:N]`. */
  restart?: string;
  depends_on: DependsOnEntry[];
  /** Settings only a Swarm service has (a config placed on a swarm client). */
  swarm?: SwarmEntry;
}

/** `swarm:` of a config, normalized: durations as canonical text. */
export interface SwarmEntry {
  replicas?: number;
  update_config?: {
    parallelism?: number;
    delay?: string;
    failure_action?: "pause" | "continue" | "rollback";
    monitor?: string;
    max_failure_ratio?: number;
    order?: "stop-first" | "start-first";
  };
  placement?: { constraints?: string[]; preferences?: string[]; max_replicas_per_node?: number };
  endpoint_mode?: "vip" | "dnsrr";
  secrets?: boolean;
}

export interface NormalizedVolume {
  default_path?: string;
  driver: string;
  driver_options: Record<string, string>;
  create_options: { labels?: Record<string, string> };
  user?: string;
  permissions?: string;
}

export interface NormalizedNetwork {
  driver: string;
  driver_options: Record<string, string>;
  internal: boolean;
  create_options: {
    enable_ipv6?: boolean;
    attachable?: boolean;
    labels?: Record<string, string>;
    ipam?: object;
  };
}

export interface NormalizedMap {
  name: string;
  repository?: string;
  default_tag?: string;
  host_root?: string;
  containers: Record<string, NormalizedContainer>;
  volumes: Record<string, NormalizedVolume>;
  host: Record<string, string | Record<string, string>>;
  networks: Record<string, NormalizedNetwork>;
  groups: Record<string, string[]>;
  clients?: string[];
  default_domain?: string;
  set_hostname: boolean;
  use_attached_parent_name: boolean;
  helper_image?: string;
  sensitive: string[];
}

// ---- resolved, instance-level (ResolvedMap) --------------------------------------------------------

/** A host bind: host path → container path. */
export interface ResolvedBind {
  hostPath: string;
  containerPath: string;
  readonly: boolean;
}

/** A named volume berth manages: `<map>.<alias>` or `<map>.<config>.<alias>`. */
export interface ResolvedVolume {
  /** `alias`, or `config.alias` with use_attached_parent_name. */
  key: string;
  alias: string;
  /** Docker volume name. */
  name: string;
  /** The container that attaches (owns) it. */
  owner: string;
  path: string;
  driver: string;
  driver_options: Record<string, string>;
  labels: Record<string, string>;
  user?: string;
  permissions?: string;
}

export interface ResolvedVolumeMount {
  /** Key of the ResolvedVolume. */
  volume: string;
  /** Docker volume name. */
  name: string;
  path: string;
  readonly: boolean;
}

export interface ResolvedContainerUse {
  /** Instance key of the container whose volumes are used (`volumes_from`). */
  container: string;
  readonly: boolean;
}

export interface ResolvedLink {
  container: string;
  alias: string;
}

export interface ResolvedPort {
  /** `8080/tcp`. */
  port: string;
  hostPort?: number;
  /** Interface name from the map; resolved to an address per client at plan time. */
  interface?: string;
  ipv6: boolean;
}

export type ResolvedNetworkMode =
  | { kind: "default" }
  | { kind: "bridge" | "host" | "none" | "disabled" }
  | { kind: "container"; container: string }
  | { kind: "external-container"; name: string }
  | { kind: "network"; network: string };

export interface ResolvedEndpoint {
  /** Network key in the map (or `bridge`, `host`, `none` presets). */
  network: string;
  /** Docker network name. */
  name: string;
  aliases: string[];
  links: ResolvedLink[];
  ipv4Address?: string;
  ipv6Address?: string;
  linkLocalIps: string[];
}

export interface ResolvedExec {
  cmd: string[];
  /** The command as written, for messages. */
  text: string;
  user?: string;
  policy: ExecPolicy;
  detach: boolean;
  timeoutMs?: number;
}

export interface ResolvedHealthcheck {
  test: string[];
  intervalNs?: number;
  timeoutNs?: number;
  retries?: number;
  startPeriodNs?: number;
}

export interface ResolvedDependency {
  container: string;
  condition: DependencyCondition;
}

/** A config's `build:`, resolved: the context as an absolute folder, extra tags as references. */
export interface ResolvedBuild {
  context: string;
  /** Relative to the context. */
  dockerfile: string;
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
  /** Extra references the built image is tagged with. */
  tags: string[];
  pull: boolean;
  noCache: boolean;
  /** Present for a Dockerfile written in the map: berth writes it and packs only the files named. */
  generated?: GeneratedBuild;
}

/** A named file of a generated build, resolved. */
export interface GeneratedFile {
  /** As written in the map (how plans name it). */
  src: string;
  /** Absolute host path. */
  source: string;
  /** Its path in the generated context. */
  contextPath: string;
  dest: string;
}

/** The generated form, resolved: every list present, files with their host and context paths. */
export interface GeneratedBuild {
  from: string;
  run: (string | string[])[];
  add: GeneratedFile[];
  copy: GeneratedFile[];
  env: Record<string, string>;
  workdir?: string;
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
  expose: string[];
  volumes: string[];
}

export interface ContainerInstance {
  /** `config` or `config.instance`: how targets and references name it. */
  key: string;
  config: string;
  instance: string | null;
  /** Docker container name `<map>.<config>[.<instance>]`. */
  name: string;
  image: string;
  /** How the image is built (`build:`); absent for an image pulled or made elsewhere. */
  build?: ResolvedBuild;
  clients: string[];
  hostname?: string;
  domainname?: string;
  user?: string;
  permissions?: string;
  /**
   * Keys passed through to the spec keep the map's spelling (working_dir, host_config,
   * create_options); the camelCase ones are forms resolved for the planner.
   */
  working_dir?: string;
  environment: Record<string, string>;
  command?: string[];
  entrypoint?: string[];
  labels: Record<string, string>;
  shares: string[];
  binds: ResolvedBind[];
  attaches: ResolvedVolumeMount[];
  usesVolumes: ResolvedVolumeMount[];
  usesContainers: ResolvedContainerUse[];
  links: ResolvedLink[];
  ports: ResolvedPort[];
  networkMode: ResolvedNetworkMode;
  endpoints: ResolvedEndpoint[];
  execCommands: ResolvedExec[];
  healthcheck?: ResolvedHealthcheck;
  stop_signal?: string;
  /** Seconds. */
  stop_timeout?: number;
  startDelayMs?: number;
  restart?: string;
  persistent: boolean;
  dependsOn: ResolvedDependency[];
  create_options: Record<string, unknown>;
  host_config: Record<string, unknown>;
  /** The config's `swarm:` settings, as normalized (read only on a swarm client). */
  swarm?: SwarmEntry;
}

/** The driver of a network that spans engines; only a swarm manager creates one. */
export const OVERLAY_DRIVER = "overlay";

export interface ResolvedNetwork {
  key: string;
  name: string;
  driver: string;
  driver_options: Record<string, string>;
  internal: boolean;
  enable_ipv6: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  ipam?: object;
}

export interface ResolvedMap {
  name: string;
  containers: ContainerInstance[];
  volumes: ResolvedVolume[];
  networks: ResolvedNetwork[];
  /** Group name → instance keys (`__all__` included). */
  groups: Record<string, string[]>;
  /** Config name → its instance keys. */
  configs: Record<string, string[]>;
  clients: string[];
  helperImage?: string;
  /** Environment names whose values are secret, besides the built-in pattern. */
  sensitive: string[];
}

/** Preset Docker networks that are used by name and never created or removed. */
export const PRESET_NETWORKS = new Set(["bridge", "host", "none"]);

/** The client name of the engine at DOCKER_HOST, when a map names no clients. */
export const DEFAULT_CLIENT = "default";
