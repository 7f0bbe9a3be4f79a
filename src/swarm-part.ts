import { existsSync } from "node:fs";
import { socketPathOf } from "./engine/docker-context.js";
import { baseUrlEndpoint } from "./engine/docker-engine.js";
import type { LoadedMap } from "./load-map.js";
import type { ClientConfig } from "./map/clients-file.js";
import type { ObservedState } from "./observe/observed-state.js";
import type { SwarmDesired } from "./plan/swarm-planner.js";
import {
  desiredServices,
  isSwarmClient,
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
