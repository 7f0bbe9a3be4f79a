import { describe, expect, it } from "vitest";
import {
  changeOf,
  deployed,
  mapOf,
  planAndApply,
  planWorld,
  recreatedKeys,
  stepSummary,
  stepsOfType,
} from "../../helpers/plan-fixtures.js";
import { applyPlan, engineOf, worldFor } from "../../helpers/simulated-engine.js";

/**
 * docker-map's verified defects (shared/compat/dockermap/BEHAVIOUR.md §2, §3.5 and the defect list),
 * as regression tests of berth's planner over a simulated engine.
 */

describe("defect 6: removed env vars, ports, links and commands are drift-checked", () => {
  const BASE = `
db: {image: "db:1"}
app:
  image: app:1
  environment: {KEEP: "1", DROP: "2"}
  exposes: [[8080, 80], 9090]
  links: db
  command: serve
`;

  it.each([
    ["env var", BASE.replace(', DROP: "2"', ""), "environment.DROP"],
    ["published port", BASE.replace("[8080, 80], ", ""), "exposes"],
    ["exposed port", BASE.replace(", 9090", ""), "exposes"],
    ["link", BASE.replace("  links: db\n", ""), "links"],
    ["command", BASE.replace("  command: serve\n", ""), "command"],
  ])("a removed %s recreates the container", async (_what, after, field) => {
    const made = await planWorld(mapOf(after), await deployed(mapOf(BASE)));
    expect(recreatedKeys(made)).toEqual(["app"]);
    expect(changeOf(made, "app", "recreate").reasons.map((r) => r.field)).toEqual([field]);
  });

  it("so do labels, user, working_dir, healthcheck and host_config keys other than limits", async () => {
    const extras = [
      "labels: {team: a}",
      "user: '1000'",
      "working_dir: /srv",
      'healthcheck: ["true"]',
      "host_config: {privileged: true}",
    ];
    for (const extra of extras) {
      const made = await planWorld(mapOf(`${BASE}  ${extra}\n`), await deployed(mapOf(BASE)));
      expect(recreatedKeys(made)).toEqual(["app"]);
    }
  });

  it("an environment given as a list does not crash, and is compared by variable", async () => {
    const list = BASE.replace('environment: {KEEP: "1", DROP: "2"}', "environment: [KEEP=1, DROP=2]");
    const world = await deployed(mapOf(list));
    expect(stepSummary(await planWorld(mapOf(BASE), world))).toEqual([]);
    const made = await planWorld(mapOf(list.replace("DROP=2", "DROP=3")), world);
    expect(changeOf(made, "app", "recreate").reasons).toEqual([
      { message: "environment.DROP changed", field: "environment.DROP", old: "2", new: "3" },
    ]);
  });
});

describe("defect 4: a `uses: <container>` dependent is not recreated on every run", () => {
  const MAP = `
a: {image: "a:1", shares: /shared}
b: {image: "b:1", uses: a}
c: {image: "c:1", instances: ["x", "y"], uses: a, shares: /more}
d: {image: "d:1", uses: [c.x]}
`;

  it("apply, then plan again: empty, again and again", async () => {
    const map = mapOf(MAP);
    let world = await deployed(map);
    for (let pass = 0; pass < 3; pass++) {
      const { plan: made, world: next } = await planAndApply(map, world);
      expect(made.steps).toEqual([]);
      world = next;
    }
    const b = engineOf(world).named("app.b");
    expect(b.mounts.map((m) => m.Destination)).toEqual(["/shared"]);
  });
});

describe("defect 3: linked dependents are not left with dead links", () => {
  const MAP = `
c000: {image: "img:1", environment: {V: "1"}}
c001: {image: "img:1", links: c000}
c002: {image: "img:1", links: c001}
`;

  it("an env change of the root recreates the chain of linked dependents; no reference is left dangling", async () => {
    const world = await deployed(mapOf(MAP));
    const map = mapOf(MAP.replace('V: "1"', 'V: "2"'));
    const made = await planWorld(map, world);
    expect(recreatedKeys(made)).toEqual(["c000", "c001", "c002"]);
    const after = (await applyPlan(world, made, map, { order: "reverse" })).world;
    expect(engineOf(after).staleReferences()).toEqual([]);
    // The follow-up plan is empty because the map really is converged.
    expect(stepSummary(await planWorld(map, after))).toEqual([]);
  });

  it("an image re-tag of the root does the same", async () => {
    const map = mapOf(MAP.replace('c000: {image: "img:1"', 'c000: {image: "root:1"'));
    const world = await deployed(map);
    engineOf(world).tagImage("root:1", "sha256:" + "a".repeat(64));
    const made = await planWorld(map, world);
    expect(recreatedKeys(made)).toEqual(["c000", "c001", "c002"]);
  });

  it("a dependent whose link target was replaced behind berth's back (a startup made the target again) is recreated", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    engineOf(world).removeContainer("app.c000", { force: true });
    // startup makes c000 again but recreates nothing: c001 still points at the removed c000.
    const startup = await planAndApply(map, world, { action: "startup" });
    expect(recreatedKeys(startup.plan)).toEqual([]);
    expect(engineOf(startup.world).staleReferences()).toEqual([
      expect.stringMatching(/^app\.c001 links app\.c000: bound to \w{12}, now \w{12}$/),
    ]);
    const made = await planWorld(map, startup.world);
    expect(recreatedKeys(made)).toEqual(["c001", "c002"]);
    expect(changeOf(made, "c001", "recreate").reasons).toEqual([
      {
        message: "c000 was replaced after this container was made (links): its reference is stale",
        cause: { object: "c000", change: "replaced", edge: "links" },
      },
    ]);
    expect(changeOf(made, "c002", "recreate").reasons[0]?.cause).toEqual({
      object: "c001",
      change: "recreate",
      edge: "links",
      because: { object: "c000", change: "replaced", edge: "links" },
    });
    const after = (await applyPlan(startup.world, made, map, { order: "reverse" })).world;
    expect(engineOf(after).staleReferences()).toEqual([]);
    expect(stepSummary(await planWorld(map, after))).toEqual([]);
  });

  it("the same for a label whose recorded (bound) id differs from the target's current id", async () => {
    const map = mapOf(MAP);
    const world = await deployed(map);
    const c001 = engineOf(world).named("app.c001");
    const spec = JSON.parse(c001.labels["berth.spec"] ?? "{}") as { bound: Record<string, string> };
    expect(spec.bound).toEqual({ "app.c000": engineOf(world).named("app.c000").id });
    spec.bound["app.c000"] = "0".repeat(64);
    c001.labels["berth.spec"] = JSON.stringify(spec);
    const made = await planWorld(map, world);
    expect(recreatedKeys(made)).toEqual(["c001", "c002"]);
    expect(changeOf(made, "c001", "recreate").reasons[0]?.cause).toEqual({
      object: "c000",
      change: "replaced",
      edge: "links",
    });
  });
});

describe("defect 1: startup twice creates no duplicate network and pulls nothing present", () => {
  const MAP = `
networks: {net1: {}}
volumes: {sock: /sock}
a: {image: "a:1", networks: net1, attaches: sock}
`;

  it("the second startup plans no create-network (and the engine would refuse a duplicate)", async () => {
    const map = mapOf(MAP);
    const first = await planAndApply(map, worldFor(map, { images: false }), { action: "startup" });
    expect(stepsOfType(first.plan, "create-network")).toHaveLength(1);
    expect(stepsOfType(first.plan, "pull-image")).toHaveLength(1);
    const second = await planWorld(map, first.world, { action: "startup" });
    expect(second.steps).toEqual([]);
    expect(engineOf(first.world).networks.filter((n) => n.name === "app.net1")).toHaveLength(1);
    // After a shutdown, the network and volume are gone or kept, and a startup makes only what is missing.
    const down = await planAndApply(map, first.world, { action: "shutdown" });
    const up = await planWorld(map, down.world, { action: "startup" });
    expect(stepSummary(up)).toEqual(["create-network net1", "create-container a", "start-container a"]);
  });
});

describe("defect 5: `shares` data survives a recreate and no anonymous volume is orphaned", () => {
  it("the anonymous volume is carried to the new container", async () => {
    const MAP = `a: {image: "a:1", shares: /data, environment: {V: "1"}}`;
    const world = await deployed(mapOf(MAP));
    const volume = engineOf(world).named("app.a").mounts[0]?.Name;
    const map = mapOf(MAP.replace('V: "1"', 'V: "2"'));
    const after = (await planAndApply(map, world)).world;
    expect(
      engineOf(after)
        .named("app.a")
        .mounts.map((m) => [m.Name, m.Destination]),
    ).toEqual([[volume, "/data"]]);
    expect(engineOf(after).volumes.map((v) => v.name)).toEqual([volume]);
  });
});

describe("defect 7: exec commands are not re-run on every update", () => {
  it("a converged map plans no exec", async () => {
    const map = mapOf(`a: {image: "a:1", exec_commands: ["echo hi", [echo once, null, initial]]}`);
    const world = await deployed(map);
    expect(engineOf(world).named("app.a").execs).toEqual(["echo hi", "echo once"]);
    expect((await planWorld(map, world)).steps).toEqual([]);
  });
});

describe("defect 8: volumes are made with their driver options and then left alone", () => {
  it("the next update plans no volume reset", async () => {
    const map = mapOf(`
volumes: {data: {default_path: /data, driver_options: {type: tmpfs, device: tmpfs}}}
a: {image: "a:1", attaches: data}
b: {image: "b:1", uses: data}
`);
    const world = await deployed(map);
    expect(engineOf(world).volume("app.data")?.options).toEqual({ type: "tmpfs", device: "tmpfs" });
    const made = await planWorld(map, world);
    expect(made.steps).toEqual([]);
    expect(made.changes).toEqual([]);
  });
});
