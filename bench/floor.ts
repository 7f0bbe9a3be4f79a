import type Docker from "dockerode";
import { limiter, runTasks, type Task } from "./engine.js";
import { IMAGE, MOUNT, groupMembers, workload, type RootValues, type WorkloadContainer } from "./workload.js";

/** The label on everything the floor creates; its value is the bench run's id. */
export const FLOOR_LABEL = "berth-bench.floor";

/**
 * The floor: the same workload made with only the engine calls it needs, straight through
 * dockerode (the library berth uses), at most `parallel` calls at once, in dependency order —
 * no map, no observation, no plan, no lock, no spec labels. What berth is measured against.
 */
export class Floor {
  /** Container name → id of the containers the floor made. */
  readonly ids = new Map<string, string>();
  private readonly limit: <T>(fn: () => Promise<T>) => Promise<T>;

  constructor(
    private readonly docker: Docker,
    /** Prefix of every name (like a map name). */
    readonly prefix: string,
    readonly n: number,
    private readonly runId: string,
    parallel = 8,
  ) {
    this.limit = limiter(parallel);
  }

  containerName(name: string): string {
    return `${this.prefix}.${name}`;
  }

  volumeName(alias: string): string {
    return `${this.prefix}.${alias}`;
  }

  private body(c: WorkloadContainer, name: string): Docker.ContainerCreateOptions {
    return {
      name,
      Image: IMAGE,
      // What berth sets too: the hostname derived from the name, the environment, the mounts, the links.
      Hostname: this.containerName(c.name).replace(/[._]/g, "-"),
      Env: c.rootValue === undefined ? [] : [`ROOT_VALUE=${c.rootValue}`],
      Labels: { [FLOOR_LABEL]: this.runId },
      HostConfig: {
        Binds: [`${this.volumeName(c.volume)}:${MOUNT}`],
        Links: c.link === undefined ? [] : [`${this.containerName(c.link)}:${c.link}`],
      },
    };
  }

  /** Volumes, then each container created and started once the one it links to has started. */
  async startup(rootValues: RootValues = {}): Promise<void> {
    const containers = workload(this.n, rootValues);
    const tasks: Task[] = [];
    for (const alias of new Set(containers.map((c) => c.volume))) {
      tasks.push({
        id: `volume:${alias}`,
        after: [],
        run: () =>
          this.limit(async () => {
            await this.docker.createVolume({
              Name: this.volumeName(alias),
              Labels: { [FLOOR_LABEL]: this.runId },
            });
          }),
      });
    }
    for (const c of containers) {
      const name = this.containerName(c.name);
      tasks.push({
        id: `create:${c.name}`,
        after: [`volume:${c.volume}`, ...(c.link === undefined ? [] : [`start:${c.link}`])],
        run: () =>
          this.limit(async () => {
            const created = await this.docker.createContainer(this.body(c, name));
            this.ids.set(name, created.id);
          }),
      });
      tasks.push({
        id: `start:${c.name}`,
        after: [`create:${c.name}`],
        run: () => this.limit(() => this.docker.getContainer(this.ids.get(name) as string).start()),
      });
    }
    await runTasks(tasks);
  }

  /**
   * The calls that replace group g's root (with a new environment) and, through its links, its
   * four dependents, in the same safe order as berth: create the new container under a temporary
   * name, stop and remove the old one, rename the new one, start it; each after the one it links
   * to has started.
   */
  async recreateGroup(g: number, rootValues: RootValues): Promise<void> {
    const members = new Set(groupMembers(g));
    const containers = workload(this.n, rootValues).filter((c) => members.has(c.name));
    const tasks: Task[] = [];
    for (const c of containers) {
      const name = this.containerName(c.name);
      const temporary = `${name}_bench-new`;
      const old = this.ids.get(name);
      if (old === undefined) throw new Error(`floor: no container ${name}`);
      let fresh = "";
      tasks.push(
        {
          id: `create:${c.name}`,
          after: c.link === undefined ? [] : [`start:${c.link}`],
          run: () =>
            this.limit(async () => {
              fresh = (await this.docker.createContainer(this.body(c, temporary))).id;
            }),
        },
        {
          id: `stop:${c.name}`,
          after: [`create:${c.name}`],
          run: () => this.limit(() => this.docker.getContainer(old).stop({ t: 10 })),
        },
        {
          id: `remove:${c.name}`,
          after: [`stop:${c.name}`],
          run: () => this.limit(() => this.docker.getContainer(old).remove()),
        },
        {
          id: `rename:${c.name}`,
          after: [`remove:${c.name}`],
          run: () =>
            this.limit(async () => {
              await this.docker.getContainer(fresh).rename({ name });
              this.ids.set(name, fresh);
            }),
        },
        {
          id: `start:${c.name}`,
          after: [`rename:${c.name}`],
          run: () => this.limit(() => this.docker.getContainer(fresh).start()),
        },
      );
    }
    await runTasks(tasks);
  }
}
