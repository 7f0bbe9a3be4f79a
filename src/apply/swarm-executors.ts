import { pollUntil } from "../common/poll.js";
import type { EngineWriter } from "../engine/engine.js";
import { isEngineNotFoundError } from "../engine/engine-errors.js";
import type { NetworkCreateBody } from "../engine/engine-types.js";
import type { NodeSummary, ServiceSpec, ServiceSummary, TaskSummary } from "../engine/swarm-types.js";
import { observedService, observedTask } from "../observe/observe-swarm.js";
import type { ObservedTask } from "../observe/observed-state.js";
import type { StepOf } from "../plan/plan-types.js";
import { describeTasks, isRunning, isStuck } from "../plan/swarm-planner.js";
import type { DesiredService, DesiredSwarmNetwork, VolumePreparation } from "../swarm/swarm.js";
import { LABEL } from "../model/labels.js";
import { WaitError } from "./apply-errors.js";
import type { ExecutionContext, StepOutcome } from "./step-executors.js";

/** The map's Swarm part, as the plan was made from it: what the executors send. */
export interface SwarmLookup {
  service(name: string): DesiredService;
  network(name: string): DesiredSwarmNetwork;
  /** Whether the plan removes the map's volumes on this client as a swarm node (tasks may still hold them). */
  isVolumeNode(client: string): boolean;
}

/** Update states in which Swarm went back to the previous spec, or stopped half-way. */
const ROLLED_BACK = new Set(["rollback_completed", "rollback_paused", "paused"]);
/** How long a sent update may show no rolling update of its own before it counts as one that needs none (labels only). */
const ROLLOUT_GRACE_MS = 3000;
const POLL_MS = 500;

function swarmOf(ctx: ExecutionContext): SwarmLookup {
  if (ctx.swarm === undefined)
    throw new Error("the plan has Swarm steps but the run knows no Swarm part of the map");
  return ctx.swarm;
}

export const swarmExecutors = {
  "create-swarm-network": async (
    step: StepOf<"create-swarm-network">,
    ctx: ExecutionContext,
  ): Promise<StepOutcome> => {
    const network = swarmOf(ctx).network(step.object.name);
    await ctx.engine(step.object.client).createNetwork(network.spec as unknown as NetworkCreateBody);
    return undefined;
  },

  "create-service": async (step: StepOf<"create-service">, ctx: ExecutionContext): Promise<StepOutcome> => {
    const service = swarmOf(ctx).service(step.service);
    const engine = ctx.engine(step.object.client);
    for (const preparation of service.preparations) await prepareVolume(engine, step, preparation, ctx);
    const spec = await withSecrets(engine, service, ctx.map.name);
    const auth = ctx.registryAuth(spec.TaskTemplate.ContainerSpec.Image);
    await engine.createService(spec, auth);
    return service.preparations.length === 0
      ? undefined
      : `${service.preparations.length} volume(s) prepared`;
  },

  /**
   * Sends the new spec with the version the plan saw (a service changed since is refused, and
   * reported), then follows the rolling update Swarm makes of it to its end: done when it
   * completed; failed, naming the task error, when Swarm rolled it back or paused it.
   */
  "update-service": async (step: StepOf<"update-service">, ctx: ExecutionContext): Promise<StepOutcome> => {
    const service = swarmOf(ctx).service(step.service);
    const engine = ctx.engine(step.object.client);
    const spec = keepForceUpdate(
      await withSecrets(engine, service, ctx.map.name),
      await engine.inspectService(step.serviceId),
    );
    const auth = ctx.registryAuth(spec.TaskTemplate.ContainerSpec.Image);
    await engine.updateService(step.serviceId, step.version, spec, auth === undefined ? {} : { auth });
    if (service.kind === "job") return "job run again";
    return followRollout(engine, step, ctx);
  },

  "remove-service": async (step: StepOf<"remove-service">, ctx: ExecutionContext): Promise<StepOutcome> => {
    const engine = ctx.engine(step.object.client);
    try {
      await engine.removeService(step.serviceId);
    } catch (err) {
      if (isEngineNotFoundError(err)) return "already gone";
      throw err;
    }
    // Its Swarm secrets (`swarm.secrets`) go with it.
    const config = step.object.key;
    if (config !== undefined) {
      const secrets = await engine.listSecrets({ [LABEL.map]: ctx.map.name, [LABEL.config]: config });
      for (const secret of secrets) await engine.removeSecret(secret.ID).catch(() => undefined);
    }
    // Its tasks leave the overlays a moment later: the network removal after this waits for that.
    await pollUntil({
      probe: () => engine.listTasks({ service: [step.serviceId] }),
      done: (tasks) => tasks.length === 0,
      onTimeout: () => new Error("unreachable"),
      timeoutMs: Math.min(ctx.waitTimeoutMs, 30_000),
      intervalMs: POLL_MS,
      clock: ctx.clock,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    }).catch(() => undefined);
    return undefined;
  },

  /**
   * Sets the replica count on the service's current spec (nothing else), with the version the plan
   * saw. To 0 (`stop`, `kill`), done once no task of it runs: Swarm stops them after the answer.
   */
  "scale-service": async (step: StepOf<"scale-service">, ctx: ExecutionContext): Promise<StepOutcome> => {
    const engine = ctx.engine(step.object.client);
    const current = await engine.inspectService(step.serviceId);
    await engine.updateService(step.serviceId, step.version, withReplicas(current.Spec, step.replicas));
    if (step.replicas > 0) return `${step.replicas} replica(s)`;
    await pollUntil({
      probe: () => engine.listTasks({ service: [step.serviceId] }),
      done: (tasks) => tasks.filter((t) => t.ServiceID === step.serviceId).every(hasStopped),
      onTimeout: (tasks) =>
        new WaitError(
          step.object.client,
          `service ${step.service}`,
          "scale to 0",
          `tasks still run after ${Math.round(ctx.waitTimeoutMs / 1000)} s: ${(tasks ?? [])
            .filter((t) => !hasStopped(t))
            .map((t) => `${t.ID.slice(0, 12)} ${t.Status.State}`)
            .join(", ")}`,
          { hint: "see `berth status`; run `berth stop` again, or `berth shutdown` to remove the service" },
        ),
      timeoutMs: ctx.waitTimeoutMs,
      intervalMs: POLL_MS,
      clock: ctx.clock,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    return "0 replicas: no task runs";
  },

  /**
   * A rolling restart: the current spec with TaskTemplate.ForceUpdate one higher (as `docker
   * service update --force`), sent with the version the plan saw, followed to its end as an update.
   */
  "restart-service": async (step: StepOf<"restart-service">, ctx: ExecutionContext): Promise<StepOutcome> => {
    const engine = ctx.engine(step.object.client);
    const current = await engine.inspectService(step.serviceId);
    await engine.updateService(step.serviceId, step.version, withForceUpdate(current.Spec));
    if (current.Spec.Mode?.ReplicatedJob !== undefined || current.Spec.Mode?.GlobalJob !== undefined)
      return "job run again";
    return followRollout(engine, step, ctx);
  },

  "wait-service": async (step: StepOf<"wait-service">, ctx: ExecutionContext): Promise<StepOutcome> => {
    const engine = ctx.engine(step.object.client);
    const seconds = Math.round(ctx.waitTimeoutMs / 1000);
    const what = step.condition === "completed" ? "wait completed" : `wait ${step.condition}`;
    const fail = (message: string, hint?: string) =>
      new WaitError(
        step.object.client,
        `service ${step.service}`,
        what,
        message,
        hint === undefined ? {} : { hint },
      );
    // Tasks that had ended before the wait: only those ending while it waits tell of a failure.
    let ended: ReadonlySet<string> | undefined;
    const look = async () => {
      const seen = await serviceTasks(engine, step.service);
      ended ??= new Set(seen.tasks.filter(hasEnded).map((t) => t.id));
      return seen;
    };
    await pollUntil({
      probe: look,
      done: (seen) => readiness(step, seen, ended).ready,
      fail: (seen) => {
        const why = readiness(step, seen, ended).failed;
        return why === undefined ? undefined : fail(why);
      },
      onTimeout: (seen) =>
        fail(
          `not ${step.condition} after ${seconds} s: ${seen === undefined ? "no answer" : readiness(step, seen, ended).summary}`,
          "see `berth status` (tasks and nodes); a task that cannot be placed names the node constraint it misses",
        ),
      timeoutMs: ctx.waitTimeoutMs,
      intervalMs: POLL_MS,
      clock: ctx.clock,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    return step.condition === "completed" ? "completed" : `${step.replicas} ${step.condition}`;
  },
};

/** A service's spec with another replica count (a replicated service only). */
export function withReplicas(spec: ServiceSpec, replicas: number): ServiceSpec {
  return { ...spec, Mode: { ...spec.Mode, Replicated: { ...spec.Mode?.Replicated, Replicas: replicas } } };
}

/** A service's spec with TaskTemplate.ForceUpdate one higher: Swarm replaces every task. */
export function withForceUpdate(spec: ServiceSpec): ServiceSpec {
  return {
    ...spec,
    TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: (spec.TaskTemplate.ForceUpdate ?? 0) + 1 },
  };
}

/**
 * The desired spec with the ForceUpdate counter the service has (raised by `berth restart`): a
 * lower one is a change of the task template too, and Swarm would replace every task for it.
 */
export function keepForceUpdate(spec: ServiceSpec, current: ServiceSummary): ServiceSpec {
  const force = current.Spec.TaskTemplate.ForceUpdate;
  if (force === undefined || force === spec.TaskTemplate.ForceUpdate) return spec;
  return { ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: force } };
}

/** Task states after which a task runs no more (Swarm's terminal states). */
const STOPPED_STATES = new Set(["complete", "shutdown", "failed", "rejected", "orphaned", "remove"]);
const hasStopped = (task: TaskSummary): boolean => STOPPED_STATES.has(task.Status.State);

/**
 * The spec to send: the desired one, with each Swarm secret it names created first (when it does
 * not exist) and referred to by its id, as the engine wants. A secret's value goes to the engine
 * in the body of its create call only.
 */
async function withSecrets(
  engine: EngineWriter,
  service: DesiredService,
  mapName: string,
): Promise<ServiceSpec> {
  const spec = service.spec as unknown as ServiceSpec;
  if (service.secrets.length === 0) return spec;
  const existing = new Map(
    (await engine.listSecrets({ [LABEL.map]: mapName })).map((s) => [s.Spec.Name, s.ID] as const),
  );
  for (const secret of service.secrets) {
    if (existing.has(secret.name)) continue;
    const id = await engine.createSecret({
      Name: secret.name,
      Labels: secret.labels,
      Data: Buffer.from(secret.value, "utf8").toString("base64"),
    });
    existing.set(secret.name, id);
  }
  const container = spec.TaskTemplate.ContainerSpec as { Secrets?: { SecretName: string }[] };
  const secrets = (container.Secrets ?? []).map((ref) => ({
    ...ref,
    SecretID: existing.get(ref.SecretName),
  }));
  return {
    ...spec,
    TaskTemplate: {
      ...spec.TaskTemplate,
      ContainerSpec: { ...spec.TaskTemplate.ContainerSpec, Secrets: secrets },
    },
  };
}

/**
 * A pinned volume's owner and permissions, set by a one-task job on its node before the service
 * that mounts it is created; the job is removed after, whatever its end.
 */
async function prepareVolume(
  engine: EngineWriter,
  step: StepOf<"create-service">,
  preparation: VolumePreparation,
  ctx: ExecutionContext,
): Promise<void> {
  const spec = preparation.spec as unknown as ServiceSpec;
  const id = await engine.createService(spec, ctx.registryAuth(spec.TaskTemplate.ContainerSpec.Image));
  try {
    await pollUntil({
      probe: () => serviceTasks(engine, id),
      done: (look) => readiness({ condition: "completed", replicas: 1 }, look).ready,
      fail: (look) => {
        const why = readiness({ condition: "completed", replicas: 1 }, look).failed;
        return why === undefined
          ? undefined
          : new WaitError(
              step.object.client,
              `volume ${preparation.volume}`,
              "prepare volume",
              `on node ${preparation.node}: ${why}`,
            );
      },
      onTimeout: () =>
        new WaitError(
          step.object.client,
          `volume ${preparation.volume}`,
          "prepare volume",
          `the preparation job on node ${preparation.node} did not complete in ${Math.round(ctx.waitTimeoutMs / 1000)} s`,
        ),
      timeoutMs: ctx.waitTimeoutMs,
      intervalMs: POLL_MS,
      clock: ctx.clock,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } finally {
    await engine.removeService(id).catch(() => undefined);
  }
}

interface ServiceLook {
  service: ServiceSummary;
  tasks: ObservedTask[];
  /** Nodes that are not ready: a task the manager last saw running there does not run. */
  down: ReadonlySet<string>;
}

async function serviceTasks(engine: EngineWriter, name: string): Promise<ServiceLook> {
  const service = await engine.inspectService(name);
  const [tasks, nodes]: [TaskSummary[], NodeSummary[]] = await Promise.all([
    engine.listTasks({ service: [service.ID] }),
    engine.listNodes(),
  ]);
  return {
    service,
    tasks: tasks.filter((t) => t.ServiceID === service.ID).map(observedTask),
    down: new Set(nodes.filter((n) => n.Status.State !== "ready").map((n) => n.ID)),
  };
}

interface Readiness {
  ready: boolean;
  /** Why it will not get ready (a job's task failed; tasks keep failing). */
  failed?: string;
  summary: string;
}

/**
 * Whether a service is as the step waits for it: every replica running (Swarm holds a task with
 * a health check in `starting` until it is healthy, so `running` is healthy then) and no rolling
 * update under way; a job's tasks of its current run all complete.
 */
export function readiness(
  step: Pick<StepOf<"wait-service">, "condition" | "replicas">,
  look: ServiceLook,
  endedBefore: ReadonlySet<string> = new Set(),
): Readiness {
  const observed = observedService(look.service);
  if (step.condition === "completed") {
    const current = look.tasks.filter(
      (t) => observed.jobIteration === undefined || t.jobIteration === observed.jobIteration,
    );
    const done = current.filter((t) => t.state === "complete").length;
    const failed = current.filter((t) => t.state === "failed" || t.state === "rejected");
    const summary = `${done} of ${step.replicas} completed${describeTasks(current.filter((t) => t.state !== "complete"))}`;
    if (failed.length > 0)
      return {
        ready: false,
        failed: `a task of the job failed${describeTasks(failed)}${exitCodes(failed)}`,
        summary,
      };
    return { ready: done >= step.replicas, summary };
  }
  const running = look.tasks.filter((t) => isRunning(t, look.down)).length;
  const waiting = look.tasks.filter((t) => isStuck(t, look.down));
  const updating = observed.updateState === "updating" || observed.updateState === "rollback_started";
  const summary = `${running} of ${step.replicas} tasks running${describeTasks(waiting, look.down)}`;
  // Swarm replaces a task that exits or turns unhealthy, again and again: past a few rounds, it
  // will not come up by itself.
  const endedNow = look.tasks.filter((t) => hasEnded(t) && !endedBefore.has(t.id));
  if (running < step.replicas && endedNow.length >= 2 * step.replicas + 1) {
    const unhealthy =
      step.condition === "healthy"
        ? " (a task that is not healthy in time is replaced: does its health check allow for its start, with `start_period` or `retries`?)"
        : "";
    return {
      ready: false,
      failed: `its tasks keep ending${describeTasks(endedNow.slice(0, 5))}${exitCodes(endedNow)}${unhealthy}`,
      summary,
    };
  }
  return { ready: running >= step.replicas && !updating, summary };
}

/** A task that ran and ended by itself, or could not run (not one Swarm shut down for an update). */
function hasEnded(task: ObservedTask): boolean {
  return task.state === "complete" || task.state === "failed" || task.state === "rejected";
}

function exitCodes(tasks: readonly ObservedTask[]): string {
  const codes = [
    ...new Set(tasks.flatMap((t) => (t.exitCode === undefined || t.exitCode === 0 ? [] : [t.exitCode]))),
  ];
  return codes.length === 0 ? "" : ` (exit code ${codes.join(", ")})`;
}

/**
 * Follows the rolling update an update started, reporting the tasks replaced, until Swarm says it
 * completed (done), or rolled back or paused (failed, naming the task error that made it).
 */
async function followRollout(
  engine: EngineWriter,
  step: StepOf<"update-service"> | StepOf<"restart-service">,
  ctx: ExecutionContext,
): Promise<StepOutcome> {
  const sent = ctx.clock.now();
  let updatedAt: number | undefined;
  let reported = "";
  const mine = (look: ServiceLook): boolean => {
    updatedAt ??= Date.parse(look.service.UpdatedAt);
    const started = Date.parse(look.service.UpdateStatus?.StartedAt ?? "");
    return Number.isFinite(started) && started >= updatedAt - 1;
  };
  const last = await pollUntil({
    probe: async () => {
      const look = await serviceTasks(engine, step.service);
      const progress = rolloutProgress(look);
      if (progress !== reported) ctx.output?.(stepFor(step), progress);
      reported = progress;
      return look;
    },
    done: (look) =>
      mine(look)
        ? look.service.UpdateStatus?.State === "completed"
        : ctx.clock.now() - sent >= ROLLOUT_GRACE_MS,
    fail: (look) => {
      const state = look.service.UpdateStatus?.State ?? "";
      if (!mine(look) || !ROLLED_BACK.has(state)) return undefined;
      const failed = look.tasks.filter((t) => t.state === "failed" || t.state === "rejected");
      const error = failed.sort((a, b) => b.since - a.since)[0];
      const what = state === "paused" ? "paused" : "rolled back to the previous spec";
      return new WaitError(
        step.object.client,
        `service ${step.service}`,
        "update",
        `the rolling update failed and Swarm ${what}: ${look.service.UpdateStatus?.Message ?? state}` +
          (error === undefined ? "" : `; task error: ${error.error ?? error.message}${exitCodes([error])}`),
        { hint: "fix the map (see the task error), then run `berth update` again" },
      );
    },
    onTimeout: (look) =>
      new WaitError(
        step.object.client,
        `service ${step.service}`,
        "update",
        `the rolling update did not finish in ${Math.round(ctx.waitTimeoutMs / 1000)} s (${look === undefined ? "no answer" : rolloutProgress(look)})`,
      ),
    timeoutMs: ctx.waitTimeoutMs,
    intervalMs: POLL_MS,
    clock: ctx.clock,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  return mine(last) ? "rolled out" : "updated (no task to replace)";
}

/** `updating: 2 tasks running (update in progress): 1 pending (no suitable node …)` while a rolling update runs. */
function rolloutProgress(look: ServiceLook): string {
  const status = look.service.UpdateStatus;
  const running = look.tasks.filter((t) => isRunning(t, look.down)).length;
  const waiting = look.tasks.filter((t) => isStuck(t, look.down));
  const message = status?.Message === undefined || status.Message === "" ? "" : ` (${status.Message})`;
  return `${status?.State ?? "no rolling update"}: ${running} task${running === 1 ? "" : "s"} running${message}${describeTasks(waiting, look.down)}`;
}

function stepFor(
  step: StepOf<"update-service"> | StepOf<"restart-service">,
): StepOf<"update-service"> | StepOf<"restart-service"> {
  return step;
}
