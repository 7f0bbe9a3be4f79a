import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadModel, mapModelArb, mapYaml, seedArb, type MapModel } from "../../helpers/plan-arbitraries.js";
import { deployed, mapOf, planWorld, stepSummary } from "../../helpers/plan-fixtures.js";
import { applyPlan, engineOf } from "../../helpers/simulated-engine.js";

/**
 * A failing exec command is a failed run, not a broken host: whatever the map and whichever
 * container's command fails after a change, no container is left bound to one that is gone (a
 * dead link or namespace), none that ran before the run is left stopped or removed, and once the
 * command is fixed the next update converges. BERTH_PROPERTY_RUNS draws more maps (default 100).
 */

const RUNS = { numRuns: Number(process.env.BERTH_PROPERTY_RUNS ?? 100) };

/** The model's map with `failing`'s exec commands replaced by one that exits 3. */
function withFailingExec(model: MapModel, failing: string) {
  const doc = JSON.parse(mapYaml(model)) as Record<string, Record<string, unknown>>;
  const entry = doc[failing];
  if (entry === undefined) throw new Error(`no config ${failing}`);
  entry.exec_commands = [`fail ${failing} exit 3`];
  return mapOf(JSON.stringify(doc, null, 1));
}

describe("a failing exec command (simulated engine)", () => {
  it("leaves no stale reference and stops nothing that ran before, whatever else changes", async () => {
    await fc.assert(
      fc.asyncProperty(
        mapModelArb(),
        seedArb,
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 3 }),
        async (model, seed, pick, alsoChanged) => {
          const world = await deployed(loadModel(model), seed);
          const configs = model.configs;
          const failing = configs[pick % configs.length];
          if (failing === undefined) return;
          // The failing config changes (it is recreated) and so, perhaps, do a few others.
          const changed = new Set([
            failing.name,
            ...alsoChanged.map((n) => configs[n % configs.length]?.name),
          ]);
          const edited: MapModel = {
            configs: configs.map((c) => (changed.has(c.name) ? { ...c, foo: `${c.foo}-edited` } : c)),
          };
          const map = withFailingExec(edited, failing.name);
          const made = await planWorld(map, world);
          const after = (await applyPlan(world, made, map, { order: seed, allowFailures: true })).world;

          expect(engineOf(after).staleReferences()).toEqual([]);
          const jobs = new Set(configs.filter((c) => c.job).map((c) => c.name));
          const runningBefore = engineOf(world).containers.filter(
            (c) => c.state === "running" && !jobs.has(c.name.split(".")[1] ?? ""),
          );
          const stoppedNow = runningBefore
            .map((c) => c.name)
            .filter((name) => engineOf(after).containers.find((c) => c.name === name)?.state !== "running");
          expect(stoppedNow).toEqual([]);

          // Once the command is fixed, the next update converges from there.
          const fixed = loadModel(edited);
          const repaired = (await applyPlan(after, await planWorld(fixed, after), fixed, { order: seed }))
            .world;
          expect(engineOf(repaired).staleReferences()).toEqual([]);
          expect(stepSummary(await planWorld(fixed, repaired))).toEqual([]);
        },
      ),
      RUNS,
    );
  }, 120_000);
});
