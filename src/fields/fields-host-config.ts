import { readAt, type OptionField } from "./fields.js";

/**
 * host_config keys (schema `$defs/hostConfig`, docker-py's names) and create_options keys
 * (schema `$defs/createOptions`). Both mappings merge key by key under `extends` and across files
 * (each key: the later value wins). A spec compares them key by key (`host_config.mem_limit`).
 */

const hostField = (
  name: string,
  class_: OptionField["class"],
  example: unknown,
  more: Partial<OptionField> = {},
): OptionField => ({
  class: class_,
  normalize: "value",
  docker: { copy: `HostConfig.${name}` },
  readBack: readAt(`HostConfig.${name}`),
  example,
  ...more,
});

/** A limit `docker update` changes: the same name in the update body as in HostConfig. */
const limit = (name: string, example: unknown, more: Partial<OptionField> = {}): OptionField =>
  hostField(name, "in-place", example, {
    update: name,
    unset: typeof example === "string" ? [null, ""] : [null, 0],
    ...more,
  });

const size = { normalize: "size" } as const;
const list = { normalize: "list" } as const;
const asStrings = (value: unknown): unknown => (value as unknown[]).map(String);

export const HOST_CONFIG_FIELDS = {
  restart_policy: {
    class: "in-place",
    normalize: "restart-policy",
    docker: { liftedTo: "restart" },
    readBack: { none: "read back as restart" },
  },
  mem_limit: limit("Memory", 64 * 1024 ** 2, { ...size, sentWith: ["memswap_limit"] }),
  memswap_limit: limit("MemorySwap", 128 * 1024 ** 2, {
    ...size,
    unset: [null, 0, -1],
    sentWith: ["mem_limit"],
    // The engine sets memoryswap to twice the memory at create when the request leaves it out,
    // and refuses a memory above the memoryswap it has unless both come together.
    updateDefault: (hostConfig) =>
      typeof hostConfig.mem_limit === "number" && hostConfig.mem_limit > 0
        ? 2 * hostConfig.mem_limit
        : undefined,
  }),
  mem_reservation: limit("MemoryReservation", 32 * 1024 ** 2, size),
  cpu_shares: limit("CpuShares", 512),
  cpu_period: limit("CpuPeriod", 100000, { sentWith: ["cpu_quota"] }),
  cpu_quota: limit("CpuQuota", 50000, { sentWith: ["cpu_period"] }),
  cpuset_cpus: limit("CpusetCpus", "0"),
  cpuset_mems: limit("CpusetMems", "0"),
  blkio_weight: limit("BlkioWeight", 300),
  pids_limit: limit("PidsLimit", 100, { unset: [null, 0, -1] }),
  privileged: hostField("Privileged", "recreate", true),
  cap_add: hostField("CapAdd", "recreate", ["NET_ADMIN"], list),
  cap_drop: hostField("CapDrop", "recreate", ["MKNOD"], list),
  dns: hostField("Dns", "recreate", ["10.0.0.2"], list),
  dns_search: hostField("DnsSearch", "recreate", ["example.org"], list),
  dns_opt: hostField("DnsOptions", "recreate", ["ndots:2"], list),
  extra_hosts: hostField("ExtraHosts", "recreate", ["db.local:10.0.0.3"], { normalize: "extra-hosts" }),
  devices: hostField("Devices", "recreate", ["/dev/fuse", "/dev/sda:/dev/xvda:r"], {
    ...list,
    docker: { copy: "HostConfig.Devices", to: (value) => (value as string[]).map(deviceMapping) },
    readBack: readAt("HostConfig.Devices", (value) => (value as DeviceMapping[]).map(deviceEntry)),
  }),
  log_config: hostField(
    "LogConfig",
    "recreate",
    { type: "json-file", config: { "max-size": "10m" } },
    {
      normalize: "log-config",
      docker: { copy: "HostConfig.LogConfig", to: logConfig },
      readBack: readAt("HostConfig.LogConfig", (value) => {
        const config = value as { Type?: string; Config?: Record<string, string> };
        return { type: config.Type ?? "", config: config.Config ?? {} };
      }),
    },
  ),
  tmpfs: hostField("Tmpfs", "recreate", { "/run": "size=1m" }, { normalize: "tmpfs" }),
  ulimits: hostField("Ulimits", "recreate", [{ name: "nofile", soft: 1024, hard: 2048 }], {
    docker: { copy: "HostConfig.Ulimits", to: ulimits },
    readBack: readAt("HostConfig.Ulimits", (value) =>
      (value as { Name: string; Soft: number; Hard: number }[]).map((u) => ({
        name: u.Name,
        soft: u.Soft,
        hard: u.Hard,
      })),
    ),
  }),
  shm_size: hostField("ShmSize", "recreate", 128 * 1024 ** 2, size),
  security_opt: hostField("SecurityOpt", "recreate", ["no-new-privileges"], list),
  sysctls: hostField("Sysctls", "recreate", { "net.core.somaxconn": "1024" }, { normalize: "string-record" }),
  read_only: hostField("ReadonlyRootfs", "recreate", true),
  init: hostField("Init", "recreate", true),
  ipc_mode: hostField("IpcMode", "recreate", "shareable"),
  pid_mode: hostField("PidMode", "recreate", "host"),
  oom_kill_disable: hostField("OomKillDisable", "recreate", true),
  oom_score_adj: hostField("OomScoreAdj", "recreate", 100),
  group_add: hostField("GroupAdd", "recreate", ["audio", "1000"], {
    docker: { copy: "HostConfig.GroupAdd", to: asStrings },
  }),
  userns_mode: hostField("UsernsMode", "recreate", "host"),
  publish_all_ports: hostField("PublishAllPorts", "recreate", true),
  cgroup_parent: hostField("CgroupParent", "recreate", "/berth"),
  runtime: hostField("Runtime", "recreate", "runc"),
  isolation: hostField("Isolation", "recreate", "default"),
} as const satisfies Record<string, OptionField>;

export type HostConfigKey = keyof typeof HOST_CONFIG_FIELDS;

/** create_options keys that have a first-class equivalent are moved there by the normalizer. */
const lifted = (class_: OptionField["class"], to: string): OptionField => ({
  class: class_,
  normalize: "lift",
  docker: { liftedTo: to },
  readBack: { none: `read back as ${to}` },
});

const createField = (path: string, example: unknown, readPath: string = path): OptionField => ({
  class: "recreate",
  normalize: "value",
  docker: { copy: path },
  readBack: readAt(readPath),
  example,
});

export const CREATE_OPTION_FIELDS = {
  environment: lifted("recreate", "environment"),
  command: lifted("recreate", "command"),
  entrypoint: lifted("recreate", "entrypoint"),
  labels: lifted("recreate", "labels"),
  working_dir: lifted("recreate", "working_dir"),
  hostname: lifted("recreate", "hostname"),
  domainname: lifted("recreate", "domainname"),
  user: lifted("recreate", "user"),
  stop_signal: lifted("ignored", "stop_signal"),
  stop_timeout: lifted("ignored", "stop_timeout"),
  healthcheck: lifted("recreate", "healthcheck"),
  mem_limit: lifted("in-place", "host_config.mem_limit"),
  memswap_limit: lifted("in-place", "host_config.memswap_limit"),
  cpu_shares: lifted("in-place", "host_config.cpu_shares"),
  cpuset: lifted("in-place", "host_config.cpuset_cpus"),
  tty: createField("Tty", true, "Config.Tty"),
  stdin_open: createField("OpenStdin", true, "Config.OpenStdin"),
  mac_address: createField("MacAddress", "02:42:ac:11:00:09", "Config.MacAddress"),
  network_disabled: createField("NetworkDisabled", true, "Config.NetworkDisabled"),
  runtime: createField("HostConfig.Runtime", "runc"),
} as const satisfies Record<string, OptionField>;

export type CreateOptionKey = keyof typeof CREATE_OPTION_FIELDS;

/** The registry entry of a host_config or create_options key, or undefined for an unknown one. */
export function optionField(table: "host_config" | "create_options", key: string): OptionField | undefined {
  const fields = table === "host_config" ? HOST_CONFIG_FIELDS : CREATE_OPTION_FIELDS;
  return Object.hasOwn(fields, key) ? (fields as Record<string, OptionField>)[key] : undefined;
}

interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

function deviceMapping(entry: string): DeviceMapping {
  const [host = "", container, permissions] = entry.split(":");
  return { PathOnHost: host, PathInContainer: container ?? host, CgroupPermissions: permissions ?? "rwm" };
}

/** The shortest entry that gives this mapping back. */
function deviceEntry(device: DeviceMapping): string {
  const sameDefault = device.CgroupPermissions === "rwm";
  if (sameDefault && device.PathInContainer === device.PathOnHost) return device.PathOnHost;
  if (sameDefault) return `${device.PathOnHost}:${device.PathInContainer}`;
  return `${device.PathOnHost}:${device.PathInContainer}:${device.CgroupPermissions}`;
}

function logConfig(value: unknown): unknown {
  const spec = value as { type?: string; config?: Record<string, string> };
  return { Type: spec.type ?? "", Config: spec.config ?? {} };
}

function ulimits(value: unknown): unknown {
  return (value as { name: string; soft?: number; hard?: number }[]).map((u) => ({
    Name: u.name,
    Soft: u.soft ?? u.hard ?? 0,
    Hard: u.hard ?? u.soft ?? 0,
  }));
}
