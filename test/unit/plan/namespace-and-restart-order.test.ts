import { describe, expect, it } from "vitest";
import {
  changeOf,
  deployed,
  mapOf,
  planWorld,
  stepFor,
  stepSummary,
  waitsFor,
} from "../../helpers/plan-fixtures.js";
import { applyPlan, engineOf } from "../../helpers/simulated-engine.js";

/**
 * Issue 14 items 3 and 4: restart follows the dependency graph, and a container that joins another
 * one's network namespace (network_mode) is restarted whenever berth starts that container again.
 */
const MAP = `
db: {image: "db:1"}
app: {image: "app:1", links: db}
sidecar: {image: "side:1", network_mode: db}
web: {image: "web:1", links: app}
`;

describe("restart in dependency order", () => {
  it("stops dependents first and starts dependencies first; sharers and linkers come along", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    const made = await planWorld(map, world, { action: "restart", targets: ["db", "app"] });
    expect(stepSummary(made).sort()).toEqual(
      ["app", "db", "sidecar", "web"].flatMap((k) => [`start-container ${k}`, `stop-container ${k}`]).sort(),
    );
    const start = (key: string) => stepFor(made, "start-container", key);
    const stop = (key: string) => stepFor(made, "stop-container", key);
    expect(waitsFor(made, start("app"), start("db"))).toBe(true);
    expect(waitsFor(made, start("sidecar"), start("db"))).toBe(true);
    expect(waitsFor(made, stop("db"), stop("app"))).toBe(true);
    expect(waitsFor(made, stop("db"), stop("sidecar"))).toBe(true);
    expect(waitsFor(made, start("web"), start("app"))).toBe(true);
    expect(changeOf(made, "web", "restart").reasons[0]?.cause).toEqual({
      object: "app",
      change: "restart",
      edge: "links",
    });
    expect(changeOf(made, "sidecar", "restart").reasons).toEqual([
      {
        message: "db restarts and this container shares its network namespace: restarted to join it",
        cause: { object: "db", change: "restart", edge: "network-mode" },
      },
    ]);
    for (const order of ["listed", "reverse", 3] as const) {
      const after = (await applyPlan(world, made, map, { order })).world;
      for (const name of ["app.db", "app.app", "app.sidecar", "app.web"])
        expect(engineOf(after).named(name).state).toBe("running");
    }
  });
});

describe("a network_mode sharer follows its target's start", () => {
  for (const action of ["update", "startup", "start"] as const) {
    it(`${action}: a stopped target is started, then its running sharer restarted`, async () => {
      const map = mapOf(MAP);
      const world = await deployed(map);
      engineOf(world).stopContainer("app.db");
      const options = action === "start" ? { action, targets: ["db"] } : { action };
      const made = await planWorld(map, world, options);
      expect(stepSummary(made)).toContain("stop-container sidecar");
      expect(
        waitsFor(made, stepFor(made, "start-container", "sidecar"), stepFor(made, "start-container", "db")),
      ).toBe(true);
      expect(changeOf(made, "sidecar", "restart").reasons[0]?.cause).toEqual({
        object: "db",
        change: "start",
        edge: "network-mode",
      });
      const after = (await applyPlan(world, made, map, { order: "reverse" })).world;
      expect(engineOf(after).named("app.sidecar").state).toBe("running");
      if (action !== "start") expect(stepSummary(await planWorld(map, after, { action }))).toEqual([]);
    });
  }

  it("update: a running container linking to a target it starts is restarted (its address is new)", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world).stopContainer("app.app");
    const made = await planWorld(map, world, { action: "update" });
    expect(changeOf(made, "web", "restart").reasons).toEqual([
      {
        message: "app starts with a new address, which this container's link would not know: restarted",
        cause: { object: "app", change: "start", edge: "links" },
      },
    ]);
    expect(
      waitsFor(made, stepFor(made, "start-container", "web"), stepFor(made, "start-container", "app")),
    ).toBe(true);
  });

  it("a sharer that is not running is only started, after its target", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world).stopContainer("app.sidecar");
    engineOf(world).stopContainer("app.db");
    const made = await planWorld(map, world, { action: "update" });
    expect(stepSummary(made)).not.toContain("stop-container sidecar");
    expect(changeOf(made, "sidecar", "start").reasons).toEqual([{ message: "container is exited (0)" }]);
    expect(
      waitsFor(made, stepFor(made, "start-container", "sidecar"), stepFor(made, "start-container", "db")),
    ).toBe(true);
  });
});
