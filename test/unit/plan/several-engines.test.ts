import { describe, expect, it } from "vitest";
import { engineOf } from "../../helpers/simulated-engine.js";
import {
  deployed,
  describeSteps,
  mapOf,
  planAndApply,
  planWorld,
  stepFor,
  stepsOfType,
  stepSummary,
  waitsFor,
} from "../../helpers/plan-fixtures.js";
import { observeWorld, worldFor } from "../../helpers/simulated-engine.js";
import { planLeavesUndone, type Plan } from "../../../src/plan/plan-types.js";
import { plan } from "../../../src/plan/plan.js";
import { renderPlanText } from "../../../src/plan/render-plan.js";

/** Every `after` names a step of the plan (no stand-in for another engine's step is left). */
function expectClosed(made: Plan): void {
  const ids = new Set(made.steps.map((s) => s.id));
  for (const step of made.steps)
    for (const id of step.after)
      expect(ids.has(id), `${step.id} after ${id}\n${describeSteps(made)}`).toBe(true);
}

describe("depends_on across engines", () => {
  const MAP = `
clients: [h1, h2]
db: {image: "db:1", clients: h1, healthcheck: ["true"]}
job: {image: "job:1", clients: h1}
web:
  image: "web:1"
  clients: h2
  depends_on: {db: healthy, job: completed}
`;

  it("the start on one engine waits for the health or completion of a container on another", async () => {
    const map = mapOf(MAP);
    const made = await planWorld(map, worldFor(map));
    expectClosed(made);
    const healthy = stepFor(made, "wait-healthy", "db");
    const completed = stepFor(made, "wait-completed", "job");
    expect(healthy.object.client).toBe("h1");
    expect(completed.object.client).toBe("h1");
    const start = stepFor(made, "start-container", "web");
    expect(start.object.client).toBe("h2");
    expect(start.after).toEqual(expect.arrayContaining([healthy.id, completed.id]));
    expect(waitsFor(made, healthy, stepFor(made, "start-container", "db"))).toBe(true);
    expect(waitsFor(made, completed, stepFor(made, "start-container", "job"))).toBe(true);
    // The create does not wait: only the start is gated, as on one engine.
    expect(waitsFor(made, stepFor(made, "create-container", "web"), healthy)).toBe(false);
  });

  it("`started` waits for the start on the other engine; nothing to wait for once it runs", async () => {
    const map = mapOf(`
clients: [h1, h2]
db: {image: "db:1", clients: h2}
web: {image: "web:1", clients: h1, depends_on: db}
`);
    const made = await planWorld(map, worldFor(map));
    expectClosed(made);
    expect(stepFor(made, "start-container", "web").after).toContain(
      stepFor(made, "start-container", "db").id,
    );
    const world = await deployed(map);
    engineOf(world, "h1").removeContainer("app.web", { force: true });
    const again = await planWorld(map, world);
    expect(stepSummary(again)).toEqual(["create-container web", "start-container web"]);
    expectClosed(again);
  });

  it("a target on one engine brings its dependency on another engine along", async () => {
    const map = mapOf(MAP);
    const made = await planWorld(map, worldFor(map), { targets: ["web"] });
    expect(new Set(made.steps.map((s) => s.object.key))).toEqual(new Set(["db", "job", "web"]));
  });

  it("engines that depend on each other both ways: each start waits for its own dependency", async () => {
    const map = mapOf(`
clients: [h1, h2]
a: {image: "a:1", clients: h1, depends_on: {b: healthy}}
b: {image: "b:1", clients: h2, healthcheck: ["true"]}
c: {image: "c:1", clients: h2, depends_on: {d: healthy}}
d: {image: "d:1", clients: h1, healthcheck: ["true"]}
`);
    const { plan: made, world } = await planAndApply(map, worldFor(map), {}, { order: "reverse" });
    expectClosed(made);
    expect(stepFor(made, "start-container", "a").after).toContain(stepFor(made, "wait-healthy", "b").id);
    expect(stepFor(made, "start-container", "c").after).toContain(stepFor(made, "wait-healthy", "d").id);
    expect(stepSummary(await planWorld(map, world))).toEqual([]);
  });

  it("a recreate on one engine waits for the health of the running dependency on the other, and touches only its engine", async () => {
    const map = mapOf(`
clients: [h1, h2]
db: {image: "db:1", clients: h1, healthcheck: ["true"]}
web: {image: "web:1", clients: h2, depends_on: {db: healthy}}
`);
    const world = await deployed(map);
    engineOf(world, "h2").removeContainer("app.web", { force: true });
    const made = await planWorld(map, world);
    expectClosed(made);
    // The gate is a read of the other engine; nothing there changes.
    expect(made.steps.filter((s) => s.object.client === "h1").map((s) => s.type)).toEqual(["wait-healthy"]);
    expect(made.summary.create).toBe(1);
  });
});

describe("stopping across engines", () => {
  const MAP = `
clients: [h1, h2]
db: {image: "db:1", clients: h1}
web: {image: "web:1", clients: h2, depends_on: db}
both: {image: "web:1", depends_on: db}
`;

  it("shutdown stops the dependents on the other engine before their dependency", async () => {
    const map = mapOf(MAP);
    const made = await planWorld(map, await deployed(map), { action: "shutdown" });
    expectClosed(made);
    const db = stepFor(made, "stop-container", "db");
    expect(db.object.client).toBe("h1");
    for (const dependent of stepsOfType(made, "stop-container").filter((s) => s.object.key !== "db"))
      expect(waitsFor(made, db, dependent), `${db.id} after ${dependent.id}`).toBe(true);
    expect(stepsOfType(made, "stop-container")).toHaveLength(4);
  });

  it("shutdown or stop of a target takes its dependents on other engines along, and stops them first", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    for (const action of ["shutdown", "stop"] as const) {
      const made = await planWorld(map, world, { action, targets: ["db"] });
      expectClosed(made);
      const stops = stepsOfType(made, "stop-container");
      expect(stops.map((s) => `${s.object.client} ${s.object.key ?? ""}`).sort()).toEqual([
        "h1 both",
        "h1 db",
        "h2 both",
        "h2 web",
      ]);
      const db = stepFor(made, "stop-container", "db");
      for (const s of stops) if (s !== db) expect(waitsFor(made, db, s)).toBe(true);
    }
  });

  it("a stop on one engine never waits for a dependent that stays", async () => {
    const map = mapOf(MAP);
    const made = await planWorld(map, await deployed(map), { action: "stop", targets: ["web"] });
    expectClosed(made);
    expect(stepsOfType(made, "stop-container").map((s) => s.object.key)).toEqual(["web"]);
    expect(stepFor(made, "stop-container", "web").after).toEqual([]);
  });
});

describe("an engine that did not answer", () => {
  const MAP = `
clients: [h1, h2]
db: {image: "db:1", clients: h2}
web: {image: "web:1", clients: h1, depends_on: db}
solo: {image: "solo:1", clients: h1}
`;

  it("is work left undone (plan.undone, not a warning), and the text plan never says no changes", async () => {
    const map = mapOf(MAP);
    const observed = await observeWorld(worldFor(map), map);
    const h1 = observed.clients.h1;
    if (h1 === undefined) throw new Error("no h1");
    const made = plan({
      map,
      observed: { clients: { h1 }, unreachable: { h2: "no engine answers at tcp://h2:2375" } },
      options: { action: "update" },
    });
    expect(made.undone).toEqual([
      {
        client: "h2",
        message:
          "engine `h2` did not answer (no engine answers at tcp://h2:2375): nothing was planned or changed on it, nor for `web`, which waits for containers on it; run again once it answers",
      },
    ]);
    expect(made.warnings.join("\n")).not.toContain("did not answer");
    expect(planLeavesUndone(made)).toBe(true);
    expect(new Set(made.steps.map((s) => s.object.client))).toEqual(new Set(["h1"]));
    const text = renderPlanText(made);
    expect(text).toContain("undone: engine `h2` did not answer");
    expect(text).toMatch(/; 1 part\(s\) of the work asked for cannot be done\.\n$/);
  });

  it("a plan with nothing undone has no undone key (its JSON is as before)", async () => {
    const map = mapOf(MAP);
    const made = await planWorld(map, worldFor(map));
    expect(made).not.toHaveProperty("undone");
    expect(planLeavesUndone(made)).toBe(false);
  });
});
