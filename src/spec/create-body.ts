import type { ContainerCreateBody, ContainerUpdateBody, EndpointConfig } from "../engine/engine-types.js";
import type { ContainerSpec, EndpointSpec } from "./container-spec.js";
import { UPDATABLE_LIMITS, type UpdatableLimit } from "./field-classes.js";

/**
 * Translates a container spec into the engine's create request. Pure translation: every decision
 * (which volumes to carry over, which name, which labels) is made before and passed in.
 */
export interface CreateExtras {
  labels: Record<string, string>;
  /** Anonymous volumes of a replaced container, mounted again at the same paths. */
  carriedVolumes: { name: string; path: string }[];
}

export function createBody(spec: ContainerSpec, extras: CreateExtras): ContainerCreateBody {
  const hostConfig: Record<string, unknown> = {
    Binds: [
      ...spec.binds,
      ...spec.attaches.map((entry) => entry), // `volume:path`
      ...spec.uses.filter((u) => u.startsWith("volume:")).map(usedVolumeBind),
      ...extras.carriedVolumes.map((v) => `${v.name}:${v.path}`),
    ],
    VolumesFrom: spec.uses.filter((u) => u.startsWith("container:")).map(volumesFrom),
    Links: spec.links,
    PortBindings: portBindings(spec.exposes),
    NetworkMode: spec.network_mode === "disabled" ? "none" : spec.network_mode,
    ...hostOptions(spec.host_config),
  };
  if (spec.restart !== null) hostConfig.RestartPolicy = restartPolicy(spec.restart);
  const body: ContainerCreateBody = {
    Image: spec.image,
    Env: Object.entries(spec.environment).map(([k, v]) => `${k}=${v}`),
    Labels: { ...spec.labels, ...extras.labels },
    HostConfig: hostConfig,
  };
  if (spec.command !== null) body.Cmd = spec.command;
  if (spec.entrypoint !== null) body.Entrypoint = spec.entrypoint;
  if (spec.working_dir !== null) body.WorkingDir = spec.working_dir;
  if (spec.hostname !== null && !spec.network_mode.startsWith("container:")) body.Hostname = spec.hostname;
  if (spec.domainname !== null) body.Domainname = spec.domainname;
  if (spec.user !== null) body.User = spec.user;
  if (spec.shares.length > 0) body.Volumes = Object.fromEntries(spec.shares.map((path) => [path, {}]));
  if (spec.exposes.length > 0)
    body.ExposedPorts = Object.fromEntries(spec.exposes.map((e) => [portOf(e), {}]));
  if (spec.stop_signal !== null) body.StopSignal = spec.stop_signal;
  if (spec.stop_timeout !== null) body.StopTimeout = spec.stop_timeout;
  if (spec.network_mode === "disabled") body.NetworkDisabled = true;
  if (spec.healthcheck !== null) {
    const h = spec.healthcheck;
    body.Healthcheck = { Test: h.test };
    if (h.interval_ns !== null) body.Healthcheck.Interval = h.interval_ns;
    if (h.timeout_ns !== null) body.Healthcheck.Timeout = h.timeout_ns;
    if (h.retries !== null) body.Healthcheck.Retries = h.retries;
    if (h.start_period_ns !== null) body.Healthcheck.StartPeriod = h.start_period_ns;
  }
  Object.assign(body, createOptions(spec.create_options, hostConfig));
  const first = firstEndpoint(spec);
  if (first !== undefined)
    body.NetworkingConfig = { EndpointsConfig: { [first[0]]: endpointConfig(first[1]) } };
  return body;
}

/** The endpoint given at create: the network of the network mode (API 1.41 takes one). */
export function firstEndpoint(spec: ContainerSpec): [string, EndpointSpec] | undefined {
  const endpoint = spec.networks[spec.network_mode];
  return endpoint === undefined ? undefined : [spec.network_mode, endpoint];
}

/** Endpoints connected after create, before start. */
export function extraEndpoints(spec: ContainerSpec): [string, EndpointSpec][] {
  return Object.entries(spec.networks).filter(([name]) => name !== spec.network_mode);
}

export function endpointConfig(endpoint: EndpointSpec): EndpointConfig {
  const config: EndpointConfig = {};
  if (endpoint.aliases.length > 0) config.Aliases = endpoint.aliases;
  if (endpoint.links.length > 0) config.Links = endpoint.links;
  const ipam: NonNullable<EndpointConfig["IPAMConfig"]> = {};
  if (endpoint.ipv4_address !== null) ipam.IPv4Address = endpoint.ipv4_address;
  if (endpoint.ipv6_address !== null) ipam.IPv6Address = endpoint.ipv6_address;
  if (endpoint.link_local_ips.length > 0) ipam.LinkLocalIPs = endpoint.link_local_ips;
  if (Object.keys(ipam).length > 0) config.IPAMConfig = ipam;
  return config;
}

export function restartPolicy(policy: string): { Name: string; MaximumRetryCount?: number } {
  const [name, count] = policy.split(":");
  if (name === "on-failure" && count !== undefined) return { Name: name, MaximumRetryCount: Number(count) };
  return { Name: name === "no" ? "" : (name ?? "") };
}

/** The `docker update` body for the in-place fields of a spec (limits and restart policy). */
export function updateBody(spec: ContainerSpec, fields: readonly string[]): ContainerUpdateBody {
  const body: Record<string, unknown> = {};
  for (const field of fields) {
    if (field === "restart") body.RestartPolicy = restartPolicy(spec.restart ?? "no");
    const limit = field.startsWith("host_config.")
      ? (field.slice("host_config.".length) as UpdatableLimit)
      : undefined;
    if (limit !== undefined && limit in UPDATABLE_LIMITS) {
      const value = spec.host_config[limit];
      if (value !== undefined) body[UPDATABLE_LIMITS[limit]] = value;
    }
  }
  return body;
}

function usedVolumeBind(entry: string): string {
  // volume:NAME:PATH:ro|rw
  const [, name, path, mode] = entry.split(":");
  return mode === "ro" ? `${name}:${path}:ro` : `${name}:${path}`;
}

function volumesFrom(entry: string): string {
  // container:NAME:ro|rw
  const [, name, mode] = entry.split(":");
  return mode === "ro" ? `${name}:ro` : `${name}`;
}

function portOf(entry: string): string {
  const eq = entry.indexOf("=");
  return eq < 0 ? entry : entry.slice(0, eq);
}

function portBindings(exposes: readonly string[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const entry of exposes) {
    const eq = entry.indexOf("=");
    if (eq < 0) continue;
    const port = entry.slice(0, eq);
    const binding = entry.slice(eq + 1);
    const colon = binding.lastIndexOf(":");
    (out[port] ??= []).push({ HostIp: binding.slice(0, colon), HostPort: binding.slice(colon + 1) });
  }
  return out;
}

/** host_config keys (docker-py names) → the engine's HostConfig names. */
const HOST_OPTION_NAMES: Record<string, string> = {
  ...UPDATABLE_LIMITS,
  privileged: "Privileged",
  cap_add: "CapAdd",
  cap_drop: "CapDrop",
  dns: "Dns",
  dns_search: "DnsSearch",
  dns_opt: "DnsOptions",
  extra_hosts: "ExtraHosts",
  tmpfs: "Tmpfs",
  shm_size: "ShmSize",
  security_opt: "SecurityOpt",
  sysctls: "Sysctls",
  read_only: "ReadonlyRootfs",
  init: "Init",
  ipc_mode: "IpcMode",
  pid_mode: "PidMode",
  oom_kill_disable: "OomKillDisable",
  oom_score_adj: "OomScoreAdj",
  group_add: "GroupAdd",
  userns_mode: "UsernsMode",
  publish_all_ports: "PublishAllPorts",
  cgroup_parent: "CgroupParent",
  runtime: "Runtime",
  isolation: "Isolation",
};

function hostOptions(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    const name = HOST_OPTION_NAMES[key];
    if (name !== undefined) out[name] = key === "group_add" ? (value as unknown[]).map(String) : value;
    else if (key === "devices") out.Devices = (value as string[]).map(deviceMapping);
    else if (key === "log_config") {
      const spec = value as { type?: string; config?: Record<string, string> };
      out.LogConfig = { Type: spec.type ?? "", Config: spec.config ?? {} };
    } else if (key === "ulimits") {
      out.Ulimits = (value as { name: string; soft?: number; hard?: number }[]).map((u) => ({
        Name: u.name,
        Soft: u.soft ?? u.hard ?? 0,
        Hard: u.hard ?? u.soft ?? 0,
      }));
    }
  }
  return out;
}

function deviceMapping(entry: string): {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
} {
  const [host = "", container, permissions] = entry.split(":");
  return { PathOnHost: host, PathInContainer: container ?? host, CgroupPermissions: permissions ?? "rwm" };
}

function createOptions(
  options: Record<string, unknown>,
  hostConfig: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    switch (key) {
      case "tty":
        out.Tty = value;
        break;
      case "stdin_open":
        out.OpenStdin = value;
        break;
      case "mac_address":
        out.MacAddress = value;
        break;
      case "network_disabled":
        out.NetworkDisabled = value;
        break;
      case "runtime":
        hostConfig.Runtime = value;
        break;
    }
  }
  return out;
}
