import type { EngineReader } from "../engine/engine.js";
import type { NodeSummary, ServiceSummary, TaskSummary } from "../engine/swarm-types.js";
import { LABEL } from "../model/labels.js";
import type {
  ObservedNode,
  ObservedService,
  ObservedSwarm,
  ObservedTask,
  ServiceMode,
} from "./observed-state.js";

/**
 * What a swarm manager runs for berth, in three calls whatever the map's size: the services with
 * berth's map label (with their task counts), every task of the swarm (kept: those of these
 * services), every node.
 */
export async function observeSwarm(engine: EngineReader): Promise<ObservedSwarm> {
  const [services, tasks, nodes] = await Promise.all([
    engine.listServices({ [LABEL.map]: true }),
    engine.listTasks(),
    engine.listNodes(),
  ]);
  const ours = new Set(services.map((s) => s.ID));
  return {
    services: services.map(observedService),
    tasks: tasks.filter((t) => ours.has(t.ServiceID)).map(observedTask),
    nodes: nodes.map(observedNode),
  };
}

export function observedService(service: ServiceSummary): ObservedService {
  const labels = service.Spec.Labels ?? {};
  const mode = service.Spec.Mode ?? {};
  const replicas = mode.Replicated?.Replicas ?? mode.ReplicatedJob?.TotalCompletions ?? 1;
  return {
    id: service.ID,
    name: service.Spec.Name,
    version: service.Version.Index,
    labels,
    mapName: labels[LABEL.map],
    kind: labels[LABEL.kind],
    specHash: labels[LABEL.specHash],
    replicas,
    mode: modeOf(mode),
    runningTasks: service.ServiceStatus?.RunningTasks ?? 0,
    desiredTasks: service.ServiceStatus?.DesiredTasks ?? replicas,
    updateState: service.UpdateStatus?.State,
    updateMessage: service.UpdateStatus?.Message,
    // The engine leaves out an index of 0: `JobIteration: {}` is the first run.
    jobIteration: service.JobStatus === undefined ? undefined : (service.JobStatus.JobIteration?.Index ?? 0),
  };
}

function modeOf(mode: NonNullable<ServiceSummary["Spec"]["Mode"]>): ServiceMode {
  if (mode.Global !== undefined) return "global";
  if (mode.ReplicatedJob !== undefined) return "replicated-job";
  if (mode.GlobalJob !== undefined) return "global-job";
  return "replicated";
}

export function observedTask(task: TaskSummary): ObservedTask {
  const container = task.Status.ContainerStatus;
  return {
    id: task.ID,
    serviceId: task.ServiceID,
    nodeId: task.NodeID,
    slot: task.Slot,
    state: task.Status.State,
    desiredState: task.DesiredState,
    message: task.Status.Message ?? "",
    error: task.Status.Err === undefined || task.Status.Err === "" ? undefined : task.Status.Err,
    containerId: container?.ContainerID,
    exitCode: container?.ExitCode,
    jobIteration: task.JobIteration === undefined ? undefined : (task.JobIteration.Index ?? 0),
    since: Date.parse(task.Status.Timestamp ?? task.UpdatedAt) || 0,
  };
}

function observedNode(node: NodeSummary): ObservedNode {
  return {
    id: node.ID,
    hostname: node.Description?.Hostname ?? "",
    labels: node.Spec.Labels ?? {},
    state: node.Status.State,
    availability: node.Spec.Availability ?? "active",
    role: node.Spec.Role ?? "worker",
  };
}
