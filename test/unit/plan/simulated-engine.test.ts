import { describe, expect, it } from "vitest";
import {
  EngineApiError,
  EngineConflictError,
  EngineNotFoundError,
} from "../../../src/engine/engine-errors.js";
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

describe("the simulated engine through berth's engine interface", () => {
  it("answers a refusal with the typed error DockerEngine gives for its status, and a 304 as success", async () => {
    const world = await deployed(mapOf(MAP));
    const writer = new SimulatedEngineWriter(engineOf(world));
    await expect(writer.removeContainer("nope")).rejects.toThrow(EngineNotFoundError);
    await expect(writer.removeContainer("nope")).rejects.toThrow(
      /^default: remove container nope: No such container: nope/,
    );
    await expect(writer.createContainer("app.db", { Image: "db:1" })).rejects.toThrow(EngineConflictError);
    await expect(writer.removeVolume("app.data")).rejects.toThrow(EngineConflictError);
    await expect(writer.removeNetwork("bridge")).rejects.toThrow(EngineApiError);
    // Already running / already stopped: the engine answers 304, which berth takes as done.
    await expect(writer.startContainer("app.db")).resolves.toBeUndefined();
    await writer.stopContainer("app.web");
    await expect(writer.stopContainer("app.web")).resolves.toBeUndefined();
    await expect(writer.killContainer("app.web")).rejects.toThrow(EngineConflictError);
    expect(writer.calls.get("remove container")).toBe(2);
  });

  it("lists containers by label as the engine filters them", async () => {
    const world = await deployed(mapOf(MAP));
    engineOf(world).addContainer({ name: "by-hand" });
    const writer = new SimulatedEngineWriter(engineOf(world));
    const names = (list: { Names: string[] }[]) => list.map((c) => c.Names.at(-1));
    expect(names(await writer.listContainers({}))).toContain("/by-hand");
    const mine = await writer.listContainers({ "berth.map": "app" });
    expect(names(mine)).toEqual(expect.arrayContaining(["/app.db", "/app.web"]));
    expect(names(mine)).not.toContain("/by-hand");
    expect(await writer.listContainers({ "berth.map": "other" })).toEqual([]);
  });
});

describe("applyPlan: berth's executor over simulated engines", () => {
  const TWO = `
a: {image: "a:1"}
b: {image: "b:1"}
`;

  it("runs the ready steps in the order asked", async () => {
    const map = mapOf(TWO);
    const made = await planWorld(map, worldFor(map));
    const creates = (ran: string[]) => ran.filter((id) => id.startsWith("create-container"));
    const listed = await applyPlan(worldFor(map), made, map, { order: "listed" });
    const reverse = await applyPlan(worldFor(map), made, map, { order: "reverse" });
    expect(creates(listed.ran)).toEqual(["create-container:default/app.a", "create-container:default/app.b"]);
    expect(creates(reverse.ran)).toEqual(creates(listed.ran).reverse());
    expect(reverse.ran.slice().sort()).toEqual(made.steps.map((s) => s.id).sort());
  });

  it("an interrupted run leaves the steps after the interruption undone", async () => {
    const map = mapOf(TWO);
    const made = await planWorld(map, worldFor(map));
    const interrupted = await applyPlan(worldFor(map), made, map, { stopAfter: 1 });
    expect(interrupted.ran).toEqual(["create-container:default/app.a"]);
    expect(engineOf(interrupted.world).containers.map((c) => [c.name, c.state])).toEqual([
      ["app.a", "created"],
    ]);
  });

  it("ends waits at once: a health check passes, a job runs to its end, nothing sleeps", async () => {
    const map = mapOf(`
job: {image: "job:1"}
db: {image: "db:1", healthcheck: [pg_isready]}
app:
  image: app:1
  depends_on: {db: {condition: healthy}, job: {condition: completed}}
`);
    const made = await planWorld(map, worldFor(map));
    const started = Date.now();
    const applied = await applyPlan(worldFor(map), made, map, { order: "reverse" });
    expect(Date.now() - started).toBeLessThan(2_000);
    const engine = engineOf(applied.world);
    expect(engine.named("app.db")).toMatchObject({ state: "running", health: "healthy" });
    expect(engine.named("app.job")).toMatchObject({ state: "exited", exitCode: 0 });
    expect(engine.named("app.app").state).toBe("running");
    expect(applied.notes).toMatchObject({
      "wait-healthy:default/app.db": "healthy",
      "wait-completed:default/app.job": "completed",
    });
  });
});
