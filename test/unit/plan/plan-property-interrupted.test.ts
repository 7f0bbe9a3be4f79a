import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyDrift,
  driftArb,
  engineMismatches,
  loadModel,
  mapModelArb,
  seedArb,
} from "../../helpers/plan-arbitraries.js";
import { deployed, planWorld, stepSummary } from "../../helpers/plan-fixtures.js";
import { applyPlan, engineOf } from "../../helpers/simulated-engine.js";

/**
 * Repair: an apply interrupted after any number of its steps (a run killed half-way) leaves a
 * state from which the next plan converges, as if the run had finished.
 */

const RUNS = { numRuns: 100 };

describe("convergence", () => {
  it("(a) an apply interrupted after any number of steps is repaired by the next plan", async () => {
    await fc.assert(
      fc.asyncProperty(
        mapModelArb(),
        driftArb,
        seedArb,
        fc.nat({ max: 1000 }),
        async (model, drift, seed, cut) => {
          const world = await deployed(loadModel(model), seed);
          const drifted = applyDrift(model, world, drift);
          const map = loadModel(drifted.model);
          const made = await planWorld(map, world);
          const stopAfter = made.steps.length === 0 ? 0 : cut % made.steps.length;
          const interrupted = (await applyPlan(world, made, map, { order: seed, stopAfter })).world;
          const repair = await planWorld(map, interrupted);
          const after = (await applyPlan(interrupted, repair, map, { order: seed + 1 })).world;
          expect(engineOf(after).staleReferences()).toEqual([]);
          expect(stepSummary(await planWorld(map, after))).toEqual([]);
          expect(engineMismatches(drifted.model, after)).toEqual([]);
        },
      ),
      RUNS,
    );
  }, 60_000);
});
