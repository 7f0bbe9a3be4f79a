import { compareText } from "../common/text.js";
import { LABEL } from "../model/labels.js";
import type {
  ObservedClient,
  ObservedNode,
  ObservedService,
  ObservedSwarm,
  ObservedTask,
} from "../observe/observed-state.js";
import {
  serviceChanges,
  SWARM_LABEL,
  type DesiredService,
  type DesiredSwarmNetwork,
} from "../swarm/swarm.js";
import type { PlanBuilder } from "./plan-builder.js";
import { PlanError } from "./plan-context.js";
import type { ObjectRef, PlanOptions, Reason, ServiceCondition } from "./plan-types.js";

/** What berth wants on one swarm manager, worked out before planning (see reconcile.ts). */
export interface SwarmDesired {
  /** The manager's client. */
  manager: string;
  services: DesiredService[];
  networks: DesiredSwarmNetwork[];
  /** Whether the swarm's kernel routes virtual IPs; without, services use dnsrr and host-mode ports. */
  ipvs: boolean;
  /**
   * The map's named volumes on the swarm's nodes, looked at (observed) only for `shutdown
   * --volumes` and `remove --volumes`: undefined otherwise (see reconcile.ts).
   */
  nodeVolumes?: SwarmNodeVolumes;
}

/** What berth saw of the map's volumes on the nodes of one swarm it can reach. */
export interface SwarmNodeVolumes {
  /** Per reachable node engine (the manager's own included), by client name. */
  nodes: SwarmNodeObserved[];
  /**
   * Node clients berth cannot reach (no `base_url` or `context`, and not the manager's own node),
   * or that did not answer (`down`), with why: their volumes are left undone (Plan.undone).
   */
  unreachable: { client: string; why: string; down?: boolean }[];
}

export interface SwarmNodeObserved {
  client: string;
  /** The map's volumes of this swarm on the node (berth's labels: map, kind volume, swarm client). */
  volumes: { name: string; key: string | undefined }[];
  /** Task containers of the map's services on the node (left after `service rm`, e.g. a completed job's). */
  tasks: { id: string; name: string; service: string; volumes: string[] }[];
}

export interface SwarmPlanInput {
  mapName: string;
  desired: SwarmDesired;
  observed: ObservedClient;
  options: PlanOptions;
  builder: PlanBuilder;
  /** The map's instance keys the targets name (every one without targets). */
  selected: ReadonlySet<string>;
}

/**
 * Plans one swarm manager's part of a map: its overlay networks and its services (or jobs),
 * compared with what berth recorded on them (serviceChanges), with reasons per field. Pure.
 *
 * Swarm has no ordering between services: berth gives it. A service is created or updated only
 * once the services it depends on are ready — every replica running (healthy, for one with a
 * health check, since Swarm holds such a task in `starting` until it is), a job completed — by a
 * `wait-service` step after each create or update, which the dependents' steps wait for.
 */
export function planSwarm(input: SwarmPlanInput): void {
  const { options } = input;
  const swarm = input.observed.swarm;
  if (swarm === undefined)
    throw new PlanError(`no observation of the swarm of client ${input.desired.manager}`);
  if (options.action === "startup" || options.action === "update") {
    if (!input.desired.ipvs && input.desired.services.length > 0)
      input.builder.warn(
        `swarm manager \`${input.desired.manager}\`: the kernel has no IPVS (/proc/net/ip_vs is missing), so virtual IPs and the ingress routing mesh would fail silently: services use endpoint mode dnsrr and host-mode published ports`,
      );
    planSwarmReconcile(input, swarm);
    return;
  }
  if (options.action === "shutdown" || options.action === "remove") {
    planSwarmTeardown(input, swarm);
    return;
  }
  planSwarmActions(input, swarm);
}

// ---- startup and update ------------------------------------------------------------------------

function planSwarmReconcile(input: SwarmPlanInput, swarm: ObservedSwarm): void {
  const { desired, mapName } = input;
  const byName = new Map(swarm.services.map((s) => [s.name, s]));
  const wanted = selectedServices(desired.services, input.selected);
  const networkSteps = planNetworks(input, wanted);
  /** The step after which a service counts as ready, for its dependents (undefined: it is). */
  const ready = new Map<string, string | undefined>();
  for (const service of dependencyOrder(wanted)) {
    const observed = byName.get(service.name);
    if (observed !== undefined && observed.mapName !== mapName)
      throw new PlanError(
        `${desired.manager}: service name \`${service.name}\` (config \`${service.configKey}\`) is taken by a service that is not this map's${observed.mapName === undefined ? "" : ` (map \`${observed.mapName}\`)`}`,
        { hint: "remove or rename that service, or rename the map or the config" },
      );
    const after = [
      ...service.networks.map((n) => networkSteps.get(n)),
      ...service.dependsOn.map((d) => ready.get(d.service)),
    ];
    ready.set(service.name, planService(input, service, observed, swarm, after));
  }
  planOrphanServices(input, swarm);
}

/** The desired services the targets name, and every service they depend on (in the map's order). */
function selectedServices(
  services: readonly DesiredService[],
  selected: ReadonlySet<string>,
): DesiredService[] {
  const named = services.filter((s) => s.instanceKeys.some((k) => selected.has(k)));
  const keep = new Set(withDependencies(services, named).map((s) => s.name));
  return services.filter((s) => keep.has(s.name));
}

/** Dependencies before their dependents; otherwise in the map's order (a cycle is refused at load). */
export function dependencyOrder(services: readonly DesiredService[]): DesiredService[] {
  return withDependencies(services, services);
}

/** `roots` and every service they depend on, dependencies before their dependents. */
function withDependencies(
  services: readonly DesiredService[],
  roots: readonly DesiredService[],
): DesiredService[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const out: DesiredService[] = [];
  const seen = new Set<string>();
  const visit = (service: DesiredService) => {
    if (seen.has(service.name)) return;
    seen.add(service.name);
    for (const d of service.dependsOn) {
      const dependency = byName.get(d.service);
      if (dependency !== undefined) visit(dependency);
    }
    out.push(service);
  };
  for (const root of roots) visit(root);
  return out;
}

/** Creates the overlays the services need that do not exist; returns their create steps by name. */
function planNetworks(input: SwarmPlanInput, services: readonly DesiredService[]): Map<string, string> {
  const { desired, builder, mapName, observed } = input;
  const needed = new Set(services.flatMap((s) => s.networks));
  const steps = new Map<string, string>();
  for (const network of desired.networks) {
    if (!needed.has(network.name)) continue;
    const object: ObjectRef = {
      kind: "network",
      name: network.name,
      client: desired.manager,
      key: network.key,
    };
    const found = observed.networks.filter((n) => n.name === network.name);
    const existing = found[0];
    builder.fingerprint({ object, id: existing?.id ?? null });
    if (existing === undefined) {
      builder.change(object, "create", [{ message: "overlay network does not exist" }]);
      steps.set(network.name, builder.add({ type: "create-swarm-network", object }));
      continue;
    }
    if (existing.mapName !== mapName)
      throw new PlanError(
        `${desired.manager}: network name \`${network.name}\` is taken by a network that is not this map's`,
        { hint: "remove or rename that network, or rename the map" },
      );
    if (existing.driver !== "overlay")
      throw new PlanError(
        `${desired.manager}: network \`${network.name}\` has driver ${existing.driver}, not overlay: services cannot join it`,
        {
          hint: `remove it (\`berth shutdown\` of the map, or \`docker network rm ${network.name}\`), then run again`,
        },
      );
    if (existing.labels[LABEL.specHash] !== network.specHash) {
      // Left as it is, and said so: an empty plan must not read as "the engine matches the map".
      builder.change(object, "outdated", [
        { message: "overlay network differs from the map; berth does not recreate a network services use" },
      ]);
      builder.warn(
        `${desired.manager}: overlay network \`${network.name}\` differs from the map; berth does not recreate a network services use: shut the map down and start it again to apply it`,
      );
    }
  }
  return steps;
}

/**
 * One service: created, updated (its changed fields as reasons), or left as it is; then waited
 * for when it changed or is not running all its replicas. Returns the step its dependents wait for.
 */
function planService(
  input: SwarmPlanInput,
  service: DesiredService,
  observed: ObservedService | undefined,
  swarm: ObservedSwarm,
  after: (string | undefined)[],
): string | undefined {
  const { builder, options } = input;
  const object = serviceRef(service);
  builder.fingerprint({ object, id: observed?.id ?? null, specHash: observed?.specHash ?? null });
  const notes = service.notes.map((message): Reason => ({ message }));
  if (observed === undefined) {
    builder.change(object, "create", [{ message: `${service.kind} does not exist` }, ...notes]);
    const created = builder.add({
      type: "create-service",
      object,
      service: service.name,
      kind: service.kind,
      after,
    });
    return waitFor(builder, service, object, [created]);
  }
  const changes = serviceChanges(service, observed.labels);
  if (changes.length > 0) {
    const reasons = changes.map((c): Reason => ({ message: c.reason, field: c.field }));
    if (options.action === "startup") {
      builder.change(object, "outdated", [...reasons, { message: "`berth update` applies it" }]);
    } else {
      builder.change(object, "update", reasons);
      const updated = builder.add({
        type: "update-service",
        object,
        service: service.name,
        serviceId: observed.id,
        version: observed.version,
        fields: changes.map((c) => c.field),
        after,
      });
      return waitFor(builder, service, object, [updated]);
    }
  }
  // Replicas set elsewhere (`berth stop`, `docker service scale`) are not in berth's labels: the
  // map's count is set again, alone, without a rolling update.
  return runMapReplicas(input, service, observed, swarm, after);
}

/**
 * A service that is to run the map's replicas: scaled back to them (see planScaleToMap), or
 * waited for while it is short of them. Returns the step its dependents wait for.
 */
function runMapReplicas(
  input: SwarmPlanInput,
  service: DesiredService,
  observed: ObservedService,
  swarm: ObservedSwarm,
  after: (string | undefined)[],
): string | undefined {
  const object = serviceRef(service);
  const scaled = planScaleToMap(input, service, observed, object, after);
  if (scaled !== undefined) return scaled;
  const short = shortOfReplicas(service, observed, swarm);
  if (short === undefined) return undefined;
  input.builder.change(object, "start", [{ message: short }]);
  return waitFor(input.builder, service, object, after);
}

/**
 * A replicated service whose replica count is not the map's: scaled to the map's (`start` when it
 * was stopped at 0, else `update` of the field), then waited for. Undefined when the count is the
 * map's (or the service cannot be scaled).
 */
function planScaleToMap(
  input: SwarmPlanInput,
  service: DesiredService,
  observed: ObservedService,
  object: ObjectRef,
  after: (string | undefined)[],
  reason?: Reason,
): string | undefined {
  const wanted = replicasOf(service);
  if (service.kind !== "service" || !isScalable(observed) || observed.replicas === wanted) return undefined;
  const { builder } = input;
  if (observed.replicas === 0)
    builder.change(object, input.options.action === "restart" ? "restart" : "start", [
      reason ?? {
        message: `stopped (0 replicas, by \`berth stop\` or by hand): scaled back to the map's ${wanted}`,
      },
    ]);
  else
    builder.change(object, "update", [
      { message: "replicas changed", field: "replicas", old: observed.replicas, new: wanted },
    ]);
  const scaled = builder.add({
    type: "scale-service",
    object,
    service: service.name,
    serviceId: observed.id,
    version: observed.version,
    replicas: wanted,
    after,
  });
  return waitFor(builder, service, object, [scaled]);
}

/** A replicated service (not global, not a job): its replica count can be set. */
function isScalable(observed: ObservedService): boolean {
  return (observed.mode ?? (observed.kind === "job" ? "replicated-job" : "replicated")) === "replicated";
}

function waitFor(
  builder: PlanBuilder,
  service: DesiredService,
  object: ObjectRef,
  after: (string | undefined)[],
): string {
  return builder.add({
    type: "wait-service",
    object,
    service: service.name,
    condition: conditionOf(service),
    replicas: replicasOf(service),
    after,
  });
}

/** What a service's dependents wait for: a job to complete; a service's tasks to run (healthy when checked). */
export function conditionOf(service: Pick<DesiredService, "kind" | "healthcheck">): ServiceCondition {
  if (service.kind === "job") return "completed";
  return service.healthcheck ? "healthy" : "running";
}

export function replicasOf(service: Pick<DesiredService, "spec">): number {
  const mode = service.spec.Mode;
  return "Replicated" in mode ? mode.Replicated.Replicas : mode.ReplicatedJob.TotalCompletions;
}

/**
 * Why an unchanged service does not run the map (fewer tasks running than replicas, with what
 * the tasks that do not run say: "no suitable node", an image missing on a node); undefined when
 * it does. A job that completed is fine; one whose tasks failed is reported.
 */
export function shortOfReplicas(
  service: Pick<DesiredService, "kind" | "spec">,
  observed: ObservedService,
  swarm: ObservedSwarm,
): string | undefined {
  const tasks = swarm.tasks.filter((t) => t.serviceId === observed.id);
  const wanted = replicasOf(service);
  if (service.kind === "job") {
    const current = tasks.filter(
      (t) => observed.jobIteration === undefined || t.jobIteration === observed.jobIteration,
    );
    const done = current.filter((t) => t.state === "complete").length;
    if (done >= wanted) return undefined;
    const failed = current.filter((t) => t.state === "failed" || t.state === "rejected");
    if (failed.length === 0 && current.some((t) => t.desiredState !== "shutdown")) return undefined;
    return `${done} of ${wanted} job tasks completed${describeTasks(failed)}`;
  }
  const down = downNodes(swarm.nodes);
  const running = tasks.filter((t) => isRunning(t, down)).length;
  if (running >= wanted) return undefined;
  const waiting = tasks.filter((t) => isStuck(t, down));
  return `${running} of ${wanted} tasks running${describeTasks(waiting, down)}`;
}

/**
 * Nodes that are not ready (down, disconnected): the manager still lists the tasks it last knew
 * there as running, but nothing runs them.
 */
export function downNodes(nodes: readonly ObservedNode[]): Set<string> {
  return new Set(nodes.filter((n) => n.state !== "ready").map((n) => n.id));
}

/** A task meant to run that runs, on a node that is up. */
export function isRunning(task: ObservedTask, down: ReadonlySet<string>): boolean {
  return task.desiredState === "running" && task.state === "running" && !down.has(task.nodeId ?? "");
}

/**
 * A task that should run and does not: not yet placed or started (pending: "no suitable node"),
 * or last seen running on a node that is down.
 */
export function isStuck(task: ObservedTask, down: ReadonlySet<string>): boolean {
  if (down.has(task.nodeId ?? "")) return task.state === "running" || task.desiredState === "running";
  return task.desiredState === "running" && task.state !== "running";
}

/** `: 1 pending (no suitable node (…))`: what the tasks that do not run say, most recent first. */
export function describeTasks(tasks: readonly ObservedTask[], down: ReadonlySet<string> = new Set()): string {
  if (tasks.length === 0) return "";
  const said = new Map<string, number>();
  for (const task of [...tasks].sort((a, b) => b.since - a.since)) {
    const text = down.has(task.nodeId ?? "")
      ? `${task.state} on a node that is down`
      : `${task.state} (${task.error ?? task.message})`;
    said.set(text, (said.get(text) ?? 0) + 1);
  }
  return `: ${[...said].map(([text, n]) => `${n} ${text}`).join(", ")}`;
}

function serviceRef(service: DesiredService): ObjectRef {
  return { kind: "service", name: service.name, client: service.client, key: service.configKey };
}

/** The map's services on this manager that the map no longer has: removed with --remove-orphans. */
function planOrphanServices(input: SwarmPlanInput, swarm: ObservedSwarm): void {
  const { desired, builder, mapName, options } = input;
  const names = new Set(desired.services.map((s) => s.name));
  for (const service of ourServices(swarm, mapName, desired.manager)) {
    if (names.has(service.name)) continue;
    const object = observedRef(service, desired.manager);
    if (!options.removeOrphans) {
      builder.change(object, "orphan", [{ message: "not in the map (remove it with --remove-orphans)" }]);
      continue;
    }
    builder.fingerprint({ object, id: service.id, specHash: service.specHash ?? null });
    builder.change(object, "remove", [{ message: "not in the map" }]);
    builder.add({ type: "remove-service", object, service: service.name, serviceId: service.id });
  }
}

// ---- start, stop, restart, kill ------------------------------------------------------------------

/**
 * `start`, `stop`, `restart` and `kill` on the map's services, as a Swarm user expects them: stop
 * (and kill) scale a replicated service to 0, keeping it, its spec and volumes (dependents first);
 * start sets the map's replica count again (dependencies first, each waited for); restart makes
 * Swarm replace every task (ForceUpdate, as `docker service update --force`). A global service
 * cannot be scaled, nor a job stopped while it runs: refused, saying what to do.
 */
function planSwarmActions(input: SwarmPlanInput, swarm: ObservedSwarm): void {
  const { desired, mapName, options } = input;
  const byName = new Map(ourServices(swarm, mapName, desired.manager).map((s) => [s.name, s]));
  const targets = new Set(
    desired.services.filter((s) => s.instanceKeys.some((k) => input.selected.has(k))).map((s) => s.name),
  );
  switch (options.action) {
    case "stop":
    case "kill": {
      const scope = options.action === "stop" ? withDependents(desired.services, targets) : targets;
      const stops = new Map<string, string>();
      for (const service of [...dependencyOrder(desired.services)].reverse()) {
        if (!scope.has(service.name)) continue;
        const dependents = desired.services
          .filter((d) => d.dependsOn.some((x) => x.service === service.name))
          .map((d) => stops.get(d.name));
        const step = planStopService(input, service, byName.get(service.name), swarm, dependents);
        if (step !== undefined) stops.set(service.name, step);
      }
      return;
    }
    case "start": {
      const ready = new Map<string, string | undefined>();
      for (const service of dependencyOrder(selectedServices(desired.services, input.selected))) {
        const after = service.dependsOn.map((d) => ready.get(d.service));
        ready.set(service.name, planStartService(input, service, byName.get(service.name), swarm, after));
      }
      return;
    }
    case "restart":
      for (const service of dependencyOrder(desired.services))
        if (targets.has(service.name)) planRestartService(input, service, byName.get(service.name));
      return;
    case "startup":
    case "update":
    case "shutdown":
    case "remove":
      return; // planned by planSwarmReconcile and planSwarmTeardown
  }
}

/** The named services and every service that depends on them, directly or not. */
function withDependents(services: readonly DesiredService[], names: ReadonlySet<string>): Set<string> {
  const out = new Set(names);
  for (let grew = true; grew;) {
    grew = false;
    for (const s of services)
      if (!out.has(s.name) && s.dependsOn.some((d) => out.has(d.service))) {
        out.add(s.name);
        grew = true;
      }
  }
  return out;
}

function fingerprintService(builder: PlanBuilder, object: ObjectRef, observed: ObservedService | undefined) {
  builder.fingerprint({
    object,
    id: observed?.id ?? null,
    specHash: observed?.specHash ?? null,
    ...(observed === undefined ? {} : { state: `${observed.replicas} replicas` }),
  });
}

/** Tasks of a service that run or are on their way to (not ended, not shut down). */
function liveTasks(observed: ObservedService, swarm: ObservedSwarm): ObservedTask[] {
  const ended = new Set(["complete", "shutdown", "failed", "rejected", "orphaned", "remove"]);
  return swarm.tasks.filter((t) => t.serviceId === observed.id && !ended.has(t.state));
}

/** `stop` / `kill` of one service: scaled to 0 after its dependents; returns the step, if any. */
function planStopService(
  input: SwarmPlanInput,
  service: DesiredService,
  observed: ObservedService | undefined,
  swarm: ObservedSwarm,
  after: (string | undefined)[],
): string | undefined {
  const { builder, options, desired } = input;
  const object = serviceRef(service);
  fingerprintService(builder, object, observed);
  if (observed === undefined) return undefined;
  const action = options.action;
  const mode = observed.mode ?? (observed.kind === "job" ? "replicated-job" : "replicated");
  if (mode === "global")
    throw new PlanError(
      `${desired.manager}: \`berth ${action}\` cannot stop global service \`${observed.name}\` (config \`${service.configKey}\`): it runs one task on every node and has no replica count to set to 0`,
      {
        hint: `\`berth shutdown ${service.configKey}\` removes it (its volumes stay); leave \`${service.configKey}\` out of the targets to stop the others`,
      },
    );
  if (mode !== "replicated") {
    const running = liveTasks(observed, swarm);
    if (running.length === 0) return undefined;
    throw new PlanError(
      `${desired.manager}: \`berth ${action}\` cannot stop job \`${observed.name}\` (config \`${service.configKey}\`): ${running.length} of its tasks run, and Swarm stops a job's tasks only by removing it`,
      {
        hint: `wait for it to complete, or \`berth shutdown ${service.configKey}\` to remove it (its volumes stay)`,
      },
    );
  }
  if (observed.replicas === 0) return undefined;
  const kill =
    action === "kill"
      ? [
          {
            message: `Swarm stops the tasks with the service's stop signal and grace period (${options.killSignal} is not sent: a service's tasks are not signalled one by one)`,
          },
        ]
      : [];
  builder.change(object, action === "kill" ? "kill" : "stop", [
    {
      message: `${action} requested: scaled to 0 replicas (from ${observed.replicas}); the service, its spec and volumes stay, and \`berth start\` or \`update\` brings the replicas back`,
    },
    ...kill,
  ]);
  return builder.add({
    type: "scale-service",
    object,
    service: service.name,
    serviceId: observed.id,
    version: observed.version,
    replicas: 0,
    after,
  });
}

/** `start` of one service: the map's replica count set again, or waited for when short. */
function planStartService(
  input: SwarmPlanInput,
  service: DesiredService,
  observed: ObservedService | undefined,
  swarm: ObservedSwarm,
  after: (string | undefined)[],
): string | undefined {
  const { builder } = input;
  const object = serviceRef(service);
  fingerprintService(builder, object, observed);
  if (observed === undefined) {
    builder.change(object, "skip", [{ message: `${service.kind} does not exist (startup creates it)` }]);
    return undefined;
  }
  // A job ran when it was created or updated; `berth restart` runs it again.
  if (service.kind === "job") return undefined;
  return runMapReplicas(input, service, observed, swarm, after);
}

/**
 * `restart` of one service: every task replaced (a job run again), then waited for; a service
 * stopped at 0 replicas is started with the map's count instead (as `docker restart` starts a
 * stopped container).
 */
function planRestartService(
  input: SwarmPlanInput,
  service: DesiredService,
  observed: ObservedService | undefined,
): void {
  const { builder } = input;
  const object = serviceRef(service);
  fingerprintService(builder, object, observed);
  if (observed === undefined) {
    builder.change(object, "skip", [{ message: `${service.kind} does not exist (startup creates it)` }]);
    return;
  }
  if (observed.replicas === 0 && isScalable(observed)) {
    planScaleToMap(input, service, observed, object, [], {
      message: `restart requested: stopped (0 replicas), started with the map's ${replicasOf(service)}`,
    });
    return;
  }
  builder.change(object, "restart", [
    {
      message: `restart requested: Swarm replaces every task (${service.kind === "job" ? "the job runs again" : "a rolling restart"}, as \`docker service update --force\`)`,
    },
  ]);
  const restarted = builder.add({
    type: "restart-service",
    object,
    service: service.name,
    serviceId: observed.id,
    version: observed.version,
  });
  builder.add({
    type: "wait-service",
    object,
    service: service.name,
    condition: conditionOf(service),
    replicas: service.kind === "job" || !isScalable(observed) ? replicasOf(service) : observed.replicas,
    after: [restarted],
  });
}

// ---- shutdown and remove -------------------------------------------------------------------------

/**
 * Removes the map's services the targets name (by their labels: also those the map no longer
 * has, when every service goes), then, when every service goes, the map's overlay networks.
 * Volumes are node-local and stay (see README: Swarm).
 */
function planSwarmTeardown(input: SwarmPlanInput, swarm: ObservedSwarm): void {
  const { desired, builder, mapName, observed } = input;
  const selectedNames = new Set(selectedServices(desired.services, input.selected).map((s) => s.name));
  const everything = selectedNames.size === desired.services.length;
  const removed: string[] = [];
  for (const service of ourServices(swarm, mapName, desired.manager)) {
    if (!everything && !selectedNames.has(service.name)) continue;
    const object = observedRef(service, desired.manager);
    builder.fingerprint({ object, id: service.id, specHash: service.specHash ?? null });
    builder.change(object, "remove", [
      { message: `${input.options.action}: ${service.kind ?? "service"} removed` },
    ]);
    removed.push(
      builder.add({ type: "remove-service", object, service: service.name, serviceId: service.id }),
    );
  }
  if (input.options.removeVolumes) planNodeVolumes(input, everything, removed);
  if (!everything) return;
  const networks = observed.networks
    .filter(
      (n) =>
        n.mapName === mapName && n.driver === "overlay" && n.labels[SWARM_LABEL.client] === desired.manager,
    )
    .sort((a, b) => compareText(a.name, b.name));
  for (const network of networks) {
    const object: ObjectRef = {
      kind: "network",
      name: network.name,
      client: desired.manager,
      ...(network.labels[LABEL.alias] === undefined ? {} : { key: network.labels[LABEL.alias] }),
    };
    builder.fingerprint({ object, id: network.id });
    builder.change(object, "remove", [{ message: `${input.options.action}: overlay network removed` }]);
    builder.add({ type: "remove-network", object, networkId: network.id, ifUnused: true, after: removed });
  }
}

/**
 * With --volumes, when every service of the map goes: the map's named volumes on each node berth
 * can reach, once the services are gone and the task containers that mount them (a completed job's
 * stay after \`service rm\`) are removed. Nodes it cannot reach keep theirs: left undone (Plan.undone).
 */
function planNodeVolumes(input: SwarmPlanInput, everything: boolean, serviceRemovals: string[]): void {
  const { desired, builder } = input;
  const seen = desired.nodeVolumes;
  if (!everything) {
    builder.warn(
      `swarm manager \`${desired.manager}\`: named volumes stay while some of the map's services run (shut the whole map down to remove them)`,
    );
    return;
  }
  if (seen === undefined)
    throw new PlanError(`no observation of the volumes on the nodes of swarm ${desired.manager}`);
  for (const node of seen.nodes) planOneNode(input, node, serviceRemovals);
  // Volumes berth cannot remove are work asked for and not done: the run is not a success.
  for (const u of seen.unreachable)
    builder.leaveUndone({
      client: u.client,
      message:
        u.down === true
          ? `engine \`${u.client}\` did not answer (${u.why}): the map's named volumes on this node of swarm \`${desired.manager}\` stay; run again once it answers`
          : `the map's named volumes on swarm node \`${u.client}\` (of \`${desired.manager}\`) stay: berth cannot reach its engine (${u.why}); give client \`${u.client}\` a \`base_url\` or \`context\` in the clients file and run again, or remove them on that node with \`docker volume rm\``,
    });
}

/**
 * The swarm nodes whose volumes `--volumes` was to remove but whose engine did not answer: the
 * plan counts them with the engines that did not answer, so the run that asked is not a success.
 */
export function swarmNodesDown(managers: readonly SwarmDesired[]): Record<string, string> {
  const down: Record<string, string> = {};
  for (const desired of managers)
    for (const u of desired.nodeVolumes?.unreachable ?? []) if (u.down === true) down[u.client] = u.why;
  return down;
}

function planOneNode(input: SwarmPlanInput, node: SwarmNodeObserved, serviceRemovals: string[]): void {
  const { builder, options } = input;
  const names = new Set(node.volumes.map((v) => v.name));
  /** Volume name → the removals of the task containers that mount it. */
  const holders = new Map<string, string[]>();
  for (const task of [...node.tasks].sort((a, b) => compareText(a.name, b.name))) {
    const holds = task.volumes.filter((v) => names.has(v));
    if (holds.length === 0) continue;
    const object: ObjectRef = { kind: "container", name: task.name, client: node.client };
    builder.fingerprint({ object, id: task.id });
    builder.change(object, "remove", [
      {
        message: `${options.action} --volumes: task container of service ${task.service} holds volume ${holds.join(", ")}`,
      },
    ]);
    const id = builder.add({
      type: "remove-container",
      object,
      container: task.id,
      removeVolumes: false,
      force: true,
      after: serviceRemovals,
    });
    for (const v of holds) holders.set(v, [...(holders.get(v) ?? []), id]);
  }
  for (const volume of [...node.volumes].sort((a, b) => compareText(a.name, b.name))) {
    const object: ObjectRef = {
      kind: "volume",
      name: volume.name,
      client: node.client,
      ...(volume.key === undefined ? {} : { key: volume.key }),
    };
    builder.fingerprint({ object, id: volume.name });
    builder.change(object, "remove", [
      { message: `${options.action} --volumes: on swarm node ${node.client}` },
    ]);
    builder.add({
      type: "remove-volume",
      object,
      after: [...serviceRemovals, ...(holders.get(volume.name) ?? [])],
    });
  }
}

/** The services berth made for this map on this manager, by name. */
function ourServices(swarm: ObservedSwarm, mapName: string, manager: string): ObservedService[] {
  return (
    swarm.services
      // A volume preparation job is removed by the step that runs it: never a service of the map.
      .filter(
        (s) =>
          s.mapName === mapName &&
          s.kind !== "preparation" &&
          (s.labels[SWARM_LABEL.client] ?? manager) === manager,
      )
      .sort((a, b) => compareText(a.name, b.name))
  );
}

function observedRef(service: ObservedService, manager: string): ObjectRef {
  const config = service.labels[LABEL.config];
  return {
    kind: "service",
    name: service.name,
    client: manager,
    ...(config === undefined ? {} : { key: config }),
  };
}
