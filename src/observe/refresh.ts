import type { EngineReader } from "../engine/engine.js";
import { CONTAINER_FIELDS } from "../fields/fields-container.js";
import { CREATE_OPTION_FIELDS, HOST_CONFIG_FIELDS } from "../fields/fields-host-config.js";
import { valueAt, type InspectView, type ReadBack } from "../fields/fields.js";
import type { EffectiveConfig, ObservedContainer, ObservedState } from "./observed-state.js";

/**
 * `refresh: full`: inspects every container of the map (one call each, all at once per engine)
 * and records what the engine runs for every field the registry can read back, so that a change
 * made by hand (`docker update`, or a container made again by hand under berth's labels) is seen.
 * The list calls of a normal observation cannot show these.
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
  return { clients: Object.fromEntries(clients) };
}

function isMapContainer(container: ObservedContainer, mapName: string): boolean {
  return container.mapName === mapName && container.kind === "container";
}

async function withEffective(reader: EngineReader, container: ObservedContainer): Promise<ObservedContainer> {
  const details = (await reader.inspectContainer(container.id)) as unknown as InspectView;
  return { ...container, effective: effectiveConfig(details) };
}

/** Anonymous volumes are named by 64 hex digits: carried over by berth, never the map's. */
const ANONYMOUS_VOLUME = /^[0-9a-f]{64}$/;

/**
 * What the engine runs, in the spec's form: every registry field that has a read-back (by spec
 * path: `environment`, `host_config.mem_limit`, `create_options.tty`), plus the named-volume
 * mounts, which the registry cannot split between `attaches` and `uses` (both are binds).
 */
export function effectiveConfig(details: InspectView): EffectiveConfig {
  const fields: Record<string, unknown> = {};
  const read = (path: string, readBack: ReadBack) => {
    if ("read" in readBack) fields[path] = readBack.read(details);
  };
  for (const [key, field] of Object.entries(CONTAINER_FIELDS)) read(key, field.readBack);
  for (const [key, field] of Object.entries(HOST_CONFIG_FIELDS)) read(`host_config.${key}`, field.readBack);
  for (const [key, field] of Object.entries(CREATE_OPTION_FIELDS))
    read(`create_options.${key}`, field.readBack);
  const binds = (valueAt(details, "HostConfig.Binds") as string[] | null | undefined) ?? [];
  const volumeBinds = binds
    .filter((bind) => !bind.startsWith("/"))
    .filter((bind) => !ANONYMOUS_VOLUME.test(bind.split(":")[0] ?? ""))
    .map((bind) => bind.replace(/:rw$/, ""))
    .sort();
  const volumesFrom = [...((valueAt(details, "HostConfig.VolumesFrom") as string[] | null | undefined) ?? [])]
    .map((entry) => entry.replace(/:rw$/, ""))
    .sort();
  const text = (path: string) => {
    const value = valueAt(details, path);
    return typeof value === "string" ? value : "";
  };
  const name = text("Name").replace(/^\//, "");
  const id = text("Id");
  const hostname = text("Config.Hostname");
  const engineAliases = [id.slice(0, 12), name, hostname].filter((alias) => alias !== "");
  return { fields, volumeBinds, volumesFrom, engineAliases };
}
