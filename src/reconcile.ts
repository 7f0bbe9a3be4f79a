import { acquireLock, clearStaleLocks, type HeldLock } from "./apply/engine-lock.js";
import { apply, type ApplyResult } from "./apply/executor.js";
import type { ProgressListener } from "./apply/progress-events.js";
import { DEFAULT_RUN_OPTIONS } from "./apply/run-defaults.js";
import { checkSavedPlan } from "./apply/saved-plan.js";
import { UsageError } from "./common/berth-error.js";
import type { Clock } from "./common/clock.js";
import { DockerEngine } from "./engine/docker-engine.js";
import type { EngineLog } from "./engine/engine-log.js";
import { isEngineUnreachableError } from "./engine/engine-errors.js";
import type { DockerEndpoint } from "./engine/docker-context.js";
import { DEFAULT_CLIENT, OVERLAY_DRIVER } from "./map/model.js";
import { readOnly, type EngineReader, type EngineWriter } from "./engine/engine.js";
import type { RegistryAuth } from "./engine/engine-types.js";
import { loadDockerConfig, registryAuthFor } from "./engine/registry-auth.js";
import { targetKeys } from "./graph/dependency-graph.js";
import { clientContexts, type ClientConfig } from "./map/clients-file.js";
import type { LoadedMap } from "./load-map.js";
import { observe } from "./observe/observe.js";
import { readBuildContexts } from "./desired/build-context.js";
import { onlyBuilds } from "./plan/build-only.js";
import { refreshEffective } from "./observe/refresh.js";
import { observeNamespaceStarts } from "./observe/namespaces.js";
import type { ObservedState } from "./observe/observed-state.js";
import { isPlanError, type NameConflicts } from "./plan/plan-context.js";
import { plan, planOptions } from "./plan/plan.js";
import { planLeavesUndone, type Plan, type PlanAction, type PlanOptions } from "./plan/plan-types.js";
import type { ClientContext } from "./map/clients-file.js";
import type { SwarmDesired } from "./plan/swarm-planner.js";
import {
  engineClientsOf,
  observeNodeVolumes,
  reachableNodesOf,
  swarmClientsOf,
  swarmDesired,
  swarmManagersOf,
} from "./swarm-part.js";

/** Engines by client name, one writer each (readers are read-only views of them). */
export type Engines = Record<string, EngineWriter>;

/**
 * Connects to every engine the map names; a clients file's `base_url` or `context` names an engine. Without
 * one, `default` is `defaultEndpoint` (the CLI's --host/--context), else the engine the docker
 * CLI would use in this process's environment (DOCKER_HOST, DOCKER_CONTEXT, the current context).
 */
export function openEngines(
  map: LoadedMap,
  clients: Record<string, ClientConfig> = {},
  options: { defaultEndpoint?: DockerEndpoint; log?: EngineLog } = {},
): Engines {
  const out: Engines = {};
  // A swarm's node clients are reached through their manager: the manager is opened instead.
  for (const name of engineClientsOf(map, clients)) out[name] = openEngine(name, clients, options);
  return out;
}

/** One engine of the clients file: its `base_url`, else its context, else (default) the CLI's choice. */
function openEngine(
  name: string,
  clients: Record<string, ClientConfig>,
  options: { defaultEndpoint?: DockerEndpoint; log?: EngineLog },
): EngineWriter {
  const baseUrl = clients[name]?.base_url;
  // A client's Docker context (resolved when the clients file was read) wins over the CLI's choice.
  const endpoint = clients[name]?.endpoint ?? (name === DEFAULT_CLIENT ? options.defaultEndpoint : undefined);
  return new DockerEngine({
    name,
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(baseUrl === undefined && endpoint !== undefined ? { endpoint } : {}),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}

/**
 * Whether a run removes the map's volumes on its swarms' nodes: only then are the node clients
 * with an address opened and looked at (no other run contacts them).
 */
function removesNodeVolumes(request: Partial<PlanOptions>): boolean {
  return (request.action === "shutdown" || request.action === "remove") && request.removeVolumes === true;
}

/** The engines, and for a run that removes node volumes, the swarm node clients berth can open. */
function withNodeEngines<T extends EngineReader>(
  map: LoadedMap,
  engines: Record<string, T>,
  request: Partial<PlanOptions> & { clients?: Record<string, ClientConfig> | undefined },
  open: (engine: EngineWriter) => T,
): Record<string, T> {
  if (!removesNodeVolumes(request)) return engines;
  const clients = request.clients ?? {};
  const out = { ...engines };
  for (const node of reachableNodesOf(map, clients)) out[node] ??= open(openEngine(node, clients, {}));
  return out;
}

/**
 * What to plan: an action, and the plan options that differ from their defaults (the one place
 * they are set is planOptions, src/plan/plan.ts). Wider objects are fine: only plan options are read.
 */
export interface PlanRequest extends Partial<PlanOptions> {
  action: PlanAction;
  /** Engine settings of the clients file (interfaces, hostname suffix), by client name. */
  clients?: Record<string, ClientConfig>;
  /** A name the map needs held by a foreign container: refused (default), or reported (`status`). */
  nameConflicts?: NameConflicts;
  /** Told every plan made (the first look's and the one under the lock), e.g. to log its decisions. */
  onPlan?: (plan: Plan) => void;
  savedPlan?: never;
}

export interface PlannedRun {
  plan: Plan;
  observed: ObservedState;
  contexts: Record<string, ClientContext>;
  /** What each swarm manager of the map should run, as the plan was made from it. */
  swarm: SwarmDesired[];
}

/**
 * Observes (four list calls per engine, whatever the map's size, plus one inspect per running
 * `network_mode: container:` sharer of the map and its target) and plans. Takes readers only: it
 * cannot change anything.
 */
export async function observeAndPlan(
  map: LoadedMap,
  readers: Record<string, EngineReader>,
  request: PlanRequest,
  /** Engines not to look at (their lock could not be taken: they did not answer), with why. */
  skip: Readonly<Record<string, string>> = {},
): Promise<PlannedRun> {
  const clientConfigs = request.clients ?? {};
  const contexts = clientContexts(map.resolved.clients, clientConfigs);
  const engines = engineClientsOf(map, clientConfigs).map((name) => {
    const reader = readers[name];
    if (reader === undefined) throw new Error(`no engine for client ${name}`);
    return reader;
  });
  const options = planOptions(request);
  // The contexts of the images the map builds are read (and hashed) while the engines answer.
  const [listed, builds] = await Promise.all([
    observe(engines, skip, {
      swarmRoles: map.resolved.networks.some((n) => n.driver === OVERLAY_DRIVER),
      swarmManagers: swarmManagersOf(map, clientConfigs),
    }),
    readBuildContexts(map.resolved),
  ]);
  // A deeper look only when asked: one inspect per container of the map, one read per attached
  // volume with an owner or mode (see refresh.ts).
  const refreshed =
    options.refresh === "full"
      ? await refreshEffective(readers, listed, map.name, ownedVolumes(map))
      : listed;
  // Start times of network_mode sharers, for a namespace left stale by a restart by hand: one
  // inspect per running sharer and target, none for a map without them (see namespaces.ts).
  const reconciles = options.action === "update" || options.action === "startup";
  const observed = reconciles ? await observeNamespaceStarts(readers, refreshed, map.name) : refreshed;
  const swarm = swarmDesired(map, clientConfigs, observed);
  if (removesNodeVolumes(options))
    for (const desired of swarm)
      desired.nodeVolumes = await observeNodeVolumes(map, clientConfigs, desired, observed, readers, skip);
  const planned = plan({
    map,
    observed,
    options,
    clients: contexts,
    nameConflicts: request.nameConflicts ?? "refuse",
    builds,
    ...(swarm.length === 0
      ? {}
      : { swarm: { managers: swarm, clients: swarmClientsOf(map, clientConfigs) } }),
  });
  request.onPlan?.(planned);
  return { plan: planned, observed, contexts, swarm };
}

/** How a run goes: all optional, with the defaults of apply() and the lock. */
export interface RunOptions {
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
  /**
   * Readers for the first look, by client name (default: read-only views of the engines). The
   * first look is read-only and without the lock, and it only ever concludes that there is
   * nothing to do: a plan with steps (or one that cannot be made from it) is made again from an
   * observation through the engines themselves — under the lock when applying. So a reader here
   * may answer from lists fetched before the run, or list berth's containers only (the CLI's
   * prefetch, src/cli/prefetched-reader.ts).
   */
  firstLook?: Record<string, EngineReader>;
}

/** A plan saved earlier (`berth plan --out FILE`, parseSavedPlan) to carry out as it is. */
export interface SavedPlanRequest {
  savedPlan: Plan;
  clients?: Record<string, ClientConfig>;
  onPlan?: (plan: Plan) => void;
  action?: never;
}

/**
 * Either an action to plan (and its plan options), or a saved plan: then the plan options are the
 * saved plan's, and the run is refused (StalePlanError) unless the plan made now, under the lock,
 * is the saved one (checkSavedPlan).
 */
export type ReconcileOptions = RunOptions & (PlanRequest | SavedPlanRequest);

export interface ReconcileResult {
  plan: Plan;
  /** Undefined for a dry run. */
  result?: ApplyResult;
}

const NOTHING_DONE: ApplyResult = { ok: true, interrupted: false, results: [], durationMs: 0 };

/**
 * berth's one orchestration: observe → lock → plan → apply. A read-only first look comes first and
 * costs no lock calls when there is nothing to do; anything to do is planned again under the map's
 * lock on every engine, from a fresh observation, and applied. A saved plan skips the first look
 * (what counts is the engine under the lock). `dryRun` stops before the lock (see dryRun).
 */
export async function reconcile(
  map: LoadedMap,
  mapEngines: Engines,
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const planned = options.savedPlan === undefined ? options : options.savedPlan.options;
  const engines = withNodeEngines(map, mapEngines, { ...planned, clients: options.clients }, (e) => e);
  const readers = readersOf(engines);
  if (options.savedPlan !== undefined) {
    const saved = options.savedPlan;
    if (options.dryRun) throw new UsageError("a saved plan is carried out as it is: it has no dry run");
    return applyUnderLock(map, engines, options, async (skip) => {
      const current = await observeAndPlan(
        map,
        readers,
        { ...saved.options, clients: options.clients, ...planHook(options) },
        skip,
      );
      checkSavedPlan(saved, current.plan);
      return current;
    });
  }
  const request: PlanRequest = { ...planOptions(options), clients: options.clients, ...planHook(options) };
  if (options.dryRun)
    return { plan: await dryRun(map, readers, { ...request, firstLook: options.firstLook }) };
  // With `pull: always` the images change before the plan is made: nothing to look at first.
  const pullsFirst = request.pull === "always";
  if (!pullsFirst) {
    const first = await firstLook(map, options.firstLook, readers, request);
    if (first !== undefined && first.plan.steps.length === 0 && !planLeavesUndone(first.plan)) {
      await clearStaleLocksFrom(map, engines, first.observed);
      return { plan: first.plan, result: NOTHING_DONE };
    }
  }
  return applyUnderLock(map, engines, options, async (skip) => {
    if (pullsFirst)
      await pullAll(map, without(engines, skip), request, options.registryAuth ?? registryAuthFrom());
    return observeAndPlan(map, readers, { ...request, pull: pullsFirst ? "missing" : request.pull }, skip);
  });
}

/**
 * The plan a run would start from now, without changing anything (it takes readers only): the
 * first look, and when that finds something to do through other readers than the engines' own
 * (`firstLook`), a look through `readers` — the plan shown is always one a look at the whole engine
 * gives.
 */
export async function dryRun(
  map: LoadedMap,
  mapReaders: Record<string, EngineReader>,
  options: PlanRequest & { firstLook?: Record<string, EngineReader> | undefined },
): Promise<Plan> {
  const readers = withNodeEngines(map, mapReaders, options, readOnly);
  const request: PlanRequest = { ...planOptions(options), clients: options.clients, ...planHook(options) };
  const first = await firstLook(map, options.firstLook, readers, request);
  if (first !== undefined && (first.plan.steps.length === 0 || options.firstLook === undefined))
    return first.plan;
  return (await observeAndPlan(map, readers, request)).plan;
}

/** The caller's onPlan, carried into the plan request (planOptions keeps plan options only). */
function planHook(options: { onPlan?: ((plan: Plan) => void) | undefined }): Pick<PlanRequest, "onPlan"> {
  return options.onPlan === undefined ? {} : { onPlan: options.onPlan };
}

/**
 * The first look (its plan and what it saw), through `through` when given, else through the engines' own readers.
 * Undefined when the plan cannot be made from a look through `through` (then the fresh
 * observation decides, and reports what is wrong).
 */
async function firstLook(
  map: LoadedMap,
  through: Record<string, EngineReader> | undefined,
  readers: Record<string, EngineReader>,
  request: PlanRequest,
): Promise<PlannedRun | undefined> {
  try {
    return await observeAndPlan(map, through ?? readers, request);
  } catch (err) {
    if (through !== undefined && isPlanError(err)) return undefined;
    throw err;
  }
}

/**
 * Takes the lock on every engine, plans (`planNow`, under the lock) and applies; releases the lock.
 * An engine of several that does not answer is left out (`planNow` is told which, and why): the
 * others converge, and the run is not a success.
 */
async function applyUnderLock(
  map: LoadedMap,
  engines: Engines,
  options: RunOptions,
  planNow: (skip: Readonly<Record<string, string>>) => Promise<PlannedRun>,
): Promise<ReconcileResult> {
  const { held: locks, unanswered } = await lockAll(map, engines, options);
  try {
    const planned = await planNow(unanswered);
    const applied = await apply(planned.plan, {
      engines,
      map,
      observed: planned.observed,
      clients: planned.contexts,
      ...(options.parallel === undefined ? {} : { parallel: options.parallel }),
      ...(options.waitTimeoutMs === undefined ? {} : { waitTimeoutMs: options.waitTimeoutMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      registryAuth: options.registryAuth ?? registryAuthFrom(),
      swarm: planned.swarm,
    });
    const result = planLeavesUndone(planned.plan) ? { ...applied, ok: false } : applied;
    return { plan: planned.plan, result };
  } finally {
    await Promise.all(locks.map((lock) => lock.release()));
  }
}

/**
 * `berth build`: the map's images (of the targets) built as `update` would build them — missing
 * or changed, or all with `build: "always"` — and nothing else: the build steps of the update
 * plan alone, applied under the map's lock. A dry run returns that plan.
 */
export async function buildImages(
  map: LoadedMap,
  engines: Engines,
  options: RunOptions & Omit<PlanRequest, "action">,
): Promise<ReconcileResult> {
  const readers = readersOf(engines);
  const request: PlanRequest = { ...planOptions({ ...options, action: "update" }), clients: options.clients };
  if (options.dryRun) return { plan: onlyBuilds((await observeAndPlan(map, readers, request)).plan) };
  return applyUnderLock(map, engines, options, async (skip) => {
    const planned = await observeAndPlan(map, readers, request, skip);
    return { ...planned, plan: onlyBuilds(planned.plan) };
  });
}

/** The engines but those left out. */
function without(engines: Engines, skip: Readonly<Record<string, string>>): Engines {
  return Object.fromEntries(Object.entries(engines).filter(([name]) => !(name in skip)));
}

/** Read-only views of the engines (see readOnly), by client name. */
export function readersOf(engines: Engines): Record<string, EngineReader> {
  return Object.fromEntries(Object.entries(engines).map(([name, engine]) => [name, readOnly(engine)]));
}

/** A run that may write clears a lock whose holder is gone, even with nothing else to do. */
async function clearStaleLocksFrom(map: LoadedMap, engines: Engines, observed: ObservedState) {
  for (const [name, client] of Object.entries(observed.clients)) {
    const engine = engines[name];
    if (engine !== undefined) await clearStaleLocks(engine, map.name, client.containers);
  }
}

/** Takes the map's lock on every engine, in name order (see applyUnderLock); `berth cleanup` uses it too. */
export async function lockAll(
  map: LoadedMap,
  engines: Engines,
  options: Pick<RunOptions, "lockTimeoutMs" | "onProgress" | "clock" | "signal">,
): Promise<{ held: HeldLock[]; unanswered: Record<string, string> }> {
  const held: HeldLock[] = [];
  const unanswered: Record<string, string> = {};
  const names = Object.keys(engines).sort();
  try {
    // One engine after the other, in name order: two runs never each hold a lock the other needs.
    for (const name of names) {
      const lock = await acquireLock(engines[name] as EngineWriter, map.name, {
        timeoutMs: options.lockTimeoutMs ?? DEFAULT_RUN_OPTIONS.lockTimeoutMs,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        onWait: (holder) =>
          options.onProgress?.({ type: "lock-wait", map: map.name, holder, time: Date.now() }),
      }).catch((err: unknown) => {
        // Of several engines, one that does not answer is left out; the last one standing is not.
        if (!isEngineUnreachableError(err) || names.length - Object.keys(unanswered).length <= 1) throw err;
        unanswered[name] = err.message;
        return undefined;
      });
      if (lock !== undefined) held.push(lock);
    }
    return { held, unanswered };
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
  options: PlanRequest,
  auth: (image: string) => RegistryAuth | undefined,
): Promise<void> {
  const keys = new Set(targetKeys(map.resolved, options.targets ?? []));
  for (const [client, engine] of Object.entries(engines)) {
    const images = new Set(
      map.resolved.containers
        // An image the map builds is built, not pulled (build.pull refreshes its base instead).
        .filter((c) => keys.has(c.key) && c.clients.includes(client) && c.build === undefined)
        .map((c) => c.image),
    );
    for (const image of images) await engine.pullImage(image, auth(image));
  }
}

/** The attached volumes whose owner or mode the map sets: what `refresh: full` reads. */
export function ownedVolumes(map: LoadedMap): string[] {
  return map.resolved.volumes
    .filter((v) => v.user !== undefined || v.permissions !== undefined)
    .map((v) => v.name);
}
