import { describe, expect, it } from "vitest";
import { isPlanError } from "../../../src/plan/plan-context.js";
import {
  changeOf,
  deployed,
  mapOf,
  planWorld,
  stepFor,
  stepsOfType,
  stepSummary,
  waitsFor,
} from "../../helpers/plan-fixtures.js";
import { applyPlan, engineOf, worldFor } from "../../helpers/simulated-engine.js";

/** The actions that work on what exists (stop, start, restart, kill, remove), pulls and volume preparation. */

const MAP = `
db: {image: "db:1", exec_commands: [[echo initial, null, initial], echo restart]}
app: {image: "app:1", links: db}
web: {image: "web:1", links: app}
`;

describe("stop, start, restart, kill, remove", () => {
  it("stop: dependents first, and only what runs", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world).stopContainer("app.web");
    const made = await planWorld(map, world, { action: "stop", targets: ["db"] });
    expect(stepSummary(made)).toEqual(["stop-container app", "stop-container db"]);
    expect(stepFor(made, "stop-container", "db").after).toEqual([stepFor(made, "stop-container", "app").id]);
    expect(changeOf(made, "db", "stop").reasons).toEqual([{ message: "stop requested" }]);
  });

  it("start: dependencies first, restart exec commands only, missing ones skipped", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    for (const name of ["app.db", "app.app"]) engineOf(world).stopContainer(name);
    engineOf(world).removeContainer("app.web", { force: true });
    const made = await planWorld(map, world, { action: "start", targets: ["web"] });
    expect(stepSummary(made)).toEqual([
      "start-container db",
      "exec db",
      "start-container app",
      "record-state berth-state.app",
    ]);
    expect(stepFor(made, "exec", "db").text).toBe("echo restart");
    expect(waitsFor(made, stepFor(made, "start-container", "app"), stepFor(made, "exec", "db"))).toBe(true);
    expect(changeOf(made, "web", "skip").reasons).toEqual([
      { message: "does not exist (startup creates it)" },
    ]);
    const after = (await applyPlan(world, made, map, { order: "reverse" })).world;
    expect(engineOf(after).named("app.app").state).toBe("running");
  });

  it("restart: the targets and what links to them (a new address), stop then start", async () => {
    const map = mapOf(MAP);
    const made = await planWorld(map, await deployed(map), { action: "restart", targets: ["db"] });
    expect(stepSummary(made).sort()).toEqual(
      [
        "stop-container web",
        "stop-container app",
        "stop-container db",
        "start-container db",
        "exec db",
        "start-container app",
        "start-container web",
        "record-state berth-state.app",
      ].sort(),
    );
    expect(
      waitsFor(made, stepFor(made, "start-container", "db"), stepFor(made, "stop-container", "db")),
    ).toBe(true);
    expect(changeOf(made, "web", "restart").reasons[0]?.cause).toEqual({
      object: "app",
      change: "restart",
      edge: "links",
    });
  });

  it("kill: running targets only, with the signal", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world).stopContainer("app.app");
    const made = await planWorld(map, world, { action: "kill", killSignal: "SIGUSR1" });
    expect(stepsOfType(made, "kill-container").map((s) => [s.object.key, s.signal])).toEqual([
      ["db", "SIGUSR1"],
      ["web", "SIGUSR1"],
    ]);
  });

  it("remove: stopped containers only; running ones are skipped with a reason", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world).stopContainer("app.web");
    const made = await planWorld(map, world, { action: "remove" });
    expect(stepSummary(made)).toEqual(["remove-container web"]);
    expect(changeOf(made, "app", "skip").reasons).toEqual([
      { message: "running: stop it first, or use shutdown" },
    ]);
  });
});

describe("images", () => {
  it("--pull never with a missing image stops the plan", async () => {
    const map = mapOf(MAP);
    const world = worldFor(map, { images: false });
    await expect(planWorld(map, world, { pull: "never" })).rejects.toSatisfy(
      (err: unknown) =>
        isPlanError(err) && /image db:1 is not present and --pull never was given/.test(err.message),
    );
  });

  it("an image removed under a running container: it is pulled and the container made from it", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world).removeImage("web:1");
    const made = await planWorld(map, world);
    expect(changeOf(made, "web", "recreate").reasons).toEqual([
      { message: "image web:1 is not present; it is pulled and the container made from it", field: "image" },
    ]);
    const pull = stepFor(made, "pull-image", "web:1");
    expect(stepFor(made, "create-container", "web").after).toContain(pull.id);
  });
});

describe("attached volumes with an owner or permissions", () => {
  const VOLUMES = `
volumes:
  data: {default_path: /data, user: "1000", permissions: "0750"}
db: {image: "db:1", attaches: data}
app: {image: "app:1", uses: data}
`;

  it("are prepared after they are made and before a container mounts them, with the owner's image", async () => {
    const map = mapOf(VOLUMES);
    const made = await planWorld(map, worldFor(map));
    const prepare = stepFor(made, "prepare-volume", "data");
    expect(prepare).toMatchObject({ volume: "app.data", image: "db:1", user: "1000", permissions: "0750" });
    expect(prepare.after).toEqual([stepFor(made, "create-volume", "data").id]);
    for (const key of ["db", "app"])
      expect(waitsFor(made, stepFor(made, "create-container", key), prepare)).toBe(true);
    const after = (await applyPlan(worldFor(map), made, map, { order: "reverse" })).world;
    expect(engineOf(after).volume("app.data")?.prepared).toEqual({ user: "1000", permissions: "0750" });
  });

  it("the helper image is pulled first when it is missing; the map's helper_image wins", async () => {
    const map = mapOf(`helper_image: "tools:1"\n${VOLUMES}`);
    const made = await planWorld(map, worldFor(map));
    const prepare = stepFor(made, "prepare-volume", "data");
    expect(prepare.image).toBe("tools:1");
    expect(prepare.after).toContain(stepFor(made, "pull-image", "tools:1").id);
  });
});
