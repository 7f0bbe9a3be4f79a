import Docker from "dockerode";
import { probeWorld, type ProbeOptions } from "./checker/engine-probe.js";
import { loadExpectedMap, type ExpectedMap } from "./checker/expected-map.js";
import { compareWorld } from "./checker/map-checks.js";

/**
 * The independent convergence checker (issue 14, "The proof"): given a map and the engine, it
 * inspects every container, volume and network the map implies with the Docker API and lists every
 * difference from what the map asks — env, command, entrypoint, image id, mounts, volume owner and
 * mode, ports, networks and aliases, shared network namespaces, links in /etc/hosts, limits, restart
 * policy, health, exec results. Empty means the engine runs exactly the map.
 *
 * It shares no code with berth's planner, spec diff or observer: its input is the map as
 * `berth config --json` resolves it (names and paths derived), its reads are its own dockerode calls.
 */
export type { ExpectedMap } from "./checker/expected-map.js";

export interface CheckOptions extends ProbeOptions {
  docker?: Docker;
  /** Environment for `berth config` (map variables). */
  env?: Record<string, string>;
  cwd?: string;
}

/** Differences between the map (`-f FILE…` and other global options) and the engine. */
export async function checkConvergence(fileArgs: string[], options: CheckOptions = {}): Promise<string[]> {
  const map = await loadExpectedMap(fileArgs, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  return checkMapConvergence(map, options);
}

/** Differences between an already resolved map and the engine. */
export async function checkMapConvergence(map: ExpectedMap, options: CheckOptions = {}): Promise<string[]> {
  const docker = options.docker ?? new Docker({ socketPath: "/var/run/docker.sock" });
  return compareWorld(map, await probeWorld(docker, map, options));
}
