import type { EngineReader } from "../engine/engine.js";
import { CONTAINER_FIELDS } from "../fields/fields-container.js";
import { HOST_CONFIG_FIELDS } from "../fields/fields-host-config.js";
import type { InspectView, ReadBack } from "../fields/fields.js";
import type { ObservedContainer, ObservedState } from "./observed-state.js";

/**
 * `refresh: full`: inspects every container of the map (one call each, all at once per engine)
 * and records what the engine runs for the fields `docker update` can change, so that a change
 * made by hand is seen. The list calls of a normal observation cannot show these.
 */
export async function refreshEffective(
  readers: Record<string, EngineReader>,
  observed: ObservedState,
  mapName: string,
): Promise<ObservedState> {
  const clients = await Promise.all(
    Object.entries(observed.clients).map(async ([name, client]) => {
      const reader = readers[name];
      if (reader === undefined) return [name, client] as const;
      const containers = await Promise.all(
        client.containers.map((c) =>
          isMapContainer(c, mapName) ? withEffective(reader, c) : Promise.resolve(c),
        ),
      );
      return [name, { ...client, containers }] as const;
    }),
  );
  return { ...observed, clients: Object.fromEntries(clients) };
}

function isMapContainer(container: ObservedContainer, mapName: string): boolean {
  return container.mapName === mapName && container.kind === "container";
}

async function withEffective(reader: EngineReader, container: ObservedContainer): Promise<ObservedContainer> {
  const details = (await reader.inspectContainer(container.id)) as unknown as InspectView;
  return { ...container, effective: effectiveFields(details) };
}

/** The in-place fields' values as the engine has them, by spec path. */
export function effectiveFields(details: InspectView): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const read = (path: string, readBack: ReadBack) => {
    if ("read" in readBack) out[path] = readBack.read(details);
  };
  for (const [key, field] of Object.entries(HOST_CONFIG_FIELDS))
    if (field.class === "in-place") read(`host_config.${key}`, field.readBack);
  read("restart", CONTAINER_FIELDS.restart.readBack);
  return out;
}
