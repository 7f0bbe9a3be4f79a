import { systemClock, type Clock } from "../common/clock.js";
import type { EngineWriter } from "../engine/engine.js";
import { isEngineError, isUncertainOutcome } from "../engine/engine-errors.js";
import type { RegistryAuth } from "../engine/engine-types.js";
import type { LoadedMap } from "../load-map.js";
import type { ObservedState } from "../observe/observed-state.js";
import { defaultClientContext } from "../plan/plan.js";
import type { Plan, Step, StepOf, StepType } from "../plan/plan-types.js";
import { buildContainerSpec, containerNameLookup, type ContainerSpec } from "../desired/container-spec.js";
import type { ClientContext } from "../map/clients-file.js";
import { isBerthError } from "../common/berth-error.js";
import { maskSecrets, scrubSecrets, secretValuesOf } from "../desired/sensitive.js";
import type { ProgressListener } from "./progress-events.js";
import { DEFAULT_RUN_OPTIONS } from "./run-defaults.js";
import { executors, type ExecutionContext } from "./step-executors.js";
import type { SwarmLookup } from "./swarm-executors.js";
import type { SwarmDesired } from "../plan/swarm-planner.js";

export interface ApplyOptions {
  /** Writers by client name. */
  engines: Record<string, EngineWriter>;
  map: LoadedMap;
  /** What the plan was made from; seeds the name → id table for references recorded at create. */
  observed: ObservedState;
  clients?: Record<string, ClientContext>;
  /** Most engine operations at once (default 8). */
  parallel?: number;
  /** Limit of each health or completion wait (default 120 s). */
  waitTimeoutMs?: number;
  /** Aborting stops scheduling; running steps end; the rest are cancelled. */
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /**
   * Which ready step takes the next free slot (default: the one that became ready first). Tests
   * vary it to check that a plan is right in every order its `after` allows.
   */
  pickNext?: (ready: readonly Step[]) => Step;
  clock?: Clock;
  registryAuth?: (image: string) => RegistryAuth | undefined;
  /** What each swarm manager of the map should run, as the plan was made from it. */
  swarm?: readonly SwarmDesired[];
}

export type StepStatus = "done" | "failed" | "skipped" | "cancelled";

export interface StepResult {
  id: string;
  type: StepType;
  object: Step["object"];
  status: StepStatus;
  durationMs: number;
  /** Why it failed, was skipped or cancelled; a note when done. */
  message?: string;
}

export interface ApplyResult {
  ok: boolean;
  interrupted: boolean;
  results: StepResult[];
  durationMs: number;
}

/**
 * Carries a plan out: a step starts once all its dependencies are done, at most `parallel` at a
 * time. A failed step skips everything that depends on it, but for a step that tolerates its
 * failure (Step.tolerates: the plan decided so); independent branches go on. The executor makes
 * no decisions of its own.
 *
 * Except one: when a call that changes something fails without an answer (the connection closed,
 * the answer was cut off or late), the engine may have carried it out, and the plan no longer
 * describes the engine. Then no further step starts (running ones end); the run fails and says
 * so, and the next run plans from a fresh look.
 */
export async function apply(plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const parallel = Math.max(1, options.parallel ?? DEFAULT_RUN_OPTIONS.parallel);
  const emit: ProgressListener = options.onProgress ?? (() => undefined);
  const results = new Map<string, StepResult>();
  const context: ExecutionContext = {
    ...executionContext(options, clock, (id) => results.get(id)?.status),
    output: (step, line, transient) =>
      emit({ type: "step-output", step, time: clock.now(), line, ...(transient ? { transient } : {}) }),
  };
  const secrets = secretValues(options.map);

  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const dependents = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  for (const step of plan.steps) {
    waiting.set(step.id, step.after.filter((id) => byId.has(id)).length);
    for (const dependency of step.after) {
      const list = dependents.get(dependency);
      if (list === undefined) dependents.set(dependency, [step.id]);
      else list.push(step.id);
    }
  }
  // Ready steps, first in first out; waits for health or completion poll now and then and do not
  // hold an engine slot, so they have a queue of their own.
  const waits: Step[] = [];
  const work: Step[] = [];
  let waitsHead = 0;
  let workHead = 0;
  const enqueue = (step: Step) => (isWait(step) ? waits : work).push(step);
  for (const step of plan.steps) if (waiting.get(step.id) === 0) enqueue(step);
  const running = new Set<Promise<void>>();
  /** Why no further step may start: a change whose outcome is unknown. */
  let halted: string | undefined;

  emit({ type: "run-start", map: plan.map, steps: plan.steps.length, time: clock.now(), plan: plan.steps });

  const settle = (step: Step, result: StepResult) => {
    results.set(step.id, result);
    for (const next of dependents.get(step.id) ?? []) {
      if (result.status !== "done" && !runsWhateverHappens(byId.get(next) as Step, step.id)) {
        skip(byId.get(next) as Step, `${step.id} ${result.status}`);
        continue;
      }
      const left = (waiting.get(next) ?? 1) - 1;
      waiting.set(next, left);
      if (left === 0 && !results.has(next)) enqueueOrSkip(byId.get(next) as Step);
    }
  };
  // A step that needs one of some steps done (Step.needsOneOf) is skipped when none is.
  const enqueueOrSkip = (step: Step) => {
    const needed = step.needsOneOf ?? [];
    if (needed.length > 0 && !needed.some((id) => results.get(id)?.status === "done"))
      skip(step, `none of ${needed.join(", ")} done`);
    else enqueue(step);
  };
  const skip = (step: Step, because: string) => {
    if (results.has(step.id)) return;
    emit({ type: "step-skipped", step, time: clock.now(), because });
    settle(step, {
      id: step.id,
      type: step.type,
      object: step.object,
      status: "skipped",
      durationMs: 0,
      message: `skipped: ${because}`,
    });
  };

  const runStep = async (step: Step) => {
    const begin = clock.now();
    emit({ type: "step-start", step, time: begin });
    try {
      const note = await runExecutor(step, context);
      const durationMs = clock.now() - begin;
      emit({ type: "step-done", step, time: clock.now(), durationMs, ...(note ? { detail: note } : {}) });
      settle(step, {
        id: step.id,
        type: step.type,
        object: step.object,
        status: "done",
        durationMs,
        ...(note ? { message: note } : {}),
      });
    } catch (err) {
      const durationMs = clock.now() - begin;
      const error = describeFailure(step, err, secrets, plan.options.action);
      if (isUncertainOutcome(err)) halted ??= `the outcome of ${step.id} is unknown`;
      emit({ type: "step-failed", step, time: clock.now(), durationMs, error });
      settle(step, {
        id: step.id,
        type: step.type,
        object: step.object,
        status: "failed",
        durationMs,
        message: error,
      });
    }
  };

  let busy = 0;
  const takeWork = (): Step | undefined => {
    if (options.pickNext !== undefined && work.length - workHead > 1) {
      const chosen = options.pickNext(work.slice(workHead));
      const at = work.indexOf(chosen, workHead);
      if (at > workHead) work.splice(workHead, 0, ...work.splice(at, 1));
    }
    return work[workHead++];
  };
  const next = (): Step | undefined => {
    if (waitsHead < waits.length) return waits[waitsHead++];
    if (busy < parallel && workHead < work.length) return takeWork();
    return undefined;
  };
  while (waitsHead < waits.length || workHead < work.length || running.size > 0) {
    while (!options.signal?.aborted && halted === undefined) {
      const step = next();
      if (step === undefined) break;
      if (results.has(step.id)) continue;
      const slot = isWait(step) ? 0 : 1;
      busy += slot;
      const task: Promise<void> = runStep(step).finally(() => {
        busy -= slot;
        running.delete(task);
      });
      running.add(task);
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }

  const interrupted = options.signal?.aborted === true;
  for (const step of plan.steps) {
    if (results.has(step.id)) continue;
    emit({ type: "step-cancelled", step, time: clock.now() });
    results.set(step.id, {
      id: step.id,
      type: step.type,
      object: step.object,
      status: "cancelled",
      durationMs: 0,
      message: interrupted ? "cancelled: interrupted" : `cancelled${halted ? `: ${halted}` : ""}`,
    });
  }
  const ordered = plan.steps.map((s) => results.get(s.id) as StepResult);
  const ok = ordered.every((r) => r.status === "done");
  const durationMs = clock.now() - started;
  emit({ type: "run-done", time: clock.now(), ok, interrupted, durationMs });
  return { ok, interrupted, results: ordered, durationMs };
}

/**
 * The state record learns from the steps before it how they ended (a failed exec command is
 * recorded as failed): it waits for them to end, not to succeed.
 */
/** Whether `step` runs even though `dependency` (one of its `after`) did not end done. */
function runsWhateverHappens(step: Step, dependency: string): boolean {
  return step.type === "record-state" || step.tolerates?.includes(dependency) === true;
}

function isWait(step: Step): boolean {
  return step.type === "wait-healthy" || step.type === "wait-completed" || step.type === "wait-service";
}

function runExecutor<T extends StepType>(
  step: StepOf<T>,
  context: ExecutionContext,
): Promise<string | undefined> {
  const executor = executors[step.type] as (s: StepOf<T>, c: ExecutionContext) => Promise<string | undefined>;
  return executor(step, context);
}

function executionContext(
  options: ApplyOptions,
  clock: Clock,
  outcome: (step: string) => StepStatus | undefined,
): ExecutionContext {
  const resolved = options.map.resolved;
  const nameOf = containerNameLookup(resolved);
  const specs = new Map<string, ContainerSpec>();
  const ids = new Map<string, Map<string, string>>();
  for (const [client, observed] of Object.entries(options.observed.clients)) {
    ids.set(client, new Map(observed.containers.map((c) => [c.name, c.id])));
  }
  return {
    engine: (client) => {
      const engine = options.engines[client];
      if (engine === undefined) throw new Error(`no engine for client ${client}`);
      return engine;
    },
    map: resolved,
    spec: (client, key) => {
      const id = `${client}/${key}`;
      let spec = specs.get(id);
      if (!spec) {
        const container = resolved.containers.find((c) => c.key === key);
        if (container === undefined) throw new Error(`container ${key} is not in the map`);
        spec = buildContainerSpec(
          container,
          options.clients?.[client] ?? defaultClientContext(client),
          nameOf,
        );
        specs.set(id, spec);
      }
      return spec;
    },
    ids,
    outcome,
    execExits: new Map(),
    waitTimeoutMs: options.waitTimeoutMs ?? DEFAULT_RUN_OPTIONS.waitTimeoutMs,
    clock,
    signal: options.signal,
    registryAuth: options.registryAuth ?? (() => undefined),
    ...(options.swarm === undefined ? {} : { swarm: swarmLookup(options.swarm) }),
  };
}

/** The desired services and overlays by Docker name, for the Swarm steps. */
function swarmLookup(managers: readonly SwarmDesired[]): SwarmLookup {
  const services = new Map(managers.flatMap((m) => m.services.map((s) => [s.name, s] as const)));
  const networks = new Map(managers.flatMap((m) => m.networks.map((n) => [n.name, n] as const)));
  const volumeNodes = new Set(managers.flatMap((m) => (m.nodeVolumes?.nodes ?? []).map((n) => n.client)));
  return {
    isVolumeNode: (client) => volumeNodes.has(client),
    service: (name) => {
      const found = services.get(name);
      if (found === undefined) throw new Error(`service ${name} is not in the map`);
      return found;
    },
    network: (name) => {
      const found = networks.get(name);
      if (found === undefined) throw new Error(`overlay network ${name} is not in the map`);
      return found;
    },
  };
}

/**
 * A failure as one line naming engine, object and step (engine errors already do). What came
 * from outside berth (the engine's message, a foreign error's text) is masked whole first; the
 * line is then scrubbed once more as a last guard.
 */
function describeFailure(step: Step, err: unknown, secrets: readonly string[], action: string): string {
  const where = `${step.object.client}: ${step.type} ${step.object.kind} ${step.object.name}`;
  if (isUncertainOutcome(err)) {
    const message = maskSecrets(err.message, secrets);
    return scrubSecrets(
      `${step.type} ${step.object.kind} ${step.object.name}: ${message} — re-run \`berth ${action}\` (it looks at the engine afresh)`,
      secrets,
    );
  }
  if (isEngineError(err)) {
    const context = err.message.slice(0, err.message.length - err.engineMessage.length);
    const message = `${context}${maskSecrets(err.engineMessage, secrets)}`;
    return scrubSecrets(`${step.type} ${step.object.kind} ${step.object.name}: ${message}`, secrets);
  }
  if (isBerthError(err)) {
    // berth's own errors mask what they quote when they are made (see the exec step).
    const message = err.message.startsWith(`${step.object.client}:`)
      ? err.message
      : `${where}: ${err.message}`;
    return scrubSecrets(message, secrets);
  }
  const text = maskSecrets(err instanceof Error ? err.message : String(err), secrets);
  return scrubSecrets(text.startsWith(`${step.object.client}:`) ? text : `${where}: ${text}`, secrets);
}

/** Values of the map's secret environment variables, to scrub from any message. */
function secretValues(map: LoadedMap): string[] {
  return secretValuesOf(map.resolved);
}
