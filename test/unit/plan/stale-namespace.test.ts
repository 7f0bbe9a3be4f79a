import { describe, expect, it } from "vitest";
import type { ObservedContainer, ObservedState } from "../../../src/observe/observed-state.js";
import { namespaceSharers, observeNamespaceStarts, parseStartedAt } from "../../../src/observe/namespaces.js";
import { plan } from "../../../src/plan/plan.js";
import { changeOf, deployed, mapOf, stepSummary, waitsFor, stepFor } from "../../helpers/plan-fixtures.js";
import { observeWorld } from "../../helpers/simulated-engine.js";

/**
 * Issue 14 item 4, the part berth does not do itself: a network_mode target restarted by hand
 * (`docker restart db`) leaves its running sharer in the namespace of db's previous start,
 * with loopback only. The observation gives both start times (plain data here); a target that
 * started after its sharer means the sharer's namespace is stale, and the plan restarts it.
 */
const MAP = `
db: {image: "db:1"}
sidecar: {image: "side:1", network_mode: db}
tail: {image: "tail:1", network_mode: sidecar}
other: {image: "other:1"}
`;

/** The observation with start times (ms) set on the containers named (by key). */
function withStarts(observed: ObservedState, starts: Record<string, number>): ObservedState {
  const client = observed.clients.default;
  if (client === undefined) throw new Error("no default engine");
  const containers = client.containers.map((c): ObservedContainer => {
    const time = c.key === undefined ? undefined : starts[c.key];
    return time === undefined ? c : { ...c, startedAt: time };
  });
  return { clients: { default: { ...client, containers } } };
}

async function planWith(starts: Record<string, number>, action: "update" | "startup" = "update") {
  const map = mapOf(MAP);
  const world = await deployed(map);
  const observed = withStarts(await observeWorld(world), starts);
  return plan({ map, observed, options: { action } });
}

describe("a network_mode sharer whose target started again outside berth", () => {
  for (const action of ["update", "startup"] as const) {
    it(`${action}: is restarted, with the reason, and its own sharer after it`, async () => {
      const made = await planWith({ db: 3000, sidecar: 1000, tail: 1100 }, action);
      expect(changeOf(made, "sidecar", "restart").reasons).toEqual([
        {
          message:
            "db was started again after this container (by hand, or by its restart policy): its network namespace belongs to a previous start of db; restarted to join the current one",
          cause: { object: "db", change: "restarted", edge: "network-mode" },
        },
      ]);
      // tail joined sidecar's namespace, which is db's old one: it follows sidecar's restart.
      expect(changeOf(made, "tail", "restart").reasons[0]?.cause).toEqual({
        object: "sidecar",
        change: "restart",
        edge: "network-mode",
      });
      expect(
        waitsFor(made, stepFor(made, "start-container", "tail"), stepFor(made, "start-container", "sidecar")),
      ).toBe(true);
      expect(stepSummary(made).filter((s) => s.endsWith(" db") || s.endsWith(" other"))).toEqual([]);
    });
  }

  it("is left alone when it started after its target (the usual order)", async () => {
    expect(stepSummary(await planWith({ db: 1000, sidecar: 1500, tail: 1600 }))).toEqual([]);
  });

  it("is left alone when the start times are equal or unknown", async () => {
    expect(stepSummary(await planWith({ db: 1000, sidecar: 1000, tail: 1000 }))).toEqual([]);
    expect(stepSummary(await planWith({ db: 3000 }))).toEqual([]);
    expect(stepSummary(await planWith({ sidecar: 1000 }))).toEqual([]);
  });
});

describe("which containers the observation inspects for their start time", () => {
  it("only running sharers of the map in container: mode and the running targets they join", async () => {
    const map = mapOf(MAP);
    const observed = await observeWorld(await deployed(map));
    const containers = observed.clients.default?.containers ?? [];
    const idOf = (key: string) => containers.find((c) => c.key === key)?.id;
    expect(namespaceSharers(containers, "app")).toEqual(new Set([idOf("db"), idOf("sidecar"), idOf("tail")]));
    // Another map's containers, stopped sharers and stopped targets cost no call.
    expect(namespaceSharers(containers, "another-map")).toEqual(new Set());
    const stopped = containers.map((c) => (c.key === "db" ? { ...c, state: "exited" } : c));
    expect(namespaceSharers(stopped, "app")).toEqual(new Set([idOf("sidecar"), idOf("tail")]));
    const plain = mapOf(`a: {image: "a:1"}\nb: {image: "b:1", links: a}\n`);
    const plainObserved = await observeWorld(await deployed(plain));
    expect(namespaceSharers(plainObserved.clients.default?.containers ?? [], "app")).toEqual(new Set());
  });

  it("reads the engine's start time, and none for a container that never started", () => {
    expect(parseStartedAt("2026-12-04T17:00:53.147850854Z")).toBe(Date.UTC(2026, 11, 4, 17, 0, 53, 147));
    expect(parseStartedAt("0001-01-01T00:00:00Z")).toBeUndefined();
    expect(parseStartedAt("")).toBeUndefined();
    expect(parseStartedAt(undefined)).toBeUndefined();
  });
});

describe("the start-time look keeps what the first look found", () => {
  it("keeps the engines that did not answer (regression: `no observation of engine e3`)", async () => {
    const observed: ObservedState = {
      clients: { e2: { client: "e2", containers: [], volumes: [], networks: [], images: {} } },
      unreachable: { e3: "no engine answers at unix:///run/berth-e3.sock" },
    };
    const looked = await observeNamespaceStarts({}, observed, "m");
    expect(looked.unreachable).toEqual(observed.unreachable);
    expect(Object.keys(looked.clients)).toEqual(["e2"]);
  });
});
