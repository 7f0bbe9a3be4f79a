import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DockerEngine } from "../src/engine/docker-engine.js";
import { readOnly } from "../src/engine/engine.js";
import { loadMap, type LoadedMap } from "../src/load-map.js";
import type { Plan, PlanAction } from "../src/plan/plan-types.js";
import { observeAndPlan, reconcile } from "../src/reconcile.js";
import type { ApplyResult } from "../src/apply/executor.js";
import { run } from "./processes.js";
import { berthMapYaml, type RootValues } from "./workload.js";

/** berth driven the two ways people use it: the API in this process, and the CLI as a process. */
export function berthMap(mapName: string, n: number, rootValues: RootValues = {}): LoadedMap {
  const file = `${mapName}.yaml`;
  return loadMap({ files: [file], texts: { [file]: berthMapYaml(mapName, n, rootValues) }, env: {} });
}

export interface BerthRun {
  ms: number;
  /** Engine calls of the run (lock included), by operation. */
  calls: Record<string, number>;
  totalCalls: number;
  plan: Plan;
  result: ApplyResult;
  /** Time spent before the apply began: loading the map, the lock, observing, planning. */
  beforeApplyMs: number;
}

/** loadMap + reconcile, as `berth ACTION` does, with a fresh engine client (no warm connections). */
export async function berthApi(
  mapName: string,
  n: number,
  action: PlanAction,
  rootValues: RootValues = {},
): Promise<BerthRun> {
  const engine = new DockerEngine();
  const begin = performance.now();
  let applyStart = Number.NaN;
  const map = berthMap(mapName, n, rootValues);
  const { plan, result } = await reconcile(
    map,
    { default: engine },
    {
      action,
      parallel: 8,
      onProgress: (event) => {
        if (event.type === "run-start") applyStart = performance.now();
      },
    },
  );
  const ms = performance.now() - begin;
  if (result === undefined) throw new Error("reconcile returned no result");
  return {
    ms,
    calls: engine.calls.snapshot(),
    totalCalls: engine.calls.total,
    plan,
    result,
    beforeApplyMs: Number.isNaN(applyStart) ? ms : applyStart - begin,
  };
}

/** The plan berth would make now (read-only): empty when the engine has converged on the map. */
export async function berthPlan(
  mapName: string,
  n: number,
  action: PlanAction,
  rootValues: RootValues = {},
): Promise<Plan> {
  const engine = new DockerEngine();
  const { plan } = await observeAndPlan(
    berthMap(mapName, n, rootValues),
    { default: readOnly(engine) },
    { action },
  );
  return plan;
}

export function writeBerthMap(dir: string, mapName: string, n: number, rootValues: RootValues = {}): string {
  const file = join(dir, `${mapName}.yaml`);
  writeFileSync(file, berthMapYaml(mapName, n, rootValues));
  return file;
}

/**
 * `node bin/berth.js -f FILE ACTION`, the built CLI, optionally through the counting proxy.
 * `noCache`: with `--no-cache`, the map parsed as if berth had never read it before.
 */
export async function berthCli(
  bin: string,
  file: string,
  action: PlanAction,
  options: { dockerHost?: string; noCache?: boolean } = {},
): Promise<number> {
  const env = {
    ...process.env,
    ...(options.dockerHost === undefined ? {} : { DOCKER_HOST: options.dockerHost }),
  };
  const args = [bin, "-f", file, action, "--progress", "quiet", ...(options.noCache ? ["--no-cache"] : [])];
  const result = await run(process.execPath, args, { env });
  return result.ms;
}
