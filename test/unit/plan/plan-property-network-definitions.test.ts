import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../src/common/canonical-json.js";
import type { LoadedMap } from "../../../src/load-map.js";
import { networkDefinition } from "../../../src/plan/object-definition.js";
import {
  engineMismatches,
  mapModelArb,
  mapYaml,
  NETWORKS,
  seedArb,
  type MapModel,
} from "../../helpers/plan-arbitraries.js";
import { changesOf, deployed, mapOf, planWorld, stepSummary } from "../../helpers/plan-fixtures.js";
import { applyPlan, engineOf } from "../../helpers/simulated-engine.js";

/**
 * Convergence when the networks' definitions change (driver options, internal, and the
 * create_options labels, enable_ipv6, attachable): every network of the map whose definition
 * changed is recreated, with one reason per changed field, no other; after the plan is applied in
 * any order its `after` allows, the engine runs the map, its containers are on their networks
 * again, and the next plan is empty.
 */

const RUNS = { numRuns: 60 };

const definitionArb = fc.record(
  {
    internal: fc.boolean(),
    driver_options: fc.constantFrom({}, { "com.docker.network.bridge.enable_icc": "false" }),
    create_options: fc.record(
      {
        labels: fc.dictionary(fc.constantFrom("team", "tier"), fc.constantFrom("a", "b")),
        enable_ipv6: fc.boolean(),
        attachable: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);
const definitionsArb = fc.tuple(definitionArb, definitionArb);

/** The model's map with these network definitions (n1, n2). */
function mapWith(model: MapModel, definitions: readonly object[]): LoadedMap {
  const doc = JSON.parse(mapYaml(model)) as Record<string, unknown>;
  doc.networks = Object.fromEntries(NETWORKS.map((n, i) => [n, definitions[i] ?? {}]));
  return mapOf(JSON.stringify(doc));
}

function definitionOf(map: LoadedMap, key: string): string {
  const network = map.resolved.networks.find((n) => n.key === key);
  return network === undefined ? "" : canonicalJson(networkDefinition(network));
}

describe("convergence with network definition changes", () => {
  it("recreates exactly the changed networks, reconnects their containers, and the next plan is empty", async () => {
    await fc.assert(
      fc.asyncProperty(
        mapModelArb(),
        definitionsArb,
        definitionsArb,
        seedArb,
        async (model, before, after, seed) => {
          const first = mapWith(model, before);
          const world = await deployed(first, seed);
          const changed = mapWith(model, after);
          const made = await planWorld(changed, world);
          for (const key of NETWORKS) {
            const exists = engineOf(world).network(`app.${key}`) !== undefined;
            const differs = definitionOf(first, key) !== definitionOf(changed, key);
            const kinds = changesOf(made, `app.${key}`).map((c) => c.change);
            expect(kinds, key).toEqual(exists && differs ? ["recreate"] : []);
          }
          const applied = (await applyPlan(world, made, changed, { order: seed })).world;
          expect(engineOf(applied).staleReferences()).toEqual([]);
          expect(engineMismatches(model, applied)).toEqual([]);
          for (const container of engineOf(world).containers) {
            const now = engineOf(applied).find(container.name);
            if (now === undefined) continue;
            expect(Object.keys(now.networks).sort(), container.name).toEqual(
              Object.keys(container.networks).sort(),
            );
          }
          expect(stepSummary(await planWorld(changed, applied))).toEqual([]);
        },
      ),
      RUNS,
    );
  }, 120_000);
});
