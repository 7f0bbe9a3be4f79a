import Docker from "dockerode";
import { engineSocketPath } from "./proxy.js";

/** A plain dockerode client on the engine socket (the floor, checks and clean-up use it). */
export function dockerClient(): Docker {
  return new Docker({ socketPath: engineSocketPath() });
}

/** At most `n` calls at once. */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

export interface Task {
  id: string;
  after: string[];
  run: () => Promise<void>;
}

/**
 * Runs tasks in dependency order: a task starts once every task it names in `after` is done. The
 * concurrency limit is the caller's (wrap each engine call in a limiter).
 */
export async function runTasks(tasks: readonly Task[]): Promise<void> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const done = new Map<string, Promise<void>>();
  const start = (task: Task): Promise<void> => {
    let promise = done.get(task.id);
    if (promise === undefined) {
      promise = Promise.all(
        task.after.map((id) => {
          const dependency = byId.get(id);
          if (dependency === undefined) throw new Error(`task ${task.id}: unknown dependency ${id}`);
          return start(dependency);
        }),
      ).then(() => task.run());
      done.set(task.id, promise);
    }
    return promise;
  };
  await Promise.all(tasks.map(start));
}

export interface Removed {
  containers: number;
  volumes: number;
  networks: number;
}

/** Force-removes every container, then network and volume, carrying the label `key=value`. */
export async function removeByLabel(docker: Docker, label: string, parallel = 8): Promise<Removed> {
  const filters = JSON.stringify({ label: [label] });
  const limit = limiter(parallel);
  const ignoreMissing = (err: unknown) => {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) =>
      limit(() => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreMissing)),
    ),
  );
  const networks = await docker.listNetworks({ filters });
  for (const n of networks) await docker.getNetwork(n.Id).remove().catch(ignoreMissing);
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  await Promise.all(volumes.map((v) => limit(() => docker.getVolume(v.Name).remove().catch(ignoreMissing))));
  return { containers: containers.length, volumes: volumes.length, networks: networks.length };
}

export interface ContainerState {
  id: string;
  name: string;
  state: string;
}

/** Containers carrying a label, by name (without the leading slash). */
export async function containersByLabel(docker: Docker, label: string): Promise<Map<string, ContainerState>> {
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [label] }) });
  const out = new Map<string, ContainerState>();
  for (const c of list) {
    const name = (c.Names.find((n) => n.lastIndexOf("/") === 0) ?? c.Names[0] ?? c.Id).replace(/^\//, "");
    out.set(name, { id: c.Id, name, state: c.State });
  }
  return out;
}

/** The environment of a container as NAME → value. */
export async function environmentOf(docker: Docker, idOrName: string): Promise<Record<string, string>> {
  const details = await docker.getContainer(idOrName).inspect();
  const out: Record<string, string> = {};
  for (const entry of details.Config.Env ?? []) {
    const at = entry.indexOf("=");
    out[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return out;
}
