import { describe, expect, it } from "vitest";
import { executors, type ExecutionContext } from "../../../src/apply/step-executors.js";
import type { EngineWriter } from "../../../src/engine/engine.js";
import { EngineApiError } from "../../../src/engine/engine-errors.js";
import type { StepOf } from "../../../src/plan/plan-types.js";

/**
 * A swarm manager learns late that a worker's container (or a removed service's task) left an
 * overlay network: until it has, it refuses the network's removal with "in use by task" (HTTP
 * 400). remove-network waits a bounded time on that answer only; any other refusal is the answer.
 */
const context = { engine: "e4", object: "network m_mesh", operation: "remove network" };
const inUseByTask = () =>
  new EngineApiError(
    context,
    400,
    "rpc error: code = FailedPrecondition desc = network abc is in use by task xyz",
  );

function managerRefusing(
  refusals: number,
  refusal: () => Error,
): { engine: EngineWriter; calls: () => number } {
  let calls = 0;
  const engine = {
    name: "e4",
    removeNetwork: () => {
      calls += 1;
      return calls > refusals ? Promise.resolve() : Promise.reject(refusal());
    },
  } as unknown as EngineWriter;
  return { engine, calls: () => calls };
}

function contextWith(engine: EngineWriter): ExecutionContext {
  let now = 0;
  return {
    engine: () => engine,
    clock: { now: () => now, sleep: (ms: number) => Promise.resolve(void (now += ms)) },
    signal: undefined,
    // A network the map has as a plain bridge: no wait for the overlay's name afterwards.
    map: { name: "m", networks: [] },
  } as unknown as ExecutionContext;
}

const step = {
  id: "remove-network:e4/m_mesh",
  type: "remove-network",
  object: { kind: "network", name: "m_mesh", client: "e4", key: "mesh" },
  networkId: "abc",
  ifUnused: true,
  after: [],
} as unknown as StepOf<"remove-network">;

describe("remove-network on a swarm manager", () => {
  it("retries while a task is still counted on the network, then removes it", async () => {
    const { engine, calls } = managerRefusing(3, inUseByTask);
    await expect(executors["remove-network"](step, contextWith(engine))).resolves.toBeUndefined();
    expect(calls()).toBe(4);
  });

  it("gives up after the bounded wait with the engine's answer", async () => {
    const { engine } = managerRefusing(Number.POSITIVE_INFINITY, inUseByTask);
    await expect(executors["remove-network"](step, contextWith(engine))).rejects.toThrow(/in use by task/);
  });

  it("does not wait on another refusal", async () => {
    const other = () => new EngineApiError(context, 400, "something else");
    const { engine, calls } = managerRefusing(1, other);
    await expect(executors["remove-network"](step, contextWith(engine))).rejects.toThrow(/something else/);
    expect(calls()).toBe(1);
  });
});
