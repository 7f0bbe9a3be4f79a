import fc from "fast-check";
import { describe, it } from "vitest";
import {
  driftAndConverge,
  driftArb,
  loadModel,
  mapModelArb,
  seedArb,
} from "../../helpers/plan-arbitraries.js";
import { deployed } from "../../helpers/plan-fixtures.js";

/**
 * Convergence over two successive drifts of a random map: values changed in place (limits,
 * restart policy) and then changed again, or back, still end as the map says.
 */

const RUNS = { numRuns: 100 };

describe("convergence", () => {
  it("(a) the same over two successive drifts; the second changes the same fields in place again", async () => {
    await fc.assert(
      fc.asyncProperty(mapModelArb(), driftArb, driftArb, seedArb, async (model, first, second, seed) => {
        const world = await deployed(loadModel(model), seed);
        const once = await driftAndConverge(model, world, first, seed);
        // Toggling the same limits and restart policies again puts some back to their first value.
        const again = { ...second, changedInPlace: first.changedInPlace };
        await driftAndConverge(once.model, once.world, again, seed + 1);
      }),
      RUNS,
    );
  }, 60_000);
});
