import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeMapState } from "../../../src/desired/map-state.js";
import { LABEL } from "../../../src/model/labels.js";
import { volumeOwnerDifferences } from "../../../src/plan/resource-decision.js";
import type { Plan } from "../../../src/plan/plan-types.js";
import {
  changeOf,
  changesOf,
  deployed,
  mapOf,
  planAndApply,
  planWorld,
  stepFor,
  stepSummary,
  waitsFor,
} from "../../helpers/plan-fixtures.js";
import { engineOf, type SimulatedWorld } from "../../helpers/simulated-engine.js";

/**
 * Issue 14 item 1: the owner and mode of an attached volume. berth records what it applied in the
 * map's state record; a change of `user` or `permissions` (the volume's own, or the container's
 * it follows) is repaired in place by the helper, without recreating a container; with
 * `refresh: full`, a chown or chmod made by hand is seen too.
 */

const RECORDED = { user: "1000:1000", permissions: "0750" };
const FOLDER = { uid: 1000, gid: 1000, mode: 0o750 };

describe("volumeOwnerDifferences (plain data)", () => {
  it("nothing to do when the map sets neither user nor permissions, whatever was recorded", () => {
    expect(volumeOwnerDifferences({}, RECORDED, { uid: 0, gid: 0, mode: 0o777 })).toEqual([]);
    expect(volumeOwnerDifferences({}, undefined, undefined)).toEqual([]);
  });

  it("nothing to do when the map asks what berth recorded, and the folder (when read) has it", () => {
    expect(volumeOwnerDifferences(RECORDED, RECORDED, undefined)).toEqual([]);
    expect(volumeOwnerDifferences(RECORDED, RECORDED, FOLDER)).toEqual([]);
  });

  it("names each changed field with the recorded and the new value", () => {
    expect(volumeOwnerDifferences({ user: "2000:2000", permissions: "0700" }, RECORDED, undefined)).toEqual([
      { message: "user changed", field: "user", old: "1000:1000", new: "2000:2000" },
      { message: "permissions changed", field: "permissions", old: "0750", new: "0700" },
    ]);
  });

  it("a value the map no longer sets is left as it is (as on a new volume)", () => {
    expect(volumeOwnerDifferences({ permissions: "0750" }, RECORDED, undefined)).toEqual([]);
  });

  it("a volume without a record (an earlier berth, an unfinished preparation) is applied again", () => {
    const reasons = volumeOwnerDifferences(RECORDED, undefined, undefined);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]?.message).toMatch(/no record of the owner and mode/);
  });

  it("with the folder read (refresh full): an owner or mode changed by hand", () => {
    expect(volumeOwnerDifferences(RECORDED, RECORDED, { uid: 0, gid: 0, mode: 0o777 })).toEqual([
      { message: "owner changed outside berth", field: "owner", old: "0:0", new: "1000:1000" },
      { message: "mode changed outside berth", field: "mode", old: "0777", new: "0750" },
    ]);
  });

  it("a symbolic mode is met when applying it again would change nothing", () => {
    const symbolic = { permissions: "u=rwX,g=rX,o=" };
    const recorded = { user: null, permissions: "u=rwX,g=rX,o=" };
    expect(volumeOwnerDifferences(symbolic, recorded, { ...FOLDER, mode: 0o750 })).toEqual([]);
    expect(volumeOwnerDifferences(symbolic, recorded, { ...FOLDER, mode: 0o755 })).toEqual([
      expect.objectContaining({ field: "mode", old: "0755" }),
    ]);
  });

  it("an owner given by name cannot be compared with the folder's ids: only the record counts", () => {
    const named = { user: "www:www" };
    expect(volumeOwnerDifferences(named, { user: "www:www", permissions: null }, FOLDER)).toEqual([]);
  });

  it("property: an octal mode is met exactly when the folder has those bits; a numeric owner when the ids match", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0o777 }),
        fc.integer({ min: 0, max: 0o777 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        (wanted, seen, wantedUid, seenUid) => {
          const desired = { user: `${wantedUid}:${wantedUid}`, permissions: `0${wanted.toString(8)}` };
          const recorded = { user: desired.user, permissions: desired.permissions };
          const reasons = volumeOwnerDifferences(desired, recorded, {
            uid: seenUid,
            gid: seenUid,
            mode: seen,
          });
          expect(reasons.some((r) => r.field === "mode")).toBe(wanted !== seen);
          expect(reasons.some((r) => r.field === "owner")).toBe(wantedUid !== seenUid);
        },
      ),
    );
  });
});

const MAP = `
volumes:
  data: {default_path: /data, user: "1000:1000", permissions: "0750"}
db:
  image: db:1
  attaches: data
app:
  image: app:1
  uses: data
`;

/** The owner and mode recorded in the map's state record of a world. */
function recordedOwners(world: SimulatedWorld) {
  const state = engineOf(world).containers.find((c) => c.name === "berth-state.app");
  return decodeMapState(state?.labels)?.volumes;
}

function folderOf(world: SimulatedWorld) {
  return engineOf(world).volume("app.data")?.folder;
}

/** Containers a plan creates, recreates, removes or updates: none for an owner or mode repair. */
function containerSteps(made: Plan): string[] {
  return stepSummary(made).filter((s) => /container/.test(s) && !s.startsWith("record-state"));
}

describe("planning the owner and mode of an attached volume", () => {
  it("the first run records what it applied: the next plan is empty", async () => {
    const world = await deployed(mapOf(MAP));
    expect(recordedOwners(world)).toEqual({ "app.data": RECORDED });
    expect(folderOf(world)).toEqual(FOLDER);
    expect(stepSummary(await planWorld(mapOf(MAP), world))).toEqual([]);
  });

  it("changed permissions and user: one repair in place, old → new, no container touched", async () => {
    const world = await deployed(mapOf(MAP));
    const changed = mapOf(
      MAP.replace('user: "1000:1000", permissions: "0750"', 'user: "2000:2000", permissions: "0700"'),
    );
    const made = await planWorld(changed, world);
    expect(containerSteps(made)).toEqual([]);
    expect(stepSummary(made).sort()).toEqual(["prepare-volume data", "record-state berth-state.app"]);
    expect(stepFor(made, "prepare-volume", "data")).toMatchObject({ user: "2000:2000", permissions: "0700" });
    expect(
      waitsFor(
        made,
        stepFor(made, "record-state", "berth-state.app"),
        stepFor(made, "prepare-volume", "data"),
      ),
    ).toBe(true);
    const change = changeOf(made, "data", "prepare");
    expect(change.reasons.slice(0, 2)).toEqual([
      { message: "user changed", field: "user", old: "1000:1000", new: "2000:2000" },
      { message: "permissions changed", field: "permissions", old: "0750", new: "0700" },
    ]);
    expect(change.reasons[2]?.message).toMatch(/repaired in place.*no container is recreated/);
    const after = await planAndApply(changed, world);
    expect(folderOf(after.world)).toEqual({ uid: 2000, gid: 2000, mode: 0o700 });
    expect(recordedOwners(after.world)).toEqual({ "app.data": { user: "2000:2000", permissions: "0700" } });
    expect(stepSummary(await planWorld(changed, after.world))).toEqual([]);
  });

  it("the container's user the volume follows: the recreated container is created after the repair", async () => {
    const FOLLOWS = `
volumes:
  data: /data
db:
  image: db:1
  user: "1000"
  permissions: "0750"
  attaches: data
`;
    const world = await deployed(mapOf(FOLLOWS));
    const changed = mapOf(FOLLOWS.replace('user: "1000"', 'user: "2000"'));
    const made = await planWorld(changed, world);
    expect(changeOf(made, "data", "prepare").reasons[0]).toEqual({
      message: "user changed",
      field: "user",
      old: "1000",
      new: "2000",
    });
    expect(changesOf(made, "db").map((c) => c.change)).toEqual(["recreate"]);
    expect(
      waitsFor(made, stepFor(made, "create-container", "db"), stepFor(made, "prepare-volume", "data")),
    ).toBe(true);
    const after = await planAndApply(changed, world);
    expect(folderOf(after.world)?.uid).toBe(2000);
    expect(stepSummary(await planWorld(changed, after.world))).toEqual([]);
  });

  it("startup changes nothing that exists: the difference is reported as outdated", async () => {
    const world = await deployed(mapOf(MAP));
    const made = await planWorld(mapOf(MAP.replace('"0750"', '"0700"')), world, { action: "startup" });
    expect(stepSummary(made)).toEqual([]);
    expect(changeOf(made, "data", "outdated").reasons[0]).toMatchObject({
      field: "permissions",
      new: "0700",
    });
  });

  it("after a shutdown (the record goes, the volume stays) startup prepares it again, then nothing is left", async () => {
    const world = await deployed(mapOf(MAP));
    const down = await planAndApply(mapOf(MAP), world, { action: "shutdown" });
    expect(engineOf(down.world).volume("app.data")).toBeDefined();
    expect(recordedOwners(down.world)).toBeUndefined();
    const up = await planAndApply(mapOf(MAP), down.world, { action: "startup" });
    expect(changeOf(up.plan, "data", "prepare").reasons[0]?.message).toMatch(/no record.*shut down/);
    expect(
      waitsFor(
        up.plan,
        stepFor(up.plan, "create-container", "db"),
        stepFor(up.plan, "prepare-volume", "data"),
      ),
    ).toBe(true);
    expect(recordedOwners(up.world)).toEqual({ "app.data": RECORDED });
    expect(stepSummary(await planWorld(mapOf(MAP), up.world))).toEqual([]);
  });

  it("a volume made by an earlier berth (no record): repaired once, then recorded", async () => {
    const world = await deployed(mapOf(MAP));
    const state = engineOf(world).containers.find((c) => c.name === "berth-state.app");
    if (state === undefined) throw new Error("no state record");
    state.labels = { ...state.labels, [LABEL.state]: JSON.stringify({ v: 1, containers: {} }) };
    const made = await planWorld(mapOf(MAP), world);
    expect(changeOf(made, "data", "prepare").reasons[0]?.message).toMatch(/no record/);
    const after = await planAndApply(mapOf(MAP), world);
    expect(stepSummary(await planWorld(mapOf(MAP), after.world))).toEqual([]);
  });

  it("a chmod or chown made by hand: unseen by a normal plan, repaired with refresh full", async () => {
    const world = await deployed(mapOf(MAP));
    const volume = engineOf(world).volume("app.data");
    if (volume === undefined) throw new Error("no volume");
    volume.folder = { uid: 0, gid: 0, mode: 0o777 };
    expect(stepSummary(await planWorld(mapOf(MAP), world))).toEqual([]);
    const made = await planWorld(mapOf(MAP), world, { refresh: "full" });
    expect(containerSteps(made)).toEqual([]);
    expect(changeOf(made, "data", "prepare").reasons.map((r) => r.field)).toEqual([
      "owner",
      "mode",
      undefined,
    ]);
    const after = await planAndApply(mapOf(MAP), world, { refresh: "full" });
    expect(folderOf(after.world)).toEqual(FOLDER);
    expect(stepSummary(await planWorld(mapOf(MAP), after.world, { refresh: "full" }))).toEqual([]);
  });
});
