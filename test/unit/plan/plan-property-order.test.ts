import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Plan, Step } from "../../../src/plan/plan-types.js";
import {
  driftArb,
  driftedPlan,
  instanceKeys,
  loadModel,
  mapModelArb,
  modelEdges,
  seedArb,
  type MapModel,
} from "../../helpers/plan-arbitraries.js";
import { planWorld, waitsFor } from "../../helpers/plan-fixtures.js";
import { applyPlan, checkStepGraph, engineOf, worldFor } from "../../helpers/simulated-engine.js";

/**
 * Order: over random valid maps and random drift, every step's `after` names steps of the plan
 * without a cycle, creates and starts wait for what they need, and a shutdown stops dependents
 * before their dependencies and removes networks and volumes after every container on them.
 */

const RUNS = { numRuns: 100 };

const startOf = (made: Plan, key: string): Step | undefined =>
  made.steps.find((s) => s.type === "start-container" && s.object.key === key);
const createOf = (made: Plan, key: string): Step | undefined =>
  made.steps.find((s) => s.type === "create-container" && s.object.key === key);
const stopOf = (made: Plan, key: string): Step | undefined =>
  made.steps.find(
    (s) => s.type === "stop-container" && s.object.key === key && s.object.name === `app.${key}`,
  );

/** Checks that a create/start plan orders every container after what it needs. */
function expectDependenciesFirst(made: Plan, model: MapModel): void {
  checkStepGraph(made);
  for (const edge of modelEdges(model)) {
    const dependencyStart = startOf(made, edge.dependency);
    if (dependencyStart === undefined) continue;
    const start = startOf(made, edge.dependent);
    if (start !== undefined)
      expect(waitsFor(made, start, dependencyStart), `${start.id} waits for ${dependencyStart.id}`).toBe(
        true,
      );
    const create = createOf(made, edge.dependent);
    // depends_on gates the start only; every other reference is needed at create.
    if (create !== undefined && edge.kind !== "depends_on")
      expect(waitsFor(made, create, dependencyStart), `${create.id} waits for ${dependencyStart.id}`).toBe(
        true,
      );
  }
  model.configs.forEach((config, i) => {
    const volumes = [...(config.attaches ? [i] : []), ...config.usesVolumes].map((v) => `app.v${v}`);
    for (const key of instanceKeys(config)) {
      const create = createOf(made, key);
      const start = startOf(made, key);
      for (const step of made.steps) {
        if (step.type === "create-volume" && volumes.includes(step.object.name) && create !== undefined)
          expect(waitsFor(made, create, step), `${create.id} waits for ${step.id}`).toBe(true);
        if (
          step.type === "create-network" &&
          config.networks.some((n) => `app.${n}` === step.object.name) &&
          start !== undefined
        )
          expect(waitsFor(made, start, step), `${start.id} waits for ${step.id}`).toBe(true);
      }
    }
  });
}

describe("planner properties", () => {
  it("(c) every step's `after` exists and respects the graph (create/start after dependencies, shutdown dependents first)", async () => {
    await fc.assert(
      fc.asyncProperty(mapModelArb(), driftArb, seedArb, async (model, drift, seed) => {
        const map = loadModel(model);
        expectDependenciesFirst(await planWorld(map, worldFor(map)), model);
        const { world, drifted, map: driftedMap, made } = await driftedPlan(model, drift, seed);
        expectDependenciesFirst(made, drifted.model);
        expectDependenciesFirst(await planWorld(driftedMap, world, { action: "startup" }), drifted.model);

        const shutdown = await planWorld(driftedMap, world, { action: "shutdown", removeVolumes: true });
        checkStepGraph(shutdown);
        for (const edge of modelEdges(drifted.model)) {
          const dependencyStop = stopOf(shutdown, edge.dependency);
          const dependentStop = stopOf(shutdown, edge.dependent);
          if (dependencyStop !== undefined && dependentStop !== undefined)
            expect(waitsFor(shutdown, dependencyStop, dependentStop)).toBe(true);
        }
        // A network or volume goes after every container on it or mounting it.
        for (const step of shutdown.steps) {
          if (step.type !== "remove-network" && step.type !== "remove-volume") continue;
          const users = engineOf(world).containers.filter((c) =>
            step.type === "remove-network"
              ? c.networks[step.object.name] !== undefined
              : c.mounts.some((m) => m.Name === step.object.name),
          );
          for (const user of users) {
            const removal = shutdown.steps.find(
              (s) => s.type === "remove-container" && s.container === user.id,
            );
            expect(removal, `a removal of ${user.name}`).toBeDefined();
            expect(waitsFor(shutdown, step, removal as Step), `${step.id} waits for ${removal?.id}`).toBe(
              true,
            );
          }
        }
        const down = (await applyPlan(world, shutdown, driftedMap, { order: seed })).world;
        expect(engineOf(down).containers).toEqual([]);
        expect(engineOf(down).networks.map((n) => n.name)).toEqual(["bridge", "host", "none"]);
      }),
      RUNS,
    );
  }, 60_000);
});
