import { isEngineConflictError, isEngineNotFoundError } from "./engine/engine-errors.js";
import type { LoadedMap } from "./load-map.js";
import { planCleanup, type CleanupItem } from "./plan/cleanup-planner.js";
import type { Engines } from "./reconcile.js";

export interface CleanupOptions {
  /** Only list what would be removed. */
  dryRun?: boolean;
  /** Containers and images both unless one of these narrows it. */
  containers?: boolean;
  images?: boolean;
}

export interface CleanupOutcome extends CleanupItem {
  /** removed, already gone, kept (why), or would remove (dry run). */
  result: string;
}

/**
 * docker-map's cleanup_containers and cleanup_images for one map: lists every engine of the map
 * (containers and images), decides with planCleanup, removes what it decided (containers first,
 * so an image only they used goes too). An object another run removed meanwhile is "already
 * gone"; an image the engine says is still used is kept.
 */
export async function cleanup(
  map: LoadedMap,
  engines: Engines,
  options: CleanupOptions = {},
): Promise<CleanupOutcome[]> {
  const both = options.containers !== true && options.images !== true;
  const out: CleanupOutcome[] = [];
  for (const client of map.resolved.clients) {
    const engine = engines[client];
    if (engine === undefined) throw new Error(`no engine for client ${client}`);
    const [containers, images] = await Promise.all([engine.listContainers({}), engine.listImages()]);
    const wanted = new Set(
      map.resolved.containers.filter((c) => c.clients.includes(client)).map((c) => c.name),
    );
    const items = planCleanup({
      mapName: map.name,
      client,
      wanted,
      containers,
      images,
      containersToo: both || options.containers === true,
      imagesToo: both || options.images === true,
    });
    for (const item of items) {
      if (options.dryRun === true) {
        out.push({ ...item, result: "would remove" });
        continue;
      }
      try {
        if (item.kind === "container") await engine.removeContainer(item.id, { volumes: false });
        else await engine.removeImage(item.id);
        out.push({ ...item, result: "removed" });
      } catch (err) {
        if (isEngineNotFoundError(err)) out.push({ ...item, result: "already gone" });
        else if (isEngineConflictError(err)) out.push({ ...item, result: "kept: still in use" });
        else throw err;
      }
    }
  }
  return out;
}
