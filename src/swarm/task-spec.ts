import { parseByteSize } from "../map/units.js";
import type { ContainerInstance, ResolvedMap, ResolvedVolume } from "../map/model.js";
import { LABEL } from "../model/labels.js";
import { SWARM_LABEL } from "./service-record.js";
import type { SwarmContainerSpec, SwarmMount, SwarmServiceSpec } from "./swarm-types.js";

type TaskTemplate = SwarmServiceSpec["TaskTemplate"];

/** A Docker template that names each task of a replicated service apart: `shop-app-1`, `shop-app-2`. */
export const TASK_HOSTNAME = "{{.Service.Name}}-{{.Task.Slot}}";

/**
 * The container spec of a service's tasks, from its first instance (the instances of one service
 * differ only in their names). `hostname`: one for all tasks, or the per-task template.
 */
export function containerSpecOf(
  map: ResolvedMap,
  container: ContainerInstance,
  hostname: string | undefined,
  manager: string,
): SwarmContainerSpec {
  const spec: SwarmContainerSpec = { Image: container.image };
  if (Object.keys(container.labels).length > 0) spec.Labels = { ...container.labels };
  if (container.entrypoint !== undefined) spec.Command = container.entrypoint;
  if (container.command !== undefined) spec.Args = container.command;
  if (hostname !== undefined) spec.Hostname = hostname;
  const env = Object.entries(container.environment).sort(([a], [b]) => compare(a, b));
  if (env.length > 0) spec.Env = env.map(([name, value]) => `${name}=${value}`);
  if (container.working_dir !== undefined) spec.Dir = container.working_dir;
  if (container.user !== undefined) spec.User = container.user;
  if (container.stop_signal !== undefined) spec.StopSignal = container.stop_signal;
  if (container.stop_timeout !== undefined) spec.StopGracePeriod = container.stop_timeout * 1e9;
  const health = container.healthcheck;
  if (health !== undefined) {
    spec.Healthcheck = { Test: health.test };
    if (health.intervalNs !== undefined) spec.Healthcheck.Interval = health.intervalNs;
    if (health.timeoutNs !== undefined) spec.Healthcheck.Timeout = health.timeoutNs;
    if (health.retries !== undefined) spec.Healthcheck.Retries = health.retries;
    if (health.startPeriodNs !== undefined) spec.Healthcheck.StartPeriod = health.startPeriodNs;
  }
  Object.assign(spec, hostOptions(container.host_config), createOptions(container.create_options));
  const mounts = mountsOf(map, container, manager);
  if (mounts.length > 0) spec.Mounts = mounts;
  return spec;
}

/** The host_config keys a task's container spec has (the others are refused at validate time). */
function hostOptions(host: Record<string, unknown>): Partial<SwarmContainerSpec> {
  const out: Partial<SwarmContainerSpec> = {};
  const strings = (key: string) =>
    Array.isArray(host[key]) ? (host[key] as unknown[]).map(String) : undefined;
  if (typeof host.init === "boolean") out.Init = host.init;
  if (typeof host.read_only === "boolean") out.ReadOnly = host.read_only;
  if (strings("cap_add") !== undefined) out.CapabilityAdd = strings("cap_add");
  if (strings("cap_drop") !== undefined) out.CapabilityDrop = strings("cap_drop");
  if (strings("group_add") !== undefined) out.Groups = strings("group_add");
  if (strings("extra_hosts") !== undefined) out.Hosts = (strings("extra_hosts") ?? []).map(hostsLine);
  const dns: NonNullable<SwarmContainerSpec["DNSConfig"]> = {};
  if (strings("dns") !== undefined) dns.Nameservers = strings("dns");
  if (strings("dns_search") !== undefined) dns.Search = strings("dns_search");
  if (strings("dns_opt") !== undefined) dns.Options = strings("dns_opt");
  if (Object.keys(dns).length > 0) out.DNSConfig = dns;
  if (host.sysctls !== undefined) out.Sysctls = host.sysctls as Record<string, string>;
  if (Array.isArray(host.ulimits))
    out.Ulimits = (host.ulimits as { name: string; soft: number; hard: number }[]).map((u) => ({
      Name: u.name,
      Soft: u.soft,
      Hard: u.hard,
    }));
  return out;
}

/** `name:address` (the engine's form) as a hosts-file line, `address name` (Swarm's form). */
function hostsLine(entry: string): string {
  const at = entry.indexOf(":");
  return at < 0 ? entry : `${entry.slice(at + 1)} ${entry.slice(0, at)}`;
}

function createOptions(options: Record<string, unknown>): Partial<SwarmContainerSpec> {
  const out: Partial<SwarmContainerSpec> = {};
  if (typeof options.tty === "boolean") out.TTY = options.tty;
  if (typeof options.stdin_open === "boolean") out.OpenStdin = options.stdin_open;
  return out;
}

/** Anonymous volumes, binds, the named volumes it attaches and uses, tmpfs mounts; by target path. */
function mountsOf(map: ResolvedMap, container: ContainerInstance, manager: string): SwarmMount[] {
  const volumes = new Map(map.volumes.map((v) => [v.key, v]));
  const out: SwarmMount[] = [
    ...container.shares.map((path): SwarmMount => ({ Type: "volume", Target: path })),
    ...container.binds.map((b): SwarmMount => ({
      Type: "bind",
      Source: b.hostPath,
      Target: b.containerPath,
      ReadOnly: b.readonly,
    })),
    ...[...container.attaches, ...container.usesVolumes].map((m): SwarmMount => {
      const volume = volumes.get(m.volume);
      return {
        Type: "volume",
        Source: m.name,
        Target: m.path,
        ReadOnly: m.readonly,
        ...(volume === undefined ? {} : { VolumeOptions: volumeOptions(map, volume, manager) }),
      };
    }),
    ...Object.entries((container.host_config.tmpfs ?? {}) as Record<string, string>).map(
      ([path, options]): SwarmMount => tmpfsMount(path, options),
    ),
  ];
  return out.sort((a, b) => compare(a.Target, b.Target));
}

/** How a node creates the named volume when a task first mounts it there: driver and berth's labels. */
export function volumeOptions(
  map: ResolvedMap,
  volume: ResolvedVolume,
  manager: string,
): NonNullable<SwarmMount["VolumeOptions"]> {
  return {
    Labels: {
      ...volume.labels,
      [LABEL.map]: map.name,
      [LABEL.kind]: "volume",
      [LABEL.alias]: volume.key,
      [SWARM_LABEL.client]: manager,
    },
    DriverConfig: {
      Name: volume.driver,
      ...(Object.keys(volume.driver_options).length === 0 ? {} : { Options: { ...volume.driver_options } }),
    },
  };
}

/** The tmpfs options Swarm has: `size` and `mode` (the others are refused at validate time). */
export function tmpfsMount(path: string, options: string): SwarmMount {
  const mount: SwarmMount = { Type: "tmpfs", Target: path };
  const parsed = tmpfsOptions(options);
  if (parsed.size !== undefined || parsed.mode !== undefined) {
    mount.TmpfsOptions = {};
    if (parsed.size !== undefined) mount.TmpfsOptions.SizeBytes = parsed.size;
    if (parsed.mode !== undefined) mount.TmpfsOptions.Mode = parsed.mode;
  }
  return mount;
}

/** `size=64m,mode=1777` → size in bytes and mode; `unknown` lists what Swarm cannot set. */
export function tmpfsOptions(options: string): { size?: number; mode?: number; unknown: string[] } {
  const out: { size?: number; mode?: number; unknown: string[] } = { unknown: [] };
  for (const option of options.split(",").filter((o) => o !== "")) {
    const [name, value = ""] = option.split("=", 2) as [string, string?];
    try {
      if (name === "size") out.size = parseByteSize(value);
      else if (name === "mode" && /^[0-7]{1,4}$/.test(value)) out.mode = parseInt(value, 8);
      else out.unknown.push(option);
    } catch {
      out.unknown.push(option);
    }
  }
  return out;
}

/** Memory and CPU limits and reservations, the pid limit. */
export function resourcesOf(container: ContainerInstance): Pick<TaskTemplate, "Resources"> {
  const host = container.host_config;
  const number = (key: string) => (typeof host[key] === "number" && host[key] > 0 ? host[key] : undefined);
  const limits: NonNullable<NonNullable<TaskTemplate["Resources"]>["Limits"]> = {};
  const reservations: NonNullable<NonNullable<TaskTemplate["Resources"]>["Reservations"]> = {};
  if (number("mem_limit") !== undefined) limits.MemoryBytes = number("mem_limit");
  if (number("pids_limit") !== undefined) limits.Pids = number("pids_limit");
  const quota = number("cpu_quota");
  if (quota !== undefined) limits.NanoCPUs = Math.round((quota / (number("cpu_period") ?? 100000)) * 1e9);
  if (number("mem_reservation") !== undefined) reservations.MemoryBytes = number("mem_reservation");
  const out: NonNullable<TaskTemplate["Resources"]> = {};
  if (Object.keys(limits).length > 0) out.Limits = limits;
  if (Object.keys(reservations).length > 0) out.Reservations = reservations;
  return Object.keys(out).length === 0 ? {} : { Resources: out };
}

/** `restart` as a task restart policy; a job runs once unless the map says `on-failure`. */
export function restartPolicyOf(
  restart: string | undefined,
  kind: "service" | "job",
): Pick<TaskTemplate, "RestartPolicy"> {
  if (restart === undefined) return kind === "job" ? { RestartPolicy: { Condition: "none" } } : {};
  const [policy, count] = restart.split(":");
  if (policy === "on-failure") {
    const attempts = count === undefined ? undefined : Number(count);
    return {
      RestartPolicy: {
        Condition: "on-failure",
        ...(attempts === undefined ? {} : { MaxAttempts: attempts }),
      },
    };
  }
  if (policy === "no" || kind === "job") return { RestartPolicy: { Condition: "none" } };
  return { RestartPolicy: { Condition: "any" } };
}

export function logDriverOf(container: ContainerInstance): Pick<TaskTemplate, "LogDriver"> {
  const config = container.host_config.log_config as
    { type?: string; config?: Record<string, unknown> } | undefined;
  if (config?.type === undefined || config.type === "") return {};
  const options = Object.fromEntries(Object.entries(config.config ?? {}).map(([k, v]) => [k, String(v)]));
  return {
    LogDriver: { Name: config.type, ...(Object.keys(options).length === 0 ? {} : { Options: options }) },
  };
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
