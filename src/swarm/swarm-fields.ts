import type { ContainerKey } from "../fields/fields-container.js";
import type { CreateOptionKey, HostConfigKey } from "../fields/fields-host-config.js";

/**
 * What each map key becomes on a swarm: a field of the service spec (`to`), something berth does
 * around the service (`berth`), or a refusal with the reason (`refused`), checked at validate
 * time where the key is written. Typed by the field registry's keys, so a key added to the
 * registry does not compile until its Swarm meaning is decided here.
 */
export type SwarmTarget = { to: string } | { berth: string } | { refused: string };

const refused = (why: string): SwarmTarget => ({ refused: why });

export const SWARM_CONTAINER_KEYS: Record<ContainerKey, SwarmTarget> = {
  image: { to: "ContainerSpec.Image" },
  build: refused("an image built here is on this engine only, and Swarm's nodes pull their images"),
  instances: { to: "Mode.Replicated.Replicas (identical instances), or one service per instance" },
  abstract: { berth: "makes no service" },
  extends: { berth: "resolved while loading" },
  clients: { to: "TaskTemplate.Placement.Constraints (node clients → the manager's node_label)" },
  placement: { to: "one service per instance, each constrained to its node client" },
  shares: { to: "ContainerSpec.Mounts (anonymous volumes)" },
  binds: {
    to: "ContainerSpec.Mounts (type bind; the host path must exist on every node the task may run on)",
  },
  attaches: {
    to: "ContainerSpec.Mounts (type volume), the service pinned to its one node (volumes are node-local)",
  },
  uses: {
    to: "ContainerSpec.Mounts of the owner's volume (the same node); `uses` of a container is refused",
  },
  links: { to: "TaskTemplate.Networks[].Aliases of the linked service" },
  exposes: { to: "EndpointSpec.Ports (host mode with dnsrr); an `interface` is refused" },
  user: { to: "ContainerSpec.User" },
  permissions: { berth: "a preparation job on the volume's node before the service" },
  stop_timeout: { to: "ContainerSpec.StopGracePeriod" },
  stop_signal: { to: "ContainerSpec.StopSignal" },
  start_delay: refused("Swarm starts tasks itself; berth cannot wait before each one"),
  network_mode: refused("a task joins overlay networks only: Swarm has no network_mode"),
  networks: { to: "TaskTemplate.Networks (overlays) with aliases; addresses are refused" },
  exec_commands: refused("Swarm has no exec into tasks"),
  healthcheck: { to: "ContainerSpec.Healthcheck" },
  persistent: { to: "Mode.ReplicatedJob (a one-shot config runs as a job)" },
  create_options: { to: "per key (SWARM_CREATE_OPTION_KEYS)" },
  host_config: { to: "per key (SWARM_HOST_CONFIG_KEYS)" },
  environment: { to: "ContainerSpec.Env (sensitive values as secrets with `swarm.secrets`)" },
  command: { to: "ContainerSpec.Args" },
  entrypoint: { to: "ContainerSpec.Command" },
  labels: { to: "ContainerSpec.Labels" },
  working_dir: { to: "ContainerSpec.Dir" },
  hostname: { to: "ContainerSpec.Hostname" },
  domainname: refused("a task's container spec has no domain name"),
  restart: { to: "TaskTemplate.RestartPolicy" },
  depends_on: { berth: "a dependent service is created or updated once its dependencies' tasks are there" },
  swarm: { to: "Mode, UpdateConfig, RollbackConfig, Placement, EndpointSpec.Mode, ContainerSpec.Secrets" },
};

const noSwarmField = (what: string) => refused(`a task's container spec has no ${what}`);

export const SWARM_HOST_CONFIG_KEYS: Record<HostConfigKey, SwarmTarget> = {
  restart_policy: { to: "TaskTemplate.RestartPolicy (as `restart`)" },
  mem_limit: { to: "TaskTemplate.Resources.Limits.MemoryBytes" },
  memswap_limit: noSwarmField("swap limit"),
  mem_reservation: { to: "TaskTemplate.Resources.Reservations.MemoryBytes" },
  cpu_shares: noSwarmField("CPU shares (use cpu_quota/cpu_period for a CPU limit)"),
  cpu_period: { to: "TaskTemplate.Resources.Limits.NanoCPUs (cpu_quota / cpu_period)" },
  cpu_quota: { to: "TaskTemplate.Resources.Limits.NanoCPUs (cpu_quota / cpu_period)" },
  cpuset_cpus: noSwarmField("CPU set"),
  cpuset_mems: noSwarmField("memory node set"),
  blkio_weight: noSwarmField("block I/O weight"),
  pids_limit: { to: "TaskTemplate.Resources.Limits.Pids" },
  privileged: refused("Swarm does not run privileged tasks"),
  cap_add: { to: "ContainerSpec.CapabilityAdd" },
  cap_drop: { to: "ContainerSpec.CapabilityDrop" },
  dns: { to: "ContainerSpec.DNSConfig.Nameservers" },
  dns_search: { to: "ContainerSpec.DNSConfig.Search" },
  dns_opt: { to: "ContainerSpec.DNSConfig.Options" },
  extra_hosts: { to: "ContainerSpec.Hosts" },
  devices: refused("Swarm does not give devices to tasks"),
  log_config: { to: "TaskTemplate.LogDriver" },
  tmpfs: { to: "ContainerSpec.Mounts (type tmpfs)" },
  ulimits: { to: "ContainerSpec.Ulimits" },
  shm_size: noSwarmField("shm size (mount a tmpfs on /dev/shm instead)"),
  security_opt: noSwarmField("security options"),
  sysctls: { to: "ContainerSpec.Sysctls" },
  read_only: { to: "ContainerSpec.ReadOnly" },
  init: { to: "ContainerSpec.Init" },
  ipc_mode: noSwarmField("IPC mode"),
  pid_mode: noSwarmField("PID mode"),
  oom_kill_disable: noSwarmField("OOM-kill switch"),
  oom_score_adj: noSwarmField("OOM score"),
  group_add: { to: "ContainerSpec.Groups" },
  userns_mode: noSwarmField("user namespace mode"),
  publish_all_ports: refused("Swarm publishes the ports a service names only: list them in `exposes`"),
  cgroup_parent: noSwarmField("cgroup parent"),
  runtime: noSwarmField("runtime"),
  isolation: noSwarmField("isolation mode (Windows only)"),
};

export const SWARM_CREATE_OPTION_KEYS: Record<CreateOptionKey, SwarmTarget> = {
  environment: { to: "as `environment`" },
  command: { to: "as `command`" },
  entrypoint: { to: "as `entrypoint`" },
  labels: { to: "as `labels`" },
  working_dir: { to: "as `working_dir`" },
  hostname: { to: "as `hostname`" },
  domainname: { to: "as `domainname` (refused)" },
  user: { to: "as `user`" },
  stop_signal: { to: "as `stop_signal`" },
  stop_timeout: { to: "as `stop_timeout`" },
  healthcheck: { to: "as `healthcheck`" },
  mem_limit: { to: "as host_config.mem_limit" },
  memswap_limit: { to: "as host_config.memswap_limit (refused)" },
  cpu_shares: { to: "as host_config.cpu_shares (refused)" },
  cpuset: { to: "as host_config.cpuset_cpus (refused)" },
  tty: { to: "ContainerSpec.TTY" },
  stdin_open: { to: "ContainerSpec.OpenStdin" },
  mac_address: refused("Swarm assigns a task's addresses"),
  network_disabled: refused("a task is always on its overlay networks"),
  runtime: noSwarmField("runtime"),
};

/** The refusal of a host_config or create_options key on a swarm, or undefined when it maps. */
export function refusalOf(table: Readonly<Record<string, SwarmTarget>>, key: string): string | undefined {
  const target = Object.hasOwn(table, key) ? table[key] : undefined;
  if (target === undefined) return "berth does not know what it becomes on a swarm";
  return "refused" in target ? target.refused : undefined;
}
