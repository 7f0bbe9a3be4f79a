import { describe, expect, it } from "vitest";
import { isPlanError, PlanError } from "../../../src/plan/plan-context.js";
import type { Plan } from "../../../src/plan/plan-types.js";
import {
  changeOf,
  changesOf,
  deployed,
  mapOf,
  planWorld,
  recreatedKeys,
  stepFor,
  stepsOfType,
  stepSummary,
  waitsFor,
} from "../../helpers/plan-fixtures.js";
import { applyPlan, engineOf, worldFor, type SimulatedWorld } from "../../helpers/simulated-engine.js";

/**
 * Volumes whose driver options changed (never recreated implicitly), names held by containers
 * berth does not own, and the repair of a run interrupted in the middle of a recreate.
 */

const MAP = `
volumes:
  data: {default_path: /data, driver_options: {type: tmpfs, device: tmpfs}}
db:
  image: db:1
  attaches: data
  environment: {FOO: "1"}
app:
  image: app:1
  uses: data
web:
  image: web:1
  links: app
`;
const CHANGED_VOLUME = MAP.replace("device: tmpfs", "device: tmpfs, o: size=100m");

describe("a volume whose driver options changed", () => {
  it("update stops at plan time: a PlanError naming the volume, what changed and what to do", async () => {
    const world = await deployed(mapOf(MAP));
    const refused = planWorld(mapOf(CHANGED_VOLUME), world);
    await expect(refused).rejects.toThrow(PlanError);
    await expect(refused).rejects.toThrow(/volume app\.data differs from the map \(driver_options changed/);
    const error: unknown = await refused.catch((err: unknown) => err);
    expect(isPlanError(error) && error.hint).toContain("--recreate-volumes");
  });

  it("startup gets no step: an `outdated` change and a warning naming --recreate-volumes", async () => {
    const world = await deployed(mapOf(MAP));
    const made = await planWorld(mapOf(CHANGED_VOLUME), world, { action: "startup" });
    expect(stepSummary(made)).toEqual([]);
    const outdated = changeOf(made, "data", "outdated");
    expect(outdated.reasons[0]).toEqual({
      message: "driver_options changed",
      field: "driver_options",
      old: { type: "tmpfs", device: "tmpfs" },
      new: { type: "tmpfs", device: "tmpfs", o: "size=100m" },
    });
    expect(outdated.reasons.at(-1)?.message).toMatch(/--recreate-volumes/);
    expect(made.warnings).toEqual([expect.stringContaining("--recreate-volumes")]);
    expect(made.warnings[0]).toContain("app.data");
  });

  it("with recreateVolumes: every container mounting it is removed first, the volume made again, then they are", async () => {
    const world = await deployed(mapOf(MAP));
    const map = mapOf(CHANGED_VOLUME);
    const made = await planWorld(map, world, { recreateVolumes: true });
    expect(changeOf(made, "data", "recreate").reasons.at(-1)).toEqual({
      message: "--recreate-volumes: its data is lost",
    });
    expect(recreatedKeys(made)).toEqual(["app", "db", "web"]);
    for (const key of ["app", "db"]) {
      expect(changeOf(made, key, "recreate").reasons).toContainEqual({
        message: "volume data is recreated (--recreate-volumes)",
      });
      const create = stepFor(made, "create-container", key);
      // Remove-first: the final name, no temporary one.
      expect(create).toMatchObject({ name: `app.${key}`, temporary: false });
      const removed = stepFor(made, "remove-container", key);
      expect(removed.after).toEqual([stepFor(made, "stop-container", key).id]);
      expect(waitsFor(made, create, removed)).toBe(true);
      expect(waitsFor(made, create, stepFor(made, "create-volume", "data"))).toBe(true);
    }
    const removeVolume = stepFor(made, "remove-volume", "data");
    expect(removeVolume.after).toEqual(
      [stepFor(made, "remove-container", "app").id, stepFor(made, "remove-container", "db").id].sort(),
    );
    expect(stepFor(made, "create-volume", "data").after).toEqual([removeVolume.id]);
    // web links app (bound to app's id when made), so it follows app.
    expect(changeOf(made, "web", "recreate").reasons[0]?.cause).toEqual({
      object: "app",
      change: "recreate",
      edge: "links",
    });

    const after = (await applyPlan(world, made, map, { order: "reverse" })).world;
    expect(engineOf(after).volume("app.data")?.options).toEqual({
      type: "tmpfs",
      device: "tmpfs",
      o: "size=100m",
    });
    expect(stepSummary(await planWorld(map, after))).toEqual([]);
  });

  it("startup never recreates a volume, even with recreateVolumes", async () => {
    const world = await deployed(mapOf(MAP));
    const made = await planWorld(mapOf(CHANGED_VOLUME), world, { action: "startup", recreateVolumes: true });
    expect(stepSummary(made)).toEqual([]);
    expect(changeOf(made, "data", "outdated")).toBeDefined();
  });

  it("a volume berth did not create is used as it is, with a warning", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    const volume = engineOf(world).volume("app.data");
    if (volume === undefined) throw new Error("no volume");
    volume.labels = {};
    volume.mapName = undefined;
    volume.options = {};
    const made = await planWorld(map, world, { recreateVolumes: true });
    expect(stepSummary(made)).toEqual([]);
    expect(made.warnings).toEqual([
      "volume app.data on default was not created by berth; it is used as it is",
    ]);
  });
});

describe("a name berth needs held by a container berth does not own", () => {
  async function planError(world: SimulatedWorld, yaml = MAP): Promise<PlanError> {
    try {
      await planWorld(mapOf(yaml), world);
    } catch (err) {
      if (isPlanError(err)) return err;
      throw err;
    }
    throw new Error("expected a PlanError");
  }

  it("an unlabelled container with the final name stops the plan", async () => {
    const world = await deployed(mapOf(MAP));
    engineOf(world).removeContainer("app.web", { force: true });
    const foreign = engineOf(world).addContainer({ name: "app.web" });
    const err = await planError(world);
    expect(err).toBeInstanceOf(PlanError);
    expect(err.message).toBe(
      `engine default: container name app.web is taken by container ${foreign.id.slice(0, 12)} (not created by berth); the plan needs it for web`,
    );
  });

  it("a container of another map holding the temporary name stops the plan", async () => {
    const world = await deployed(mapOf(MAP));
    engineOf(world).addContainer({ name: "app.db_berth-new", labels: { "berth.map": "other" } });
    const err = await planError(world);
    expect(err.message).toMatch(
      /container name app\.db_berth-new is taken by container \w{12} \(of map `other`\)/,
    );
  });

  it("on an empty engine too (before any create)", async () => {
    const map = mapOf(MAP);
    const world = worldFor(map);
    engineOf(world).addContainer({ name: "app.db" });
    await expect(planWorld(map, world)).rejects.toThrow(/container name app\.db is taken/);
  });
});

describe("repair of an interrupted recreate", () => {
  /** A world where a recreate of `key` stopped after its create: the temporary container exists. */
  async function interrupted(key: string, options: { removeOriginal: boolean }): Promise<SimulatedWorld> {
    const world = await deployed(mapOf(MAP));
    const engine = engineOf(world);
    const original = engine.named(`app.${key}`);
    engine.addContainer({
      name: `app.${key}_berth-new`,
      labels: { ...original.labels, "berth.replaces": `app.${key}` },
      image: original.image,
      imageId: original.imageId,
      mounts: structuredClone(original.mounts),
      state: "created",
    });
    if (options.removeOriginal) engine.removeContainer(`app.${key}`, { force: true });
    return world;
  }

  const createdNames = (made: Plan) => stepsOfType(made, "create-container").map((s) => s.name);

  it("the original still exists: the temporary container is removed (forced, volumes kept)", async () => {
    const world = await interrupted("web", { removeOriginal: false });
    const leftover = engineOf(world).named("app.web_berth-new");
    const made = await planWorld(mapOf(MAP), world);
    expect(stepSummary(made)).toEqual(["remove-container web"]);
    expect(stepFor(made, "remove-container", "app.web_berth-new")).toMatchObject({
      container: leftover.id,
      force: true,
      removeVolumes: false,
    });
    expect(changeOf(made, "app.web_berth-new", "remove").reasons).toEqual([
      { message: "left behind by an interrupted recreate" },
    ]);
    const after = (await applyPlan(world, made, mapOf(MAP))).world;
    expect(engineOf(after).find("app.web_berth-new")).toBeUndefined();
  });

  it("the original is gone: the temporary container is renamed to the final name and started, not made again", async () => {
    const world = await interrupted("web", { removeOriginal: true });
    const leftover = engineOf(world).named("app.web_berth-new");
    const map = mapOf(MAP);
    const made = await planWorld(map, world);
    expect(stepSummary(made)).toEqual(["rename-container web", "start-container web"]);
    expect(stepFor(made, "rename-container", "web")).toMatchObject({ container: leftover.id, to: "app.web" });
    expect(stepFor(made, "start-container", "web").after).toContain(
      stepFor(made, "rename-container", "web").id,
    );
    expect(changeOf(made, "web", "rename").reasons[0]?.message).toBe(
      "finishes an interrupted recreate: app.web_berth-new becomes app.web",
    );
    expect(createdNames(made)).toEqual([]);
    const after = (await applyPlan(world, made, map, { order: "reverse" })).world;
    expect(engineOf(after).named("app.web").id).toBe(leftover.id);
    expect(stepSummary(await planWorld(map, after))).toEqual([]);
  });

  it("the original is gone and the map changed since: rename first, then a safe recreate", async () => {
    const world = await interrupted("db", { removeOriginal: true });
    const map = mapOf(MAP.replace('FOO: "1"', 'FOO: "2"'));
    const made = await planWorld(map, world);
    const rename = stepsOfType(made, "rename-container").find(
      (s) => s.to === "app.db" && s.container !== "app.db_berth-new",
    );
    expect(rename).toBeDefined();
    const create = stepFor(made, "create-container", "db");
    expect(create.name).toBe("app.db_berth-new");
    expect(waitsFor(made, create, rename?.id ?? "")).toBe(true);
    for (const order of ["listed", "reverse", 3] as const) {
      const after = (await applyPlan(world, made, map, { order })).world;
      expect(stepSummary(await planWorld(map, after))).toEqual([]);
    }
  });

  it("the original still exists and must be recreated: the create under the temporary name waits for the leftover's removal", async () => {
    const world = await interrupted("db", { removeOriginal: false });
    const map = mapOf(MAP.replace('FOO: "1"', 'FOO: "2"'));
    const made = await planWorld(map, world);
    const removal = stepFor(made, "remove-container", "app.db_berth-new");
    const create = stepFor(made, "create-container", "db");
    expect(create.name).toBe("app.db_berth-new");
    // The leftover holds the temporary name: creating under it before its removal is a 409.
    expect(waitsFor(made, create, removal)).toBe(true);
  });

  it("never plans a create under a name that exists, in any order the steps may run", async () => {
    const world = await interrupted("db", { removeOriginal: false });
    const map = mapOf(MAP.replace('FOO: "1"', 'FOO: "2"'));
    const made = await planWorld(map, world);
    const taken = new Set(engineOf(world).containers.map((c) => c.name));
    for (const create of stepsOfType(made, "create-container")) {
      if (!taken.has(create.name)) continue;
      const holder = engineOf(world).named(create.name);
      const freeing = made.steps.filter(
        (s) =>
          (s.type === "remove-container" && s.container === holder.id) ||
          (s.type === "rename-container" && (s.container === holder.id || s.container === create.name)),
      );
      expect(freeing.some((s) => waitsFor(made, create, s))).toBe(true);
    }
    await expect(applyPlan(world, made, map, { order: "reverse" })).resolves.toBeDefined();
  });

  it("a run interrupted before the rename: the renamed replacement's dependents are recreated (their links are stale)", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    const changed = mapOf(MAP.replace("image: app:1", "image: app:1\n  environment: {B: x}"));
    const made = await planWorld(changed, world);
    expect(recreatedKeys(made)).toEqual(["app", "web"]);
    // The run stops after app's old container is removed, before its replacement is renamed.
    const rename = made.steps.findIndex((s) => s.type === "rename-container" && s.object.key === "app");
    const interrupted = (await applyPlan(world, made, changed, { stopAfter: rename })).world;
    expect(engineOf(interrupted).find("app.app")).toBeUndefined();
    expect(engineOf(interrupted).staleReferences()).toEqual([
      expect.stringMatching(/^app\.web links app\.app: bound to \w{12}, which is gone$/),
    ]);
    const repair = await planWorld(changed, interrupted);
    expect(stepFor(repair, "rename-container", "app").to).toBe("app.app");
    expect(changeOf(repair, "web", "recreate").reasons[0]?.cause).toMatchObject({
      object: "app",
      edge: "links",
    });
    const after = (await applyPlan(interrupted, repair, changed, { order: "reverse" })).world;
    expect(engineOf(after).staleReferences()).toEqual([]);
    expect(stepSummary(await planWorld(changed, after))).toEqual([]);
  });

  it("of several temporary containers, the newest is kept and the others removed", async () => {
    const world = await interrupted("web", { removeOriginal: true });
    const engine = engineOf(world);
    const older = engine.named("app.web_berth-new");
    older.name = "app.web_berth-old";
    older.created -= 100;
    const { id: _id, ...copy } = structuredClone(older);
    const newer = engine.addContainer({ ...copy, name: "app.web_berth-new", created: older.created + 50 });
    const made = await planWorld(mapOf(MAP), world);
    expect(stepFor(made, "remove-container", "app.web_berth-old").container).toBe(older.id);
    expect(stepFor(made, "rename-container", "web").container).toBe(newer.id);
    expect(changesOf(made, "app.web_berth-old").map((c) => c.change)).toEqual(["remove"]);
  });
});

describe("a network whose driver or options changed", () => {
  const NETWORKS = `
networks:
  back: {driver_options: {com.docker.network.bridge.enable_icc: "true"}}
db:
  image: db:1
  environment: {FOO: "1"}
  networks: back
app:
  image: app:1
  networks:
    back: {aliases: [api]}
    bridge: {}
`;
  const CHANGED = NETWORKS.replace('enable_icc: "true"', 'enable_icc: "false"');

  it("update: disconnect berth's containers, remove it, make it again, connect them again", async () => {
    const world = await deployed(mapOf(NETWORKS));
    const map = mapOf(CHANGED);
    const made = await planWorld(map, world);
    expect(changeOf(made, "back", "recreate").reasons).toEqual([
      {
        message: "driver_options changed",
        field: "driver_options",
        old: { "com.docker.network.bridge.enable_icc": "true" },
        new: { "com.docker.network.bridge.enable_icc": "false" },
      },
    ]);
    const removal = stepFor(made, "remove-network", "back");
    expect(removal.ifUnused).toBe(false);
    expect(removal.after).toHaveLength(2);
    expect(
      stepsOfType(made, "disconnect-network")
        .map((s) => s.id)
        .sort(),
    ).toEqual(removal.after);
    const create = stepFor(made, "create-network", "back");
    expect(create.after).toEqual([removal.id]);
    for (const key of ["db", "app"]) {
      const connect = stepFor(made, "connect-network", key);
      expect(connect.after).toEqual([create.id]);
    }
    expect(recreatedKeys(made)).toEqual([]);
    for (const order of ["listed", "reverse", 11] as const) {
      const after = (await applyPlan(world, made, map, { order })).world;
      expect(engineOf(after).named("app.app").networks["app.back"]?.Aliases).toContain("api");
      expect(stepSummary(await planWorld(map, after))).toEqual([]);
    }
  });

  it("together with a recreate of a container on it", async () => {
    const world = await deployed(mapOf(NETWORKS));
    const map = mapOf(CHANGED.replace('FOO: "1"', 'FOO: "2"'));
    const made = await planWorld(map, world);
    expect(recreatedKeys(made)).toEqual(["db"]);
    expect(
      waitsFor(made, stepFor(made, "create-container", "db"), stepFor(made, "create-network", "back")),
    ).toBe(true);
    for (const order of ["listed", "reverse", 5, 6] as const) {
      const after = (await applyPlan(world, made, map, { order })).world;
      expect(stepSummary(await planWorld(map, after))).toEqual([]);
    }
  });

  it("startup only reports it as outdated", async () => {
    const world = await deployed(mapOf(NETWORKS));
    const made = await planWorld(mapOf(CHANGED), world, { action: "startup" });
    expect(stepSummary(made)).toEqual([]);
    expect(changeOf(made, "back", "outdated")).toBeDefined();
  });

  it("a network berth did not create is used as it is, with a warning", async () => {
    const map = mapOf(NETWORKS);
    const world = worldFor(map);
    engineOf(world).createNetwork({ Name: "app.back", Options: { other: "1" } });
    const made = await planWorld(map, world);
    expect(stepsOfType(made, "create-network")).toEqual([]);
    expect(made.warnings).toEqual([
      "network app.back on default was not created by berth; it is used as it is",
    ]);
  });

  it("two networks with the map's name stop the plan", async () => {
    const map = mapOf(NETWORKS);
    const world = worldFor(map);
    engineOf(world).createNetwork({ Name: "app.back" });
    const first = engineOf(world).network("app.back");
    if (first === undefined) throw new Error("no network");
    engineOf(world).networks.push({ ...structuredClone(first), id: "f".repeat(64) });
    await expect(planWorld(map, world)).rejects.toThrow(/2 networks are named app\.back/);
  });
});
