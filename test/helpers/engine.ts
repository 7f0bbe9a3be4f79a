import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DockerEngine } from "../../src/engine/docker-engine.js";
import { isEngineNotFoundError } from "../../src/engine/engine-errors.js";
import { LABEL } from "../../src/model/labels.js";

/** Images built by scripts/test-engine.sh. */
export const FIXTURE_IMAGES = {
  base1: "berth-test/base:1",
  base2: "berth-test/base:2",
  oneshot: "berth-test/oneshot:1",
  healthy: "berth-test/healthy:1",
} as const;

/**
 * The extra engines of scripts/test-engines-extra.sh (each dockerd in a network namespace of its
 * own), by the client name the tests give them: e2 and e3 are plain engines (several hosts), e4 is
 * a swarm manager and e5 its worker (Swarm, overlay networks). Tests that stop an engine stop e3
 * (test/integration) or e5 (test/integration/swarm, whose files run one after another).
 */
export const EXTRA_ENGINES = {
  e2: "unix:///run/berth-e2.sock",
  e3: "unix:///run/berth-e3.sock",
  e4: "unix:///run/berth-e4.sock",
  e5: "unix:///run/berth-e5.sock",
} as const;

/** The swarm of e4 (manager) and e5 (worker); its nodes carry this label with the engine's name. */
export const SWARM = { manager: "e4", worker: "e5", nodeLabel: "berth.test.node" } as const;

/** Where scripts/test-engines-extra.sh keeps an extra engine's dockerd pid. */
export const extraEnginePidFile = (client: keyof typeof EXTRA_ENGINES) =>
  `/run/berth-engines/${client}/dockerd.pid`;

/** Stops an extra engine's dockerd (TERM, as the script's --down does) and waits until it is gone. */
export async function stopExtraEngine(client: keyof typeof EXTRA_ENGINES): Promise<void> {
  const pid = Number(readFileSync(extraEnginePidFile(client), "utf8").trim());
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 120; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${client}'s dockerd did not stop within 30 s`);
}

/** Brings the extra engines back (the script starts only those that do not answer). */
export function startExtraEngines(): void {
  const script = fileURLToPath(new URL("../../scripts/test-engines-extra.sh", import.meta.url));
  const done = spawnSync("bash", [script], { encoding: "utf8" });
  if (done.status !== 0) throw new Error(`test-engines-extra.sh failed: ${done.stderr}`);
}

export function extraEngine(client: keyof typeof EXTRA_ENGINES): DockerEngine {
  return new DockerEngine({ name: client, baseUrl: EXTRA_ENGINES[client], callTimeoutMs: 60_000 });
}

export function testEngine(): DockerEngine {
  return new DockerEngine({ callTimeoutMs: 60_000 });
}

/** A map name no other test uses, so tests can run in parallel on one engine. */
export function uniqueMapName(prefix: string): string {
  return `bt-${prefix}-${randomBytes(3).toString("hex")}`;
}

/** One container of a map, as the engine lists it. */
export interface ContainerRow {
  name: string;
  id: string;
  state: string;
  image: string;
}

/** The containers of one map (found by berth's label), sorted by name. */
export async function mapContainers(engine: DockerEngine, mapName: string): Promise<ContainerRow[]> {
  return (await engine.listContainers({ [LABEL.map]: mapName }))
    .map((c) => ({ name: (c.Names[0] ?? "").replace(/^\//, ""), id: c.Id, state: c.State, image: c.Image }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Removes exactly the objects of one map (found by berth's labels): containers first, then
 * networks and volumes. Returns what it removed, so a test can assert on leftovers.
 */
export async function removeMapObjects(engine: DockerEngine, mapName: string): Promise<string[]> {
  const selector = { [LABEL.map]: mapName };
  const removed: string[] = [];
  const ignoreMissing = (err: unknown) => {
    if (!isEngineNotFoundError(err)) throw err;
  };
  for (const c of await engine.listContainers(selector)) {
    await engine.removeContainer(c.Id, { force: true, volumes: true }).catch(ignoreMissing);
    removed.push(`container ${c.Names[0] ?? c.Id}`);
  }
  for (const n of await engine.listNetworks(selector)) {
    await engine.removeNetwork(n.Id).catch(ignoreMissing);
    removed.push(`network ${n.Name}`);
  }
  for (const v of await engine.listVolumes(selector)) {
    await engine.removeVolume(v.Name).catch(ignoreMissing);
    removed.push(`volume ${v.Name}`);
  }
  // Images the map built (tagged and dangling ones), by their label: every tag, then the image.
  for (const image of await engine.listImages()) {
    if (image.Labels?.[LABEL.map] !== mapName) continue;
    const tags = (image.RepoTags ?? []).filter((t) => t !== "<none>:<none>");
    for (const tag of tags) await engine.removeImage(tag).catch(ignoreMissing);
    if (tags.length === 0) await engine.removeImage(image.Id).catch(ignoreMissing);
    removed.push(`image ${tags[0] ?? image.Id}`);
  }
  return removed;
}
