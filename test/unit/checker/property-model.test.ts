import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadMap } from "../../../src/load-map.js";
import {
  actionArbitrary,
  ALL_ACTIONS,
  editModel,
  INITIAL_MODEL,
  isMapEdit,
  renderMap,
} from "../../helpers/checker/property-model.js";
import { failureSignature } from "../../helpers/checker/property-runner.js";

/** The convergence property's model: every map it can reach is a valid map, without an engine. */
describe("the convergence property's model", () => {
  it("renders a valid map after any sequence of actions", () => {
    fc.assert(
      fc.property(fc.array(actionArbitrary(ALL_ACTIONS, 2), { maxLength: 12 }), (actions) => {
        const model = actions.reduce((m, a) => (isMapEdit(a) ? editModel(m, a) : m), INITIAL_MODEL);
        const text = renderMap("bt-prop-000000", model, "berth-test/prop-000000:live", [18080, 18081]);
        const map = loadMap({ files: ["m.yaml"], texts: { "m.yaml": text }, env: {}, cwd: "/srv" });
        const keys = map.resolved.containers.map((c) => c.key).sort();
        expect(keys).toEqual(
          ["hub", "linker", "side", "svc", ...model.instances.map((i) => `worker.${i}`)].sort(),
        );
      }),
      { numRuns: 50 },
    );
  });

  it("groups failures by kind, without names, ids and numbers", () => {
    const failure = (text: string) => ({ actions: [], problems: [text] });
    expect(
      failureSignature(failure("container bt-prop-1a2b3c.side: network namespace is net:[4026533772]")),
    ).toBe(failureSignature(failure("container bt-prop-ffffff.side: network namespace is net:[4026530001]")));
    expect(failureSignature(failure("volume bt-prop-1a2b3c.data: mode is 0750"))).not.toBe(
      failureSignature(failure("volume bt-prop-1a2b3c.data: owner is 0:0")),
    );
  });
});
