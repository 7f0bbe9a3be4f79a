import { clearStaleLock, lockState, type LockState } from "./apply/engine-lock.js";
import type { ProgressListener } from "./apply/progress-events.js";
import { removeContainerUntilGone } from "./apply/container-removal.js";
import type { Clock } from "./common/clock.js";
import type { EngineReader, EngineWriter } from "./engine/engine.js";
import { isEngineConflictError, isEngineNotFoundError } from "./engine/engine-errors.js";
import { EngineUnreachableError } from "./engine/engine-errors.js";
import type { LoadedMap } from "./load-map.js";
import { LABEL } from "./model/labels.js";
import { planCleanup, type CleanupItem } from "./plan/cleanup-planner.js";
import { lockAll, type Engines } from "./reconcile.js";

export interface CleanupOptions {
  /** Only list what would be removed (read-only: takes no lock). */
  dryRun?: boolean;
  /** Containers (berth's leftovers included) and images both unless one of these narrows it. */
  containers?: boolean;
  images?: boolean;
  /** Also the map's named volumes the current map does not have (never without it). */
  volumes?: boolean;
  /** How long to wait for another run of the map to release its lock (default 30 s). */
  lockTimeoutMs?: number;
  /** Told when the cleanup waits for another run's lock (`lock-wait`). */
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  clock?: Clock;
}

export interface CleanupOutcome extends CleanupItem {
  /** removed, already gone, kept (why), or would remove (dry run). */
  result: string;
}

/**
 * docker-map's cleanup_containers and cleanup_images for one map, and berth's own leftovers:
 * a lock whose holder is gone, the volume helpers and `_berth-new` containers of runs that ended
 * half-way; with `volumes`, the map's named volumes it no longer has. A cleanup writes, so it
 * takes the map's lock on every engine first (a stale one is cleared and said); under the lock
 * no run of the map is making helpers or temporaries, so those found are leftovers. Then, per
 * engine, it lists, decides with planCleanup, and removes (containers first, so an image or
 * volume only they used goes too). An object another run removed meanwhile is "already gone";
 * one the engine says is still used is kept.
 *
 * A dry run takes no lock: it lists the leftovers only when no live run holds the map's lock.
 */
export async function cleanup(
  map: LoadedMap,
  engines: Engines,
  options: CleanupOptions = {},
): Promise<CleanupOutcome[]> {
  const clients = [...map.resolved.clients].sort();
  const engineOf = (client: string): EngineWriter => {
    const engine = engines[client];
    if (engine === undefined) throw new Error(`no engine for client ${client}`);
    return engine;
  };
  const leftovers = options.containers === true || options.images !== true;
  if (options.dryRun === true) {
    const out: CleanupOutcome[] = [];
    for (const client of clients) {
      const lock = leftovers ? await lockState(engineOf(client), map.name) : { state: "free" as const };
      if (lock.state === "stale") out.push(...lockItems(client, lock, "would remove"));
      const items = await decide(map, engineOf(client), client, options, lock.state !== "held");
      out.push(...items.map((item) => ({ ...item, result: "would remove" })));
    }
    return out;
  }
  const out: CleanupOutcome[] = [];
  if (leftovers) {
    for (const client of clients) {
      const cleared = await clearStaleLock(engineOf(client), map.name);
      if (cleared.state === "stale") out.push(...lockItems(client, cleared, "removed"));
    }
  }
  const { held, unanswered } = await lockAll(map, engines, {
    ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  try {
    const [silent] = Object.entries(unanswered);
    if (silent !== undefined)
      throw new EngineUnreachableError(
        { engine: silent[0], object: `map ${map.name}`, operation: "clean up" },
        silent[1],
      );
    for (const client of clients) {
      const engine = engineOf(client);
      for (const item of await decide(map, engine, client, options, leftovers))
        out.push({ ...item, result: await remove(engine, item) });
    }
  } finally {
    await Promise.all(held.map((lock) => lock.release()));
  }
  return out;
}

/** What cleanup removes on one engine now: its lists (one call each), decided by planCleanup. */
async function decide(
  map: LoadedMap,
  engine: EngineReader,
  client: string,
  options: CleanupOptions,
  leftoversToo: boolean,
): Promise<CleanupItem[]> {
  const both = options.containers !== true && options.images !== true;
  const volumesToo = options.volumes === true;
  const [containers, images, volumes] = await Promise.all([
    engine.listContainers({}),
    engine.listImages(),
    volumesToo ? engine.listVolumes({ [LABEL.map]: map.name }) : Promise.resolve([]),
  ]);
  const onClient = map.resolved.containers.filter((c) => c.clients.includes(client));
  const containersToo = both || options.containers === true;
  const items = planCleanup({
    mapName: map.name,
    client,
    wanted: new Set(onClient.map((c) => c.name)),
    containers,
    images,
    containersToo,
    imagesToo: both || options.images === true,
    leftoversToo: leftoversToo && containersToo,
    volumesToo,
    volumes,
    mapVolumes: new Set(map.resolved.volumes.map((v) => v.name)),
  });
  return withSizes(engine, map.name, items);
}

/**
 * The items with the bytes removing each frees, as the engine measures them before anything is
 * removed: a container's writable layer, a volume's contents (-1: the engine cannot tell); an
 * image's size came with the image list. The engine is asked only for kinds there are items of:
 * it measures each container of the map listed, and (before API 1.42) all of its disk for the
 * volumes.
 */
async function withSizes(
  engine: EngineReader,
  mapName: string,
  items: CleanupItem[],
): Promise<CleanupItem[]> {
  const [containers, volumes] = await Promise.all([
    items.some((i) => i.kind === "container")
      ? engine.containerSizes({ [LABEL.map]: mapName })
      : Promise.resolve(new Map<string, number>()),
    items.some((i) => i.kind === "volume")
      ? engine.volumeSizes()
      : Promise.resolve(new Map<string, number>()),
  ]);
  return items.map((item) => {
    if (item.kind === "container") return { ...item, size: containers.get(item.id) ?? 0 };
    if (item.kind === "volume") return { ...item, size: volumes.get(item.id) ?? -1 };
    return item;
  });
}

/** Removes one object; says what happened (a race with another removal is not a failure). */
async function remove(engine: EngineWriter, item: CleanupItem): Promise<string> {
  try {
    if (item.kind === "container") {
      // Only a helper is forced: a container of the map started meanwhile is not removed running.
      const outcome = await removeContainerUntilGone(engine, item.id, {
        volumes: false,
        force: item.force === true,
      });
      return outcome === "already-gone" ? "already gone" : "removed";
    }
    if (item.kind === "image") await engine.removeImage(item.id);
    else await engine.removeVolume(item.id);
    return "removed";
  } catch (err) {
    if (isEngineNotFoundError(err)) return "already gone";
    if (isEngineConflictError(err)) return "kept: still in use";
    throw err;
  }
}

function lockItems(
  client: string,
  lock: Extract<LockState, { state: "stale" }>,
  result: string,
): CleanupOutcome[] {
  return lock.objects.map((o) => ({
    client,
    kind: "container" as const,
    id: o.id,
    name: o.name,
    reason: `lock of a run that is gone (${lock.holder})`,
    size: 0,
    result,
  }));
}
