import { describe, expect, it } from "vitest";
import type { LoadedMap } from "../../../src/load-map.js";
import type { Plan, Reason } from "../../../src/plan/plan-types.js";
import {
  changeOf,
  changesOf,
  containerChanges,
  deployed,
  hasStep,
  mapOf,
  planAndApply,
  planWorld,
  recreatedKeys,
  stepFor,
  stepSummary,
  stepsOfType,
} from "../../helpers/plan-fixtures.js";
import {
  applyPlan,
  engineOf,
  registryImageId,
  worldFor,
  type SimulatedWorld,
} from "../../helpers/simulated-engine.js";

/**
 * The update planner's per-container rules, one by one, over a simulated engine: what is
 * created, started, left alone, updated in place, reconnected or recreated, and the reasons.
 */

/** Deploys `before`, then plans `after` (update) against the result. */
async function planChange(
  before: string,
  after: string,
): Promise<{ plan: Plan; world: SimulatedWorld; map: LoadedMap }> {
  const world = await deployed(mapOf(before));
  const map = mapOf(after);
  return { plan: await planWorld(map, world), world, map };
}

function reasonsOf(
  made: Plan,
  key: string,
  kind: "recreate" | "update" | "start" | "reconnect" | "outdated",
): Reason[] {
  return changeOf(made, key, kind).reasons;
}

/** Applies a plan and checks that the next update plan is empty. */
async function expectConverges(made: Plan, world: SimulatedWorld, map: LoadedMap): Promise<SimulatedWorld> {
  const after = (await applyPlan(world, made, map, { order: "reverse" })).world;
  const next = await planWorld(map, after);
  expect(stepSummary(next)).toEqual([]);
  return after;
}

describe("update: a missing container", () => {
  const MAP = `
networks: {back: {}, front: {}}
app:
  image: app:1
  networks:
    back: {aliases: [api]}
    front: {}
  exec_commands:
    - [echo first, null, initial]
    - echo every-start
`;

  it("is created on its first network, connected to the others, started, then its exec commands run", async () => {
    const map = mapOf(MAP);
    const made = await planWorld(map, worldFor(map));
    expect(stepSummary(made)).toEqual([
      "create-network back",
      "create-network front",
      "create-container app",
      "connect-network app",
      "start-container app",
      "exec app",
      "exec app",
      "record-state berth-state.app",
    ]);
    const create = stepFor(made, "create-container", "app");
    expect(create).toMatchObject({ name: "app.app", temporary: false, carriedVolumes: [] });
    expect(create.after).toEqual(["create-network:default/app.back", "create-network:default/app.front"]);
    const connect = stepFor(made, "connect-network", "app");
    expect(connect).toMatchObject({ network: "app.front", container: "app.app" });
    expect(connect.after).toEqual([create.id]);
    const start = stepFor(made, "start-container", "app");
    expect(start.after).toEqual([connect.id, create.id].sort());
    const [initial, restart] = stepsOfType(made, "exec");
    expect(initial).toMatchObject({ text: "echo first", after: [start.id] });
    expect(restart).toMatchObject({ text: "echo every-start", after: [initial?.id] });
    expect(changeOf(made, "app", "create").reasons).toEqual([{ message: "container does not exist" }]);
    expect(made.summary).toMatchObject({ create: 3, recreate: 0 });
  });

  it("converges: the next plan is empty, and the container runs on both networks", async () => {
    const map = mapOf(MAP);
    const { world, plan: made } = await planAndApply(map, worldFor(map));
    expect(made.steps.length).toBeGreaterThan(0);
    const app = engineOf(world).named("app.app");
    expect(app.state).toBe("running");
    expect(Object.keys(app.networks).sort()).toEqual(["app.back", "app.front"]);
    expect(app.execs).toEqual(["echo first", "echo every-start"]);
    expect(stepSummary(await planWorld(map, world))).toEqual([]);
  });

  it("pulls a missing image before the create, once per image", async () => {
    const map = mapOf(`
a: {image: "shared:1"}
b: {image: "shared:1"}
`);
    const made = await planWorld(map, worldFor(map, { images: false }));
    const pulls = stepsOfType(made, "pull-image");
    expect(pulls.map((s) => s.image)).toEqual(["shared:1"]);
    for (const key of ["a", "b"])
      expect(stepFor(made, "create-container", key).after).toContain(pulls[0]?.id);
  });
});

describe("update: a recreate-class change recreates, with the field, old and new value", () => {
  const BASE = `
db: {image: "db:1"}
app:
  image: app:1
  environment: {FOO: "1", BAR: x}
  exposes: [8080, 9090]
  links: db
  command: serve --port 80
`;

  const cases: [string, string, Reason][] = [
    [
      "an environment value",
      BASE.replace('FOO: "1"', 'FOO: "2"'),
      { message: "environment.FOO changed", field: "environment.FOO", old: "1", new: "2" },
    ],
    [
      "a removed environment variable",
      BASE.replace(", BAR: x", ""),
      { message: "environment.BAR changed", field: "environment.BAR", old: "x" },
    ],
    [
      "an added environment variable",
      BASE.replace("BAR: x", "BAR: x, NEW: y"),
      { message: "environment.NEW changed", field: "environment.NEW", new: "y" },
    ],
    [
      "a removed port",
      BASE.replace("[8080, 9090]", "[8080]"),
      { message: "exposes changed", field: "exposes", old: ["9090/tcp"], new: [] },
    ],
    [
      "an added port",
      BASE.replace("[8080, 9090]", "[8080, 9090, 7070]"),
      { message: "exposes changed", field: "exposes", old: [], new: ["7070/tcp"] },
    ],
    [
      "a removed link",
      BASE.replace("  links: db\n", ""),
      { message: "links changed", field: "links", old: ["app.db:db"], new: [] },
    ],
    [
      "a removed command",
      BASE.replace("  command: serve --port 80\n", ""),
      { message: "command changed", field: "command", old: ["serve", "--port", "80"], new: null },
    ],
    [
      "a changed image reference",
      BASE.replace("image: app:1", "image: app:2"),
      { message: "image changed", field: "image", old: "app:1", new: "app:2" },
    ],
  ];

  it.each(cases)("%s", async (_name, after, reason) => {
    const world = await deployed(mapOf(BASE));
    const map = mapOf(after);
    engineOf(world).pullImage("app:2");
    const made = await planWorld(map, world);
    expect(recreatedKeys(made)).toEqual(["app"]);
    expect(reasonsOf(made, "app", "recreate")).toContainEqual(reason);
    // Nothing else: db did not change and app's dependents are none.
    expect(containerChanges(made)).toEqual({ app: ["recreate"] });
    await expectConverges(made, world, map);
  });

  it("the image id under the tag changed (re-tag or newer pull)", async () => {
    const map = mapOf(BASE);
    const world = await deployed(map);
    const before = engineOf(world).named("app.app").imageId;
    const newer = registryImageId("app:1", 2);
    engineOf(world).tagImage("app:1", newer);
    const made = await planWorld(map, world);
    expect(recreatedKeys(made)).toEqual(["app"]);
    const short = (id: string) => id.replace("sha256:", "").slice(0, 12);
    expect(reasonsOf(made, "app", "recreate")).toEqual([
      {
        message: `image app:1 now refers to ${short(newer)} (the container runs ${short(before)})`,
        field: "image",
        old: short(before),
        new: short(newer),
      },
    ]);
    const after = await expectConverges(made, world, map);
    expect(engineOf(after).named("app.app").imageId).toBe(newer);
  });

  it("a dead container, and one that exited with a non-recoverable code, are recreated", async () => {
    const map = mapOf(BASE);
    const world = await deployed(map);
    engineOf(world).named("app.app").state = "dead";
    engineOf(world).stopContainer("app.db", -127);
    const made = await planWorld(map, world);
    expect(recreatedKeys(made)).toEqual(["app", "db"]);
    expect(reasonsOf(made, "app", "recreate")).toContainEqual({ message: "the container is dead" });
    expect(reasonsOf(made, "db", "recreate")).toContainEqual({
      message: "exited with code -127, which the engine cannot recover from by a start",
    });
    await expectConverges(made, world, map);
  });

  it("a container made without a spec label (by hand) is recreated", async () => {
    const map = mapOf(BASE);
    const world = await deployed(map);
    const db = engineOf(world).named("app.db");
    db.labels = { "berth.map": "app", "berth.config": "db", "berth.instance": "", "berth.kind": "container" };
    const made = await planWorld(map, world);
    expect(reasonsOf(made, "db", "recreate")).toEqual([
      { message: "created without a spec berth can read (made by hand or by another tool)" },
    ]);
  });

  it("a field of the `ignored` class (stop_timeout, start_delay, depends_on) changes nothing", async () => {
    const { plan: made } = await planChange(
      BASE,
      BASE.replace("image: app:1", "image: app:1\n  stop_timeout: 30\n  start_delay: 2s\n  depends_on: db"),
    );
    expect(stepSummary(made)).toEqual([]);
  });
});

describe("update: stopped containers", () => {
  const MAP = `
job: {image: "job:1"}
data: {image: "data:1", persistent: true}
app:
  image: app:1
  depends_on: {job: {condition: completed}}
  exec_commands: [[echo initial, null, initial], echo again]
`;

  it("a stopped non-persistent container is started; its restart exec commands run, not the initial ones", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world).stopContainer("app.app", 137);
    const made = await planWorld(map, world);
    // The start is gated by the job's completion again (the job exited 0: the wait ends at once).
    expect(stepSummary(made)).toEqual([
      "wait-completed job",
      "start-container app",
      "exec app",
      "record-state berth-state.app",
    ]);
    expect(stepFor(made, "start-container", "app").after).toEqual([
      stepFor(made, "wait-completed", "job").id,
    ]);
    expect(stepFor(made, "exec", "app").text).toBe("echo again");
    expect(reasonsOf(made, "app", "start")).toEqual([{ message: "container is exited (137)" }]);
    await expectConverges(made, world, map);
  });

  it("a container created but never started is started", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    const app = engineOf(world).named("app.app");
    app.state = "created";
    const made = await planWorld(map, world);
    expect(stepSummary(made)).toEqual([
      "wait-completed job",
      "start-container app",
      "exec app",
      "record-state berth-state.app",
    ]);
    expect(reasonsOf(made, "app", "start")).toEqual([{ message: "created but never started" }]);
  });

  it("a persistent container that exited is left as it is", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world).stopContainer("app.data", 0);
    const made = await planWorld(map, world);
    expect(stepSummary(made)).toEqual([]);
    expect(changesOf(made, "data")).toEqual([]);
  });

  it("a `depends_on: completed` target that exited 0 is left; one that failed is started again", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    expect(engineOf(world).named("app.job")).toMatchObject({ state: "exited", exitCode: 0 });
    expect(stepSummary(await planWorld(map, world))).toEqual([]);
    engineOf(world).named("app.job").exitCode = 1;
    const made = await planWorld(map, world);
    expect(stepSummary(made)).toEqual(["start-container job"]);
  });
});

describe("update: in-place fields", () => {
  const BASE = `
app:
  image: app:1
  restart: always
  host_config: {mem_limit: 64m, cpu_shares: 512}
`;

  it("a changed limit is updated in place, without a recreate", async () => {
    const { plan: made, world, map } = await planChange(BASE, BASE.replace("64m", "128m"));
    expect(stepSummary(made)).toEqual(["update-container app", "record-state berth-state.app"]);
    expect(stepFor(made, "update-container", "app")).toMatchObject({
      container: "app.app",
      fields: ["host_config.mem_limit"],
    });
    expect(reasonsOf(made, "app", "update")).toEqual([
      { message: "host_config.mem_limit changes in place", field: "host_config.mem_limit" },
    ]);
    expect(recreatedKeys(made)).toEqual([]);
    const after = await expectConverges(made, world, map);
    expect(engineOf(after).named("app.app").limits).toMatchObject({ Memory: 128 * 1024 * 1024 });
  });

  it("a changed restart policy is updated in place", async () => {
    const {
      plan: made,
      world,
      map,
    } = await planChange(BASE, BASE.replace("restart: always", "restart: on-failure:3"));
    expect(stepSummary(made)).toEqual(["update-container app", "record-state berth-state.app"]);
    expect(stepFor(made, "update-container", "app").fields).toEqual(["restart"]);
    const after = await expectConverges(made, world, map);
    expect(engineOf(after).named("app.app").restartPolicy).toEqual({
      Name: "on-failure",
      MaximumRetryCount: 3,
    });
  });

  it("a removed restart policy is set to `no` in place", async () => {
    const { plan: made, world, map } = await planChange(BASE, BASE.replace("  restart: always\n", ""));
    expect(stepSummary(made)).toEqual(["update-container app", "record-state berth-state.app"]);
    const after = await expectConverges(made, world, map);
    expect(engineOf(after).named("app.app").restartPolicy).toEqual({ Name: "no" });
  });

  it("a restart policy changed to `on-failure:0` converges (the engine reports it as `on-failure`)", async () => {
    const v1 = mapOf(BASE);
    const v2 = mapOf(BASE.replace("restart: always", "restart: on-failure:0"));
    const { world } = await planAndApply(v2, await deployed(v1));
    expect(engineOf(world).named("app.app").restartPolicy).toEqual({
      Name: "on-failure",
      MaximumRetryCount: 0,
    });
    expect(stepSummary(await planWorld(v2, world))).toEqual([]);
  });

  it("a removed limit cannot be unset in place: recreate", async () => {
    const { plan: made, world, map } = await planChange(BASE, BASE.replace("mem_limit: 64m, ", ""));
    expect(recreatedKeys(made)).toEqual(["app"]);
    expect(hasStep(made, "update-container", "app")).toBe(false);
    expect(reasonsOf(made, "app", "recreate")).toEqual([
      {
        message: "host_config.mem_limit removed; the engine cannot unset it in place",
        field: "host_config.mem_limit",
        old: 64 * 1024 * 1024,
      },
    ]);
    await expectConverges(made, world, map);
  });

  it("an in-place change together with a recreate-class change is one recreate", async () => {
    const { plan: made } = await planChange(
      BASE,
      BASE.replace("64m", "128m").replace("image: app:1", "image: app:1\n  environment: {A: b}"),
    );
    expect(stepSummary(made).filter((s) => s.startsWith("update-container"))).toEqual([]);
    expect(recreatedKeys(made)).toEqual(["app"]);
  });

  it("a limit changed back to the value on the label is updated again (the label is stale after an update)", async () => {
    // v1 (64m) → v2 (128m, updated in place; the label still says 64m) → back to v1.
    const v1 = mapOf(BASE);
    const v2 = mapOf(BASE.replace("64m", "128m"));
    const world = (await planAndApply(v2, await deployed(v1))).world;
    expect(engineOf(world).named("app.app").limits).toMatchObject({ Memory: 128 * 1024 * 1024 });
    const made = await planWorld(v1, world);
    const after = (await applyPlan(world, made, v1)).world;
    // The container must end with the map's limit.
    expect(engineOf(after).named("app.app").limits).toMatchObject({ Memory: 64 * 1024 * 1024 });
  });
});

describe("update: network endpoints are reconnected, not recreated", () => {
  const BASE = `
networks: {back: {}, front: {}}
app:
  image: app:1
  networks:
    back: {aliases: [api]}
`;

  it("a changed alias: disconnect and connect again, nothing else", async () => {
    const { plan: made, world, map } = await planChange(BASE, BASE.replace("[api]", "[api, api2]"));
    expect(stepSummary(made)).toEqual([
      "disconnect-network app",
      "connect-network app",
      "record-state berth-state.app",
    ]);
    const disconnect = stepFor(made, "disconnect-network", "app");
    const connect = stepFor(made, "connect-network", "app");
    expect(disconnect).toMatchObject({ network: "app.back", container: "app.app" });
    expect(connect).toMatchObject({ network: "app.back", endpoint: { aliases: ["api", "api2"] } });
    expect(connect.after).toEqual([disconnect.id]);
    expect(reasonsOf(made, "app", "reconnect")).toEqual([
      { message: "endpoint on network app.back differs (aliases, links or addresses)" },
    ]);
    expect(recreatedKeys(made)).toEqual([]);
    await expectConverges(made, world, map);
  });

  it("an alias changed back to the label's value is reconnected again (the label is stale after a reconnect)", async () => {
    // v1 [api] → v2 [api, api2] (reconnected; the label still says [api]) → back to v1.
    const v1 = mapOf(BASE);
    const v2 = mapOf(BASE.replace("[api]", "[api, api2]"));
    const world = (await planAndApply(v2, await deployed(v1))).world;
    expect(engineOf(world).named("app.app").networks["app.back"]?.Aliases).toContain("api2");
    const made = await planWorld(v1, world);
    const after = (await applyPlan(world, made, v1)).world;
    // The endpoint must end with the map's aliases.
    expect(engineOf(after).named("app.app").networks["app.back"]?.Aliases).not.toContain("api2");
  });

  it("a network added to the list: connect only (after the network is made)", async () => {
    const map = mapOf(BASE.replace("{back: {}, front: {}}", "{back: {}}"));
    const world = await deployed(map);
    const next = mapOf(BASE.replace("back: {aliases: [api]}", "back: {aliases: [api]}\n    front: {}"));
    const made = await planWorld(next, world);
    expect(stepSummary(made)).toEqual([
      "create-network front",
      "connect-network app",
      "record-state berth-state.app",
    ]);
    expect(stepFor(made, "connect-network", "app").after).toEqual(["create-network:default/app.front"]);
    await expectConverges(made, world, next);
  });

  it("a network dropped from the list: disconnect only", async () => {
    const map = mapOf(BASE.replace("back: {aliases: [api]}", "back: {aliases: [api]}\n    front: {}"));
    const world = await deployed(map);
    const next = mapOf(BASE);
    const made = await planWorld(next, world);
    expect(stepSummary(made)).toEqual(["disconnect-network app", "record-state berth-state.app"]);
    expect(stepFor(made, "disconnect-network", "app").network).toBe("app.front");
    await expectConverges(made, world, next);
  });

  it("a container connected by hand to a network the map does not list is disconnected", async () => {
    const map = mapOf(BASE);
    const world = await deployed(map);
    engineOf(world).createNetwork({ Name: "app.front" });
    engineOf(world).connectNetwork("app.front", "app.app");
    const made = await planWorld(map, world);
    expect(stepSummary(made)).toEqual(["disconnect-network app", "record-state berth-state.app"]);
    expect(reasonsOf(made, "app", "reconnect")).toEqual([
      { message: "connected to network app.front, which the map does not list" },
    ]);
  });
});

describe("update: several engines", () => {
  const MAP = `
clients: [h1, h2]
db: {image: "db:1", environment: {A: "1"}}
web: {image: "web:1", links: db}
`;

  it("each engine is planned on its own; steps and fingerprints name their engine; hostnames get its suffix", async () => {
    const map = mapOf(MAP);
    const { world, plan: made } = await planAndApply(map, worldFor(map), {}, { order: "reverse" });
    expect(made.steps.map((s) => s.id)).toEqual([
      "create-container:h1/app.db",
      "start-container:h1/app.db",
      "create-container:h1/app.web",
      "start-container:h1/app.web",
      "create-container:h2/app.db",
      "start-container:h2/app.db",
      "create-container:h2/app.web",
      "start-container:h2/app.web",
    ]);
    expect(made.observed.map((f) => `${f.object.client}/${f.object.name}`)).toEqual([
      "h1/app.db",
      "h1/app.web",
      "h2/app.db",
      "h2/app.web",
    ]);
    expect(engineOf(world, "h1").named("app.web").body?.Hostname).toBe("app-web-h1");
    expect(engineOf(world, "h2").named("app.web").body?.Hostname).toBe("app-web-h2");
    expect(stepSummary(await planWorld(map, world))).toEqual([]);
  });

  it("drift on one engine changes only that engine's part", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world, "h2").removeContainer("app.db", { force: true });
    const made = await planWorld(map, world);
    expect(new Set(made.steps.map((s) => s.object.client))).toEqual(new Set(["h2"]));
    expect(recreatedKeys(made)).toEqual(["web"]);
  });
});
