import { systemClock, type Clock } from "./clock.js";

export interface PollOptions<T> {
  /** Reads the current value; may throw to abort polling. */
  probe: () => Promise<T>;
  /** True when the value is the one waited for. */
  done: (value: T) => boolean;
  /** Thrown (built from the last value seen) when time runs out. */
  onTimeout: (last: T | undefined) => Error;
  /** Optional early exit: return an error to stop waiting (e.g. the container died). */
  fail?: (value: T) => Error | undefined;
  timeoutMs: number;
  intervalMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
}

/**
 * The one polling loop in berth: probe, check, sleep, until done, failed, or out of time.
 * Probes at least once, even with a zero timeout.
 */
export async function pollUntil<T>(options: PollOptions<T>): Promise<T> {
  const clock = options.clock ?? systemClock;
  const interval = options.intervalMs ?? 250;
  const deadline = clock.now() + options.timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await options.probe();
    if (options.done(last)) return last;
    const failure = options.fail?.(last);
    if (failure) throw failure;
    const remaining = deadline - clock.now();
    if (remaining <= 0) throw options.onTimeout(last);
    await clock.sleep(Math.min(interval, remaining), options.signal);
  }
}
