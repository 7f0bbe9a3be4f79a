import { BerthError } from "../common/berth-error.js";
import type { ClientContext } from "../map/clients-file.js";
import type { ContainerInstance, ResolvedMap } from "../map/model.js";

/**
 * The canonical desired state of one container on one engine, in the map's own field names,
 * with references resolved to Docker names. It is what berth records on the container (as a
 * label) when it creates it, and what the planner compares field by field on the next run — never
 * against image or engine defaults, so nothing the map does not say can cause a recreate.
 *
 * List-valued fields are sorted text entries, so a reordering in the map is not a change and a
 * diff reads naturally (`binds: + /srv/data:/data:rw`).
 */
export interface ContainerSpec {
  image: string;
  environment: Record<string, string>;
  command: string[] | null;
  entrypoint: string[] | null;
  labels: Record<string, string>;
  working_dir: string | null;
  hostname: string | null;
  domainname: string | null;
  user: string | null;
  /** Anonymous volume paths. */
  shares: string[];
  /** `host:container:ro|rw`. */
  binds: string[];
  /** `volume:path` of the named volumes this container owns. */
  attaches: string[];
  /** `volume:NAME:path:ro|rw` for used volumes, `container:NAME:ro|rw` for volumes_from. */
  uses: string[];
  /** `container-name:alias`. */
  links: string[];
  /** `8080/tcp` (exposed only) or `8080/tcp=HOSTIP:HOSTPORT`. */
  exposes: string[];
  /** `default`, `bridge`, `host`, `none`, `disabled`, `container:NAME`, or a Docker network name. */
  network_mode: string;
  /** Endpoints by Docker network name. */
  networks: Record<string, EndpointSpec>;
  healthcheck: HealthcheckSpec | null;
  permissions: string | null;
  restart: string | null;
  stop_signal: string | null;
  stop_timeout: number | null;
  /** host_config as the map gives it (limits included), keys in docker-py names. */
  host_config: Record<string, unknown>;
  create_options: Record<string, unknown>;
}

export interface EndpointSpec {
  aliases: string[];
  /** `container-name:alias`. */
  links: string[];
  ipv4_address: string | null;
  ipv6_address: string | null;
  link_local_ips: string[];
}

export interface HealthcheckSpec {
  test: string[];
  interval_ns: number | null;
  timeout_ns: number | null;
  retries: number | null;
  start_period_ns: number | null;
}

export class SpecError extends BerthError {
  readonly code = "spec";
}
export const isSpecError = (e: unknown): e is SpecError => e instanceof SpecError;

/** The names other containers are known by on the engine (key → Docker name). */
export type NameLookup = (key: string) => string;

export function containerNameLookup(map: ResolvedMap): NameLookup {
  const names = new Map(map.containers.map((c) => [c.key, c.name]));
  return (key) => names.get(key) ?? `${map.name}.${key}`;
}

export function buildContainerSpec(
  container: ContainerInstance,
  client: ClientContext,
  nameOf: NameLookup,
): ContainerSpec {
  const hostname =
    container.hostname === undefined
      ? null
      : client.isDefault
        ? container.hostname
        : `${container.hostname}-${client.name}`;
  return {
    image: container.image,
    environment: { ...container.environment },
    command: container.command ?? null,
    entrypoint: container.entrypoint ?? null,
    labels: { ...container.labels },
    working_dir: container.working_dir ?? null,
    hostname,
    domainname: container.domainname ?? null,
    user: container.user ?? null,
    shares: sorted(container.shares),
    binds: sorted(container.binds.map((b) => `${b.hostPath}:${b.containerPath}:${b.readonly ? "ro" : "rw"}`)),
    attaches: sorted(container.attaches.map((a) => `${a.name}:${a.path}`)),
    uses: sorted([
      ...container.usesVolumes.map((u) => `volume:${u.name}:${u.path}:${u.readonly ? "ro" : "rw"}`),
      ...container.usesContainers.map((u) => `container:${nameOf(u.container)}:${u.readonly ? "ro" : "rw"}`),
    ]),
    links: sorted(container.links.map((l) => `${nameOf(l.container)}:${l.alias}`)),
    exposes: sorted(container.ports.map((p) => portEntry(p, container, client))),
    network_mode: networkModeOf(container, nameOf),
    networks: Object.fromEntries(
      container.endpoints
        .filter(() => container.networkMode.kind !== "container")
        .map((e) => [
          e.name,
          {
            aliases: sorted(e.aliases),
            links: sorted(e.links.map((l) => `${nameOf(l.container)}:${l.alias}`)),
            ipv4_address: e.ipv4Address ?? null,
            ipv6_address: e.ipv6Address ?? null,
            link_local_ips: sorted(e.linkLocalIps),
          },
        ]),
    ),
    healthcheck:
      container.healthcheck === undefined
        ? null
        : {
            test: container.healthcheck.test,
            interval_ns: container.healthcheck.intervalNs ?? null,
            timeout_ns: container.healthcheck.timeoutNs ?? null,
            retries: container.healthcheck.retries ?? null,
            start_period_ns: container.healthcheck.startPeriodNs ?? null,
          },
    permissions: container.attaches.length > 0 ? (container.permissions ?? null) : null,
    restart: container.restart ?? null,
    stop_signal: container.stop_signal ?? null,
    stop_timeout: container.stop_timeout ?? null,
    host_config: { ...container.host_config },
    create_options: { ...container.create_options },
  };
}

function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

function networkModeOf(container: ContainerInstance, nameOf: NameLookup): string {
  const mode = container.networkMode;
  switch (mode.kind) {
    case "default":
    case "bridge":
    case "host":
    case "none":
    case "disabled":
      return mode.kind;
    case "container":
      return `container:${nameOf(mode.container)}`;
    case "external-container":
      return `container:${mode.name}`;
    case "network":
      return container.endpoints.find((e) => e.network === mode.network)?.name ?? mode.network;
  }
}

function portEntry(
  port: ContainerInstance["ports"][number],
  container: ContainerInstance,
  client: ClientContext,
): string {
  if (port.hostPort === undefined && port.interface === undefined) return port.port;
  let hostIp = port.ipv6 ? "::" : "0.0.0.0";
  if (port.interface !== undefined) {
    const table = port.ipv6 ? client.interfacesIpv6 : client.interfaces;
    const address = table[port.interface];
    if (address === undefined) {
      throw new SpecError(
        `container ${container.key} publishes port ${port.port} on interface \`${port.interface}\`, which engine \`${client.name}\` does not define`,
        {
          hint: `add \`${port.interface}\` under \`interfaces${port.ipv6 ? "_ipv6" : ""}\` of client \`${client.name}\` in the clients file`,
        },
      );
    }
    hostIp = address;
  }
  return `${port.port}=${hostIp}:${port.hostPort ?? ""}`;
}
