import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  driftAndConverge,
  driftArb,
  engineMismatches,
  loadModel,
  mapModelArb,
  seedArb,
} from "../../helpers/plan-arbitraries.js";
import { deployed, planWorld, stepSummary } from "../../helpers/plan-fixtures.js";

/**
 * Convergence over random valid maps and random drift, on a simulated engine: after a plan is
 * applied (in any order its `after` allows), the engine runs the map and the next plan is empty.
 */

const RUNS = { numRuns: 100 };

describe("convergence", () => {
  it("(a) after the plan is applied, a fresh update plan has no steps, and the engine runs the map", async () => {
    await fc.assert(
      fc.asyncProperty(mapModelArb(), driftArb, seedArb, async (model, drift, seed) => {
        const map = loadModel(model);
        const world = await deployed(map, seed);
        expect(stepSummary(await planWorld(map, world))).toEqual([]);
        expect(engineMismatches(model, world)).toEqual([]);
        await driftAndConverge(model, world, drift, seed);
      }),
      RUNS,
    );
  }, 60_000);
});
