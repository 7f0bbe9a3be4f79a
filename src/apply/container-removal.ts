import { systemClock, type Clock } from "../common/clock.js";
import { pollUntil } from "../common/poll.js";
import type { EngineWriter } from "../engine/engine.js";
import { isEngineConflictError, isEngineNotFoundError } from "../engine/engine-errors.js";
import { DEFAULT_RUN_OPTIONS } from "./run-defaults.js";

export interface RemovalWait {
  timeoutMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
}

/** What a removal found: it removed the container, it was gone already, or another removal finished it. */
export type RemovalOutcome = "removed" | "already-gone" | "removed-by-engine";

/**
 * Removes a container and returns only once it is gone. A run killed in the middle of a removal
 * leaves the engine finishing it, and the engine answers any further removal with a 409 until
 * then; that is waited out here, in one place, for every removal berth makes.
 */
export async function removeContainerUntilGone(
  engine: EngineWriter,
  container: string,
  options: { volumes?: boolean; force?: boolean },
  wait: RemovalWait = {},
): Promise<RemovalOutcome> {
  try {
    await engine.removeContainer(container, options);
    return "removed";
  } catch (err) {
    if (isEngineNotFoundError(err)) return "already-gone";
    if (!isRemovalInProgress(err)) throw err;
  }
  await waitUntilGone(engine, container, wait);
  return "removed-by-engine";
}

/** The engine's 409 while it is still removing a container. */
export function isRemovalInProgress(err: unknown): boolean {
  return (
    isEngineConflictError(err) && /removal of container .* is already in progress/i.test(err.engineMessage)
  );
}

async function waitUntilGone(engine: EngineWriter, container: string, wait: RemovalWait): Promise<void> {
  const timeoutMs = wait.timeoutMs ?? DEFAULT_RUN_OPTIONS.waitTimeoutMs;
  await pollUntil({
    probe: () =>
      engine.inspectContainer(container).then(
        () => false,
        (err: unknown) => {
          if (isEngineNotFoundError(err)) return true;
          throw err;
        },
      ),
    done: (gone) => gone,
    onTimeout: () =>
      new Error(`${engine.name}: container ${container} is still being removed after ${timeoutMs / 1000} s`),
    timeoutMs,
    clock: wait.clock ?? systemClock,
    ...(wait.signal === undefined ? {} : { signal: wait.signal }),
  });
}
