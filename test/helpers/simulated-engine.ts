/**
 * A test model of Docker engines for checking plans, over plain data (no Docker, no I/O).
 *
 * `SimulatedWorld` holds one `SimulatedEngine` per client (simulated-engine-state.ts: the engine's
 * state and rules). berth reaches an engine through `SimulatedEngineWriter`, which implements
 * berth's `EngineWriter` (simulated-engine-writer.ts), so that:
 * - `observeWorld` is berth's own `observe` reading the engines' lists;
 * - `applyPlan` is berth's own executor, `apply()` of src/apply/executor.ts, with a fake clock:
 *   waits end at once (time passes: health checks pass, jobs end), nothing sleeps. A step the
 *   engine refuses fails the apply with a `SimulationError` naming the step.
 *
 * This is a model to check plans with, not a stand-in for Docker in integration tests.
 */
import { apply } from "../../src/apply/executor.js";
import type { Clock } from "../../src/common/clock.js";
import type { LoadedMap } from "../../src/load-map.js";
import { observe } from "../../src/observe/observe.js";
import type { ObservedState } from "../../src/observe/observed-state.js";
import type { Plan, Step } from "../../src/plan/plan-types.js";
import type { ClientContext } from "../../src/map/clients-file.js";
import { SimulationError } from "./simulated-container.js";
import { SimulatedEngine } from "./simulated-engine-state.js";
import { SimulatedEngineWriter } from "./simulated-engine-writer.js";

export {
  SimulationError,
  type BoundReference,
  type ContainerState,
  type SimulatedContainer,
} from "./simulated-container.js";
export { registryImageId, SimulatedEngine, type SimulatedVolume } from "./simulated-engine-state.js";
export { SimulatedEngineWriter } from "./simulated-engine-writer.js";

/** One simulated engine per client. */
export type SimulatedWorld = Record<string, SimulatedEngine>;

/** Engines for every client of a map, with every image the map names already present. */
export function worldFor(map: LoadedMap, options: { images?: boolean } = {}): SimulatedWorld {
  const world: SimulatedWorld = {};
  for (const client of map.resolved.clients) {
    const engine = new SimulatedEngine(client);
    if (options.images !== false) for (const c of map.resolved.containers) engine.pullImage(c.image);
    world[client] = engine;
  }
  return world;
}

export function cloneWorld(world: SimulatedWorld): SimulatedWorld {
  return Object.fromEntries(Object.entries(world).map(([client, engine]) => [client, engine.clone()]));
}

export function engineOf(world: SimulatedWorld, client = "default"): SimulatedEngine {
  const engine = world[client];
  if (engine === undefined) throw new Error(`no simulated engine ${client}`);
  return engine;
}

/** berth's engine interface to each engine of the world, by client. */
export function writersOf(world: SimulatedWorld): Record<string, SimulatedEngineWriter> {
  return Object.fromEntries(
    Object.entries(world).map(([client, engine]) => [client, new SimulatedEngineWriter(engine)]),
  );
}

/** What `observeAndPlan` observes: berth's `observe` over the engines' four lists. */
export function observeWorld(
  world: SimulatedWorld,
  _map?: LoadedMap,
  _clients: Record<string, ClientContext> = {},
): Promise<ObservedState> {
  return observe(Object.values(writersOf(world)));
}

/** The same observation (every container listed): kept for the tests that name it so. */
export function observeWorldLists(world: SimulatedWorld): Promise<ObservedState> {
  return observeWorld(world);
}

// ---- applying plans -----------------------------------------------------------------------------

/**
 * In which order ready steps run. The executor runs every step whose `after` is done; a plan must
 * be right in any such order. `listed`: of the ready steps, the one listed first; `reverse`: the
 * one listed last (finds a missing `after` that the listed order hides); a number: a seeded
 * random pick. (Waits for health or completion start as soon as they are ready, as they do in
 * berth, without taking a turn.)
 */
export type StepOrder = "listed" | "reverse" | number;

export interface ApplyPlanOptions {
  clients?: Record<string, ClientContext>;
  order?: StepOrder;
  /**
   * Interrupt the run once this many steps are done, as Ctrl-C does: steps still running end,
   * the rest never run.
   */
  stopAfter?: number;
  /** Return the world after a run in which steps failed, instead of throwing. */
  allowFailures?: boolean;
}

export interface AppliedPlan {
  world: SimulatedWorld;
  /** Step ids in the order they ended. */
  ran: string[];
  /** The executor's notes (`already gone`, `kept: still used`, …) by step id. */
  notes: Record<string, string>;
  /** Steps that failed (only with `allowFailures`), by id, with their error line. */
  failed: Record<string, string>;
}

/** Checks that `after` names steps of the plan and has no cycle; throws otherwise. */
export function checkStepGraph(plan: Plan): void {
  const ids = new Set<string>();
  for (const step of plan.steps) {
    if (ids.has(step.id)) throw new SimulationError(`step id ${step.id} is used twice`);
    ids.add(step.id);
  }
  for (const step of plan.steps)
    for (const dependency of step.after)
      if (!ids.has(dependency))
        throw new SimulationError(`after names unknown step ${dependency}`, 500, step.id);
  const done = new Set<string>();
  let left = plan.steps;
  while (left.length > 0) {
    const ready = left.filter((s) => s.after.every((d) => done.has(d)));
    if (ready.length === 0)
      throw new SimulationError(
        `the steps' after relation has a cycle among: ${left.map((s) => s.id).join(", ")}`,
      );
    for (const step of ready) done.add(step.id);
    left = left.filter((s) => !done.has(s.id));
  }
}

/**
 * Carries a plan out on a copy of the world (the input world is not changed) with berth's own
 * executor, one step at a time in the given order; throws a SimulationError naming the first step
 * that failed.
 */
export async function applyPlan(
  world: SimulatedWorld,
  plan: Plan,
  map: LoadedMap,
  options: ApplyPlanOptions = {},
): Promise<AppliedPlan> {
  checkStepGraph(plan);
  const next = cloneWorld(world);
  const jobs = jobsOf(map);
  for (const engine of Object.values(next)) engine.jobs = new Set(jobs);
  const engines = writersOf(next);
  const observed = await observe(Object.values(engines));
  const interrupt = new AbortController();
  if (options.stopAfter !== undefined && options.stopAfter <= 0) interrupt.abort();
  const ran: string[] = [];
  const failures: { step: Step; error: string }[] = [];
  const result = await apply(plan, {
    engines,
    map,
    observed,
    ...(options.clients === undefined ? {} : { clients: options.clients }),
    parallel: 1,
    waitTimeoutMs: 5_000,
    signal: interrupt.signal,
    clock: passingTime(next),
    pickNext: orderPicker(plan, options.order ?? "listed"),
    onProgress: (event) => {
      if (event.type === "step-failed") failures.push(event);
      if (event.type !== "step-done") return;
      ran.push(event.step.id);
      if (options.stopAfter !== undefined && ran.length >= options.stopAfter) interrupt.abort();
    },
  });
  const [failed] = failures;
  if (failed !== undefined && options.allowFailures !== true)
    throw new SimulationError(failed.error, 500, failed.step.id);
  const notes: Record<string, string> = {};
  for (const step of result.results)
    if (step.status === "done" && step.message !== undefined) notes[step.id] = step.message;
  return { world: next, ran, notes, failed: Object.fromEntries(failures.map((f) => [f.step.id, f.error])) };
}

/** The map's jobs: the containers something waits for with `condition: completed`. */
function jobsOf(map: LoadedMap): string[] {
  return map.resolved.containers.flatMap((c) =>
    c.dependsOn.filter((d) => d.condition === "completed").map((d) => d.container),
  );
}

/**
 * A clock whose sleeps return at once and make time pass on every engine of the world. It does
 * not end a sleep early on an interrupt: no sleep is ever under way when one comes.
 */
function passingTime(world: SimulatedWorld): Clock {
  let now = 1_700_000_000_000;
  return {
    now: () => now,
    sleep: (ms) => {
      now += ms;
      for (const engine of Object.values(world)) engine.tick();
      return Promise.resolve();
    },
  };
}

function orderPicker(plan: Plan, order: StepOrder): (ready: readonly Step[]) => Step {
  const position = new Map(plan.steps.map((s, i) => [s.id, i]));
  let seed = typeof order === "number" ? order >>> 0 || 1 : 1;
  const random = () => {
    // xorshift32: deterministic for a seed.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  return (ready) => {
    const listed = [...ready].sort((a, b) => (position.get(a.id) ?? 0) - (position.get(b.id) ?? 0));
    const index =
      order === "listed" ? 0 : order === "reverse" ? listed.length - 1 : Math.floor(random() * listed.length);
    return listed[index] as Step;
  };
}
