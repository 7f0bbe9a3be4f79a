import { describe, expect, it } from "vitest";
import { removeContainerUntilGone } from "../../../src/apply/container-removal.js";
import { executors, type ExecutionContext } from "../../../src/apply/step-executors.js";
import type { EngineWriter } from "../../../src/engine/engine.js";
import { EngineConflictError, EngineNotFoundError } from "../../../src/engine/engine-errors.js";
import type { StepOf } from "../../../src/plan/plan-types.js";

/**
 * A run killed while the engine removes a container leaves that removal under way; the next run's
 * remove then gets the engine's 409 "removal … is already in progress" (seen in the crash-point
 * test). The step waits for that removal to end instead of failing the run.
 */
const context = { engine: "default", object: "container m.db", operation: "remove container" };

function engineRemovingFor(probes: number): { engine: EngineWriter; inspected: () => number } {
  let inspected = 0;
  const engine = {
    name: "default",
    removeContainer: () =>
      Promise.reject(new EngineConflictError(context, "removal of container abc is already in progress")),
    inspectContainer: () => {
      inspected += 1;
      return inspected > probes
        ? Promise.reject(new EngineNotFoundError(context, "No such container: abc"))
        : Promise.resolve({});
    },
  } as unknown as EngineWriter;
  return { engine, inspected: () => inspected };
}

function contextWith(engine: EngineWriter, waitTimeoutMs = 60_000): ExecutionContext {
  let now = 0;
  return {
    engine: () => engine,
    waitTimeoutMs,
    clock: { now: () => now, sleep: (ms: number) => Promise.resolve(void (now += ms)) },
    signal: undefined,
  } as unknown as ExecutionContext;
}

const step = {
  id: "remove:m.db",
  type: "remove-container",
  object: { kind: "container", name: "m.db", client: "default", key: "db" },
  container: "abc",
  removeVolumes: false,
  force: true,
  after: [],
} as unknown as StepOf<"remove-container">;

describe("remove-container when the engine is already removing it", () => {
  it("waits until the container is gone, then succeeds", async () => {
    const { engine, inspected } = engineRemovingFor(3);
    await expect(executors["remove-container"](step, contextWith(engine))).resolves.toBe(
      "already being removed: gone now",
    );
    expect(inspected()).toBe(4);
  });

  it("fails, naming the container, when the removal never ends within the wait limit", async () => {
    const { engine } = engineRemovingFor(Number.POSITIVE_INFINITY);
    await expect(executors["remove-container"](step, contextWith(engine, 1_000))).rejects.toThrow(
      "container abc is still being removed after 1 s",
    );
  });
});

describe("removeContainerUntilGone (every removal berth makes: steps, locks, state records)", () => {
  const clock = () => {
    let now = 0;
    return { now: () => now, sleep: (ms: number) => Promise.resolve(void (now += ms)) };
  };

  it("says which of the three ways the container went", async () => {
    const removing = engineRemovingFor(1).engine;
    await expect(removeContainerUntilGone(removing, "abc", {}, { clock: clock() })).resolves.toBe(
      "removed-by-engine",
    );
    const gone = {
      name: "default",
      removeContainer: () => Promise.reject(new EngineNotFoundError(context, "No such container: abc")),
    } as unknown as EngineWriter;
    await expect(removeContainerUntilGone(gone, "abc", {})).resolves.toBe("already-gone");
    const plain = { name: "default", removeContainer: () => Promise.resolve() } as unknown as EngineWriter;
    await expect(removeContainerUntilGone(plain, "abc", {})).resolves.toBe("removed");
  });

  it("passes any other engine refusal on", async () => {
    const inUse = {
      name: "default",
      removeContainer: () => Promise.reject(new EngineConflictError(context, "container is running")),
    } as unknown as EngineWriter;
    await expect(removeContainerUntilGone(inUse, "abc", {})).rejects.toThrow("container is running");
  });
});
