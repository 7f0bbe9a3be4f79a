import { access, readFile, readlink, stat } from "node:fs/promises";
import type Docker from "dockerode";
import { execMarkerPaths } from "./container-checks.js";
import type {
  ContainerFacts,
  EngineWorld,
  ImageFacts,
  InspectedContainer,
  NetworkFacts,
  VolumeFacts,
} from "./engine-facts.js";
import type { ExpectedContainer, ExpectedMap } from "./expected-map.js";

/**
 * Reads what the engine runs with the Docker API itself (dockerode), by the Docker names the map
 * implies — never through berth's engine layer, its observation or its labels — and looks on the
 * host (the tests run as
 * root on the engine's machine): namespaces, /etc/hosts, files in containers, volume folders.
 */
export interface ProbeOptions {
  /** How long to wait for health checks that are still `starting` (default 15 s). */
  healthWaitMs?: number;
}

export async function probeWorld(
  docker: Docker,
  map: ExpectedMap,
  options: ProbeOptions = {},
): Promise<EngineWorld> {
  const inspected = await inspectContainers(docker, map.containers, options.healthWaitMs ?? 15_000);
  const containers = new Map<string, ContainerFacts>();
  for (const expected of map.containers) {
    const inspect = inspected.get(expected.name);
    if (inspect !== undefined) containers.set(expected.name, await containerFacts(expected, inspect));
  }
  return {
    containers,
    namedLikeMap: await containersNamedLikeMap(docker, map.name),
    images: await inspectImages(docker, [...new Set(map.containers.map((c) => c.image))]),
    volumes: await inspectVolumes(
      docker,
      map.volumes.map((v) => v.name),
    ),
    networks: await inspectNetworks(
      docker,
      map.networks.map((n) => n.name),
    ),
  };
}

/** undefined when the engine answers 404 (the object does not exist). */
async function orMissing<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** Inspects the map's containers, inspecting again while a health check is still `starting`. */
async function inspectContainers(
  docker: Docker,
  expected: ExpectedContainer[],
  healthWaitMs: number,
): Promise<Map<string, InspectedContainer>> {
  const deadline = Date.now() + healthWaitMs;
  const result = new Map<string, InspectedContainer>();
  for (;;) {
    for (const { name } of expected) {
      const inspect = await orMissing(docker.getContainer(name).inspect());
      if (inspect === undefined) result.delete(name);
      else result.set(name, inspect as unknown as InspectedContainer);
    }
    const starting = [...result.values()].some(
      (c) => c.State.Running && c.State.Health?.Status === "starting",
    );
    if (!starting || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function containerFacts(
  expected: ExpectedContainer,
  inspect: InspectedContainer,
): Promise<ContainerFacts> {
  const facts: ContainerFacts = { inspect, paths: {} };
  if (!inspect.State.Running || inspect.State.Pid <= 0) return facts;
  // Read from the host (we are root on the engine's machine), not by exec: an exec can fail for the
  // very drift being looked for (a link to a container that is gone).
  const pid = inspect.State.Pid;
  facts.netns = await readlink(`/proc/${pid}/ns/net`).catch(() => undefined);
  if (expected.links.length > 0 && inspect.HostsPath) {
    facts.hosts = await readFile(inspect.HostsPath, "utf8").catch(() => undefined);
  }
  for (const path of expected.execCommands.flatMap((e) => execMarkerPaths(e.cmd))) {
    facts.paths[path] = await access(`/proc/${pid}/root${path}`).then(
      () => true,
      () => false,
    );
  }
  return facts;
}

/** Every container whose name starts with `<map>.`, by name only (berth's labels are not used). */
async function containersNamedLikeMap(docker: Docker, mapName: string): Promise<string[]> {
  const all = await docker.listContainers({ all: true });
  const prefix = `/${mapName}.`;
  // A name with a second `/` is how a legacy link shows in the list (`/linker/alias`), not a container.
  const own = (n: string) => n.startsWith(prefix) && !n.slice(1).includes("/");
  return all.flatMap((c) => c.Names.filter(own).map((n) => n.slice(1))).sort();
}

async function inspectImages(docker: Docker, tags: string[]): Promise<Map<string, ImageFacts>> {
  const images = new Map<string, ImageFacts>();
  for (const tag of tags) {
    const image = await orMissing(docker.getImage(tag).inspect());
    if (image !== undefined) images.set(tag, image as unknown as ImageFacts);
  }
  return images;
}

async function inspectVolumes(docker: Docker, names: string[]): Promise<Map<string, VolumeFacts>> {
  const volumes = new Map<string, VolumeFacts>();
  for (const name of names) {
    const volume = await orMissing(docker.getVolume(name).inspect());
    if (volume === undefined) continue;
    const facts: VolumeFacts = { Name: volume.Name, Driver: volume.Driver };
    const folder = await stat(volume.Mountpoint).catch(() => undefined);
    if (folder !== undefined) facts.folder = { uid: folder.uid, gid: folder.gid, mode: folder.mode & 0o7777 };
    volumes.set(name, facts);
  }
  return volumes;
}

async function inspectNetworks(docker: Docker, names: string[]): Promise<Map<string, NetworkFacts>> {
  const networks = new Map<string, NetworkFacts>();
  for (const name of names) {
    const network = (await orMissing(docker.getNetwork(name).inspect())) as NetworkFacts | undefined;
    // Inspect also answers to an id prefix: keep exact names only.
    if (network !== undefined && network.Name === name) networks.set(name, network);
  }
  return networks;
}
