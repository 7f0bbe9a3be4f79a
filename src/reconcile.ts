import { acquireLock, clearStaleLocks, type HeldLock } from "./apply/engine-lock.js";
import { apply, type ApplyResult } from "./apply/executor.js";
import type { ProgressListener } from "./apply/progress-events.js";
import type { Clock } from "./common/clock.js";
import { DockerEngine } from "./engine/docker-engine.js";
import { readOnly, type EngineReader, type EngineWriter } from "./engine/engine.js";
import type { RegistryAuth } from "./engine/engine-types.js";
import { loadDockerConfig, registryAuthFor } from "./engine/registry-auth.js";
import { targetKeys } from "./graph/dependency-graph.js";
import { clientContexts, type ClientConfig } from "./map/clients-file.js";
import type { LoadedMap } from "./map/load-map.js";
import { completeObservation, isPartial, observe, type StartedObservations } from "./observe/observe.js";
import type { ObservedState } from "./observe/observed-state.js";
import { plan } from "./plan/plan.js";
import type { Plan, PlanAction, PlanOptions } from "./plan/plan-types.js";
import type { ClientContext } from "./spec/container-spec.js";

/** Engines by client name, one writer each (readers are read-only views of them). */
export type Engines = Record<string, EngineWriter>;

/**
 * Connects to every engine the map names: `default` is DOCKER_HOST; others come from the clients
 * file. Engines already `opened` (by client name) are used as they are.
 */
export function openEngines(
  map: LoadedMap,
  clients: Record<string, ClientConfig> = {},
  opened: Engines = {},
): Engines {
  const out: Engines = {};
  for (const name of map.resolved.clients) {
    const baseUrl = clients[name]?.base_url;
    out[name] = opened[name] ?? new DockerEngine({ name, ...(baseUrl === undefined ? {} : { baseUrl }) });
  }
  return out;
}

export interface PlanRunOptions extends Partial<PlanOptions> {
  action: PlanAction;
  clients?: Record<string, ClientConfig>;
  /**
   * Observations started before the map was loaded, by client name. Only the first look of a run
   * uses them: anything to apply is planned again under the lock from a fresh observation.
   */
  started?: StartedObservations;
  /**
   * `all` lists every container at once: for a plan that will be applied. Default `berth-first`:
   * berth's containers only, and every container only when the plan has something to do (see
   * observeAndPlan).
   */
  containers?: "all" | "berth-first";
}

export interface PlannedRun {
  plan: Plan;
  observed: ObservedState;
  contexts: Record<string, ClientContext>;
}

/**
 * Observes (four list calls per engine, whatever the map's size) and plans. Takes readers only: it
 * cannot change anything.
 *
 * Foreign containers (without berth's label) matter to a plan only through what it would do: a
 * name it would create a container under, a volume or network it would remove. A plan with
 * nothing to do is the same whether they were listed or not (a property the planner's tests
 * check), so a first look lists berth's containers only; a plan with steps, or one that failed, is
 * made again after a fifth call lists every container. On a host that also runs other containers,
 * a run with nothing to do reads, and the engine writes, only the map's side of the list.
 */
export async function observeAndPlan(
  map: LoadedMap,
  readers: Record<string, EngineReader>,
  options: PlanRunOptions,
): Promise<PlannedRun> {
  const contexts = clientContexts(map.resolved.clients, options.clients ?? {});
  const engines = map.resolved.clients.map((name) => {
    const reader = readers[name];
    if (reader === undefined) throw new Error(`no engine for client ${name}`);
    return reader;
  });
  const { clients: _clients, started: _started, containers, ...planOptions } = options;
  const planFor = (observed: ObservedState) =>
    plan({ map, observed, options: planOptions, clients: contexts });
  const observed = await observe(engines, options.started, containers === "all" ? "all" : "berth");
  if (isPartial(observed)) {
    const first = attempt(() => planFor(observed));
    if (first !== undefined && first.steps.length === 0) return { plan: first, observed, contexts };
    const whole = await completeObservation(engines, observed);
    return { plan: planFor(whole), observed: whole, contexts };
  }
  return { plan: planFor(observed), observed, contexts };
}

/** The plan, or undefined when it cannot be made from what was observed (made again after a fuller look). */
function attempt(make: () => Plan): Plan | undefined {
  try {
    return make();
  } catch {
    return undefined;
  }
}

export interface ReconcileOptions extends PlanRunOptions {
  /** Plan only; the engines are used through read-only views. */
  dryRun?: boolean;
  parallel?: number;
  waitTimeoutMs?: number;
  /** How long to wait for another run's lock (default 30 s). */
  lockTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  clock?: Clock;
  registryAuth?: (image: string) => RegistryAuth | undefined;
}

export interface ReconcileResult {
  plan: Plan;
  /** Undefined for a dry run. */
  result?: ApplyResult;
}

/** Plan and apply, holding the map's lock on every engine it changes. */
export async function reconcile(
  map: LoadedMap,
  engines: Engines,
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const readers = Object.fromEntries(
    Object.entries(engines).map(([name, engine]) => [name, readOnly(engine)]),
  );
  if (options.dryRun) return { plan: (await observeAndPlan(map, readers, options)).plan };
  // Nothing to do is known without the lock (a read-only look), and costs no lock calls; anything
  // to do is planned again under the lock, from a fresh observation.
  if (options.pull !== "always") {
    const first = await observeAndPlan(map, readers, options);
    if (first.plan.steps.length === 0) {
      // A run that may write clears a lock whose holder is gone, even with nothing else to do.
      await clearStaleLocksFrom(map, engines, first.observed);
      return { plan: first.plan, result: { ok: true, interrupted: false, results: [], durationMs: 0 } };
    }
  }
  const locks = await lockAll(map, engines, options);
  try {
    const registryAuth = options.registryAuth ?? registryAuthFrom();
    if (options.pull === "always") await pullAll(map, engines, options, registryAuth);
    const { started: _started, ...fresh } = options;
    const planned = await observeAndPlan(map, readers, {
      ...fresh,
      pull: options.pull === "always" ? "missing" : (options.pull ?? "missing"),
      containers: "all",
    });
    const result = await apply(planned.plan, {
      engines,
      map,
      observed: planned.observed,
      clients: planned.contexts,
      ...(options.parallel === undefined ? {} : { parallel: options.parallel }),
      ...(options.waitTimeoutMs === undefined ? {} : { waitTimeoutMs: options.waitTimeoutMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      registryAuth,
    });
    return { plan: planned.plan, result };
  } finally {
    await Promise.all(locks.map((lock) => lock.release()));
  }
}

async function clearStaleLocksFrom(map: LoadedMap, engines: Engines, observed: ObservedState) {
  for (const [name, client] of Object.entries(observed.clients)) {
    const engine = engines[name];
    if (engine !== undefined) await clearStaleLocks(engine, map.name, client.containers);
  }
}

export async function lockAll(
  map: LoadedMap,
  engines: Engines,
  options: Pick<ReconcileOptions, "lockTimeoutMs" | "onProgress" | "clock" | "signal">,
): Promise<HeldLock[]> {
  const held: HeldLock[] = [];
  try {
    for (const name of Object.keys(engines).sort()) {
      held.push(
        await acquireLock(engines[name] as EngineWriter, map.name, {
          timeoutMs: options.lockTimeoutMs ?? 30_000,
          ...(options.clock === undefined ? {} : { clock: options.clock }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          onWait: (holder) =>
            options.onProgress?.({ type: "lock-wait", map: map.name, holder, time: Date.now() }),
        }),
      );
    }
    return held;
  } catch (err) {
    await Promise.all(held.map((lock) => lock.release()));
    throw err;
  }
}

/** Registry credentials from the Docker config file of an environment (DOCKER_CONFIG or ~/.docker). */
export function registryAuthFrom(
  env: Readonly<Record<string, string | undefined>> = process.env,
): (image: string) => RegistryAuth | undefined {
  const config = loadDockerConfig(env);
  return (image) => registryAuthFor(image, config);
}

/** `--pull always`: every image the targets use is pulled before observing. */
async function pullAll(
  map: LoadedMap,
  engines: Engines,
  options: ReconcileOptions,
  auth: (image: string) => RegistryAuth | undefined,
): Promise<void> {
  const keys = new Set(targetKeys(map.resolved, options.targets ?? []));
  for (const [client, engine] of Object.entries(engines)) {
    const images = new Set(
      map.resolved.containers
        .filter((c) => keys.has(c.key) && c.clients.includes(client))
        .map((c) => c.image),
    );
    for (const image of images) await engine.pullImage(image, auth(image));
  }
}
