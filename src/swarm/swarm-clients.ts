import type { ClientConfig } from "../map/clients-file.js";

/** The clients of a clients file, by name (an empty record when the map runs without one). */
export type ClientConfigs = Readonly<Record<string, ClientConfig>>;

/** A swarm manager: the configs placed on it run as services. */
export function isSwarmManager(clients: ClientConfigs, name: string): boolean {
  return clients[name]?.mode === "swarm";
}

/**
 * Whether configs placed on this client run on a swarm: the client is a swarm manager, or a node
 * of one (`swarm: <manager>` in the clients file).
 */
export function isSwarmClient(clients: ClientConfigs, name: string): boolean {
  return swarmManagerOf(clients, name) !== undefined;
}

/** The manager client that deploys what is placed on `name`; undefined for a plain engine. */
export function swarmManagerOf(clients: ClientConfigs, name: string): string | undefined {
  const config = clients[name];
  if (config?.mode === "swarm") return name;
  return config?.swarm;
}

/** The node clients of a manager (the clients file's `swarm: <manager>` entries), sorted. */
export function nodeClientsOf(clients: ClientConfigs, manager: string): string[] {
  return Object.entries(clients)
    .filter(([, config]) => config.swarm === manager)
    .map(([name]) => name)
    .sort();
}
