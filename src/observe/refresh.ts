import type { EngineReader } from "../engine/engine.js";
import { CONTAINER_FIELDS } from "../fields/fields-container.js";
import { CREATE_OPTION_FIELDS, HOST_CONFIG_FIELDS } from "../fields/fields-host-config.js";
import { valueAt, type InspectView, type ReadBack } from "../fields/fields.js";
import { isEngineNotFoundError } from "../engine/engine-errors.js";
import type {
  EffectiveConfig,
  ObservedClient,
  ObservedContainer,
  ObservedState,
  ObservedVolume,
} from "./observed-state.js";

/**
 * `refresh: full`: inspects every container of the map (one call each, all at once per engine)
 * and records what the engine runs for every field the registry can read back, so that a change
 * made by hand (`docker update`, or a container made again by hand under berth's labels) is seen.
 * The list calls of a normal observation cannot show these. Likewise it reads the owner and mode
 * of the folder of each volume named in `ownedVolumes` (the attached volumes the map gives a
 * `user` or `permissions`): one call each, through a container mounting it (see
 * EngineReader.pathOwner), so a chown or chmod made by hand is seen too.
 */
export async function refreshEffective(
  readers: Record<string, EngineReader>,
  observed: ObservedState,
  mapName: string,
  ownedVolumes: readonly string[] = [],
): Promise<ObservedState> {
  const clients = await Promise.all(
    Object.entries(observed.clients).map(async ([name, client]) => {
      const reader = readers[name];
      if (reader === undefined) return [name, client] as const;
      const names = new Map(client.containers.map((c) => [c.id, c.name]));
      const [containers, volumes] = await Promise.all([
        Promise.all(
          client.containers.map((c) =>
            isMapContainer(c, mapName) ? withEffective(reader, c, names) : Promise.resolve(c),
          ),
        ),
        Promise.all(
          client.volumes.map((v) =>
            ownedVolumes.includes(v.name) && v.mapName === mapName
              ? withFolder(reader, client, v, mapName)
              : Promise.resolve(v),
          ),
        ),
      ]);
      return [name, { ...client, containers, volumes }] as const;
    }),
  );
  return { ...observed, clients: Object.fromEntries(clients) };
}

/**
 * The volume with its folder's owner and mode, read at the mount point of a container that mounts
 * it (the map's own first). Without one, or when that container went away meanwhile, unknown.
 */
async function withFolder(
  reader: EngineReader,
  client: ObservedClient,
  volume: ObservedVolume,
  mapName: string,
): Promise<ObservedVolume> {
  // A container the engine is removing (or failed to) may no longer give an archive.
  const mounters = client.containers
    .filter((c) => c.state !== "removing" && c.state !== "dead")
    .filter((c) => c.mounts.some((m) => m.type === "volume" && m.name === volume.name))
    .sort((a, b) => Number(b.mapName === mapName) - Number(a.mapName === mapName));
  const container = mounters[0];
  const mount = container?.mounts.find((m) => m.name === volume.name);
  if (container === undefined || mount === undefined) return volume;
  try {
    return { ...volume, folder: await reader.pathOwner(container.id, mount.destination) };
  } catch (err) {
    if (isEngineNotFoundError(err)) return volume;
    throw err;
  }
}

function isMapContainer(container: ObservedContainer, mapName: string): boolean {
  return container.mapName === mapName && container.kind === "container";
}

async function withEffective(
  reader: EngineReader,
  container: ObservedContainer,
  names: ReadonlyMap<string, string>,
): Promise<ObservedContainer> {
  const details = (await reader.inspectContainer(container.id)) as unknown as InspectView;
  const effective = effectiveConfig(details);
  for (const path of SHARED_NAMESPACES) effective.fields[path] = byName(effective.fields[path], names);
  return { ...container, effective };
}

/** Modes that may name another container (`container:NAME`). */
const SHARED_NAMESPACES = ["network_mode", "host_config.ipc_mode", "host_config.pid_mode"];

/**
 * The engine keeps `ipc_mode` and `pid_mode` `container:NAME` as `container:ID`: said by name again
 * (the engine's list gives it), as the map writes it, or a full look would see a change that is not.
 */
function byName(mode: unknown, names: ReadonlyMap<string, string>): unknown {
  if (typeof mode !== "string" || !mode.startsWith("container:")) return mode;
  const name = names.get(mode.slice("container:".length));
  return name === undefined ? mode : `container:${name}`;
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
