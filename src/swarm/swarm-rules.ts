import type { ProblemList, SourcePosition } from "../map/map-error.js";
import type { ContainerInstance, NormalizedContainer, NormalizedMap, ResolvedMap } from "../map/model.js";
import { PRESET_NETWORKS } from "../map/model.js";
import type { Origins } from "../map/origins.js";
import type { DependencyEdge, EdgeKind } from "../map/resolve.js";
import {
  DEFAULT_NETWORK_KEY,
  dnsLabel,
  isDnsLabel,
  MAX_DNS_LABEL,
  swarmNetworkNameOf,
} from "./service-names.js";
import { serviceGroups, type ServiceGroup } from "./desired-services.js";
import { isSwarmClient, swarmManagerOf, type ClientConfigs } from "./swarm-clients.js";
import {
  SWARM_CONTAINER_KEYS,
  SWARM_CREATE_OPTION_KEYS,
  SWARM_HOST_CONFIG_KEYS,
  refusalOf,
} from "./swarm-fields.js";
import { tmpfsOptions } from "./task-spec.js";

export interface SwarmRulesContext {
  problems: ProblemList;
  origins: Origins;
  mapAt: SourcePosition;
  edges: readonly DependencyEdge[];
}

/**
 * What a swarm cannot run, refused while the map is checked (`berth validate` with a clients
 * file that has a `mode: swarm` client) where the map writes it, with why: keys a service has no
 * field for, references between a config on a swarm and one on a plain engine, volumes that
 * cannot be kept on one node, names that are no DNS label or collide once made one.
 */
export function checkSwarmRules(
  map: NormalizedMap,
  resolved: ResolvedMap,
  clients: ClientConfigs,
  ctx: SwarmRulesContext,
): void {
  if (!Object.values(clients).some((c) => c.mode === "swarm")) return;
  const rules = new SwarmRules(map, resolved, clients, ctx);
  rules.placements();
  const groups = serviceGroups(resolved, clients);
  const checked = new Set<string>();
  for (const group of groups) {
    const config = map.containers[group.config];
    if (config === undefined) continue;
    if (!checked.has(group.config)) {
      checked.add(group.config);
      rules.keys(config, group.instances[0] as ContainerInstance);
    }
    rules.volumes(config, group);
  }
  rules.references();
  rules.names(groups);
}

/** Edge kinds as people read them, for references between a swarm and a plain engine. */
const REFERENCES: Record<EdgeKind, string | undefined> = {
  links: "links to",
  "network-link": "links (on a network) to",
  "uses-container": "uses the volumes of",
  "uses-volume": "uses a volume of",
  "network-mode": "shares the network of",
  "depends-on": "depends on",
  attaches: undefined,
  network: undefined,
};

class SwarmRules {
  private readonly byKey: Map<string, ContainerInstance>;

  constructor(
    private readonly map: NormalizedMap,
    private readonly resolved: ResolvedMap,
    private readonly clients: ClientConfigs,
    private readonly ctx: SwarmRulesContext,
  ) {
    this.byKey = new Map(resolved.containers.map((c) => [c.key, c]));
  }

  private at(config: NormalizedContainer, field: string, entry?: object): SourcePosition {
    return this.ctx.origins.of(entry, config, field) ?? this.ctx.mapAt;
  }

  private problem(at: SourcePosition, message: string, hint?: string): void {
    this.ctx.problems.add(at, message, hint);
  }

  /** The swarm manager of an instance; undefined when it runs on plain engines only. */
  private managerOf(container: ContainerInstance): string | undefined {
    return container.clients.map((c) => swarmManagerOf(this.clients, c)).find((m) => m !== undefined);
  }

  /** An instance runs on one swarm or on plain engines, never on both nor on two swarms. */
  placements(): void {
    const reported = new Set<string>();
    for (const container of this.resolved.containers) {
      const managers = new Set(container.clients.map((c) => swarmManagerOf(this.clients, c) ?? ""));
      if (managers.size < 2 || reported.has(container.config)) continue;
      reported.add(container.config);
      const config = this.map.containers[container.config] as NormalizedContainer;
      const field =
        container.instance !== null && config.placement[container.instance] !== undefined
          ? "placement"
          : "clients";
      const plain = container.clients.filter((c) => !isSwarmClient(this.clients, c));
      this.problem(
        this.ctx.origins.field(config, field) ?? this.at(config, "clients"),
        plain.length > 0
          ? `\`${container.key}\` is placed on a swarm and on plain engines (${plain.map((c) => `\`${c}\``).join(", ")})`
          : `\`${container.key}\` is placed on two swarms (${[...managers].map((m) => `\`${m}\``).join(", ")})`,
        "a config runs as a service on one swarm, or as containers on plain engines: give it `clients` of one kind",
      );
    }
  }

  /** Keys a service has no field for, as the Swarm tables say. */
  keys(config: NormalizedContainer, container: ContainerInstance): void {
    for (const [key, target] of Object.entries(SWARM_CONTAINER_KEYS)) {
      if (!("refused" in target) || !isSet(config[key as keyof NormalizedContainer])) continue;
      this.problem(this.at(config, key), `\`${key}\` cannot run on a swarm: ${target.refused}`, hintFor(key));
    }
    this.options(config, "host_config", config.host_config, SWARM_HOST_CONFIG_KEYS);
    this.options(config, "create_options", config.create_options, SWARM_CREATE_OPTION_KEYS);
    const tmpfs = (config.host_config.tmpfs ?? {}) as Record<string, string>;
    for (const [path, options] of Object.entries(tmpfs)) {
      const unknown = tmpfsOptions(options).unknown;
      if (unknown.length > 0)
        this.problem(
          this.optionAt(config, "host_config", "tmpfs"),
          `tmpfs \`${path}\`: option \`${unknown[0] as string}\` cannot be set on a swarm`,
          "a service's tmpfs takes `size` and `mode` only",
        );
    }
    if (container.usesContainers.length > 0) {
      const entry = config.uses.find(
        (u) => this.byKey.has(u.name) || this.map.containers[u.name] !== undefined,
      );
      this.problem(
        this.at(config, "uses", entry),
        `\`${container.config}\` uses the volumes of a container (volumes_from), which a swarm cannot do`,
        "a task cannot mount another task's volumes: attach a named volume and `uses` it",
      );
    }
    if (container.domainname !== undefined && config.domainname === undefined)
      this.problem(
        this.ctx.origins.of(config) ?? this.ctx.mapAt,
        `the map's default_domain gives \`${container.config}\` the domain name \`${container.domainname}\`, which a task's container spec has no field for`,
        "leave default_domain out of a map with swarm configs, or place the config on a plain engine",
      );
    this.ports(config, container);
    this.networks(config, container);
  }

  private optionAt(
    config: NormalizedContainer,
    field: "host_config" | "create_options",
    key: string,
  ): SourcePosition {
    return this.ctx.origins.of(undefined, config[field], key) ?? this.at(config, field);
  }

  private options(
    config: NormalizedContainer,
    field: "host_config" | "create_options",
    values: Record<string, unknown>,
    table: Parameters<typeof refusalOf>[0],
  ): void {
    for (const [key, value] of Object.entries(values)) {
      if (value === null || value === undefined || value === false) continue;
      const why = refusalOf(table, key);
      if (why !== undefined)
        this.problem(
          this.optionAt(config, field, key),
          `\`${field}.${key}\` cannot run on a swarm: ${why}`,
          `remove it, or place \`${this.configName(config)}\` on a plain engine`,
        );
    }
  }

  private configName(config: NormalizedContainer): string {
    return Object.entries(this.map.containers).find(([, c]) => c === config)?.[0] ?? "the config";
  }

  /** A published port goes on every address of a node: an interface name cannot be honoured. */
  private ports(config: NormalizedContainer, container: ContainerInstance): void {
    container.ports.forEach((port, index) => {
      if (port.interface === undefined) return;
      this.problem(
        this.at(config, "exposes", config.exposes[index]),
        `port ${port.port} of \`${container.config}\` is published on interface \`${port.interface}\`, which a swarm cannot do`,
        "a service publishes on every address of its nodes: leave the interface out",
      );
    });
  }

  /** Overlays only; Swarm gives the addresses. */
  private networks(config: NormalizedContainer, container: ContainerInstance): void {
    container.endpoints.forEach((endpoint, index) => {
      const entry = config.networks[index];
      const at = this.at(config, "networks", entry);
      if (PRESET_NETWORKS.has(endpoint.network)) {
        this.problem(
          at,
          `\`${container.config}\` joins the engine's \`${endpoint.network}\` network, which a task cannot`,
          "a task joins overlay networks: define one under `networks:`",
        );
        return;
      }
      const driver = this.map.networks[endpoint.network]?.driver ?? "bridge";
      if (driver !== "bridge" && driver !== "overlay")
        this.problem(
          at,
          `network \`${endpoint.network}\` has driver ${driver}; on a swarm it would be an overlay`,
          "leave the driver out (or say overlay) for a network of services",
        );
      if (
        endpoint.ipv4Address !== undefined ||
        endpoint.ipv6Address !== undefined ||
        endpoint.linkLocalIps.length > 0
      )
        this.problem(
          at,
          `\`${container.config}\` asks for a fixed address on \`${endpoint.network}\`, which a swarm cannot give`,
          "Swarm gives each task its address: leave ipv4_address, ipv6_address and link_local_ips out; use aliases",
        );
    });
  }

  /**
   * A named volume lives on one node: a service that attaches one must be pinned to one node
   * client, and one that uses it must be pinned to the same node.
   */
  volumes(config: NormalizedContainer, group: ServiceGroup): void {
    const first = group.instances[0] as ContainerInstance;
    const node = group.nodes.length === 1 ? group.nodes[0] : undefined;
    if (first.attaches.length > 0 && node === undefined) {
      this.problem(
        this.at(config, "attaches", config.attaches[0]),
        `\`${first.key}\` attaches volume \`${first.attaches[0]?.volume as string}\`, and a named volume lives on one node: its tasks could start on another, without its data`,
        "pin the config to one node: `clients: [NODE]` (a node client of the clients file), or `placement` per instance",
      );
    }
    for (const used of first.usesVolumes) {
      const owner = this.resolved.volumes.find((v) => v.key === used.volume)?.owner;
      const ownerContainer = this.resolved.containers.find((c) => c.config === owner);
      const ownerNodes = ownerContainer === undefined ? [] : this.nodesOf(ownerContainer);
      if (node !== undefined && ownerNodes.length === 1 && ownerNodes[0] === node) continue;
      if (ownerContainer !== undefined && this.managerOf(ownerContainer) === undefined) continue; // reported as a reference
      this.problem(
        this.at(
          config,
          "uses",
          config.uses.find((u) => u.name === used.volume || u.name.endsWith(`.${used.volume}`)),
        ),
        `\`${first.key}\` uses volume \`${used.volume}\`, which lives on the node of \`${owner ?? "its owner"}\`: it must run on that one node too`,
        "place both configs on the same node client",
      );
    }
  }

  private nodesOf(container: ContainerInstance): string[] {
    const manager = this.managerOf(container);
    if (manager === undefined) return [];
    if (container.clients.includes(manager)) return [];
    return [...new Set(container.clients)].sort();
  }

  /** Every reference between a config on a swarm and one on a plain engine (or another swarm). */
  references(): void {
    const reported = new Set<string>();
    for (const edge of this.ctx.edges) {
      const what = REFERENCES[edge.kind];
      if (what === undefined) continue;
      const dependent = this.byKey.get(keyOf(edge.dependent));
      const dependency = this.byKey.get(keyOf(edge.dependency));
      if (dependent === undefined || dependency === undefined) continue;
      const from = this.managerOf(dependent);
      const to = this.managerOf(dependency);
      if (from === to) continue;
      const id = `${dependent.config}>${dependency.key}>${edge.kind}`;
      if (reported.has(id)) continue;
      reported.add(id);
      const side = (manager: string | undefined, c: ContainerInstance) =>
        manager === undefined
          ? `on plain engine${c.clients.length > 1 ? "s" : ""} ${c.clients.map((x) => `\`${x}\``).join(", ")}`
          : `on the swarm of \`${manager}\``;
      this.problem(
        edge.at,
        `\`${dependent.key}\` ${what} \`${dependency.key}\` between a swarm and another engine: \`${dependent.key}\` runs ${side(from, dependent)}, \`${dependency.key}\` ${side(to, dependency)}`,
        "services reach only what runs on their swarm: place both on the same side, or reach it through a published port",
      );
    }
  }

  /** Service and network names are DNS labels once sanitised, and no two are the same. */
  names(groups: ServiceGroup[]): void {
    const taken = new Map<string, string>();
    for (const group of groups) {
      const config = this.map.containers[group.config] as NormalizedContainer;
      const at = this.ctx.origins.of(config) ?? this.ctx.mapAt;
      const who =
        group.instances.length === 1 && group.instances[0]?.instance !== null
          ? group.instances[0]?.key
          : group.config;
      if (!isDnsLabel(group.name)) {
        this.problem(
          at,
          `the service name of \`${who as string}\` would be \`${group.name}\`: ${group.name.length > MAX_DNS_LABEL ? `${group.name.length} characters, a DNS label has at most ${MAX_DNS_LABEL}` : "not a DNS label"}`,
          "shorten the map, config or instance name (a service name is `<map>-<config>[-<instance>]`, lowercase, `.` and `_` as `-`)",
        );
        continue;
      }
      const earlier = taken.get(group.name);
      if (earlier !== undefined) {
        this.problem(
          at,
          `\`${who as string}\` and \`${earlier}\` would both be service \`${group.name}\``,
          "service names are lowercase with `.` and `_` as `-`: rename one of them",
        );
        continue;
      }
      taken.set(group.name, who as string);
    }
    const networks = new Map<string, string>([
      [swarmNetworkNameOf(this.map.name, DEFAULT_NETWORK_KEY), DEFAULT_NETWORK_KEY],
    ]);
    for (const key of Object.keys(this.map.networks)) {
      if (key === DEFAULT_NETWORK_KEY || dnsLabel(key) === "") continue;
      const name = swarmNetworkNameOf(this.map.name, key);
      const earlier = networks.get(name);
      if (earlier !== undefined && this.usedOnSwarm(key))
        this.problem(
          this.ctx.origins.of(this.map.networks[key]) ?? this.ctx.mapAt,
          `networks \`${key}\` and \`${earlier}\` would both be overlay \`${name}\` on the swarm`,
          "rename one of them",
        );
      networks.set(name, key);
    }
  }

  private usedOnSwarm(network: string): boolean {
    return this.resolved.containers.some(
      (c) => this.managerOf(c) !== undefined && c.endpoints.some((e) => e.network === network),
    );
  }
}

function isSet(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

function hintFor(key: string): string {
  switch (key) {
    case "build":
      return "build and push the image, then name it with `image` (the nodes pull it)";
    case "network_mode":
      return "use `networks` (overlays), or place the config on a plain engine";
    case "exec_commands":
      return "run it from the command, or as a one-shot config (`persistent: true`) it depends on";
    default:
      return `remove \`${key}\`, or place the config on a plain engine`;
  }
}

function keyOf(node: string): string {
  return node.slice(node.indexOf(":") + 1);
}
