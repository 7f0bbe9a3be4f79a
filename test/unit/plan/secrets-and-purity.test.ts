import { describe, expect, it } from "vitest";
import { plan } from "../../../src/plan/plan.js";
import type { PlanAction } from "../../../src/plan/plan-types.js";
import { changeOf, deployed, mapOf, planWorld } from "../../helpers/plan-fixtures.js";
import { engineOf, observeWorld, registryImageId, worldFor } from "../../helpers/simulated-engine.js";

/** Secret values never reach a plan; the planner is a pure, deterministic function. */

const SECRET_OLD = "hunter2-old-Zq81";
const SECRET_NEW = "hunter2-new-Xv42";
const LISTED_OLD = "listed-old-Pp09";
const LISTED_NEW = "listed-new-Rr77";

const MAP = (password: string, listed: string) => `
sensitive: [LISTED_VAR]
db:
  image: db:1
  environment:
    DB_PASSWORD: ${password}
    API_TOKEN: tok-${password}
    LISTED_VAR: ${listed}
    PLAIN: visible
app:
  image: app:1
  links: db
  create_options:
    environment: {APP_SECRET: ${password}}
`;

describe("secrets", () => {
  it("a changed secret is detected, shown as (sensitive), and its value is nowhere in the plan", async () => {
    const world = await deployed(mapOf(MAP(SECRET_OLD, LISTED_OLD)));
    for (const action of ["update", "startup"] as const) {
      const made = await planWorld(mapOf(MAP(SECRET_NEW, LISTED_NEW)), world, { action });
      const change = changeOf(made, "db", action === "update" ? "recreate" : "outdated");
      expect(change.reasons).toEqual([
        {
          message: "environment.API_TOKEN changed",
          field: "environment.API_TOKEN",
          old: "(sensitive)",
          new: "(sensitive)",
        },
        {
          message: "environment.DB_PASSWORD changed",
          field: "environment.DB_PASSWORD",
          old: "(sensitive)",
          new: "(sensitive)",
        },
        {
          message: "environment.LISTED_VAR changed",
          field: "environment.LISTED_VAR",
          old: "(sensitive)",
          new: "(sensitive)",
        },
      ]);
      expect(changeOf(made, "app", action === "update" ? "recreate" : "outdated").reasons[0]).toMatchObject({
        field: "environment.APP_SECRET",
        old: "(sensitive)",
        new: "(sensitive)",
      });
      const json = JSON.stringify(made);
      for (const secret of [SECRET_OLD, SECRET_NEW, LISTED_OLD, LISTED_NEW])
        expect(json).not.toContain(secret);
      expect(json).toContain("(sensitive)");
    }
  });

  it("an added and a removed secret are shown as (sensitive) on their side only", async () => {
    const before = `db: {image: "db:1", environment: {OLD_PASSWORD: ${SECRET_OLD}}}`;
    const after = `db: {image: "db:1", environment: {NEW_PASSWORD: ${SECRET_NEW}}}`;
    const made = await planWorld(mapOf(after), await deployed(mapOf(before)));
    expect(changeOf(made, "db", "recreate").reasons).toEqual([
      { message: "environment.NEW_PASSWORD changed", field: "environment.NEW_PASSWORD", new: "(sensitive)" },
      { message: "environment.OLD_PASSWORD changed", field: "environment.OLD_PASSWORD", old: "(sensitive)" },
    ]);
    expect(JSON.stringify(made)).not.toMatch(/hunter2/);
  });

  it("the spec label on the container holds no secret either, yet the next plan sees no change", async () => {
    const map = mapOf(MAP(SECRET_OLD, LISTED_OLD));
    const world = await deployed(map);
    const labels = JSON.stringify(engineOf(world).containers.map((c) => c.labels));
    for (const secret of [SECRET_OLD, LISTED_OLD]) expect(labels).not.toContain(secret);
    expect(labels).toContain("visible");
    expect((await planWorld(map, world)).steps).toEqual([]);
  });

  it("a plan of a fresh engine (every container created) holds no secret", async () => {
    const map = mapOf(MAP(SECRET_OLD, LISTED_OLD));
    for (const action of ["update", "startup", "shutdown"] as const) {
      const json = JSON.stringify(await planWorld(map, worldFor(map), { action }));
      for (const secret of [SECRET_OLD, LISTED_OLD]) expect(json).not.toContain(secret);
    }
  });
});

describe("purity", () => {
  const DRIFTED = async () => {
    const world = await deployed(mapOf(MAP(SECRET_OLD, LISTED_OLD)));
    engineOf(world).stopContainer("app.app");
    engineOf(world).tagImage("db:1", registryImageId("db:1", 2));
    return world;
  };

  it.each<PlanAction>(["update", "startup", "shutdown", "stop", "start", "restart", "remove", "kill"])(
    "%s: the same input gives a deep-equal plan, and the inputs are not changed",
    async (action) => {
      const map = mapOf(MAP(SECRET_NEW, LISTED_OLD));
      const observed = await observeWorld(await DRIFTED(), map);
      const observedBefore = structuredClone(observed);
      const resolvedBefore = structuredClone(map.resolved);
      const normalizedBefore = structuredClone(map.normalized);
      const edgesBefore = structuredClone(map.graph.edges());
      const options = { action, removeOrphans: true };
      const optionsBefore = structuredClone(options);
      const first = plan({ map, observed, options });
      const second = plan({ map, observed, options });
      expect(second).toEqual(first);
      expect(JSON.stringify(second)).toBe(JSON.stringify(first));
      expect(observed).toEqual(observedBefore);
      expect(map.resolved).toEqual(resolvedBefore);
      expect(map.normalized).toEqual(normalizedBefore);
      expect(map.graph.edges()).toEqual(edgesBefore);
      expect(options).toEqual(optionsBefore);
      // A plan made from a fresh load of the same map is the same too.
      expect(plan({ map: mapOf(MAP(SECRET_NEW, LISTED_OLD)), observed, options })).toEqual(first);
    },
  );

  it("the order of the engine's lists does not change the plan", async () => {
    const map = mapOf(MAP(SECRET_NEW, LISTED_OLD));
    const observed = await observeWorld(await DRIFTED(), map);
    const reversed = structuredClone(observed);
    const client = reversed.clients.default;
    if (client === undefined) throw new Error("no client");
    client.containers.reverse();
    client.networks.reverse();
    client.volumes.reverse();
    expect(plan({ map, observed: reversed, options: { action: "update" } })).toEqual(
      plan({ map, observed, options: { action: "update" } }),
    );
  });
});
