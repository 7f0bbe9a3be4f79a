import type { ContainerCreateBody, ContainerUpdateBody, EndpointConfig } from "../engine/engine-types.js";
import { SpecError, type ContainerSpec, type EndpointSpec, type HealthcheckSpec } from "./container-spec.js";
import { setValueAt, type ContainerField } from "../fields/fields.js";
import { CONTAINER_FIELDS } from "../fields/fields-container.js";
import { optionField } from "../fields/fields-host-config.js";

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
  };
  if (spec.restart !== null) hostConfig.RestartPolicy = restartPolicy(spec.restart);
  const body: ContainerCreateBody = {
    Image: spec.image,
    Env: Object.entries(spec.environment).map(([k, v]) => `${k}=${v}`),
    Labels: { ...spec.labels, ...extras.labels },
    HostConfig: hostConfig,
  };
  copyFields(spec, body);
  if (spec.hostname !== null && !spec.network_mode.startsWith("container:")) body.Hostname = spec.hostname;
  if (spec.shares.length > 0) body.Volumes = Object.fromEntries(spec.shares.map((path) => [path, {}]));
  if (spec.exposes.length > 0)
    body.ExposedPorts = Object.fromEntries(spec.exposes.map((e) => [portOf(e), {}]));
  if (spec.network_mode === "disabled") body.NetworkDisabled = true;
  if (spec.healthcheck !== null) body.Healthcheck = healthcheck(spec.healthcheck);
  copyOptions("host_config", spec.host_config, body);
  copyOptions("create_options", spec.create_options, body);
  const first = firstEndpoint(spec);
  if (first !== undefined)
    body.NetworkingConfig = { EndpointsConfig: { [first[0]]: endpointConfig(first[1]) } };
  return body;
}

/** The container fields the registry copies to one body field each (`working_dir` → WorkingDir). */
function copyFields(spec: ContainerSpec, body: ContainerCreateBody): void {
  const values = spec as unknown as Record<string, unknown>;
  for (const [key, entry] of Object.entries(CONTAINER_FIELDS as Record<string, ContainerField>)) {
    const value = values[key];
    if (!("copy" in entry.docker) || value === null || value === undefined) continue;
    setValueAt(body, entry.docker.copy, entry.docker.to === undefined ? value : entry.docker.to(value));
  }
}

/** host_config and create_options keys, each to the body field its registry entry names. */
function copyOptions(
  table: "host_config" | "create_options",
  options: Record<string, unknown>,
  body: ContainerCreateBody,
): void {
  for (const [key, value] of Object.entries(options)) {
    const docker = optionField(table, key)?.docker;
    // The schema admits only registry keys: one without a Docker field would vanish unseen.
    if (docker === undefined || !("copy" in docker))
      throw new SpecError(`${table}.${key} has no Docker field in berth's field registry`);
    setValueAt(body, docker.copy, docker.to === undefined ? value : docker.to(value));
  }
}

function healthcheck(h: HealthcheckSpec): NonNullable<ContainerCreateBody["Healthcheck"]> {
  const out: NonNullable<ContainerCreateBody["Healthcheck"]> = { Test: h.test };
  if (h.interval_ns !== null) out.Interval = h.interval_ns;
  if (h.timeout_ns !== null) out.Timeout = h.timeout_ns;
  if (h.retries !== null) out.Retries = h.retries;
  if (h.start_period_ns !== null) out.StartPeriod = h.start_period_ns;
  return out;
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

/**
 * The `docker update` body for the in-place fields of a spec (limits and restart policy). A limit
 * goes with the limits it is sent with (memory with memoryswap, CPU quota with period), so the
 * engine checks the new values against each other, never against stale ones; one the map leaves
 * out is sent as the engine would have set it at create, where the registry says so.
 */
export function updateBody(spec: ContainerSpec, fields: readonly string[]): ContainerUpdateBody {
  const body: Record<string, unknown> = {};
  const limits = new Set<string>();
  for (const field of fields) {
    // The engine reads an empty policy name in an update as "leave it": "no" must be named.
    if (field === "restart")
      body.RestartPolicy =
        spec.restart === null || spec.restart === "no" ? { Name: "no" } : restartPolicy(spec.restart);
    if (field.startsWith("host_config.")) addWithPartners(field.slice("host_config.".length), limits);
  }
  for (const key of limits) {
    const entry = optionField("host_config", key);
    if (entry?.update === undefined) continue;
    const value = spec.host_config[key] ?? entry.updateDefault?.(spec.host_config);
    if (value !== undefined) body[entry.update] = value;
  }
  return body;
}

function addWithPartners(key: string, into: Set<string>): void {
  if (into.has(key)) return;
  into.add(key);
  for (const partner of optionField("host_config", key)?.sentWith ?? []) addWithPartners(partner, into);
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
