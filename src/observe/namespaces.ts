import type { EngineReader } from "../engine/engine.js";
import { isEngineNotFoundError } from "../engine/engine-errors.js";
import type { ObservedClient, ObservedContainer, ObservedState } from "./observed-state.js";

const CONTAINER_MODE = "container:";

/**
 * A container that joins another's network namespace (`network_mode: container:X`) keeps the
 * namespace it found at its own start. When X starts again behind berth's back (`docker restart`,
 * its restart policy), X gets a new namespace and the dependent is left in the dead one, with
 * loopback only. Nothing in the container list tells: it has no start times. So the running
 * containers of the map in that mode, and the running containers they join, are inspected for
 * their start time — one call each (a shared target once), all at once per engine. A map without
 * such containers costs no call; the planner compares the two times (container-planner.ts).
 */
export async function observeNamespaceStarts(
  readers: Record<string, EngineReader>,
  observed: ObservedState,
  mapName: string,
): Promise<ObservedState> {
  const clients = await Promise.all(
    Object.entries(observed.clients).map(async ([name, client]) => {
      const reader = readers[name];
      return [name, reader === undefined ? client : await withStartTimes(reader, client, mapName)] as const;
    }),
  );
  // Everything else the observation holds (the engines that did not answer) is kept as it is.
  return { ...observed, clients: Object.fromEntries(clients) };
}

async function withStartTimes(
  reader: EngineReader,
  client: ObservedClient,
  mapName: string,
): Promise<ObservedClient> {
  const ids = namespaceSharers(client.containers, mapName);
  if (ids.size === 0) return client;
  const started = new Map<string, number>();
  await Promise.all(
    [...ids].map(async (id) => {
      const time = await startTime(reader, id);
      if (time !== undefined) started.set(id, time);
    }),
  );
  const containers = client.containers.map((c) => {
    const time = started.get(c.id);
    return time === undefined ? c : { ...c, startedAt: time };
  });
  return { ...client, containers };
}

/** Ids of the running map containers in `container:` mode whose target runs, and of those targets. */
export function namespaceSharers(containers: readonly ObservedContainer[], mapName: string): Set<string> {
  const byRef = new Map<string, ObservedContainer>();
  for (const c of containers) {
    byRef.set(c.id, c);
    byRef.set(c.name, c);
  }
  const ids = new Set<string>();
  for (const c of containers) {
    if (c.mapName !== mapName || c.kind !== "container" || c.state !== "running") continue;
    const target = joinedContainer(c, byRef);
    if (target?.state !== "running") continue;
    ids.add(c.id);
    ids.add(target.id);
  }
  return ids;
}

/** The container whose namespace `container` joined, by the id (or name) its network mode holds. */
export function joinedContainer(
  container: ObservedContainer,
  byRef: ReadonlyMap<string, ObservedContainer>,
): ObservedContainer | undefined {
  if (!container.networkMode.startsWith(CONTAINER_MODE)) return undefined;
  return byRef.get(container.networkMode.slice(CONTAINER_MODE.length));
}

/** `State.StartedAt` in ms; undefined when the container went away meanwhile or never started. */
async function startTime(reader: EngineReader, id: string): Promise<number | undefined> {
  try {
    const details = await reader.inspectContainer(id);
    return parseStartedAt(details.State.StartedAt);
  } catch (err) {
    if (isEngineNotFoundError(err)) return undefined;
    throw err;
  }
}

/** The engine's RFC 3339 time (nanoseconds) in ms; undefined for the zero time of a never-started one. */
export function parseStartedAt(text: string | undefined): number | undefined {
  if (text === undefined || text === "" || text.startsWith("0001-")) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}
