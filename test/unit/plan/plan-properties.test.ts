import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  closure,
  driftArb,
  driftedPlan,
  instanceKeys,
  mapModelArb,
  modelEdges,
  secretsOf,
  seedArb,
  STALE_KINDS,
  type ModelConfig,
} from "../../helpers/plan-arbitraries.js";
import { planWorld, recreatedKeys } from "../../helpers/plan-fixtures.js";
import { worldFor } from "../../helpers/simulated-engine.js";

/**
 * Properties of the planner over random valid maps and random drift of a deployed world
 * (containers removed, stopped, killed or never started; environment and secrets changed in the
 * map; images re-tagged; limits changed): which containers a plan recreates, and that no plan
 * holds a secret.
 */

const RUNS = { numRuns: 100 };

describe("planner properties", () => {
  it("(b) recreates cascade exactly along links, uses of a container and network_mode", async () => {
    await fc.assert(
      fc.asyncProperty(mapModelArb(), driftArb, seedArb, async (model, drift, seed) => {
        const { drifted, made } = await driftedPlan(model, drift, seed);
        const removed = new Set(drifted.removed);
        const seeds = [...drifted.changed, ...drifted.removed];
        const expected = [...closure(modelEdges(drifted.model), seeds, STALE_KINDS)]
          .filter((key) => !removed.has(key))
          .sort();
        expect(recreatedKeys(made)).toEqual(expected);
      }),
      RUNS,
    );
  }, 60_000);

  it("(d) a plan never contains a sensitive value", async () => {
    await fc.assert(
      fc.asyncProperty(mapModelArb(), driftArb, seedArb, async (model, drift, seed) => {
        const { world, drifted, map, made } = await driftedPlan(model, drift, seed);
        const secrets = [...secretsOf(model), ...secretsOf(drifted.model)];
        const plans = [
          made,
          await planWorld(map, world, { action: "startup" }),
          await planWorld(map, world, { action: "shutdown" }),
          await planWorld(map, worldFor(map)),
        ];
        for (const plan of plans) {
          const json = JSON.stringify(plan);
          for (const secret of secrets) expect(json).not.toContain(secret);
        }
        // Secrets that changed are reported, as (sensitive).
        const changedSecrets = drifted.model.configs.filter(
          (c: ModelConfig, i) =>
            c.password !== model.configs[i]?.password || c.listed !== model.configs[i]?.listed,
        );
        for (const config of changedSecrets) {
          for (const key of instanceKeys(config)) {
            if (drifted.removed.includes(key)) continue;
            const reasons =
              made.changes.find((c) => c.object.key === key && c.change === "recreate")?.reasons ?? [];
            const secretReasons = reasons.filter(
              (r) => r.field === "environment.DB_PASSWORD" || r.field === "environment.LISTED",
            );
            expect(secretReasons.length).toBeGreaterThan(0);
            for (const reason of secretReasons)
              expect([reason.old, reason.new]).toEqual(["(sensitive)", "(sensitive)"]);
          }
        }
      }),
      RUNS,
    );
  }, 60_000);
});
