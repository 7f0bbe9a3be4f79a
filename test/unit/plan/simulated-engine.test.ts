import { describe, expect, it } from "vitest";
import type { Plan } from "../../../src/plan/plan-types.js";
import { deployed, mapOf, planWorld } from "../../helpers/plan-fixtures.js";
import {
  applyPlan,
  checkStepGraph,
  engineOf,
  observeWorld,
  SimulatedEngineWriter,
  SimulationError,
  worldFor,
} from "../../helpers/simulated-engine.js";

/** The test model refuses what an engine refuses, so that a wrong plan fails when applied. */

const MAP = `
volumes: {data: /data}
db: {image: "db:1", attaches: data, environment: {A: "1"}}
web: {image: "web:1", links: db}
`;

describe("simulated engine", () => {
  it("refuses a second container of the same name, a running container's removal, a volume in use", async () => {
    const world = await deployed(mapOf(MAP));
    const engine = engineOf(world);
    expect(() => engine.createContainer("app.db", { Image: "db:1" })).toThrow(SimulationError);
    expect(() => engine.removeContainer("app.db")).toThrow(/cannot remove a running container/);
    expect(() => engine.removeVolume("app.data")).toThrow(/in use/);
    expect(() => engine.createNetwork({ Name: "bridge" })).toThrow(/already exists/);
    expect(() => engine.createContainer("x", { Image: "nope:1" })).toThrow(/No such image/);
  });

  it("keeps links by id: a replaced target leaves the link stale and refuses the start", async () => {
    const world = await deployed(mapOf(MAP));
    const engine = engineOf(world);
    engine.removeContainer("app.db", { force: true });
    engine.createContainer("app.db", { Image: "db:1" });
    engine.startContainer("app.db");
    expect(engine.staleReferences()).toHaveLength(1);
    engine.stopContainer("app.web");
    expect(() => engine.startContainer("app.web")).toThrow(/Cannot link to a non running container/);
  });

  it("labels a container made by a plan with berth's spec labels, and observes it as berth does", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    const observed = (await observeWorld(world)).clients.default?.containers.find(
      (c) => c.name === "app.web",
    );
    expect(observed).toMatchObject({ mapName: "app", key: "web", kind: "container", state: "running" });
    expect(observed?.applied?.spec.links).toEqual(["app.db:db"]);
    expect(observed?.applied?.bound).toEqual({ "app.db": engineOf(world).named("app.db").id });
    // db is linked by web, so the engine lists it under a second name too; its own name is found.
    const listed = await new SimulatedEngineWriter(engineOf(world)).listContainers({});
    expect(listed.find((c) => c.Names.includes("/app.db"))?.Names).toHaveLength(2);
    expect((await observeWorld(world)).clients.default?.containers.map((c) => c.name)).toContain("app.db");
  });

  it("applying a plan does not change the world it is given", async () => {
    const map = mapOf(MAP);
    const world = worldFor(map);
    const before = structuredClone(engineOf(world));
    await applyPlan(world, await planWorld(map, world), map);
    expect(engineOf(world)).toEqual(before);
  });

  it("rejects a plan whose `after` names an unknown step or has a cycle, and a step the engine refuses", async () => {
    const map = mapOf(MAP);
    const world = worldFor(map);
    const made = await planWorld(map, world);
    const unknown: Plan = structuredClone(made);
    unknown.steps[0]?.after.push("no-such-step");
    expect(() => checkStepGraph(unknown)).toThrow(/unknown step no-such-step/);
    const cyclic: Plan = structuredClone(made);
    const [first, second] = cyclic.steps;
    if (first === undefined || second === undefined) throw new Error("too few steps");
    first.after.push(second.id);
    second.after.push(first.id);
    expect(() => checkStepGraph(cyclic)).toThrow(/cycle/);
    // The web container's create before db exists: the engine cannot resolve the link.
    const unordered: Plan = structuredClone(made);
    for (const step of unordered.steps) step.after = [];
    await expect(applyPlan(world, unordered, map, { order: "reverse" })).rejects.toThrow(SimulationError);
  });
});
