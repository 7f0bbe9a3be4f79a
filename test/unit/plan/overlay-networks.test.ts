import { describe, expect, it } from "vitest";
import { isPlanError } from "../../../src/plan/plan-context.js";
import { plan } from "../../../src/plan/plan.js";
import type {
  ObservedClient,
  ObservedContainer,
  ObservedNetwork,
  ObservedState,
} from "../../../src/observe/observed-state.js";
import { observe } from "../../../src/observe/observe.js";
import type { ResolvedNetwork } from "../../../src/map/model.js";
import { LABEL } from "../../../src/model/labels.js";
import { networkLabels } from "../../../src/plan/object-definition.js";
import { endpointChanges } from "../../../src/plan/container-decision.js";
import type { ContainerSpec } from "../../../src/desired/container-spec.js";
import type { PlanAction } from "../../../src/plan/plan-types.js";
import { mapOf, stepFor, stepsOfType, waitsFor } from "../../helpers/plan-fixtures.js";
import { worldFor, writersOf } from "../../helpers/simulated-engine.js";

const MAP = `
clients: [e2, e3]
networks:
  mesh: {driver: overlay}
  local: {}
web: {image: "web:1", networks: [mesh]}
`;

/** An engine with nothing on it; `swarmManager` (and its swarm) as GET /info would tell. */
function empty(
  client: string,
  swarmManager?: boolean,
  swarmNode?: ObservedClient["swarmNode"],
): ObservedClient {
  return {
    client,
    containers: [],
    volumes: [],
    networks: [],
    images: { "web:1": "sha256:web" },
    ...(swarmManager === undefined ? {} : { swarmManager }),
    ...(swarmNode === undefined ? {} : { swarmNode }),
  };
}

/** A manager (node m) and a worker of its swarm. */
const inSwarm = (_client: string, node: string) => ({ nodeId: node, managers: ["m"] });

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
    const observed = {
      clients: { e2: empty("e2", false, inSwarm("e2", "w")), e3: empty("e3", true, inSwarm("e3", "m")) },
    };
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

describe("an overlay network across engines (e4 a swarm manager, e5 a worker of its swarm)", () => {
  const OVERLAY = `
clients: [e4, e5]
networks:
  mesh: {driver: overlay}
a: {image: "web:1", clients: e4, networks: [mesh]}
b: {image: "web:1", clients: e5, networks: [[mesh, bee]]}
`;
  const map = mapOf(OVERLAY);
  const mesh = map.resolved.networks[0] as ResolvedNetwork;

  function engines(extra: { e4?: Partial<ObservedClient>; e5?: Partial<ObservedClient> } = {}) {
    return {
      clients: {
        e4: { ...empty("e4", true, inSwarm("e4", "m")), ...extra.e4 },
        e5: { ...empty("e5", false, inSwarm("e5", "w")), ...extra.e5 },
      },
    };
  }

  /** The overlay as the manager lists it (and a worker whose containers use it). */
  function listed(labels = networkLabels(map.name, mesh)): ObservedNetwork {
    return {
      id: "net-mesh",
      name: mesh.name,
      driver: "overlay",
      options: {},
      internal: false,
      labels,
      mapName: map.name,
    };
  }

  function container(key: string, networks: string[]): ObservedContainer {
    return {
      id: `id-${key}`,
      name: `${map.name}.${key}`,
      labels: { [LABEL.map]: map.name, [LABEL.config]: key },
      mapName: map.name,
      kind: undefined,
      key,
      replaces: undefined,
      state: "running",
      exitCode: undefined,
      health: undefined,
      image: "web:1",
      imageId: "sha256:web",
      created: 1,
      applied: undefined,
      specHash: undefined,
      networkMode: networks[0] ?? "default",
      networks: Object.fromEntries(networks.map((n) => [n, { networkId: "net-mesh" }])),
      mounts: [],
      publishedPorts: [],
    };
  }

  const planOf = (observed: ObservedState, action: PlanAction = "update") =>
    plan({ map, observed, options: { action } });

  it("is named `<map>_<network>` (DNS labels) and created attachable", () => {
    expect(mesh).toMatchObject({ name: "app_mesh", driver: "overlay", attachable: true });
    expect(map.resolved.containers.find((c) => c.key === "b")?.endpoints[0]?.name).toBe("app_mesh");
  });

  it("is created once, on the manager; the worker's container is created after it", () => {
    const made = planOf(engines());
    expect(stepsOfType(made, "create-network").map((s) => s.object.client)).toEqual(["e4"]);
    const created = stepFor(made, "create-network", "mesh");
    const b = stepFor(made, "create-container", "b");
    expect(b.object.client).toBe("e5");
    expect(b.after).toContain(created.id);
    expect(made.changes.filter((c) => c.object.kind === "network").map((c) => c.object.client)).toEqual([
      "e4",
    ]);
  });

  it("is neither created nor missing on the worker, listed there or not", () => {
    for (const workerLists of [false, true]) {
      const made = planOf(
        engines({ e4: { networks: [listed()] }, e5: { networks: workerLists ? [listed()] : [] } }),
      );
      expect(stepsOfType(made, "create-network")).toEqual([]);
      expect(made.changes.filter((c) => c.object.kind === "network")).toEqual([]);
    }
  });

  it("made again (its labels changed): every engine's containers leave it first and join it after", () => {
    const changed = listed(networkLabels(map.name, { ...mesh, labels: { v: "1" } }));
    const made = planOf(
      engines({
        e4: { networks: [changed], containers: [container("a", [mesh.name])] },
        e5: { networks: [changed], containers: [container("b", [mesh.name])] },
      }),
    );
    const removed = stepFor(made, "remove-network", "mesh");
    const created = stepFor(made, "create-network", "mesh");
    expect([removed.object.client, created.object.client]).toEqual(["e4", "e4"]);
    const disconnects = stepsOfType(made, "disconnect-network");
    expect(disconnects.map((s) => s.object.client).sort()).toEqual(["e4", "e5"]);
    for (const d of disconnects) expect(removed.after).toContain(d.id);
    expect(created.after).toContain(removed.id);
    // Whatever else happens to b on e5, it is on the new network only after it is made.
    const onE5 = made.steps.filter((s) => s.object.client === "e5" && s.type !== "disconnect-network");
    expect(onE5.length).toBeGreaterThan(0);
    expect(onE5.some((s) => waitsFor(made, s, created))).toBe(true);
    expect(made.changes.find((c) => c.object.kind === "network")).toMatchObject({
      object: { client: "e4" },
      change: "recreate",
    });
  });

  it("shutdown removes it on the manager only, after the map's containers on every engine", () => {
    const made = planOf(
      engines({
        e4: { networks: [listed()], containers: [container("a", [mesh.name])] },
        e5: { networks: [listed()], containers: [container("b", [mesh.name])] },
      }),
      "shutdown",
    );
    const removed = stepFor(made, "remove-network", "mesh");
    expect(removed.object.client).toBe("e4");
    expect(removed.after).toEqual(
      expect.arrayContaining([
        stepFor(made, "remove-container", "a").id,
        stepFor(made, "remove-container", "b").id,
      ]),
    );
    expect(stepsOfType(made, "remove-network")).toHaveLength(1);
  });

  it("a target on the worker alone still has the manager make the network", () => {
    const made = plan({ map, observed: engines(), options: { action: "update", targets: ["b"] } });
    expect(stepFor(made, "create-container", "b").after).toContain(
      stepFor(made, "create-network", "mesh").id,
    );
  });

  it("is refused when a client with a container on it is not a node of the manager's swarm", () => {
    const observed = engines({ e5: { swarmNode: { nodeId: "x", managers: ["other"] } } });
    expect(() => planOf(observed)).toThrow(
      "overlay network `mesh` is made on the swarm manager `e4`, but client `e5`, where `b` joins it, is not a node of that swarm",
    );
  });
});

describe("an overlay network's name", () => {
  it("is made of DNS labels: refused at the network, with where it was written", () => {
    const refused =
      (key: string, mapName = "app") =>
      () =>
        mapOf(`networks:\n  ${key}: {driver: overlay}\nweb: {image: "web:1", networks: [${key}]}\n`, mapName);
    expect(refused("my_net")).toThrow(
      "m.yaml:2:11: overlay network `my_net` would be named `app_my_net`: Swarm names networks by DNS labels",
    );
    expect(refused("Mesh")).toThrow("would be named `app_Mesh`");
    expect(refused("mesh", "My-App")).toThrow("would be named `My-App_mesh`");
    expect(refused("mesh", "a".repeat(60))).toThrow("63 characters at most in all");
    expect(refused("mesh", "my-app")).not.toThrow();
  });

  it("must be attachable (containers join it)", () => {
    expect(() =>
      mapOf(
        `networks:\n  mesh: {driver: overlay, create_options: {attachable: false}}\nweb: {image: "web:1"}\n`,
      ),
    ).toThrow("overlay network `mesh` sets `attachable: false`");
  });
});

describe("an endpoint on an overlay network, read back with refresh full", () => {
  const endpoint = {
    aliases: ["bee"],
    links: [],
    ipv4_address: null,
    ipv6_address: null,
    link_local_ips: [],
  };
  const spec = { network_mode: "app_mesh", networks: { app_mesh: endpoint } } as unknown as ContainerSpec;
  const observed = { networks: { app_mesh: { networkId: "n" } } } as unknown as ObservedContainer;
  const running = { app_mesh: { ...endpoint, ipv4_address: "10.240.3.4" } };

  it("has an address the engine gave it, which is not drift on an overlay", () => {
    expect(endpointChanges(spec, observed, running, true, new Set(["app_mesh"]))).toEqual([]);
  });

  it("is drift on another network (the map set no address there)", () => {
    expect(endpointChanges(spec, observed, running, true, new Set())).toHaveLength(1);
  });
});
