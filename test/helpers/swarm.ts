import type { DockerEngine } from "../../src/engine/docker-engine.js";
import { EXTRA_ENGINES, extraEngine, SWARM } from "./engine.js";
import { writeMap } from "./cli.js";

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
