import { describe, expect, it } from "vitest";
import type { EngineReader } from "../../../src/engine/engine.js";
import type { ClientConfig } from "../../../src/map/clients-file.js";
import { LABEL } from "../../../src/model/labels.js";
import type { ObservedNode, ObservedState } from "../../../src/observe/observed-state.js";
import { nodeIdOfClient, observeNodeVolumes } from "../../../src/swarm-part.js";
import { SWARM_LABEL } from "../../../src/swarm/swarm.js";
import { mapOf } from "../../helpers/plan-fixtures.js";

/**
 * `--volumes` on a swarm: which node clients berth cannot reach. A node client without an address
 * that stands for the manager's own node is not one: the manager's engine lists (and removes) its
 * volumes.
 */
const CLIENTS: Record<string, ClientConfig> = {
  sw: { interfaces: {}, interfaces_ipv6: {}, mode: "swarm", node_label: "node", base_url: "unix:///sw.sock" },
  e4: { interfaces: {}, interfaces_ipv6: {}, swarm: "sw" },
  e5: { interfaces: {}, interfaces_ipv6: {}, swarm: "sw" },
};
const node = (id: string, label: string): ObservedNode => ({
  id,
  hostname: "h",
  labels: { node: label },
  state: "ready",
  availability: "active",
  role: id === "n4" ? "manager" : "worker",
});
const NODES = [node("n4", "e4"), node("n5", "e5")];

/** The manager's engine: it is node n4, and holds one volume of the map. */
function managerReader(calls: string[]): EngineReader {
  const reader = {
    name: "sw",
    info: () => {
      calls.push("info");
      return Promise.resolve({ Swarm: { NodeID: "n4", LocalNodeState: "active", ControlAvailable: true } });
    },
    listVolumes: () => {
      calls.push("listVolumes");
      return Promise.resolve([
        {
          Name: "shop.data",
          Driver: "local",
          Labels: {
            [LABEL.map]: "shop",
            [LABEL.kind]: "volume",
            [SWARM_LABEL.client]: "sw",
            [LABEL.alias]: "data",
          },
        },
      ]);
    },
    listContainers: () => {
      calls.push("listContainers");
      return Promise.resolve([]);
    },
  };
  return reader as unknown as EngineReader;
}

async function look(nodes: ObservedNode[], calls: string[] = []) {
  const map = mapOf("clients: [sw]\nweb: {image: 'web:1'}\n", "shop");
  const observed: ObservedState = {
    clients: {
      sw: {
        client: "sw",
        containers: [],
        volumes: [],
        networks: [],
        images: {},
        swarm: { services: [], tasks: [], nodes },
      },
    },
  };
  const desired = { manager: "sw", services: [], networks: [], ipvs: false };
  return observeNodeVolumes(map, CLIENTS, desired, observed, { sw: managerReader(calls) }, {});
}

describe("node clients without an address, for --volumes", () => {
  it("the one standing for the manager's own node is covered by the manager; the other is unreachable", async () => {
    const calls: string[] = [];
    const seen = await look(NODES, calls);
    expect(seen.nodes.map((n) => n.client)).toEqual(["sw"]);
    expect(seen.nodes[0]?.volumes).toEqual([{ name: "shop.data", key: "data" }]);
    expect(seen.unreachable).toEqual([{ client: "e5", why: "no base_url or context in the clients file" }]);
    // The manager is asked which node it is once, whatever the number of node clients.
    expect(calls.filter((c) => c === "info")).toHaveLength(1);
  });

  it("a node client whose node berth cannot tell (no node, or several, with its label) is unreachable", async () => {
    const seen = await look([node("n4", "e5"), node("n5", "e5")]);
    expect(seen.unreachable.map((u) => u.client)).toEqual(["e4", "e5"]);
  });

  it("nodeIdOfClient: the node with the client's name as its node label", () => {
    expect(nodeIdOfClient(NODES, CLIENTS.sw, "e5")).toBe("n5");
    expect(nodeIdOfClient(NODES, CLIENTS.sw, "e6")).toBeUndefined();
    expect(nodeIdOfClient(NODES, { interfaces: {}, interfaces_ipv6: {} }, "e5")).toBeUndefined();
  });
});
