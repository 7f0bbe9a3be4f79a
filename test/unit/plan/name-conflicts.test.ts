import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { containerNode } from "../../../src/map/resolve.js";
import { isPlanError, type NameConflicts, type PlanError } from "../../../src/plan/plan-context.js";
import { plan } from "../../../src/plan/plan.js";
import type { LoadedMap } from "../../../src/load-map.js";
import { loadModel, mapModelArb, seedArb } from "../../helpers/plan-arbitraries.js";
import { changeOf, deployed, mapOf, stepSummary } from "../../helpers/plan-fixtures.js";
import { engineOf, observeWorld, type SimulatedWorld } from "../../helpers/simulated-engine.js";

/**
 * Issue 14 item 9: a container berth did not make (or of another map) holding the name of one of
 * the map's containers. Only the plans that need that name fail — with an error naming the
 * engine, the name, the holder and what to do; other targets plan as usual; and `status` (which
 * plans with `nameConflicts: "report"`) shows the conflict instead of failing.
 */
const MAP = `
db: {image: "db:1"}
app: {image: "app:1", network_mode: db}
web: {image: "web:1", links: db}
other: {image: "other:1"}
`;

/** A deployed world in which a container made by hand holds the name of `key`'s container. */
async function withForeign(
  map: LoadedMap,
  key: string,
  seed?: number,
): Promise<{ world: SimulatedWorld; id: string }> {
  const world = await deployed(map, seed);
  const name = map.resolved.containers.find((c) => c.key === key)?.name as string;
  engineOf(world).removeContainer(name, { force: true });
  const foreign = engineOf(world).addContainer({ name });
  return { world, id: foreign.id };
}

async function planFor(
  world: SimulatedWorld,
  map: LoadedMap,
  targets: string[],
  nameConflicts?: NameConflicts,
) {
  const observed = await observeWorld(world);
  return plan({
    map,
    observed,
    options: { action: "update", targets },
    ...(nameConflicts ? { nameConflicts } : {}),
  });
}

async function planError(promise: Promise<unknown>): Promise<PlanError> {
  try {
    await promise;
  } catch (err) {
    if (isPlanError(err)) return err;
    throw err;
  }
  throw new Error("expected a PlanError");
}

describe("a foreign container holding one config's name", () => {
  it("does not stop the plan of targets that do not need that name", async () => {
    const map = mapOf(MAP);
    const { world } = await withForeign(map, "db");
    engineOf(world).stopContainer("app.other");
    const made = await planFor(world, map, ["other"]);
    expect(stepSummary(made)).toEqual(["start-container other"]);
  });

  for (const targets of [[], ["db"], ["app"], ["web"]]) {
    it(`stops a plan that needs it (${targets.length === 0 ? "all" : targets.join(" ")}), naming engine, name, holder and what to do`, async () => {
      const map = mapOf(MAP);
      const { world, id } = await withForeign(map, "db");
      const err = await planError(planFor(world, map, targets));
      expect(err.message).toBe(
        `engine default: container name app.db is taken by container ${id.slice(0, 12)} (not created by berth); the plan needs it for db`,
      );
      expect(err.hint).toContain(`docker rename ${id.slice(0, 12)} NEW-NAME`);
      expect(err.hint).toContain("--map-name");
      expect(err.hint).toContain("berth status");
    });
  }

  it("status: reported as left alone with its dependents, the rest planned as usual", async () => {
    const map = mapOf(MAP);
    const { world, id } = await withForeign(map, "db");
    engineOf(world).stopContainer("app.other");
    const made = await planFor(world, map, [], "report");
    expect(stepSummary(made)).toEqual(["start-container other"]);
    expect(changeOf(made, "db", "skip").reasons).toEqual([
      {
        message: `container name app.db is taken by container ${id.slice(0, 12)} (not created by berth): berth leaves both alone; remove or rename that container, then update`,
      },
    ]);
    for (const key of ["app", "web"])
      expect(changeOf(made, key, "skip").reasons).toEqual([
        { message: "needs db, whose container name is taken by a foreign container: left as it is" },
      ]);
    // A target that does not need the name reports nothing about it.
    const other = await planFor(world, map, ["other"], "report");
    expect(other.changes.map((c) => `${c.change} ${c.object.key}`)).toEqual(["start other"]);
  });
});

describe("name conflicts, over random maps", () => {
  it("only the containers that need the taken name are left out; the rest plans as without a conflict", async () => {
    await fc.assert(
      fc.asyncProperty(mapModelArb(), seedArb, fc.nat(), async (model, seed, pick) => {
        const map = loadModel(model);
        const keys = map.resolved.containers.map((c) => c.key);
        const key = keys[pick % keys.length] as string;
        const { world, id } = await withForeign(map, key, seed);
        const needing = new Set(
          keys.filter((k) => map.graph.closure([containerNode(k)], "forward").has(containerNode(key))),
        );
        // status: never fails; nothing that needs the name is touched, nor the holder.
        const reported = await planFor(world, map, [], "report");
        for (const step of reported.steps) {
          expect(needing.has(step.object.key ?? ""), step.id).toBe(false);
          expect(JSON.stringify(step)).not.toContain(id);
        }
        for (const k of needing) expect(changeOf(reported, k, "skip").reasons).toHaveLength(1);
        // Targets that do not need it plan without error, as status planned them.
        const free = keys.filter((k) => !needing.has(k));
        if (free.length > 0) {
          const refused = await planFor(world, map, free);
          const shown = await planFor(world, map, free, "report");
          expect(stepSummary(refused)).toEqual(stepSummary(shown));
        }
        // A plan of everything needs it: refused.
        await expect(planFor(world, map, [])).rejects.toThrow(/is taken by container/);
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
