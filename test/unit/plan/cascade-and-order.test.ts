import { describe, expect, it } from "vitest";
import type { Cause, Plan } from "../../../src/plan/plan-types.js";
import {
  changeOf,
  containerChanges,
  deployed,
  mapOf,
  planWorld,
  recreatedKeys,
  stepFor,
  stepsFor,
  stepSummary,
  waitsFor,
} from "../../helpers/plan-fixtures.js";
import { applyPlan, engineOf, worldFor } from "../../helpers/simulated-engine.js";

/**
 * Recreates cascade to dependents along the edges that leave them with a stale reference (links,
 * volumes_from, network_mode) and along no other; each cascaded recreate says why, as a chain of
 * causes. A recreate goes in the safe order; dependents wait for their dependencies.
 */

const causesOf = (made: Plan, key: string): Cause[] =>
  changeOf(made, key, "recreate")
    .reasons.map((r) => r.cause)
    .filter((c): c is Cause => c !== undefined);

describe("a recreate cascades along stale-making edges", () => {
  const MAP = `
volumes: {data: /data}
networks: {back: {}}
db:
  image: db:1
  environment: {FOO: "1"}
  attaches: data
  networks: [back, bridge]
linker: {image: "x:1", links: db}
sharer: {image: "x:1", uses: db}
netns: {image: "x:1", network_mode: db}
volume_user: {image: "x:1", uses: data}
waiter: {image: "x:1", depends_on: db}
neighbour: {image: "x:1", networks: back}
net_linker:
  image: x:1
  networks:
    back: {links: [db]}
`;
  const CHANGED = MAP.replace('FOO: "1"', 'FOO: "2"');

  it("to links, volumes_from and network_mode dependents, each with its edge as cause", async () => {
    const world = await deployed(mapOf(MAP));
    const made = await planWorld(mapOf(CHANGED), world);
    expect(recreatedKeys(made)).toEqual(["db", "linker", "netns", "sharer"]);
    expect(causesOf(made, "linker")).toEqual([{ object: "db", change: "recreate", edge: "links" }]);
    expect(causesOf(made, "sharer")).toEqual([{ object: "db", change: "recreate", edge: "uses-container" }]);
    expect(causesOf(made, "netns")).toEqual([{ object: "db", change: "recreate", edge: "network-mode" }]);
    expect(changeOf(made, "linker", "recreate").reasons).toEqual([
      { message: "db is recreated (links)", cause: { object: "db", change: "recreate", edge: "links" } },
    ]);
  });

  it("not to users of its attached volume, depends_on dependents, network neighbours or network links", async () => {
    const world = await deployed(mapOf(MAP));
    const made = await planWorld(mapOf(CHANGED), world);
    const changes = containerChanges(made);
    for (const key of ["volume_user", "waiter", "neighbour", "net_linker"])
      expect(changes[key]).toBeUndefined();
  });

  it("leaves no reference to a removed container, and converges", async () => {
    const world = await deployed(mapOf(MAP));
    const map = mapOf(CHANGED);
    const after = (await applyPlan(world, await planWorld(map, world), map, { order: "reverse" })).world;
    expect(engineOf(after).staleReferences()).toEqual([]);
    expect(stepSummary(await planWorld(map, after))).toEqual([]);
  });

  it("a dependency that is created (it was removed) cascades too, with change `create`", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world).removeContainer("app.db", { force: true });
    const made = await planWorld(map, world);
    expect(recreatedKeys(made)).toEqual(["linker", "netns", "sharer"]);
    expect(causesOf(made, "linker")).toEqual([{ object: "db", change: "create", edge: "links" }]);
    expect(changeOf(made, "linker", "recreate").reasons[0]?.message).toBe("db is created (links)");
  });
});

describe("cause chains", () => {
  const MAP = `
db: {image: "db:1", environment: {FOO: "1"}}
app: {image: "app:1", instances: ["1", "2"], links: db}
web: {image: "web:1", links: app.1}
proxy: {image: "web:1", network_mode: web}
`;

  it("`web` because `app.1` is recreated (links) because `db` is", async () => {
    const world = await deployed(mapOf(MAP));
    const made = await planWorld(mapOf(MAP.replace('FOO: "1"', 'FOO: "2"')), world);
    expect(recreatedKeys(made)).toEqual(["app.1", "app.2", "db", "proxy", "web"]);
    expect(causesOf(made, "app.1")).toEqual([{ object: "db", change: "recreate", edge: "links" }]);
    expect(causesOf(made, "web")).toEqual([
      {
        object: "app.1",
        change: "recreate",
        edge: "links",
        because: { object: "db", change: "recreate", edge: "links" },
      },
    ]);
    expect(causesOf(made, "proxy")).toEqual([
      {
        object: "web",
        change: "recreate",
        edge: "network-mode",
        because: {
          object: "app.1",
          change: "recreate",
          edge: "links",
          because: { object: "db", change: "recreate", edge: "links" },
        },
      },
    ]);
  });

  it("only the instance that is linked: `web` links app.1, a change of app.2 alone leaves it", async () => {
    const world = await deployed(mapOf(MAP));
    engineOf(world).named("app.app.2").state = "dead";
    const made = await planWorld(mapOf(MAP), world);
    expect(recreatedKeys(made)).toEqual(["app.2"]);
  });
});

describe("the safe recreate order", () => {
  const MAP = `
db:
  image: db:1
  environment: {FOO: "1"}
  shares: [/var/lib/db, /cache]
  binds: {/etc/db: /srv/db-config}
  stop_signal: SIGINT
  stop_timeout: 20
  exec_commands: [[echo initial, null, initial]]
`;

  it("create under `<name>_berth-new` → stop old → remove old (volumes kept) → rename → start → execs", async () => {
    const world = await deployed(mapOf(MAP));
    const old = engineOf(world).named("app.db");
    const anonymous = old.mounts
      .filter((m) => m.Type === "volume")
      .map((m) => ({ name: m.Name, path: m.Destination }));
    const map = mapOf(MAP.replace('FOO: "1"', 'FOO: "2"'));
    const made = await planWorld(map, world);
    expect(stepSummary(made)).toEqual([
      "create-container db",
      "stop-container db",
      "remove-container db",
      "rename-container db",
      "start-container db",
      "exec db",
      "record-state berth-state.app",
    ]);
    const create = stepFor(made, "create-container", "db");
    expect(create).toMatchObject({ name: "app.db_berth-new", temporary: true });
    expect(create.carriedVolumes).toEqual(
      anonymous.sort((a, b) => a.path.localeCompare(b.path)).map((v) => ({ name: v.name, path: v.path })),
    );
    expect(create.carriedVolumes.map((v) => v.path)).toEqual(["/cache", "/var/lib/db"]);
    const stop = stepFor(made, "stop-container", "db");
    expect(stop).toMatchObject({
      container: old.id,
      signal: "SIGINT",
      timeoutSeconds: 20,
      after: [create.id],
    });
    const remove = stepFor(made, "remove-container", "db");
    expect(remove).toMatchObject({ container: old.id, removeVolumes: false, force: false, after: [stop.id] });
    const rename = stepFor(made, "rename-container", "db");
    expect(rename).toMatchObject({ container: "app.db_berth-new", to: "app.db", after: [remove.id] });
    const start = stepFor(made, "start-container", "db");
    expect(start.after).toEqual([rename.id]);
    expect(stepFor(made, "exec", "db")).toMatchObject({ text: "echo initial", after: [start.id] });
  });

  it("the new container mounts the old anonymous volumes again (no data lost, none left dangling)", async () => {
    const world = await deployed(mapOf(MAP));
    const before = engineOf(world).named("app.db");
    const volumesBefore = engineOf(world)
      .volumes.map((v) => v.name)
      .sort();
    const map = mapOf(MAP.replace('FOO: "1"', 'FOO: "2"'));
    const after = (await applyPlan(world, await planWorld(map, world), map, { order: "reverse" })).world;
    const db = engineOf(after).named("app.db");
    expect(db.id).not.toBe(before.id);
    expect(db.labels["berth.replaces"]).toBe("app.db");
    expect(db.mounts.filter((m) => m.Type === "volume")).toEqual(
      before.mounts.filter((m) => m.Type === "volume"),
    );
    expect(
      engineOf(after)
        .volumes.map((v) => v.name)
        .sort(),
    ).toEqual(volumesBefore);
    expect(stepSummary(await planWorld(map, after))).toEqual([]);
  });

  it("a stopped container is recreated without a stop step, and started after the rename", async () => {
    const world = await deployed(mapOf(MAP));
    engineOf(world).stopContainer("app.db");
    const made = await planWorld(mapOf(MAP.replace('FOO: "1"', 'FOO: "2"')), world);
    expect(stepSummary(made)).toEqual([
      "create-container db",
      "remove-container db",
      "rename-container db",
      "start-container db",
      "exec db",
      "record-state berth-state.app",
    ]);
    expect(stepFor(made, "remove-container", "db").after).toEqual([
      stepFor(made, "create-container", "db").id,
    ]);
  });
});

describe("dependencies first", () => {
  const MAP = `
networks: {back: {}}
volumes: {data: /data}
db:
  image: db:1
  attaches: data
  networks: back
  healthcheck: [pg_isready]
cache: {image: "cache:1", environment: {A: "1"}}
app:
  image: app:1
  links: cache
  uses: data
  networks: back
  depends_on:
    db: {condition: healthy}
`;

  it("a dependent's create waits for its dependency's start; a healthy gate waits for a wait-healthy", async () => {
    const map = mapOf(MAP);
    const made = await planWorld(map, worldFor(map));
    const create = stepFor(made, "create-container", "app");
    const start = stepFor(made, "start-container", "app");
    const wait = stepFor(made, "wait-healthy", "db");
    expect(wait).toMatchObject({ container: "app.db", after: [stepFor(made, "start-container", "db").id] });
    expect(waitsFor(made, create, stepFor(made, "start-container", "cache"))).toBe(true);
    expect(waitsFor(made, create, stepFor(made, "create-volume", "data"))).toBe(true);
    expect(waitsFor(made, create, stepFor(made, "create-network", "back"))).toBe(true);
    // depends_on gates the start, not the create: the create waits for db to exist only.
    expect(create.after).toContain(stepFor(made, "create-container", "db").id);
    expect(waitsFor(made, create, wait)).toBe(false);
    expect(start.after).toContain(wait.id);
    for (const order of ["listed", "reverse", 7, 99] as const) {
      const after = (await applyPlan(worldFor(map), made, map, { order })).world;
      expect(engineOf(after).named("app.app").state).toBe("running");
    }
  });

  it("a dependent that is recreated waits for the dependency's recreate to finish", async () => {
    const world = await deployed(mapOf(MAP));
    const map = mapOf(MAP.replace('A: "1"', 'A: "2"'));
    const made = await planWorld(map, world);
    expect(recreatedKeys(made)).toEqual(["app", "cache"]);
    const [createApp] = stepsFor(made, "create-container", "app");
    expect(createApp?.after).toContain(stepFor(made, "start-container", "cache").id);
    expect(
      waitsFor(made, stepFor(made, "start-container", "app"), stepFor(made, "rename-container", "cache")),
    ).toBe(true);
  });

  it("a started dependency gate waits for the dependency's last step (its exec), without a wait step", async () => {
    const map = mapOf(`
db: {image: "db:1", exec_commands: [[migrate, null, initial]]}
app: {image: "app:1", depends_on: db}
`);
    const made = await planWorld(map, worldFor(map));
    expect(stepSummary(made)).toEqual([
      "create-container db",
      "start-container db",
      "exec db",
      "create-container app",
      "start-container app",
      "record-state berth-state.app",
    ]);
    expect(stepFor(made, "start-container", "app").after).toContain(stepFor(made, "exec", "db").id);
  });
});
