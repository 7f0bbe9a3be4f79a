import type { LoadedMap } from "../map/load-map.js";
import type { ObservedState } from "../observe/observed-state.js";
import { buildContainerSpec, containerNameLookup, type ClientContext } from "../spec/container-spec.js";
import { diffSpecs } from "../spec/spec-diff.js";
import { defaultClientContext } from "./plan.js";

/**
 * Containers whose in-place fields (limits, restart policy) or network endpoints differ between
 * their label and the map: after a `docker update` or a reconnect the label still shows the old
 * value, so only an inspect tells whether the change is still to do. For a map that nothing
 * changed, the answer is none.
 */
export function containersToInspect(
  map: LoadedMap,
  observed: ObservedState,
  clients: Record<string, ClientContext> = {},
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const nameOf = containerNameLookup(map.resolved);
  for (const [client, state] of Object.entries(observed.clients)) {
    const context = clients[client] ?? defaultClientContext(client);
    const byName = new Map(state.containers.filter((c) => c.mapName === map.name).map((c) => [c.name, c]));
    const ids = new Set<string>();
    for (const container of map.resolved.containers) {
      if (!container.clients.includes(client)) continue;
      const observedContainer = byName.get(container.name);
      const applied = observedContainer?.applied;
      if (observedContainer === undefined || applied === undefined) continue;
      const desired = buildContainerSpec(container, context, nameOf);
      const changes = diffSpecs(applied.spec, desired, applied.salt, map.resolved.sensitive);
      if (changes.some((c) => c.class === "in-place" || c.class === "reconnect"))
        ids.add(observedContainer.id);
    }
    if (ids.size > 0) out.set(client, ids);
  }
  return out;
}
