import { describe, expect, it } from "vitest";
import { isPlanError } from "../../../src/plan/plan-context.js";
import {
  changeOf,
  deployed,
  mapOf,
  planWorld,
  recreatedKeys,
  stepFor,
  stepsOfType,
  stepSummary,
  waitsFor,
} from "../../helpers/plan-fixtures.js";
import { applyPlan, engineOf } from "../../helpers/simulated-engine.js";

/**
 * A network whose definition in the map changed (its create_options too: labels, internal,
 * enable_ipv6, attachable, ipam) is made again on update, with a reason naming what changed; the
 * map's containers on it are disconnected before and connected again after, not recreated.
 */

const MAP = `
networks:
  back:
    create_options: {labels: {team: a}}
db:
  image: db:1
  networks: back
app:
  image: app:1
  networks:
    back: {aliases: [api]}
    bridge: {}
`;

const CHANGES = {
  labels: MAP.replace("labels: {team: a}", "labels: {team: b}"),
  internal: MAP.replace("    create_options:", "    internal: true\n    create_options:"),
  enable_ipv6: MAP.replace("{labels: {team: a}}", "{labels: {team: a}, enable_ipv6: true}"),
  attachable: MAP.replace("{labels: {team: a}}", "{labels: {team: a}, attachable: true}"),
  ipam: MAP.replace("{labels: {team: a}}", "{labels: {team: a}, ipam: {Config: [{Subnet: 10.9.0.0/24}]}}"),
};

describe("a network whose create_options changed", () => {
  it.each(Object.entries(CHANGES))("%s: planned for recreate, with the reason", async (field, yaml) => {
    const world = await deployed(mapOf(MAP));
    const made = await planWorld(mapOf(yaml), world);
    const reasons = changeOf(made, "back", "recreate").reasons;
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatchObject({ message: `${field} changed`, field });
    expect(recreatedKeys(made)).toEqual([]);
  });

  it("labels: old and new values in the reason; disconnect, remove, create, connect again", async () => {
    const world = await deployed(mapOf(MAP));
    const map = mapOf(CHANGES.labels);
    const made = await planWorld(map, world);
    expect(changeOf(made, "back", "recreate").reasons).toEqual([
      { message: "labels changed", field: "labels", old: { team: "a" }, new: { team: "b" } },
    ]);
    const removal = stepFor(made, "remove-network", "back");
    expect(removal.after).toEqual(
      stepsOfType(made, "disconnect-network")
        .map((s) => s.id)
        .sort(),
    );
    const create = stepFor(made, "create-network", "back");
    for (const key of ["db", "app"])
      expect(waitsFor(made, stepFor(made, "connect-network", key), create)).toBe(true);
    for (const order of ["listed", "reverse", 7] as const) {
      const after = (await applyPlan(world, made, map, { order })).world;
      expect(engineOf(after).network("app.back")?.labels.team).toBe("b");
      expect(engineOf(after).named("app.app").networks["app.back"]?.Aliases).toContain("api");
      expect(engineOf(after).named("app.db").networks["app.back"]).toBeDefined();
      expect(stepSummary(await planWorld(map, after))).toEqual([]);
    }
  });

  it("startup reports it as outdated and changes nothing", async () => {
    const world = await deployed(mapOf(MAP));
    const made = await planWorld(mapOf(CHANGES.internal), world, { action: "startup" });
    expect(stepSummary(made)).toEqual([]);
    expect(changeOf(made, "back", "outdated").reasons).toEqual([
      { message: "internal changed", field: "internal", old: false, new: true },
    ]);
  });

  it("a container of another map on it stops the plan, naming it", async () => {
    const world = await deployed(mapOf(MAP));
    const engine = engineOf(world);
    engine.addContainer({ name: "other.web", labels: { "berth.map": "other" } });
    engine.connectNetwork("app.back", "other.web");
    const error: unknown = await planWorld(mapOf(CHANGES.labels), world).catch((err: unknown) => err);
    expect(isPlanError(error)).toBe(true);
    expect(String(error)).toMatch(
      /network app\.back must be made again \(labels changed .*\), but container other\.web not of map app is connected to it/,
    );
  });
});

describe("a volume whose definition changed", () => {
  const VOLUMES = `
volumes:
  data: {default_path: /data, create_options: {labels: {keep: "1"}}}
db:
  image: db:1
  attaches: data
`;

  it("update refuses, naming the volume and what changed; nothing is planned half-way", async () => {
    const world = await deployed(mapOf(VOLUMES));
    const error: unknown = await planWorld(mapOf(VOLUMES.replace('keep: "1"', 'keep: "2"')), world).catch(
      (err: unknown) => err,
    );
    expect(isPlanError(error)).toBe(true);
    expect(String(error)).toContain(
      'volume app.data differs from the map (labels changed ({"keep":"1"} → {"keep":"2"}))',
    );
  });

  it("an unchanged volume is kept", async () => {
    const world = await deployed(mapOf(VOLUMES));
    expect(stepSummary(await planWorld(mapOf(VOLUMES), world))).toEqual([]);
  });
});

describe("a network made again while a container's endpoint on it changes too", () => {
  const TWO = `
networks:
  back: {create_options: {labels: {team: a}}}
  front: {}
db:
  image: db:1
  networks: back
app:
  image: app:1
  networks:
    front: {}
    back: {aliases: [api]}
`;
  const RELABELLED = TWO.replace("team: a", "team: b");

  it("the container leaves it: no disconnect of its own (the network's already dropped it; the engine refuses a second)", async () => {
    const world = await deployed(mapOf(TWO));
    const map = mapOf(RELABELLED.replace("    back: {aliases: [api]}\n", ""));
    const made = await planWorld(map, world);
    expect(changeOf(made, "back", "recreate")).toBeDefined();
    const disconnects = stepsOfType(made, "disconnect-network");
    expect(disconnects.map((s) => s.object.kind)).toEqual(["network", "network"]);
    expect(changeOf(made, "app", "reconnect").reasons).toEqual([
      { message: "connected to network app.back, which the map does not list" },
    ]);
    for (const order of ["listed", "reverse", 3] as const) {
      const after = (await applyPlan(world, made, map, { order })).world;
      expect(Object.keys(engineOf(after).named("app.app").networks)).toEqual(["app.front"]);
      expect(stepSummary(await planWorld(map, after))).toEqual([]);
    }
  });

  it("its aliases change: connected once, after the network is made again, with the new aliases", async () => {
    const world = await deployed(mapOf(TWO));
    const map = mapOf(RELABELLED.replace("aliases: [api]", "aliases: [api, gw]"));
    const made = await planWorld(map, world);
    expect(stepsOfType(made, "disconnect-network").map((s) => s.object.kind)).toEqual(["network", "network"]);
    const connect = stepFor(made, "connect-network", "app");
    expect(connect.endpoint.aliases).toEqual(["api", "gw"]);
    expect(waitsFor(made, connect, stepFor(made, "create-network", "back"))).toBe(true);
    for (const order of ["listed", "reverse", 5] as const) {
      const after = (await applyPlan(world, made, map, { order })).world;
      expect(engineOf(after).named("app.app").networks["app.back"]?.Aliases).toContain("gw");
      expect(stepSummary(await planWorld(map, after))).toEqual([]);
    }
  });
});
