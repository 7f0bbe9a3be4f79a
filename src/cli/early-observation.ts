import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import { setImmediate as nextTurn } from "node:timers/promises";
import { DockerEngine } from "../engine/docker-engine.js";
import type { EarlyLists } from "../engine/early-lists.js";
import { readOnly } from "../engine/engine.js";
import { observeEngine, type StartedObservations } from "../observe/observe.js";
import type { Engines } from "../reconcile.js";

/** The default engine, opened before the map was loaded, and its observation under way. */
export interface EarlyObservation {
  opened: Engines;
  started: StartedObservations;
}

/**
 * Starts observing the default engine (DOCKER_HOST) before the map is loaded. A first look lists
 * every map's containers (by berth's label, not this map's name) and whole lists of the rest, so it
 * needs nothing from the map: the engine answers its four lists while berth parses the map, instead
 * of after.
 *
 * Not with a clients file: the map may not use the default engine at all. A failed early look is
 * reported where the observation is used, after any error in the map itself.
 *
 * When the executable requested the lists before loading berth (`early`), they are the ones used,
 * and nothing is left to wait for here.
 */
export async function observeEarly(
  clientsFile: string | undefined,
  early?: EarlyLists,
): Promise<EarlyObservation> {
  if (clientsFile !== undefined) return { opened: {}, started: {} };
  const engine = new DockerEngine({ name: "default", ...(early === undefined ? {} : { early }) });
  const start = () => {
    // Berth's containers only, as the executable's early lists (see observeAndPlan).
    const started = observeEngine(readOnly(engine), "berth");
    // Reported when used, after any error in the map; never an unhandled rejection meanwhile (an
    // engine that is not there fails while berth is still waiting here).
    started.catch(() => undefined);
    return started;
  };
  const observation = early === undefined ? (await untilRequestsWritten(engine, start)).value : start();
  return { opened: { default: engine }, started: { default: observation } };
}

const REQUEST_START = "http.client.request.start";
/** A bound on the wait: a request that is still not written by then goes out after the map loads. */
const MAX_TURNS = 50;

/**
 * Runs `start` and waits until the requests it made to `engine` are written to their sockets.
 * Loading the map is synchronous: a request still waiting for its socket (the modem starts it a
 * turn of the event loop later, and the socket connects a turn after that) would not reach the
 * engine before the map is loaded, and nothing would overlap.
 */
async function untilRequestsWritten<T>(engine: DockerEngine, start: () => T): Promise<{ value: T }> {
  let written = 0;
  const track = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    let settled = false;
    const settle = () => {
      if (!settled) written++;
      settled = true;
    };
    request.once("finish", settle).once("error", settle).once("close", settle);
  };
  subscribe(REQUEST_START, track);
  try {
    const before = engine.calls.total;
    const value = start();
    // Every engine call is counted when it is made, before its request exists.
    const made = engine.calls.total - before;
    for (let turn = 0; written < made && turn < MAX_TURNS; turn++) await nextTurn();
    return { value };
  } finally {
    unsubscribe(REQUEST_START, track);
  }
}
