import { digest } from "../common/canonical-json.js";
import { ipamForEngine } from "../map/ipam.js";
import { parseDuration } from "../map/units.js";
import type { ContainerInstance, ResolvedMap, SwarmEntry } from "../map/model.js";
import { LABEL } from "../model/labels.js";
import { newSalt, recordLabels, SWARM_LABEL } from "./service-record.js";
import { DEFAULT_NETWORK_KEY, serviceNameOf, swarmNetworkNameOf } from "./service-names.js";
import { secretsOf } from "./service-secrets.js";
import { isSwarmManager, nodeClientsOf, swarmManagerOf, type ClientConfigs } from "./swarm-clients.js";
import type {
  DesiredService,
  DesiredSwarmNetwork,
  SwarmMode,
  SwarmPort,
  SwarmServiceSpec,
  SwarmUpdateConfig,
} from "./swarm-types.js";
import {
  compare,
  containerSpecOf,
  logDriverOf,
  resourcesOf,
  restartPolicyOf,
  TASK_HOSTNAME,
} from "./task-spec.js";
import { preparationsOf } from "./volume-preparations.js";

export interface SwarmOptions {
  /**
   * Whether the swarm's kernel routes virtual IPs (IPVS). Without it the VIP and the ingress
   * routing mesh fail silently, so services use DNS round robin and host-mode ports. Default true.
   */
  ipvs?: boolean;
  /** Service name → the salt recorded on it (recordedSalt), so an unchanged spec hashes the same. */
  salts?: Readonly<Record<string, string>>;
}

/** One service before its spec is built: the instances it stands for and where they may run. */
export interface ServiceGroup {
  name: string;
  manager: string;
  config: string;
  instances: ContainerInstance[];
  /** Instance names folded in ([] for a config without instances). */
  instanceNames: string[];
  /** Node clients its tasks are limited to; [] for anywhere in the swarm. */
  nodes: string[];
}

/**
 * The services (and jobs) of every config placed on a swarm client, in map order. Instances of a
 * config fold into one service's replicas when no instance differs (same placement, no attached
 * volume); otherwise each instance is a service of its own.
 */
export function desiredServices(
  map: ResolvedMap,
  clients: ClientConfigs,
  options: SwarmOptions = {},
): DesiredService[] {
  const groups = serviceGroups(map, clients);
  const serviceOfKey = new Map<string, string>();
  for (const group of groups) for (const c of group.instances) serviceOfKey.set(c.key, group.name);
  const jobs = completedDependencies(map, serviceOfKey);
  const aliases = linkAliases(map, groups, serviceOfKey);
  return groups.map((group) => desiredService({ map, clients, group, serviceOfKey, jobs, aliases, options }));
}

/** The overlay networks a map needs on each swarm manager it deploys to: its own and `<map>_default`. */
export function swarmNetworks(map: ResolvedMap, clients: ClientConfigs): DesiredSwarmNetwork[] {
  const out: DesiredSwarmNetwork[] = [];
  const byManager = new Map<string, Set<string>>();
  for (const group of serviceGroups(map, clients)) {
    const keys = byManager.get(group.manager) ?? new Set<string>([DEFAULT_NETWORK_KEY]);
    for (const c of group.instances) for (const e of c.endpoints) keys.add(e.network);
    byManager.set(group.manager, keys);
  }
  for (const [manager, keys] of byManager) {
    for (const key of [...keys].sort()) out.push(swarmNetwork(map, manager, key));
  }
  return out;
}

function swarmNetwork(map: ResolvedMap, manager: string, key: string): DesiredSwarmNetwork {
  const defined = map.networks.find((n) => n.key === key);
  const name = swarmNetworkNameOf(map.name, key);
  const spec = {
    Name: name,
    Driver: "overlay" as const,
    // Attachable, so a one-off container (and berth's helpers) can join it.
    Attachable: true,
    Internal: defined?.internal ?? false,
    EnableIPv6: defined?.enable_ipv6 ?? false,
    Options: { ...(defined?.driver_options ?? {}) },
    Labels: { ...(defined?.labels ?? {}) },
    CheckDuplicate: true,
    ...(defined?.ipam === undefined ? {} : { IPAM: ipamForEngine(defined.ipam) }),
  };
  const specHash = digest(spec, 32);
  spec.Labels = {
    ...spec.Labels,
    [LABEL.map]: map.name,
    [LABEL.kind]: "network",
    [LABEL.alias]: key,
    [SWARM_LABEL.client]: manager,
    [LABEL.specHash]: specHash,
  };
  return { name, key, client: manager, spec, specHash };
}

/** The services of a map, each with its instances and the node clients it is limited to. */
export function serviceGroups(map: ResolvedMap, clients: ClientConfigs): ServiceGroup[] {
  const byConfig = new Map<string, ContainerInstance[]>();
  for (const container of map.containers) {
    if (swarmPlacement(container, clients) === undefined) continue;
    const list = byConfig.get(container.config) ?? [];
    list.push(container);
    byConfig.set(container.config, list);
  }
  const out: ServiceGroup[] = [];
  for (const [config, instances] of byConfig) {
    const placements = instances.map((c) => swarmPlacement(c, clients) as Placement);
    const first = placements[0] as Placement;
    const same = placements.every(
      (p) => p.manager === first.manager && p.nodes.join() === first.nodes.join(),
    );
    const folded = same && instances.every((c) => c.attaches.length === 0);
    if (folded) {
      out.push({
        name: serviceNameOf(map.name, config),
        manager: first.manager,
        config,
        instances,
        instanceNames: instances.flatMap((c) => (c.instance === null ? [] : [c.instance])),
        nodes: first.nodes,
      });
      continue;
    }
    instances.forEach((c, i) => {
      const placement = placements[i] as Placement;
      out.push({
        name: serviceNameOf(map.name, config, c.instance),
        manager: placement.manager,
        config,
        instances: [c],
        instanceNames: c.instance === null ? [] : [c.instance],
        nodes: placement.nodes,
      });
    });
  }
  return out;
}

interface Placement {
  manager: string;
  /** Node clients, sorted; [] when the manager itself (anywhere) is among the clients. */
  nodes: string[];
}

/** Where an instance runs on a swarm; undefined when it runs on plain engines. */
function swarmPlacement(container: ContainerInstance, clients: ClientConfigs): Placement | undefined {
  const managers = container.clients.map((c) => swarmManagerOf(clients, c));
  const manager = managers.find((m) => m !== undefined);
  if (manager === undefined) return undefined;
  // A config on the manager itself may run anywhere in the swarm.
  if (container.clients.some((c) => isSwarmManager(clients, c))) return { manager, nodes: [] };
  const nodes = [...new Set(container.clients.filter((c) => clients[c]?.swarm === manager))].sort();
  return { manager, nodes: nodes.length === nodeClientsOf(clients, manager).length ? [] : nodes };
}

/** Services another one waits to `complete`: they run as jobs. */
function completedDependencies(map: ResolvedMap, serviceOfKey: Map<string, string>): Set<string> {
  const out = new Set<string>();
  for (const container of map.containers) {
    for (const dependency of container.dependsOn) {
      const service = serviceOfKey.get(dependency.container);
      if (dependency.condition === "completed" && service !== undefined) out.add(service);
    }
  }
  return out;
}

/** Service → network key → the aliases other services' `links` give it there. */
type LinkAliases = Map<string, Map<string, Set<string>>>;

/**
 * `links` as network aliases of the linked service: a legacy link on the default overlay, a
 * network's link on that network when the linked service joins it (else on the default one).
 */
function linkAliases(
  map: ResolvedMap,
  groups: ServiceGroup[],
  serviceOfKey: Map<string, string>,
): LinkAliases {
  const joins = new Map<string, Set<string>>();
  for (const group of groups)
    joins.set(group.name, new Set(group.instances.flatMap((c) => c.endpoints.map((e) => e.network))));
  const out: LinkAliases = new Map();
  const add = (target: string, network: string, alias: string) => {
    const on = joins.get(target)?.has(network) === true ? network : DEFAULT_NETWORK_KEY;
    const byNetwork = out.get(target) ?? new Map<string, Set<string>>();
    const set = byNetwork.get(on) ?? new Set<string>();
    set.add(alias);
    byNetwork.set(on, set);
    out.set(target, byNetwork);
  };
  for (const container of map.containers) {
    if (!serviceOfKey.has(container.key)) continue;
    for (const link of container.links) {
      const target = serviceOfKey.get(link.container);
      if (target !== undefined) add(target, DEFAULT_NETWORK_KEY, link.alias);
    }
    for (const endpoint of container.endpoints) {
      for (const link of endpoint.links) {
        const target = serviceOfKey.get(link.container);
        if (target !== undefined) add(target, endpoint.network, link.alias);
      }
    }
  }
  return out;
}

interface ServiceInput {
  map: ResolvedMap;
  clients: ClientConfigs;
  group: ServiceGroup;
  serviceOfKey: Map<string, string>;
  jobs: Set<string>;
  aliases: LinkAliases;
  options: SwarmOptions;
}

function desiredService(input: ServiceInput): DesiredService {
  const { map, clients, group, options } = input;
  const first = group.instances[0] as ContainerInstance;
  const swarm = first.swarm ?? {};
  const kind = first.persistent || input.jobs.has(group.name) ? "job" : "service";
  const replicas = swarm.replicas ?? Math.max(1, group.instanceNames.length);
  const notes: string[] = [];
  const endpoint = endpointOf(first, swarm, options.ipvs ?? true, notes);
  const networks = serviceNetworks(map, group, input.aliases.get(group.name));
  const salt = options.salts?.[group.name] ?? newSalt();
  const containerSpec = containerSpecOf(map, first, hostnameOf(group), group.manager);
  const secrets = secretsOf(map, group, containerSpec, swarm.secrets === true, salt);
  const placement = placementOf(clients, group, swarm, hostModePorts(endpoint) && replicas > 1, notes);
  const spec: SwarmServiceSpec = {
    Name: group.name,
    Labels: {},
    TaskTemplate: {
      ContainerSpec: containerSpec,
      ...resourcesOf(first),
      ...restartPolicyOf(first.restart, kind),
      ...placement,
      ...logDriverOf(first),
      Networks: networks.map(({ name, aliases }) => ({
        Target: name,
        ...(aliases.length === 0 ? {} : { Aliases: aliases }),
      })),
    },
    Mode: modeOf(kind, replicas),
    ...(kind === "job" ? {} : updateConfigsOf(swarm)),
    EndpointSpec: endpoint,
  };
  const recorded = recordLabels(spec, salt, map.sensitive);
  spec.Labels = {
    [LABEL.map]: map.name,
    [LABEL.config]: group.config,
    [LABEL.kind]: kind,
    [LABEL.instance]: group.instances.length === 1 ? (first.instance ?? "") : "",
    [SWARM_LABEL.instances]: group.instanceNames.join(","),
    [SWARM_LABEL.client]: group.manager,
    ...recorded,
  };
  const volumes = [...first.attaches, ...first.usesVolumes].map((m) => ({
    name: m.name,
    ...(group.nodes.length === 1 ? { node: group.nodes[0] } : {}),
  }));
  const preparations = preparationsOf(map, group, first, placement.Placement?.Constraints ?? []);
  for (const p of preparations)
    notes.push(
      `volume ${p.volume} is node-local: the service is pinned to ${p.node}, where a job sets its owner and permissions first`,
    );
  return {
    name: group.name,
    client: group.manager,
    configKey: group.config,
    instances: group.instanceNames,
    instanceKeys: group.instances.map((c) => c.key),
    kind,
    spec,
    specHash: recorded[LABEL.specHash] as string,
    dependsOn: dependenciesOf(group, input.serviceOfKey),
    networks: networks.map((n) => n.name),
    volumes,
    healthcheck: first.healthcheck !== undefined && first.healthcheck.test[0] !== "NONE",
    secrets,
    preparations,
    sensitive: [...map.sensitive],
    notes,
  };
}

/** One hostname for all tasks when the instances agree; the per-task template when they differ. */
function hostnameOf(group: ServiceGroup): string | undefined {
  const names = new Set(group.instances.map((c) => c.hostname));
  if (names.size === 1) return group.instances[0]?.hostname;
  return TASK_HOSTNAME;
}

/**
 * Rolling updates one task at a time, rolled back when a task fails; what Swarm does by default
 * except the failure action (Swarm pauses, leaving a half-updated service).
 */
const DEFAULT_UPDATE: SwarmUpdateConfig = {
  Parallelism: 1,
  Delay: 0,
  FailureAction: "rollback",
  Monitor: 5e9,
  Order: "stop-first",
};

function updateConfigsOf(swarm: SwarmEntry): Pick<SwarmServiceSpec, "UpdateConfig" | "RollbackConfig"> {
  const given = swarm.update_config ?? {};
  const update: SwarmUpdateConfig = { ...DEFAULT_UPDATE };
  if (given.parallelism !== undefined) update.Parallelism = given.parallelism;
  if (given.delay !== undefined) update.Delay = parseDuration(given.delay);
  if (given.failure_action !== undefined) update.FailureAction = given.failure_action;
  if (given.monitor !== undefined) update.Monitor = parseDuration(given.monitor);
  if (given.max_failure_ratio !== undefined) update.MaxFailureRatio = given.max_failure_ratio;
  if (given.order !== undefined) update.Order = given.order;
  // A rollback that fails stops where it is: rolling back a rollback would loop.
  return { UpdateConfig: update, RollbackConfig: { ...update, FailureAction: "pause" } };
}

function modeOf(kind: "service" | "job", replicas: number): SwarmMode {
  return kind === "job"
    ? { ReplicatedJob: { MaxConcurrent: replicas, TotalCompletions: replicas } }
    : { Replicated: { Replicas: replicas } };
}

/** Node clients, `swarm.placement` constraints and preferences, and one task per node for host ports. */
function placementOf(
  clients: ClientConfigs,
  group: ServiceGroup,
  swarm: SwarmEntry,
  hostPorts: boolean,
  notes: string[],
): Pick<SwarmServiceSpec["TaskTemplate"], "Placement"> {
  const label = clients[group.manager]?.node_label;
  const constraints =
    group.nodes.length === 0 || label === undefined
      ? []
      : group.nodes.length === 1
        ? [`node.labels.${label}==${group.nodes[0] as string}`]
        : nodeClientsOf(clients, group.manager)
            .filter((n) => !group.nodes.includes(n))
            .map((n) => `node.labels.${label}!=${n}`);
  constraints.push(...(swarm.placement?.constraints ?? []).map((c) => c.replace(/\s+/g, "")));
  const placement: NonNullable<SwarmServiceSpec["TaskTemplate"]["Placement"]> = {};
  if (constraints.length > 0) placement.Constraints = constraints;
  const preferences = swarm.placement?.preferences ?? [];
  if (preferences.length > 0)
    placement.Preferences = preferences.map((p) => ({ Spread: { SpreadDescriptor: p } }));
  let max = swarm.placement?.max_replicas_per_node;
  // Two tasks on one node cannot both publish one host port: the second would never start.
  if (max === undefined && hostPorts) {
    max = 1;
    notes.push("one task per node: it publishes host-mode ports");
  } else if (max !== undefined && max > 1 && hostPorts)
    notes.push(
      `a second task on a node cannot publish its host-mode ports: it stays pending (max_replicas_per_node is ${max})`,
    );
  if (max !== undefined) placement.MaxReplicas = max;
  return Object.keys(placement).length === 0 ? {} : { Placement: placement };
}

/** The overlays a service joins, the default one first, each with the aliases it is known by there. */
function serviceNetworks(
  map: ResolvedMap,
  group: ServiceGroup,
  linked: Map<string, Set<string>> | undefined,
): { name: string; aliases: string[] }[] {
  const aliases = new Map<string, Set<string>>([[DEFAULT_NETWORK_KEY, new Set()]]);
  for (const container of group.instances) {
    for (const endpoint of container.endpoints) {
      const set = aliases.get(endpoint.network) ?? new Set<string>();
      for (const alias of endpoint.aliases) set.add(alias);
      aliases.set(endpoint.network, set);
    }
  }
  for (const [network, names] of linked ?? []) {
    const set = aliases.get(network) ?? new Set<string>();
    for (const alias of names) set.add(alias);
    aliases.set(network, set);
  }
  return [...aliases].map(([key, set]) => ({
    name: swarmNetworkNameOf(map.name, key),
    aliases: [...set].sort(),
  }));
}

function endpointOf(
  container: ContainerInstance,
  swarm: SwarmEntry,
  ipvs: boolean,
  notes: string[],
): NonNullable<SwarmServiceSpec["EndpointSpec"]> {
  let mode = swarm.endpoint_mode ?? (ipvs ? "vip" : "dnsrr");
  if (!ipvs) {
    if (mode === "vip") notes.push("`endpoint_mode: vip` asked, but the swarm's kernel has no IPVS");
    mode = "dnsrr";
    notes.push("endpoint mode dnsrr with host-mode ports: the swarm's kernel has no IPVS");
  }
  const ports = container.ports
    .filter((p) => p.hostPort !== undefined)
    .map((p): SwarmPort => {
      const [target, protocol] = p.port.split("/");
      return {
        Protocol: (protocol ?? "tcp") as SwarmPort["Protocol"],
        TargetPort: Number(target),
        PublishedPort: p.hostPort,
        // The routing mesh (ingress) needs a virtual IP; with DNS round robin a task publishes on its node.
        PublishMode: mode === "vip" ? "ingress" : "host",
      };
    })
    .sort((a, b) => a.TargetPort - b.TargetPort || compare(a.Protocol, b.Protocol));
  return { Mode: mode, ...(ports.length === 0 ? {} : { Ports: ports }) };
}

function hostModePorts(endpoint: NonNullable<SwarmServiceSpec["EndpointSpec"]>): boolean {
  return (endpoint.Ports ?? []).some((p) => p.PublishMode === "host");
}

function dependenciesOf(group: ServiceGroup, serviceOfKey: Map<string, string>): DesiredService["dependsOn"] {
  const out = new Map<string, DesiredService["dependsOn"][number]>();
  for (const container of group.instances) {
    for (const dependency of container.dependsOn) {
      const service = serviceOfKey.get(dependency.container);
      if (service === undefined || service === group.name) continue;
      out.set(`${service}\u0000${dependency.condition}`, { service, condition: dependency.condition });
    }
  }
  return [...out.values()].sort((a, b) => compare(a.service, b.service));
}
