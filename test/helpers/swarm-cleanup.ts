import { isEngineNotFoundError } from "../../src/engine/engine-errors.js";
import { LABEL } from "../../src/model/labels.js";
import { extraEngine, SWARM } from "./engine.js";

/**
 * Removes exactly one map's objects from the test swarm, found by berth's labels: its services
 * and secrets on the manager, then (their tasks gone) its networks, and the volumes and stray
 * containers on both nodes. Returns what it removed.
 */
export async function removeSwarmMapObjects(mapName: string): Promise<string[]> {
  const manager = extraEngine(SWARM.manager);
  const selector = { [LABEL.map]: mapName };
  const removed: string[] = [];
  const ignoreMissing = (err: unknown) => {
    if (!isEngineNotFoundError(err)) throw err;
  };
  const services = await manager.listServices(selector);
  for (const service of services) {
    await manager.removeService(service.ID).catch(ignoreMissing);
    removed.push(`service ${service.Spec.Name}`);
  }
  const ids = new Set(services.map((s) => s.ID));
  for (const client of [SWARM.manager, SWARM.worker] as const) {
    const engine = extraEngine(client);
    // A removed service's running task containers go away a little later; a completed job's stay
    // on the node (Swarm does not reap them): those of this map's services are removed here.
    for (let i = 0; i < 60; i++) {
      const tasks = (await engine.listContainers({ "com.docker.swarm.service.id": true })).filter((c) =>
        ids.has(c.Labels?.["com.docker.swarm.service.id"] ?? ""),
      );
      for (const c of tasks.filter((t) => t.State !== "running"))
        await engine.removeContainer(c.Id, { force: true, volumes: true }).catch(ignoreMissing);
      if (tasks.every((t) => t.State !== "running")) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const c of await engine.listContainers(selector)) {
      await engine.removeContainer(c.Id, { force: true, volumes: true }).catch(ignoreMissing);
      removed.push(`container ${client} ${c.Names[0] ?? c.Id}`);
    }
  }
  for (let i = 0; i < 20; i++) {
    const networks = await manager.listNetworks(selector);
    if (networks.length === 0) break;
    for (const n of networks) await manager.removeNetwork(n.Id).catch(() => undefined);
    if ((await manager.listNetworks(selector)).length === 0) {
      removed.push(...networks.map((n) => `network ${n.Name}`));
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  for (const secret of await manager.listSecrets(selector)) {
    await manager.removeSecret(secret.ID).catch(ignoreMissing);
    removed.push(`secret ${secret.Spec.Name}`);
  }
  for (const client of [SWARM.manager, SWARM.worker] as const) {
    const engine = extraEngine(client);
    for (const v of await engine.listVolumes(selector)) {
      await engine.removeVolume(v.Name).catch(ignoreMissing);
      removed.push(`volume ${client} ${v.Name}`);
    }
  }
  return removed;
}
