import type { DockerEngine } from "../../src/engine/docker-engine.js";
import { EXTRA_ENGINES, extraEngine, SWARM, uniqueMapName } from "./engine.js";
import { tempFolder, writeMap } from "./cli.js";
import { removeSwarmMapObjects } from "./swarm-cleanup.js";

/**
 * The test swarm as a clients file sees it: `sw` is the manager (e4's engine) with node label
 * berth.test.node, and e4 and e5 its node clients (a config placed on one runs on that node).
 * Node clients have no address unless named in `addressed` (then their own engine's base_url:
 * berth can reach them, as `--volumes` needs).
 */
export function writeSwarmClients(
  dir: string,
  options: { addressed?: readonly ("e4" | "e5")[]; file?: string } = {},
): string {
  const node = (client: "e4" | "e5") =>
    options.addressed?.includes(client) === true
      ? `${client}: {swarm: sw, base_url: "${EXTRA_ENGINES[client]}"}`
      : `${client}: {swarm: sw}`;
  return writeMap(
    dir,
    [
      `sw: {base_url: "${EXTRA_ENGINES[SWARM.manager]}", mode: swarm, node_label: ${SWARM.nodeLabel}}`,
      node("e4"),
      node("e5"),
      "",
    ].join("\n"),
    options.file ?? "swarm-clients.yaml",
  );
}

export const manager = (): DockerEngine => extraEngine(SWARM.manager);

/** A task command that runs until stopped and ends at once on SIGTERM (no stop grace waited out). */
export const IDLE = "trap 'exit 0' TERM; while true; do sleep 1; done";

/**
 * The skeleton of a swarm test's map: a folder, the clients file, a unique map name, and map
 * files on the swarm (`name:` and `clients: [sw, e4, e5]` written for the test); `cleanup`
 * removes exactly the map's objects on both nodes, then the folder.
 */
export interface SwarmTestMap {
  name: string;
  dir: string;
  clientsFile: string;
  /** Writes a map file of the given configs (YAML), with the map's name and clients; returns its path. */
  write: (configs: string, file?: string) => string;
  /** `-f FILE --clients CLIENTS` for berth. */
  args: (file: string) => string[];
  /** The Docker name of a config's service. */
  service: (config: string) => string;
  cleanup: () => Promise<void>;
}

export function swarmTestMap(
  prefix: string,
  options: { addressed?: readonly ("e4" | "e5")[] } = {},
): SwarmTestMap {
  const folder = tempFolder(prefix);
  const clientsFile = writeSwarmClients(folder.dir, options);
  const name = uniqueMapName(prefix);
  return {
    name,
    dir: folder.dir,
    clientsFile,
    write: (configs, file = `${name}.yaml`) =>
      writeMap(folder.dir, `name: ${name}\nclients: [sw, e4, e5]\n${configs}`, file),
    args: (file) => ["-f", file, "--clients", clientsFile],
    service: (config) => `${name}-${config}`,
    cleanup: async () => {
      await removeSwarmMapObjects(name);
      folder.remove();
    },
  };
}

/** One running task of a service: the node's engine name (e4, e5) and its container. */
export interface TaskContainer {
  node: "e4" | "e5";
  containerId: string;
  slot: number | undefined;
}

/** The running tasks of a service, each with the node (by its berth.test.node label) and container. */
export async function runningTasks(service: string): Promise<TaskContainer[]> {
  const engine = manager();
  const nodes = new Map(
    (await engine.listNodes()).map((n) => [n.ID, n.Spec.Labels?.[SWARM.nodeLabel] as "e4" | "e5"]),
  );
  const tasks = await engine.listTasks({ service: [service], "desired-state": ["running"] });
  return tasks
    .filter((t) => t.Status.State === "running" && t.Status.ContainerStatus?.ContainerID !== undefined)
    .map((t) => ({
      node: nodes.get(t.NodeID ?? "") ?? "e4",
      containerId: t.Status.ContainerStatus?.ContainerID as string,
      slot: t.Slot,
    }))
    .sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0));
}
