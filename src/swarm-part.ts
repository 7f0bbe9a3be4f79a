import { existsSync } from "node:fs";
import { socketPathOf } from "./engine/docker-context.js";
import { baseUrlEndpoint } from "./engine/docker-engine.js";
import type { LoadedMap } from "./load-map.js";
import type { ClientConfig } from "./map/clients-file.js";
import type { ObservedNode, ObservedState } from "./observe/observed-state.js";
import type { SwarmDesired, SwarmNodeObserved, SwarmNodeVolumes } from "./plan/swarm-planner.js";
import type { EngineReader } from "./engine/engine.js";
import { isEngineUnreachableError } from "./engine/engine-errors.js";
import { LABEL } from "./model/labels.js";
import { PlanError } from "./plan/plan-context.js";
import {
  desiredServices,
  isSwarmClient,
  nodeClientsOf,
  SWARM_LABEL,
  recordedSalt,
  swarmManagerOf,
  swarmNetworks,
} from "./swarm/swarm.js";

/**
 * The map's Swarm part, seen from the run: which clients run services (a swarm manager and its
 * node clients), which engines berth talks to for them (the managers only), and what each
 * manager should run once its services were observed.
 */

/** The map's clients whose configs run as services (managers and node clients), sorted. */
export function swarmClientsOf(map: LoadedMap, clients: Readonly<Record<string, ClientConfig>>): string[] {
  return map.resolved.clients.filter((c) => isSwarmClient(clients, c)).sort();
}

/** The swarm managers that deploy the map's services, sorted. */
export function swarmManagersOf(map: LoadedMap, clients: Readonly<Record<string, ClientConfig>>): string[] {
  const managers = new Set<string>();
  for (const client of map.resolved.clients) {
    const manager = swarmManagerOf(clients, client);
    if (manager !== undefined) managers.add(manager);
  }
  return [...managers].sort();
}

/**
 * The engines berth talks to for a map: its plain clients, and the swarm manager of each swarm
 * client (a node client is reached through its manager, never directly).
 */
export function engineClientsOf(map: LoadedMap, clients: Readonly<Record<string, ClientConfig>>): string[] {
  const plain = map.resolved.clients.filter((c) => !isSwarmClient(clients, c));
  return [...new Set([...plain, ...swarmManagersOf(map, clients)])].sort();
}

/**
 * Whether the swarm's kernel routes virtual IPs (IPVS): without it the VIP and the ingress
 * routing mesh fail silently. The Engine API does not say; an engine on this machine (a unix
 * socket) shares this kernel, whose /proc/net/ip_vs is the fact. For a remote manager berth
 * assumes IPVS, unless BERTH_SWARM_IPVS is `0` (or `1`) says otherwise.
 */
export function swarmHasIpvs(
  config: ClientConfig | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
  procFile = "/proc/net/ip_vs",
): boolean {
  const forced = env.BERTH_SWARM_IPVS;
  if (forced === "0" || forced === "1") return forced === "1";
  const endpoint =
    config?.endpoint ?? (config?.base_url === undefined ? undefined : baseUrlEndpoint(config.base_url));
  const local = endpoint === undefined || socketPathOf(endpoint) !== undefined;
  return local ? existsSync(procFile) : true;
}

/**
 * What each manager should run: the desired services (built with the salt recorded on each
 * existing service, so an unchanged one hashes the same) and overlays, by manager.
 */
export function swarmDesired(
  map: LoadedMap,
  clients: Readonly<Record<string, ClientConfig>>,
  observed: ObservedState,
): SwarmDesired[] {
  const managers = swarmManagersOf(map, clients);
  if (managers.length === 0) return [];
  const salts: Record<string, string> = {};
  for (const manager of managers) {
    for (const service of observed.clients[manager]?.swarm?.services ?? []) {
      if (service.mapName !== map.name) continue;
      const salt = recordedSalt(service.labels);
      if (salt !== undefined) salts[service.name] = salt;
    }
  }
  return managers.map((manager) => {
    const ipvs = swarmHasIpvs(clients[manager]);
    const services = desiredServices(map.resolved, clients, { ipvs, salts }).filter(
      (s) => s.client === manager,
    );
    const networks = swarmNetworks(map.resolved, clients).filter((n) => n.client === manager);
    return { manager, services, networks, ipvs };
  });
}

/** The swarm label Docker puts on a task's container: the name of its service. */
const TASK_SERVICE_LABEL = "com.docker.swarm.service.name";

/** A node client berth can open: it has its own `base_url` or Docker context. */
export function nodeHasAddress(config: ClientConfig | undefined): boolean {
  return config?.base_url !== undefined || config?.endpoint !== undefined;
}

/** The node clients of the map's swarms that berth can open (own base_url or context), sorted. */
export function reachableNodesOf(map: LoadedMap, clients: Readonly<Record<string, ClientConfig>>): string[] {
  return swarmManagersOf(map, clients)
    .flatMap((manager) => nodeClientsOf(clients, manager))
    .filter((node) => nodeHasAddress(clients[node]))
    .sort();
}

/**
 * The map's volumes on each node of a swarm berth can reach (the manager and its node clients
 * with an address): one volume list per node (berth's labels), and one container list on a node
 * that holds some, for the task containers of the map's services that mount them. Looked at only
 * for `--volumes` on shutdown or remove. A node client without an address is unreachable, unless
 * it stands for the manager's own node (one `GET /info` of the manager tells): the manager's
 * engine lists and removes the volumes there.
 */
export async function observeNodeVolumes(
  map: LoadedMap,
  clients: Readonly<Record<string, ClientConfig>>,
  desired: SwarmDesired,
  observed: ObservedState,
  readers: Readonly<Record<string, EngineReader>>,
  skip: Readonly<Record<string, string>>,
): Promise<SwarmNodeVolumes> {
  const { manager } = desired;
  const services = new Set([
    ...desired.services.map((s) => s.name),
    ...(observed.clients[manager]?.swarm?.services ?? [])
      .filter((s) => s.mapName === map.name)
      .map((s) => s.name),
  ]);
  const ours = (service: string | undefined) =>
    service !== undefined &&
    (services.has(service) || [...services].some((s) => service.startsWith(`${s}-prep-`)));
  const out: SwarmNodeVolumes = { nodes: [], unreachable: [] };
  const nodes = [manager, ...nodeClientsOf(clients, manager)];
  const ownNode = lazyOwnNode(readers[manager], skip, manager);
  for (const node of nodes) {
    if (node !== manager && !nodeHasAddress(clients[node])) {
      // The manager's own node: its volumes are those the manager's engine lists (below).
      const labelled = nodeIdOfClient(observed.clients[manager]?.swarm?.nodes ?? [], clients[manager], node);
      if (labelled !== undefined && labelled === (await ownNode())) continue;
      out.unreachable.push({ client: node, why: "no base_url or context in the clients file" });
      continue;
    }
    if (node in skip) {
      out.unreachable.push({ client: node, why: skip[node] ?? "did not answer", down: true });
      continue;
    }
    const reader = readers[node];
    // A first look through other readers cannot see the node: the look through the engines does.
    if (reader === undefined) throw new PlanError(`no engine for swarm node client ${node}`);
    try {
      out.nodes.push(await observeNode(reader, node, map.name, manager, ours));
    } catch (err) {
      if (!isEngineUnreachableError(err)) throw err;
      out.unreachable.push({ client: node, why: "its engine did not answer", down: true });
    }
  }
  return out;
}

/**
 * The swarm node a node client stands for: the one whose node label (the manager's `node_label`)
 * is the client's name; undefined when no node, or more than one, has it.
 */
export function nodeIdOfClient(
  nodes: readonly ObservedNode[],
  managerConfig: ClientConfig | undefined,
  client: string,
): string | undefined {
  const label = managerConfig?.node_label;
  if (label === undefined) return undefined;
  const found = nodes.filter((n) => n.labels[label] === client);
  return found.length === 1 ? found[0]?.id : undefined;
}

/** The manager engine's own node id (`GET /info`, asked once, only when needed); undefined when unknown. */
function lazyOwnNode(
  reader: EngineReader | undefined,
  skip: Readonly<Record<string, string>>,
  manager: string,
): () => Promise<string | undefined> {
  let asked: Promise<string | undefined> | undefined;
  return () => {
    if (reader === undefined || manager in skip) return Promise.resolve(undefined);
    asked ??= reader.info().then(
      (info) => info.Swarm?.NodeID,
      (err: unknown) => {
        if (isEngineUnreachableError(err)) return undefined;
        throw err;
      },
    );
    return asked;
  };
}

async function observeNode(
  reader: EngineReader,
  node: string,
  mapName: string,
  manager: string,
  ours: (service: string | undefined) => boolean,
): Promise<SwarmNodeObserved> {
  const volumes = (await reader.listVolumes({ [LABEL.map]: mapName, [LABEL.kind]: "volume" }))
    .filter((v) => v.Labels?.[SWARM_LABEL.client] === manager)
    .map((v) => ({ name: v.Name, key: v.Labels?.[LABEL.alias] }));
  if (volumes.length === 0) return { client: node, volumes, tasks: [] };
  const names = new Set(volumes.map((v) => v.name));
  const tasks = (await reader.listContainers({ [TASK_SERVICE_LABEL]: true }))
    .filter((c) => ours(c.Labels?.[TASK_SERVICE_LABEL]))
    .map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? c.Id).replace(/^\//, ""),
      service: c.Labels?.[TASK_SERVICE_LABEL] ?? "",
      volumes: (c.Mounts ?? []).flatMap((m) => (m.Type === "volume" && m.Name !== undefined ? [m.Name] : [])),
    }))
    .filter((t) => t.volumes.some((v) => names.has(v)));
  return { client: node, volumes, tasks };
}
