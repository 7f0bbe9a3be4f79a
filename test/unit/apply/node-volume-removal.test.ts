import { describe, expect, it } from "vitest";
import { executors, type ExecutionContext } from "../../../src/apply/step-executors.js";
import type { SwarmLookup } from "../../../src/apply/swarm-executors.js";
import type { EngineWriter } from "../../../src/engine/engine.js";
import { EngineConflictError } from "../../../src/engine/engine-errors.js";
import type { StepOf } from "../../../src/plan/plan-types.js";

/**
 * After `service rm`, a swarm node removes the service's task containers on its own, a little
 * later: the engine says the volume is in use until then. On a node whose volumes the plan
 * removes, remove-volume waits a bounded time; elsewhere in use is the answer.
 */
const context = { engine: "e5", object: "volume m.data", operation: "remove volume" };

function engineInUseFor(refusals: number): { engine: EngineWriter; calls: () => number } {
  let calls = 0;
  const engine = {
    name: "e5",
    removeVolume: () => {
      calls += 1;
      return calls > refusals
        ? Promise.resolve()
        : Promise.reject(new EngineConflictError(context, "remove m.data: volume is in use - [abc]"));
    },
  } as unknown as EngineWriter;
  return { engine, calls: () => calls };
}

function contextWith(engine: EngineWriter, volumeNode: boolean): ExecutionContext {
  let now = 0;
  const swarm = { isVolumeNode: () => volumeNode } as unknown as SwarmLookup;
  return {
    engine: () => engine,
    clock: { now: () => now, sleep: (ms: number) => Promise.resolve(void (now += ms)) },
    signal: undefined,
    swarm,
  } as unknown as ExecutionContext;
}

const step = {
  id: "remove-volume:e5/m.data",
  type: "remove-volume",
  object: { kind: "volume", name: "m.data", client: "e5", key: "data" },
  after: [],
} as unknown as StepOf<"remove-volume">;

describe("remove-volume on a swarm node", () => {
  it("retries while the engine says in use, then removes it", async () => {
    const { engine, calls } = engineInUseFor(3);
    await expect(executors["remove-volume"](step, contextWith(engine, true))).resolves.toBeUndefined();
    expect(calls()).toBe(4);
  });

  it("gives up after the bounded wait with the engine's answer", async () => {
    const { engine } = engineInUseFor(Number.POSITIVE_INFINITY);
    await expect(executors["remove-volume"](step, contextWith(engine, true))).rejects.toThrow(/in use/);
  });

  it("does not wait on a plain engine: in use is the answer at once", async () => {
    const { engine, calls } = engineInUseFor(1);
    await expect(executors["remove-volume"](step, contextWith(engine, false))).rejects.toThrow(/in use/);
    expect(calls()).toBe(1);
  });
});
