import { digest } from "../common/canonical-json.js";
import type { ContainerInstance, ResolvedMap } from "../map/model.js";
import { LABEL } from "../model/labels.js";
import { newSalt, recordLabels, SWARM_LABEL } from "./service-record.js";
import { DEFAULT_NETWORK_KEY, serviceNameOf, swarmNetworkNameOf } from "./service-names.js";
import { isSwarmManager, nodeClientsOf, swarmManagerOf, type ClientConfigs } from "./swarm-clients.js";
import type {
  DesiredService,
  DesiredSwarmNetwork,
  SwarmContainerSpec,
  SwarmMode,
  SwarmPort,
  SwarmServiceSpec,
  SwarmUpdateConfig,
} from "./swarm-types.js";

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
interface ServiceGroup {
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
  return groups.map((group) => desiredService(map, clients, group, serviceOfKey, jobs, options));
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
    ...(defined?.ipam === undefined ? {} : { IPAM: defined.ipam }),
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
function serviceGroups(map: ResolvedMap, clients: ClientConfigs): ServiceGroup[] {
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

function desiredService(
  map: ResolvedMap,
  clients: ClientConfigs,
  group: ServiceGroup,
  serviceOfKey: Map<string, string>,
  jobs: Set<string>,
  options: SwarmOptions,
): DesiredService {
  const first = group.instances[0] as ContainerInstance;
  const kind = first.persistent || jobs.has(group.name) ? "job" : "service";
  const replicas = Math.max(1, group.instanceNames.length);
  const ipvs = options.ipvs ?? true;
  const notes: string[] = [];
  if (!ipvs) notes.push("endpoint mode dnsrr with host-mode ports: the swarm's kernel has no IPVS");
  const networks = serviceNetworks(map, group);
  const spec: SwarmServiceSpec = {
    Name: group.name,
    Labels: {},
    TaskTemplate: {
      ContainerSpec: containerSpecOf(first),
      ...placementOf(clients, group),
      ...(kind === "job" ? { RestartPolicy: { Condition: "none" as const } } : {}),
      Networks: networks.map(({ name, aliases }) => ({
        Target: name,
        ...(aliases.length === 0 ? {} : { Aliases: aliases }),
      })),
    },
    Mode: modeOf(kind, replicas),
    ...(kind === "job" ? {} : { UpdateConfig: DEFAULT_UPDATE, RollbackConfig: DEFAULT_ROLLBACK }),
    EndpointSpec: endpointOf(first, ipvs),
  };
  const salt = options.salts?.[group.name] ?? newSalt();
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
  return {
    name: group.name,
    client: group.manager,
    configKey: group.config,
    instances: group.instanceNames,
    instanceKeys: group.instances.map((c) => c.key),
    kind,
    spec,
    specHash: recorded[LABEL.specHash] as string,
    dependsOn: dependenciesOf(group, serviceOfKey),
    networks: networks.map((n) => n.name),
    volumes: [],
    healthcheck: first.healthcheck !== undefined && first.healthcheck.test[0] !== "NONE",
    sensitive: [...map.sensitive],
    notes,
  };
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
const DEFAULT_ROLLBACK: SwarmUpdateConfig = { ...DEFAULT_UPDATE, FailureAction: "pause" };

function modeOf(kind: "service" | "job", replicas: number): SwarmMode {
  return kind === "job"
    ? { ReplicatedJob: { MaxConcurrent: replicas, TotalCompletions: replicas } }
    : { Replicated: { Replicas: replicas } };
}

function containerSpecOf(container: ContainerInstance): SwarmContainerSpec {
  const spec: SwarmContainerSpec = { Image: container.image };
  if (Object.keys(container.labels).length > 0) spec.Labels = { ...container.labels };
  if (container.entrypoint !== undefined) spec.Command = container.entrypoint;
  if (container.command !== undefined) spec.Args = container.command;
  const env = Object.entries(container.environment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (env.length > 0) spec.Env = env.map(([name, value]) => `${name}=${value}`);
  return spec;
}

/** Node clients → constraints on the manager's node label. */
function placementOf(
  clients: ClientConfigs,
  group: ServiceGroup,
): Pick<SwarmServiceSpec["TaskTemplate"], "Placement"> {
  if (group.nodes.length === 0) return {};
  const label = clients[group.manager]?.node_label as string;
  const constraints =
    group.nodes.length === 1
      ? [`node.labels.${label}==${group.nodes[0] as string}`]
      : nodeClientsOf(clients, group.manager)
          .filter((n) => !group.nodes.includes(n))
          .map((n) => `node.labels.${label}!=${n}`);
  return { Placement: { Constraints: constraints } };
}

/** The overlays a service joins, the default one first, each with the aliases it is known by there. */
function serviceNetworks(map: ResolvedMap, group: ServiceGroup): { name: string; aliases: string[] }[] {
  const aliases = new Map<string, Set<string>>([[DEFAULT_NETWORK_KEY, new Set()]]);
  for (const container of group.instances) {
    for (const endpoint of container.endpoints) {
      const set = aliases.get(endpoint.network) ?? new Set<string>();
      for (const alias of endpoint.aliases) set.add(alias);
      aliases.set(endpoint.network, set);
    }
  }
  return [...aliases].map(([key, set]) => ({
    name: swarmNetworkNameOf(map.name, key),
    aliases: [...set].sort(),
  }));
}

function endpointOf(container: ContainerInstance, ipvs: boolean): SwarmServiceSpec["EndpointSpec"] {
  const ports = container.ports
    .filter((p) => p.hostPort !== undefined)
    .map((p): SwarmPort => {
      const [target, protocol] = p.port.split("/");
      return {
        Protocol: (protocol ?? "tcp") as SwarmPort["Protocol"],
        TargetPort: Number(target),
        PublishedPort: p.hostPort,
        PublishMode: ipvs ? "ingress" : "host",
      };
    });
  return { Mode: ipvs ? "vip" : "dnsrr", ...(ports.length === 0 ? {} : { Ports: ports }) };
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
  return [...out.values()].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
}
