/**
 * What a change of each container field means for a running container. One registry for the
 * whole planner; a test fails when the schema gains a field that has no class here.
 *
 * - recreate: the engine cannot change it on an existing container; a new one is made.
 * - in-place: `docker update` changes it on the running container (limits, restart policy).
 * - reconnect: network endpoints; disconnect and connect, no restart.
 * - ignored: planning or apply behaviour only; nothing on the container to change.
 */
export type FieldClass = "recreate" | "in-place" | "reconnect" | "ignored";

/** Container keys of the map (schema `$defs/container`). */
export const CONTAINER_FIELD_CLASSES = {
  image: "recreate",
  instances: "ignored", // adds or removes containers; never changes one
  abstract: "ignored",
  extends: "ignored", // resolved before planning
  clients: "ignored", // placement: adds or removes containers per engine
  shares: "recreate",
  binds: "recreate",
  attaches: "recreate",
  uses: "recreate",
  links: "recreate",
  exposes: "recreate",
  user: "recreate",
  permissions: "recreate", // applied to attached volumes when the container is created
  stop_timeout: "ignored", // berth passes it at every stop
  stop_signal: "ignored", // berth sends it at every stop
  start_delay: "ignored",
  network_mode: "recreate",
  networks: "reconnect",
  exec_commands: "ignored", // run after the next start
  healthcheck: "recreate",
  persistent: "ignored",
  create_options: "recreate",
  host_config: "recreate", // refined per key by HOST_CONFIG_FIELD_CLASSES
  environment: "recreate",
  command: "recreate",
  entrypoint: "recreate",
  labels: "recreate",
  working_dir: "recreate",
  hostname: "recreate",
  domainname: "recreate",
  restart: "in-place",
  depends_on: "ignored", // ordering and health gating only
} as const satisfies Record<string, FieldClass>;

/** host_config keys (schema `$defs/hostConfig`). */
export const HOST_CONFIG_FIELD_CLASSES = {
  restart_policy: "in-place",
  mem_limit: "in-place",
  memswap_limit: "in-place",
  mem_reservation: "in-place",
  cpu_shares: "in-place",
  cpu_period: "in-place",
  cpu_quota: "in-place",
  cpuset_cpus: "in-place",
  cpuset_mems: "in-place",
  blkio_weight: "in-place",
  pids_limit: "in-place",
  privileged: "recreate",
  cap_add: "recreate",
  cap_drop: "recreate",
  dns: "recreate",
  dns_search: "recreate",
  dns_opt: "recreate",
  extra_hosts: "recreate",
  devices: "recreate",
  log_config: "recreate",
  tmpfs: "recreate",
  ulimits: "recreate",
  shm_size: "recreate",
  security_opt: "recreate",
  sysctls: "recreate",
  read_only: "recreate",
  init: "recreate",
  ipc_mode: "recreate",
  pid_mode: "recreate",
  oom_kill_disable: "recreate",
  oom_score_adj: "recreate",
  group_add: "recreate",
  userns_mode: "recreate",
  publish_all_ports: "recreate",
  cgroup_parent: "recreate",
  runtime: "recreate",
  isolation: "recreate",
} as const satisfies Record<string, FieldClass>;

/** create_options keys (schema `$defs/createOptions`): most are lifted to first-class keys. */
export const CREATE_OPTIONS_FIELD_CLASSES = {
  environment: "recreate",
  command: "recreate",
  entrypoint: "recreate",
  labels: "recreate",
  working_dir: "recreate",
  hostname: "recreate",
  domainname: "recreate",
  user: "recreate",
  stop_signal: "ignored",
  stop_timeout: "ignored",
  healthcheck: "recreate",
  mem_limit: "in-place",
  memswap_limit: "in-place",
  cpu_shares: "in-place",
  cpuset: "in-place",
  tty: "recreate",
  stdin_open: "recreate",
  mac_address: "recreate",
  network_disabled: "recreate",
  runtime: "recreate",
} as const satisfies Record<string, FieldClass>;

/** host_config limits that `docker update` can change, with the engine's name for each. */
export const UPDATABLE_LIMITS = {
  mem_limit: "Memory",
  memswap_limit: "MemorySwap",
  mem_reservation: "MemoryReservation",
  cpu_shares: "CpuShares",
  cpu_period: "CpuPeriod",
  cpu_quota: "CpuQuota",
  cpuset_cpus: "CpusetCpus",
  cpuset_mems: "CpusetMems",
  blkio_weight: "BlkioWeight",
  pids_limit: "PidsLimit",
} as const;

export type UpdatableLimit = keyof typeof UPDATABLE_LIMITS;

/** The class of a spec field path such as `environment.FOO` or `host_config.mem_limit`. */
export function classOf(field: string): FieldClass {
  const [head, sub] = splitField(field);
  if (head === "host_config" && sub !== undefined) {
    return (HOST_CONFIG_FIELD_CLASSES as Record<string, FieldClass>)[sub] ?? "recreate";
  }
  if (head === "create_options" && sub !== undefined) {
    return (CREATE_OPTIONS_FIELD_CLASSES as Record<string, FieldClass>)[sub] ?? "recreate";
  }
  return (CONTAINER_FIELD_CLASSES as Record<string, FieldClass>)[head] ?? "recreate";
}

function splitField(field: string): [string, string | undefined] {
  const dot = field.indexOf(".");
  return dot < 0 ? [field, undefined] : [field.slice(0, dot), field.slice(dot + 1)];
}
