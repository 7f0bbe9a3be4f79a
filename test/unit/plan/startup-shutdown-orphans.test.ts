import { describe, expect, it } from "vitest";
import {
  changeOf,
  changesOf,
  deployed,
  mapOf,
  planAndApply,
  planWorld,
  stepFor,
  stepsOfType,
  stepSummary,
  waitsFor,
} from "../../helpers/plan-fixtures.js";
import { applyPlan, engineOf, registryImageId } from "../../helpers/simulated-engine.js";

/** startup (create and start only), shutdown (dependents first), and objects the map no longer has. */

const MAP = `
networks: {back: {}}
volumes: {data: /data}
db:
  image: db:1
  environment: {FOO: "1"}
  attaches: data
  networks: back
  shares: /scratch
  host_config: {mem_limit: 64m}
app:
  image: app:1
  links: db
  networks: [back, bridge]
web:
  image: web:1
  links: app
`;

describe("startup", () => {
  it("creates what is missing and starts what is stopped, dependencies first", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world).stopContainer("app.app");
    engineOf(world).removeContainer("app.web", { force: true });
    const made = await planWorld(map, world, { action: "startup" });
    expect(stepSummary(made)).toEqual(["start-container app", "create-container web", "start-container web"]);
    expect(
      waitsFor(made, stepFor(made, "create-container", "web"), stepFor(made, "start-container", "app")),
    ).toBe(true);
    expect(changeOf(made, "app", "start").reasons).toEqual([{ message: "container is exited (0)" }]);
    const after = (await applyPlan(world, made, map, { order: "reverse" })).world;
    expect(stepSummary(await planWorld(map, after, { action: "startup" }))).toEqual([]);
  });

  it("reports what differs from the map as `outdated` but plans no recreate, update or reconnect", async () => {
    const world = await deployed(mapOf(MAP));
    engineOf(world).tagImage("app:1", registryImageId("app:1", 2));
    const changed = mapOf(
      MAP.replace('FOO: "1"', 'FOO: "2"')
        .replace("64m", "128m")
        .replace("networks: [back, bridge]", "networks: [back]")
        // A legacy link to app, now off the default bridge, is refused by the engine (and the map).
        .replace("  links: app\n", "  depends_on: app\n"),
    );
    const made = await planWorld(changed, world, { action: "startup" });
    expect(stepSummary(made)).toEqual([]);
    expect(changeOf(made, "db", "outdated").reasons).toEqual([
      { message: "environment.FOO changed", field: "environment.FOO", old: "1", new: "2" },
      {
        message: "host_config.mem_limit changed",
        field: "host_config.mem_limit",
        old: 67108864,
        new: 134217728,
      },
    ]);
    expect(changeOf(made, "app", "outdated").reasons.map((r) => r.message)).toEqual([
      expect.stringMatching(/^image app:1 now refers to /),
      "connected to network bridge, which the map does not list",
    ]);
    expect(made.summary).toMatchObject({ create: 0, recreate: 0, update: 0 });
  });

  it("a dead container is recreated even by startup", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world).named("app.web").state = "dead";
    const made = await planWorld(map, world, { action: "startup" });
    expect(changeOf(made, "web", "recreate").reasons).toEqual([{ message: "the container is dead" }]);
  });

  it("does not pull images that are present, nor create networks and volumes that exist", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world).stopContainer("app.db");
    const made = await planWorld(map, world, { action: "startup" });
    expect(stepSummary(made)).toEqual(["start-container db"]);
  });
});

describe("shutdown", () => {
  it("stops dependents before their dependencies, removes each after its stop, keeps volumes", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    const made = await planWorld(map, world, { action: "shutdown" });
    const stop = (key: string) => stepFor(made, "stop-container", key);
    const remove = (key: string) => stepFor(made, "remove-container", key);
    expect(stop("web").after).toEqual([]);
    expect(stop("app").after).toEqual([stop("web").id]);
    expect(stop("db").after).toEqual([stop("app").id]);
    for (const key of ["db", "app", "web"]) {
      expect(remove(key)).toMatchObject({ removeVolumes: false, force: false, after: [stop(key).id] });
    }
    expect(stepsOfType(made, "remove-volume")).toEqual([]);
    expect(changeOf(made, "data", "skip").reasons).toEqual([
      { message: "volumes are kept (--volumes removes them)" },
    ]);
    expect(changeOf(made, "db", "remove").reasons).toEqual([
      { message: "shutdown" },
      { message: "its 1 anonymous volume(s) are kept (--volumes removes them)" },
    ]);
    const network = stepFor(made, "remove-network", "back");
    expect(network.ifUnused).toBe(true);
    expect(network.after).toEqual([remove("app").id, remove("db").id].sort());

    const after = (await applyPlan(world, made, map, { order: "reverse" })).world;
    expect(engineOf(after).containers).toEqual([]);
    expect(engineOf(after).networks.map((n) => n.name)).toEqual(["bridge", "host", "none"]);
    expect(engineOf(after).volumes.map((v) => v.name)).toContain("app.data");
  });

  it("with removeVolumes: anonymous volumes go with the containers, attached ones after every user is removed", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    const made = await planWorld(map, world, { action: "shutdown", removeVolumes: true });
    for (const key of ["db", "app", "web"])
      expect(stepFor(made, "remove-container", key).removeVolumes).toBe(true);
    const volume = stepFor(made, "remove-volume", "data");
    expect(volume.after).toEqual([stepFor(made, "remove-container", "db").id]);
    const after = (await applyPlan(world, made, map, { order: "reverse" })).world;
    expect(engineOf(after).volumes).toEqual([]);
  });

  it("of some targets: their dependents go too, the rest and networks still in use stay", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    const made = await planWorld(map, world, { action: "shutdown", targets: ["app"] });
    expect(stepSummary(made)).toEqual([
      "stop-container web",
      "remove-container web",
      "stop-container app",
      "remove-container app",
    ]);
    expect(stepFor(made, "stop-container", "app").after).toEqual([stepFor(made, "stop-container", "web").id]);
  });

  it("a network is kept while a container outside the map is on it (ifUnused)", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world).addContainer({ name: "stranger" });
    engineOf(world).connectNetwork("app.back", "stranger");
    const made = await planWorld(map, world, { action: "shutdown" });
    expect(stepsOfType(made, "remove-network")).toEqual([]);
  });

  it("removes a temporary container left by an interrupted recreate too", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    const web = engineOf(world).named("app.web");
    engineOf(world).addContainer({
      name: "app.web_berth-new",
      labels: { ...web.labels, "berth.replaces": "app.web" },
      state: "created",
    });
    const made = await planWorld(map, world, { action: "shutdown" });
    expect(stepsOfType(made, "remove-container").map((s) => s.object.name)).toContain("app.web_berth-new");
    const after = (await applyPlan(world, made, map, { order: "reverse" })).world;
    expect(engineOf(after).containers).toEqual([]);
  });
});

describe("orphans: objects with the map's label that the map no longer has", () => {
  const SMALLER = `
networks: {back: {}}
volumes: {data: /data}
db:
  image: db:1
  environment: {FOO: "1"}
  attaches: data
  networks: back
  shares: /scratch
  host_config: {mem_limit: 64m}
`;
  const WITH_EXTRA = `${SMALLER}
extra:
  image: x:1
  networks: side
  attaches: {extra_data: /extra}
`.replace("networks: {back: {}}", "networks: {back: {}, side: {}}");

  it("are listed and left alone by default", async () => {
    const world = await deployed(mapOf(WITH_EXTRA));
    const map = mapOf(SMALLER);
    const made = await planWorld(map, world);
    expect(stepSummary(made)).toEqual([]);
    expect(changeOf(made, "app.extra", "orphan").reasons).toEqual([
      { message: "has the map's label but is not in the map (--remove-orphans removes it)" },
    ]);
    expect(changeOf(made, "app.side", "orphan").object.kind).toBe("network");
    expect(changeOf(made, "app.extra_data", "orphan").reasons[0]?.message).toMatch(
      /--remove-orphans --volumes/,
    );
    expect(made.observed.map((f) => f.object.name)).toEqual(
      expect.arrayContaining(["app.extra", "app.side"]),
    );
  });

  it("are removed with removeOrphans (containers stopped first, networks after), volumes only with removeVolumes too", async () => {
    const world = await deployed(mapOf(WITH_EXTRA));
    const map = mapOf(SMALLER);
    const made = await planWorld(map, world, { removeOrphans: true });
    expect(stepSummary(made)).toEqual([
      "stop-container extra",
      "remove-container extra",
      "remove-network app.side",
    ]);
    const removal = stepFor(made, "remove-container", "app.extra");
    expect(removal.after).toEqual([stepFor(made, "stop-container", "app.extra").id]);
    expect(stepFor(made, "remove-network", "app.side").after).toEqual([removal.id]);
    expect(changeOf(made, "app.extra_data", "orphan")).toBeDefined();
    const after = (await applyPlan(world, made, map, { order: "reverse" })).world;
    expect(engineOf(after).find("app.extra")).toBeUndefined();

    const withVolumes = await planWorld(map, world, { removeOrphans: true, removeVolumes: true });
    expect(stepFor(withVolumes, "remove-volume", "app.extra_data").after).toEqual([
      stepFor(withVolumes, "remove-container", "app.extra").id,
    ]);
    const cleaned = (await applyPlan(world, withVolumes, map, { order: "reverse" })).world;
    expect(engineOf(cleaned).volume("app.extra_data")).toBeUndefined();
    expect(stepSummary(await planWorld(map, cleaned, { removeOrphans: true }))).toEqual([]);
  });

  it("containers of another map or without labels are never orphans", async () => {
    const map = mapOf(SMALLER);
    const world = await deployed(map);
    engineOf(world).addContainer({
      name: "other.db",
      labels: { "berth.map": "other", "berth.kind": "container" },
    });
    engineOf(world).addContainer({ name: "by-hand" });
    const made = await planWorld(map, world, { removeOrphans: true });
    expect(stepSummary(made)).toEqual([]);
    expect(changesOf(made, "other.db")).toEqual([]);
    expect(changesOf(made, "by-hand")).toEqual([]);
  });

  it("are not looked for when the plan has targets", async () => {
    const world = await deployed(mapOf(WITH_EXTRA));
    const made = await planWorld(mapOf(SMALLER), world, { removeOrphans: true, targets: ["db"] });
    expect(stepSummary(made)).toEqual([]);
    expect(changesOf(made, "app.extra")).toEqual([]);
  });

  it("a fresh world after shutdown: startup brings everything back", async () => {
    const map = mapOf(MAP);
    const down = (await planAndApply(map, await deployed(map), { action: "shutdown" })).world;
    const up = await planAndApply(map, down, { action: "startup" }, { order: "reverse" });
    expect(stepsOfType(up.plan, "create-container")).toHaveLength(3);
    expect(stepsOfType(up.plan, "create-volume")).toEqual([]);
    expect(stepSummary(await planWorld(map, up.world))).toEqual([]);
    expect(engineOf(up.world).containers.map((c) => c.state)).toEqual(["running", "running", "running"]);
  });
});
