import { CONTAINER_FIELDS } from "../fields/fields-container.js";
import { CREATE_OPTION_FIELDS, HOST_CONFIG_FIELDS } from "../fields/fields-host-config.js";
import { NETWORK_FIELDS, VOLUME_FIELDS } from "../fields/fields-objects.js";

/**
 * TypeScript types of a map file as written (before normalization), mirroring
 * schemas/container-map.schema.json — the schema is the source of truth; a unit test checks
 * that these key lists and the schema's properties are the same.
 */

export type StringOrList = string | string[];
export type KeyValues = Record<string, string | number | boolean | null> | string[];
export type Duration = number | string;
export type ByteSize = number | string;
export type Port = number | string;
export type Command = string | string[];
export type ReadonlyFlag = boolean | string | null;
export type User = number | string | [string | number, string | number];
export type Reference = string;

/** The map-level keys. */
export interface RawMapLevel {
  name?: string;
  repository?: string;
  default_tag?: string;
  host_root?: string;
  containers?: Record<string, RawContainer | null>;
  volumes?: Record<string, string | RawVolume>;
  host?: Record<string, string | Record<string, string>>;
  networks?: Record<string, RawNetwork | null>;
  groups?: Record<string, StringOrList>;
  clients?: StringOrList;
  default_domain?: string;
  set_hostname?: boolean;
  use_attached_parent_name?: boolean;
  helper_image?: string;
  sensitive?: StringOrList;
}

/** A map file: map-level keys; any other key is a container configuration (or an ignored `x-` key). */
export type RawMap = RawMapLevel & Record<string, unknown>;

export interface RawVolume {
  default_path?: string;
  driver?: string;
  driver_options?: Record<string, string | number | boolean>;
  create_options?: { labels?: KeyValues };
  user?: User;
  permissions?: string;
}

export interface RawNetwork {
  driver?: string;
  driver_options?: Record<string, string | number | boolean>;
  internal?: boolean;
  create_options?: { enable_ipv6?: boolean; attachable?: boolean; labels?: KeyValues; ipam?: object };
}

export type RawBind =
  | string
  | (string | boolean | null)[]
  | { path: string; host_path?: string | null; readonly?: ReadonlyFlag }
  | { name: string; readonly?: ReadonlyFlag }
  | Record<string, ReadonlyFlag | (string | boolean | null)[]>;
export type RawAttach =
  string | string[] | { name: string; path?: string | null } | Record<string, string | null>;
export type RawUse =
  | string
  | (string | boolean | null)[]
  | { name: string; path?: string | null; readonly?: ReadonlyFlag }
  | Record<string, string | boolean | null>;
export type RawLink =
  | Reference
  | [Reference, string | null]
  | { container: Reference; alias?: string | null }
  | Record<Reference, string | null>;
export type RawExpose =
  | Port
  | [Port, (Port | null | [Port, string | null])?, (string | null)?, (boolean | null)?]
  | { exposed_port: Port; host_port?: Port | null; interface?: string | null; ipv6?: boolean };
export interface RawEndpointOptions {
  aliases?: StringOrList;
  links?: RawLink | RawLink[];
  ipv4_address?: string | null;
  ipv6_address?: string | null;
  link_local_ips?: StringOrList;
}
export type RawNetworkEndpoint =
  string | unknown[] | ({ network: string } & RawEndpointOptions) | Record<string, RawEndpointOptions | null>;
export type RawExec =
  | string
  | [Command, (User | null)?, ("restart" | "initial" | null)?]
  | {
      cmd: Command;
      user?: User | null;
      policy?: "restart" | "initial";
      detach?: boolean;
      timeout?: Duration;
    };
export type RawHealthcheck =
  | null
  | string
  | [Command, Duration?, Duration?, number?, Duration?]
  | {
      test?: Command | null;
      interval?: Duration;
      timeout?: Duration;
      retries?: number;
      start_period?: Duration;
      disable?: boolean;
    };
export type RawRestart =
  string | { Name?: string; MaximumRetryCount?: number; name?: string; maximum_retry_count?: number };
export type RawDependsOn =
  | Reference
  | (Reference | { container: Reference; condition?: "started" | "healthy" | "completed" })[]
  | Record<
      Reference,
      null | "started" | "healthy" | "completed" | { condition?: "started" | "healthy" | "completed" }
    >;

export interface RawContainer {
  image?: string;
  build?: string | RawBuild;
  /** Whole numbers are instance names too (`instances: [1, 2]`). */
  instances?: string | number | (string | number)[];
  abstract?: boolean;
  extends?: StringOrList;
  clients?: StringOrList;
  /** Instance name → the client it runs on. */
  placement?: Record<string, string>;
  shares?: StringOrList;
  binds?: RawBind | RawBind[];
  attaches?: RawAttach | RawAttach[];
  uses?: RawUse | RawUse[];
  links?: RawLink | RawLink[];
  exposes?: Port | RawExpose[] | Record<string, Port | null | unknown[]> | RawExpose;
  user?: User;
  permissions?: string;
  stop_timeout?: Duration;
  stop_signal?: string | number;
  start_delay?: Duration;
  network_mode?: string;
  networks?: string | RawNetworkEndpoint[] | Record<string, RawEndpointOptions | null>;
  exec_commands?: RawExec | RawExec[];
  healthcheck?: RawHealthcheck;
  persistent?: boolean;
  create_options?: RawCreateOptions;
  host_config?: RawHostConfig;
  environment?: KeyValues;
  command?: Command;
  entrypoint?: Command;
  labels?: KeyValues;
  working_dir?: string;
  hostname?: string;
  domainname?: string;
  restart?: RawRestart;
  depends_on?: RawDependsOn;
  swarm?: RawSwarm;
}

/** `swarm:` of a config: settings only a Swarm service has. */
export interface RawSwarm {
  replicas?: number;
  update_config?: {
    parallelism?: number;
    delay?: Duration;
    failure_action?: "pause" | "continue" | "rollback";
    monitor?: Duration;
    max_failure_ratio?: number;
    order?: "stop-first" | "start-first";
  };
  placement?: { constraints?: string[]; preferences?: string[]; max_replicas_per_node?: number };
  endpoint_mode?: "vip" | "dnsrr";
  secrets?: boolean;
}

export interface RawBuild {
  context: string;
  dockerfile?: string;
  args?: KeyValues;
  target?: string;
  labels?: KeyValues;
  tags?: StringOrList;
  pull?: boolean;
  no_cache?: boolean;
}

export interface RawCreateOptions {
  environment?: KeyValues;
  command?: Command;
  entrypoint?: Command;
  labels?: KeyValues;
  working_dir?: string;
  hostname?: string;
  domainname?: string;
  user?: User;
  stop_signal?: string | number;
  stop_timeout?: number;
  healthcheck?: RawHealthcheck;
  mem_limit?: ByteSize;
  memswap_limit?: ByteSize;
  cpu_shares?: number;
  cpuset?: string;
  tty?: boolean;
  stdin_open?: boolean;
  mac_address?: string;
  network_disabled?: boolean;
  runtime?: string;
}

export interface RawHostConfig {
  restart_policy?: RawRestart;
  mem_limit?: ByteSize;
  /** `-1` is unlimited. */
  memswap_limit?: ByteSize;
  mem_reservation?: ByteSize;
  cpu_shares?: number;
  cpu_period?: number;
  cpu_quota?: number;
  cpuset_cpus?: string;
  cpuset_mems?: string;
  blkio_weight?: number;
  pids_limit?: number;
  privileged?: boolean;
  cap_add?: StringOrList;
  cap_drop?: StringOrList;
  dns?: StringOrList;
  dns_search?: StringOrList;
  dns_opt?: StringOrList;
  extra_hosts?: Record<string, string> | string[];
  devices?: StringOrList;
  log_config?: {
    type?: string;
    Type?: string;
    config?: Record<string, string>;
    Config?: Record<string, string>;
  };
  tmpfs?: Record<string, string> | StringOrList;
  ulimits?: { name: string; soft?: number; hard?: number }[];
  shm_size?: ByteSize;
  security_opt?: StringOrList;
  sysctls?: Record<string, string | number>;
  read_only?: boolean;
  init?: boolean;
  ipc_mode?: string;
  pid_mode?: string;
  oom_kill_disable?: boolean;
  oom_score_adj?: number;
  group_add?: (string | number)[];
  userns_mode?: string;
  publish_all_ports?: boolean;
  cgroup_parent?: string;
  runtime?: string;
  isolation?: string;
}

/** Keys of each raw type, checked at compile time to be exactly the type's keys. */
type KeysOf<T> = readonly (keyof T)[];
type Exhaustive<T, L extends readonly unknown[]> = Exclude<keyof T, L[number]> extends never ? L : never;

const mapKeys = [
  "name",
  "repository",
  "default_tag",
  "host_root",
  "containers",
  "volumes",
  "host",
  "networks",
  "groups",
  "clients",
  "default_domain",
  "set_hostname",
  "use_attached_parent_name",
  "helper_image",
  "sensitive",
] as const satisfies KeysOf<RawMapLevel>;
export const RAW_MAP_KEYS: Exhaustive<RawMapLevel, typeof mapKeys> = mapKeys;

/**
 * The keys of containers, host_config, create_options, volumes and networks are the field
 * registry's (src/desired/fields-*.ts); these checks fail to compile when a raw type and its
 * registry table name different keys.
 */
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? true
  : false;
const registryMatches: [
  SameKeys<RawContainer, typeof CONTAINER_FIELDS>,
  SameKeys<RawCreateOptions, typeof CREATE_OPTION_FIELDS>,
  SameKeys<RawHostConfig, typeof HOST_CONFIG_FIELDS>,
  SameKeys<RawVolume, typeof VOLUME_FIELDS>,
  SameKeys<RawNetwork, typeof NETWORK_FIELDS>,
] = [true, true, true, true, true];
void registryMatches;

const keysOf = <T>(fields: object): readonly (keyof T)[] => Object.keys(fields) as (keyof T)[];

export const RAW_CONTAINER_KEYS = keysOf<RawContainer>(CONTAINER_FIELDS);
export const RAW_CREATE_OPTION_KEYS = keysOf<RawCreateOptions>(CREATE_OPTION_FIELDS);
export const RAW_HOST_CONFIG_KEYS = keysOf<RawHostConfig>(HOST_CONFIG_FIELDS);
export const RAW_VOLUME_KEYS = keysOf<RawVolume>(VOLUME_FIELDS);
export const RAW_NETWORK_KEYS = keysOf<RawNetwork>(NETWORK_FIELDS);
