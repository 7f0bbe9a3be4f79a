import type { ClientConfig } from "../../map/clients-file.js";
import type { ObservedNode, ObservedState, ObservedTask } from "../../observe/observed-state.js";
import { downNodes, isRunning, replicasOf, type SwarmDesired } from "../../plan/swarm-planner.js";

/** One service of the map on a swarm manager, as `status` shows it. */
export interface ServiceStatusRow {
  kind: "service" | "node";
  name: string;
  client: string;
  key?: string;
  /**
   * A service: `running` (every replica), `completed` (a job), `partial`, `stopped` (scaled to 0),
   * `missing`, `name-taken`;
   * a node: `ready`, `down`, `disconnected`, `unknown`.
   */
  state: string;
  /** A service: tasks running and replicas wanted (a job: completed and completions wanted). */
  replicas?: { running: number; desired: number };
  /** A service's current tasks: slot, node, state and what the swarm says of it. */
  tasks?: { slot?: number; node: string; state: string; message: string }[];
  outdated: string[];
}

/**
 * The rows of a map's services on each swarm manager (service, replicas running / desired, every
 * current task with its node and state) and of the swarm's nodes — a node that is down shows.
 */
export function swarmStatusRows(
  swarm: readonly SwarmDesired[],
  observed: ObservedState,
  clients: Readonly<Record<string, ClientConfig>>,
  mapName: string,
  selected: ReadonlySet<string>,
  outdated: ReadonlyMap<string, string[]>,
): ServiceStatusRow[] {
  const rows: ServiceStatusRow[] = [];
  for (const desired of swarm) {
    const seen = observed.clients[desired.manager]?.swarm;
    if (seen === undefined) continue;
    const nodeName = nodeNamer(seen.nodes, clients[desired.manager]?.node_label);
    const byName = new Map(seen.services.map((s) => [s.name, s]));
    for (const service of desired.services) {
      if (!service.instanceKeys.some((k) => selected.has(k))) continue;
      const found = byName.get(service.name);
      const wanted = replicasOf(service);
      const row: ServiceStatusRow = {
        kind: "service",
        name: service.name,
        client: desired.manager,
        key: service.configKey,
        state: "missing",
        outdated: outdated.get(`service:${desired.manager}/${service.name}`) ?? [],
      };
      if (found !== undefined && found.mapName !== mapName) row.state = "name-taken";
      if (found !== undefined && found.mapName === mapName) {
        const tasks = seen.tasks.filter((t) => t.serviceId === found.id && isCurrent(t, found.jobIteration));
        const job = service.kind === "job";
        const down = downNodes(seen.nodes);
        const count = tasks.filter((t) => (job ? t.state === "complete" : isRunning(t, down))).length;
        row.state = count >= wanted ? (job ? "completed" : "running") : "partial";
        // Scaled to 0 (`berth stop`): stopped, as a stopped container is; `start` brings it back.
        if (!job && found.replicas === 0 && count === 0) row.state = "stopped";
        row.replicas = { running: count, desired: wanted };
        row.tasks = tasks
          .sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0) || b.since - a.since)
          .map((t) => ({
            ...(t.slot === undefined ? {} : { slot: t.slot }),
            node: t.nodeId === undefined || t.nodeId === "" ? "(not placed)" : nodeName(t.nodeId),
            state: down.has(t.nodeId ?? "") ? `${t.state}, node down` : t.state,
            message: t.error ?? t.message,
          }));
      }
      rows.push(row);
    }
    for (const node of [...seen.nodes].sort((a, b) => nodeName(a.id).localeCompare(nodeName(b.id))))
      rows.push({
        kind: "node",
        name: nodeName(node.id),
        client: desired.manager,
        state: node.state,
        outdated: [],
      });
  }
  return rows;
}

/** A task that belongs to the service as it is: meant to run, or of a job's current run. */
function isCurrent(task: ObservedTask, jobIteration: number | undefined): boolean {
  if (jobIteration !== undefined) return task.jobIteration === jobIteration;
  return task.desiredState === "running" || task.state === "running";
}

/** A node's name for people: its node label (the node client's name), else its hostname and short id. */
function nodeNamer(nodes: readonly ObservedNode[], label: string | undefined): (id: string) => string {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return (id) => {
    const node = byId.get(id);
    const named = label === undefined ? undefined : node?.labels[label];
    return named ?? `${node?.hostname ?? "node"}/${id.slice(0, 12)}`;
  };
}

/** `3/3 running`, `1/3 partial`; a task line `task 2 on e5: pending (no suitable node …)`. */
export function describeServiceRow(row: Pick<ServiceStatusRow, "state" | "replicas" | "tasks">): {
  state: string;
  details: string[];
} {
  if (row.replicas === undefined) return { state: row.state, details: [] };
  const state = `${row.replicas.running}/${row.replicas.desired} ${row.state}`;
  const details = (row.tasks ?? []).map(
    (t) => `task ${t.slot ?? "-"} on ${t.node}: ${t.state}${t.message === "" ? "" : ` (${t.message})`}`,
  );
  return { state, details };
}
