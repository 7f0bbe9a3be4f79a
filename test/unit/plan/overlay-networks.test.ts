import { describe, expect, it } from "vitest";
import { isPlanError } from "../../../src/plan/plan-context.js";
import { plan } from "../../../src/plan/plan.js";
import type { ObservedClient, ObservedState } from "../../../src/observe/observed-state.js";
import { observe } from "../../../src/observe/observe.js";
import { mapOf } from "../../helpers/plan-fixtures.js";
import { worldFor, writersOf } from "../../helpers/simulated-engine.js";

const MAP = `
clients: [e2, e3]
networks:
  mesh: {driver: overlay}
  local: {}
web: {image: "web:1", networks: [mesh]}
`;

/** An engine with nothing on it; `swarmManager` as GET /info would tell. */
function empty(client: string, swarmManager?: boolean): ObservedClient {
  return {
    client,
    containers: [],
    volumes: [],
    networks: [],
    images: { "web:1": "sha256:web" },
    ...(swarmManager === undefined ? {} : { swarmManager }),
  };
}

function planned(observed: ObservedState, yaml = MAP) {
  return () => plan({ map: mapOf(yaml), observed, options: { action: "update" } });
}

describe("an overlay network needs a swarm manager among the map's clients", () => {
  it("is refused at plan time, naming the network and every client asked", () => {
    const observed = { clients: { e2: empty("e2", false), e3: empty("e3", false) } };
    expect(planned(observed)).toThrow(
      "network `mesh` has driver overlay, which only a swarm manager creates: none of the clients `e2`, `e3` is a swarm manager",
    );
    try {
      planned(observed)();
    } catch (err) {
      expect(isPlanError(err)).toBe(true);
      expect((err as { hint?: string }).hint).toMatch(/docker swarm init/);
    }
  });

  it("names an engine that did not answer (it could not be asked)", () => {
    const observed = { clients: { e2: empty("e2", false) }, unreachable: { e3: "no engine answers" } };
    expect(planned(observed)).toThrow(/client `e2` is not a swarm manager \(e3 did not answer\)/);
  });

  it("is planned when one client is a manager", () => {
    const observed = { clients: { e2: empty("e2", false), e3: empty("e3", true) } };
    expect(planned(observed)).not.toThrow();
  });

  it("leaves a map without overlay networks alone (no swarm role needed)", () => {
    const observed = { clients: { e2: empty("e2"), e3: empty("e3") } };
    expect(planned(observed, MAP.replace("driver: overlay", "driver: bridge"))).not.toThrow();
  });
});

describe("observe asks for swarm roles only when told", () => {
  it("adds one info call per engine with swarmRoles, none without", async () => {
    const map = mapOf(MAP);
    const engines = Object.values(writersOf(worldFor(map)));
    const plain = await observe(engines);
    expect(Object.values(plain.clients).map((c) => c.swarmManager)).toEqual([undefined, undefined]);
    const before = engines.map((e) => e.calls.total);
    const asked = await observe(engines, {}, { swarmRoles: true });
    expect(Object.values(asked.clients).map((c) => c.swarmManager)).toEqual([false, false]);
    expect(engines.map((e, i) => e.calls.total - (before[i] ?? 0))).toEqual([5, 5]);
  });
});
